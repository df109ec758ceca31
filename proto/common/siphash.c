/*
 * siphash.c: SipHash-c-d (see siphash.h), written from its paper's
 * description: a 64-bit state of four words, c compression rounds per
 * 8-byte little-endian word, the length's low byte in the last word,
 * d finalisation rounds.
 */
#include <stddef.h>
#include <stdint.h>

#include "siphash.h"

static inline uint64_t
rotl(uint64_t x, int b)
{
	return (x << b) | (x >> (64 - b));
}

static inline void
sip_round(uint64_t v[4])
{
	v[0] += v[1];
	v[1] = rotl(v[1], 13);
	v[1] ^= v[0];
	v[0] = rotl(v[0], 32);
	v[2] += v[3];
	v[3] = rotl(v[3], 16);
	v[3] ^= v[2];
	v[0] += v[3];
	v[3] = rotl(v[3], 21);
	v[3] ^= v[0];
	v[2] += v[1];
	v[1] = rotl(v[1], 17);
	v[1] ^= v[2];
	v[2] = rotl(v[2], 32);
}

static inline uint64_t
load64le(const uint8_t *p)
{
	return (uint64_t)p[0] | (uint64_t)p[1] << 8 | (uint64_t)p[2] << 16 |
	    (uint64_t)p[3] << 24 | (uint64_t)p[4] << 32 |
	    (uint64_t)p[5] << 40 | (uint64_t)p[6] << 48 |
	    (uint64_t)p[7] << 56;
}

uint64_t
siphash(const uint8_t key[SIPHASH_KEY_LEN], const void *data, size_t len, int c,
    int d)
{
	const uint8_t	*p = data;
	uint64_t	 k0 = load64le(key), k1 = load64le(key + 8), m, v[4];
	size_t		 i, left = len;
	int		 r;

	v[0] = k0 ^ 0x736f6d6570736575ULL;
	v[1] = k1 ^ 0x646f72616e646f6dULL;
	v[2] = k0 ^ 0x6c7967656e657261ULL;
	v[3] = k1 ^ 0x7465646279746573ULL;
	for (; left >= 8; p += 8, left -= 8) {
		m = load64le(p);
		v[3] ^= m;
		for (r = 0; r < c; r++)
			sip_round(v);
		v[0] ^= m;
	}
	/* The last 0..7 bytes, and the length's low byte on top. */
	m = (uint64_t)len << 56;
	for (i = 0; i < left; i++)
		m |= (uint64_t)p[i] << (8 * i);
	v[3] ^= m;
	for (r = 0; r < c; r++)
		sip_round(v);
	v[0] ^= m;
	v[2] ^= 0xff;
	for (r = 0; r < d; r++)
		sip_round(v);
	return v[0] ^ v[1] ^ v[2] ^ v[3];
}
