/*
 * proxy.c: the PROXY protocol header parser (proxy.h), versions 1 (one
 * text line) and 2 (binary), as haproxy's proxy-protocol.txt defines them.
 *
 * parse() looks at every byte taken so far, left to right, and stops at
 * the first one no valid header could have there (an error), at the end
 * of a header (DONE), or at the end of the bytes (NEED_MORE, with the
 * fewest bytes any valid header starting this way still needs). Every
 * check belongs to a byte, the length bounds too: "this line cannot end
 * within 107 bytes any more" is decided at the byte that makes it so. The
 * verdict is therefore a function of the bytes alone, whatever chunks
 * they came in; and since proxy_feed() takes at most `need` bytes at a
 * time, it never takes a byte past a header's end. Re-scanning from the
 * start on each feed costs a few thousand byte steps per header at most,
 * and keeps the parser free of resumable state.
 *
 * Strictness follows the spec: v1 has exactly one space between fields,
 * IPv4 addresses and ports without leading zeros, a CRLF and nothing else
 * to end the line (a lone CR or LF is an error). IPv6 addresses are what
 * inet_pton() takes (so "::ffff:192.0.2.1" passes: senders print mapped
 * addresses that way). v2 TLVs must tile the rest of the header exactly;
 * a CRC32C TLV is checked, every other one skipped. Combinations the spec
 * defines but this TCP service does not use (UNIX, UDP, UNSPEC) fall back
 * to the connection's own endpoints, as the spec asks of receivers.
 */
#include <sys/socket.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "proxy.h"

/* v1: "PROXY ", a protocol name, fields. */
static const char	 v1_sig[] = "PROXY ";
#define V1_SIGLEN	(sizeof(v1_sig) - 1)

/*
 * The protocol names, each with the fewest bytes that can follow it:
 * TCP4 " 0.0.0.0 0.0.0.0 0 0\r\n", TCP6 " :: :: 0 0\r\n", UNKNOWN "\r\n".
 */
enum v1_proto { V1_TCP4, V1_TCP6, V1_UNKNOWN, V1_NPROTO };
static const struct {
	const char	*name;
	size_t		 tail;
} v1_protos[V1_NPROTO] = {
	{ "TCP4", 22 },
	{ "TCP6", 12 },
	{ "UNKNOWN", 2 },
};

/* The four fields of a TCP line, in order. */
#define V1_NFIELDS	4
static const char *const v1_field_names[V1_NFIELDS] = {
	"source address", "destination address", "source port",
	"destination port"
};
#define V1_ADDR4_MIN	7		/* 0.0.0.0 */
#define V1_ADDR4_MAX	15		/* 255.255.255.255 */
#define V1_ADDR6_MIN	2		/* :: */
#define V1_ADDR6_MAX	45		/* with an IPv4 tail */
#define V1_PORT_MAX	5

/* v2: the signature, then version/command, family/protocol, length. */
static const uint8_t	 v2_sig[12] = {
	0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d, 0x0a, 0x51, 0x55, 0x49, 0x54, 0x0a
};
#define V2_VERSION	0x2
#define V2_CMD_LOCAL	0x0
#define V2_CMD_PROXY	0x1
#define V2_AF_UNSPEC	0x0
#define V2_AF_INET	0x1
#define V2_AF_INET6	0x2
#define V2_AF_UNIX	0x3
#define V2_TP_UNSPEC	0x0
#define V2_TP_STREAM	0x1
#define V2_TP_DGRAM	0x2
#define V2_TLV_CRC32C	0x03
#define V2_TLV_HEAD	3		/* type, length (2) */

static enum proxy_result	fail(struct proxy_parser *, enum proxy_error,
				    const char *, ...)
				    __attribute__((format(printf, 3, 4)));

static enum proxy_result
fail(struct proxy_parser *pp, enum proxy_error e, const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	vsnprintf(pp->err, sizeof(pp->err), fmt, ap);
	va_end(ap);
	pp->error = e;
	pp->need = 0;
	/* What came after the deciding byte was not looked at. */
	if (pp->at < pp->len)
		pp->len = pp->at;
	return pp->result = PROXY_ERROR;
}

static enum proxy_result
more(struct proxy_parser *pp, size_t need)
{
	pp->need = need;
	return pp->result = PROXY_NEED_MORE;
}

static enum proxy_result
done(struct proxy_parser *pp, size_t len)
{
	pp->hdr.len = len;
	pp->need = 0;
	return pp->result = PROXY_DONE;
}

/* A byte as an error line may show it: 'h', or 0x0d when unprintable. */
static const char *
showc(uint8_t c, char *buf, size_t len)
{
	if (c >= 0x20 && c < 0x7f && c != '\'')
		snprintf(buf, len, "'%c'", c);
	else
		snprintf(buf, len, "0x%02x", c);
	return buf;
}

static enum proxy_result
no_signature(struct proxy_parser *pp, size_t at)
{
	char	 c[8];

	pp->at = at + 1;
	if (at == 0)
		return fail(pp, PROXY_E_MISSING, "no PROXY protocol signature: "
		    "the connection starts with %s", showc(pp->buf[0], c,
		    sizeof(c)));
	return fail(pp, PROXY_E_MISSING, "no PROXY protocol signature: "
	    "byte %zu is %s, which neither the v1 nor the v2 signature has "
	    "there", at, showc(pp->buf[at], c, sizeof(c)));
}

/* --- version 1 ----------------------------------------------------------- */

static bool
is_digit(uint8_t c)
{
	return c >= '0' && c <= '9';
}

static bool
is_hex(uint8_t c)
{
	return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

/* Whether c may appear in field f of a proto line. */
static bool
v1_field_char(enum v1_proto proto, int f, uint8_t c)
{
	if (f >= 2)
		return is_digit(c);
	if (proto == V1_TCP4)
		return is_digit(c) || c == '.';
	return is_hex(c) || c == ':' || c == '.';
}

static size_t
v1_field_min(enum v1_proto proto, int f)
{
	if (f >= 2)
		return 1;
	return proto == V1_TCP4 ? V1_ADDR4_MIN : V1_ADDR6_MIN;
}

static size_t
v1_field_max(enum v1_proto proto, int f)
{
	if (f >= 2)
		return V1_PORT_MAX;
	return proto == V1_TCP4 ? V1_ADDR4_MAX : V1_ADDR6_MAX;
}

/* The fewest bytes after field f's last byte: its separator onwards. */
static size_t
v1_field_tail(enum v1_proto proto, int f)
{
	size_t	 n = 1;		/* the separator: ' ', or '\r' after the last */
	int	 g;

	for (g = f + 1; g < V1_NFIELDS; g++)
		n += v1_field_min(proto, g) + 1;
	return n + 1;		/* the '\n' */
}

/*
 * Dotted quad as the spec has it: four decimal numbers 0..255 without
 * leading zeros. (glibc's inet_pton() agrees, but the rule is the spec's
 * and should not depend on a libc.) s holds digits and dots only.
 */
static bool
v1_ipv4_ok(const char *s)
{
	int	 dots = 0, digits = 0, val = 0;

	for (; *s != '\0'; s++) {
		if (*s == '.') {
			if (digits == 0)
				return false;
			dots++;
			digits = val = 0;
			continue;
		}
		if (digits == 1 && val == 0)
			return false;		/* a leading zero */
		val = val * 10 + (*s - '0');
		if (++digits > 3 || val > 255)
			return false;
	}
	return dots == 3 && digits > 0;
}

/* Field f is complete: tok (NUL-terminated, checked characters). */
static enum proxy_result
v1_field_done(struct proxy_parser *pp, enum v1_proto proto, int f,
    const char *tok)
{
	struct proxy_header	*h = &pp->hdr;
	struct in6_addr		 a6;
	struct in_addr		 a4;
	unsigned long		 port;
	char			*out;
	bool			 ok;

	if (tok[0] == '\0')
		return fail(pp, PROXY_E_MALFORMED, "v1: empty %s",
		    v1_field_names[f]);
	if (f >= 2) {
		port = strtoul(tok, NULL, 10);
		if ((tok[0] == '0' && tok[1] != '\0') || port > 65535)
			return fail(pp, PROXY_E_MALFORMED, "v1: %s \"%s\" is "
			    "not a port (0..65535, no leading zeros)",
			    v1_field_names[f], tok);
		if (f == 2)
			h->sport = (uint16_t)port;
		else
			h->dport = (uint16_t)port;
		return PROXY_NEED_MORE;
	}
	out = f == 0 ? h->src : h->dst;
	if (proto == V1_TCP4) {
		ok = v1_ipv4_ok(tok) && inet_pton(AF_INET, tok, &a4) == 1 &&
		    inet_ntop(AF_INET, &a4, out, PROXY_ADDR_MAX) != NULL;
	} else {
		ok = inet_pton(AF_INET6, tok, &a6) == 1 &&
		    inet_ntop(AF_INET6, &a6, out, PROXY_ADDR_MAX) != NULL;
	}
	if (!ok)
		return fail(pp, PROXY_E_MALFORMED, "v1: %s \"%s\" is not an "
		    "%s address", v1_field_names[f], tok,
		    proto == V1_TCP4 ? "IPv4" : "IPv6");
	return PROXY_NEED_MORE;
}

enum v1_state {
	V1S_SIG,		/* inside "PROXY " */
	V1S_PROTO,		/* the protocol name */
	V1S_SKIP,		/* after "UNKNOWN ": anything up to CRLF */
	V1S_FIELD,		/* a TCP4/TCP6 field */
	V1S_LF,			/* after the CR */
};

/*
 * The protocol name so far is buf[V1_SIGLEN .. V1_SIGLEN + k). Which
 * names it can still become (a bit mask), and the fewest bytes after it.
 */
static unsigned
v1_proto_candidates(const uint8_t *name, size_t k, size_t *rem)
{
	unsigned	 mask = 0;
	size_t		 len, r;
	int		 i;

	*rem = SIZE_MAX;
	for (i = 0; i < V1_NPROTO; i++) {
		len = strlen(v1_protos[i].name);
		if (k > len || memcmp(v1_protos[i].name, name, k) != 0)
			continue;
		mask |= 1U << i;
		r = len - k + v1_protos[i].tail;
		if (r < *rem)
			*rem = r;
	}
	return mask;
}

static enum proxy_result
parse_v1(struct proxy_parser *pp)
{
	const uint8_t	*p = pp->buf;
	enum v1_state	 st = V1S_SIG;
	enum v1_proto	 proto = V1_UNKNOWN;
	size_t		 i, k = 0, rem = PROXY_V1_MIN, start = 0, len;
	char		 tok[V1_ADDR6_MAX + 1], c[8];
	int		 f = 0, j;

	pp->hdr.version = 1;
	for (i = 0; i < pp->len; i++) {
		pp->at = i + 1;
		switch (st) {
		case V1S_SIG:
			if (p[i] != (uint8_t)v1_sig[i])
				return no_signature(pp, i);
			rem = PROXY_V1_MIN - (i + 1);
			if (i + 1 == V1_SIGLEN) {
				st = V1S_PROTO;
				start = i + 1;
			}
			break;
		case V1S_PROTO:
			k = i - start;
			if (p[i] == ' ' || p[i] == '\r') {
				for (j = 0; j < V1_NPROTO; j++) {
					len = strlen(v1_protos[j].name);
					if (k == len && memcmp(p + start,
					    v1_protos[j].name, len) == 0)
						break;
				}
				if (k == 0)
					return fail(pp, PROXY_E_MALFORMED,
					    "v1: no protocol after \"PROXY\"");
				if (j == V1_NPROTO)
					return fail(pp, PROXY_E_MALFORMED,
					    "v1: unknown protocol \"%.*s\"",
					    (int)k, (const char *)p + start);
				proto = (enum v1_proto)j;
				if (p[i] == '\r') {
					if (proto != V1_UNKNOWN)
						return fail(pp,
						    PROXY_E_MALFORMED, "v1: %s "
						    "without addresses and "
						    "ports", v1_protos[j].name);
					st = V1S_LF;
					rem = 1;
				} else if (proto == V1_UNKNOWN) {
					st = V1S_SKIP;
					rem = 2;
				} else {
					st = V1S_FIELD;
					f = 0;
					start = i + 1;
					rem = v1_field_min(proto, 0) +
					    v1_field_tail(proto, 0);
				}
				break;
			}
			if (v1_proto_candidates(p + start, k + 1, &rem) == 0) {
				if ((p[i] >= 'A' && p[i] <= 'Z') ||
				    is_digit(p[i]))
					return fail(pp, PROXY_E_MALFORMED,
					    "v1: unknown protocol \"%.*s\"",
					    (int)(k + 1),
					    (const char *)p + start);
				return fail(pp, PROXY_E_MALFORMED, "v1: "
				    "unexpected %s in the protocol name",
				    showc(p[i], c, sizeof(c)));
			}
			break;
		case V1S_SKIP:
			/* The spec: ignore what UNKNOWN has before CRLF. */
			if (p[i] == '\n')
				return fail(pp, PROXY_E_MALFORMED,
				    "v1: LF without CR");
			if (p[i] == '\r') {
				st = V1S_LF;
				rem = 1;
			}
			break;
		case V1S_FIELD:
			k = i - start;
			if (p[i] == (f + 1 < V1_NFIELDS ? ' ' : '\r')) {
				/* Characters checked below: printable. */
				memcpy(tok, p + start, k);
				tok[k] = '\0';
				if (v1_field_done(pp, proto, f, tok) ==
				    PROXY_ERROR)
					return PROXY_ERROR;
				start = i + 1;
				if (++f == V1_NFIELDS) {
					st = V1S_LF;
					rem = 1;
				} else
					rem = v1_field_min(proto, f) +
					    v1_field_tail(proto, f);
				break;
			}
			if (!v1_field_char(proto, f, p[i]))
				return fail(pp, PROXY_E_MALFORMED, "v1: "
				    "unexpected %s in the %s (%s)",
				    showc(p[i], c, sizeof(c)),
				    v1_field_names[f], v1_protos[proto].name);
			if (++k > v1_field_max(proto, f))
				return fail(pp, PROXY_E_MALFORMED, "v1: %s "
				    "longer than %zu bytes", v1_field_names[f],
				    v1_field_max(proto, f));
			rem = (k < v1_field_min(proto, f) ?
			    v1_field_min(proto, f) - k : 0) +
			    v1_field_tail(proto, f);
			break;
		case V1S_LF:
			if (p[i] != '\n')
				return fail(pp, PROXY_E_MALFORMED, "v1: CR "
				    "followed by %s, not LF",
				    showc(p[i], c, sizeof(c)));
			if (proto != V1_UNKNOWN) {
				pp->hdr.kind = PROXY_KIND_PROXY;
				pp->hdr.family = proto == V1_TCP4 ? AF_INET :
				    AF_INET6;
			} else {
				pp->hdr.kind = PROXY_KIND_UNKNOWN;
				pp->hdr.family = AF_UNSPEC;
				pp->hdr.src[0] = pp->hdr.dst[0] = '\0';
			}
			return done(pp, i + 1);
		}
		if (i + 1 + rem > PROXY_V1_MAX)
			return fail(pp, PROXY_E_OVERSIZED, "v1: no CRLF within "
			    "%d bytes", PROXY_V1_MAX);
	}
	return more(pp, rem);
}

/* --- version 2 ----------------------------------------------------------- */

/*
 * CRC-32C (Castagnoli, reflected polynomial 0x82f63b78), bit by bit: it
 * runs once per header over at most PROXY_V2_MAX bytes.
 */
static uint32_t
crc32c(const uint8_t *p, size_t n)
{
	uint32_t	 crc = 0xffffffffU;
	int		 b;

	while (n-- > 0) {
		crc ^= *p++;
		for (b = 0; b < 8; b++)
			crc = (crc >> 1) ^ (0x82f63b78U & (0U - (crc & 1U)));
	}
	return ~crc;
}

/* Bytes of the address block a PROXY command must carry; 0: none used. */
static size_t
v2_addr_len(unsigned fam, unsigned tp)
{
	if (tp == V2_TP_UNSPEC)
		return 0;
	switch (fam) {
	case V2_AF_INET:
		return 2 * 4 + 2 * 2;
	case V2_AF_INET6:
		return 2 * 16 + 2 * 2;
	case V2_AF_UNIX:
		return 2 * 108;
	default:
		return 0;
	}
}

static const char *
v2_family_name(unsigned fam)
{
	return fam == V2_AF_INET ? "IPv4" : fam == V2_AF_INET6 ? "IPv6" :
	    fam == V2_AF_UNIX ? "UNIX" : "UNSPEC";
}

/* The TLVs in buf[from .. to): they must tile it; CRC32C is checked. */
static enum proxy_result
v2_tlvs(struct proxy_parser *pp, size_t from, size_t to)
{
	uint8_t		 copy[PROXY_V2_MAX];
	const uint8_t	*p = pp->buf;
	size_t		 off, vlen, crc_at = 0;
	uint32_t	 want;

	for (off = from; off < to; off += V2_TLV_HEAD + vlen) {
		if (to - off < V2_TLV_HEAD)
			return fail(pp, PROXY_E_MALFORMED, "v2: %zu stray "
			    "bytes at offset %zu, too few for a TLV", to - off,
			    off);
		vlen = (size_t)p[off + 1] << 8 | p[off + 2];
		if (vlen > to - off - V2_TLV_HEAD)
			return fail(pp, PROXY_E_MALFORMED, "v2: TLV type "
			    "0x%02x at offset %zu: its %zu bytes run past the "
			    "header", p[off], off, vlen);
		pp->hdr.ntlv++;
		if (p[off] != V2_TLV_CRC32C)
			continue;
		if (vlen != 4)
			return fail(pp, PROXY_E_MALFORMED, "v2: CRC32C TLV of "
			    "%zu bytes, not 4", vlen);
		if (crc_at != 0)
			return fail(pp, PROXY_E_MALFORMED, "v2: a second "
			    "CRC32C TLV");
		crc_at = off + V2_TLV_HEAD;
	}
	if (crc_at != 0) {
		/* Computed with the checksum's own bytes zeroed. */
		memcpy(copy, p, to);
		memset(copy + crc_at, 0, 4);
		want = (uint32_t)p[crc_at] << 24 | (uint32_t)p[crc_at + 1] <<
		    16 | (uint32_t)p[crc_at + 2] << 8 | p[crc_at + 3];
		if (crc32c(copy, to) != want)
			return fail(pp, PROXY_E_MALFORMED, "v2: CRC32C "
			    "mismatch: the header says 0x%08x, its bytes make "
			    "0x%08x", want, crc32c(copy, to));
		pp->hdr.crc32c = true;
	}
	return PROXY_DONE;
}

static enum proxy_result
parse_v2(struct proxy_parser *pp)
{
	struct proxy_header	*h = &pp->hdr;
	const uint8_t		*p = pp->buf;
	size_t			 n = pp->len, i, len, total, alen;
	unsigned		 ver, cmd, fam, tp;

	h->version = 2;
	for (i = 0; i < n && i < sizeof(v2_sig); i++)
		if (p[i] != v2_sig[i])
			return no_signature(pp, i);
	if (n <= sizeof(v2_sig))
		return more(pp, PROXY_V2_FIXED - n);
	pp->at = 13;
	ver = p[12] >> 4;
	cmd = p[12] & 0xfU;
	if (ver != V2_VERSION)
		return fail(pp, PROXY_E_MALFORMED, "v2: version %u (only 2 is "
		    "defined)", ver);
	if (cmd != V2_CMD_LOCAL && cmd != V2_CMD_PROXY)
		return fail(pp, PROXY_E_MALFORMED, "v2: command 0x%x (neither "
		    "LOCAL nor PROXY)", cmd);
	if (n == 13)
		return more(pp, PROXY_V2_FIXED - n);
	pp->at = 14;
	fam = p[13] >> 4;
	tp = p[13] & 0xfU;
	if (fam > V2_AF_UNIX)
		return fail(pp, PROXY_E_MALFORMED, "v2: address family 0x%x "
		    "(not UNSPEC, INET, INET6 or UNIX)", fam);
	if (tp > V2_TP_DGRAM)
		return fail(pp, PROXY_E_MALFORMED, "v2: transport protocol "
		    "0x%x (not UNSPEC, STREAM or DGRAM)", tp);
	if (n < PROXY_V2_FIXED)
		return more(pp, PROXY_V2_FIXED - n);
	pp->at = PROXY_V2_FIXED;
	len = (size_t)p[14] << 8 | p[15];
	total = PROXY_V2_FIXED + len;
	if (total > PROXY_V2_MAX)
		return fail(pp, PROXY_E_OVERSIZED, "v2: length %zu passes the "
		    "limit of %d bytes", len, PROXY_V2_MAX - PROXY_V2_FIXED);
	alen = cmd == V2_CMD_PROXY ? v2_addr_len(fam, tp) : 0;
	if (len < alen)
		return fail(pp, PROXY_E_MALFORMED, "v2: length %zu is shorter "
		    "than an %s address block (%zu bytes)", len,
		    v2_family_name(fam), alen);
	if (n < total)
		return more(pp, total - n);

	/* The whole header is here; nothing past it is looked at. */
	pp->at = total;
	h->family = AF_UNSPEC;
	if (cmd == V2_CMD_LOCAL) {
		/* A health check: the spec says ignore the block. */
		h->kind = PROXY_KIND_LOCAL;
		return done(pp, total);
	}
	h->kind = PROXY_KIND_UNKNOWN;
	if (alen == 0)
		return done(pp, total);
	if (v2_tlvs(pp, PROXY_V2_FIXED + alen, total) == PROXY_ERROR)
		return PROXY_ERROR;
	if (tp == V2_TP_STREAM && fam == V2_AF_INET) {
		inet_ntop(AF_INET, p + 16, h->src, sizeof(h->src));
		inet_ntop(AF_INET, p + 20, h->dst, sizeof(h->dst));
		h->sport = (uint16_t)(p[24] << 8 | p[25]);
		h->dport = (uint16_t)(p[26] << 8 | p[27]);
		h->family = AF_INET;
		h->kind = PROXY_KIND_PROXY;
	} else if (tp == V2_TP_STREAM && fam == V2_AF_INET6) {
		inet_ntop(AF_INET6, p + 16, h->src, sizeof(h->src));
		inet_ntop(AF_INET6, p + 32, h->dst, sizeof(h->dst));
		h->sport = (uint16_t)(p[48] << 8 | p[49]);
		h->dport = (uint16_t)(p[50] << 8 | p[51]);
		h->family = AF_INET6;
		h->kind = PROXY_KIND_PROXY;
	}
	return done(pp, total);
}

/* --- the interface ------------------------------------------------------- */

static enum proxy_result
parse(struct proxy_parser *pp)
{
	memset(&pp->hdr, 0, sizeof(pp->hdr));
	if (pp->len == 0)
		return more(pp, PROXY_V1_MIN);
	if (pp->buf[0] == v2_sig[0])
		return parse_v2(pp);
	return parse_v1(pp);
}

void
proxy_init(struct proxy_parser *pp)
{
	memset(pp, 0, sizeof(*pp));
	pp->error = PROXY_E_NONE;
	(void)parse(pp);
}

enum proxy_result
proxy_feed(struct proxy_parser *pp, const void *data, size_t n, size_t *used)
{
	const uint8_t	*p = data;
	size_t		 u = 0, k, before;

	while (pp->result == PROXY_NEED_MORE && u < n) {
		k = n - u < pp->need ? n - u : pp->need;
		/* parse() keeps len + need within the buffer; be sure. */
		if (k > sizeof(pp->buf) - pp->len) {
			pp->at = pp->len;
			fail(pp, PROXY_E_OVERSIZED, "internal: header past "
			    "%zu bytes", sizeof(pp->buf));
			break;
		}
		memcpy(pp->buf + pp->len, p + u, k);
		before = pp->len;
		pp->len += k;
		(void)parse(pp);
		/* An error may hand back bytes past the deciding one. */
		u += pp->len - before;
	}
	if (used != NULL)
		*used = u;
	return pp->result;
}

const char *
proxy_error_name(enum proxy_error e)
{
	switch (e) {
	case PROXY_E_NONE:
		return "none";
	case PROXY_E_MISSING:
		return "missing";
	case PROXY_E_MALFORMED:
		return "malformed";
	case PROXY_E_OVERSIZED:
		return "oversized";
	}
	return "unknown";
}
