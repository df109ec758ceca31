/*
 * asm_lex.c: reading one line of assembly (see asm_internal.h).
 *
 * The lexer cuts a line into words, labels ("name:"), quoted strings and
 * commas; a ';' outside quotes ends it. It never fails: anything it
 * cannot make sense of becomes a token that the item parser below
 * reports, so no input is dropped silently. Columns count characters
 * (UTF-8 code points; a byte that starts no valid sequence counts as
 * one), computed as the lexer moves right so a line costs time linear in
 * its length. asm_parse_line() then gives the tokens their grammar: label,
 * mnemonic or directive, operands, with the syntax errors of the line.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <strings.h>

#include "asm_internal.h"
#include "isa.h"
#include "utf8.h"

/* Anything a number may hold once it is out of every operand's range. */
#define NUM_CLAMP	((int64_t)1 << 40)

/* Bytes of the character at p: a valid sequence, or one stray byte. */
static size_t
char_len(const char *p, const char *end)
{
	uint32_t	 cp;
	size_t		 n;

	n = utf8_decode((const uint8_t *)p, (size_t)(end - p), &cp);
	return n != 0 ? n : 1;
}

/*
 * Move the column counter up to p. Tokens start on ASCII delimiters or
 * right after them, and no ASCII byte is ever inside a multi-byte
 * sequence, so counting from one token start to the next agrees with
 * counting from the start of the line.
 */
static unsigned
lex_col(struct lex *l, const char *p)
{
	while (l->colp < p) {
		l->colp += char_len(l->colp, l->end);
		l->col++;
	}
	return l->col;
}

static int
is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\v' ||
	    c == '\f';
}

/* Bytes that end a word. */
static int
is_delim(char c)
{
	return is_space(c) || c == ';' || c == ',' || c == '\'' || c == ':';
}

void
asm_lex_init(struct lex *l, const char *line, size_t len)
{
	l->p = l->colp = line;
	l->end = line + len;
	l->col = 1;
}

/* Is c the letter of an escape the language knows (after '\')? */
static int
good_escape(char c)
{
	return c == 'n' || c == 't' || c == '\\' || c == '\'' || c == '0';
}

static void
lex_string(struct lex *l, struct tok *t)
{
	const char	*q = l->p + 1;
	size_t		 n = 0, el;

	t->kind = TOK_STRING;
	while (q < l->end && *q != '\'') {
		if (*q != '\\') {
			n++;
			q++;
			continue;
		}
		if (q + 1 == l->end)
			break;		/* a '\' that escapes the line end */
		if (good_escape(q[1])) {
			n++;
			q += 2;
			continue;
		}
		el = 1 + char_len(q + 1, l->end);
		if (t->badesc == NULL) {
			t->badesc = q;
			t->badesclen = el;
			t->badesccol = lex_col(l, q);
		}
		n++;
		q += el;
	}
	if (q >= l->end || *q != '\'') {
		t->unterminated = 1;
		q = l->end;
	} else
		q++;
	t->len = t->rawlen = (size_t)(q - l->p);
	t->nbytes = n;
	l->p = q;
}

void
asm_lex_next(struct lex *l, struct tok *t)
{
	const char	*q;

	memset(t, 0, sizeof(*t));
	while (l->p < l->end && is_space(*l->p))
		l->p++;
	if (l->p == l->end || *l->p == ';') {
		l->p = l->end;
		t->kind = TOK_END;
		t->p = l->end;
		t->col = lex_col(l, l->end);
		return;
	}
	t->p = l->p;
	t->col = lex_col(l, l->p);
	if (*l->p == ',') {
		t->kind = TOK_COMMA;
		t->len = t->rawlen = 1;
		l->p++;
		return;
	}
	if (*l->p == '\'') {
		lex_string(l, t);
		return;
	}
	/* A ':' here can only end a word: a word cannot start with one. */
	for (q = l->p; q < l->end && !is_delim(*q); q++)
		;
	t->len = (size_t)(q - l->p);
	if (q < l->end && *q == ':') {
		t->kind = TOK_LABEL;
		q++;
	} else
		t->kind = TOK_WORD;
	t->rawlen = (size_t)(q - l->p);
	l->p = q;
}

size_t
asm_str_decode(const struct tok *t, uint8_t *out)
{
	const char	*q = t->p + 1, *end = t->p + t->len - 1;
	size_t		 n = 0;

	while (q < end) {
		if (*q != '\\') {
			out[n++] = (uint8_t)*q++;
			continue;
		}
		switch (q[1]) {
		case 'n':
			out[n++] = '\n';
			break;
		case 't':
			out[n++] = '\t';
			break;
		case '0':
			out[n++] = '\0';
			break;
		default:	/* '\\' and '\'' stand for themselves */
			out[n++] = (uint8_t)q[1];
			break;
		}
		q += 2;
	}
	return n;
}

static int
is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static int
hex_val(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/*
 * Does p[0..len) read as a float literal: digits with a '.', an exponent
 * or both ("2.5", ".5", "1e9", "2.5E-3")? Only to say so in the message.
 */
static int
looks_float(const char *p, size_t len)
{
	size_t	 i = 0, digits = 0;
	int	 dot = 0, expo = 0;

	for (; i < len && is_digit(p[i]); i++)
		digits++;
	if (i < len && p[i] == '.') {
		dot = 1;
		for (i++; i < len && is_digit(p[i]); i++)
			digits++;
	}
	if (digits == 0)
		return 0;
	if (i < len && (p[i] == 'e' || p[i] == 'E')) {
		expo = 1;
		i++;
		if (i < len && (p[i] == '+' || p[i] == '-'))
			i++;
		if (i == len || !is_digit(p[i]))
			return 0;
		while (i < len && is_digit(p[i]))
			i++;
	}
	return i == len && (dot || expo);
}

enum asm_num
asm_parse_num(const char *p, size_t len, int64_t *vp)
{
	int64_t	 v = 0;
	size_t	 i = 0;
	int	 neg = 0, d, base = 10;

	if (i < len && p[i] == '-') {
		neg = 1;
		i++;
	}
	if (len - i > 2 && p[i] == '0' &&
	    (p[i + 1] == 'x' || p[i + 1] == 'X')) {
		base = 16;
		i += 2;
	}
	if (i == len)
		return ASM_NUM_BAD;
	for (; i < len; i++) {
		d = base == 16 ? hex_val(p[i]) : (is_digit(p[i]) ? p[i] - '0' :
		    -1);
		if (d < 0)
			break;
		v = v * base + d;
		if (v > NUM_CLAMP)
			v = NUM_CLAMP;
	}
	if (i < len) {
		if (base == 10 && looks_float(p + neg, len - (size_t)neg))
			return ASM_NUM_FLOAT;
		return ASM_NUM_BAD;
	}
	*vp = neg ? -v : v;
	return ASM_NUM_OK;
}

enum asm_reg
asm_parse_reg(const char *p, size_t len, unsigned *r)
{
	unsigned	 v = 0;
	size_t		 i;

	if (len == 0)
		return ASM_REG_BAD;
	for (i = 0; i < len; i++) {
		if (!is_digit(p[i]))
			return ASM_REG_BAD;
		if (v < 1000)
			v = v * 10 + (unsigned)(p[i] - '0');
	}
	if (v >= 32)
		return ASM_REG_BIG;
	*r = v;
	return ASM_REG_OK;
}

int
asm_label_ok(const char *p, size_t len)
{
	size_t	 i;
	char	 c;

	if (len == 0 || is_digit(p[0]))
		return 0;
	for (i = 0; i < len; i++) {
		c = p[i];
		if (!(c == '_' || is_digit(c) || (c >= 'a' && c <= 'z') ||
		    (c >= 'A' && c <= 'Z')))
			return 0;
	}
	return 1;
}

const char *
asm_quote(char *buf, const char *p, size_t len)
{
	static const char hex[] = "0123456789abcdef";
	const uint8_t	*s = (const uint8_t *)p;
	size_t		 i = 0, o = 0, n, chars = 0;
	uint32_t	 cp;

	while (i < len) {
		if (chars == ASM_QUOTE_CHARS) {
			memcpy(buf + o, "...", 3);
			o += 3;
			break;
		}
		n = utf8_decode(s + i, len - i, &cp);
		if (n == 0 || cp < 0x20 || cp == 0x7f ||
		    (cp >= 0x80 && cp < 0xa0)) {
			/* Never echo control bytes back to a terminal. */
			buf[o++] = '\\';
			buf[o++] = 'x';
			buf[o++] = hex[s[i] >> 4];
			buf[o++] = hex[s[i] & 0xf];
			n = 1;
		} else {
			memcpy(buf + o, s + i, n);
			o += n;
		}
		i += n;
		chars++;
	}
	buf[o] = '\0';
	return buf;
}

/* --- items ---------------------------------------------------------------- */

/* Operands of each format, for messages. */
static const char *const fmt_text[] = {
	[ISA_F_NONE] = "",
	[ISA_F_R] = "$r",
	[ISA_F_RR] = "$a $b",
	[ISA_F_RRR] = "$a $b $d",
	[ISA_F_RN] = "$r #n",
	[ISA_F_N] = "#n or @label",
};

void
asm_verr(struct asm_errs *e, struct item *it, unsigned col, const char *fmt,
    va_list ap)
{
	it->nerr++;
	if (!e->report || e->oom)
		return;
	if (asm_diag_addv(e->diags, e->lineno, col, fmt, ap) == -1)
		e->oom = 1;
}

static void
err(struct asm_errs *, struct item *, unsigned, const char *, ...)
    __attribute__((format(printf, 4, 5)));

static void
err(struct asm_errs *e, struct item *it, unsigned col, const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	asm_verr(e, it, col, fmt, ap);
	va_end(ap);
}

/* The next token that is not a comma; the first comma is an error. */
static void
next(struct asm_errs *e, struct item *it, struct lex *l, struct tok *t,
    int *commas)
{
	for (;;) {
		asm_lex_next(l, t);
		if (t->kind != TOK_COMMA)
			return;
		if ((*commas)++ == 0)
			err(e, it, t->col, "operands are separated by "
			    "whitespace, not commas");
	}
}

static void
drain(struct asm_errs *e, struct item *it, struct lex *l, int *commas)
{
	struct tok	 t;

	do
		next(e, it, l, &t, commas);
	while (t.kind != TOK_END);
}

/*
 * Check token t as operand i (0-based) of what, which wants a register or
 * a number in lo..hi (a label is range-checked once its value is known).
 */
static void
parse_opnd(struct asm_errs *e, struct item *it, struct opnd *o,
    const struct tok *t, const char *what, int i, int want_reg, int64_t lo,
    int64_t hi)
{
	char		 q[ASM_QUOTE_SIZE];
	unsigned	 r;

	o->kind = OPND_BAD;
	o->p = t->p;
	o->len = t->rawlen;
	o->col = t->col;
	asm_quote(q, t->p, t->rawlen);
	if (want_reg) {
		if (t->kind != TOK_WORD || t->p[0] != '$') {
			err(e, it, t->col, "register expected for operand %d "
			    "of %s, got '%s'", i + 1, what, q);
			return;
		}
		switch (asm_parse_reg(t->p + 1, t->len - 1, &r)) {
		case ASM_REG_OK:
			o->kind = OPND_REG;
			o->val = r;
			break;
		case ASM_REG_BIG:
			err(e, it, t->col, "unknown register %s (registers "
			    "are $0..$31)", q);
			break;
		case ASM_REG_BAD:
			err(e, it, t->col, "malformed register '%s' "
			    "(registers are $0..$31)", q);
			break;
		}
		return;
	}
	if (t->kind == TOK_WORD && t->p[0] == '@') {
		if (!asm_label_ok(t->p + 1, t->len - 1)) {
			err(e, it, t->col, "malformed label reference '%s' "
			    "(labels are [A-Za-z_][A-Za-z0-9_]*)", q);
			return;
		}
		o->kind = OPND_LABEL;
		return;
	}
	if (t->kind != TOK_WORD || t->p[0] != '#') {
		err(e, it, t->col, "number or @label expected for operand %d "
		    "of %s, got '%s'", i + 1, what, q);
		return;
	}
	switch (asm_parse_num(t->p + 1, t->len - 1, &o->val)) {
	case ASM_NUM_OK:
		if (o->val < lo || o->val > hi) {
			err(e, it, t->col, "immediate %s out of range for %s "
			    "(%lld..%lld)", q, what, (long long)lo,
			    (long long)hi);
			return;
		}
		o->kind = OPND_NUM;
		break;
	case ASM_NUM_FLOAT:
		err(e, it, t->col, "there are no float literals: '%s' (use "
		    "an integer; build other values with arithmetic)", q);
		break;
	case ASM_NUM_BAD:
		err(e, it, t->col, "malformed number '%s' (numbers are "
		    "#[-]digits or #[-]0x hex digits)", q);
		break;
	}
}

static void
parse_insn(struct asm_errs *e, struct item *it, struct lex *l, int *commas)
{
	const struct isa_info	*info = it->info;
	struct tok		 t;
	char			 q[ASM_QUOTE_SIZE];
	int			 i, nops = isa_nops(info->fmt);

	for (i = 0;; i++) {
		next(e, it, l, &t, commas);
		if (t.kind == TOK_END)
			break;
		if (i == nops) {
			asm_quote(q, t.p, t.rawlen);
			if (nops == 0)
				err(e, it, t.col, "extra operand '%s': %s "
				    "takes no operands", q, info->mnemonic);
			else
				err(e, it, t.col, "extra operand '%s': %s "
				    "takes %d (%s)", q, info->mnemonic, nops,
				    fmt_text[info->fmt]);
			drain(e, it, l, commas);
			break;
		}
		parse_opnd(e, it, &it->opnd[i], &t, info->mnemonic, i,
		    isa_opnd_is_reg(info->fmt, i), info->lo, info->hi);
	}
	it->nopnd = i < nops ? i : nops;
	if (i < nops)
		err(e, it, it->wordcol, "missing operand: %s takes %d (%s), "
		    "got %d", info->mnemonic, nops, fmt_text[info->fmt], i);
	if (it->op == OP_LOAD && it->nopnd == 2 &&
	    it->opnd[1].kind == OPND_NUM &&
	    (it->opnd[1].val < IMM16_MIN || it->opnd[1].val > IMM16_MAX))
		it->split = 1;
}

/* After a directive's operand (if any), the line must end. */
static void
expect_end(struct asm_errs *e, struct item *it, struct lex *l, int *commas,
    const char *after)
{
	struct tok	 t;
	char		 q[ASM_QUOTE_SIZE];

	next(e, it, l, &t, commas);
	if (t.kind == TOK_END)
		return;
	err(e, it, t.col, "unexpected '%s' after %s", asm_quote(q, t.p,
	    t.rawlen), after);
	drain(e, it, l, commas);
}

static const struct {
	const char	*name;
	enum item_kind	 kind;
} directives[] = {
	{ ".data", IT_SECDATA },
	{ ".code", IT_SECCODE },
	{ ".asciiz", IT_ASCIIZ },
	{ ".integer", IT_INTEGER },
};

static void
parse_directive(struct asm_errs *e, struct item *it, struct lex *l,
    int *commas)
{
	struct tok	 t;
	char		 q[ASM_QUOTE_SIZE];
	size_t		 i;

	for (i = 0; i < sizeof(directives) / sizeof(directives[0]); i++)
		if (strlen(directives[i].name) == it->wordlen &&
		    strncasecmp(directives[i].name, it->word,
		    it->wordlen) == 0)
			break;
	if (i == sizeof(directives) / sizeof(directives[0])) {
		it->kind = IT_JUNK;
		err(e, it, it->wordcol, "unknown directive '%s' (directives "
		    "are .data .code .asciiz .integer)",
		    asm_quote(q, it->word, it->wordlen));
		drain(e, it, l, commas);
		return;
	}
	it->kind = directives[i].kind;
	it->name = directives[i].name;
	switch (it->kind) {
	case IT_ASCIIZ:
		next(e, it, l, &t, commas);
		if (t.kind == TOK_END) {
			err(e, it, it->wordcol, "missing operand: .asciiz "
			    "takes a string in single quotes");
			return;
		}
		if (t.kind != TOK_STRING) {
			err(e, it, t.col, "string in single quotes expected "
			    "after .asciiz, got '%s'",
			    asm_quote(q, t.p, t.rawlen));
			drain(e, it, l, commas);
			return;
		}
		it->str = t;
		if (t.unterminated) {
			err(e, it, t.col, "unterminated string (no closing "
			    "')");
			return;
		}
		if (t.badesc != NULL)
			err(e, it, t.badesccol, "unknown escape '%s' in string "
			    "(escapes are \\n \\t \\\\ \\' \\0)",
			    asm_quote(q, t.badesc, t.badesclen));
		expect_end(e, it, l, commas, "the string");
		break;
	case IT_INTEGER:
		next(e, it, l, &t, commas);
		if (t.kind == TOK_END) {
			err(e, it, it->wordcol, "missing operand: .integer "
			    "takes a number (#n or @label)");
			return;
		}
		parse_opnd(e, it, &it->opnd[0], &t, ".integer", 0, 0,
		    INT32_MIN, UINT32_MAX);
		it->nopnd = 1;
		expect_end(e, it, l, commas, "the number of .integer");
		break;
	default:
		expect_end(e, it, l, commas, it->name);
		break;
	}
}

void
asm_parse_line(struct asm_errs *e, const char *line, size_t len,
    struct item *it)
{
	struct lex	 l;
	struct tok	 t;
	char		 q[ASM_QUOTE_SIZE], q2[ASM_QUOTE_SIZE];
	int		 commas = 0, op;

	memset(it, 0, sizeof(*it));
	asm_lex_init(&l, line, len);
	next(e, it, &l, &t, &commas);
	if (t.kind == TOK_LABEL) {
		it->has_label = 1;
		it->label = t.p;
		it->labellen = t.len;
		it->labelcol = t.col;
		if (t.len == 0)
			err(e, it, t.col, "missing label name before ':'");
		else if (!asm_label_ok(t.p, t.len))
			err(e, it, t.col, "invalid label name '%s' (labels "
			    "are [A-Za-z_][A-Za-z0-9_]*)",
			    asm_quote(q, t.p, t.len));
		else
			it->label_ok = 1;
		next(e, it, &l, &t, &commas);
		if (t.kind == TOK_LABEL)
			err(e, it, t.col, "more than one label on a line "
			    "('%s' after '%s')", asm_quote(q, t.p, t.rawlen),
			    asm_quote(q2, it->label, it->labellen + 1));
		while (t.kind == TOK_LABEL)
			next(e, it, &l, &t, &commas);
	}
	if (t.kind == TOK_END)
		return;
	it->word = t.p;
	it->wordlen = t.rawlen;
	it->wordcol = t.col;
	if (t.kind == TOK_STRING) {
		it->kind = IT_JUNK;
		err(e, it, t.col, "expected a mnemonic or directive, got "
		    "'%s'", asm_quote(q, t.p, t.rawlen));
		drain(e, it, &l, &commas);
		return;
	}
	if (t.p[0] == '.') {
		parse_directive(e, it, &l, &commas);
		return;
	}
	/* Only short words of letters and digits can be mnemonics. */
	op = t.len >= 2 && t.len <= 8 && asm_label_ok(t.p, t.len) ?
	    isa_find(t.p, t.len) : -1;
	if (op < 0) {
		it->kind = IT_BADINSN;
		asm_quote(q, t.p, t.rawlen);
		if (asm_label_ok(t.p, t.len))
			err(e, it, t.col, "unknown mnemonic '%s'", q);
		else
			err(e, it, t.col, "expected a mnemonic or directive, "
			    "got '%s'", q);
		drain(e, it, &l, &commas);
		return;
	}
	it->kind = IT_INSN;
	it->op = op;
	it->info = isa_lookup((uint8_t)op);
	it->name = it->info->mnemonic;
	parse_insn(e, it, &l, &commas);
}
