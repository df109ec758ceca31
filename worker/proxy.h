/*
 * proxy.h: the PROXY protocol (haproxy's proxy-protocol.txt, versions 1
 * and 2), which a load balancer puts before a connection's first byte to
 * say whom it relays (the `peer` message, msg.h).
 *
 * Two parts. The parser (worker/proxy.c) is a library: no sockets, no
 * logging, fuzzable on its own. It takes the bytes of a connection's
 * start in any chunks and says NEED_MORE (with a lower bound on the bytes
 * still to come: reading that many can never pass the header's end),
 * DONE (the header and its length: no byte after it is ever taken) or
 * ERROR (why, as one printable line, and a class for the log). The result
 * depends only on the bytes, never on how they were chunked.
 *
 * The PROXY step (worker/proxy_step.c) is the worker's use of it: before
 * a transport touches the client socket, read exactly the header, with a
 * deadline, answering the channel meanwhile; tell the supervisor the real
 * client address in `peer` and wait for its `peer_verdict`.
 *
 * Bounds: a v1 line is at most 107 bytes, CRLF included (the spec's
 * worst case); a v2 header at most 536 bytes in all, 16 fixed and 520 of
 * addresses and TLVs (the spec's smallest TCP segment, which it says both
 * formats fit in). Longer is "oversized".
 */
#ifndef IRIDIUM_PROXY_H
#define IRIDIUM_PROXY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "msg.h"

#define PROXY_V1_MAX		107	/* bytes of a v1 line, CRLF included */
#define PROXY_V1_MIN		15	/* "PROXY UNKNOWN\r\n" */
#define PROXY_V2_FIXED		16	/* signature, ver/cmd, fam, length */
#define PROXY_V2_MAX		536	/* our bound for a whole v2 header */
#define PROXY_HEADER_MAX	PROXY_V2_MAX
#define PROXY_ADDR_MAX		46	/* INET6_ADDRSTRLEN */
#define PROXY_ERR_MAX		160

/* The PROXY step's deadlines (proxy_step.c). */
#define PROXY_TIMEOUT_MS	MSG_PROXY_TIMEOUT_MS	/* whole header, from
							   session start */
#define PROXY_VERDICT_MS	10000	/* the supervisor's `peer_verdict` */

enum proxy_result {
	PROXY_NEED_MORE,	/* feed at least pp->need more bytes */
	PROXY_DONE,		/* pp->hdr holds the header */
	PROXY_ERROR,		/* pp->error and pp->err say why */
};

enum proxy_error {
	PROXY_E_NONE,
	PROXY_E_MISSING,	/* the bytes start no PROXY header at all */
	PROXY_E_MALFORMED,	/* a signature, then something wrong */
	PROXY_E_OVERSIZED,	/* past PROXY_V1_MAX or PROXY_V2_MAX */
};

enum proxy_kind {
	PROXY_KIND_PROXY,	/* relayed TCP: src and dst are usable */
	PROXY_KIND_LOCAL,	/* v2 LOCAL: the balancer's own connection */
	PROXY_KIND_UNKNOWN,	/* v1 UNKNOWN; v2 UNSPEC, UNIX or UDP */
};

struct proxy_header {
	int		 version;	/* 1 or 2 */
	enum proxy_kind	 kind;
	int		 family;	/* AF_INET, AF_INET6; AF_UNSPEC unless
					   kind is PROXY_KIND_PROXY */
	char		 src[PROXY_ADDR_MAX];	/* numeric, "" if none */
	char		 dst[PROXY_ADDR_MAX];
	uint16_t	 sport;
	uint16_t	 dport;
	size_t		 len;		/* bytes of the header */
	unsigned	 ntlv;		/* v2 TLVs seen (and skipped) */
	bool		 crc32c;	/* a CRC32C TLV came, and matched */
};

struct proxy_parser {
	uint8_t			 buf[PROXY_HEADER_MAX];
	size_t			 len;		/* bytes taken so far; on ERROR,
						   up to the deciding one */
	size_t			 at;		/* parse(): the byte it is at */
	size_t			 need;		/* NEED_MORE: at least this */
	enum proxy_result	 result;
	enum proxy_error	 error;
	struct proxy_header	 hdr;		/* DONE */
	char			 err[PROXY_ERR_MAX];	/* ERROR */
};

void		 proxy_init(struct proxy_parser *);
/*
 * Take bytes of the connection's start. Sets *used (unless NULL) to how
 * many of the n bytes belong to the header: all of them on NEED_MORE,
 * up to the header's end on DONE (the rest are the session's), up to the
 * byte that decided it on ERROR. After DONE or ERROR it takes nothing
 * and returns the same result again.
 */
enum proxy_result proxy_feed(struct proxy_parser *, const void *p, size_t n,
		    size_t *used);
/* "missing", "malformed", "oversized" (or "none"). */
const char	*proxy_error_name(enum proxy_error);

/*
 * The worker's PROXY step, for a session whose listener speaks the PROXY
 * protocol; call it before the transport's serve(). Returns NULL when
 * the session goes on: s->peer then points into peer (peerlen bytes) at
 * the real client's "addr:port" (or stays the direct peer for LOCAL and
 * UNKNOWN headers). Otherwise it has closed s->client (set to -1) and
 * returns the SESSION_END_* reason: "proxy" (no valid header in time),
 * "refused" (the supervisor said no; the client got its message line),
 * "shutdown" (also when the channel is gone: s->orphaned), "error".
 */
struct session;
const char	*proxy_step(struct session *s, char *peer, size_t peerlen);

#endif
