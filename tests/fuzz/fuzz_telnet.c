/*
 * fuzz_telnet.c: libFuzzer target for the line transport's telnet filter
 * (telnet.h). Any byte string goes through telnet_byte(), whole and then
 * split at a point the input chooses, with character mode offered when
 * the first byte's high bit is set; both runs must agree, produce no
 * more data than input, and answer only with refusals or, once offered,
 * with changes of ECHO, SUPPRESS-GO-AHEAD and NAWS.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "telnet.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

struct tally {
	size_t		 data;
	uint64_t	 sum;		/* order-sensitive digest of events */
};

static void
feed(struct telnet *t, struct tally *y, const uint8_t *p, size_t n)
{
	enum telnet_event	 ev;
	uint8_t			 d;
	size_t			 i;

	for (i = 0; i < n; i++) {
		ev = telnet_byte(t, p[i], &d);
		y->sum = y->sum * 31 + (uint64_t)ev;
		if (ev == TELNET_EV_DATA) {
			y->data++;
			y->sum = y->sum * 257 + d;
		}
		/* A refusal, or (character mode offered) a change of one
		 * of its three options. */
		if (ev == TELNET_EV_REPLY && (t->replylen != 3 ||
		    t->reply[0] != TELNET_IAC || (t->reply[1] != TELNET_WONT &&
		    t->reply[1] != TELNET_DONT && !(t->charmode_ok &&
		    (t->reply[2] == TELNET_OPT_ECHO ||
		    t->reply[2] == TELNET_OPT_SGA ||
		    t->reply[2] == TELNET_OPT_NAWS)))))
			abort();
		if (ev == TELNET_EV_NAWS && (!t->naws_on || t->cols > 65535 ||
		    t->rows > 65535))
			abort();
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *p, size_t n)
{
	struct telnet	 t;
	struct tally	 whole, split;
	size_t		 k;

	memset(&whole, 0, sizeof(whole));
	memset(&split, 0, sizeof(split));
	telnet_init(&t);
	if (n > 0 && (p[0] & 0x80) != 0)
		telnet_offer(&t);
	feed(&t, &whole, p, n);
	if (whole.data > n)
		abort();
	k = n > 0 ? p[0] % (n + 1) : 0;
	telnet_init(&t);
	if (n > 0 && (p[0] & 0x80) != 0)
		telnet_offer(&t);
	feed(&t, &split, p, k);
	feed(&t, &split, p + k, n - k);
	if (whole.data != split.data || whole.sum != split.sum)
		abort();
	return 0;
}
