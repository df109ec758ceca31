/*
 * asm.c: the Iridium assembler (see asm.h and iridium(7), "THE
 * ASSEMBLY LANGUAGE"): whole files, typed lines, symbols, encoding, diagnostics.
 *
 * asm_parse_line() (asm_lex.c) turns one line into an item: its label,
 * what it is (an instruction, a data or section directive, nothing) and
 * its operands, with every error that needs no symbol table. asm_source()
 * runs it twice over the file: pass 1 silently sizes every item and gives
 * every label its value; pass 2 reports every error (syntax again, then
 * duplicates, section rules, label operands, the image limit) and
 * encodes. asm_line() runs it once against an existing program for the
 * REPL. Nothing is written to the caller's program until the whole input
 * is known to be good.
 */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "asm.h"
#include "asm_internal.h"
#include "isa.h"

/* One assembly: where errors go and the symbol table being built or used. */
struct asm_ctx {
	struct asm_errs	 e;
	size_t		 diag0;		/* diags_total() on entry */
	/* asm_source: the table being built, with its index. */
	struct asm_prog	 tab;
	/* asm_line: the program's table plus the line's own label. */
	const struct asm_prog *prog;
	const char	*self;
	size_t		 selflen;
	uint32_t	 selfval;
	/* The work done, against the budget; the host's poll. */
	struct asm_work	*w;
	uint64_t	 steps, budget, slice, next_poll;
	int		 over;		/* the budget is spent */
	int		 stopped;	/* the poll said stop */
};

/* --- diagnostics ---------------------------------------------------------- */

void
asm_diags_init(struct asm_diags *d)
{
	d->v = NULL;
	d->n = d->cap = 0;
	d->more = 0;
	d->more_line = 0;
	d->summed = 0;
}

/* Errors counted so far, kept or not. */
static size_t
diags_total(const struct asm_diags *d)
{
	return d->n + d->more;
}

/* Forget the errors counted after the first n (a diags_total()). */
static void
diags_truncate(struct asm_diags *d, size_t n)
{
	while (diags_total(d) > n) {
		if (d->more > 0)
			d->more--;
		else
			free(d->v[--d->n].msg);
	}
}

/*
 * The line that says how many errors were counted but not kept; after
 * it the cap is off, so that a last word (the work budget's) is kept.
 */
static void
diags_sum(struct asm_diags *d)
{
	if (d->summed)
		return;
	d->summed = 1;
	if (d->more > 0)
		(void)asm_diag_add(d, d->more_line, 1, "too many errors: %zu "
		    "more not shown (the last on line %u)", d->more,
		    d->more_line);
}

void
asm_diags_free(struct asm_diags *d)
{
	diags_truncate(d, 0);
	free(d->v);
	asm_diags_init(d);
}

int
asm_diag_format(char *buf, size_t len, const char *file,
    const struct asm_diag *dg)
{
	if (file != NULL)
		return snprintf(buf, len, "%s:%u:%u: %s", file, dg->line,
		    dg->col, dg->msg);
	return snprintf(buf, len, "%u:%u: %s", dg->line, dg->col, dg->msg);
}

int
asm_diag_addv(struct asm_diags *d, unsigned line, unsigned col, const char *fmt,
    va_list ap)
{
	struct asm_diag	*v;
	char		*msg;
	size_t		 i, ncap;

	if (d->n >= ASM_DIAGS_MAX && !d->summed) {
		d->more++;
		d->more_line = line;
		return 0;
	}
	if (vasprintf(&msg, fmt, ap) < 0)
		return -1;
	if (d->n == d->cap) {
		ncap = d->cap != 0 ? d->cap * 2 : 16;
		if ((v = reallocarray(d->v, ncap, sizeof(*v))) == NULL) {
			free(msg);
			return -1;
		}
		d->v = v;
		d->cap = ncap;
	}
	/*
	 * Errors arrive line by line, but within a line not in column
	 * order (a missing operand is found after the operands), so sort
	 * the new one into its line's tail.
	 */
	i = d->n;
	while (i > 0 && (d->v[i - 1].line > line ||
	    (d->v[i - 1].line == line && d->v[i - 1].col > col))) {
		d->v[i] = d->v[i - 1];
		i--;
	}
	d->v[i].line = line;
	d->v[i].col = col;
	d->v[i].msg = msg;
	d->n++;
	return 0;
}

int
asm_diag_add(struct asm_diags *d, unsigned line, unsigned col,
    const char *fmt, ...)
{
	va_list	 ap;
	int	 rv;

	va_start(ap, fmt);
	rv = asm_diag_addv(d, line, col, fmt, ap);
	va_end(ap);
	return rv;
}

static void
err(struct asm_ctx *, struct item *, unsigned, const char *, ...)
    __attribute__((format(printf, 4, 5)));

/* One error of the current line; pass 1 only counts it. */
static void
err(struct asm_ctx *c, struct item *it, unsigned col, const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	asm_verr(&c->e, it, col, fmt, ap);
	va_end(ap);
}

/* --- symbols -------------------------------------------------------------- */

static struct asm_sym *
ctx_find(struct asm_ctx *c, const char *p, size_t len)
{
	/* The table is the context's own: its entries may be changed. */
	return (struct asm_sym *)(uintptr_t)asm_sym_lookup(&c->tab, p, len,
	    &c->steps);
}

/* Add a label not yet in the table. */
static int
ctx_add(struct asm_ctx *c, const char *p, size_t len, unsigned line)
{
	return asm_sym_append(&c->tab, p, len, 0, ASM_SYM_CODE, line,
	    &c->steps);
}

static const struct asm_sym *
prog_find(struct asm_ctx *c, const struct asm_prog *prog, const char *p,
    size_t len)
{
	return asm_sym_lookup(prog, p, len, &c->steps);
}

const struct asm_sym *
asm_sym_find(const struct asm_prog *prog, const char *name)
{
	uint64_t	 steps = 0;

	return asm_sym_lookup(prog, name, strlen(name), &steps);
}

/* The value of a label operand, or -1 when it is not declared (yet). */
static int
lookup(struct asm_ctx *c, const char *p, size_t len, uint32_t *v)
{
	const struct asm_sym	*s;

	if (c->prog == NULL) {
		if ((s = ctx_find(c, p, len)) == NULL)
			return -1;
		*v = s->value;
		return 0;
	}
	if (c->self != NULL && c->selflen == len &&
	    memcmp(c->self, p, len) == 0) {
		*v = c->selfval;
		return 0;
	}
	if ((s = prog_find(c, c->prog, p, len)) == NULL)
		return -1;
	*v = s->value;
	return 0;
}

/* Bytes an item adds to the code or (data) to the RO section. */
static uint32_t
item_size(const struct item *it, int *data)
{
	*data = 0;
	switch (it->kind) {
	case IT_INSN:
		return it->split ? 2 * ISA_INSN_LEN : ISA_INSN_LEN;
	case IT_BADINSN:
		return ISA_INSN_LEN;
	case IT_ASCIIZ:
		*data = 1;
		return it->str.kind == TOK_STRING && !it->str.unterminated ?
		    (uint32_t)it->str.nbytes + 1 : 0;
	case IT_INTEGER:
		*data = 1;
		return 4;
	default:
		return 0;
	}
}

static int
is_item(const struct item *it)
{
	return it->kind == IT_INSN || it->kind == IT_BADINSN ||
	    it->kind == IT_ASCIIZ || it->kind == IT_INTEGER;
}

/* --- resolving and encoding ----------------------------------------------- */

/*
 * Give every operand of an error-free item its final value in v[],
 * checking label operands against their range.
 */
static void
resolve(struct asm_ctx *c, struct item *it, int64_t *v)
{
	struct opnd	*o;
	char		 q[ASM_QUOTE_SIZE];
	const char	*what = it->name, *note = "";
	int64_t		 lo, hi;
	uint32_t	 val;
	int		 i;

	if (it->kind == IT_INTEGER) {
		lo = INT32_MIN;
		hi = UINT32_MAX;
	} else {
		lo = it->info->lo;
		hi = it->info->hi;
		if (it->op == OP_LOAD) {
			lo = IMM16_MIN;
			hi = IMM16_MAX;
			note = "; a label is never split into load+lui";
		}
	}
	for (i = 0; i < it->nopnd; i++) {
		o = &it->opnd[i];
		v[i] = o->val;
		if (o->kind != OPND_LABEL)
			continue;
		asm_quote(q, o->p + 1, o->len - 1);
		if (lookup(c, o->p + 1, o->len - 1, &val) == -1) {
			if (c->prog != NULL)
				err(c, it, o->col, "undefined label '%s' (a "
				    "typed line can only use labels declared "
				    "before it)", q);
			else
				err(c, it, o->col, "undefined label '%s'", q);
			continue;
		}
		v[i] = val;
		if (v[i] < lo || v[i] > hi)
			err(c, it, o->col, "label '%s' (value %u) out of range "
			    "for %s (%lld..%lld%s)", q, val, what,
			    (long long)lo, (long long)hi, note);
	}
}

static void
encode(const struct item *it, const int64_t *v, uint8_t *out)
{
	uint32_t	 n;
	int		 i, pos = 1;

	memset(out, 0, it->split ? 2 * ISA_INSN_LEN : ISA_INSN_LEN);
	if (it->split) {
		/* LOAD sign-extends hi; LUI shifts it up and ors in lo. */
		n = (uint32_t)v[1];
		out[0] = OP_LOAD;
		out[1] = (uint8_t)v[0];
		isa_put16(out + 2, (uint16_t)(n >> 16));
		out[4] = OP_LUI;
		out[5] = (uint8_t)v[0];
		isa_put16(out + 6, (uint16_t)(n & 0xffff));
		return;
	}
	out[0] = (uint8_t)it->op;
	for (i = 0; i < it->nopnd; i++) {
		if (isa_opnd_is_reg(it->info->fmt, i))
			out[pos++] = (uint8_t)v[i];
		else {
			isa_put16(out + pos, (uint16_t)v[i]);
			pos += 2;
		}
	}
}

/* --- whole files ---------------------------------------------------------- */

struct sizes {
	uint64_t	 ro;		/* unpadded */
	uint64_t	 code;
	int		 has_sections;
};

static uint64_t
round4(uint64_t n)
{
	return (n + 3) & ~(uint64_t)3;
}

static uint32_t
clamp32(uint64_t n)
{
	return n > UINT32_MAX ? UINT32_MAX : (uint32_t)n;
}

/* Walks the lines of a source text, numbering them from 1. */
struct lines {
	const char	*p, *end;
	int		 done;
};

static void
lines_init(struct lines *ls, const char *src, size_t len)
{
	ls->p = src;
	ls->end = src + len;
	ls->done = 0;
}

/*
 * Between two lines: the work so far against the budget, and the host's
 * poll once a slice has passed. -1: stop here (c->over or c->stopped).
 */
static int
work_check(struct asm_ctx *c)
{
	if (c->over || c->stopped)
		return -1;
	if (c->steps > c->budget) {
		c->over = 1;
		return -1;
	}
	if (c->w != NULL && c->w->poll != NULL && c->steps >= c->next_poll) {
		c->next_poll = c->steps + c->slice;
		if (c->w->poll(c->w->arg) != 0) {
			c->stopped = 1;
			return -1;
		}
	}
	return 0;
}

static int
lines_next(struct asm_ctx *c, struct lines *ls, const char **line,
    size_t *n)
{
	const char	*nl;

	if (ls->done || c->e.oom || work_check(c) == -1)
		return 0;
	nl = memchr(ls->p, '\n', (size_t)(ls->end - ls->p));
	*line = ls->p;
	*n = (size_t)((nl != NULL ? nl : ls->end) - ls->p);
	if (nl != NULL)
		ls->p = nl + 1;
	else
		ls->done = 1;
	c->e.lineno++;
	/* Reading it; the lexer and the parser read it once more. */
	c->steps += 1 + *n / 8;
	return 1;
}

/* Pass 1: size every item and give every label its value. */
static void
pass1(struct asm_ctx *c, const char *src, size_t len, struct sizes *sz)
{
	struct item	 it;
	struct lines	 ls;
	const char	*line;
	size_t		 n, pending = 0, i;
	uint32_t	 size;
	uint64_t	 base;
	int		 data;

	memset(sz, 0, sizeof(*sz));
	c->e.report = 0;
	c->e.lineno = 0;
	lines_init(&ls, src, len);
	while (lines_next(c, &ls, &line, &n)) {
		asm_parse_line(&c->e, line, n, &it);
		if (it.kind == IT_SECDATA || it.kind == IT_SECCODE)
			sz->has_sections = 1;
		if (it.label_ok && ctx_find(c, it.label, it.labellen) == NULL &&
		    ctx_add(c, it.label, it.labellen, c->e.lineno) == -1)
			c->e.oom = 1;
		if (is_item(&it)) {
			size = item_size(&it, &data);
			/* Labels alone on lines before name this item too. */
			for (i = pending; i < c->tab.nsyms; i++) {
				c->tab.syms[i].kind = data ? ASM_SYM_DATA :
				    ASM_SYM_CODE;
				c->tab.syms[i].value = clamp32(data ? sz->ro :
				    sz->code);
			}
			pending = c->tab.nsyms;
			if (data)
				sz->ro += size;
			else
				sz->code += size;
		}
	}
	for (i = pending; i < c->tab.nsyms; i++) {
		c->tab.syms[i].kind = ASM_SYM_CODE;
		c->tab.syms[i].value = clamp32(sz->code);
	}
	/* Code labels were offsets into the code; make them image offsets. */
	base = ISA_RO_OFFSET + round4(sz->ro);
	for (i = 0; i < c->tab.nsyms; i++)
		if (c->tab.syms[i].kind == ASM_SYM_CODE)
			c->tab.syms[i].value = clamp32(base + c->tab.syms[i].value);
}

/* Section state of pass 2. */
struct sections {
	int		 has;		/* the file uses section directives */
	enum item_kind	 cur;		/* IT_NONE before the first */
	unsigned	 data_line, code_line;
};

static void
check_sections(struct asm_ctx *c, struct item *it, struct sections *s)
{
	switch (it->kind) {
	case IT_SECDATA:
		if (s->data_line != 0)
			err(c, it, it->wordcol, "second .data section (the "
			    "first is on line %u)", s->data_line);
		else if (s->code_line != 0)
			err(c, it, it->wordcol, ".data after .code (the .data "
			    "section comes first)");
		else
			s->data_line = c->e.lineno;
		s->cur = IT_SECDATA;
		break;
	case IT_SECCODE:
		if (s->code_line != 0)
			err(c, it, it->wordcol, "second .code section (the "
			    "first is on line %u)", s->code_line);
		else
			s->code_line = c->e.lineno;
		s->cur = IT_SECCODE;
		break;
	case IT_INSN:
		if (s->has && s->cur == IT_NONE)
			err(c, it, it->wordcol, "instruction '%s' outside a "
			    "section (this file has section directives: put "
			    "it after .code)", it->name);
		else if (s->cur == IT_SECDATA)
			err(c, it, it->wordcol, "instruction '%s' in the .data "
			    "section (instructions go after .code)", it->name);
		break;
	case IT_ASCIIZ:
	case IT_INTEGER:
		if (!s->has)
			err(c, it, it->wordcol, "data directive %s without a "
			    ".data section (with no section directive the "
			    "whole file is code)", it->name);
		else if (s->cur == IT_NONE)
			err(c, it, it->wordcol, "data directive %s outside a "
			    "section (put it after .data)", it->name);
		else if (s->cur == IT_SECCODE)
			err(c, it, it->wordcol, "data directive %s in the "
			    ".code section (data goes after .data)", it->name);
		break;
	default:
		break;
	}
}

/* Output of pass 2, allocated when the image fits. */
struct out {
	uint8_t		*ro, *code;
	uint64_t	 ro_off, code_off;
	int		 emit;
	int		 too_big_said;
	uint64_t	 total;
};

static void
pass2_line(struct asm_ctx *c, struct item *it, struct sections *s,
    size_t *pending, struct out *o)
{
	const struct asm_sym	*sym;
	char			 q[ASM_QUOTE_SIZE];
	int64_t			 v[3];
	uint32_t		 size;
	uint64_t		 end;
	int			 data;

	if (it->label_ok && (sym = ctx_find(c, it->label, it->labellen)) !=
	    NULL && sym->line != c->e.lineno)
		err(c, it, it->labelcol, "duplicate label '%s' (first declared "
		    "on line %u)", asm_quote(q, it->label, it->labellen),
		    sym->line);
	check_sections(c, it, s);
	if (!is_item(it)) {
		if (it->has_label)
			(*pending)++;
		return;
	}
	if ((it->kind == IT_ASCIIZ || it->kind == IT_INTEGER) &&
	    !it->has_label && *pending == 0)
		err(c, it, it->wordcol, "data directive %s needs a label "
		    "(write 'name: %s ...')", it->name, it->name);
	*pending = 0;
	if (it->kind == IT_INSN || it->kind == IT_INTEGER)
		resolve(c, it, v);
	size = item_size(it, &data);
	end = ISA_RO_OFFSET + round4(o->ro_off + (data ? size : 0)) +
	    o->code_off + (data ? 0 : size);
	if (end > ISA_IMAGE_MAX && !o->too_big_said) {
		o->too_big_said = 1;
		err(c, it, it->wordcol, "image too large (%llu bytes, at most "
		    "%d): this is the first item past the limit",
		    (unsigned long long)o->total, ISA_IMAGE_MAX);
	}
	if (o->emit && it->nerr == 0 && !c->e.oom) {
		if (it->kind == IT_ASCIIZ)
			asm_str_decode(&it->str, o->ro + o->ro_off);
		else if (it->kind == IT_INTEGER)
			isa_put32le(o->ro + o->ro_off, (uint32_t)v[0]);
		else if (it->kind == IT_INSN)
			encode(it, v, o->code + o->code_off);
	}
	if (data)
		o->ro_off += size;
	else
		o->code_off += size;
}

/*
 * The budget ran out at the current line: one diagnostic says so (even
 * in pass 1, which reports nothing else).
 */
static void
work_over(struct asm_ctx *c, size_t len)
{
	if (asm_diag_add(c->e.diags, c->e.lineno > 0 ? c->e.lineno : 1, 1,
	    "assembly stopped here: it took more than %llu steps, the budget "
	    "for %zu bytes of source (no input of that size needs as much)",
	    (unsigned long long)c->budget, len) == -1)
		c->e.oom = 1;
}

int
asm_source(struct asm_prog *out, const char *src, size_t len,
    struct asm_diags *diags)
{
	return asm_source_work(out, src, len, NULL, diags);
}

int
asm_source_work(struct asm_prog *out, const char *src, size_t len,
    struct asm_work *w, struct asm_diags *diags)
{
	struct asm_ctx	 c;
	struct sizes	 sz;
	struct sections	 s;
	struct out	 o;
	struct item	 it;
	struct lines	 ls;
	const char	*line;
	size_t		 n, pending = 0;
	uint32_t	 ro_len;

	memset(&c, 0, sizeof(c));
	memset(&o, 0, sizeof(o));
	memset(&s, 0, sizeof(s));
	c.e.diags = diags;
	c.diag0 = diags_total(diags);
	c.w = w;
	c.budget = w != NULL && w->budget != 0 ? w->budget : ASM_BUDGET(len);
	c.slice = w != NULL && w->slice != 0 ? w->slice : ASM_SLICE_DEFAULT;
	c.next_poll = c.slice;
	if (w != NULL)
		w->used = 0;
	if (len > UINT32_MAX / 2) {
		/* Lines and columns are unsigned; no source is this big. */
		(void)asm_diag_add(diags, 1, 1, "source too large (%zu bytes)",
		    len);
		return -1;
	}
	pass1(&c, src, len, &sz);
	if (c.e.oom || c.over || c.stopped)
		goto fail;
	o.total = ISA_RO_OFFSET + round4(sz.ro) + sz.code;
	ro_len = (uint32_t)round4(sz.ro);
	if (o.total <= ISA_IMAGE_MAX) {
		o.emit = 1;
		if ((ro_len > 0 && (o.ro = calloc(1, ro_len)) == NULL) ||
		    (sz.code > 0 && (o.code = malloc(sz.code)) == NULL))
			goto fail;
	}
	s.has = sz.has_sections;
	c.e.report = 1;
	c.e.lineno = 0;
	lines_init(&ls, src, len);
	while (lines_next(&c, &ls, &line, &n)) {
		asm_parse_line(&c.e, line, n, &it);
		pass2_line(&c, &it, &s, &pending, &o);
	}
	/* The last line's work too. */
	(void)work_check(&c);
	if (c.e.oom || c.over || c.stopped || diags_total(diags) > c.diag0)
		goto fail;
	if (w != NULL)
		w->used = c.steps;
	asm_prog_free(out);
	out->ro = o.ro;
	out->ro_len = ro_len;
	out->code = o.code;
	out->code_len = (uint32_t)sz.code;
	out->syms = c.tab.syms;
	out->nsyms = c.tab.nsyms;
	out->symcap = c.tab.symcap;
	out->slots = c.tab.slots;
	out->nslots = c.tab.nslots;
	return 0;
fail:
	if (w != NULL)
		w->used = c.steps;
	if (c.e.oom || c.stopped)
		diags_truncate(diags, c.diag0);
	else
		diags_sum(diags);
	if (c.over && !c.e.oom)
		work_over(&c, len);
	free(o.ro);
	free(o.code);
	asm_sym_free(&c.tab);
	return c.stopped && !c.e.oom ? ASM_STOPPED : -1;
}

/* --- typed lines ---------------------------------------------------------- */

int
asm_line(struct asm_prog *prog, const char *line, size_t len,
    uint32_t *first, unsigned *count, struct asm_diags *diags)
{
	struct asm_ctx	 c;
	struct item	 it;
	uint8_t		*code;
	char		 q[ASM_QUOTE_SIZE];
	int64_t		 v[3];
	uint32_t	 end, size = 0;
	int		 data;

	memset(&c, 0, sizeof(c));
	c.e.diags = diags;
	c.diag0 = diags_total(diags);
	c.e.report = 1;
	c.e.lineno = 1;
	c.prog = prog;
	end = ISA_RO_OFFSET + prog->ro_len + prog->code_len;
	asm_parse_line(&c.e, line, len, &it);
	if (it.label_ok) {
		if (prog_find(&c, prog, it.label, it.labellen) != NULL)
			err(&c, &it, it.labelcol, "duplicate label '%s' "
			    "(already declared in this program)",
			    asm_quote(q, it.label, it.labellen));
		c.self = it.label;
		c.selflen = it.labellen;
		c.selfval = end;
	}
	switch (it.kind) {
	case IT_SECDATA:
	case IT_SECCODE:
		err(&c, &it, it.wordcol, "section directive %s cannot be "
		    "typed: data comes with !load", it.name);
		break;
	case IT_ASCIIZ:
	case IT_INTEGER:
		err(&c, &it, it.wordcol, "data directive %s cannot be typed: "
		    "data comes with !load", it.name);
		break;
	case IT_INSN:
		resolve(&c, &it, v);
		size = item_size(&it, &data);
		if ((uint64_t)end + size > ISA_IMAGE_MAX)
			err(&c, &it, it.wordcol, "image too large (%llu bytes, "
			    "at most %d)", (unsigned long long)end + size,
			    ISA_IMAGE_MAX);
		break;
	default:
		break;
	}
	if (c.e.oom)
		goto oom;
	if (diags_total(diags) > c.diag0 || it.nerr > 0)
		return -1;

	/*
	 * Room for the code first; then the label, which asm_sym_append()
	 * adds whole or not at all; then the code: failure changes nothing.
	 */
	if (size > 0) {
		if ((code = realloc(prog->code, prog->code_len + size)) == NULL)
			goto oom;
		prog->code = code;
	}
	if (it.label_ok && asm_sym_append(prog, it.label, it.labellen, end,
	    ASM_SYM_CODE, 1, &c.steps) == -1)
		goto oom;
	if (size > 0) {
		encode(&it, v, prog->code + prog->code_len);
		prog->code_len += size;
	}
	*first = end;
	*count = size / ISA_INSN_LEN;
	return 0;
oom:
	diags_truncate(diags, c.diag0);
	return -1;
}

/* --- programs ------------------------------------------------------------- */

void
asm_prog_init(struct asm_prog *prog)
{
	memset(prog, 0, sizeof(*prog));
}

void
asm_prog_free(struct asm_prog *prog)
{
	free(prog->ro);
	free(prog->code);
	asm_sym_free(prog);
	asm_prog_init(prog);
}

void
asm_prog_image(const struct asm_prog *prog, struct image *img)
{
	/*
	 * An empty program holds NULL; a view never does, so that users may
	 * pass it to memcpy() and friends, which must not get NULL even for
	 * zero bytes.
	 */
	static const uint8_t	 none[ISA_INSN_LEN];

	img->ro = prog->ro != NULL ? prog->ro : none;
	img->ro_len = prog->ro_len;
	img->code = prog->code != NULL ? prog->code : none;
	img->code_len = prog->code_len;
}

uint8_t *
asm_prog_build(const struct asm_prog *prog, size_t *lenp)
{
	return image_build(prog->ro, prog->ro_len, prog->code, prog->code_len,
	    lenp);
}
