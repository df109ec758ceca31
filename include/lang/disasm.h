/*
 * disasm.h: turning images back into assembly text.
 *
 * disasm_source() prints an image that the assembler produced as source
 * that re-assembles to identical bytes; disasm_listing() prints the REPL's
 * !program view (addresses, bytes, instructions, the session's labels).
 */
#ifndef IRIDIUM_DISASM_H
#define IRIDIUM_DISASM_H

#include <stddef.h>

#include "asm.h"
#include "buf.h"
#include "image.h"

/*
 * Append the source form of img to out. Returns 0, or -1 with a message
 * naming the offset in err when the image holds something the assembler
 * cannot produce (an unknown opcode, a bad register, non-zero padding, an
 * operand out of its assembly range, RO data that is no sequence of
 * .asciiz/.integer items), or when memory is short.
 */
int	disasm_source(struct buf *out, const struct image *img, char *err,
	    size_t errlen);

/*
 * Append a listing of the program's code to out: one line per instruction
 * with its image offset, its four bytes and its text, labels from syms
 * (may be NULL) on lines of their own. Returns 0 or -1 (out of memory).
 */
int	disasm_listing(struct buf *out, const struct image *img,
	    const struct asm_prog *syms);

/* Append the text of the one instruction at p ("load $1 #500"). */
int	disasm_insn(struct buf *out, const uint8_t *p);

#endif
