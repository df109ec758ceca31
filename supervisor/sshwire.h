/*
 * sshwire.h: reading SSH wire data (RFC 4251's byte, uint32, uint64 and
 * string), bounded: every read checks its length against what is left,
 * and a string is read as a reader of its own bytes. The certificate and
 * KRL parsers (cert.c, krl.c) share it.
 */
#ifndef IRIDIUM_SSHWIRE_H
#define IRIDIUM_SSHWIRE_H

#include <stddef.h>
#include <stdint.h>

struct sshwire {
	const unsigned char	*p;
	size_t			 n, off;	/* bytes; read so far */
};

static inline int
sshwire_u8(struct sshwire *r, unsigned *v)
{
	if (r->n - r->off < 1)
		return -1;
	*v = r->p[r->off++];
	return 0;
}

static inline int
sshwire_u32(struct sshwire *r, uint32_t *v)
{
	if (r->n - r->off < 4)
		return -1;
	*v = (uint32_t)r->p[r->off] << 24 | (uint32_t)r->p[r->off + 1] << 16 |
	    (uint32_t)r->p[r->off + 2] << 8 | r->p[r->off + 3];
	r->off += 4;
	return 0;
}

static inline int
sshwire_u64(struct sshwire *r, uint64_t *v)
{
	uint32_t	 hi, lo;

	if (sshwire_u32(r, &hi) == -1 || sshwire_u32(r, &lo) == -1)
		return -1;
	*v = (uint64_t)hi << 32 | lo;
	return 0;
}

/* The next string: s reads its bytes, from the start. */
static inline int
sshwire_str(struct sshwire *r, struct sshwire *s)
{
	uint32_t	 len;

	if (sshwire_u32(r, &len) == -1 || len > r->n - r->off)
		return -1;
	s->p = r->p + r->off;
	s->n = len;
	s->off = 0;
	r->off += len;
	return 0;
}

#endif
