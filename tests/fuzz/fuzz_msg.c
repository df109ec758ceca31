/*
 * fuzz_msg.c: libFuzzer target for the message decoder and encoder
 * (proto/msgtab.c), the code that reads every byte an untrusted worker
 * sends the supervisor.
 *
 * Each input is decoded as sent by either side, in every combination of
 * worker states, with and without an fd. Whatever is refused must come
 * with a non-empty, printable error (it goes to the log as it is). What
 * is accepted must re-encode (the encoder applies the same table), the
 * encoding must decode again under the same conditions, and encoding that
 * gives the same bytes: decode and encode agree on every field.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "msg.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static void
check_err(const char *err)
{
	const unsigned char	*p;

	if (err[0] == '\0')
		abort();	/* refused without saying why */
	for (p = (const unsigned char *)err; *p != '\0'; p++)
		if (*p < 0x20 || *p > 0x7e)
			abort();	/* peer bytes reached the log raw */
}

static void
reencode(const struct msg *m, int nfds, enum msg_dir from, unsigned state)
{
	struct buf	 a, b;
	struct msg	 m2;
	char		 err[512];

	buf_init(&a, 0);
	buf_init(&b, 0);
	if (msg_encode(&a, m->type, &m->u, err, sizeof(err)) != 0)
		abort();	/* accepted what we could not send */
	if (a.len > MSG_MAX)
		abort();
	if (msg_decode(a.data, a.len, nfds, from, state, &m2, err,
	    sizeof(err)) != 0)
		abort();	/* sent what we would not accept */
	if (m2.type != m->type)
		abort();
	if (msg_encode(&b, m2.type, &m2.u, err, sizeof(err)) != 0)
		abort();
	if (a.len != b.len || memcmp(a.data, b.data, a.len) != 0)
		abort();	/* a field changed on the way */
	msg_clear(&m2);
	buf_free(&a);
	buf_free(&b);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	static const enum msg_dir	 dirs[] = {
		MSG_FROM_SUPERVISOR, MSG_FROM_WORKER
	};
	struct msg			 m;
	size_t				 d;
	unsigned			 state;
	int				 nfds;
	char				 err[512];

	for (d = 0; d < sizeof(dirs) / sizeof(dirs[0]); d++)
		for (state = 0; state <= WS_ANY; state++)
			for (nfds = 0; nfds <= 1; nfds++) {
				if (msg_decode(data, len, nfds, dirs[d], state,
				    &m, err, sizeof(err)) != 0) {
					check_err(err);
					if (m.json != NULL || m.fd != -1)
						abort();
					continue;
				}
				reencode(&m, nfds, dirs[d], state);
				msg_clear(&m);
			}
	return 0;
}
