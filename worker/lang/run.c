/*
 * run.c: running one whole program (see run.h).
 *
 * Two users: `iridium run` (worker/lang/iridium.c) and the ssh
 * transport's `run` command. Both hand over the bytes of a file, get PRTS
 * output and messages through callbacks, and turn the outcome into an exit
 * status and, on request, a JSON document of the final state. run_vm(),
 * the loop that drives a VM in polled budget slices, also serves the REPL,
 * so every host interrupts programs the same way.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <bsd/string.h>

#include "asm.h"
#include "image.h"
#include "isa.h"
#include "run.h"
#include "vm.h"

enum run_outcome
run_vm(struct vm *vm, uint64_t budget, uint32_t slice, run_poll_fn poll,
    void *arg, uint64_t *executed)
{
	enum vm_status	 st;
	uint64_t	 done = 0, n, ex;

	if (slice == 0)
		slice = RUN_SLICE_DEFAULT;
	for (;;) {
		n = budget - done;
		if (n > slice)
			n = slice;
		ex = 0;
		st = vm_run(vm, n, &ex);
		done += ex;
		switch (st) {
		case VM_HALTED:
			*executed = done;
			return RUN_HALTED;
		case VM_END:
			*executed = done;
			return RUN_END;
		case VM_ERROR:
			*executed = done;
			return RUN_ERROR;
		case VM_ABORTED:
			*executed = done;
			return RUN_HANGUP;
		case VM_BUDGET:
			break;
		}
		/* ex == 0 guards against a VM that makes no progress. */
		if (done >= budget || ex == 0) {
			*executed = done;
			return RUN_BUDGET;
		}
		if (poll == NULL)
			continue;
		switch (poll(arg)) {
		case REPL_POLL_GO:
			break;
		case REPL_POLL_INTERRUPT:
			*executed = done;
			return RUN_INTERRUPTED;
		case REPL_POLL_HANGUP:
			*executed = done;
			return RUN_HANGUP;
		}
	}
}

const char *
run_status_name(enum run_outcome o)
{
	switch (o) {
	case RUN_HALTED:
		return "halted";
	case RUN_END:
		return "end";
	case RUN_BUDGET:
		return "budget";
	case RUN_ERROR:
	case RUN_INTERRUPTED:
	case RUN_HANGUP:
	case RUN_INVALID_IMAGE:
	case RUN_ASM_FAILED:
	case RUN_NOMEM:
		break;
	}
	return "error";
}

int
run_exit_status(enum run_outcome o)
{
	switch (o) {
	case RUN_HALTED:
	case RUN_END:
		return RUN_EXIT_OK;
	case RUN_BUDGET:
		return RUN_EXIT_BUDGET;
	case RUN_ASM_FAILED:
		return RUN_EXIT_ASM;
	case RUN_ERROR:
	case RUN_INTERRUPTED:
	case RUN_HANGUP:
	case RUN_INVALID_IMAGE:
	case RUN_NOMEM:
		break;
	}
	return RUN_EXIT_ERROR;
}

/*
 * Length of the valid UTF-8 sequence at s (at most len bytes) that is
 * safe to show, or 0. C1 controls (U+0080..U+009F) count as unsafe: some
 * terminals act on them as they would on ESC sequences.
 */
static size_t
utf8_safe_len(const unsigned char *s, size_t len)
{
	size_t	 n, i;
	unsigned lo = 0x80, hi = 0xbf;

	if (s[0] >= 0xc2 && s[0] <= 0xdf) {
		n = 2;
		if (s[0] == 0xc2)
			lo = 0xa0;
	} else if (s[0] >= 0xe0 && s[0] <= 0xef) {
		n = 3;
		if (s[0] == 0xe0)
			lo = 0xa0;
		else if (s[0] == 0xed)
			hi = 0x9f;	/* no UTF-16 surrogates */
	} else if (s[0] >= 0xf0 && s[0] <= 0xf4) {
		n = 4;
		if (s[0] == 0xf0)
			lo = 0x90;
		else if (s[0] == 0xf4)
			hi = 0x8f;
	} else
		return 0;
	if (len < n || s[1] < lo || s[1] > hi)
		return 0;
	for (i = 2; i < n; i++)
		if (s[i] < 0x80 || s[i] > 0xbf)
			return 0;
	return n;
}

int
run_escape(struct buf *out, const void *text, size_t len)
{
	const unsigned char	*s = text;
	size_t			 i = 0, n, start;

	while (i < len) {
		/* Copy the longest safe stretch in one append. */
		start = i;
		for (;;) {
			if (i >= len)
				break;
			if ((s[i] >= 0x20 && s[i] < 0x7f) || s[i] == '\t')
				n = 1;
			else if ((n = utf8_safe_len(s + i, len - i)) == 0)
				break;
			i += n;
		}
		if (i > start && buf_append(out, s + start, i - start) == -1)
			return -1;
		if (i < len) {
			if (buf_printf(out, "\\x%02x", s[i]) == -1)
				return -1;
			i++;
		}
	}
	return 0;
}

static void
run_message(const struct run_io *io, enum run_msg kind, const char *msg)
{
	struct buf	 b;

	if (io->message == NULL)
		return;
	buf_init(&b, 0);
	if (run_escape(&b, msg, strlen(msg)) == 0 && b.data != NULL)
		io->message(io->arg, kind, b.data);
	else
		io->message(io->arg, kind, "out of memory");
	buf_free(&b);
}

static void
run_set(struct run_result *res, enum run_outcome o, const char *error)
{
	res->outcome = o;
	res->status = run_exit_status(o);
	if (error != NULL)
		strlcpy(res->error, error, sizeof(res->error));
	else
		res->error[0] = '\0';
}

static int
run_discard(void *arg, const uint8_t *buf, size_t len)
{
	(void)arg;
	(void)buf;
	(void)len;
	return 0;
}

static int
run_image(const struct run_config *cfg, const struct run_io *io,
    const struct image *img, struct run_result *res)
{
	struct vm_limits lim;
	struct vm	*vm;
	enum run_outcome o;
	uint64_t	 executed = 0;
	uint32_t	 pc;
	char		 msg[RUN_ERRLEN];

	lim.heap_bytes = cfg->heap_bytes;
	lim.stack_depth = cfg->stack_depth;
	if (lim.heap_bytes < VM_HEAP_INITIAL) {
		snprintf(msg, sizeof(msg), "heap limit of %u bytes is below "
		    "the %d bytes every heap starts with", lim.heap_bytes,
		    VM_HEAP_INITIAL);
		run_set(res, RUN_NOMEM, msg);
		run_message(io, RUN_MSG_RUNTIME, msg);
		return res->status;
	}
	if ((vm = vm_new(&lim)) == NULL || vm_load(vm, img) == -1) {
		vm_free(vm);
		run_set(res, RUN_NOMEM, "out of memory");
		run_message(io, RUN_MSG_RUNTIME, res->error);
		return res->status;
	}
	if (io->output != NULL)
		vm_set_output(vm, io->output, io->arg);
	else
		vm_set_output(vm, run_discard, NULL);

	o = run_vm(vm, cfg->budget, cfg->slice, io->poll, io->arg, &executed);
	pc = vm_state(vm)->pc;
	msg[0] = '\0';
	switch (o) {
	case RUN_ERROR:
		strlcpy(msg, vm_error(vm), sizeof(msg));
		break;
	case RUN_INTERRUPTED:
		snprintf(msg, sizeof(msg), "interrupted at pc %u", pc);
		break;
	case RUN_HANGUP:
		snprintf(msg, sizeof(msg), "hung up at pc %u", pc);
		break;
	default:
		break;
	}
	run_set(res, o, msg[0] != '\0' ? msg : NULL);
	res->instructions = executed;
	res->state = *vm_state(vm);
	res->heap_bytes = vm_heap_len(vm);
	res->stack_depth = vm_stack_depth(vm);
	vm_free(vm);

	if (o == RUN_BUDGET) {
		/* Not an error (res->error stays empty), but worth a line. */
		snprintf(msg, sizeof(msg), "budget of %llu instructions spent "
		    "at pc %u", (unsigned long long)cfg->budget, pc);
		run_message(io, RUN_MSG_RUNTIME, msg);
	} else if (res->error[0] != '\0')
		run_message(io, RUN_MSG_RUNTIME, res->error);
	return res->status;
}

/* The assembler's poll: the host's, with what it said kept. */
struct run_asm_poll {
	const struct run_io	*io;
	enum repl_poll		 said;
};

static int
run_asm_poll(void *arg)
{
	struct run_asm_poll	*p = arg;

	p->said = p->io->poll(p->io->arg);
	return p->said != REPL_POLL_GO;
}

int
run_program(const struct run_config *cfg, const struct run_io *io,
    const void *input, size_t len, struct run_result *res)
{
	struct asm_prog	 prog;
	struct asm_diags diags;
	struct asm_work	 w;
	struct run_asm_poll ap;
	struct image	 img;
	char		 msg[1024];
	size_t		 i;
	int		 rv;

	memset(res, 0, sizeof(*res));
	if (image_has_magic(input, len)) {
		if (image_parse(&img, input, len, msg, sizeof(msg)) == -1) {
			run_set(res, RUN_INVALID_IMAGE, msg);
			run_message(io, RUN_MSG_IMAGE, msg);
			return res->status;
		}
		return run_image(cfg, io, &img, res);
	}

	asm_prog_init(&prog);
	asm_diags_init(&diags);
	/* The host is polled while the source assembles, as while it runs. */
	memset(&w, 0, sizeof(w));
	ap.io = io;
	ap.said = REPL_POLL_GO;
	if (io->poll != NULL) {
		w.poll = run_asm_poll;
		w.arg = &ap;
	}
	if ((rv = asm_source_work(&prog, input, len, &w, &diags)) ==
	    ASM_STOPPED) {
		run_set(res, ap.said == REPL_POLL_HANGUP ? RUN_HANGUP :
		    RUN_INTERRUPTED, "interrupted while assembling");
		run_message(io, RUN_MSG_RUNTIME, res->error);
	} else if (rv == -1) {
		if (diags.n == 0) {
			run_set(res, RUN_NOMEM, "out of memory");
			run_message(io, RUN_MSG_RUNTIME, res->error);
		} else {
			for (i = 0; i < diags.n; i++) {
				asm_diag_format(msg, sizeof(msg), cfg->name,
				    &diags.v[i]);
				if (i == 0)
					run_set(res, RUN_ASM_FAILED, msg);
				run_message(io, RUN_MSG_ASM, msg);
			}
		}
	} else {
		asm_prog_image(&prog, &img);
		run_image(cfg, io, &img, res);
	}
	asm_diags_free(&diags);
	asm_prog_free(&prog);
	return res->status;
}

/* A float register as JSON: a number, or "inf", "-inf", "nan". */
static json_t *
run_json_double(double d)
{
	if (isnan(d))
		return json_string("nan");
	if (isinf(d))
		return json_string(d > 0 ? "inf" : "-inf");
	return json_real(d);
}

/* Adds v under key; a NULL v (out of memory) makes the set fail. */
static int
run_json_set(json_t *obj, const char *key, json_t *v)
{
	if (v == NULL)
		return -1;
	return json_object_set_new(obj, key, v);
}

json_t *
run_state_json(const struct run_result *res)
{
	json_t	*obj, *regs, *fregs;
	int	 i, rv = 0;

	if (res->outcome == RUN_ASM_FAILED)
		return NULL;
	if ((obj = json_object()) == NULL)
		return NULL;
	regs = json_array();
	fregs = json_array();
	if (regs == NULL || fregs == NULL) {
		json_decref(regs);
		json_decref(fregs);
		json_decref(obj);
		return NULL;
	}
	for (i = 0; i < ISA_NREGS; i++) {
		rv |= json_array_append_new(regs,
		    json_integer(res->state.reg[i]));
		rv |= json_array_append_new(fregs,
		    run_json_double(res->state.freg[i]));
	}
	rv |= run_json_set(obj, "status", json_string(
	    run_status_name(res->outcome)));
	rv |= run_json_set(obj, "error", res->error[0] != '\0' ?
	    json_string(res->error) : json_null());
	rv |= run_json_set(obj, "pc", json_integer(res->state.pc));
	/* json_int_t is signed; a budget never gets near its limit. */
	rv |= run_json_set(obj, "instructions", json_integer(
	    res->instructions > INT64_MAX ? INT64_MAX :
	    (json_int_t)res->instructions));
	rv |= run_json_set(obj, "registers", regs);
	rv |= run_json_set(obj, "float_registers", fregs);
	rv |= run_json_set(obj, "equal_flag",
	    json_boolean(res->state.equal_flag));
	rv |= run_json_set(obj, "remainder",
	    json_integer(res->state.remainder));
	rv |= run_json_set(obj, "loop_counter",
	    json_integer(res->state.loop_counter));
	rv |= run_json_set(obj, "heap_bytes", json_integer(res->heap_bytes));
	rv |= run_json_set(obj, "stack_depth",
	    json_integer(res->stack_depth));
	if (rv != 0) {
		json_decref(obj);
		return NULL;
	}
	return obj;
}
