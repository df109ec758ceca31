/*
 * asm_internal.h: what the assembler's files share, and nobody else
 * needs.
 *
 * asm_lex.c reads one source line: it cuts it into tokens, knows the
 * lexical rules of iridium(7) (numbers, registers, label names,
 * strings and their escapes, character columns) and turns the tokens into
 * an item with every error that needs no symbol table. asm.c takes items
 * through the two passes of a file (or one typed REPL line), resolves
 * labels and encodes; asm_sym.c is its label table. Both the lexer and
 * the disassembler decode UTF-8 with utf8_decode() (proto/common), so
 * what the disassembler prints as text is exactly what the lexer reads
 * back.
 */
#ifndef IRIDIUM_ASM_INTERNAL_H
#define IRIDIUM_ASM_INTERNAL_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include "asm.h"
#include "isa.h"

enum tok_kind {
	TOK_END,	/* end of line or start of a comment */
	TOK_WORD,	/* a mnemonic, directive or operand */
	TOK_LABEL,	/* a word followed by ':' */
	TOK_STRING,	/* a quoted string, quotes included */
	TOK_COMMA,	/* always an error, kept apart to say so */
};

struct tok {
	enum tok_kind	 kind;
	const char	*p;		/* the token's first byte */
	size_t		 len;		/* TOK_LABEL: the name, without ':' */
	size_t		 rawlen;	/* as written */
	unsigned	 col;		/* 1-based, in characters */
	/* TOK_STRING only. */
	int		 unterminated;
	const char	*badesc;	/* the first unknown escape, or NULL */
	size_t		 badesclen;
	unsigned	 badesccol;
	size_t		 nbytes;	/* decoded length, NUL not counted */
};

/* The rest of one line; columns are counted lazily, left to right. */
struct lex {
	const char	*p, *end;
	const char	*colp;		/* this character is in column col */
	unsigned	 col;
};

void	asm_lex_init(struct lex *, const char *line, size_t len);
void	asm_lex_next(struct lex *, struct tok *);
/* Write the decoded bytes of a well-formed string token; returns nbytes. */
size_t	asm_str_decode(const struct tok *, uint8_t *out);

enum asm_num {
	ASM_NUM_OK,
	ASM_NUM_BAD,		/* not a number at all */
	ASM_NUM_FLOAT,		/* looks like a float literal */
};
/*
 * Parse the text after '#'. A value too large for any operand is clamped
 * to +-2^40 so that range checks reject it without overflowing.
 */
enum asm_num	asm_parse_num(const char *p, size_t len, int64_t *v);

enum asm_reg {
	ASM_REG_OK,
	ASM_REG_BAD,		/* not decimal digits */
	ASM_REG_BIG,		/* digits, but past $31 */
};
/* Parse the text after '$'. */
enum asm_reg	asm_parse_reg(const char *p, size_t len, unsigned *r);

/* True when p[0..len) is a label name, [A-Za-z_][A-Za-z0-9_]*. */
int		asm_label_ok(const char *p, size_t len);

/*
 * Token text fit for a message: control characters and invalid UTF-8 as
 * \xNN, long tokens cut after ASM_QUOTE_CHARS characters with "...".
 * Returns buf, which must hold ASM_QUOTE_SIZE bytes.
 */
#define ASM_QUOTE_CHARS	40
#define ASM_QUOTE_SIZE	(ASM_QUOTE_CHARS * 4 + 8)
const char	*asm_quote(char *buf, const char *p, size_t len);

/* LOAD's own imm16 range; outside it a number becomes LOAD+LUI. */
#define IMM16_MIN	(-32768)
#define IMM16_MAX	32767

enum item_kind {
	IT_NONE,	/* blank, comment only, or a label alone */
	IT_INSN,	/* an instruction */
	IT_BADINSN,	/* an unknown mnemonic: still takes a code slot */
	IT_ASCIIZ,
	IT_INTEGER,
	IT_SECDATA,	/* .data */
	IT_SECCODE,	/* .code */
	IT_JUNK,	/* an unknown directive or a line that is no item */
};

enum opnd_kind {
	OPND_BAD,	/* reported already */
	OPND_REG,
	OPND_NUM,
	OPND_LABEL,
};

struct opnd {
	enum opnd_kind	 kind;
	const char	*p;		/* as written ('@' included) */
	size_t		 len;
	unsigned	 col;
	int64_t		 val;		/* register or number */
};

/* What one line holds. Pointers are into the source text. */
struct item {
	enum item_kind	 kind;
	int		 has_label, label_ok;
	const char	*label;
	size_t		 labellen;
	unsigned	 labelcol;
	const char	*word;		/* mnemonic or directive */
	size_t		 wordlen;
	unsigned	 wordcol;
	int		 op;		/* IT_INSN */
	const struct isa_info *info;
	const char	*name;		/* canonical mnemonic or directive */
	int		 split;		/* LOAD of a big number: LOAD+LUI */
	int		 nopnd;
	struct opnd	 opnd[3];	/* IT_INSN, and IT_INTEGER in [0] */
	struct tok	 str;		/* IT_ASCIIZ */
	int		 nerr;		/* errors on this line so far */
};

/* Where the errors of the line being read go. */
struct asm_errs {
	struct asm_diags *diags;
	unsigned	 lineno;
	int		 report;	/* 0: count errors on the item only */
	int		 oom;
};

/*
 * Fill *it from one line: its label, what it is, its operands, with every
 * error that needs no symbol table (reported when e->report is set,
 * counted in it->nerr always).
 */
void	asm_parse_line(struct asm_errs *e, const char *line, size_t len,
	    struct item *it);
/* One error of the current line: counted in it->nerr, reported maybe. */
void	asm_verr(struct asm_errs *, struct item *, unsigned col,
	    const char *fmt, va_list) __attribute__((format(printf, 4, 0)));

/* --- the label table (asm_sym.c) ------------------------------------------ */

/* The symbol named p[0..len) in prog's index, or NULL. */
const struct asm_sym *asm_sym_lookup(const struct asm_prog *prog,
		    const char *p, size_t len, uint64_t *steps);
/*
 * Add a symbol whose name is not in prog yet, to the table and its
 * index. 0, or -1 when memory is short (then prog is as it was).
 */
int		asm_sym_append(struct asm_prog *prog, const char *p, size_t len,
		    uint32_t value, enum asm_sym_kind kind, unsigned line,
		    uint64_t *steps);
/* Free the symbols and the index; prog holds none after. */
void		asm_sym_free(struct asm_prog *prog);

/* Append a message to diags, keeping the list in line and column order. */
int	asm_diag_add(struct asm_diags *, unsigned line, unsigned col,
	    const char *fmt, ...) __attribute__((format(printf, 4, 5)));
int	asm_diag_addv(struct asm_diags *, unsigned line, unsigned col,
	    const char *fmt, va_list) __attribute__((format(printf, 4, 0)));

#endif
