/*
 * test_run.c: running whole programs (run.h): source versus image, every
 * outcome with its exit status (iridium(1), "EXIT STATUS"),
 * the state JSON key by key, polling between slices, and the escaping
 * that keeps client bytes off a terminal.
 */
#include <criterion/criterion.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "asm.h"
#include "buf.h"
#include "hostpoll.h"
#include "run.h"
#include "vm.h"
#include "vmstate.h"

struct host {
	struct hostpoll	 poll;		/* first: hostpoll() gets the host */
	struct buf	 out;		/* PRTS bytes */
	struct buf	 msgs;		/* "<kind> message\n" */
	int		 refuse;	/* output returns -1 */
};

static int
host_output(void *arg, const uint8_t *p, size_t n)
{
	struct host	*h = arg;

	if (h->refuse)
		return -1;
	return buf_append(&h->out, p, n);
}

static void
host_message(void *arg, enum run_msg kind, const char *msg)
{
	struct host	*h = arg;

	buf_printf(&h->msgs, "%d %s\n", (int)kind, msg);
}

static struct host	 H;
static struct run_result R;

static void
setup(void)
{
	memset(&H, 0, sizeof(H));
	buf_init(&H.out, 0);
	buf_init(&H.msgs, 0);
}

static void
teardown(void)
{
	buf_free(&H.out);
	buf_free(&H.msgs);
}

TestSuite(run, .init = setup, .fini = teardown);

static int
run_budget(const void *input, size_t len, uint64_t budget, uint32_t slice)
{
	struct run_config cfg = { budget, 4096, 64, slice, "prog.iasm" };
	struct run_io	 io = { host_output, host_message, hostpoll, &H };

	return run_program(&cfg, &io, input, len, &R);
}

static int
run_text(const char *src)
{
	return run_budget(src, strlen(src), 1000000, 0);
}

static const char *
msgs(void)
{
	return H.msgs.data != NULL ? H.msgs.data : "";
}

static const char *
out(void)
{
	return H.out.data != NULL ? H.out.data : "";
}

static const char hello[] =
    ".data\nhi: .asciiz 'hi\\n'\n.code\nprts @hi\nload $3 #-3\nhlt\n";

Test(run, source_that_halts_exits_0)
{
	cr_assert_eq(run_text(hello), RUN_EXIT_OK);
	cr_assert_eq(R.outcome, RUN_HALTED);
	cr_assert_str_eq(out(), "hi\n");
	cr_assert_str_eq(msgs(), "");
	cr_assert_eq(R.state.reg[3], -3);
	cr_assert_eq(R.instructions, 3);
	cr_assert_eq(R.state.pc, 72 + 12);
	cr_assert_str_eq(R.error, "");
}

Test(run, source_that_runs_off_the_end_exits_0)
{
	cr_assert_eq(run_text("load $1 #1\n"), RUN_EXIT_OK);
	cr_assert_eq(R.outcome, RUN_END);
	cr_assert_str_eq(run_status_name(R.outcome), "end");
}

Test(run, an_image_runs_like_its_source)
{
	struct asm_prog	 p;
	struct asm_diags d;
	uint8_t		*img;
	size_t		 len;

	asm_prog_init(&p);
	asm_diags_init(&d);
	cr_assert_eq(asm_source(&p, hello, strlen(hello), &d), 0);
	img = asm_prog_build(&p, &len);
	cr_assert_not_null(img);
	cr_assert_eq(run_budget(img, len, 100, 0), RUN_EXIT_OK);
	cr_assert_str_eq(out(), "hi\n");
	cr_assert_eq(R.state.reg[3], -3);
	free(img);
	asm_prog_free(&p);
	asm_diags_free(&d);
}

Test(run, an_invalid_image_exits_1_with_its_reason)
{
	uint8_t	 img[80];

	memset(img, 0, sizeof(img));
	memcpy(img, "EPIE", 4);
	img[64] = 16;			/* RO length past the end */
	cr_assert_eq(run_budget(img, 60, 100, 0), RUN_EXIT_ERROR);
	cr_assert_eq(R.outcome, RUN_INVALID_IMAGE);
	cr_assert_str_eq(R.error, "image too short (60 bytes, a header is "
	    "68)");
	cr_assert_eq(run_budget(img, sizeof(img), 100, 0), RUN_EXIT_ERROR);
	cr_assert_not_null(strstr(R.error, "runs past the end"), "%s",
	    R.error);
	cr_assert_not_null(strstr(msgs(), "1 RO section length 16"), "%s",
	    msgs());
	cr_assert_eq(R.instructions, 0);
}

Test(run, assembly_errors_exit_65_each_with_its_position)
{
	cr_assert_eq(run_text("hlt\nbogus\nload $1 #1 #2\n"), RUN_EXIT_ASM);
	cr_assert_eq(R.outcome, RUN_ASM_FAILED);
	cr_assert_eq(strncmp(msgs(), "0 prog.iasm:2:1: ", 17), 0, "%s",
	    msgs());
	cr_assert_not_null(strstr(msgs(), "\n0 prog.iasm:3:"), "%s", msgs());
	cr_assert_str_eq(out(), "");
	cr_assert_null(run_state_json(&R), "state JSON after failed assembly");
}

Test(run, runtime_error_exits_1_and_keeps_the_state)
{
	cr_assert_eq(run_text("load $1 #5\ndiv $1 $0 $2\nhlt\n"),
	    RUN_EXIT_ERROR);
	cr_assert_eq(R.outcome, RUN_ERROR);
	cr_assert_str_eq(R.error, "division by zero at pc 72");
	cr_assert_str_eq(msgs(), "2 division by zero at pc 72\n");
	cr_assert_eq(R.state.reg[1], 5);
	cr_assert_eq(R.state.pc, 72);
	cr_assert_eq(R.instructions, 2);
}

Test(run, budget_exits_2_after_exactly_the_budget)
{
	cr_assert_eq(run_budget("load $4 #4\njmpb $4\n", 18, 1000, 7),
	    RUN_EXIT_BUDGET);
	cr_assert_eq(R.outcome, RUN_BUDGET);
	cr_assert_eq(R.instructions, 1000);
	cr_assert_str_eq(R.error, "");
	cr_assert_str_eq(msgs(), "2 budget of 1000 instructions spent at "
	    "pc 72\n");
	/* Slices of 7 up to 1000: a poll between each pair, none after. */
	cr_assert_eq(H.poll.polls, 142);
}

Test(run, poll_interrupt_and_hangup_stop_the_run)
{
	H.poll.at = 2;
	H.poll.answer = REPL_POLL_INTERRUPT;
	cr_assert_eq(run_budget("load $4 #4\njmpb $4\n", 18, 1000000, 100),
	    RUN_EXIT_ERROR);
	cr_assert_eq(R.outcome, RUN_INTERRUPTED);
	cr_assert_eq(R.instructions, 200);
	cr_assert_str_eq(R.error, "interrupted at pc 72");
	H.poll.polls = 0;
	H.poll.answer = REPL_POLL_HANGUP;
	run_budget("load $4 #4\njmpb $4\n", 18, 1000000, 100);
	cr_assert_eq(R.outcome, RUN_HANGUP);
	cr_assert_eq(R.status, RUN_EXIT_ERROR);
}

Test(run, refused_output_stops_the_run)
{
	H.refuse = 1;
	cr_assert_eq(run_text(hello), RUN_EXIT_ERROR);
	cr_assert_eq(R.outcome, RUN_HANGUP);
	cr_assert_eq(R.instructions, 1);
}

Test(run, heap_below_64_is_refused)
{
	struct run_config cfg = { 10, 63, 64, 0, NULL };
	struct run_io	 io = { NULL, host_message, NULL, &H };

	cr_assert_eq(run_program(&cfg, &io, "hlt", 3, &R), RUN_EXIT_ERROR);
	cr_assert_not_null(strstr(R.error, "below"), "%s", R.error);
}

Test(run, null_callbacks_are_allowed)
{
	struct run_config cfg = { 10, 64, 0, 0, NULL };
	struct run_io	 io = { NULL, NULL, NULL, NULL };

	cr_assert_eq(run_program(&cfg, &io, hello, strlen(hello), &R), 0);
}

Test(run, exit_statuses_follow_isa_md)
{
	cr_assert_eq(run_exit_status(RUN_HALTED), 0);
	cr_assert_eq(run_exit_status(RUN_END), 0);
	cr_assert_eq(run_exit_status(RUN_ERROR), 1);
	cr_assert_eq(run_exit_status(RUN_INVALID_IMAGE), 1);
	cr_assert_eq(run_exit_status(RUN_BUDGET), 2);
	cr_assert_eq(run_exit_status(RUN_ASM_FAILED), 65);
	cr_assert_eq(RUN_EXIT_USAGE, 64);
}

/* --- the state JSON --------------------------------------------------------- */

static json_t *
state(void)
{
	json_t	*j = run_state_json(&R);
	char	*s;

	cr_assert_not_null(j);
	/* Round-trip through text, as a reader of the file would. */
	s = json_dumps(j, 0);
	json_decref(j);
	cr_assert_not_null(s);
	j = json_loads(s, 0, NULL);
	free(s);
	cr_assert_not_null(j);
	return j;
}

Test(run, state_json_has_exactly_the_documented_keys)
{
	static const struct vmstate_want vm = { .status = "halted",
	    .pc = 68 + 68, .instructions = 17, .equal_flag = true,
	    .remainder = 1, .loop_counter = 9, .heap_bytes = 100,
	    .stack_depth = 1 };
	json_t	*j;

	run_text("load $1 #7\nload $2 #2\ndiv $1 $2 $3\neq $1 $1\n"
	    "cloop #9\nload $5 #36\naloc $5\npush $1\nloadf64 $1 #1\n"
	    "loadf64 $2 #0\ndivf64 $1 $2 $3\nloadf64 $4 #-1\n"
	    "divf64 $4 $2 $5\ndivf64 $2 $2 $6\nloadf64 $7 #3\n"
	    "divf64 $1 $7 $8\nhlt\n");
	j = state();
	vmstate_assert(j, &vm);
	cr_assert_eq(json_integer_value(json_array_get(json_object_get(j,
	    "registers"), 3)), 3);
	json_decref(j);
}

Test(run, state_json_writes_non_finite_floats_as_strings)
{
	json_t	*j, *f;

	run_text("loadf64 $1 #1\nloadf64 $2 #0\ndivf64 $1 $2 $3\n"
	    "loadf64 $4 #-1\ndivf64 $4 $2 $5\ndivf64 $2 $2 $6\n"
	    "loadf64 $7 #3\ndivf64 $1 $7 $8\n");
	j = state();
	f = json_object_get(j, "float_registers");
	cr_assert_str_eq(json_string_value(json_array_get(f, 3)), "inf");
	cr_assert_str_eq(json_string_value(json_array_get(f, 5)), "-inf");
	cr_assert_str_eq(json_string_value(json_array_get(f, 6)), "nan");
	cr_assert(json_is_real(json_array_get(f, 1)));
	cr_assert_eq(json_real_value(json_array_get(f, 1)), 1.0);
	cr_assert_eq(json_real_value(json_array_get(f, 8)), 1.0 / 3.0);
	cr_assert(json_is_real(json_array_get(f, 0)));
	cr_assert_str_eq(json_string_value(json_object_get(j, "status")),
	    "end");
	cr_assert(json_is_false(json_object_get(j, "equal_flag")));
	json_decref(j);
}

Test(run, state_json_of_errors_budget_and_bad_images)
{
	static const struct vmstate_want fault = { .status = "error",
	    .error = "division by zero at pc 72", .pc = 72, .instructions = 2,
	    .heap_bytes = 64 };
	json_t	*j;
	uint8_t	 img[4] = { 'E', 'P', 'I', 'E' };

	run_text("load $1 #1\ndiv $1 $0 $1\n");
	j = state();
	vmstate_assert(j, &fault);
	json_decref(j);

	run_budget("load $4 #4\njmpb $4\n", 18, 50, 0);
	j = state();
	cr_assert_str_eq(json_string_value(json_object_get(j, "status")),
	    "budget");
	cr_assert(json_is_null(json_object_get(j, "error")));
	cr_assert_eq(json_integer_value(json_object_get(j, "instructions")),
	    50);
	json_decref(j);

	run_budget(img, sizeof(img), 50, 0);
	j = state();
	cr_assert_str_eq(json_string_value(json_object_get(j, "status")),
	    "error");
	cr_assert_str_eq(json_string_value(json_object_get(j, "error")),
	    "image too short (4 bytes, a header is 68)");
	cr_assert_eq(json_integer_value(json_object_get(j, "pc")), 0);
	cr_assert_eq(json_integer_value(json_object_get(j, "instructions")),
	    0);
	cr_assert_eq(json_array_size(json_object_get(j, "registers")), 32);
	json_decref(j);
}

/* --- run_vm and run_escape ---------------------------------------------------- */

Test(run, run_vm_continues_a_vm_exactly)
{
	static const uint8_t code[] = {
		0, 4, 0, 8,		/* load $4 #8 */
		18, 1, 0, 0,		/* inc $1 */
		8, 4, 0, 0,		/* jmpb $4: back to the inc */
	};
	struct vm_limits lim = { 64, 0 };
	struct image	 img = { NULL, 0, code, sizeof(code) };
	struct vm	*vm = vm_new(&lim);
	uint64_t	 n;

	cr_assert_not_null(vm);
	cr_assert_eq(vm_load(vm, &img), 0);
	cr_assert_eq(run_vm(vm, 11, 3, NULL, NULL, &n), RUN_BUDGET);
	cr_assert_eq(n, 11);
	cr_assert_eq(run_vm(vm, 10, 0, NULL, NULL, &n), RUN_BUDGET);
	cr_assert_eq(n, 10);
	/* 1 load + 20 of inc/jmpb: inc ran 10 times. */
	cr_assert_eq(vm_state(vm)->reg[1], 10);
	vm_free(vm);
}

static char *
escaped(const char *s, size_t len)
{
	struct buf	 b;

	buf_init(&b, 0);
	cr_assert_eq(run_escape(&b, s, len), 0);
	return buf_steal(&b);
}

Test(run, escape_keeps_text_and_hides_control_bytes)
{
	static const struct {
		const char	*in;
		size_t		 len;
		const char	*want;
	} cases[] = {
		{ "plain text; $1 @x #2", 20, "plain text; $1 @x #2" },
		{ "tab\there", 8, "tab\there" },
		{ "nul\0x", 5, "nul\\x00x" },
		{ "esc\x1b[2J", 7, "esc\\x1b[2J" },
		{ "del\x7f", 4, "del\\x7f" },
		{ "nl\ncr\r", 6, "nl\\x0acr\\x0d" },
		{ "caf\xc3\xa9", 5, "caf\xc3\xa9" },
		{ "\xe2\x82\xac euro", 8, "\xe2\x82\xac euro" },
		{ "\xf0\x9f\x98\x80", 4, "\xf0\x9f\x98\x80" },
		{ "csi\xc2\x9b", 5, "csi\\xc2\\x9b" },
		{ "\xff\xfe", 2, "\\xff\\xfe" },
		{ "cut\xe2\x82", 5, "cut\\xe2\\x82" },
		{ "\xc0\xaf", 2, "\\xc0\\xaf" },		/* overlong */
		{ "\xed\xa0\x80", 3, "\\xed\\xa0\\x80" },	/* surrogate */
		{ "\xf4\x90\x80\x80", 4, "\\xf4\\x90\\x80\\x80" },
	};
	size_t	 i;
	char	*s;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		s = escaped(cases[i].in, cases[i].len);
		cr_assert_str_eq(s, cases[i].want, "case %zu", i);
		free(s);
	}
}
