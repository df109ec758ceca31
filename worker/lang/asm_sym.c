/*
 * asm_sym.c: the assembler's label table (see asm_internal.h): a hash
 * index over a program's symbols, so that finding a label costs about
 * the same whatever the labels are called.
 *
 * Labels come from whoever sends the source, so their names are chosen
 * by a possible attacker. An unkeyed hash (FNV-1a, say) lets such a
 * sender pick names that all land in one run of slots, and every lookup
 * then walks the whole run: a 900 KB source of 100,000 such labels took
 * a minute of CPU. Here the hash is SipHash-1-3 under a key drawn from
 * getrandom() once per process (the one piece of state this library
 * keeps outside its objects), so nobody outside the process can tell
 * which names collide. Slots are open-addressed with linear probing, the
 * table at most half full; each slot keeps the full 64-bit hash, so a
 * probe compares names only when the hashes agree, and growing never
 * hashes a name again.
 *
 * Every probe and every byte hashed is counted in *steps, which the
 * assembler charges to its budget (asm.h, struct asm_work).
 */
#include <sys/random.h>

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "asm.h"
#include "asm_internal.h"
#include "siphash.h"

struct asm_slot {
	uint64_t	 hash;
	size_t		 idx;		/* index into syms + 1; 0: empty */
};

/* SipHash's key: drawn on first use; see asm_sym_key(). */
static uint8_t	 sym_key[16];
static bool	 sym_keyed;

/*
 * The process's key, drawn on first use. Should getrandom() fail (it
 * does not block for this: GRND_NONBLOCK, which fails only before the
 * kernel's pool is ready at boot), the clock and addresses stand in:
 * weaker, but still unknown to a remote sender.
 */
static const uint8_t *
asm_sym_key(void)
{
	struct timespec	 ts;
	uint64_t	 mix[2];

	if (sym_keyed)
		return sym_key;
	if (getrandom(sym_key, sizeof(sym_key), GRND_NONBLOCK) !=
	    (ssize_t)sizeof(sym_key)) {
		clock_gettime(CLOCK_MONOTONIC, &ts);
		mix[0] = (uint64_t)ts.tv_nsec ^ (uint64_t)(uintptr_t)&ts;
		mix[1] = (uint64_t)ts.tv_sec ^ (uint64_t)(uintptr_t)sym_key;
		memcpy(sym_key, mix, sizeof(sym_key));
	}
	sym_keyed = true;
	return sym_key;
}

static uint64_t
sym_hash(const char *p, size_t len, uint64_t *steps)
{
	*steps += 1 + len / 8;
	return siphash(asm_sym_key(), p, len, 1, 3);
}

/* --- the index ---------------------------------------------------------------- */

static bool
sym_is(const struct asm_sym *s, const char *p, size_t len)
{
	return strncmp(s->name, p, len) == 0 && s->name[len] == '\0';
}

const struct asm_sym *
asm_sym_lookup(const struct asm_prog *prog, const char *p, size_t len,
    uint64_t *steps)
{
	const struct asm_slot	*sl;
	uint64_t		 h;
	size_t			 i, mask;

	if (prog->nslots == 0)
		return NULL;
	h = sym_hash(p, len, steps);
	mask = prog->nslots - 1;
	for (i = (size_t)h & mask;; i = (i + 1) & mask) {
		sl = &prog->slots[i];
		(*steps)++;
		if (sl->idx == 0)
			return NULL;
		if (sl->hash == h && sym_is(&prog->syms[sl->idx - 1], p, len))
			return &prog->syms[sl->idx - 1];
	}
}

static void
slot_put(struct asm_slot *slots, size_t nslots, uint64_t h, size_t idx,
    uint64_t *steps)
{
	size_t	 i, mask = nslots - 1;

	for (i = (size_t)h & mask; slots[i].idx != 0; i = (i + 1) & mask)
		(*steps)++;
	(*steps)++;
	slots[i].hash = h;
	slots[i].idx = idx + 1;
}

/* Room for n symbols at most half full. -1: no memory. */
static int
slots_reserve(struct asm_prog *prog, size_t n, uint64_t *steps)
{
	struct asm_slot	*t;
	size_t		 ncap, i;

	if (n <= prog->nslots / 2)
		return 0;
	ncap = prog->nslots != 0 ? prog->nslots : 64;
	while (n > ncap / 2) {
		if (ncap > SIZE_MAX / 2 / sizeof(*t))
			return -1;
		ncap *= 2;
	}
	if ((t = calloc(ncap, sizeof(*t))) == NULL)
		return -1;
	for (i = 0; i < prog->nslots; i++)
		if (prog->slots[i].idx != 0)
			slot_put(t, ncap, prog->slots[i].hash,
			    prog->slots[i].idx - 1, steps);
	free(prog->slots);
	prog->slots = t;
	prog->nslots = ncap;
	return 0;
}

int
asm_sym_append(struct asm_prog *prog, const char *p, size_t len,
    uint32_t value, enum asm_sym_kind kind, unsigned line, uint64_t *steps)
{
	struct asm_sym	*s;
	char		*name;
	size_t		 ncap;

	if (prog->nsyms == prog->symcap) {
		ncap = prog->symcap != 0 ? prog->symcap * 2 : 32;
		if ((s = reallocarray(prog->syms, ncap, sizeof(*s))) == NULL)
			return -1;
		prog->syms = s;
		prog->symcap = ncap;
	}
	if (slots_reserve(prog, prog->nsyms + 1, steps) == -1 ||
	    (name = strndup(p, len)) == NULL)
		return -1;
	s = &prog->syms[prog->nsyms];
	s->name = name;
	s->value = value;
	s->kind = kind;
	s->line = line;
	slot_put(prog->slots, prog->nslots, sym_hash(p, len, steps),
	    prog->nsyms, steps);
	prog->nsyms++;
	return 0;
}

void
asm_sym_free(struct asm_prog *prog)
{
	size_t	 i;

	for (i = 0; i < prog->nsyms; i++)
		free(prog->syms[i].name);
	free(prog->syms);
	free(prog->slots);
	prog->syms = NULL;
	prog->slots = NULL;
	prog->nsyms = prog->symcap = prog->nslots = 0;
}

int
asm_sym_restore(struct asm_prog *prog, const char *name, size_t len,
    uint32_t value, enum asm_sym_kind kind, unsigned line)
{
	uint64_t	 steps = 0;

	if (!asm_label_ok(name, len))
		return ASM_SYM_BADNAME;
	if (asm_sym_lookup(prog, name, len, &steps) != NULL)
		return ASM_SYM_DUP;
	return asm_sym_append(prog, name, len, value, kind, line, &steps);
}
