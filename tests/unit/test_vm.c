/*
 * test_vm.c: the VM against iridium(7), opcode by opcode, with
 * hand-encoded images so these tests stand apart from the assembler.
 */
#include <criterion/criterion.h>
#include <float.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "image.h"
#include "isa.h"
#include "vm.h"

#define BASE	ISA_RO_OFFSET	/* code start when there is no RO data */

/* Instruction encoders. */
#define I0(op)		(op), 0, 0, 0
#define IR(op, r)	(op), (r), 0, 0
#define IRR(op, a, b)	(op), (a), (b), 0
#define IRRR(op, a, b, c) (op), (a), (b), (c)
#define IRN(op, r, n)	(op), (r), (uint8_t)((uint16_t)(n) >> 8), (uint8_t)(n)
#define IN(op, n)	(op), (uint8_t)((uint16_t)(n) >> 8), (uint8_t)(n), 0

struct fixture {
	struct vm	*vm;
	struct buf	 out;
	int		 refuse;	/* output callback returns -1 */
	uint64_t	 executed;
};

static int
collect(void *arg, const uint8_t *p, size_t n)
{
	struct fixture	*fx = arg;

	if (fx->refuse)
		return -1;
	return buf_append(&fx->out, p, n);
}

static void
fx_init(struct fixture *fx, uint32_t heap, uint32_t stack)
{
	struct vm_limits lim = { heap, stack };

	memset(fx, 0, sizeof(*fx));
	fx->vm = vm_new(&lim);
	cr_assert_not_null(fx->vm);
	buf_init(&fx->out, 0);
	vm_set_output(fx->vm, collect, fx);
}

static void
fx_free(struct fixture *fx)
{
	vm_free(fx->vm);
	buf_free(&fx->out);
}

static void
fx_load(struct fixture *fx, const uint8_t *ro, uint32_t ro_len,
    const uint8_t *code, uint32_t code_len)
{
	struct image img = { ro, ro_len, code, code_len };

	cr_assert_eq(vm_load(fx->vm, &img), 0);
}

static enum vm_status
fx_run(struct fixture *fx, uint64_t budget)
{
	return vm_run(fx->vm, budget, &fx->executed);
}

/* Load code (no RO) into a default VM and run it with a big budget. */
#define RUN(fx, ...) do {						\
		static const uint8_t code_[] = { __VA_ARGS__ };		\
		fx_init((fx), VM_DEFAULT_HEAP, VM_DEFAULT_STACK);	\
		fx_load((fx), NULL, 0, code_, sizeof(code_));		\
		st = fx_run((fx), 1000000);				\
	} while (0)

#define R(fx, n)	(vm_state((fx)->vm)->reg[n])
#define F(fx, n)	(vm_state((fx)->vm)->freg[n])
#define PC(fx)		(vm_state((fx)->vm)->pc)
#define FLAG(fx)	(vm_state((fx)->vm)->equal_flag)

static void
expect_error(struct fixture *fx, enum vm_status st, const char *msg,
    uint32_t pc)
{
	char	 want[200];

	cr_assert_eq(st, VM_ERROR, "status %s", vm_status_name(st));
	snprintf(want, sizeof(want), "%s at pc %u", msg, pc);
	cr_assert_str_eq(vm_error(fx->vm), want);
	cr_assert_eq(PC(fx), pc, "pc %u, want %u", PC(fx), pc);
}

/* The run printed exactly want. */
static void
expect_output(const struct fixture *fx, const char *want)
{
	cr_assert_eq(fx->out.len, strlen(want), "output %zu bytes, want "
	    "'%s'", fx->out.len, want);
	cr_assert_eq(memcmp(fx->out.data, want, strlen(want)), 0);
}

Test(vm, limits_below_initial_heap_rejected)
{
	struct vm_limits lim = { VM_HEAP_INITIAL - 1, 10 };

	cr_assert_null(vm_new(&lim));
}

Test(vm, empty_program_ends_at_once)
{
	struct fixture fx;
	enum vm_status st;

	fx_init(&fx, VM_DEFAULT_HEAP, 16);
	st = fx_run(&fx, 10);
	cr_assert_eq(st, VM_END);
	cr_assert_eq(fx.executed, 0);
	fx_load(&fx, NULL, 0, NULL, 0);
	cr_assert_eq(fx_run(&fx, 10), VM_END);
	cr_assert_eq(PC(&fx), BASE);
	fx_free(&fx);
}

Test(vm, load_sign_extends)
{
	struct fixture fx;
	enum vm_status st;

	RUN(&fx, IRN(OP_LOAD, 0, 0xffff), IRN(OP_LOAD, 1, 0x7fff),
	    IRN(OP_LOAD, 2, 0x8000), IRN(OP_LOAD, 31, 5));
	cr_assert_eq(st, VM_END);
	cr_assert_eq(R(&fx, 0), -1);
	cr_assert_eq(R(&fx, 1), 32767);
	cr_assert_eq(R(&fx, 2), -32768);
	cr_assert_eq(R(&fx, 31), 5);
	cr_assert_eq(fx.executed, 4);
	cr_assert_eq(PC(&fx), BASE + 16);
	fx_free(&fx);
}

Test(vm, arithmetic_wraps)
{
	struct fixture fx;
	enum vm_status st;

	/* $0 = INT_MAX via load+lui, then +1, -, * */
	RUN(&fx, IRN(OP_LOAD, 0, 0x7fff), IRN(OP_LUI, 0, 0xffff),
	    IRN(OP_LOAD, 1, 1), IRRR(OP_ADD, 0, 1, 2),
	    IRRR(OP_SUB, 2, 1, 3), IRRR(OP_MUL, 0, 0, 4),
	    IRN(OP_LOAD, 5, 7), IRN(OP_LOAD, 6, -3),
	    IRRR(OP_MUL, 5, 6, 7), IRRR(OP_SUB, 5, 6, 8));
	cr_assert_eq(st, VM_END);
	cr_assert_eq(R(&fx, 0), INT32_MAX);
	cr_assert_eq(R(&fx, 2), INT32_MIN);
	cr_assert_eq(R(&fx, 3), INT32_MAX);
	cr_assert_eq(R(&fx, 4), 1);	/* (2^31-1)^2 mod 2^32 */
	cr_assert_eq(R(&fx, 7), -21);
	cr_assert_eq(R(&fx, 8), 10);
	fx_free(&fx);
}

Test(vm, div_truncates_and_sets_remainder)
{
	struct fixture fx;
	enum vm_status st;

	RUN(&fx, IRN(OP_LOAD, 0, -7), IRN(OP_LOAD, 1, 2),
	    IRRR(OP_DIV, 0, 1, 2));
	cr_assert_eq(st, VM_END);
	cr_assert_eq(R(&fx, 2), -3);
	cr_assert_eq(vm_state(fx.vm)->remainder, -1);
	fx_free(&fx);

	RUN(&fx, IRN(OP_LOAD, 0, 7), IRN(OP_LOAD, 1, -2),
	    IRRR(OP_DIV, 0, 1, 0));
	cr_assert_eq(R(&fx, 0), -3);
	cr_assert_eq(vm_state(fx.vm)->remainder, 1);
	fx_free(&fx);
}

Test(vm, div_int_min_by_minus_one)
{
	struct fixture fx;
	enum vm_status st;

	RUN(&fx, IRN(OP_LOAD, 0, 0x8000), IRN(OP_LUI, 0, 0),
	    IRN(OP_LOAD, 1, -1), IRN(OP_LOAD, 9, 0),
	    IRRR(OP_DIV, 0, 1, 2));
	cr_assert_eq(st, VM_END);
	cr_assert_eq(R(&fx, 0), INT32_MIN);
	cr_assert_eq(R(&fx, 2), INT32_MIN);
	cr_assert_eq(vm_state(fx.vm)->remainder, 0);
	fx_free(&fx);
}

Test(vm, div_by_zero_faults_and_changes_nothing)
{
	struct fixture fx;
	enum vm_status st;

	RUN(&fx, IRN(OP_LOAD, 0, 9), IRN(OP_LOAD, 2, 77),
	    IRRR(OP_DIV, 0, 1, 2), IRN(OP_LOAD, 3, 1));
	expect_error(&fx, st, "division by zero", BASE + 8);
	cr_assert_eq(R(&fx, 2), 77);
	cr_assert_eq(R(&fx, 3), 0);
	cr_assert_eq(vm_state(fx.vm)->remainder, 0);
	cr_assert_eq(fx.executed, 3, "the faulting instruction counts");
	fx_free(&fx);
}

Test(vm, hlt_stops_and_advances_pc)
{
	struct fixture fx;
	enum vm_status st;

	RUN(&fx, IRN(OP_LOAD, 0, 1), I0(OP_HLT), IRN(OP_LOAD, 0, 2));
	cr_assert_eq(st, VM_HALTED);
	cr_assert_eq(R(&fx, 0), 1);
	cr_assert_eq(PC(&fx), BASE + 8);
	cr_assert_eq(fx.executed, 2);
	/* Running again continues after the HLT. */
	cr_assert_eq(fx_run(&fx, 100), VM_END);
	cr_assert_eq(R(&fx, 0), 2);
	fx_free(&fx);
}

Test(vm, jmp_absolute)
{
	struct fixture fx;
	enum vm_status st;

	RUN(&fx, IRN(OP_LOAD, 0, BASE + 12), IR(OP_JMP, 0),
	    IRN(OP_LOAD, 1, 1), IRN(OP_LOAD, 2, 2));
	cr_assert_eq(st, VM_END);
	cr_assert_eq(R(&fx, 1), 0);
	cr_assert_eq(R(&fx, 2), 2);
	cr_assert_eq(fx.executed, 3);
	fx_free(&fx);
}

Test(vm, jmp_to_end_of_code_ends_normally)
{
	struct fixture fx;
	enum vm_status st;

	RUN(&fx, IRN(OP_LOAD, 0, BASE + 12), IR(OP_JMP, 0),
	    IRN(OP_LOAD, 1, 1));
	cr_assert_eq(st, VM_END);
	cr_assert_eq(R(&fx, 1), 0);
	fx_free(&fx);
}

Test(vm, jmp_bad_targets_fault)
{
	struct fixture fx;
	enum vm_status st;

	/* not aligned */
	RUN(&fx, IRN(OP_LOAD, 0, BASE + 2), IR(OP_JMP, 0));
	expect_error(&fx, st, "invalid jump target 70", BASE + 4);
	fx_free(&fx);
	/* past the end */
	RUN(&fx, IRN(OP_LOAD, 0, BASE + 12), IR(OP_JMP, 0));
	expect_error(&fx, st, "invalid jump target 80", BASE + 4);
	fx_free(&fx);
	/* into the header */
	RUN(&fx, IRN(OP_LOAD, 0, 0), IR(OP_JMP, 0));
	expect_error(&fx, st, "invalid jump target 0", BASE + 4);
	fx_free(&fx);
	/* negative */
	RUN(&fx, IRN(OP_LOAD, 0, -4), IR(OP_JMP, 0));
	expect_error(&fx, st, "invalid jump target -4", BASE + 4);
	fx_free(&fx);
}

Test(vm, jmpf_jmpb_relative_to_next_instruction)
{
	struct fixture fx;
	enum vm_status st;

	/* jmpf $0 with $0 = 4 skips one instruction. */
	RUN(&fx, IRN(OP_LOAD, 0, 4), IR(OP_JMPF, 0), IRN(OP_LOAD, 1, 1),
	    IRN(OP_LOAD, 2, 2));
	cr_assert_eq(st, VM_END);
	cr_assert_eq(R(&fx, 1), 0);
	cr_assert_eq(R(&fx, 2), 2);
	fx_free(&fx);

	/* jmpf $0 with $0 = 0 goes to the next instruction. */
	RUN(&fx, IRN(OP_LOAD, 0, 0), IR(OP_JMPF, 0), IRN(OP_LOAD, 1, 1));
	cr_assert_eq(R(&fx, 1), 1);
	fx_free(&fx);

	/*
	 * Count down with jmpb: $0 = 3; loop: dec $0; eq $0 $9; djmpe end;
	 * jmpb $5 (=16, back to loop from S+4).
	 */
	RUN(&fx, IRN(OP_LOAD, 0, 3), IRN(OP_LOAD, 5, 16),
	    IR(OP_DEC, 0), IRR(OP_EQ, 0, 9), IN(OP_DJMPE, BASE + 24),
	    IR(OP_JMPB, 5));
	cr_assert_eq(st, VM_END);
	cr_assert_eq(R(&fx, 0), 0);
	fx_free(&fx);

	RUN(&fx, IRN(OP_LOAD, 0, 12), IR(OP_JMPB, 0));
	expect_error(&fx, st, "invalid jump target 64", BASE + 4);
	fx_free(&fx);
}

Test(vm, jmpb_to_code_start_is_valid)
{
	struct fixture fx;

	/* $0 = 8: jmpb at BASE+4 jumps to BASE+8-8 = BASE: loops forever. */
	fx_init(&fx, VM_DEFAULT_HEAP, 16);
	{
		static const uint8_t c[] = { IRN(OP_LOAD, 0, 8),
		    IR(OP_JMPB, 0) };

		fx_load(&fx, NULL, 0, c, sizeof(c));
	}
	cr_assert_eq(fx_run(&fx, 1001), VM_BUDGET);
	cr_assert_eq(fx.executed, 1001);
	fx_free(&fx);
}

Test(vm, comparisons)
{
	struct fixture fx;
	enum vm_status st;
	static const struct {
		uint8_t	op;
		int	lt, eq, gt;	/* flag for a<b, a==b, a>b */
	} cases[] = {
		{ OP_EQ, 0, 1, 0 }, { OP_NEQ, 1, 0, 1 }, { OP_GTE, 0, 1, 1 },
		{ OP_LTE, 1, 1, 0 }, { OP_LT, 1, 0, 0 }, { OP_GT, 0, 0, 1 },
	};
	size_t	 i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int	 pairs[3][2] = { { -5, 3 }, { 4, 4 }, { 3, -5 } };
		int	 want[3] = { cases[i].lt, cases[i].eq, cases[i].gt };
		int	 j;

		for (j = 0; j < 3; j++) {
			uint8_t code[] = { IRN(OP_LOAD, 1, pairs[j][0]),
			    IRN(OP_LOAD, 2, pairs[j][1]),
			    IRR(cases[i].op, 1, 2) };

			fx_init(&fx, VM_DEFAULT_HEAP, 16);
			fx_load(&fx, NULL, 0, code, sizeof(code));
			st = fx_run(&fx, 100);
			cr_assert_eq(st, VM_END);
			cr_assert_eq(FLAG(&fx), want[j], "op %d case %d",
			    cases[i].op, j);
			fx_free(&fx);
		}
	}
}

Test(vm, jmpe_taken_and_not)
{
	struct fixture fx;
	enum vm_status st;

	RUN(&fx, IRN(OP_LOAD, 0, BASE + 16), IRR(OP_EQ, 1, 2),
	    IR(OP_JMPE, 0), IRN(OP_LOAD, 3, 1), IRN(OP_LOAD, 4, 1));
	cr_assert_eq(st, VM_END);
	cr_assert_eq(R(&fx, 3), 0);
	cr_assert_eq(R(&fx, 4), 1);
	fx_free(&fx);

	RUN(&fx, IRN(OP_LOAD, 0, BASE + 16), IRN(OP_LOAD, 1, 1),
	    IRR(OP_EQ, 1, 2), IR(OP_JMPE, 0), IRN(OP_LOAD, 3, 1));
	cr_assert_eq(R(&fx, 3), 1);
	fx_free(&fx);

	/* A bad target faults only when taken. */
	RUN(&fx, IRN(OP_LOAD, 0, 3), IRN(OP_LOAD, 1, 1), IRR(OP_EQ, 1, 2),
	    IR(OP_JMPE, 0));
	cr_assert_eq(st, VM_END);
	fx_free(&fx);
	RUN(&fx, IRN(OP_LOAD, 0, 3), IRR(OP_EQ, 1, 2), IR(OP_JMPE, 0));
	expect_error(&fx, st, "invalid jump target 3", BASE + 8);
	fx_free(&fx);
}

Test(vm, djmpe_static_target)
{
	struct fixture fx;
	enum vm_status st;

	RUN(&fx, IRR(OP_EQ, 0, 0), IN(OP_DJMPE, BASE + 12),
	    IRN(OP_LOAD, 1, 1), IRN(OP_LOAD, 2, 1));
	cr_assert_eq(st, VM_END);
	cr_assert_eq(R(&fx, 1), 0);
	cr_assert_eq(R(&fx, 2), 1);
	fx_free(&fx);

	RUN(&fx, IRR(OP_NEQ, 0, 0), IN(OP_DJMPE, 9999));
	cr_assert_eq(st, VM_END, "not taken: the bad target is harmless");
	fx_free(&fx);

	RUN(&fx, IRR(OP_EQ, 0, 0), IN(OP_DJMPE, 9999));
	expect_error(&fx, st, "invalid jump target 9999", BASE + 4);
	fx_free(&fx);

	/* To exactly the end of the code: a normal end. */
	RUN(&fx, IRR(OP_EQ, 0, 0), IN(OP_DJMPE, BASE + 12),
	    IRN(OP_LOAD, 1, 1));
	cr_assert_eq(st, VM_END);
	cr_assert_eq(R(&fx, 1), 0);
	fx_free(&fx);
}

Test(vm, nop_inc_dec)
{
	struct fixture fx;
	enum vm_status st;

	RUN(&fx, I0(OP_NOP), IR(OP_INC, 0), IR(OP_INC, 0), IR(OP_DEC, 1),
	    IRN(OP_LOAD, 2, 0x7fff), IRN(OP_LUI, 2, 0xffff), IR(OP_INC, 2));
	cr_assert_eq(st, VM_END);
	cr_assert_eq(R(&fx, 0), 2);
	cr_assert_eq(R(&fx, 1), -1);
	cr_assert_eq(R(&fx, 2), INT32_MIN);
	cr_assert_eq(fx.executed, 7);
	fx_free(&fx);
}

Test(vm, aloc_grows_zeroed_heap_to_the_limit)
{
	struct fixture fx;
	static const uint8_t code[] = { IRN(OP_LOAD, 0, 36), IR(OP_ALOC, 0),
	    IR(OP_ALOC, 0) };

	fx_init(&fx, 100, 16);
	cr_assert_eq(vm_heap_len(fx.vm), 64);
	fx_load(&fx, NULL, 0, code, sizeof(code));
	expect_error(&fx, fx_run(&fx, 100),
	    "heap limit exceeded (36 bytes requested, 100 of 100 in use)",
	    BASE + 8);
	cr_assert_eq(vm_heap_len(fx.vm), 100);
	cr_assert_eq(vm_heap(fx.vm)[99], 0);
	fx_free(&fx);
}

Test(vm, aloc_negative_faults)
{
	struct fixture fx;
	enum vm_status st;

	RUN(&fx, IRN(OP_LOAD, 0, -1), IR(OP_ALOC, 0));
	expect_error(&fx, st,
	    "negative heap allocation (-1 bytes requested, 64 of 1048576 in "
	    "use)", BASE + 4);
	cr_assert_eq(vm_heap_len(fx.vm), 64);
	fx_free(&fx);
}

Test(vm, setm_loadm_little_endian_and_bounds)
{
	struct fixture fx;
	enum vm_status st;

	/* heap[60..63] = 0x12345678, read back; bytes little-endian. */
	RUN(&fx, IRN(OP_LOAD, 1, 0x1234), IRN(OP_LUI, 1, 0x5678),
	    IRN(OP_LOAD, 0, 60), IRR(OP_SETM, 0, 1), IRR(OP_LOADM, 0, 2),
	    IRN(OP_LOAD, 3, 61), IRR(OP_SETM, 3, 1));
	expect_error(&fx, st, "heap write at 61 out of range (heap is 64 "
	    "bytes)", BASE + 24);
	cr_assert_eq(R(&fx, 2), 0x12345678);
	cr_assert_eq(vm_heap(fx.vm)[60], 0x78);
	cr_assert_eq(vm_heap(fx.vm)[63], 0x12);
	fx_free(&fx);

	RUN(&fx, IRN(OP_LOAD, 0, -1), IRR(OP_LOADM, 0, 2));
	expect_error(&fx, st, "heap read at -1 out of range (heap is 64 "
	    "bytes)", BASE + 4);
	fx_free(&fx);
}

Test(vm, prts_writes_verbatim)
{
	struct fixture fx;
	static const uint8_t ro[] = { 'h', 'i', '\n', 0, 'x', 0, 0, 0 };
	static const uint8_t code[] = { IN(OP_PRTS, 0), IN(OP_PRTS, 4),
	    IN(OP_PRTS, 5), IN(OP_PRTS, 0) };

	fx_init(&fx, VM_DEFAULT_HEAP, 16);
	fx_load(&fx, ro, sizeof(ro), code, sizeof(code));
	cr_assert_eq(vm_code_start(fx.vm), BASE + 8);
	cr_assert_eq(fx_run(&fx, 100), VM_END);
	expect_output(&fx, "hi\nxhi\n");
	fx_free(&fx);
}

Test(vm, prts_errors)
{
	struct fixture fx;
	static const uint8_t ro[] = { 'a', 'b', 'c', 'd' };
	static const uint8_t c1[] = { IN(OP_PRTS, 4) };
	static const uint8_t c2[] = { IN(OP_PRTS, 1) };

	fx_init(&fx, VM_DEFAULT_HEAP, 16);
	fx_load(&fx, ro, sizeof(ro), c1, sizeof(c1));
	expect_error(&fx, fx_run(&fx, 10),
	    "PRTS offset 4 out of range (RO data is 4 bytes)", BASE + 4);
	fx_load(&fx, ro, sizeof(ro), c2, sizeof(c2));
	expect_error(&fx, fx_run(&fx, 10),
	    "PRTS string at offset 1 has no NUL", BASE + 4);
	cr_assert_eq(fx.out.len, 0);
	fx_free(&fx);
}

Test(vm, output_refusal_aborts_after_the_write)
{
	struct fixture fx;
	static const uint8_t ro[] = { 'a', 0, 0, 0 };
	static const uint8_t code[] = { IN(OP_PRTS, 0), IR(OP_INC, 0) };

	fx_init(&fx, VM_DEFAULT_HEAP, 16);
	fx.refuse = 1;
	fx_load(&fx, ro, sizeof(ro), code, sizeof(code));
	cr_assert_eq(fx_run(&fx, 10), VM_ABORTED);
	cr_assert_eq(fx.executed, 1);
	cr_assert_eq(PC(&fx), BASE + 8);
	cr_assert_eq(R(&fx, 0), 0);
	fx_free(&fx);
}

Test(vm, float_arithmetic)
{
	struct fixture fx;
	enum vm_status st;

	RUN(&fx, IRN(OP_LOADF64, 0, 7), IRN(OP_LOADF64, 1, -2),
	    IRRR(OP_ADDF64, 0, 1, 2), IRRR(OP_SUBF64, 0, 1, 3),
	    IRRR(OP_MULF64, 0, 1, 4), IRRR(OP_DIVF64, 0, 1, 5),
	    IRRR(OP_DIVF64, 0, 9, 6), IRRR(OP_DIVF64, 9, 9, 7),
	    IRRR(OP_DIVF64, 1, 9, 8));
	cr_assert_eq(st, VM_END);
	cr_assert_float_eq(F(&fx, 2), 5.0, 0);
	cr_assert_float_eq(F(&fx, 3), 9.0, 0);
	cr_assert_float_eq(F(&fx, 4), -14.0, 0);
	cr_assert_float_eq(F(&fx, 5), -3.5, 0);
	cr_assert(isinf(F(&fx, 6)) && F(&fx, 6) > 0, "7/0 is +inf");
	cr_assert(isnan(F(&fx, 7)), "0/0 is nan");
	cr_assert(isinf(F(&fx, 8)) && F(&fx, 8) < 0, "-2/0 is -inf");
	cr_assert_eq(R(&fx, 0), 0, "integer registers untouched");
	fx_free(&fx);
}

Test(vm, float_comparisons)
{
	struct fixture fx;
	struct vm_state *s;
	static const uint8_t code[] = { IRR(OP_EQF64, 0, 1) };
	static const struct {
		uint8_t	op;
		double	a, b;
		bool	want;
	} cases[] = {
		{ OP_EQF64, 1.0, 1.0, true },
		{ OP_EQF64, 1.0, 1.0 + DBL_EPSILON / 2, true },
		{ OP_EQF64, 1.0, 1.0 + 4 * DBL_EPSILON, false },
		{ OP_EQF64, NAN, NAN, false },
		{ OP_NEQF64, 1.0, 1.0 + DBL_EPSILON / 2, false },
		{ OP_NEQF64, 1.0, 2.0, true },
		{ OP_NEQF64, NAN, 1.0, true },
		{ OP_GTF64, 2.0, 1.0, true }, { OP_GTF64, 1.0, 1.0, false },
		{ OP_GTEF64, 1.0, 1.0, true }, { OP_GTEF64, 0.5, 1.0, false },
		{ OP_LTF64, 0.5, 1.0, true }, { OP_LTF64, 1.0, 1.0, false },
		{ OP_LTEF64, 1.0, 1.0, true }, { OP_LTEF64, 2.0, 1.0, false },
		{ OP_LTF64, NAN, 1.0, false },
	};
	size_t	 i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		uint8_t c[4];

		memcpy(c, code, 4);
		c[0] = cases[i].op;
		fx_init(&fx, VM_DEFAULT_HEAP, 16);
		fx_load(&fx, NULL, 0, c, 4);
		s = vm_state(fx.vm);
		s->freg[0] = cases[i].a;
		s->freg[1] = cases[i].b;
		s->equal_flag = !cases[i].want;
		cr_assert_eq(fx_run(&fx, 10), VM_END);
		cr_assert_eq(s->equal_flag, cases[i].want, "case %zu", i);
		fx_free(&fx);
	}
}

Test(vm, shifts_and_bitwise)
{
	struct fixture fx;
	enum vm_status st;

	RUN(&fx, IRN(OP_LOAD, 0, 1), IRN(OP_SHL, 0, 31),
	    IRN(OP_LOAD, 1, -16), IRN(OP_SHR, 1, 2),
	    IRN(OP_LOAD, 2, 0x0ff0), IRN(OP_LOAD, 3, 0x00ff),
	    IRRR(OP_AND, 2, 3, 4), IRRR(OP_OR, 2, 3, 5),
	    IRRR(OP_XOR, 2, 3, 6), IRR(OP_NOT, 2, 7),
	    IRN(OP_LOAD, 8, 5), IRN(OP_SHL, 8, 0));
	cr_assert_eq(st, VM_END);
	cr_assert_eq(R(&fx, 0), INT32_MIN);
	cr_assert_eq(R(&fx, 1), -4, "SHR is arithmetic");
	cr_assert_eq(R(&fx, 4), 0x00f0);
	cr_assert_eq(R(&fx, 5), 0x0fff);
	cr_assert_eq(R(&fx, 6), 0x0f0f);
	cr_assert_eq(R(&fx, 7), ~0x0ff0);
	cr_assert_eq(R(&fx, 8), 5);
	fx_free(&fx);
}

Test(vm, shift_count_past_31_faults_when_executed)
{
	struct fixture fx;
	enum vm_status st;

	RUN(&fx, IRN(OP_LOAD, 0, 3), IRN(OP_SHL, 0, 32));
	expect_error(&fx, st, "shift count 32 out of range (0..31)", BASE + 4);
	cr_assert_eq(R(&fx, 0), 3);
	fx_free(&fx);
	RUN(&fx, IRN(OP_SHR, 0, 0xffff));
	expect_error(&fx, st, "shift count 65535 out of range (0..31)", BASE);
	fx_free(&fx);
}

Test(vm, lui_builds_every_value)
{
	static const uint32_t vals[] = { 0, 1, 0xffff, 0x10000, 0x7fffffff,
	    0x80000000, 0xffffffff, 0x12345678, 0xfffe0001 };
	size_t	 i;

	for (i = 0; i < sizeof(vals) / sizeof(vals[0]); i++) {
		struct fixture fx;
		uint8_t code[] = { IRN(OP_LOAD, 4, vals[i] >> 16),
		    IRN(OP_LUI, 4, vals[i] & 0xffff) };

		fx_init(&fx, VM_DEFAULT_HEAP, 16);
		fx_load(&fx, NULL, 0, code, sizeof(code));
		cr_assert_eq(fx_run(&fx, 10), VM_END);
		cr_assert_eq((uint32_t)R(&fx, 4), vals[i], "0x%x", vals[i]);
		fx_free(&fx);
	}
}

Test(vm, cloop_loop_runs_body_n_plus_one_times)
{
	struct fixture fx;
	enum vm_status st;

	RUN(&fx, IN(OP_CLOOP, 3), IR(OP_INC, 0), IN(OP_LOOP, BASE + 4));
	cr_assert_eq(st, VM_END);
	cr_assert_eq(R(&fx, 0), 4);
	cr_assert_eq(vm_state(fx.vm)->loop_counter, 0);
	fx_free(&fx);

	RUN(&fx, IN(OP_CLOOP, 65535), IN(OP_LOOP, BASE + 10));
	expect_error(&fx, st, "invalid jump target 78", BASE + 4);
	cr_assert_eq(vm_state(fx.vm)->loop_counter, 65535,
	    "a faulting LOOP does not decrement");
	fx_free(&fx);
}

Test(vm, push_pop_and_limits)
{
	struct fixture fx;
	static const uint8_t code[] = { IRN(OP_LOAD, 0, 5), IR(OP_PUSH, 0),
	    IR(OP_INC, 0), IR(OP_PUSH, 0), IR(OP_POP, 1), IR(OP_POP, 2),
	    IR(OP_POP, 3) };
	static const uint8_t over[] = { IR(OP_PUSH, 0), IR(OP_PUSH, 0),
	    IR(OP_PUSH, 0), IR(OP_PUSH, 0) };

	fx_init(&fx, VM_DEFAULT_HEAP, 16);
	fx_load(&fx, NULL, 0, code, sizeof(code));
	expect_error(&fx, fx_run(&fx, 100), "stack underflow", BASE + 24);
	cr_assert_eq(R(&fx, 1), 6);
	cr_assert_eq(R(&fx, 2), 5);
	cr_assert_eq(vm_stack_depth(fx.vm), 0);
	fx_free(&fx);

	fx_init(&fx, VM_DEFAULT_HEAP, 3);
	fx_load(&fx, NULL, 0, over, sizeof(over));
	expect_error(&fx, fx_run(&fx, 100),
	    "stack overflow (limit 3 entries)", BASE + 12);
	cr_assert_eq(vm_stack_depth(fx.vm), 3);
	fx_free(&fx);
}

Test(vm, call_ret_frames)
{
	struct fixture fx;
	enum vm_status st;

	/*
	 *  0: call f        (BASE+12)
	 *  4: load $1 #1
	 *  8: hlt
	 * 12: f: load $0 #7
	 * 16: ret
	 */
	RUN(&fx, IN(OP_CALL, BASE + 12), IRN(OP_LOAD, 1, 1), I0(OP_HLT),
	    IRN(OP_LOAD, 0, 7), I0(OP_RET));
	cr_assert_eq(st, VM_HALTED);
	cr_assert_eq(R(&fx, 0), 7);
	cr_assert_eq(R(&fx, 1), 1);
	cr_assert_eq(vm_stack_depth(fx.vm), 0);
	cr_assert_eq(fx.executed, 5);
	fx_free(&fx);
}

Test(vm, call_errors_push_nothing)
{
	struct fixture fx;
	static const uint8_t bad[] = { IN(OP_CALL, 3) };
	static const uint8_t deep[] = { IN(OP_CALL, BASE) };

	fx_init(&fx, VM_DEFAULT_HEAP, 16);
	fx_load(&fx, NULL, 0, bad, sizeof(bad));
	expect_error(&fx, fx_run(&fx, 100), "invalid jump target 3", BASE);
	cr_assert_eq(vm_stack_depth(fx.vm), 0);
	fx_free(&fx);

	/* Unbounded recursion stops at the stack limit (odd limit). */
	fx_init(&fx, VM_DEFAULT_HEAP, 7);
	fx_load(&fx, NULL, 0, deep, sizeof(deep));
	expect_error(&fx, fx_run(&fx, 100), "stack overflow (limit 7 entries)",
	    BASE);
	cr_assert_eq(vm_stack_depth(fx.vm), 6);
	cr_assert_eq(fx.executed, 4);
	fx_free(&fx);
}

Test(vm, ret_requires_a_frame)
{
	struct fixture fx;
	enum vm_status st;

	RUN(&fx, I0(OP_RET));
	expect_error(&fx, st, "RET without a valid frame (bp 0, sp 0)", BASE);
	fx_free(&fx);

	/* A corrupted return address faults and leaves the stack as is. */
	RUN(&fx, IN(OP_CALL, BASE + 8), I0(OP_HLT), IR(OP_POP, 5),
	    IR(OP_POP, 6), IRN(OP_LOAD, 7, 2), IR(OP_PUSH, 7), IR(OP_PUSH, 5),
	    I0(OP_RET));
	cr_assert_eq(R(&fx, 6), BASE + 4);
	expect_error(&fx, st, "invalid return address 2", BASE + 28);
	cr_assert_eq(vm_stack_depth(fx.vm), 2);
	fx_free(&fx);
}

Test(vm, illegal_instructions)
{
	struct fixture fx;
	enum vm_status st;

	RUN(&fx, IR(OP_INC, 0), I0(OP_IGL));
	expect_error(&fx, st, "illegal instruction", BASE + 4);
	cr_assert_eq(fx.executed, 2);
	fx_free(&fx);
	RUN(&fx, I0(48));
	expect_error(&fx, st, "illegal instruction (opcode 48)", BASE);
	fx_free(&fx);
	RUN(&fx, I0(255));
	expect_error(&fx, st, "illegal instruction (opcode 255)", BASE);
	fx_free(&fx);
}

Test(vm, bad_register_faults_only_when_executed)
{
	struct fixture fx;
	enum vm_status st;

	RUN(&fx, IRN(OP_LOAD, 0, BASE + 12), IR(OP_JMP, 0), IR(OP_INC, 32),
	    IR(OP_INC, 1));
	cr_assert_eq(st, VM_END);
	cr_assert_eq(R(&fx, 1), 1);
	fx_free(&fx);
	RUN(&fx, IRRR(OP_ADD, 1, 2, 200));
	expect_error(&fx, st, "invalid register 200", BASE);
	fx_free(&fx);
	RUN(&fx, IRN(OP_LOADF64, 40, 1));
	expect_error(&fx, st, "invalid register 40", BASE);
	fx_free(&fx);
}

Test(vm, padding_bytes_are_ignored)
{
	struct fixture fx;
	enum vm_status st;

	RUN(&fx, OP_INC, 0, 0xaa, 0xbb, OP_HLT, 1, 2, 3, OP_LOAD, 1, 0, 9);
	cr_assert_eq(st, VM_HALTED);
	cr_assert_eq(R(&fx, 0), 1);
	fx_free(&fx);
}

Test(vm, budget_is_exact)
{
	struct fixture fx;
	/* load; loop: inc; jmp loop -- every count from 0 to 50 */
	static const uint8_t code[] = { IRN(OP_LOAD, 1, BASE + 4),
	    IR(OP_INC, 0), I0(OP_NOP), I0(OP_NOP), IR(OP_JMP, 1) };
	uint64_t b;

	for (b = 0; b <= 50; b++) {
		uint64_t k = b == 0 ? 0 : b - 1;	/* after the load */
		int32_t	 incs = (int32_t)((k + 3) / 4);

		fx_init(&fx, VM_DEFAULT_HEAP, 16);
		fx_load(&fx, NULL, 0, code, sizeof(code));
		cr_assert_eq(fx_run(&fx, b), VM_BUDGET, "budget %lu", b);
		cr_assert_eq(fx.executed, b);
		cr_assert_eq(R(&fx, 0), incs, "budget %lu: %d incs, want %d",
		    b, R(&fx, 0), incs);
		cr_assert_eq(PC(&fx), b == 0 ? BASE : BASE + 4 + 4 * (k % 4),
		    "budget %lu pc %u", b, PC(&fx));
		fx_free(&fx);
	}
}

Test(vm, budget_resumes_exactly_where_it_stopped)
{
	struct fixture fx, ref;
	static const uint8_t code[] = { IN(OP_CLOOP, 1000), IR(OP_INC, 0),
	    IRRR(OP_ADD, 0, 1, 1), IN(OP_LOOP, BASE + 4), I0(OP_HLT) };
	uint64_t total = 0;
	enum vm_status st;

	fx_init(&ref, VM_DEFAULT_HEAP, 16);
	fx_load(&ref, NULL, 0, code, sizeof(code));
	cr_assert_eq(fx_run(&ref, 1000000), VM_HALTED);

	fx_init(&fx, VM_DEFAULT_HEAP, 16);
	fx_load(&fx, NULL, 0, code, sizeof(code));
	while ((st = fx_run(&fx, 7)) == VM_BUDGET)
		total += fx.executed;
	total += fx.executed;
	cr_assert_eq(st, VM_HALTED);
	cr_assert_eq(total, ref.executed);
	cr_assert_eq(R(&fx, 1), R(&ref, 1));
	cr_assert_eq(PC(&fx), PC(&ref));
	fx_free(&fx);
	fx_free(&ref);
}

Test(vm, end_takes_priority_over_budget)
{
	struct fixture fx;
	static const uint8_t code[] = { IR(OP_INC, 0), IR(OP_INC, 0) };

	fx_init(&fx, VM_DEFAULT_HEAP, 16);
	fx_load(&fx, NULL, 0, code, sizeof(code));
	cr_assert_eq(fx_run(&fx, 2), VM_END);
	cr_assert_eq(fx.executed, 2);
	cr_assert_eq(fx_run(&fx, 0), VM_END);
	fx_free(&fx);
}

Test(vm, fault_counts_exactly_inside_a_long_block)
{
	struct fixture fx;
	static const uint8_t code[] = { IR(OP_INC, 0), IR(OP_INC, 0),
	    IRRR(OP_DIV, 0, 1, 2), IR(OP_INC, 0), IR(OP_INC, 0) };

	fx_init(&fx, VM_DEFAULT_HEAP, 16);
	fx_load(&fx, NULL, 0, code, sizeof(code));
	cr_assert_eq(fx_run(&fx, 100), VM_ERROR);
	cr_assert_eq(fx.executed, 3);
	/* Again with a budget that ends inside the block. */
	fx_load(&fx, NULL, 0, code, sizeof(code));
	vm_clear_registers(fx.vm);
	cr_assert_eq(fx_run(&fx, 4), VM_ERROR);
	cr_assert_eq(fx.executed, 3);
	fx_load(&fx, NULL, 0, code, sizeof(code));
	cr_assert_eq(fx_run(&fx, 2), VM_BUDGET);
	cr_assert_eq(fx.executed, 2);
	/* The STOP patch is gone: the rest runs normally. */
	cr_assert_eq(fx_run(&fx, 100), VM_ERROR);
	cr_assert_eq(fx.executed, 1);
	fx_free(&fx);
}

Test(vm, bench_loop_result)
{
	struct fixture fx;
	enum vm_status st;

	/* The make-bench program with 100000 iterations. */
	RUN(&fx, IRN(OP_LOAD, 0, 0), IRN(OP_LOAD, 1, 1),
	    IRN(OP_LUI, 1, 100000 - 65536), IR(OP_INC, 0), IRR(OP_LT, 0, 1),
	    IN(OP_DJMPE, BASE + 12), I0(OP_HLT));
	cr_assert_eq(st, VM_HALTED);
	cr_assert_eq(R(&fx, 0), 100000);
	cr_assert_eq(fx.executed, 3 + 3 * 100000 + 1);
	fx_free(&fx);
}

Test(vm, clear_registers_and_memory)
{
	struct fixture fx;
	enum vm_status st;

	RUN(&fx, IRN(OP_LOAD, 0, 5), IRN(OP_LOADF64, 0, 5), IRR(OP_EQ, 0, 0),
	    IN(OP_CLOOP, 3), IR(OP_PUSH, 0), IR(OP_ALOC, 0));
	cr_assert_eq(st, VM_END);
	vm_clear_registers(fx.vm);
	cr_assert_eq(R(&fx, 0), 0);
	cr_assert_float_eq(F(&fx, 0), 0.0, 0);
	cr_assert_eq(FLAG(&fx), false);
	cr_assert_eq(vm_state(fx.vm)->loop_counter, 0);
	cr_assert_eq(vm_stack_depth(fx.vm), 1);
	cr_assert_eq(vm_heap_len(fx.vm), 69);
	vm_clear_memory(fx.vm);
	cr_assert_eq(vm_stack_depth(fx.vm), 0);
	cr_assert_eq(vm_heap_len(fx.vm), 64);
	fx_free(&fx);
}

Test(vm, load_keeps_registers_and_resets_pc)
{
	struct fixture fx;
	enum vm_status st;
	static const uint8_t more[] = { IR(OP_INC, 0) };

	RUN(&fx, IRN(OP_LOAD, 0, 41));
	cr_assert_eq(st, VM_END);
	fx_load(&fx, NULL, 0, more, sizeof(more));
	cr_assert_eq(PC(&fx), BASE);
	cr_assert_eq(fx_run(&fx, 10), VM_END);
	cr_assert_eq(R(&fx, 0), 42);
	fx_free(&fx);
}

/* --- vm_append(): a program grown at its end ---------------------------- */

Test(vm, append_decodes_what_was_appended_and_keeps_pc)
{
	struct fixture fx;
	static const uint8_t code[] = { IRN(OP_LOAD, 0, 41), IR(OP_INC, 0),
	    IR(OP_INC, 0) };

	fx_init(&fx, VM_DEFAULT_HEAP, 16);
	cr_assert_eq(vm_append(fx.vm, code, 4), 0);
	cr_assert_eq(PC(&fx), BASE);
	cr_assert_eq(fx_run(&fx, 10), VM_END);
	cr_assert_eq(PC(&fx), BASE + 4);
	cr_assert_eq(vm_append(fx.vm, code + 4, 0), 0);
	cr_assert_eq(vm_append(fx.vm, code + 4, 8), 0);
	cr_assert_eq(vm_code_end(fx.vm), BASE + 12);
	cr_assert_eq(PC(&fx), BASE + 4);	/* now the first new one */
	cr_assert_eq(fx_run(&fx, 10), VM_END);
	cr_assert_eq(fx.executed, 2);
	cr_assert_eq(R(&fx, 0), 43);
	fx_free(&fx);
}

Test(vm, append_keeps_the_ro_data_and_the_code_start)
{
	struct fixture fx;
	static const uint8_t ro[] = { 'h', 'i', 0, 0 };
	static const uint8_t code[] = { IN(OP_PRTS, 0), IN(OP_PRTS, 1) };

	fx_init(&fx, VM_DEFAULT_HEAP, 16);
	fx_load(&fx, ro, sizeof(ro), code, 4);
	cr_assert_eq(vm_append(fx.vm, code + 4, 4), 0);
	cr_assert_eq(vm_code_start(fx.vm), BASE + 4);
	cr_assert_eq(vm_code_end(fx.vm), BASE + 12);
	cr_assert_eq(fx_run(&fx, 10), VM_END);
	expect_output(&fx, "hii");
	fx_free(&fx);
}

Test(vm, static_target_past_the_end_becomes_valid_as_code_grows)
{
	struct fixture fx;
	/* eq; djmpe past the end; then two more: the target is the 2nd. */
	static const uint8_t code[] = { IRR(OP_EQ, 0, 0),
	    IN(OP_DJMPE, BASE + 12), IR(OP_INC, 1), IR(OP_INC, 2) };

	fx_init(&fx, VM_DEFAULT_HEAP, 16);
	cr_assert_eq(vm_append(fx.vm, code, 8), 0);
	expect_error(&fx, fx_run(&fx, 10), "invalid jump target 80",
	    BASE + 4);
	cr_assert_eq(fx.executed, 2);
	cr_assert_eq(vm_append(fx.vm, code + 8, 4), 0);	/* target: end */
	vm_state(fx.vm)->pc = BASE;
	cr_assert_eq(fx_run(&fx, 10), VM_END);
	cr_assert_eq(R(&fx, 1), 0);
	cr_assert_eq(vm_append(fx.vm, code + 12, 4), 0);	/* ... and now code */
	vm_state(fx.vm)->pc = BASE;
	cr_assert_eq(fx_run(&fx, 10), VM_END);
	cr_assert_eq(fx.executed, 3);
	cr_assert_eq(R(&fx, 1), 0);
	cr_assert_eq(R(&fx, 2), 1);
	fx_free(&fx);
}

Test(vm, appended_jump_closes_the_open_block_with_an_exact_count)
{
	struct fixture fx;
	/* inc x3, then a loop back to the start: budgets end mid-block. */
	static const uint8_t code[] = { IR(OP_INC, 0), IR(OP_INC, 0),
	    IR(OP_INC, 0), IRN(OP_LOAD, 1, BASE), IR(OP_JMP, 1) };
	uint64_t	 b;

	fx_init(&fx, VM_DEFAULT_HEAP, 16);
	cr_assert_eq(vm_append(fx.vm, code, 12), 0);
	cr_assert_eq(fx_run(&fx, 2), VM_BUDGET);
	cr_assert_eq(fx.executed, 2);
	cr_assert_eq(fx_run(&fx, 2), VM_END);
	cr_assert_eq(fx.executed, 1);
	cr_assert_eq(vm_append(fx.vm, code + 12, 8), 0);
	for (b = 0; b <= 23; b++) {
		vm_clear_registers(fx.vm);
		vm_state(fx.vm)->pc = BASE;
		cr_assert_eq(fx_run(&fx, b), VM_BUDGET);
		cr_assert_eq(fx.executed, b);
		cr_assert_eq(R(&fx, 0), (int32_t)(b / 5 * 3 +
		    (b % 5 < 3 ? b % 5 : 3)), "budget %lu", b);
	}
	fx_free(&fx);
}

Test(vm, huge_budgets_count_exactly)
{
	struct fixture fx;
	static const uint8_t code[] = { IN(OP_CLOOP, 9), IR(OP_INC, 0),
	    IN(OP_LOOP, BASE + 4), IR(OP_INC, 1), IR(OP_INC, 1) };

	/* The open block at the end, entered with more than 2^32 left. */
	fx_init(&fx, VM_DEFAULT_HEAP, 16);
	fx_load(&fx, NULL, 0, code, sizeof(code));
	cr_assert_eq(fx_run(&fx, UINT64_MAX), VM_END);
	cr_assert_eq(fx.executed, 1 + 10 * 2 + 2);
	cr_assert_eq(R(&fx, 0), 10);
	cr_assert_eq(R(&fx, 1), 2);
	vm_state(fx.vm)->pc = BASE + 12;
	cr_assert_eq(fx_run(&fx, (uint64_t)UINT32_MAX + 1), VM_END);
	cr_assert_eq(fx.executed, 2);
	fx_free(&fx);
}

/* A generator that reproduces: xorshift64. */
static uint32_t
rnd(uint64_t *s, uint32_t n)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return (uint32_t)(*s % n);
}

/*
 * A code address for a program that grows to about max instructions:
 * mostly instruction starts up to past the final end, sometimes before
 * the code or between instructions.
 */
static uint16_t
rnd_addr(uint64_t *s, uint32_t start, uint32_t max)
{
	if (rnd(s, 8) == 0)
		return (uint16_t)(start - 8 + rnd(s, 4 * max + 16));
	return (uint16_t)(start + 4 * rnd(s, max + 3));
}

/* One random instruction, control transfers and faults included. */
static void
rnd_insn(uint64_t *s, uint8_t *p, uint32_t start, uint32_t max)
{
	static const uint8_t straight[] = { OP_INC, OP_DEC, OP_ADD, OP_SUB,
	    OP_EQ, OP_NEQ, OP_LT, OP_NOP, OP_PUSH, OP_POP, OP_DIV, OP_PRTS,
	    OP_CLOOP, OP_LOAD };
	static const uint8_t control[] = { OP_HLT, OP_JMP, OP_JMPF, OP_JMPB,
	    OP_JMPE, OP_DJMPE, OP_LOOP, OP_CALL, OP_RET, OP_IGL };
	uint16_t	 v;
	uint8_t		 op;

	if (rnd(s, 3) == 0)
		op = control[rnd(s, sizeof(control))];
	else
		op = straight[rnd(s, sizeof(straight))];
	if (rnd(s, 40) == 0)
		op = (uint8_t)(48 + rnd(s, 50));	/* no such opcode */
	p[0] = op;
	p[1] = (uint8_t)rnd(s, 4);
	p[2] = (uint8_t)rnd(s, 4);
	p[3] = (uint8_t)rnd(s, 4);
	if (rnd(s, 40) == 0)
		p[1] = 40;				/* bad register */
	switch (op) {
	case OP_DJMPE:
	case OP_LOOP:
	case OP_CALL:
		v = rnd_addr(s, start, max);
		break;
	case OP_LOAD:		/* a jump target for JMP, or a count */
		v = rnd(s, 2) ? rnd_addr(s, start, max) : (uint16_t)rnd(s, 8);
		p[1] = (uint8_t)rnd(s, 4);
		p[2] = (uint8_t)(v >> 8);
		p[3] = (uint8_t)v;
		return;
	case OP_CLOOP:
		v = (uint16_t)rnd(s, 4);
		break;
	case OP_PRTS:
		v = (uint16_t)rnd(s, 10);
		break;
	default:
		return;
	}
	p[1] = (uint8_t)(v >> 8);
	p[2] = (uint8_t)v;
}

/* Put a VM in the state every comparison run starts from. */
static void
reset_run(struct fixture *fx, uint32_t pc, const int32_t *regs)
{
	vm_clear_registers(fx->vm);
	vm_clear_memory(fx->vm);
	memcpy(vm_state(fx->vm)->reg, regs, 4 * sizeof(*regs));
	vm_state(fx->vm)->pc = pc;
	buf_reset(&fx->out);
}

/* The two VMs ran alike: outcome, count, state, memory and output. */
static void
expect_same_run(struct fixture *a, struct fixture *b, enum vm_status sa,
    enum vm_status sb, const char *what)
{
	const struct vm_state *x = vm_state(a->vm), *y = vm_state(b->vm);

	cr_assert_eq(sa, sb, "%s: status %s, full load %s", what,
	    vm_status_name(sa), vm_status_name(sb));
	cr_assert_eq(a->executed, b->executed, "%s: executed %lu, full load "
	    "%lu", what, a->executed, b->executed);
	cr_assert_eq(x->pc, y->pc, "%s: pc %u, full load %u", what, x->pc,
	    y->pc);
	cr_assert_str_eq(vm_error(a->vm), vm_error(b->vm), "%s", what);
	cr_assert_eq(memcmp(x->reg, y->reg, sizeof(x->reg)), 0, "%s", what);
	cr_assert_eq(x->equal_flag, y->equal_flag, "%s", what);
	cr_assert_eq(x->remainder, y->remainder, "%s", what);
	cr_assert_eq(x->loop_counter, y->loop_counter, "%s", what);
	cr_assert_eq(vm_stack_depth(a->vm), vm_stack_depth(b->vm), "%s",
	    what);
	cr_assert_eq(a->out.len, b->out.len, "%s", what);
	cr_assert(a->out.len == 0 ||
	    memcmp(a->out.data, b->out.data, a->out.len) == 0, "%s", what);
}

/*
 * Run both VMs from every instruction (and the end) under each budget,
 * and once more in two pieces, so every budget ending inside a block and
 * every STOP patch (which must not outlive its run) is exercised.
 */
static void
expect_same_program(struct fixture *a, struct fixture *b, uint64_t *s,
    const char *what)
{
	static const uint64_t budgets[] = { 0, 1, 2, 3, 5, 8, 13, 40, 300 };
	uint32_t	 start = vm_code_start(a->vm), n, i, k;
	enum vm_status	 sa, sb;
	int32_t		 regs[4];
	char		 msg[160];

	n = (vm_code_end(a->vm) - start) / ISA_INSN_LEN;
	for (i = 0; i <= n; i++) {
		for (k = 0; k < 4; k++)
			regs[k] = rnd(s, 2) ? (int32_t)rnd_addr(s, start,
			    n + 2) : (int32_t)rnd(s, 9) - 4;
		for (k = 0; k < sizeof(budgets) / sizeof(budgets[0]); k++) {
			snprintf(msg, sizeof(msg), "%s, from pc %u, budget "
			    "%lu", what, start + 4 * i, budgets[k]);
			reset_run(a, start + 4 * i, regs);
			reset_run(b, start + 4 * i, regs);
			sa = fx_run(a, budgets[k]);
			sb = fx_run(b, budgets[k]);
			expect_same_run(a, b, sa, sb, msg);
			if (sa != VM_BUDGET)
				continue;
			sa = fx_run(a, 7);
			sb = fx_run(b, 7);
			expect_same_run(a, b, sa, sb, msg);
		}
	}
}

/*
 * Random programs grown one to three instructions at a time, the way the
 * REPL grows its program, sometimes after RO data and sometimes loaded
 * whole again midway (a !load): after every step the VM that was appended
 * to runs exactly as a fresh VM that loaded the whole image.
 */
Test(vm, append_runs_exactly_as_a_full_load)
{
	static const uint8_t ro[] = { 'a', 'b', 0, 'c', 0, 0, 0, 0 };
	struct fixture	 a, b;
	uint8_t		 code[4 * 64];
	struct image	 img;
	uint64_t	 s;
	uint32_t	 n, k, max, start, seed;
	char		 what[80];

	for (seed = 1; seed <= 150; seed++) {
		s = 0x9e3779b97f4a7c15ULL * seed;
		fx_init(&a, VM_DEFAULT_HEAP, 16);
		img.ro = ro;
		img.ro_len = seed % 3 == 0 ? sizeof(ro) : 0;
		img.code = code;
		img.code_len = 0;
		start = BASE + img.ro_len;
		max = 8 + rnd(&s, 40);
		/* Like !load: a full load, then typed lines. */
		n = rnd(&s, 4);
		for (k = 0; k < n; k++)
			rnd_insn(&s, code + 4 * k, start, max);
		img.code_len = 4 * n;
		cr_assert_eq(vm_load(a.vm, &img), 0);
		while (n < max) {
			for (k = 1 + rnd(&s, 3); k > 0 && n < max; k--, n++)
				rnd_insn(&s, code + 4 * n, start, max);
			cr_assert_eq(vm_append(a.vm, code + img.code_len,
			    4 * n - img.code_len), 0);
			img.code_len = 4 * n;
			if (rnd(&s, 20) == 0)
				cr_assert_eq(vm_load(a.vm, &img), 0);
			fx_init(&b, VM_DEFAULT_HEAP, 16);
			fx_load(&b, img.ro, img.ro_len, code, img.code_len);
			snprintf(what, sizeof(what), "seed %u, %u "
			    "instructions", seed, n);
			expect_same_program(&a, &b, &s, what);
			fx_free(&b);
		}
		fx_free(&a);
	}
}

Test(vm, corrupted_pc_is_an_error_not_a_crash)
{
	struct fixture fx;
	enum vm_status st;

	RUN(&fx, I0(OP_NOP));
	(void)st;
	vm_state(fx.vm)->pc = 3;
	cr_assert_eq(fx_run(&fx, 10), VM_ERROR);
	cr_assert_str_eq(vm_error(fx.vm), "invalid pc 3");
	fx_free(&fx);
}

Test(vm, image_parse_rejects_malformed)
{
	uint8_t		 img[200];
	struct image	 im;
	char		 err[160];

	memset(img, 0, sizeof(img));
	memcpy(img, ISA_MAGIC, 4);
	cr_assert_eq(image_parse(&im, img, 68, err, sizeof(err)), 0);
	cr_assert_eq(im.code_len, 0);
	cr_assert_eq(image_parse(&im, img, 72, err, sizeof(err)), 0);
	cr_assert_eq(im.code_len, 4);

	cr_assert_eq(image_parse(&im, img, 12, err, sizeof(err)), -1);
	cr_assert_str_eq(err, "image too short (12 bytes, a header is 68)");
	cr_assert_eq(image_parse(&im, img, 70, err, sizeof(err)), -1);
	cr_assert_str_eq(err, "code at offset 68 is 2 bytes, not a whole "
	    "number of 4-byte instructions");
	img[10] = 1;
	cr_assert_eq(image_parse(&im, img, 72, err, sizeof(err)), -1);
	cr_assert_str_eq(err, "reserved header byte at offset 10 is not zero");
	img[10] = 0;
	img[64] = 2;
	cr_assert_eq(image_parse(&im, img, 72, err, sizeof(err)), -1);
	cr_assert_str_eq(err, "RO section length 2 at offset 64 is not a "
	    "multiple of 4");
	img[64] = 8;
	cr_assert_eq(image_parse(&im, img, 72, err, sizeof(err)), -1);
	cr_assert_str_eq(err, "RO section length 8 at offset 64 runs past "
	    "the end of the image (72 bytes)");
	img[64] = 4;
	cr_assert_eq(image_parse(&im, img, 72, err, sizeof(err)), 0);
	cr_assert_eq(im.ro_len, 4);
	cr_assert_eq(image_entry(&im), 72);
	img[0] = 'X';
	cr_assert_eq(image_parse(&im, img, 72, err, sizeof(err)), -1);
	cr_assert_str_eq(err, "not an Iridium image (bad magic at offset 0)");
}

Test(vm, image_size_limit)
{
	uint8_t		*big = calloc(1, ISA_IMAGE_MAX + 4);
	struct image	 im;
	char		 err[160];

	memcpy(big, ISA_MAGIC, 4);
	cr_assert_eq(image_parse(&im, big, ISA_IMAGE_MAX, err, sizeof(err)),
	    0);
	cr_assert_eq(image_parse(&im, big, ISA_IMAGE_MAX + 4, err,
	    sizeof(err)), -1);
	cr_assert_str_eq(err, "image too large (32772 bytes, at most 32768)");
	free(big);
}

Test(vm, image_build_round_trip)
{
	static const uint8_t ro[] = { 'o', 'k', 0, 0 };
	static const uint8_t code[] = { IN(OP_PRTS, 0), I0(OP_HLT) };
	struct image	 im;
	size_t		 len;
	uint8_t		*p = image_build(ro, 4, code, 8, &len);
	char		 err[100];

	cr_assert_not_null(p);
	cr_assert_eq(len, 68 + 4 + 8);
	cr_assert(image_has_magic(p, len));
	cr_assert_eq(image_parse(&im, p, len, err, sizeof(err)), 0);
	cr_assert_eq(im.ro_len, 4);
	cr_assert_eq(memcmp(im.code, code, 8), 0);
	free(p);
}

Test(vm, isa_table_lookups)
{
	cr_assert_eq(isa_find("LoAd", 4), OP_LOAD);
	cr_assert_eq(isa_find("igl", 3), OP_IGL);
	cr_assert_eq(isa_find("loa", 3), -1);
	cr_assert_null(isa_lookup(48));
	cr_assert_null(isa_lookup(99));
	cr_assert_str_eq(isa_lookup(OP_RET)->mnemonic, "ret");
	cr_assert_eq(isa_lookup(OP_SHL)->hi, 31);
	cr_assert_eq(isa_nops(ISA_F_RRR), 3);
	cr_assert(isa_opnd_is_reg(ISA_F_RN, 0));
	cr_assert(!isa_opnd_is_reg(ISA_F_RN, 1));
}
