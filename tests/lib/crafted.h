/*
 * crafted.h: assembly sources built to attack a label table, for the
 * tests and the benchmark of the assembler's cost.
 *
 * An unkeyed FNV-1a hash with linear probing (what the assembler used
 * before its table was keyed) sends every name whose hash falls in the
 * same few slots into one run, which each lookup then walks: n such
 * labels cost about n * n / 2 probes. crafted_source() writes n labels
 * whose hashes all fall in the first CRAFTED_WINDOW slots of every table
 * of up to CRAFTED_TABLE slots, and the same number of ordinary labels of
 * the same length to compare with.
 */
#ifndef IRIDIUM_CRAFTED_H
#define IRIDIUM_CRAFTED_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CRAFTED_NAME	7		/* characters per label */
#define CRAFTED_WINDOW	1024		/* slots they all land in */
#define CRAFTED_TABLE	(1u << 18)	/* the largest table size aimed at */

/* FNV-1a as that table computed it (size_t, 32-bit basis and prime). */
uint64_t	 crafted_fnv(const char *p, size_t len);
/*
 * n lines "NAME:" (NAME CRAFTED_NAME characters, all distinct), then
 * "hlt": with crafted, names that collide as described above; without,
 * ordinary names. Returns the text (malloc'd, NUL-terminated, *len its
 * length), or NULL when memory is short.
 */
char		*crafted_source(unsigned n, bool crafted, size_t *len);

#endif
