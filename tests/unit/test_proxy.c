/*
 * test_proxy.c: the PROXY protocol parser (proxy.h) on its own, against
 * haproxy's proxy-protocol.txt: every valid form of v1 (TCP4, TCP6,
 * UNKNOWN, the longest lines) and v2 (PROXY and LOCAL; IPv4, IPv6,
 * UNSPEC, UNIX, UDP; TLVs, CRC32C) is taken with the right addresses and
 * length; every malformed form is refused with its class and a precise
 * message. Every case is also fed byte by byte and in chunks, and must
 * come out the same; every proper prefix of a valid header must ask for
 * more without asking past the header's end; bytes after a header are
 * never taken.
 */
#include <sys/socket.h>

#include <criterion/criterion.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "proxy.h"

#define V2SIG	"\r\n\r\n\0\r\nQUIT\n"

/* Fail unless a and b came to the same verdict about the same bytes. */
static void
same(const struct proxy_parser *a, const struct proxy_parser *b,
    const char *how)
{
	cr_assert_eq(a->result, b->result, "%s: result %d, whole %d", how,
	    b->result, a->result);
	switch (a->result) {
	case PROXY_NEED_MORE:
		cr_assert_eq(a->len, b->len, "%s", how);
		cr_assert_eq(a->need, b->need, "%s", how);
		break;
	case PROXY_ERROR:
		cr_assert_eq(a->error, b->error, "%s", how);
		cr_assert_str_eq(a->err, b->err, "%s", how);
		break;
	case PROXY_DONE:
		cr_assert_eq(a->hdr.len, b->hdr.len, "%s", how);
		cr_assert_eq(a->hdr.version, b->hdr.version, "%s", how);
		cr_assert_eq(a->hdr.kind, b->hdr.kind, "%s", how);
		cr_assert_eq(a->hdr.family, b->hdr.family, "%s", how);
		cr_assert_str_eq(a->hdr.src, b->hdr.src, "%s", how);
		cr_assert_str_eq(a->hdr.dst, b->hdr.dst, "%s", how);
		cr_assert_eq(a->hdr.sport, b->hdr.sport, "%s", how);
		cr_assert_eq(a->hdr.dport, b->hdr.dport, "%s", how);
		cr_assert_eq(a->hdr.ntlv, b->hdr.ntlv, "%s", how);
		cr_assert_eq(a->hdr.crc32c, b->hdr.crc32c, "%s", how);
		break;
	}
}

/* Feed p in chunks of step bytes (0: all at once); the bytes taken. */
static size_t
feed(struct proxy_parser *pp, const void *p, size_t n, size_t step)
{
	const uint8_t	*q = p;
	size_t		 off = 0, k, used, total = 0;

	proxy_init(pp);
	while (off < n) {
		k = step == 0 || n - off < step ? n - off : step;
		proxy_feed(pp, q + off, k, &used);
		cr_assert_leq(used, k);
		total += used;
		if (pp->result != PROXY_NEED_MORE)
			break;
		cr_assert_eq(used, k, "NEED_MORE left bytes untaken");
		off += k;
	}
	return total;
}

/*
 * Parse n bytes at once into *pp, and check that byte-by-byte and
 * chunked feeding agree. Returns the bytes taken.
 */
static size_t
run(const void *p, size_t n, struct proxy_parser *pp)
{
	static const size_t	 steps[] = { 1, 2, 3, 7, 16, 100 };
	struct proxy_parser	 other;
	size_t			 used, u, i;
	char			 how[32];

	used = feed(pp, p, n, 0);
	for (i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
		u = feed(&other, p, n, steps[i]);
		snprintf(how, sizeof(how), "chunks of %zu", steps[i]);
		same(pp, &other, how);
		cr_assert_eq(u, used, "%s: took %zu, whole %zu", how, u, used);
	}
	return used;
}

/*
 * A valid header of hlen bytes at the start of p (n bytes, maybe with
 * session bytes after it): DONE, exactly hlen taken; and every proper
 * prefix asks for more, never past hlen.
 */
static const struct proxy_header *
expect_done(const void *p, size_t n, size_t hlen)
{
	static struct proxy_parser	 pp;
	struct proxy_parser		 pre;
	size_t				 k;

	cr_assert_eq(run(p, n, &pp), hlen, "took %zu bytes, header %zu; "
	    "error: %s", pp.len, hlen, pp.err);
	cr_assert_eq(pp.result, PROXY_DONE, "result %d: %s", pp.result,
	    pp.err);
	cr_assert_eq(pp.hdr.len, hlen);
	for (k = 0; k < hlen; k++) {
		feed(&pre, p, k, 0);
		cr_assert_eq(pre.result, PROXY_NEED_MORE, "prefix %zu: %s", k,
		    pre.err);
		cr_assert_geq(pre.need, 1);
		cr_assert_leq(k + pre.need, hlen, "prefix %zu asks for %zu "
		    "more, past the header's %zu", k, pre.need, hlen);
	}
	return &pp.hdr;
}

static const struct proxy_header *
expect_v1(const char *line, const char *after)
{
	char	 buf[512];

	snprintf(buf, sizeof(buf), "%s%s", line, after);
	return expect_done(buf, strlen(buf), strlen(line));
}

/* Refused with class e and a message containing what. */
static void
expect_error(const void *p, size_t n, enum proxy_error e, const char *what)
{
	struct proxy_parser	 pp;
	size_t			 i;

	run(p, n, &pp);
	cr_assert_eq(pp.result, PROXY_ERROR, "not refused (result %d)",
	    pp.result);
	cr_assert_eq(pp.error, e, "class %s, expected %s: %s",
	    proxy_error_name(pp.error), proxy_error_name(e), pp.err);
	cr_assert_neq(strstr(pp.err, what), NULL, "error \"%s\" lacks \"%s\"",
	    pp.err, what);
	for (i = 0; pp.err[i] != '\0'; i++)
		cr_assert(pp.err[i] >= 0x20 && pp.err[i] < 0x7f,
		    "unprintable byte in the error");
}

static void
expect_v1_error(const char *line, enum proxy_error e, const char *what)
{
	expect_error(line, strlen(line), e, what);
}

/* --- v1 ------------------------------------------------------------------ */

Test(proxy_v1, tcp4_gives_addresses_and_ports)
{
	const struct proxy_header *h;

	h = expect_v1("PROXY TCP4 192.0.2.1 198.51.100.2 56324 443\r\n", "");
	cr_assert_eq(h->version, 1);
	cr_assert_eq(h->kind, PROXY_KIND_PROXY);
	cr_assert_eq(h->family, AF_INET);
	cr_assert_str_eq(h->src, "192.0.2.1");
	cr_assert_str_eq(h->dst, "198.51.100.2");
	cr_assert_eq(h->sport, 56324);
	cr_assert_eq(h->dport, 443);
}

Test(proxy_v1, tcp6_addresses_come_out_canonical)
{
	const struct proxy_header *h;

	h = expect_v1("PROXY TCP6 2001:DB8:0:0:0:0:0:1 2001:db8::2 65535 0\r\n",
	    "");
	cr_assert_eq(h->family, AF_INET6);
	cr_assert_str_eq(h->src, "2001:db8::1");
	cr_assert_str_eq(h->dst, "2001:db8::2");
	cr_assert_eq(h->sport, 65535);
	cr_assert_eq(h->dport, 0);
	h = expect_v1("PROXY TCP6 ::ffff:192.0.2.7 :: 1 2\r\n", "");
	cr_assert_str_eq(h->src, "::ffff:192.0.2.7");
	cr_assert_str_eq(h->dst, "::");
}

Test(proxy_v1, unknown_short_and_with_fields)
{
	const struct proxy_header *h;

	h = expect_v1("PROXY UNKNOWN\r\n", "");
	cr_assert_eq(h->kind, PROXY_KIND_UNKNOWN);
	cr_assert_eq(h->family, AF_UNSPEC);
	cr_assert_str_eq(h->src, "");
	cr_assert_eq(h->len, PROXY_V1_MIN);
	/* The spec: anything before CRLF is ignored, even nonsense. */
	h = expect_v1("PROXY UNKNOWN whatever \x01\xff goes\r\n", "");
	cr_assert_eq(h->kind, PROXY_KIND_UNKNOWN);
}

Test(proxy_v1, the_longest_lines_of_the_spec_are_taken)
{
	char	 line[PROXY_V1_MAX + 1], six[40];
	size_t	 n;

	snprintf(six, sizeof(six), "%s", "ffff:ffff:ffff:ffff:ffff:ffff:ffff:"
	    "ffff");
	expect_v1("PROXY TCP4 255.255.255.255 255.255.255.255 65535 65535\r\n",
	    "");
	n = (size_t)snprintf(line, sizeof(line), "PROXY TCP6 %s %s 65535 "
	    "65535\r\n", six, six);
	cr_assert_eq(n, 104);
	expect_v1(line, "");
	n = (size_t)snprintf(line, sizeof(line), "PROXY UNKNOWN %s %s 65535 "
	    "65535\r\n", six, six);
	cr_assert_eq(n, PROXY_V1_MAX);
	expect_v1(line, "");
}

Test(proxy_v1, bytes_after_the_line_are_left_for_the_session)
{
	const struct proxy_header *h;

	h = expect_v1("PROXY TCP4 10.0.0.1 10.0.0.2 1 2\r\n",
	    "load $1 #42\r\n!registers\r\n");
	cr_assert_str_eq(h->src, "10.0.0.1");
	/* Even a second header is the session's business. */
	expect_v1("PROXY UNKNOWN\r\n", "PROXY UNKNOWN\r\n");
	expect_v1("PROXY TCP4 0.0.0.0 0.0.0.0 0 0\r\n", "\n");
}

Test(proxy_v1, ends_other_than_crlf_are_refused)
{
	expect_v1_error("PROXY TCP4 1.2.3.4 5.6.7.8 1 2\n",
	    PROXY_E_MALFORMED, "unexpected 0x0a in the destination port");
	expect_v1_error("PROXY TCP4 1.2.3.4 5.6.7.8 1 2\rX",
	    PROXY_E_MALFORMED, "CR followed by 'X', not LF");
	expect_v1_error("PROXY TCP4 1.2.3.4 5.6.7.8 1 2\r\r\n",
	    PROXY_E_MALFORMED, "CR followed by 0x0d");
	expect_v1_error("PROXY UNKNOWN\n", PROXY_E_MALFORMED,
	    "unexpected 0x0a in the protocol name");
	expect_v1_error("PROXY UNKNOWN 1.2.3.4\n", PROXY_E_MALFORMED,
	    "LF without CR");
	expect_v1_error("PROXY UNKNOWN\r ", PROXY_E_MALFORMED,
	    "CR followed by ' ', not LF");
}

Test(proxy_v1, no_crlf_within_107_bytes_is_oversized)
{
	char		 line[200];
	struct proxy_parser pp;

	memset(line, 'x', sizeof(line));
	memcpy(line, "PROXY UNKNOWN ", 14);
	expect_error(line, sizeof(line), PROXY_E_OVERSIZED,
	    "no CRLF within 107 bytes");
	/* Known at byte 106: no CR there, so no CRLF by byte 107. */
	feed(&pp, line, 106, 0);
	cr_assert_eq(pp.result, PROXY_ERROR);
	feed(&pp, line, 105, 0);
	cr_assert_eq(pp.result, PROXY_NEED_MORE);
	cr_assert_eq(pp.need, 2);
	/* A CR at byte 106 still makes 107 with its LF... */
	line[105] = '\r';
	line[106] = '\n';
	expect_done(line, sizeof(line), PROXY_V1_MAX);
	/* ... one byte later it does not. */
	line[105] = 'x';
	line[106] = '\r';
	line[107] = '\n';
	expect_error(line, sizeof(line), PROXY_E_OVERSIZED, "107");
}

Test(proxy_v1, tcp6_with_long_addresses_cannot_fit)
{
	char	 line[256];
	char	 a[] = "0000:0000:0000:0000:0000:ffff:255.255.255.255";

	snprintf(line, sizeof(line), "PROXY TCP6 %s %s 1 2\r\n", a, a);
	expect_v1_error(line, PROXY_E_OVERSIZED, "no CRLF within 107 bytes");
	/* One such address fits. */
	snprintf(line, sizeof(line), "PROXY TCP6 %s ::1 1 2\r\n", a);
	cr_assert_str_eq(expect_v1(line, "")->src, "::ffff:255.255.255.255");
}

Test(proxy_v1, protocol_names_are_exact)
{
	expect_v1_error("PROXY TCP5 1.2.3.4 5.6.7.8 1 2\r\n", PROXY_E_MALFORMED,
	    "unknown protocol \"TCP5\"");
	expect_v1_error("PROXY UDP4 1.2.3.4 5.6.7.8 1 2\r\n", PROXY_E_MALFORMED,
	    "unknown protocol \"U");
	expect_v1_error("PROXY tcp4 1.2.3.4 5.6.7.8 1 2\r\n", PROXY_E_MALFORMED,
	    "unexpected 't' in the protocol name");
	expect_v1_error("PROXY  TCP4 1.2.3.4 5.6.7.8 1 2\r\n",
	    PROXY_E_MALFORMED, "no protocol");
	expect_v1_error("PROXY TCP 1.2.3.4 5.6.7.8 1 2\r\n", PROXY_E_MALFORMED,
	    "unknown protocol \"TCP\"");
	expect_v1_error("PROXY TCP4\r\n", PROXY_E_MALFORMED,
	    "TCP4 without addresses and ports");
	expect_v1_error("PROXY UNKNOWNX\r\n", PROXY_E_MALFORMED,
	    "unknown protocol \"UNKNOWNX\"");
}

Test(proxy_v1, bad_ipv4_addresses)
{
	expect_v1_error("PROXY TCP4 256.1.1.1 5.6.7.8 1 2\r\n",
	    PROXY_E_MALFORMED, "source address \"256.1.1.1\" is not an IPv4");
	expect_v1_error("PROXY TCP4 1.2.3.4 1.2.3 1 2\r\n", PROXY_E_MALFORMED,
	    "destination address \"1.2.3\" is not an IPv4");
	expect_v1_error("PROXY TCP4 01.2.3.4 5.6.7.8 1 2\r\n",
	    PROXY_E_MALFORMED, "\"01.2.3.4\" is not an IPv4");
	expect_v1_error("PROXY TCP4 1.2.3.4.5 5.6.7.8 1 2\r\n",
	    PROXY_E_MALFORMED, "\"1.2.3.4.5\" is not");
	expect_v1_error("PROXY TCP4 1..3.4 5.6.7.8 1 2\r\n", PROXY_E_MALFORMED,
	    "\"1..3.4\" is not");
	expect_v1_error("PROXY TCP4 1.2.3.4. 5.6.7.8 1 2\r\n",
	    PROXY_E_MALFORMED, "\"1.2.3.4.\" is not");
	expect_v1_error("PROXY TCP4 ::1 5.6.7.8 1 2\r\n", PROXY_E_MALFORMED,
	    "unexpected ':' in the source address (TCP4)");
	expect_v1_error("PROXY TCP4 1.2.3.4  5.6.7.8 1 2\r\n",
	    PROXY_E_MALFORMED, "empty destination address");
	expect_v1_error("PROXY TCP4 1111.2.3.4444444444 5.6.7.8 1 2\r\n",
	    PROXY_E_MALFORMED, "source address longer than 15 bytes");
}

Test(proxy_v1, bad_ipv6_addresses)
{
	expect_v1_error("PROXY TCP6 1.2.3.4 ::1 1 2\r\n", PROXY_E_MALFORMED,
	    "source address \"1.2.3.4\" is not an IPv6");
	expect_v1_error("PROXY TCP6 ::1 2001:db8:::1 1 2\r\n",
	    PROXY_E_MALFORMED, "\"2001:db8:::1\" is not an IPv6");
	expect_v1_error("PROXY TCP6 ::g ::1 1 2\r\n", PROXY_E_MALFORMED,
	    "unexpected 'g' in the source address (TCP6)");
	expect_v1_error("PROXY TCP6 1:2:3:4:5:6:7:8:9 ::1 1 2\r\n",
	    PROXY_E_MALFORMED, "is not an IPv6");
}

Test(proxy_v1, bad_ports)
{
	expect_v1_error("PROXY TCP4 1.2.3.4 5.6.7.8 65536 2\r\n",
	    PROXY_E_MALFORMED, "source port \"65536\" is not a port");
	expect_v1_error("PROXY TCP4 1.2.3.4 5.6.7.8 1 080\r\n",
	    PROXY_E_MALFORMED, "destination port \"080\" is not a port");
	expect_v1_error("PROXY TCP4 1.2.3.4 5.6.7.8 123456 2\r\n",
	    PROXY_E_MALFORMED, "source port longer than 5 bytes");
	expect_v1_error("PROXY TCP4 1.2.3.4 5.6.7.8 -1 2\r\n",
	    PROXY_E_MALFORMED, "unexpected '-' in the source port");
	expect_v1_error("PROXY TCP4 1.2.3.4 5.6.7.8 1 \r\n",
	    PROXY_E_MALFORMED, "empty destination port");
	expect_v1_error("PROXY TCP4 1.2.3.4 5.6.7.8 1\r\n",
	    PROXY_E_MALFORMED, "unexpected 0x0d in the source port");
}

Test(proxy_v1, trailing_garbage_in_the_line_is_refused)
{
	expect_v1_error("PROXY TCP4 1.2.3.4 5.6.7.8 1 2 3\r\n",
	    PROXY_E_MALFORMED, "unexpected ' ' in the destination port");
	expect_v1_error("PROXY TCP4 1.2.3.4 5.6.7.8 1 2x\r\n",
	    PROXY_E_MALFORMED, "unexpected 'x' in the destination port");
}

Test(proxy_v1, other_protocols_are_no_header)
{
	expect_v1_error("hello\r\n", PROXY_E_MISSING,
	    "no PROXY protocol signature: the connection starts with 'h'");
	expect_v1_error("PUT / HTTP/1.1\r\n", PROXY_E_MISSING,
	    "byte 1 is 'U'");
	expect_v1_error("SSH-2.0-OpenSSH_9.2\r\n", PROXY_E_MISSING, "'S'");
}

Test(proxy_v1, need_is_the_shortest_possible_rest)
{
	struct proxy_parser	 pp;

	proxy_init(&pp);
	cr_assert_eq(pp.result, PROXY_NEED_MORE);
	cr_assert_eq(pp.need, 15, "PROXY UNKNOWN\\r\\n is the shortest");
	feed(&pp, "P", 1, 0);
	cr_assert_eq(pp.need, 14);
	feed(&pp, "PROXY T", 7, 0);
	/* "PROXY TCP6 :: :: 0 0\r\n" */
	cr_assert_eq(pp.need, 22 - 7);
	feed(&pp, "PROXY TCP4 ", 11, 0);
	/* "PROXY TCP4 0.0.0.0 0.0.0.0 0 0\r\n" */
	cr_assert_eq(pp.need, 32 - 11);
	feed(&pp, "PROXY TCP4 1.2.3.4 5.6.7.8 1 2\r", 31, 0);
	cr_assert_eq(pp.need, 1);
}

/* --- v2 ------------------------------------------------------------------ */

/* A v2 header: signature, ver_cmd, fam, then body (its length). */
static size_t
v2(uint8_t *out, uint8_t ver_cmd, uint8_t fam, const void *body, size_t n)
{
	memcpy(out, V2SIG, 12);
	out[12] = ver_cmd;
	out[13] = fam;
	out[14] = (uint8_t)(n >> 8);
	out[15] = (uint8_t)n;
	if (n > 0)
		memcpy(out + 16, body, n);
	return 16 + n;
}

static const uint8_t	 inet_block[12] = {
	192, 0, 2, 1, 198, 51, 100, 2, 0xdc, 0x04, 0x01, 0xbb	/* 56324, 443 */
};

static const uint8_t	 inet6_block[36] = {
	0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x07,
	0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x08,
	0x12, 0x67, 0x08, 0xbc		/* 4711, 2236 */
};

Test(proxy_v2, inet_stream_gives_addresses_and_ports)
{
	const struct proxy_header *h;
	uint8_t			 buf[64];
	size_t			 n;

	n = v2(buf, 0x21, 0x11, inet_block, sizeof(inet_block));
	memcpy(buf + n, "load $1 #1\n", 11);
	h = expect_done(buf, n + 11, n);
	cr_assert_eq(n, 28);
	cr_assert_eq(h->version, 2);
	cr_assert_eq(h->kind, PROXY_KIND_PROXY);
	cr_assert_eq(h->family, AF_INET);
	cr_assert_str_eq(h->src, "192.0.2.1");
	cr_assert_str_eq(h->dst, "198.51.100.2");
	cr_assert_eq(h->sport, 56324);
	cr_assert_eq(h->dport, 443);
	cr_assert_eq(h->ntlv, 0);
}

Test(proxy_v2, inet6_stream_gives_addresses_and_ports)
{
	const struct proxy_header *h;
	uint8_t			 buf[64];
	size_t			 n;

	n = v2(buf, 0x21, 0x21, inet6_block, sizeof(inet6_block));
	h = expect_done(buf, n, 52);
	cr_assert_eq(h->family, AF_INET6);
	cr_assert_str_eq(h->src, "2001:db8::7");
	cr_assert_str_eq(h->dst, "2001:db8::8");
	cr_assert_eq(h->sport, 4711);
	cr_assert_eq(h->dport, 2236);
}

Test(proxy_v2, tlvs_are_skipped_and_counted)
{
	uint8_t			 body[128], buf[160];
	const struct proxy_header *h;
	size_t			 o = 0, n;

	memcpy(body, inet_block, 12);
	o = 12;
	/* ALPN "h2", NOOP of 0 bytes, UNIQUE_ID, an SSL TLV with a sub-TLV. */
	memcpy(body + o, "\x01\x00\x02h2", 5);
	o += 5;
	memcpy(body + o, "\x04\x00\x00", 3);
	o += 3;
	memcpy(body + o, "\x05\x00\x04" "abcd", 7);
	o += 7;
	memcpy(body + o, "\x20\x00\x0b\x01\x00\x00\x00\x00\x21\x00\x03" "1.3",
	    14);
	o += 14;
	n = v2(buf, 0x21, 0x11, body, o);
	h = expect_done(buf, n, n);
	cr_assert_eq(h->ntlv, 4);
	cr_assert_str_eq(h->src, "192.0.2.1");
	cr_assert(!h->crc32c);
}

/* CRC-32C of the header with its checksum field zeroed, stored in it. */
static uint32_t
crc32c_ref(const uint8_t *p, size_t n)
{
	uint32_t	 crc = ~0U;
	size_t		 i;
	int		 b;

	for (i = 0; i < n; i++)
		for (crc ^= p[i], b = 0; b < 8; b++)
			crc = crc & 1 ? (crc >> 1) ^ 0x82f63b78U : crc >> 1;
	return ~crc;
}

static size_t
v2_with_crc(uint8_t *buf, bool good)
{
	uint8_t		 body[64];
	uint32_t	 crc;
	size_t		 n;

	memcpy(body, inet_block, 12);
	memcpy(body + 12, "\x03\x00\x04\x00\x00\x00\x00", 7);
	n = v2(buf, 0x21, 0x11, body, 19);
	crc = crc32c_ref(buf, n) ^ (good ? 0 : 1);
	buf[31] = (uint8_t)(crc >> 24);
	buf[32] = (uint8_t)(crc >> 16);
	buf[33] = (uint8_t)(crc >> 8);
	buf[34] = (uint8_t)crc;
	return n;
}

Test(proxy_v2, crc32c_is_checked)
{
	uint8_t		 buf[64];
	size_t		 n;

	/* The check value from RFC 3720's CRC32C definition. */
	cr_assert_eq(crc32c_ref((const uint8_t *)"123456789", 9), 0xe3069283U);
	n = v2_with_crc(buf, true);
	cr_assert(expect_done(buf, n, n)->crc32c);
	n = v2_with_crc(buf, false);
	expect_error(buf, n, PROXY_E_MALFORMED, "CRC32C mismatch");
}

Test(proxy_v2, bad_crc32c_tlvs)
{
	uint8_t		 body[64], buf[96];
	size_t		 n;

	memcpy(body, inet_block, 12);
	memcpy(body + 12, "\x03\x00\x03\x00\x00\x00", 6);
	n = v2(buf, 0x21, 0x11, body, 18);
	expect_error(buf, n, PROXY_E_MALFORMED, "CRC32C TLV of 3 bytes, not 4");
	memcpy(body + 12, "\x03\x00\x04\x00\x00\x00\x00\x03\x00\x04\x00\x00"
	    "\x00\x00", 14);
	n = v2(buf, 0x21, 0x11, body, 26);
	expect_error(buf, n, PROXY_E_MALFORMED, "CRC32C");
}

Test(proxy_v2, local_is_a_health_check_whatever_it_carries)
{
	const struct proxy_header *h;
	uint8_t			 buf[64];
	size_t			 n;

	n = v2(buf, 0x20, 0x00, NULL, 0);
	h = expect_done(buf, n, 16);
	cr_assert_eq(h->kind, PROXY_KIND_LOCAL);
	cr_assert_eq(h->family, AF_UNSPEC);
	cr_assert_str_eq(h->src, "");
	/* The spec: skip the length given, even for LOCAL. */
	n = v2(buf, 0x20, 0x11, inet_block, sizeof(inet_block));
	h = expect_done(buf, n, 28);
	cr_assert_eq(h->kind, PROXY_KIND_LOCAL);
	cr_assert_str_eq(h->src, "");
}

Test(proxy_v2, unspec_unix_and_udp_keep_the_connection_address)
{
	const struct proxy_header *h;
	uint8_t			 unix_block[216 + 5], buf[300];
	size_t			 n;

	n = v2(buf, 0x21, 0x00, NULL, 0);
	h = expect_done(buf, n, 16);
	cr_assert_eq(h->kind, PROXY_KIND_UNKNOWN);
	/* UNSPEC: whatever follows is ignored, not read as TLVs. */
	n = v2(buf, 0x21, 0x00, "\xff\xff", 2);
	cr_assert_eq(expect_done(buf, n, 18)->kind, PROXY_KIND_UNKNOWN);
	memset(unix_block, 'u', 216);
	memcpy(unix_block + 216, "\x04\x00\x02xx", 5);
	n = v2(buf, 0x21, 0x31, unix_block, sizeof(unix_block));
	h = expect_done(buf, n, 16 + 221);
	cr_assert_eq(h->kind, PROXY_KIND_UNKNOWN);
	cr_assert_eq(h->ntlv, 1);
	n = v2(buf, 0x21, 0x12, inet_block, sizeof(inet_block));
	h = expect_done(buf, n, 28);
	cr_assert_eq(h->kind, PROXY_KIND_UNKNOWN);
	cr_assert_eq(h->family, AF_UNSPEC);
	cr_assert_str_eq(h->src, "");
	n = v2(buf, 0x21, 0x10, NULL, 0);
	cr_assert_eq(expect_done(buf, n, 16)->kind, PROXY_KIND_UNKNOWN);
}

Test(proxy_v2, bad_signature_is_no_header)
{
	uint8_t		 buf[64];
	size_t		 n;

	n = v2(buf, 0x21, 0x11, inet_block, sizeof(inet_block));
	buf[4] = 'X';
	expect_error(buf, n, PROXY_E_MISSING,
	    "byte 4 is 'X', which neither the v1 nor the v2 signature");
	n = v2(buf, 0x21, 0x11, inet_block, sizeof(inet_block));
	buf[11] = '\r';
	expect_error(buf, n, PROXY_E_MISSING, "byte 11 is 0x0d");
	/* Telnet's empty lines look like the start of it, then do not. */
	expect_error("\r\n\r\nhello", 9, PROXY_E_MISSING, "byte 4 is 'h'");
}

Test(proxy_v2, bad_version_command_family_protocol)
{
	uint8_t		 buf[64];
	size_t		 n;

	n = v2(buf, 0x11, 0x11, inet_block, sizeof(inet_block));
	expect_error(buf, n, PROXY_E_MALFORMED, "v2: version 1");
	n = v2(buf, 0x31, 0x11, inet_block, sizeof(inet_block));
	expect_error(buf, n, PROXY_E_MALFORMED, "v2: version 3");
	n = v2(buf, 0x22, 0x11, inet_block, sizeof(inet_block));
	expect_error(buf, n, PROXY_E_MALFORMED, "v2: command 0x2");
	n = v2(buf, 0x2f, 0x11, inet_block, sizeof(inet_block));
	expect_error(buf, n, PROXY_E_MALFORMED, "command 0xf");
	n = v2(buf, 0x21, 0x41, inet_block, sizeof(inet_block));
	expect_error(buf, n, PROXY_E_MALFORMED, "v2: address family 0x4");
	n = v2(buf, 0x21, 0x13, inet_block, sizeof(inet_block));
	expect_error(buf, n, PROXY_E_MALFORMED, "transport protocol 0x3");
	/* Known at its byte: nothing after it is waited for. */
	expect_error(buf, 14, PROXY_E_MALFORMED, "transport protocol 0x3");
}

Test(proxy_v2, length_past_the_bound_is_oversized)
{
	uint8_t		 body[PROXY_V2_MAX], buf[PROXY_V2_MAX + 64];
	size_t		 n, room = PROXY_V2_MAX - 16 - 12;

	/* Exactly the bound: a NOOP TLV fills it. */
	memcpy(body, inet_block, 12);
	body[12] = 0x04;
	body[13] = (uint8_t)((room - 3) >> 8);
	body[14] = (uint8_t)(room - 3);
	memset(body + 15, 0, room - 3);
	n = v2(buf, 0x21, 0x11, body, 12 + room);
	cr_assert_eq(n, PROXY_V2_MAX);
	expect_done(buf, n, PROXY_V2_MAX);
	/* One more byte: refused at byte 16, before the body is waited for. */
	buf[15]++;
	expect_error(buf, 16, PROXY_E_OVERSIZED, "v2: length 521 passes the "
	    "limit of 520 bytes");
	buf[14] = 0xff;
	buf[15] = 0xff;
	expect_error(buf, 16, PROXY_E_OVERSIZED, "length 65535");
}

Test(proxy_v2, length_short_of_the_address_block)
{
	uint8_t		 buf[64];
	size_t		 n;

	n = v2(buf, 0x21, 0x11, inet_block, 8);
	expect_error(buf, n, PROXY_E_MALFORMED, "v2: length 8 is shorter than "
	    "an IPv4 address block (12 bytes)");
	n = v2(buf, 0x21, 0x21, inet6_block, 12);
	expect_error(buf, n, PROXY_E_MALFORMED, "IPv6 address block (36");
	n = v2(buf, 0x21, 0x31, inet6_block, 36);
	expect_error(buf, n, PROXY_E_MALFORMED, "UNIX address block (216");
}

Test(proxy_v2, truncated_header_asks_for_exactly_the_rest)
{
	struct proxy_parser	 pp;
	uint8_t			 buf[64];
	size_t			 n;

	n = v2(buf, 0x21, 0x11, inet_block, sizeof(inet_block));
	feed(&pp, buf, 1, 0);
	cr_assert_eq(pp.need, 15);
	feed(&pp, buf, 12, 0);
	cr_assert_eq(pp.need, 4);
	feed(&pp, buf, 16, 0);
	cr_assert_eq(pp.need, 12);
	feed(&pp, buf, 20, 0);
	cr_assert_eq(pp.result, PROXY_NEED_MORE);
	cr_assert_eq(pp.need, n - 20);
}

Test(proxy_v2, tlvs_must_tile_the_header)
{
	uint8_t		 body[64], buf[96];
	size_t		 n;

	memcpy(body, inet_block, 12);
	/* A TLV claiming 10 bytes with 5 left. */
	memcpy(body + 12, "\x01\x00\x0a" "abcde", 8);
	n = v2(buf, 0x21, 0x11, body, 20);
	expect_error(buf, n, PROXY_E_MALFORMED, "v2: TLV type 0x01 at offset "
	    "28: its 10 bytes run past the header");
	/* Two stray bytes after the addresses. */
	memcpy(body + 12, "\x01\x00", 2);
	n = v2(buf, 0x21, 0x11, body, 14);
	expect_error(buf, n, PROXY_E_MALFORMED, "v2: 2 stray bytes at offset "
	    "28");
}

/* --- the interface ------------------------------------------------------- */

Test(proxy_api, done_and_error_take_nothing_more)
{
	struct proxy_parser	 pp;
	size_t			 used = 99;

	proxy_init(&pp);
	cr_assert_eq(proxy_feed(&pp, "PROXY UNKNOWN\r\nabc", 18, &used),
	    PROXY_DONE);
	cr_assert_eq(used, 15);
	cr_assert_eq(proxy_feed(&pp, "more", 4, &used), PROXY_DONE);
	cr_assert_eq(used, 0);
	proxy_init(&pp);
	cr_assert_eq(proxy_feed(&pp, "nope", 4, &used), PROXY_ERROR);
	cr_assert_eq(used, 1, "the first byte decided it");
	cr_assert_eq(proxy_feed(&pp, "PROXY UNKNOWN\r\n", 15, &used),
	    PROXY_ERROR);
	cr_assert_eq(used, 0);
	cr_assert_eq(proxy_feed(&pp, NULL, 0, NULL), PROXY_ERROR);
}

Test(proxy_api, error_names)
{
	cr_assert_str_eq(proxy_error_name(PROXY_E_NONE), "none");
	cr_assert_str_eq(proxy_error_name(PROXY_E_MISSING), "missing");
	cr_assert_str_eq(proxy_error_name(PROXY_E_MALFORMED), "malformed");
	cr_assert_str_eq(proxy_error_name(PROXY_E_OVERSIZED), "oversized");
}
