/*
 * fuzz_proxy.c: libFuzzer target for the PROXY protocol parser (proxy.h).
 * Any byte string is fed whole, byte by byte, and in chunks whose sizes
 * the input itself chooses. The invariants: the three agree on the
 * result, the bytes taken, the header or the error; no feed takes more
 * than it was given; a header is at most PROXY_V1_MAX (v1) or
 * PROXY_V2_MAX (v2) bytes and lies within the input; no step asks for
 * more than the header it ends up being, nor past PROXY_HEADER_MAX; an
 * error is one printable line; a header parses the same without the
 * bytes that follow it.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "proxy.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

struct run {
	struct proxy_parser	 pp;
	size_t			 taken;
	size_t			 reach;		/* max len + need, NEED_MORE */
};

static void
check_step(struct run *r, size_t given, size_t used)
{
	if (used > given)
		abort();
	r->taken += used;
	if (r->pp.len != r->taken)
		abort();
	if (r->pp.result == PROXY_NEED_MORE) {
		if (r->pp.need == 0 ||
		    r->pp.len + r->pp.need > PROXY_HEADER_MAX)
			abort();
		if (r->pp.len + r->pp.need > r->reach)
			r->reach = r->pp.len + r->pp.need;
	}
}

/* Feed p in chunks: size 0 whole, 1 byte by byte, else from seed. */
static void
feed(struct run *r, const uint8_t *p, size_t n, int mode, uint32_t seed)
{
	size_t	 off = 0, k, used;

	memset(r, 0, sizeof(*r));
	proxy_init(&r->pp);
	r->reach = r->pp.need;
	do {
		if (mode == 0)
			k = n - off;
		else if (mode == 1)
			k = n - off < 1 ? n - off : 1;
		else {
			seed = seed * 1103515245U + 12345U;
			k = 1 + (seed >> 16) % 40;
			if (k > n - off)
				k = n - off;
		}
		proxy_feed(&r->pp, p + off, k, &used);
		check_step(r, k, used);
		off += k;
	} while (off < n && r->pp.result == PROXY_NEED_MORE);
}

static void
same(const struct run *a, const struct run *b)
{
	const struct proxy_header *x = &a->pp.hdr, *y = &b->pp.hdr;

	if (a->pp.result != b->pp.result || a->taken != b->taken)
		abort();
	switch (a->pp.result) {
	case PROXY_NEED_MORE:
		if (a->pp.need != b->pp.need)
			abort();
		break;
	case PROXY_ERROR:
		if (a->pp.error != b->pp.error ||
		    strcmp(a->pp.err, b->pp.err) != 0)
			abort();
		break;
	case PROXY_DONE:
		if (x->len != y->len || x->version != y->version ||
		    x->kind != y->kind || x->family != y->family ||
		    strcmp(x->src, y->src) != 0 ||
		    strcmp(x->dst, y->dst) != 0 || x->sport != y->sport ||
		    x->dport != y->dport || x->ntlv != y->ntlv ||
		    x->crc32c != y->crc32c)
			abort();
		break;
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *p, size_t n)
{
	static struct run	 whole, bytes, chunks, alone;
	const struct proxy_header *h = &whole.pp.hdr;
	uint32_t		 seed = (uint32_t)n;
	size_t			 i;

	for (i = 0; i < n && i < 64; i++)
		seed = seed * 31 + p[i];
	feed(&whole, p, n, 0, 0);
	feed(&bytes, p, n, 1, 0);
	feed(&chunks, p, n, 2, seed);
	same(&whole, &bytes);
	same(&whole, &chunks);

	switch (whole.pp.result) {
	case PROXY_NEED_MORE:
		if (whole.taken != n)
			abort();
		break;
	case PROXY_ERROR:
		if (whole.pp.error == PROXY_E_NONE || whole.pp.err[0] == '\0')
			abort();
		for (i = 0; whole.pp.err[i] != '\0'; i++)
			if (whole.pp.err[i] < 0x20 || whole.pp.err[i] > 0x7e)
				abort();
		if (i >= sizeof(whole.pp.err))
			abort();
		break;
	case PROXY_DONE:
		if (h->len != whole.taken || h->len > n || h->len == 0 ||
		    (h->version == 1 && h->len > PROXY_V1_MAX) ||
		    (h->version == 2 && h->len > PROXY_V2_MAX) ||
		    (h->version != 1 && h->version != 2))
			abort();
		/* No step asked for bytes past the header. */
		if (bytes.reach > h->len)
			abort();
		if ((h->kind == PROXY_KIND_PROXY) != (h->src[0] != '\0'))
			abort();
		/* The header alone is the same header. */
		feed(&alone, p, h->len, 0, 0);
		same(&whole, &alone);
		break;
	}
	return 0;
}
