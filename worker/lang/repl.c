/*
 * repl.c: the Iridium REPL, independent of any transport (see repl.h and
 * iridium(7), "THE REPL").
 *
 * One struct repl is one session: a VM, the program typed or loaded into
 * it (code, RO data, symbol table), the history, and an unfinished !load
 * block. The host feeds lines; everything the REPL says goes through the
 * host's write callback. Messages are collected in r->out and written in
 * one piece, except that PRTS output is passed straight through (after
 * whatever message text precedes it), so a long-running program's output
 * reaches the client while it runs. Programs run through run_vm() in
 * budget slices with the host's poll callback in between.
 *
 * Nothing here prints, logs, exits or keeps global state; every byte a
 * client typed is escaped before it is echoed back.
 */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "asm.h"
#include "disasm.h"
#include "image.h"
#include "isa.h"
#include "repl.h"
#include "repl_internal.h"
#include "run.h"
#include "vm.h"

typedef enum repl_result (*repl_cmd_fn)(struct repl *, const char *, size_t);

struct repl_cmd {
	const char	*name;
	const char	*args;		/* NULL: takes no argument */
	repl_cmd_fn	 fn;
	const char	*help;
};

static enum repl_result	cmd_help(struct repl *, const char *, size_t);
static enum repl_result	cmd_quit(struct repl *, const char *, size_t);
static enum repl_result	cmd_history(struct repl *, const char *, size_t);
static enum repl_result	cmd_program(struct repl *, const char *, size_t);
static enum repl_result	cmd_clear_program(struct repl *, const char *,
			    size_t);
static enum repl_result	cmd_clear_registers(struct repl *, const char *,
			    size_t);
static enum repl_result	cmd_registers(struct repl *, const char *, size_t);
static enum repl_result	cmd_symbols(struct repl *, const char *, size_t);
static enum repl_result	cmd_load_file(struct repl *, const char *, size_t);
static enum repl_result	cmd_load(struct repl *, const char *, size_t);
static enum repl_result	cmd_spawn(struct repl *, const char *, size_t);
static enum repl_result	cmd_limits(struct repl *, const char *, size_t);

/* The commands in the order !help and iridium(7) list them. */
static const struct repl_cmd repl_cmds[] = {
	{ "!help", NULL, cmd_help, "list the commands" },
	{ "!quit", NULL, cmd_quit, "end this session" },
	{ "!history", "[clear]", cmd_history,
	    "the lines typed (clear: forget them)" },
	{ "!program", NULL, cmd_program,
	    "the program as a disassembly listing" },
	{ "!clear_program", NULL, cmd_clear_program,
	    "empty the program, its RO data and the symbol table" },
	{ "!clear_registers", NULL, cmd_clear_registers,
	    "zero the registers, flag, remainder and loop counter" },
	{ "!registers", "[$N..]", cmd_registers,
	    "integer and float registers, flag, remainder, pc" },
	{ "!symbols", NULL, cmd_symbols, "the symbol table" },
	{ "!load_file", "PATH", cmd_load_file,
	    "load a program file and run it" },
	{ "!load", NULL, cmd_load,
	    "read a program up to a line !end, then load and run it" },
	{ "!spawn", NULL, cmd_spawn,
	    "run the program in a fresh VM; this one stays as it is" },
	{ "!limits", NULL, cmd_limits,
	    "this session's limits and what it uses of them" },
};

const char *
repl_cmd_name(size_t i)
{
	return i < sizeof(repl_cmds) / sizeof(repl_cmds[0]) ?
	    repl_cmds[i].name : NULL;
}

/* --- output ------------------------------------------------------------- */

/* Write bytes to the host; after a failure nothing more is written. */
static int
repl_write(struct repl *r, const void *p, size_t len)
{
	if (r->gone)
		return -1;
	if (len == 0)
		return 0;
	if (r->io.write(r->io.arg, p, len) == -1) {
		r->gone = 1;
		return -1;
	}
	r->wrote = 1;
	r->last = ((const char *)p)[len - 1];
	return 0;
}

static int
repl_flush(struct repl *r)
{
	int	 rv;

	if (r->out.len == 0)
		return r->gone ? -1 : 0;
	rv = repl_write(r, r->out.data, r->out.len);
	buf_reset(&r->out);
	return rv;
}

/* The VM's PRTS sink: earlier messages first, then the bytes verbatim. */
int
repl_vm_output(void *arg, const uint8_t *p, size_t len)
{
	struct repl	*r = arg;

	if (repl_flush(r) == -1)
		return -1;
	return repl_write(r, p, len);
}

/* True when the next message must begin with a newline. */
static int
repl_midline(const struct repl *r)
{
	if (r->out.len > 0)
		return r->out.data[r->out.len - 1] != '\n';
	return r->wrote && r->last != '\n';
}

/* Start a fresh line in r->out unless already at one. */
static void
repl_fresh(struct repl *r)
{
	if (repl_midline(r))
		(void)buf_putc(&r->out, '\n');
}

/*
 * Append one message to r->out, starting it on a fresh line. Out of memory
 * only loses the message: the session goes on.
 */
static void __attribute__((format(printf, 2, 3)))
repl_say(struct repl *r, const char *fmt, ...)
{
	va_list	 ap;

	repl_fresh(r);
	va_start(ap, fmt);
	(void)buf_vprintf(&r->out, fmt, ap);
	va_end(ap);
}

/* Append client-supplied bytes, escaped, at most max of them (0: all). */
static void
repl_echo(struct repl *r, const char *p, size_t len, size_t max)
{
	if (max != 0 && len > max) {
		(void)run_escape(&r->out, p, max);
		(void)buf_puts(&r->out, "...");
	} else
		(void)run_escape(&r->out, p, len);
}

static void
repl_diags(struct repl *r, const struct asm_diags *d, const char *file)
{
	char	 msg[1024];
	size_t	 i;

	for (i = 0; i < d->n; i++) {
		asm_diag_format(msg, sizeof(msg), file, &d->v[i]);
		repl_fresh(r);
		repl_echo(r, msg, strlen(msg), 0);
		(void)buf_putc(&r->out, '\n');
	}
	if (d->n == 0)
		repl_say(r, "error: out of memory\n");
}

/* --- running ------------------------------------------------------------ */

static enum repl_poll
repl_poll_host(void *arg)
{
	struct repl	*r = arg;

	/* Messages queued so far belong before whatever comes next. */
	if (repl_flush(r) == -1)
		return REPL_POLL_HANGUP;
	return r->io.poll(r->io.arg);
}

/*
 * Run vm from its pc under the session's budget. Says how the run ended
 * when it was not a plain HLT or end of code; with a who (for !spawn: the
 * VM that ran is not the session's) always, each line starting with who.
 * Returns REPL_HANGUP when the host is gone.
 */
static enum repl_result
repl_run(struct repl *r, struct vm *vm, const char *who)
{
	enum run_outcome o;
	uint64_t	 n = 0;
	uint32_t	 pc;
	const char	*w = who != NULL ? who : "";

	o = run_vm(vm, r->cfg.budget, r->cfg.slice,
	    r->io.poll != NULL ? repl_poll_host : NULL, r, &n);
	r->st.instructions += n;
	pc = vm_state(vm)->pc;
	switch (o) {
	case RUN_HALTED:
		if (who != NULL)
			repl_say(r, "%shalted at pc %u after %llu "
			    "instructions\n", w, pc, (unsigned long long)n);
		break;
	case RUN_END:
		if (who != NULL)
			repl_say(r, "%sreached the end of the code after %llu "
			    "instructions\n", w, (unsigned long long)n);
		break;
	case RUN_ERROR:
		r->st.errors++;
		repl_say(r, "%serror: %s\n", w, vm_error(vm));
		break;
	case RUN_BUDGET:
		repl_say(r, "%sstopped: the budget of %llu instructions was "
		    "spent at pc %u\n", w, (unsigned long long)r->cfg.budget,
		    pc);
		break;
	case RUN_INTERRUPTED:
		repl_say(r, "%sinterrupted at pc %u after %llu instructions\n",
		    w, pc, (unsigned long long)n);
		break;
	case RUN_HANGUP:
	case RUN_INVALID_IMAGE:
	case RUN_ASM_FAILED:
	case RUN_NOMEM:
		r->gone = 1;
		return REPL_HANGUP;
	}
	return REPL_CONTINUE;
}

/* After loading: on failure say so, and load the whole program next time. */
static int
repl_synced(struct repl *r, int rv)
{
	r->vm_stale = rv == -1;
	if (rv == -1)
		repl_say(r, "error: out of memory loading the program\n");
	return rv;
}

/* Give the session's VM the whole current program; pc goes to its entry. */
static int
repl_sync(struct repl *r)
{
	struct image	 img;

	asm_prog_image(&r->prog, &img);
	return repl_synced(r, vm_load(r->vm, &img));
}

/*
 * A typed line appended to the program from code byte old on (asm_line()
 * only appends): the VM decodes just that, so a line costs the same
 * however long the program has grown.
 */
static int
repl_sync_line(struct repl *r, uint32_t old)
{
	if (r->vm_stale)
		return repl_sync(r);
	return repl_synced(r, vm_append(r->vm, r->prog.code + old,
	    r->prog.code_len - old));
}

/* A typed line: append it to the program, run what it appended. */
static enum repl_result
repl_instruction(struct repl *r, const char *line, size_t len)
{
	struct asm_diags d;
	uint32_t	 first, old = r->prog.code_len;
	unsigned	 count;

	asm_diags_init(&d);
	if (asm_line(&r->prog, line, len, &first, &count, &d) == -1) {
		r->st.errors++;
		repl_diags(r, &d, NULL);
		asm_diags_free(&d);
		return REPL_CONTINUE;
	}
	asm_diags_free(&d);
	if (count == 0)
		return REPL_CONTINUE;
	if (repl_sync_line(r, old) == -1)
		return REPL_CONTINUE;
	vm_state(r->vm)->pc = first;
	return repl_run(r, r->vm, NULL);
}

/* The assembler's poll: the host's, with what it said kept. */
static int
repl_asm_poll(void *arg)
{
	struct repl	*r = arg;

	r->asm_said = repl_poll_host(r);
	return r->asm_said != REPL_POLL_GO;
}

/*
 * Assemble text as a whole file; on success it replaces the program and
 * runs from its entry in the session's VM (registers, heap and stack are
 * kept, as with typed lines). The host's poll callback is called while
 * it assembles, as while it runs: an interrupt stops the assembly with
 * nothing loaded.
 */
static enum repl_result
repl_load_text(struct repl *r, const char *text, size_t len, const char *name)
{
	struct asm_prog	 p;
	struct asm_diags d;
	struct asm_work	 w;
	int		 rv;

	asm_prog_init(&p);
	asm_diags_init(&d);
	memset(&w, 0, sizeof(w));
	if (r->io.poll != NULL) {
		w.poll = repl_asm_poll;
		w.arg = r;
	}
	r->asm_said = REPL_POLL_GO;
	if ((rv = asm_source_work(&p, text, len, &w, &d)) != 0) {
		asm_prog_free(&p);
		if (rv == ASM_STOPPED && r->asm_said == REPL_POLL_HANGUP) {
			asm_diags_free(&d);
			r->gone = 1;
			return REPL_HANGUP;
		}
		r->st.errors++;
		if (rv == ASM_STOPPED)
			repl_say(r, "interrupted while assembling; nothing was "
			    "loaded and the program is unchanged\n");
		else {
			repl_diags(r, &d, name);
			repl_say(r, "%zu error%s; the program is unchanged\n",
			    d.n, d.n == 1 ? "" : "s");
		}
		asm_diags_free(&d);
		return REPL_CONTINUE;
	}
	asm_diags_free(&d);
	asm_prog_free(&r->prog);
	r->prog = p;
	if (repl_sync(r) == -1)
		return REPL_CONTINUE;
	repl_say(r, "loaded %u instruction%s and %u bytes of data\n",
	    r->prog.code_len / ISA_INSN_LEN,
	    r->prog.code_len == ISA_INSN_LEN ? "" : "s", r->prog.ro_len);
	return repl_run(r, r->vm, NULL);
}

/* The block is over: nothing of it is kept. */
static void
repl_load_close(struct repl *r)
{
	buf_free(&r->load);
	r->loading = r->load_over = 0;
	r->load_lines = r->load_dropped = 0;
	r->load_limit = 0;
}

/* A line inside a !load block. */
static enum repl_result
repl_load_line(struct repl *r, const char *line, size_t len)
{
	enum repl_result rv = REPL_CONTINUE;
	size_t		 a = 0, b = len;

	while (a < b && (line[a] == ' ' || line[a] == '\t'))
		a++;
	while (b > a && (line[b - 1] == ' ' || line[b - 1] == '\t'))
		b--;
	if (b - a == 5 && memcmp(line + a, "!quit", 5) == 0) {
		repl_say(r, "the unfinished !load block (%u line%s) is "
		    "dropped\n", r->load_lines, r->load_lines == 1 ? "" : "s");
		repl_load_close(r);
		return cmd_quit(r, NULL, 0);
	}
	if (b - a == 4 && memcmp(line + a, "!end", 4) == 0) {
		if (r->load_dropped != 0) {
			r->st.errors++;
			repl_say(r, "error: line %u of the !load block was over "
			    "the limit of %zu bytes; nothing was loaded and the "
			    "program is unchanged\n", r->load_dropped,
			    r->load_limit);
		} else if (r->load_over) {
			r->st.errors++;
			repl_say(r, "error: the !load text is over the limit "
			    "of %zu bytes; nothing was loaded and the program "
			    "is unchanged\n", r->cfg.max_load_bytes);
		} else
			rv = repl_load_text(r, r->load.data != NULL ?
			    r->load.data : "", r->load.len, NULL);
		repl_load_close(r);
		return rv;
	}
	r->load_lines++;
	if (r->load_over || r->load_dropped != 0)
		return rv;
	if (len + 1 > r->cfg.max_load_bytes - r->load.len ||
	    buf_append(&r->load, line, len) == -1 ||
	    buf_putc(&r->load, '\n') == -1) {
		/* Too much (or no memory for it): swallow up to !end. */
		r->load_over = 1;
		buf_free(&r->load);
	}
	return rv;
}

/* --- history ------------------------------------------------------------ */

static void
repl_history_add(struct repl *r, const char *line, size_t len)
{
	struct repl_hist *h, *nh;
	size_t		 keep = len > REPL_HISTORY_LINE ? REPL_HISTORY_LINE :
			    len, ncap;
	char		*s;

	if ((s = malloc(keep + 1)) == NULL)
		return;
	memcpy(s, line, keep);
	s[keep] = '\0';
	if (r->nhist < r->cfg.history && r->nhist == r->histcap) {
		ncap = r->histcap != 0 ? r->histcap * 2 : 16;
		if (ncap > r->cfg.history)
			ncap = r->cfg.history;
		if ((nh = reallocarray(r->hist, ncap, sizeof(*nh))) == NULL) {
			free(s);
			return;
		}
		r->hist = nh;
		r->histcap = ncap;
	}
	if (r->nhist < r->cfg.history) {
		/* Still growing: no wrap yet, so head is 0. */
		h = &r->hist[r->nhist++];
	} else {
		h = &r->hist[r->histhead];
		free(h->s);
		r->histhead = (r->histhead + 1) % r->nhist;
	}
	h->s = s;
	h->len = keep;
	h->cut = keep < len;
	r->histtotal++;
}

size_t
repl_history_count(const struct repl *r)
{
	return r->nhist;
}

const char *
repl_history_line(const struct repl *r, size_t i, size_t *lenp)
{
	const struct repl_hist *h;

	if (i >= r->nhist)
		return NULL;
	h = &r->hist[(r->histhead + i) % r->nhist];
	if (lenp != NULL)
		*lenp = h->len;
	return h->s;
}

void
repl_history_push(struct repl *r, const char *line, size_t len)
{
	if (len > 0)
		repl_history_add(r, line, len);
}

uint64_t
repl_history_total(const struct repl *r)
{
	return r->histtotal;
}

uint64_t
repl_history_clears(const struct repl *r)
{
	return r->histclears;
}

void
repl_history_clear(struct repl *r)
{
	size_t	 i;

	for (i = 0; i < r->nhist; i++)
		free(r->hist[i].s);
	free(r->hist);
	r->hist = NULL;
	r->nhist = r->histcap = r->histhead = 0;
	r->histtotal = 0;
	r->histclears++;
}

/* --- commands ----------------------------------------------------------- */

static enum repl_result
cmd_help(struct repl *r, const char *arg, size_t len)
{
	const struct repl_cmd	*c;
	char			 name[32];
	size_t			 i;

	(void)arg;
	(void)len;
	repl_say(r, "Commands:\n");
	for (i = 0; i < sizeof(repl_cmds) / sizeof(repl_cmds[0]); i++) {
		c = &repl_cmds[i];
		snprintf(name, sizeof(name), "%s%s%s", c->name,
		    c->args != NULL ? " " : "", c->args != NULL ? c->args : "");
		(void)buf_printf(&r->out, "  %-18s %s%s\n", name, c->help,
		    c->fn == cmd_load_file ? (r->cfg.local ? " (local only)" :
		    " (not in remote sessions)") : "");
	}
	if (r->io.help != NULL)
		r->io.help(r->io.arg, &r->out);
	(void)buf_puts(&r->out, "Any other line is one instruction, with an "
	    "optional label: it is appended\nto the program and run.\n");
	return REPL_CONTINUE;
}

static enum repl_result
cmd_quit(struct repl *r, const char *arg, size_t len)
{
	(void)arg;
	(void)len;
	repl_say(r, "%s\n", REPL_FAREWELL);
	return REPL_QUIT;
}

static enum repl_result
cmd_history(struct repl *r, const char *arg, size_t len)
{
	const struct repl_hist	*h;
	uint64_t		 first = r->histtotal - r->nhist;
	size_t			 i;

	if (len == 5 && memcmp(arg, "clear", 5) == 0) {
		repl_history_clear(r);
		repl_say(r, "history cleared\n");
		return REPL_CONTINUE;
	}
	if (len > 0) {
		r->st.errors++;
		repl_say(r, "error: !history takes no argument but clear, got ");
		repl_echo(r, arg, len, REPL_ECHO_MAX);
		(void)buf_puts(&r->out, "\n");
		return REPL_CONTINUE;
	}
	if (first > 0)
		repl_say(r, "(%llu earlier line%s not kept: the history holds "
		    "%u)\n", (unsigned long long)first, first == 1 ? "" : "s",
		    r->cfg.history);
	for (i = 0; i < r->nhist; i++) {
		h = &r->hist[(r->histhead + i) % r->nhist];
		repl_say(r, "%5llu  ", (unsigned long long)(first + i + 1));
		repl_echo(r, h->s, h->len, 0);
		(void)buf_puts(&r->out, h->cut ? "...\n" : "\n");
		if (r->out.len > REPL_FLUSH_AT && repl_flush(r) == -1)
			return REPL_HANGUP;
	}
	return REPL_CONTINUE;
}

static enum repl_result
cmd_program(struct repl *r, const char *arg, size_t len)
{
	struct image	 img;

	(void)arg;
	(void)len;
	asm_prog_image(&r->prog, &img);
	if (img.code_len == 0 && img.ro_len == 0) {
		repl_say(r, "the program is empty\n");
		return REPL_CONTINUE;
	}
	repl_fresh(r);
	if (disasm_listing(&r->out, &img, &r->prog) == -1)
		repl_say(r, "error: out of memory\n");
	return REPL_CONTINUE;
}

static enum repl_result
cmd_clear_program(struct repl *r, const char *arg, size_t len)
{
	(void)arg;
	(void)len;
	asm_prog_free(&r->prog);
	asm_prog_init(&r->prog);
	if (repl_sync(r) == 0)
		repl_say(r, "program, data and symbols cleared; pc is %u\n",
		    vm_state(r->vm)->pc);
	return REPL_CONTINUE;
}

static enum repl_result
cmd_clear_registers(struct repl *r, const char *arg, size_t len)
{
	(void)arg;
	(void)len;
	vm_clear_registers(r->vm);
	repl_say(r, "registers cleared\n");
	return REPL_CONTINUE;
}

/* The shortest "%g" form that reads back as the same double. */
static void
repl_double(char *s, size_t len, double d)
{
	int	 prec;

	if (isnan(d)) {
		snprintf(s, len, "nan");
		return;
	}
	for (prec = 1; prec < 17; prec++) {
		snprintf(s, len, "%.*g", prec, d);
		if (strtod(s, NULL) == d)
			return;
	}
	snprintf(s, len, "%.17g", d);
}

static void
repl_registers(struct repl *r, const struct vm_state *st)
{
	char	 f[32];
	int	 i;

	repl_say(r, "integer registers:\n");
	for (i = 0; i < ISA_NREGS; i++)
		(void)buf_printf(&r->out, "  $%-2d %11d%s", i, st->reg[i],
		    i % 4 == 3 ? "\n" : "");
	(void)buf_puts(&r->out, "float registers:\n");
	for (i = 0; i < ISA_NREGS; i++) {
		repl_double(f, sizeof(f), st->freg[i]);
		(void)buf_printf(&r->out, "  $%-2d %13s%s", i, f,
		    i % 4 == 3 ? "\n" : "");
	}
	(void)buf_printf(&r->out, "equal_flag %s   remainder %d   "
	    "loop_counter %u   pc %u\n", st->equal_flag ? "true" : "false",
	    st->remainder, st->loop_counter, st->pc);
}

/*
 * One word of !registers' argument, "$N" or "$A-$B", into the set;
 * -1 with the error said.
 */
static int
repl_reg_word(struct repl *r, const char *w, size_t len, bool *set)
{
	long	 v[2] = { 0, 0 };
	size_t	 i = 0, k;
	int	 n, j;

	for (n = 0; n < 2; n++) {
		if (i >= len || w[i] != '$')
			goto bad;
		for (k = ++i; i < len && w[i] >= '0' && w[i] <= '9' &&
		    i - k < 3; i++)
			v[n] = v[n] * 10 + (w[i] - '0');
		if (i == k || (i < len && w[i] >= '0' && w[i] <= '9'))
			goto bad;
		if (v[n] >= ISA_NREGS) {
			repl_say(r, "error: !registers: unknown register $%ld "
			    "(registers are $0..$%d)\n", v[n], ISA_NREGS - 1);
			return -1;
		}
		if (i == len) {
			if (n == 0)
				v[1] = v[0];
			break;
		}
		if (n == 1 || w[i] != '-')
			goto bad;
		i++;
	}
	if (v[0] > v[1]) {
		repl_say(r, "error: !registers: the range ");
		repl_echo(r, w, len, REPL_ECHO_MAX);
		(void)buf_puts(&r->out, " runs backwards\n");
		return -1;
	}
	for (j = (int)v[0]; j <= (int)v[1]; j++)
		set[j] = true;
	return 0;
bad:
	repl_say(r, "error: !registers: expected a register ($N) or a range "
	    "($A-$B), got ");
	repl_echo(r, w, len, REPL_ECHO_MAX);
	(void)buf_puts(&r->out, "\n");
	return -1;
}

/* The named registers only, integer then float, in the same columns. */
static void
repl_some_registers(struct repl *r, const struct vm_state *st,
    const bool *set)
{
	char	 f[32];
	int	 i, k;

	repl_say(r, "integer registers:\n");
	for (i = 0, k = 0; i < ISA_NREGS; i++)
		if (set[i])
			(void)buf_printf(&r->out, "  $%-2d %11d%s", i,
			    st->reg[i], ++k % 4 == 0 ? "\n" : "");
	if (k % 4 != 0)
		(void)buf_putc(&r->out, '\n');
	(void)buf_puts(&r->out, "float registers:\n");
	for (i = 0, k = 0; i < ISA_NREGS; i++)
		if (set[i]) {
			repl_double(f, sizeof(f), st->freg[i]);
			(void)buf_printf(&r->out, "  $%-2d %13s%s", i, f,
			    ++k % 4 == 0 ? "\n" : "");
		}
	if (k % 4 != 0)
		(void)buf_putc(&r->out, '\n');
}

/* Without an argument all of them; else the named ones ($1 $5, $0-$7). */
static enum repl_result
cmd_registers(struct repl *r, const char *arg, size_t len)
{
	bool	 set[ISA_NREGS];
	size_t	 i = 0, w;

	if (len == 0) {
		repl_registers(r, vm_state(r->vm));
		return REPL_CONTINUE;
	}
	memset(set, 0, sizeof(set));
	while (i < len) {
		for (w = i; i < len && arg[i] != ' ' && arg[i] != '\t' &&
		    arg[i] != ','; i++)
			continue;
		if (i > w && repl_reg_word(r, arg + w, i - w, set) == -1) {
			r->st.errors++;
			return REPL_CONTINUE;
		}
		while (i < len && (arg[i] == ' ' || arg[i] == '\t' ||
		    arg[i] == ','))
			i++;
	}
	repl_some_registers(r, vm_state(r->vm), set);
	return REPL_CONTINUE;
}

static enum repl_result
cmd_symbols(struct repl *r, const char *arg, size_t len)
{
	const struct asm_sym	*s;
	size_t			 i, w = 4;

	(void)arg;
	(void)len;
	if (r->prog.nsyms == 0) {
		repl_say(r, "no symbols\n");
		return REPL_CONTINUE;
	}
	for (i = 0; i < r->prog.nsyms; i++)
		if (strlen(r->prog.syms[i].name) > w)
			w = strlen(r->prog.syms[i].name);
	if (w > 32)
		w = 32;
	repl_say(r, "%-*s  kind  value\n", (int)w, "name");
	for (i = 0; i < r->prog.nsyms; i++) {
		s = &r->prog.syms[i];
		(void)buf_printf(&r->out, "%-*s  %s  %u%s\n", (int)w, s->name,
		    s->kind == ASM_SYM_CODE ? "code" : "data", s->value,
		    s->kind == ASM_SYM_CODE ? " (image offset)" :
		    " (RO offset)");
	}
	return REPL_CONTINUE;
}

/* Read a whole regular file of at most max bytes; errno says why not. */
static char *
repl_read_file(const char *path, size_t max, size_t *lenp)
{
	struct stat	 sb;
	char		*p = NULL;
	size_t		 len = 0;
	ssize_t		 n;
	int		 fd, e;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY)) == -1)
		return NULL;
	if (fstat(fd, &sb) == -1)
		goto fail;
	if (S_ISDIR(sb.st_mode)) {
		errno = EISDIR;
		goto fail;
	}
	if (!S_ISREG(sb.st_mode)) {
		errno = EINVAL;
		goto fail;
	}
	if ((uintmax_t)sb.st_size > max) {
		errno = EFBIG;
		goto fail;
	}
	if ((p = malloc(max + 1)) == NULL)
		goto fail;
	/* Read to EOF: the file may have grown since fstat(). */
	while (len <= max) {
		n = read(fd, p + len, max + 1 - len);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1)
			goto fail;
		if (n == 0)
			break;
		len += (size_t)n;
	}
	if (len > max) {
		errno = EFBIG;
		goto fail;
	}
	close(fd);
	*lenp = len;
	return p;
fail:
	e = errno;
	free(p);
	close(fd);
	errno = e;
	return NULL;
}

static enum repl_result
cmd_load_file(struct repl *r, const char *arg, size_t len)
{
	enum repl_result rv;
	char		*path, *text;
	size_t		 tlen;

	if (!r->cfg.local) {
		repl_say(r, "!load_file is not available in remote sessions; "
		    "send the program with !load ... !end instead\n");
		return REPL_CONTINUE;
	}
	if (len == 0) {
		repl_say(r, "usage: !load_file PATH\n");
		return REPL_CONTINUE;
	}
	if (memchr(arg, '\0', len) != NULL) {
		repl_say(r, "error: the path contains a NUL byte\n");
		return REPL_CONTINUE;
	}
	if ((path = strndup(arg, len)) == NULL) {
		repl_say(r, "error: out of memory\n");
		return REPL_CONTINUE;
	}
	if ((text = repl_read_file(path, r->cfg.max_load_bytes,
	    &tlen)) == NULL) {
		r->st.errors++;
		repl_say(r, "error: ");
		repl_echo(r, path, len, 0);
		if (errno == EFBIG)
			(void)buf_printf(&r->out, ": larger than the limit of "
			    "%zu bytes\n", r->cfg.max_load_bytes);
		else if (errno == EINVAL)
			(void)buf_puts(&r->out, ": not a regular file\n");
		else
			(void)buf_printf(&r->out, ": %s\n", strerror(errno));
		free(path);
		return REPL_CONTINUE;
	}
	rv = repl_load_text(r, text, tlen, path);
	free(text);
	free(path);
	return rv;
}

static enum repl_result
cmd_load(struct repl *r, const char *arg, size_t len)
{
	(void)arg;
	(void)len;
	repl_load_close(r);
	r->loading = 1;
	return REPL_CONTINUE;
}

static enum repl_result
cmd_spawn(struct repl *r, const char *arg, size_t len)
{
	enum repl_result rv;
	struct image	 img;
	struct vm	*vm;

	(void)arg;
	(void)len;
	asm_prog_image(&r->prog, &img);
	if ((vm = vm_new(vm_limits(r->vm))) == NULL ||
	    vm_load(vm, &img) == -1) {
		vm_free(vm);
		repl_say(r, "error: out of memory creating a VM\n");
		return REPL_CONTINUE;
	}
	vm_set_output(vm, repl_vm_output, r);
	repl_say(r, "spawned a fresh VM; running from pc %u\n",
	    vm_state(vm)->pc);
	rv = repl_run(r, vm, "spawned VM: ");
	if (rv == REPL_CONTINUE)
		repl_registers(r, vm_state(vm));
	vm_free(vm);
	return rv;
}

static enum repl_result
cmd_limits(struct repl *r, const char *arg, size_t len)
{
	const struct vm_limits	*lim = vm_limits(r->vm);
	struct repl_stats	 st;

	(void)arg;
	(void)len;
	repl_stats(r, &st);
	repl_say(r, "budget:       %llu instructions per command\n",
	    (unsigned long long)r->cfg.budget);
	(void)buf_printf(&r->out, "heap:         %u of %u bytes in use\n",
	    st.heap_bytes, lim->heap_bytes);
	(void)buf_printf(&r->out, "stack:        %u of %u entries in use\n",
	    st.stack_depth, lim->stack_depth);
	(void)buf_printf(&r->out, "program:      %u bytes (%u of code, %u "
	    "of data), at most %d\n", st.program_bytes, r->prog.code_len,
	    r->prog.ro_len, ISA_IMAGE_MAX);
	(void)buf_printf(&r->out, "instructions: %llu executed in this "
	    "session\n", (unsigned long long)st.instructions);
	if (r->io.limits != NULL)
		r->io.limits(r->io.arg, &r->out);
	return REPL_CONTINUE;
}

/* A line starting with '!'. */
static enum repl_result
repl_command(struct repl *r, const char *line, size_t len)
{
	const struct repl_cmd	*c;
	size_t			 n = 0, a, b, i;

	while (n < len && line[n] != ' ' && line[n] != '\t')
		n++;
	a = n;
	while (a < len && (line[a] == ' ' || line[a] == '\t'))
		a++;
	b = len;
	while (b > a && (line[b - 1] == ' ' || line[b - 1] == '\t'))
		b--;
	for (i = 0; i < sizeof(repl_cmds) / sizeof(repl_cmds[0]); i++) {
		c = &repl_cmds[i];
		if (strlen(c->name) != n || memcmp(c->name, line, n) != 0)
			continue;
		if (c->args == NULL && b > a) {
			r->st.errors++;
			repl_say(r, "error: %s takes no arguments\n", c->name);
			return REPL_CONTINUE;
		}
		return c->fn(r, line + a, b - a);
	}
	r->st.errors++;
	repl_say(r, "Invalid command! ");
	repl_echo(r, line, n, REPL_ECHO_MAX);
	(void)buf_puts(&r->out, " is not a command; type !help for the "
	    "list.\n");
	return REPL_CONTINUE;
}

/* --- the interface ------------------------------------------------------ */

struct repl *
repl_new(const struct repl_config *cfg, const struct repl_io *io)
{
	struct vm_limits lim;
	struct repl	*r;

	if (io->write == NULL)
		return NULL;
	if ((r = calloc(1, sizeof(*r))) == NULL)
		return NULL;
	r->cfg = *cfg;
	r->io = *io;
	if (r->cfg.budget == 0)
		r->cfg.budget = VM_DEFAULT_BUDGET;
	if (r->cfg.heap_bytes == 0)
		r->cfg.heap_bytes = VM_DEFAULT_HEAP;
	if (r->cfg.stack_depth == 0)
		r->cfg.stack_depth = VM_DEFAULT_STACK;
	if (r->cfg.slice == 0)
		r->cfg.slice = RUN_SLICE_DEFAULT;
	if (r->cfg.max_load_bytes == 0)
		r->cfg.max_load_bytes = REPL_DEFAULT_LOAD;
	if (r->cfg.history == 0)
		r->cfg.history = REPL_DEFAULT_HISTORY;
	lim.heap_bytes = r->cfg.heap_bytes;
	lim.stack_depth = r->cfg.stack_depth;
	if ((r->vm = vm_new(&lim)) == NULL) {
		free(r);
		return NULL;
	}
	vm_set_output(r->vm, repl_vm_output, r);
	asm_prog_init(&r->prog);
	buf_init(&r->out, 0);
	buf_init(&r->load, 0);
	return r;
}

void
repl_free(struct repl *r)
{
	size_t	 i;

	if (r == NULL)
		return;
	vm_free(r->vm);
	asm_prog_free(&r->prog);
	for (i = 0; i < r->nhist; i++)
		free(r->hist[i].s);
	free(r->hist);
	buf_free(&r->out);
	buf_free(&r->load);
	free(r);
}

enum repl_result
repl_feed(struct repl *r, const char *line, size_t len)
{
	enum repl_result rv;
	size_t		 i = 0;

	if (r->gone)
		return REPL_HANGUP;
	r->wrote = 0;
	r->last = '\n';
	r->st.commands++;
	if (len > 0)
		repl_history_add(r, line, len);
	while (i < len && (line[i] == ' ' || line[i] == '\t'))
		i++;
	if (r->loading)
		rv = repl_load_line(r, line, len);
	else if (i < len && line[i] == '!')
		rv = repl_command(r, line + i, len - i);
	else
		rv = repl_instruction(r, line, len);
	repl_flush(r);
	/* The host's prompt must start on a line of its own. */
	if (r->wrote && r->last != '\n')
		repl_write(r, "\n", 1);
	if (r->gone)
		return REPL_HANGUP;
	return rv;
}

enum repl_result
repl_feed_dropped(struct repl *r, size_t limit)
{
	if (r->gone)
		return REPL_HANGUP;
	r->wrote = 0;
	r->last = '\n';
	r->st.commands++;
	r->st.errors++;
	if (r->loading) {
		r->load_lines++;
		if (r->load_dropped == 0) {
			r->load_dropped = r->load_lines;
			r->load_limit = limit;
			buf_free(&r->load);
		}
		repl_say(r, "error: line too long (limit %zu bytes); this "
		    "!load block will load nothing (send !end to close it)\n",
		    limit);
	} else
		repl_say(r, "error: line too long (limit %zu bytes); ignored\n",
		    limit);
	repl_flush(r);
	return r->gone ? REPL_HANGUP : REPL_CONTINUE;
}

const char *
repl_prompt(const struct repl *r)
{
	return r->loading ? REPL_PROMPT_LOAD : REPL_PROMPT;
}

void
repl_stats(const struct repl *r, struct repl_stats *st)
{
	*st = r->st;
	st->heap_bytes = vm_heap_len(r->vm);
	st->stack_depth = vm_stack_depth(r->vm);
	st->program_bytes = ISA_RO_OFFSET + r->prog.ro_len + r->prog.code_len;
}

const struct repl_config *
repl_config(const struct repl *r)
{
	return &r->cfg;
}
