/*
 * asm.h: the Iridium assembler.
 *
 * Two entry points share one grammar (iridium(7), "THE
 * ASSEMBLY LANGUAGE"): asm_source() assembles a whole file in two passes, and
 * asm_line() appends one typed REPL line to an existing program, resolving
 * labels against the program's symbol table. Both report every error with
 * its line and column and change nothing when there is any error.
 */
#ifndef IRIDIUM_ASM_H
#define IRIDIUM_ASM_H

#include <stddef.h>
#include <stdint.h>

#include "image.h"

struct asm_diag {
	unsigned	 line;		/* 1-based */
	unsigned	 col;		/* 1-based, in characters */
	char		*msg;
};

/*
 * Every error of one assembly, in source order: the first ASM_DIAGS_MAX
 * of them kept, the rest only counted (a megabyte of nonsense would
 * otherwise keep tens of megabytes of messages). When some were not
 * kept, a last diagnostic says how many ("too many errors: ...").
 */
#define ASM_DIAGS_MAX	100
struct asm_diags {
	struct asm_diag	*v;
	size_t		 n, cap;
	size_t		 more;		/* errors counted past ASM_DIAGS_MAX */
	unsigned	 more_line;	/* the line of the last of them */
	int		 summed;	/* the "too many errors" line is in v */
};

enum asm_sym_kind {
	ASM_SYM_CODE,	/* value is an image offset */
	ASM_SYM_DATA,	/* value is an RO offset */
};

struct asm_sym {
	char		*name;
	uint32_t	 value;
	enum asm_sym_kind kind;
	unsigned	 line;		/* where it was declared */
};

struct asm_slot;

/* An assembled program: RO data, code and the symbol table. */
struct asm_prog {
	uint8_t		*ro;
	uint32_t	 ro_len;	/* padded to a multiple of 4 */
	uint8_t		*code;
	uint32_t	 code_len;
	struct asm_sym	*syms;		/* in the order declared */
	size_t		 nsyms, symcap;
	/* The assembler's own index of syms by name (worker/lang/asm_sym.c). */
	struct asm_slot	*slots;
	size_t		 nslots;
};

/*
 * The work one assembly may do, and how its host follows it, as the VM's
 * budget and poll callback do for a run. Work is counted in steps: one
 * per source line, per 8 bytes read or hashed and per probe of the label
 * table, so it grows with the input's size whatever the input says; the
 * budget catches anything that would not (the message says so). Every
 * slice steps the poll callback may stop the assembly (an interrupt, a
 * client gone): asm_source_work() then returns ASM_STOPPED with nothing
 * changed and no diagnostic added.
 */
struct asm_work {
	uint64_t	 budget;	/* steps; 0: ASM_BUDGET(len) */
	uint64_t	 slice;		/* steps between polls; 0: default */
	int		(*poll)(void *arg);	/* may be NULL; non-zero: stop */
	void		*arg;
	uint64_t	 used;		/* out: the steps taken */
};

/* The default budget for len bytes of source: a generous linear bound. */
#define ASM_BUDGET(len)		(32 * (uint64_t)(len) + 65536)
#define ASM_SLICE_DEFAULT	65536
#define ASM_STOPPED		(-2)

void	asm_prog_init(struct asm_prog *);
void	asm_prog_free(struct asm_prog *);	/* and leaves it empty */
/* View of the program as an image (valid until the program changes). */
void	asm_prog_image(const struct asm_prog *, struct image *);
/* The program's image bytes, freshly allocated. */
uint8_t	*asm_prog_build(const struct asm_prog *, size_t *lenp);
const struct asm_sym *asm_sym_find(const struct asm_prog *, const char *name);
/*
 * Add a symbol as a saved session brings it back (repl_load()): name
 * (len bytes, not NUL-terminated) must be a label name and not in prog
 * yet. Returns 0, ASM_SYM_BADNAME, ASM_SYM_DUP, or -1 (out of memory);
 * prog is unchanged unless 0.
 */
#define ASM_SYM_BADNAME	(-2)
#define ASM_SYM_DUP	(-3)
int	asm_sym_restore(struct asm_prog *, const char *name, size_t len,
	    uint32_t value, enum asm_sym_kind kind, unsigned line);

/*
 * Assemble a whole source text into *out (which is replaced on success and
 * untouched on failure). Returns 0, or -1 with every error in *diags (-1
 * with no diagnostics means out of memory).
 */
int	asm_source(struct asm_prog *out, const char *src, size_t len,
	    struct asm_diags *diags);
/*
 * The same under w's budget and poll callback (w may be NULL: the
 * default budget, no polls); w->used gets the steps taken. Past the
 * budget it fails like an error, with one diagnostic saying so. Returns
 * 0, -1, or ASM_STOPPED when the poll callback said stop.
 */
int	asm_source_work(struct asm_prog *out, const char *src, size_t len,
	    struct asm_work *w, struct asm_diags *diags);

/*
 * Append one typed line (no newline) to *prog: an instruction with an
 * optional label, a label alone, a comment or nothing. Labels must already
 * be declared. Data and section directives are refused (they come with
 * !load). On success *first gets the image offset of the first appended
 * instruction (or the end of the code when nothing was appended) and
 * *count the number of instructions appended (2 for a split LOAD).
 */
int	asm_line(struct asm_prog *prog, const char *line, size_t len,
	    uint32_t *first, unsigned *count, struct asm_diags *diags);

void	asm_diags_init(struct asm_diags *);
void	asm_diags_free(struct asm_diags *);
/* "FILE:LINE:COL: msg", or "LINE:COL: msg" when file is NULL. */
int	asm_diag_format(char *buf, size_t len, const char *file,
	    const struct asm_diag *);

#endif
