/*
 * vm.c: the Iridium virtual machine (see vm.h and iridium(7)).
 *
 * Loading decodes the image once into an array of fixed-size records, one
 * per instruction plus an END sentinel, so the dispatch loop never parses
 * bytes: operands are unpacked, immediates sign-extended, static jump
 * targets turned into indices, and every malformed instruction (unknown
 * opcode, register past 31, shift past 31) turned into a record whose
 * handler raises the fault, so it faults only when it executes.
 *
 * A record depends only on its own four bytes and the code start, never
 * on how many instructions follow it (a static target past the end is
 * checked when the jump is taken), so a program that grows at its end,
 * as the REPL's does with every typed line, is extended by decoding the
 * new instructions alone (vm_append()).
 *
 * The budget costs nothing per instruction. Each record knows how many
 * instructions run straight from it to the next control transfer (blen).
 * Entering a block charges blen at once; leaving early (HLT, a fault, an
 * aborted write) refunds what did not run. When the budget left is smaller
 * than the block, the record where it runs out is patched to STOP for the
 * rest of the run and restored on the way out. So the count is exact
 * ("budget N allows exactly N instructions") with one check per taken
 * branch. The block that runs into the end of the code is open (BLEN_OPEN):
 * its length is counted when it is entered, so appending to it touches no
 * old record; appending a control transfer closes it, once.
 *
 * Dispatch is a switch behind two macros; with GCC or clang it becomes
 * computed goto (VM_COMPUTED_GOTO) without touching the cases.
 */
#include <float.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "isa.h"
#include "vm.h"

#if defined(__GNUC__) && !defined(VM_NO_COMPUTED_GOTO)
#define VM_COMPUTED_GOTO 1
#endif

/*
 * Dispatch indices: the opcode bytes as themselves, then internal records
 * in bytes that are no opcode (decode() never emits those bytes as such).
 */
enum {
	D_BADOP = OP_IGL + 1,	/* no such opcode; imm = the byte */
	D_BADREG,		/* register byte > 31; imm = the byte */
	D_BADSHIFT,		/* SHL/SHR count > 31; imm = the count */
	D_END,			/* sentinel one past the last instruction */
	D_STOP,			/* budget runs out here (patched in) */
	D_COUNT
};

struct vm_insn {
	uint8_t		op;	/* a dispatch index */
	uint8_t		a, b, c;
	int32_t		imm;	/* see decode() */
	uint32_t	blen;	/* straight-line instructions from here */
};

/* blen of a record whose block runs to the end of the code. */
#define BLEN_OPEN	UINT32_MAX
/*
 * The most one vm_exec() call may charge: below BLEN_OPEN, so an open
 * block never passes ENTER's quick check and is counted in short_budget.
 */
#define VM_EXEC_MAX	(BLEN_OPEN - 1)
/* Records the first program gets room for. */
#define VM_INSN_MIN	64

struct vm {
	struct vm_state	 st;
	struct vm_limits lim;

	uint8_t		*ro;
	uint32_t	 ro_len;
	uint8_t		*code;		/* room for insn_cap - 1 instructions */
	uint32_t	 code_len;
	uint32_t	 code_start;	/* image offset of instruction 0 */
	struct vm_insn	*insn;		/* code_len / 4 records + END */
	uint32_t	 ninsn;
	uint32_t	 insn_cap;	/* records insn has room for */

	uint8_t		*heap;
	uint32_t	 heap_len, heap_cap;
	int32_t		*stack;
	uint32_t	 sp, stack_cap;
	int32_t		 bp;

	vm_output_fn	 out;
	void		*out_arg;
	char		 err[VM_ERRLEN];
};

static const struct vm_insn vm_end_only = { D_END, 0, 0, 0, 0, 0 };

struct vm *
vm_new(const struct vm_limits *lim)
{
	struct vm	*vm;

	if (lim->heap_bytes < VM_HEAP_INITIAL)
		return NULL;
	if ((vm = calloc(1, sizeof(*vm))) == NULL)
		return NULL;
	vm->lim = *lim;
	vm->code_start = ISA_RO_OFFSET;
	vm->st.pc = ISA_RO_OFFSET;
	/* Nothing loaded: the END sentinel alone, so pc is at the end. */
	if ((vm->insn = malloc(sizeof(*vm->insn))) == NULL ||
	    (vm->heap = calloc(1, VM_HEAP_INITIAL)) == NULL) {
		free(vm->insn);
		free(vm);
		return NULL;
	}
	vm->insn[0] = vm_end_only;
	vm->insn_cap = 1;
	vm->heap_len = vm->heap_cap = VM_HEAP_INITIAL;
	return vm;
}

void
vm_free(struct vm *vm)
{
	if (vm == NULL)
		return;
	free(vm->ro);
	free(vm->code);
	free(vm->insn);
	free(vm->heap);
	free(vm->stack);
	free(vm);
}

void
vm_set_output(struct vm *vm, vm_output_fn fn, void *arg)
{
	vm->out = fn;
	vm->out_arg = arg;
}

static int
is_control(uint8_t op)
{
	switch (op) {
	case OP_HLT:
	case OP_JMP:
	case OP_JMPF:
	case OP_JMPB:
	case OP_JMPE:
	case OP_DJMPE:
	case OP_LOOP:
	case OP_CALL:
	case OP_RET:
		return 1;
	default:
		return 0;
	}
}

/* Index of the instruction at image offset addr, or -1 if none/not end. */
static int64_t
target_index(uint32_t code_start, uint32_t ninsn, int64_t addr)
{
	int64_t	 off = addr - code_start;

	if (off < 0 || off % ISA_INSN_LEN != 0 || off / ISA_INSN_LEN > ninsn)
		return -1;
	return off / ISA_INSN_LEN;
}

/*
 * A static target as decode() keeps it: the index of the instruction at
 * addr, whether or not the code reaches that far yet (the jump checks it
 * against the instruction count when taken), or -(addr + 1) when addr is
 * before the code or not on an instruction boundary.
 */
static int32_t
static_target(uint32_t code_start, uint16_t addr)
{
	if (addr < code_start || (addr - code_start) % ISA_INSN_LEN != 0)
		return -(int32_t)addr - 1;
	return (int32_t)((addr - code_start) / ISA_INSN_LEN);
}

/* The address a static target came from, for the fault message. */
static int32_t
static_addr(const struct vm *vm, int32_t imm)
{
	if (imm < 0)
		return -imm - 1;
	return (int32_t)(vm->code_start + (uint32_t)imm * ISA_INSN_LEN);
}

static void
decode(struct vm_insn *d, const uint8_t *p, uint32_t code_start)
{
	const struct isa_info	*info;
	int			 i, n, reg;
	uint16_t		 v;

	memset(d, 0, sizeof(*d));
	if ((info = isa_lookup(p[0])) == NULL) {
		d->op = D_BADOP;
		d->imm = p[0];
		return;
	}
	d->op = p[0];
	n = isa_nops(info->fmt);
	/* Registers come first in every format that has them. */
	for (i = 0; i < n && isa_opnd_is_reg(info->fmt, i); i++) {
		reg = p[1 + i];
		if (reg >= ISA_NREGS) {
			d->op = D_BADREG;
			d->imm = reg;
			return;
		}
		(&d->a)[i] = (uint8_t)reg;
	}
	switch (info->fmt) {
	case ISA_F_RN:
		v = isa_get16(p + 2);
		break;
	case ISA_F_N:
		v = isa_get16(p + 1);
		break;
	default:
		return;
	}
	switch (p[0]) {
	case OP_LOAD:
	case OP_LOADF64:
		d->imm = (int16_t)v;
		break;
	case OP_SHL:
	case OP_SHR:
		if (v > 31) {
			d->op = D_BADSHIFT;
			d->imm = v;
			return;
		}
		d->imm = v;
		break;
	case OP_DJMPE:
	case OP_LOOP:
	case OP_CALL:
		d->imm = static_target(code_start, v);
		break;
	default:		/* LUI, CLOOP, PRTS: the raw u16 */
		d->imm = v;
		break;
	}
}

/* Whether a record ends its block (blen 1): control, or it faults. */
static int
ends_block(const struct vm_insn *d)
{
	return d->op >= OP_IGL || is_control(d->op);
}

/*
 * Room for code of len bytes and its records. Capacity grows
 * geometrically, so a program typed line by line is not copied per line;
 * on failure nothing changes.
 */
static int
vm_reserve(struct vm *vm, uint32_t len)
{
	struct vm_insn	*insn;
	uint8_t		*code;
	uint32_t	 need = len / ISA_INSN_LEN + 1, cap = vm->insn_cap;

	if (need <= cap)
		return 0;
	if (cap < VM_INSN_MIN)
		cap = VM_INSN_MIN;
	while (cap < need)
		cap *= 2;
	if ((code = realloc(vm->code, (size_t)(cap - 1) *
	    ISA_INSN_LEN)) == NULL)
		return -1;
	vm->code = code;
	if ((insn = reallocarray(vm->insn, cap, sizeof(*insn))) == NULL)
		return -1;
	vm->insn = insn;
	vm->insn_cap = cap;
	return 0;
}

/*
 * Decode the code from instruction from on (the records before it are
 * decoded already and their bytes unchanged) and set the block lengths.
 * The records from on are new, so their blocks are computed backwards
 * from the END sentinel; the old records' blocks change only when the
 * old code ended in an open block and the new code closes it.
 */
static void
vm_decode(struct vm *vm, uint32_t from)
{
	struct vm_insn	*insn = vm->insn;
	uint32_t	 i, next = BLEN_OPEN;

	for (i = from; i < vm->ninsn; i++)
		decode(&insn[i], vm->code + (size_t)i * ISA_INSN_LEN,
		    vm->code_start);
	insn[vm->ninsn] = vm_end_only;
	for (i = vm->ninsn; i-- > from;) {
		if (ends_block(&insn[i]))
			next = 1;
		else if (next != BLEN_OPEN)
			next++;
		insn[i].blen = next;
	}
	if (next == BLEN_OPEN)
		return;
	for (i = from; i-- > 0 && insn[i].blen == BLEN_OPEN;)
		insn[i].blen = ++next;
}

int
vm_load(struct vm *vm, const struct image *img)
{
	uint8_t		*ro = NULL;

	if (vm_reserve(vm, img->code_len) == -1 ||
	    (img->ro_len > 0 && (ro = malloc(img->ro_len)) == NULL))
		return -1;
	if (img->ro_len > 0)
		memcpy(ro, img->ro, img->ro_len);
	free(vm->ro);
	vm->ro = ro;
	vm->ro_len = img->ro_len;
	if (img->code_len > 0)
		memcpy(vm->code, img->code, img->code_len);
	vm->code_len = img->code_len;
	vm->ninsn = img->code_len / ISA_INSN_LEN;
	vm->code_start = ISA_RO_OFFSET + img->ro_len;
	vm_decode(vm, 0);
	vm->st.pc = vm->code_start;
	return 0;
}

int
vm_append(struct vm *vm, const uint8_t *code, uint32_t len)
{
	uint32_t	 old = vm->code_len;

	if (len == 0)
		return 0;
	if (vm_reserve(vm, old + len) == -1)
		return -1;
	memcpy(vm->code + old, code, len);
	vm->code_len = old + len;
	vm->ninsn = vm->code_len / ISA_INSN_LEN;
	vm_decode(vm, old / ISA_INSN_LEN);
	return 0;
}

void
vm_clear_registers(struct vm *vm)
{
	memset(vm->st.reg, 0, sizeof(vm->st.reg));
	memset(vm->st.freg, 0, sizeof(vm->st.freg));
	vm->st.equal_flag = false;
	vm->st.remainder = 0;
	vm->st.loop_counter = 0;
}

void
vm_clear_memory(struct vm *vm)
{
	uint8_t	*p;

	if (vm->heap_cap > VM_HEAP_INITIAL &&
	    (p = realloc(vm->heap, VM_HEAP_INITIAL)) != NULL) {
		vm->heap = p;
		vm->heap_cap = VM_HEAP_INITIAL;
	}
	memset(vm->heap, 0, VM_HEAP_INITIAL);
	vm->heap_len = VM_HEAP_INITIAL;
	free(vm->stack);
	vm->stack = NULL;
	vm->stack_cap = vm->sp = 0;
	vm->bp = 0;
}

struct vm_state *
vm_state(struct vm *vm)
{
	return &vm->st;
}

const char *
vm_error(const struct vm *vm)
{
	return vm->err;
}

const struct vm_limits *
vm_limits(const struct vm *vm)
{
	return &vm->lim;
}

uint32_t
vm_heap_len(const struct vm *vm)
{
	return vm->heap_len;
}

const uint8_t *
vm_heap(const struct vm *vm)
{
	return vm->heap;
}

uint32_t
vm_stack_depth(const struct vm *vm)
{
	return vm->sp;
}

const int32_t *
vm_stack(const struct vm *vm)
{
	return vm->stack;
}

int32_t
vm_frame(const struct vm *vm)
{
	return vm->bp;
}

int
vm_restore_memory(struct vm *vm, const uint8_t *heap, uint32_t heap_len,
    const int32_t *stack, uint32_t depth, int32_t bp)
{
	uint8_t		*h;
	int32_t		*st = NULL;

	if (heap_len < VM_HEAP_INITIAL || heap_len > vm->lim.heap_bytes ||
	    depth > vm->lim.stack_depth)
		return -1;
	if ((h = malloc(heap_len)) == NULL)
		return -1;
	if (depth > 0 && (st = reallocarray(NULL, depth, sizeof(*st))) ==
	    NULL) {
		free(h);
		return -1;
	}
	memcpy(h, heap, heap_len);
	if (depth > 0)
		memcpy(st, stack, (size_t)depth * sizeof(*st));
	free(vm->heap);
	free(vm->stack);
	vm->heap = h;
	vm->heap_len = vm->heap_cap = heap_len;
	vm->stack = st;
	vm->sp = vm->stack_cap = depth;
	vm->bp = bp;
	return 0;
}

uint32_t
vm_code_start(const struct vm *vm)
{
	return vm->code_start;
}

uint32_t
vm_code_end(const struct vm *vm)
{
	return vm->code_start + vm->code_len;
}

const char *
vm_status_name(enum vm_status st)
{
	switch (st) {
	case VM_HALTED:
		return "halted";
	case VM_END:
		return "end";
	case VM_ERROR:
		return "error";
	case VM_BUDGET:
		return "budget";
	case VM_ABORTED:
		return "aborted";
	}
	return "unknown";
}

/* Grow the heap by n zeroed bytes within the limit. */
static const char *
heap_grow(struct vm *vm, int32_t n)
{
	uint32_t	 need, cap;
	uint8_t		*p;

	if (n < 0)
		return "negative heap allocation";
	if ((uint64_t)vm->heap_len + (uint32_t)n > vm->lim.heap_bytes)
		return "heap limit exceeded";
	need = vm->heap_len + (uint32_t)n;
	if (need > vm->heap_cap) {
		cap = vm->heap_cap;
		while (cap < need)
			cap = cap > vm->lim.heap_bytes / 2 ?
			    vm->lim.heap_bytes : cap * 2;
		if ((p = realloc(vm->heap, cap)) == NULL)
			return "out of memory";
		vm->heap = p;
		vm->heap_cap = cap;
	}
	memset(vm->heap + vm->heap_len, 0, (uint32_t)n);
	vm->heap_len = need;
	return NULL;
}

/* Make room for n more stack entries within the limit. */
static const char *
stack_room(struct vm *vm, uint32_t n)
{
	uint32_t	 cap;
	int32_t		*p;

	if ((uint64_t)vm->sp + n > vm->lim.stack_depth)
		return "stack overflow";
	if (vm->sp + n <= vm->stack_cap)
		return NULL;
	cap = vm->stack_cap != 0 ? vm->stack_cap : 64;
	while (cap < vm->sp + n)
		cap = cap > vm->lim.stack_depth / 2 ? vm->lim.stack_depth :
		    cap * 2;
	if ((p = reallocarray(vm->stack, cap, sizeof(*p))) == NULL)
		return "out of memory";
	vm->stack = p;
	vm->stack_cap = cap;
	return NULL;
}

/* The integer at heap[a .. a+3], or -1 when that is out of range. */
static inline int
heap_range(const struct vm *vm, int32_t a)
{
	return a >= 0 && (uint64_t)(uint32_t)a + 4 <= vm->heap_len;
}

/* Instructions from d to the end of its block, open or not. */
static inline uint32_t
block_len(const struct vm *vm, const struct vm_insn *d)
{
	if (d->blen == BLEN_OPEN)
		return vm->ninsn - (uint32_t)(d - vm->insn);
	return d->blen;
}

#define PC_OF(p)	(vm->code_start + (uint32_t)((p) - vm->insn) * 4)

/*
 * The dispatch loop. ENTER(t) starts a straight-line block at t, charging
 * its length against the budget; everything else falls through with NEXT.
 */
static enum vm_status
vm_exec(struct vm *vm, struct vm_insn *ip, uint64_t budget,
    uint64_t *executed)
{
	struct vm_insn		*base = vm->insn, *stop = NULL;
	const uint32_t		 ninsn = vm->ninsn;
	const struct vm_insn	*done;
	struct vm_insn		 saved = vm_end_only;
	int32_t			*r = vm->st.reg;
	double			*f = vm->st.freg;
	uint64_t		 left = budget;
	enum vm_status		 status;
	int64_t			 t;
	int32_t			 x, y;
	uint32_t		 u;
	const uint8_t		*s, *nul;

#ifdef VM_COMPUTED_GOTO
	static const void *const labels[D_COUNT] = {
#define VM_LABEL(name, mn, byte, fmt, lo, hi)	[OP_##name] = &&L_##name,
		ISA_OPCODES(VM_LABEL)
#undef VM_LABEL
		[D_BADOP] = &&L_BADOP, [D_BADREG] = &&L_BADREG,
		[D_BADSHIFT] = &&L_BADSHIFT, [D_END] = &&L_END,
		[D_STOP] = &&L_STOP,
	};
#define OPCASE(name)	L_##name
#define XCASE(name)	L_##name
#define DISPATCH()	goto *labels[ip->op]
#else
#define OPCASE(name)	case OP_##name
#define XCASE(name)	case D_##name
#define DISPATCH()	goto dispatch
#endif
#define NEXT()		do { ip++; DISPATCH(); } while (0)
#define ENTER(t)	do {						\
		ip = (t);						\
		if (__builtin_expect(left >= ip->blen, 1))		\
			left -= ip->blen;				\
		else							\
			goto short_budget;				\
		DISPATCH();						\
	} while (0)
#define FAULT(...)	do {						\
		snprintf(vm->err, sizeof(vm->err), __VA_ARGS__);	\
		snprintf(vm->err + strlen(vm->err),			\
		    sizeof(vm->err) - strlen(vm->err), " at pc %u",	\
		    PC_OF(ip));						\
		goto fault;						\
	} while (0)
/* A dynamic jump to the image offset in (int64_t) addr. */
#define JUMP_TO(addr)	do {						\
		t = target_index(vm->code_start, vm->ninsn, (addr));	\
		if (t < 0)						\
			FAULT("invalid jump target %lld",		\
			    (long long)(addr));				\
		ENTER(base + t);					\
	} while (0)
/* A static target from decode(): past the end (or negative) faults. */
#define CHECK_STATIC()	do {						\
		if ((uint32_t)ip->imm > ninsn)				\
			FAULT("invalid jump target %d",			\
			    static_addr(vm, ip->imm));			\
	} while (0)
#define GO_STATIC()	do {						\
		CHECK_STATIC();						\
		ENTER(base + ip->imm);					\
	} while (0)

	ENTER(ip);

#ifndef VM_COMPUTED_GOTO
dispatch:
	switch (ip->op) {
#endif
	OPCASE(LOAD):
		r[ip->a] = ip->imm;
		NEXT();
	OPCASE(ADD):
		r[ip->c] = (int32_t)((uint32_t)r[ip->a] + (uint32_t)r[ip->b]);
		NEXT();
	OPCASE(SUB):
		r[ip->c] = (int32_t)((uint32_t)r[ip->a] - (uint32_t)r[ip->b]);
		NEXT();
	OPCASE(MUL):
		r[ip->c] = (int32_t)((uint32_t)r[ip->a] * (uint32_t)r[ip->b]);
		NEXT();
	OPCASE(DIV):
		x = r[ip->a];
		y = r[ip->b];
		if (y == 0)
			FAULT("division by zero");
		if (x == INT32_MIN && y == -1) {
			r[ip->c] = INT32_MIN;
			vm->st.remainder = 0;
		} else {
			r[ip->c] = x / y;
			vm->st.remainder = x % y;
		}
		NEXT();
	OPCASE(HLT):
		status = VM_HALTED;
		goto halted;
	OPCASE(JMP):
		JUMP_TO((int64_t)r[ip->a]);
	OPCASE(JMPF):
		JUMP_TO((int64_t)PC_OF(ip) + 4 + r[ip->a]);
	OPCASE(JMPB):
		JUMP_TO((int64_t)PC_OF(ip) + 4 - r[ip->a]);
	OPCASE(EQ):
		vm->st.equal_flag = r[ip->a] == r[ip->b];
		NEXT();
	OPCASE(NEQ):
		vm->st.equal_flag = r[ip->a] != r[ip->b];
		NEXT();
	OPCASE(GTE):
		vm->st.equal_flag = r[ip->a] >= r[ip->b];
		NEXT();
	OPCASE(LTE):
		vm->st.equal_flag = r[ip->a] <= r[ip->b];
		NEXT();
	OPCASE(LT):
		vm->st.equal_flag = r[ip->a] < r[ip->b];
		NEXT();
	OPCASE(GT):
		vm->st.equal_flag = r[ip->a] > r[ip->b];
		NEXT();
	OPCASE(JMPE):
		if (vm->st.equal_flag)
			JUMP_TO((int64_t)r[ip->a]);
		ENTER(ip + 1);
	OPCASE(NOP):
		NEXT();
	OPCASE(ALOC): {
		const char *why = heap_grow(vm, r[ip->a]);

		if (why != NULL)
			FAULT("%s (%d bytes requested, %u of %u in use)", why,
			    r[ip->a], vm->heap_len, vm->lim.heap_bytes);
		NEXT();
	}
	OPCASE(INC):
		r[ip->a] = (int32_t)((uint32_t)r[ip->a] + 1);
		NEXT();
	OPCASE(DEC):
		r[ip->a] = (int32_t)((uint32_t)r[ip->a] - 1);
		NEXT();
	OPCASE(DJMPE):
		if (vm->st.equal_flag)
			GO_STATIC();
		ENTER(ip + 1);
	OPCASE(PRTS):
		u = (uint32_t)ip->imm;
		if (u >= vm->ro_len)
			FAULT("PRTS offset %u out of range (RO data is %u "
			    "bytes)", u, vm->ro_len);
		s = vm->ro + u;
		if ((nul = memchr(s, '\0', vm->ro_len - u)) == NULL)
			FAULT("PRTS string at offset %u has no NUL", u);
		if (nul > s && vm->out != NULL &&
		    vm->out(vm->out_arg, s, (size_t)(nul - s)) == -1) {
			status = VM_ABORTED;
			goto halted;
		}
		NEXT();
	OPCASE(LOADF64):
		f[ip->a] = (double)ip->imm;
		NEXT();
	OPCASE(ADDF64):
		f[ip->c] = f[ip->a] + f[ip->b];
		NEXT();
	OPCASE(SUBF64):
		f[ip->c] = f[ip->a] - f[ip->b];
		NEXT();
	OPCASE(MULF64):
		f[ip->c] = f[ip->a] * f[ip->b];
		NEXT();
	OPCASE(DIVF64):
		f[ip->c] = f[ip->a] / f[ip->b];
		NEXT();
	OPCASE(EQF64):
		vm->st.equal_flag = fabs(f[ip->a] - f[ip->b]) < DBL_EPSILON;
		NEXT();
	OPCASE(NEQF64):
		vm->st.equal_flag = !(fabs(f[ip->a] - f[ip->b]) < DBL_EPSILON);
		NEXT();
	OPCASE(GTF64):
		vm->st.equal_flag = f[ip->a] > f[ip->b];
		NEXT();
	OPCASE(GTEF64):
		vm->st.equal_flag = f[ip->a] >= f[ip->b];
		NEXT();
	OPCASE(LTF64):
		vm->st.equal_flag = f[ip->a] < f[ip->b];
		NEXT();
	OPCASE(LTEF64):
		vm->st.equal_flag = f[ip->a] <= f[ip->b];
		NEXT();
	OPCASE(SHL):
		r[ip->a] = (int32_t)((uint32_t)r[ip->a] << ip->imm);
		NEXT();
	OPCASE(SHR):
		/* GCC and clang define >> of a negative int as arithmetic. */
		r[ip->a] = r[ip->a] >> ip->imm;
		NEXT();
	OPCASE(AND):
		r[ip->c] = r[ip->a] & r[ip->b];
		NEXT();
	OPCASE(OR):
		r[ip->c] = r[ip->a] | r[ip->b];
		NEXT();
	OPCASE(XOR):
		r[ip->c] = r[ip->a] ^ r[ip->b];
		NEXT();
	OPCASE(NOT):
		r[ip->b] = ~r[ip->a];
		NEXT();
	OPCASE(LUI):
		r[ip->a] = (int32_t)(((uint32_t)r[ip->a] << 16) |
		    ((uint32_t)ip->imm & 0xffff));
		NEXT();
	OPCASE(CLOOP):
		vm->st.loop_counter = (uint32_t)ip->imm;
		NEXT();
	OPCASE(LOOP):
		if (vm->st.loop_counter != 0) {
			CHECK_STATIC();
			vm->st.loop_counter--;
			ENTER(base + ip->imm);
		}
		ENTER(ip + 1);
	OPCASE(LOADM):
		x = r[ip->a];
		if (!heap_range(vm, x))
			FAULT("heap read at %d out of range (heap is %u "
			    "bytes)", x, vm->heap_len);
		r[ip->b] = (int32_t)isa_get32le(vm->heap + x);
		NEXT();
	OPCASE(SETM):
		x = r[ip->a];
		if (!heap_range(vm, x))
			FAULT("heap write at %d out of range (heap is %u "
			    "bytes)", x, vm->heap_len);
		isa_put32le(vm->heap + x, (uint32_t)r[ip->b]);
		NEXT();
	OPCASE(PUSH): {
		const char *why = stack_room(vm, 1);

		if (why != NULL)
			FAULT("%s (limit %u entries)", why,
			    vm->lim.stack_depth);
		vm->stack[vm->sp++] = r[ip->a];
		NEXT();
	}
	OPCASE(POP):
		if (vm->sp == 0)
			FAULT("stack underflow");
		r[ip->a] = vm->stack[--vm->sp];
		NEXT();
	OPCASE(CALL): {
		const char *why;

		CHECK_STATIC();
		if ((why = stack_room(vm, 2)) != NULL)
			FAULT("%s (limit %u entries)", why,
			    vm->lim.stack_depth);
		vm->stack[vm->sp++] = (int32_t)(PC_OF(ip) + 4);
		vm->stack[vm->sp++] = vm->bp;
		vm->bp = (int32_t)vm->sp;
		ENTER(base + ip->imm);
	}
	OPCASE(RET):
		if (vm->bp < 2 || (uint32_t)vm->bp > vm->sp)
			FAULT("RET without a valid frame (bp %d, sp %u)",
			    vm->bp, vm->sp);
		t = target_index(vm->code_start, vm->ninsn,
		    vm->stack[vm->bp - 2]);
		if (t < 0)
			FAULT("invalid return address %d",
			    vm->stack[vm->bp - 2]);
		vm->sp = (uint32_t)vm->bp - 2;
		vm->bp = vm->stack[vm->bp - 1];
		ENTER(base + t);
	OPCASE(IGL):
		FAULT("illegal instruction");
	XCASE(BADOP):
		FAULT("illegal instruction (opcode %d)", ip->imm);
	XCASE(BADREG):
		FAULT("invalid register %d", ip->imm);
	XCASE(BADSHIFT):
		FAULT("shift count %d out of range (0..31)", ip->imm);
	XCASE(END):
		status = VM_END;
		goto out;
	XCASE(STOP):
		status = VM_BUDGET;
		goto out;
#ifndef VM_COMPUTED_GOTO
	}
#endif

short_budget:
	/* An open block: its length is the distance to the end. */
	if (ip->blen == BLEN_OPEN && left >= block_len(vm, ip)) {
		left -= block_len(vm, ip);
		DISPATCH();
	}
	/*
	 * Fewer instructions are left than the block holds: patch the
	 * record where the budget runs out to STOP and charge everything.
	 * The block is straight-line, so control cannot leave it first.
	 */
	stop = ip + left;
	saved = *stop;
	stop->op = D_STOP;
	left = 0;
	DISPATCH();

fault:
	status = VM_ERROR;
	done = ip + 1;
	goto refund;
halted:
	done = ++ip;
refund:
	/*
	 * done is one past the last instruction that ran. Give back what
	 * was charged beyond it: up to the STOP record when one is patched
	 * in, else to the end of the block (blen counts from the record).
	 */
	if (stop != NULL)
		left += (uint64_t)(stop - done);
	else
		left += block_len(vm, done - 1) - 1;
out:
	if (stop != NULL)
		*stop = saved;
	vm->st.pc = PC_OF(ip);
	if (executed != NULL)
		*executed = budget - left;
	return status;

#undef OPCASE
#undef XCASE
#undef DISPATCH
#undef NEXT
#undef ENTER
#undef FAULT
#undef JUMP_TO
#undef CHECK_STATIC
#undef GO_STATIC
}

/*
 * vm_exec() charges at most VM_EXEC_MAX per call (see BLEN_OPEN); a
 * larger budget runs in such pieces, which is invisible: a VM_BUDGET
 * stop keeps every bit of state.
 */
enum vm_status
vm_run(struct vm *vm, uint64_t budget, uint64_t *executed)
{
	enum vm_status	 st;
	uint64_t	 done = 0, n;
	int64_t		 t;

	vm->err[0] = '\0';
	do {
		t = target_index(vm->code_start, vm->ninsn, vm->st.pc);
		if (t < 0) {
			snprintf(vm->err, sizeof(vm->err), "invalid pc %u",
			    vm->st.pc);
			st = VM_ERROR;
			break;
		}
		n = 0;
		st = vm_exec(vm, vm->insn + t, budget - done > VM_EXEC_MAX ?
		    VM_EXEC_MAX : budget - done, &n);
		done += n;
	} while (st == VM_BUDGET && done < budget);
	if (executed != NULL)
		*executed = done;
	return st;
}
