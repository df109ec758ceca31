/*
 * repl_state.c: a REPL session saved to bytes and read back (repl_save()
 * and repl_load(), see repl.h), so that a session can move to another
 * process: the bytes cross a socket between two workers, and the reader
 * treats them as hostile input.
 *
 * The format, version 1. Integers are little-endian and unsigned unless
 * said; every field has exactly one valid encoding, so that a state read
 * back saves to the same bytes (the fuzz target checks it):
 *
 *   magic "IRIDREPL", u32 version (1), u32 flags (0)
 *   counters      u64 instructions, u64 commands, u64 errors
 *   registers     32 x i32, 32 x u64 (the doubles' IEEE-754 bits),
 *                 u32 pc, i32 remainder, u32 loop_counter,
 *                 u8 equal_flag (0 or 1), i32 frame pointer
 *   program       u32 RO length + bytes, u32 code length + bytes,
 *                 u32 symbols, each: u32 name length + name, u32 value,
 *                 u8 kind (0 code, 1 data), u32 line
 *   memory        u32 heap length + the heap's bytes,
 *                 u32 stack depth + depth x i32
 *   !load block   u8 open, u8 over the limit, u32 lines, u32 the first
 *                 line dropped (0: none), u32 the limit it broke,
 *                 u32 text length + text
 *   history       u64 lines ever typed, u32 lines kept, each (oldest
 *                 first): u32 length + bytes, u8 cut (0 or 1)
 *
 * and nothing after. The reader checks each length against what is left
 * before it allocates, each field against its range and the session's
 * limits, the program as the assembler would have made it (RO and code in
 * whole words within the image size, labels well formed and unique, code
 * labels on instructions, pc on an instruction or the end of the code),
 * and builds the new state beside the old one: the session changes only
 * when all of it is good.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "asm.h"
#include "image.h"
#include "isa.h"
#include "repl.h"
#include "repl_internal.h"
#include "vm.h"

#define STATE_MAGIC	"IRIDREPL"
#define STATE_MAGIC_LEN	8

/* --- writing ------------------------------------------------------------ */

/* A writer that only counts while p is NULL (the first pass). */
struct wr {
	uint8_t		*p;
	size_t		 off;
};

static void
wr_bytes(struct wr *w, const void *v, size_t n)
{
	if (w->p != NULL && n > 0)
		memcpy(w->p + w->off, v, n);
	w->off += n;
}

static void
wr_u8(struct wr *w, uint8_t v)
{
	wr_bytes(w, &v, 1);
}

static void
wr_u32(struct wr *w, uint32_t v)
{
	uint8_t	 b[4];
	int	 i;

	for (i = 0; i < 4; i++)
		b[i] = (uint8_t)(v >> (8 * i));
	wr_bytes(w, b, sizeof(b));
}

static void
wr_u64(struct wr *w, uint64_t v)
{
	uint8_t	 b[8];
	int	 i;

	for (i = 0; i < 8; i++)
		b[i] = (uint8_t)(v >> (8 * i));
	wr_bytes(w, b, sizeof(b));
}

/* pc as saved: on an instruction or the end of the code, else the entry. */
static uint32_t
state_pc(const struct repl *r, uint32_t pc)
{
	uint32_t	 start = ISA_RO_OFFSET + r->prog.ro_len;

	if (pc < start || pc > start + r->prog.code_len ||
	    (pc - start) % ISA_INSN_LEN != 0)
		return start;
	return pc;
}

static void
state_write(const struct repl *r, struct wr *w)
{
	const struct vm_state	*st = vm_state(r->vm);
	const struct repl_hist	*h;
	const int32_t		*stack = vm_stack(r->vm);
	uint64_t		 bits;
	uint32_t		 i, depth = vm_stack_depth(r->vm);
	size_t			 k;

	wr_bytes(w, STATE_MAGIC, STATE_MAGIC_LEN);
	wr_u32(w, REPL_STATE_VERSION);
	wr_u32(w, 0);

	wr_u64(w, r->st.instructions);
	wr_u64(w, r->st.commands);
	wr_u64(w, r->st.errors);

	for (i = 0; i < ISA_NREGS; i++)
		wr_u32(w, (uint32_t)st->reg[i]);
	for (i = 0; i < ISA_NREGS; i++) {
		memcpy(&bits, &st->freg[i], sizeof(bits));
		wr_u64(w, bits);
	}
	wr_u32(w, state_pc(r, st->pc));
	wr_u32(w, (uint32_t)st->remainder);
	wr_u32(w, st->loop_counter);
	wr_u8(w, st->equal_flag ? 1 : 0);
	wr_u32(w, (uint32_t)vm_frame(r->vm));

	wr_u32(w, r->prog.ro_len);
	wr_bytes(w, r->prog.ro, r->prog.ro_len);
	wr_u32(w, r->prog.code_len);
	wr_bytes(w, r->prog.code, r->prog.code_len);
	wr_u32(w, (uint32_t)r->prog.nsyms);
	for (k = 0; k < r->prog.nsyms; k++) {
		wr_u32(w, (uint32_t)strlen(r->prog.syms[k].name));
		wr_bytes(w, r->prog.syms[k].name,
		    strlen(r->prog.syms[k].name));
		wr_u32(w, r->prog.syms[k].value);
		wr_u8(w, r->prog.syms[k].kind == ASM_SYM_DATA ? 1 : 0);
		wr_u32(w, r->prog.syms[k].line);
	}

	wr_u32(w, vm_heap_len(r->vm));
	wr_bytes(w, vm_heap(r->vm), vm_heap_len(r->vm));
	wr_u32(w, depth);
	for (i = 0; i < depth; i++)
		wr_u32(w, (uint32_t)stack[i]);

	wr_u8(w, r->loading ? 1 : 0);
	wr_u8(w, r->load_over ? 1 : 0);
	wr_u32(w, r->load_lines);
	wr_u32(w, r->load_dropped);
	wr_u32(w, (uint32_t)r->load_limit);
	wr_u32(w, (uint32_t)r->load.len);
	wr_bytes(w, r->load.data, r->load.len);

	wr_u64(w, r->histtotal);
	wr_u32(w, (uint32_t)r->nhist);
	for (k = 0; k < r->nhist; k++) {
		h = &r->hist[(r->histhead + k) % r->nhist];
		wr_u32(w, (uint32_t)h->len);
		wr_bytes(w, h->s, h->len);
		wr_u8(w, h->cut ? 1 : 0);
	}
}

int
repl_save(const struct repl *r, uint8_t **out, size_t *lenp, char *err,
    size_t errlen)
{
	struct wr	 w = { NULL, 0 };
	size_t		 names = 0, k;

	for (k = 0; k < r->prog.nsyms; k++)
		names += strlen(r->prog.syms[k].name);
	if (r->prog.nsyms > REPL_STATE_SYMS_MAX ||
	    names > REPL_STATE_NAMES_MAX) {
		snprintf(err, errlen, "the symbol table (%zu symbols, %zu "
		    "bytes of names) is past what a saved session carries "
		    "(%d symbols, %d bytes)", r->prog.nsyms, names,
		    REPL_STATE_SYMS_MAX, REPL_STATE_NAMES_MAX);
		return -1;
	}
	state_write(r, &w);
	if ((w.p = malloc(w.off)) == NULL) {
		snprintf(err, errlen, "out of memory saving the session "
		    "(%zu bytes)", w.off);
		return -1;
	}
	*lenp = w.off;
	w.off = 0;
	state_write(r, &w);
	*out = w.p;
	return 0;
}

size_t
repl_state_max(const struct repl *r)
{
	size_t	 n;

	n = STATE_MAGIC_LEN + 8 + 3 * 8;		/* header, counters */
	n += ISA_NREGS * (4 + 8) + 4 * 4 + 1;		/* registers */
	n += 4 + (size_t)r->cfg.heap_bytes;
	n += 4 + (size_t)r->cfg.stack_depth * 4;
	n += 3 * 4 + ISA_IMAGE_MAX;			/* program */
	n += (size_t)REPL_STATE_SYMS_MAX * (4 + 4 + 1 + 4) +
	    REPL_STATE_NAMES_MAX;
	n += 2 + 4 * 4 + r->cfg.max_load_bytes;		/* !load block */
	n += 8 + 4 + (size_t)r->cfg.history * (4 + 1 + REPL_HISTORY_LINE);
	return n;
}

/* --- reading ------------------------------------------------------------ */

/* The reader: the first error stops it and is the one reported. */
struct rd {
	const uint8_t	*p;
	size_t		 len, off;
	char		*err;
	size_t		 errlen;
	int		 bad;
};

static void __attribute__((format(printf, 2, 3)))
rd_fail(struct rd *d, const char *fmt, ...)
{
	va_list	 ap;

	if (d->bad)
		return;
	d->bad = 1;
	va_start(ap, fmt);
	vsnprintf(d->err, d->errlen, fmt, ap);
	va_end(ap);
}

/* n bytes for field what, or NULL (truncated) */
static const uint8_t *
rd_bytes(struct rd *d, size_t n, const char *what)
{
	const uint8_t	*p;

	if (d->bad)
		return NULL;
	if (n > d->len - d->off) {
		rd_fail(d, "truncated at byte %zu: %s needs %zu bytes, %zu "
		    "are left", d->off, what, n, d->len - d->off);
		return NULL;
	}
	p = d->p + d->off;
	d->off += n;
	return p;
}

static uint64_t
rd_uint(struct rd *d, size_t n, const char *what)
{
	const uint8_t	*p;
	uint64_t	 v = 0;
	size_t		 i;

	if ((p = rd_bytes(d, n, what)) == NULL)
		return 0;
	for (i = 0; i < n; i++)
		v |= (uint64_t)p[i] << (8 * i);
	return v;
}

static uint32_t
rd_u32(struct rd *d, const char *what)
{
	return (uint32_t)rd_uint(d, 4, what);
}

static uint64_t
rd_u64(struct rd *d, const char *what)
{
	return rd_uint(d, 8, what);
}

/* A flag: 0 or 1. */
static int
rd_bool(struct rd *d, const char *what)
{
	size_t		 at = d->off;
	uint64_t	 v = rd_uint(d, 1, what);

	if (v > 1)
		rd_fail(d, "%s at byte %zu is %llu, not 0 or 1", what, at,
		    (unsigned long long)v);
	return (int)v;
}

/* A length field, at most max (why: the limit's name). */
static uint32_t
rd_len(struct rd *d, const char *what, uint64_t max, const char *why)
{
	size_t		 at = d->off;
	uint32_t	 v = rd_u32(d, what);

	if (!d->bad && v > max) {
		rd_fail(d, "%s of %u at byte %zu is past %s of %llu", what, v,
		    at, why, (unsigned long long)max);
		return 0;
	}
	return v;
}

/* What the reader builds beside the session; freed unless taken. */
struct loaded {
	struct repl_stats st;
	struct vm	*vm;
	struct asm_prog	 prog;
	struct repl_hist *hist;
	size_t		 nhist;
	uint64_t	 histtotal;
	int		 loading, load_over;
	unsigned	 load_lines, load_dropped;
	size_t		 load_limit;
	struct buf	 load;
};

static void
loaded_free(struct loaded *l)
{
	size_t	 i;

	vm_free(l->vm);
	asm_prog_free(&l->prog);
	for (i = 0; i < l->nhist; i++)
		free(l->hist[i].s);
	free(l->hist);
	buf_free(&l->load);
}

static void
rd_registers(struct rd *d, struct vm_state *st, int32_t *bp)
{
	uint64_t	 bits;
	int		 i;

	for (i = 0; i < ISA_NREGS; i++)
		st->reg[i] = (int32_t)rd_u32(d, "an integer register");
	for (i = 0; i < ISA_NREGS; i++) {
		bits = rd_u64(d, "a float register");
		memcpy(&st->freg[i], &bits, sizeof(bits));
	}
	st->pc = rd_u32(d, "pc");
	st->remainder = (int32_t)rd_u32(d, "the remainder");
	st->loop_counter = rd_u32(d, "the loop counter");
	st->equal_flag = rd_bool(d, "the equal flag");
	*bp = (int32_t)rd_u32(d, "the frame pointer");
}

/* The heap and the stack, into l->vm (which holds the program). */
static void
rd_memory(struct rd *d, struct loaded *l, const struct repl_config *cfg,
    int32_t bp)
{
	const uint8_t	*heap;
	const uint8_t	*raw;
	int32_t		*stack = NULL;
	uint32_t	 hlen, depth, i;

	hlen = rd_len(d, "the heap", cfg->heap_bytes,
	    "this session's heap limit");
	if (!d->bad && hlen < VM_HEAP_INITIAL)
		rd_fail(d, "the heap of %u bytes is smaller than a new VM's "
		    "(%d bytes)", hlen, VM_HEAP_INITIAL);
	heap = rd_bytes(d, hlen, "the heap");
	depth = rd_len(d, "the stack depth", cfg->stack_depth,
	    "this session's stack limit");
	raw = rd_bytes(d, (size_t)depth * 4, "the stack");
	if (d->bad)
		return;
	if (depth > 0 && (stack = reallocarray(NULL, depth,
	    sizeof(*stack))) == NULL) {
		rd_fail(d, "out of memory reading the stack");
		return;
	}
	for (i = 0; i < depth; i++)
		stack[i] = (int32_t)isa_get32le(raw + 4 * (size_t)i);
	if (vm_restore_memory(l->vm, heap, hlen, stack, depth, bp) == -1)
		rd_fail(d, "out of memory restoring the heap and the stack");
	free(stack);
}

static void
rd_symbols(struct rd *d, struct asm_prog *prog)
{
	const uint8_t	*name;
	size_t		 names = 0, at;
	uint32_t	 n, i, len, value, line, start, end;
	int		 data, rv;

	start = ISA_RO_OFFSET + prog->ro_len;
	end = start + prog->code_len;
	n = rd_len(d, "the symbol count", REPL_STATE_SYMS_MAX,
	    "the format's limit");
	for (i = 0; i < n && !d->bad; i++) {
		at = d->off;
		len = rd_len(d, "a symbol's name", REPL_STATE_NAMES_MAX,
		    "the format's limit");
		name = rd_bytes(d, len, "a symbol's name");
		value = rd_u32(d, "a symbol's value");
		data = rd_bool(d, "a symbol's kind");
		line = rd_u32(d, "a symbol's line");
		if (d->bad)
			return;
		if ((names += len) > REPL_STATE_NAMES_MAX)
			rd_fail(d, "symbol %u at byte %zu: the names pass the "
			    "format's limit of %d bytes", i, at,
			    REPL_STATE_NAMES_MAX);
		else if (data && value > prog->ro_len)
			rd_fail(d, "symbol %u at byte %zu: data offset %u is "
			    "past the RO data (%u bytes)", i, at, value,
			    prog->ro_len);
		else if (!data && (value < start || value > end ||
		    (value - start) % ISA_INSN_LEN != 0))
			rd_fail(d, "symbol %u at byte %zu: code offset %u is "
			    "not on an instruction (code %u..%u)", i, at,
			    value, start, end);
		else if ((rv = asm_sym_restore(prog, (const char *)name, len,
		    value, data ? ASM_SYM_DATA : ASM_SYM_CODE, line)) ==
		    ASM_SYM_BADNAME)
			rd_fail(d, "symbol %u at byte %zu: not a label name "
			    "([A-Za-z_][A-Za-z0-9_]*)", i, at);
		else if (rv == ASM_SYM_DUP)
			rd_fail(d, "symbol %u at byte %zu: a second label "
			    "of that name", i, at);
		else if (rv != 0)
			rd_fail(d, "out of memory reading the symbols");
	}
}

static void
rd_program(struct rd *d, struct asm_prog *prog)
{
	const uint8_t	*ro, *code;
	uint32_t	 ro_len, code_len;

	ro_len = rd_len(d, "the RO data", ISA_IMAGE_MAX - ISA_RO_OFFSET,
	    "the image size");
	ro = rd_bytes(d, ro_len, "the RO data");
	code_len = rd_len(d, "the code", ISA_IMAGE_MAX - ISA_RO_OFFSET -
	    (uint64_t)ro_len, "what the image size leaves");
	code = rd_bytes(d, code_len, "the code");
	if (d->bad)
		return;
	if (ro_len % 4 != 0 || code_len % ISA_INSN_LEN != 0) {
		rd_fail(d, "RO data of %u bytes and code of %u bytes: both "
		    "must be whole 4-byte words", ro_len, code_len);
		return;
	}
	if ((ro_len > 0 && (prog->ro = malloc(ro_len)) == NULL) ||
	    (code_len > 0 && (prog->code = malloc(code_len)) == NULL)) {
		rd_fail(d, "out of memory reading the program");
		return;
	}
	if (ro_len > 0)
		memcpy(prog->ro, ro, ro_len);
	if (code_len > 0)
		memcpy(prog->code, code, code_len);
	prog->ro_len = ro_len;
	prog->code_len = code_len;
	rd_symbols(d, prog);
}

static void
rd_load_block(struct rd *d, struct loaded *l, const struct repl_config *cfg)
{
	const uint8_t	*text;
	uint32_t	 len;

	l->loading = rd_bool(d, "the !load block's flag");
	l->load_over = rd_bool(d, "the !load block's overflow flag");
	l->load_lines = rd_u32(d, "the !load block's line count");
	l->load_dropped = rd_u32(d, "the !load block's dropped line");
	l->load_limit = rd_u32(d, "the !load block's line limit");
	len = rd_len(d, "the !load text", cfg->max_load_bytes,
	    "this session's !load limit");
	text = rd_bytes(d, len, "the !load text");
	if (d->bad)
		return;
	if (!l->loading && (l->load_over || l->load_lines != 0 ||
	    l->load_dropped != 0 || l->load_limit != 0 || len != 0))
		rd_fail(d, "no !load block is open, yet it holds lines");
	else if (l->load_dropped > l->load_lines)
		rd_fail(d, "the !load block's dropped line %u is past its %u "
		    "lines", l->load_dropped, l->load_lines);
	else if ((l->load_dropped != 0) != (l->load_limit != 0))
		rd_fail(d, "the !load block's dropped line and its limit "
		    "disagree");
	else if ((l->load_over || l->load_dropped != 0) && len != 0)
		rd_fail(d, "a spoiled !load block keeps no text");
	else if (len > 0 && buf_append(&l->load, text, len) == -1)
		rd_fail(d, "out of memory reading the !load text");
}

static void
rd_history(struct rd *d, struct loaded *l, const struct repl_config *cfg)
{
	const uint8_t	*p;
	struct repl_hist *h;
	uint32_t	 n, i, len;
	size_t		 at;
	int		 cut;

	l->histtotal = rd_u64(d, "the history's total");
	n = rd_len(d, "the history", cfg->history,
	    "this session's history lines");
	if (d->bad)
		return;
	if (n > l->histtotal) {
		rd_fail(d, "the history keeps %u lines of %llu typed", n,
		    (unsigned long long)l->histtotal);
		return;
	}
	if (n > 0 && (l->hist = calloc(n, sizeof(*l->hist))) == NULL) {
		rd_fail(d, "out of memory reading the history");
		return;
	}
	for (i = 0; i < n && !d->bad; i++) {
		at = d->off;
		len = rd_len(d, "a history line", REPL_HISTORY_LINE,
		    "the longest line the history keeps");
		p = rd_bytes(d, len, "a history line");
		cut = rd_bool(d, "a history line's cut flag");
		if (d->bad)
			return;
		if (len == 0 || (cut && len != REPL_HISTORY_LINE)) {
			rd_fail(d, "history line %u at byte %zu: %s", i + 1,
			    at, len == 0 ? "empty" : "cut, yet shorter than "
			    "the longest kept");
			return;
		}
		h = &l->hist[l->nhist];
		if ((h->s = malloc((size_t)len + 1)) == NULL) {
			rd_fail(d, "out of memory reading the history");
			return;
		}
		memcpy(h->s, p, len);
		h->s[len] = '\0';
		h->len = len;
		h->cut = cut;
		l->nhist++;
	}
}

static void
rd_state(struct rd *d, struct loaded *l, const struct repl_config *cfg)
{
	struct vm_limits lim;
	struct vm_state	 st;
	struct image	 img;
	const uint8_t	*magic;
	uint32_t	 v, flags, start;
	int32_t		 bp;

	if ((magic = rd_bytes(d, STATE_MAGIC_LEN, "the magic")) == NULL)
		return;
	if (memcmp(magic, STATE_MAGIC, STATE_MAGIC_LEN) != 0) {
		rd_fail(d, "not a saved session (bad magic at byte 0)");
		return;
	}
	v = rd_u32(d, "the version");
	flags = rd_u32(d, "the flags");
	if (!d->bad && v != REPL_STATE_VERSION) {
		rd_fail(d, "format version %u; this build reads version %d",
		    v, REPL_STATE_VERSION);
		return;
	}
	if (!d->bad && flags != 0) {
		rd_fail(d, "flags 0x%x at byte 12: none is defined", flags);
		return;
	}
	l->st.instructions = rd_u64(d, "the instruction count");
	l->st.commands = rd_u64(d, "the command count");
	l->st.errors = rd_u64(d, "the error count");
	memset(&st, 0, sizeof(st));
	rd_registers(d, &st, &bp);
	if (d->bad)
		return;

	rd_program(d, &l->prog);
	if (d->bad)
		return;
	lim.heap_bytes = cfg->heap_bytes;
	lim.stack_depth = cfg->stack_depth;
	asm_prog_image(&l->prog, &img);
	if ((l->vm = vm_new(&lim)) == NULL || vm_load(l->vm, &img) == -1) {
		rd_fail(d, "out of memory creating the VM");
		return;
	}
	rd_memory(d, l, cfg, bp);
	if (d->bad)
		return;
	start = ISA_RO_OFFSET + l->prog.ro_len;
	if (st.pc < start || st.pc > start + l->prog.code_len ||
	    (st.pc - start) % ISA_INSN_LEN != 0) {
		rd_fail(d, "pc %u is not on an instruction (code %u..%u)",
		    st.pc, start, start + l->prog.code_len);
		return;
	}
	*vm_state(l->vm) = st;
	rd_load_block(d, l, cfg);
	rd_history(d, l, cfg);
	if (!d->bad && d->off != d->len)
		rd_fail(d, "%zu bytes after the end of the state at byte %zu",
		    d->len - d->off, d->off);
}

int
repl_load(struct repl *r, const void *p, size_t len, char *err,
    size_t errlen)
{
	struct rd	 d;
	struct loaded	 l;
	size_t		 i;

	memset(&d, 0, sizeof(d));
	d.p = p;
	d.len = len;
	d.err = err;
	d.errlen = errlen;
	memset(&l, 0, sizeof(l));
	asm_prog_init(&l.prog);
	buf_init(&l.load, 0);
	if (len > repl_state_max(r))
		rd_fail(&d, "%zu bytes, past the %zu this session's limits "
		    "allow", len, repl_state_max(r));
	else
		rd_state(&d, &l, &r->cfg);
	if (d.bad) {
		loaded_free(&l);
		return -1;
	}

	/* All good: the session takes the new state whole. */
	vm_free(r->vm);
	r->vm = l.vm;
	vm_set_output(r->vm, repl_vm_output, r);
	r->vm_stale = 0;
	asm_prog_free(&r->prog);
	r->prog = l.prog;
	for (i = 0; i < r->nhist; i++)
		free(r->hist[i].s);
	free(r->hist);
	r->hist = l.hist;
	r->nhist = r->histcap = l.nhist;
	r->histhead = 0;
	r->histtotal = l.histtotal;
	buf_free(&r->load);
	r->load = l.load;
	r->loading = l.loading;
	r->load_over = l.load_over;
	r->load_lines = l.load_lines;
	r->load_dropped = l.load_dropped;
	r->load_limit = l.load_limit;
	r->st.instructions = l.st.instructions;
	r->st.commands = l.st.commands;
	r->st.errors = l.st.errors;
	return 0;
}
