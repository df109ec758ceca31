/*
 * asm.c: the Iridium assembler (see asm.h and ../shared/ISA.md, "Assembly
 * language"): whole files, typed lines, symbols, encoding, diagnostics.
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
	size_t		 diag0;		/* e.diags->n on entry */
	/* asm_source: the table being built, hashed by name. */
	struct asm_sym	*syms;
	size_t		 nsyms, symcap;
	size_t		*htab;		/* index + 1, 0 for an empty slot */
	size_t		 hcap;		/* a power of two */
	/* asm_line: the program's table plus the line's own label. */
	const struct asm_prog *prog;
	const char	*self;
	size_t		 selflen;
	uint32_t	 selfval;
};

/* --- diagnostics ---------------------------------------------------------- */

void
asm_diags_init(struct asm_diags *d)
{
	d->v = NULL;
	d->n = d->cap = 0;
}

/* Drop the diagnostics from index n on. */
static void
diags_truncate(struct asm_diags *d, size_t n)
{
	while (d->n > n)
		free(d->v[--d->n].msg);
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

static size_t
hash_name(const char *p, size_t len)
{
	size_t	 h = 2166136261u;

	while (len-- > 0)
		h = (h ^ (uint8_t)*p++) * 16777619u;
	return h;
}

static int
name_is(const char *name, const char *p, size_t len)
{
	return strncmp(name, p, len) == 0 && name[len] == '\0';
}

static struct asm_sym *
ctx_find(struct asm_ctx *c, const char *p, size_t len)
{
	size_t	 i, j;

	if (c->htab == NULL)
		return NULL;
	for (i = hash_name(p, len) & (c->hcap - 1); c->htab[i] != 0;
	    i = (i + 1) & (c->hcap - 1)) {
		j = c->htab[i] - 1;
		if (name_is(c->syms[j].name, p, len))
			return &c->syms[j];
	}
	return NULL;
}

static int
htab_grow(struct asm_ctx *c)
{
	size_t	*t, ncap, i, j;

	ncap = c->hcap != 0 ? c->hcap * 2 : 64;
	if ((t = calloc(ncap, sizeof(*t))) == NULL)
		return -1;
	for (j = 0; j < c->nsyms; j++) {
		i = hash_name(c->syms[j].name, strlen(c->syms[j].name)) &
		    (ncap - 1);
		while (t[i] != 0)
			i = (i + 1) & (ncap - 1);
		t[i] = j + 1;
	}
	free(c->htab);
	c->htab = t;
	c->hcap = ncap;
	return 0;
}

/* Add a label not yet in the table. */
static int
ctx_add(struct asm_ctx *c, const char *p, size_t len, unsigned line)
{
	struct asm_sym	*s;
	size_t		 i, ncap;

	if (c->nsyms == c->symcap) {
		ncap = c->symcap != 0 ? c->symcap * 2 : 32;
		if ((s = reallocarray(c->syms, ncap, sizeof(*s))) == NULL)
			return -1;
		c->syms = s;
		c->symcap = ncap;
	}
	if ((c->nsyms + 1) * 2 > c->hcap && htab_grow(c) == -1)
		return -1;
	s = &c->syms[c->nsyms];
	if ((s->name = strndup(p, len)) == NULL)
		return -1;
	s->value = 0;
	s->kind = ASM_SYM_CODE;
	s->line = line;
	for (i = hash_name(p, len) & (c->hcap - 1); c->htab[i] != 0;
	    i = (i + 1) & (c->hcap - 1))
		;
	c->htab[i] = ++c->nsyms;
	return 0;
}

static void
syms_free(struct asm_sym *syms, size_t n)
{
	size_t	 i;

	for (i = 0; i < n; i++)
		free(syms[i].name);
	free(syms);
}

static const struct asm_sym *
prog_find(const struct asm_prog *prog, const char *p, size_t len)
{
	size_t	 i;

	for (i = 0; i < prog->nsyms; i++)
		if (name_is(prog->syms[i].name, p, len))
			return &prog->syms[i];
	return NULL;
}

const struct asm_sym *
asm_sym_find(const struct asm_prog *prog, const char *name)
{
	return prog_find(prog, name, strlen(name));
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
	if ((s = prog_find(c->prog, p, len)) == NULL)
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

static int
lines_next(struct asm_ctx *c, struct lines *ls, const char **line,
    size_t *n)
{
	const char	*nl;

	if (ls->done || c->e.oom)
		return 0;
	nl = memchr(ls->p, '\n', (size_t)(ls->end - ls->p));
	*line = ls->p;
	*n = (size_t)((nl != NULL ? nl : ls->end) - ls->p);
	if (nl != NULL)
		ls->p = nl + 1;
	else
		ls->done = 1;
	c->e.lineno++;
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
			for (i = pending; i < c->nsyms; i++) {
				c->syms[i].kind = data ? ASM_SYM_DATA :
				    ASM_SYM_CODE;
				c->syms[i].value = clamp32(data ? sz->ro :
				    sz->code);
			}
			pending = c->nsyms;
			if (data)
				sz->ro += size;
			else
				sz->code += size;
		}
	}
	for (i = pending; i < c->nsyms; i++) {
		c->syms[i].kind = ASM_SYM_CODE;
		c->syms[i].value = clamp32(sz->code);
	}
	/* Code labels were offsets into the code; make them image offsets. */
	base = ISA_RO_OFFSET + round4(sz->ro);
	for (i = 0; i < c->nsyms; i++)
		if (c->syms[i].kind == ASM_SYM_CODE)
			c->syms[i].value = clamp32(base + c->syms[i].value);
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

static void
ctx_free(struct asm_ctx *c)
{
	syms_free(c->syms, c->nsyms);
	free(c->htab);
}

int
asm_source(struct asm_prog *out, const char *src, size_t len,
    struct asm_diags *diags)
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
	c.diag0 = diags->n;
	if (len > UINT32_MAX / 2) {
		/* Lines and columns are unsigned; no source is this big. */
		(void)asm_diag_add(diags, 1, 1, "source too large (%zu bytes)",
		    len);
		return -1;
	}
	pass1(&c, src, len, &sz);
	if (c.e.oom)
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
	if (c.e.oom || diags->n > c.diag0)
		goto fail;
	asm_prog_free(out);
	out->ro = o.ro;
	out->ro_len = ro_len;
	out->code = o.code;
	out->code_len = (uint32_t)sz.code;
	out->syms = c.syms;
	out->nsyms = c.nsyms;
	out->symcap = c.symcap;
	free(c.htab);
	return 0;
fail:
	if (c.e.oom)
		diags_truncate(diags, c.diag0);
	free(o.ro);
	free(o.code);
	ctx_free(&c);
	return -1;
}

/* --- typed lines ---------------------------------------------------------- */

int
asm_line(struct asm_prog *prog, const char *line, size_t len,
    uint32_t *first, unsigned *count, struct asm_diags *diags)
{
	struct asm_ctx	 c;
	struct item	 it;
	struct asm_sym	*syms;
	uint8_t		*code;
	char		 q[ASM_QUOTE_SIZE], *name = NULL;
	int64_t		 v[3];
	uint32_t	 end, size = 0;
	size_t		 ncap;
	int		 data;

	memset(&c, 0, sizeof(c));
	c.e.diags = diags;
	c.diag0 = diags->n;
	c.e.report = 1;
	c.e.lineno = 1;
	c.prog = prog;
	end = ISA_RO_OFFSET + prog->ro_len + prog->code_len;
	asm_parse_line(&c.e, line, len, &it);
	if (it.label_ok) {
		if (prog_find(prog, it.label, it.labellen) != NULL)
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
	if (diags->n > c.diag0 || it.nerr > 0)
		return -1;

	/* Allocate everything first, so that failure changes nothing. */
	if (it.label_ok) {
		if ((name = strndup(it.label, it.labellen)) == NULL)
			goto oom;
		if (prog->nsyms == prog->symcap) {
			ncap = prog->symcap != 0 ? prog->symcap * 2 : 32;
			if ((syms = reallocarray(prog->syms, ncap,
			    sizeof(*syms))) == NULL)
				goto oom;
			prog->syms = syms;
			prog->symcap = ncap;
		}
	}
	if (size > 0) {
		if ((code = realloc(prog->code, prog->code_len + size)) == NULL)
			goto oom;
		prog->code = code;
		encode(&it, v, prog->code + prog->code_len);
		prog->code_len += size;
	}
	if (name != NULL) {
		prog->syms[prog->nsyms].name = name;
		prog->syms[prog->nsyms].value = end;
		prog->syms[prog->nsyms].kind = ASM_SYM_CODE;
		prog->syms[prog->nsyms].line = 1;
		prog->nsyms++;
	}
	*first = end;
	*count = size / ISA_INSN_LEN;
	return 0;
oom:
	free(name);
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
	syms_free(prog->syms, prog->nsyms);
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
