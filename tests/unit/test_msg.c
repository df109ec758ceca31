/*
 * test_msg.c: the supervisor <-> worker protocol (msg.h) against its
 * specification there: every message type round-trips through a real
 * SOCK_SEQPACKET socketpair with the fds the table asks for; every way of
 * breaking a message is refused with a precise error; no fd that a hostile
 * peer attaches survives in the receiver.
 *
 * The expectations (ranges, lengths, enumerations, error strings) are
 * written out here again on purpose and not read from proto/msgtab.c, so
 * a wrong table fails these tests instead of agreeing with them. Only the
 * X-macro lists of msg.h (types, limits, counters) are shared: they are
 * the spec.
 */
#include <criterion/criterion.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include <bsd/string.h>
#include <jansson.h>

#include "buf.h"
#include "msg.h"

#include "msg_fixtures.h"

/* --- round trips ------------------------------------------------------- */

/*
 * Send a sample of t with msg_send() from one end, receive it with
 * msg_recv() at the other as from would send it, compare. When t carries
 * an fd, pass a pipe's read end and check that the received copy works
 * and is close-on-exec.
 */
static void
roundtrip_as(enum msg_type t, int variant, enum msg_dir from)
{
	struct msg	 in, out;
	int		 sv[2], p[2] = { -1, -1 }, before, fdno, rv;
	char		 err[ERRLEN], ch = 0;

	sample(t, variant, &in);
	chan(sv, 0);
	before = open_fds();
	if (tinfo[t].fd == MSG_FD_REQUIRED)
		cr_assert_eq(pipe2(p, O_CLOEXEC), 0);
	cr_assert_eq(msg_send(sv[0], t, &in.u, p[0], MSG_DONTWAIT, err,
	    sizeof(err)), 0, "msg_send %s: %s", tinfo[t].name, err);
	if (p[0] != -1)
		close(p[0]);	/* only the copy in flight is left */
	rv = msg_recv(sv[1], from, ok_state(t), &out, err, sizeof(err));
	cr_assert_eq(rv, 1, "msg_recv %s: %d %s", tinfo[t].name, rv, err);
	cr_assert_eq(out.type, t);
	cr_assert_not_null(out.json);
	assert_body_eq(t, &in, &out);
	if (tinfo[t].fd == MSG_FD_REQUIRED) {
		cr_assert_geq(out.fd, 0);
		cr_assert_eq(fcntl(out.fd, F_GETFD) & FD_CLOEXEC, FD_CLOEXEC,
		    "received fd without FD_CLOEXEC");
		cr_assert_eq(write(p[1], "x", 1), 1);
		cr_assert_eq(read(out.fd, &ch, 1), 1, "received fd unusable");
		cr_assert_eq(ch, 'x');
		close(p[1]);
	} else
		cr_assert_eq(out.fd, -1);
	fdno = out.fd;
	msg_clear(&out);
	cr_assert_eq(out.fd, -1);
	cr_assert_null(out.json);
	if (fdno >= 0)
		assert_closed(fdno);
	msg_clear(&out);	/* twice is harmless */
	cr_assert_eq(open_fds(), before, "fds leaked");
	close2(sv);
}

static void
roundtrip(enum msg_type t, int variant)
{
	roundtrip_as(t, variant, sender(t));
	if (tinfo[t].from == MSG_FROM_EITHER)
		roundtrip_as(t, variant, MSG_FROM_WORKER);
}

#define RT_TEST(N, n, dir, st, fdk)					\
	Test(roundtrip, n) { roundtrip(MSG_##N, 0); }
MSG_TYPES(RT_TEST)
#undef RT_TEST

Test(roundtrip, session_with_quota)
{
	roundtrip(MSG_SESSION, 1);
}

Test(roundtrip, hello_ssh_with_hostkey)
{
	roundtrip(MSG_HELLO, 1);
}

Test(roundtrip, auth_reply_refused_without_limits)
{
	struct msg	 m;
	struct buf	 b;
	char		 err[ERRLEN];

	roundtrip(MSG_AUTH_REPLY, 1);
	/* absent on the wire, zero in C */
	sample(MSG_AUTH_REPLY, 1, &m);
	buf_init(&b, 0);
	cr_assert_eq(msg_encode(&b, MSG_AUTH_REPLY, &m.u, err, sizeof(err)),
	    0, "%s", err);
	cr_assert_str_eq(b.data,
	    "{\"type\":\"auth_reply\",\"v\":1,\"ok\":false,\"tenant\":\"\"}");
	buf_free(&b);
}

/* Every value of every enumerated string travels. */
Test(roundtrip, every_enumerated_value)
{
	static const char *const reasons[] = { "quit", "hangup", "idle",
	    "lifetime", "shutdown", "cpu", "output", "error", "auth", "proxy",
	    "refused" };
	struct msg	 m, out;
	struct buf	 b;
	size_t		 i;
	char		 err[ERRLEN];

	buf_init(&b, 0);
	for (i = 0; i < sizeof(reasons) / sizeof(reasons[0]); i++) {
		sample(MSG_SESSION_END, 0, &m);
		strlcpy(m.u.session_end.reason, reasons[i], 32);
		cr_assert_eq(msg_encode(&b, MSG_SESSION_END, &m.u, err,
		    sizeof(err)), 0, "%s", err);
		cr_assert_eq(msg_decode(b.data, b.len, 0, MSG_FROM_WORKER,
		    WS_BUSY, &out, err, sizeof(err)), 0, "%s", err);
		cr_assert_str_eq(out.u.session_end.reason, reasons[i]);
		msg_clear(&out);
	}
	sample(MSG_STATUS, 0, &m);
	strlcpy(m.u.status.state, "idle", 8);
	cr_assert_eq(msg_encode(&b, MSG_STATUS, &m.u, err, sizeof(err)), 0);
	cr_assert_eq(msg_decode(b.data, b.len, 0, MSG_FROM_WORKER, WS_IDLE,
	    &out, err, sizeof(err)), 0, "%s", err);
	cr_assert_str_eq(out.u.status.state, "idle");
	msg_clear(&out);
	sample(MSG_SESSION, 0, &m);
	strlcpy(m.u.session.transport, "ssh", 8);
	cr_assert_eq(msg_encode(&b, MSG_SESSION, &m.u, err, sizeof(err)), 0);
	cr_assert_eq(msg_decode(b.data, b.len, 1, MSG_FROM_SUPERVISOR,
	    WS_IDLE, &out, err, sizeof(err)), 0, "%s", err);
	cr_assert_str_eq(out.u.session.transport, "ssh");
	msg_clear(&out);
	buf_free(&b);
}

/* --- encoding ---------------------------------------------------------- */

Test(encode, compact_bytes_in_table_order)
{
	struct msg	 m;

	sample(MSG_PING, 0, &m);
	m.u.ping.seq = 42;
	encode_ok(MSG_PING, &m, "{\"type\":\"ping\",\"v\":1,\"seq\":42}");
	sample(MSG_AUTH_QUERY, 0, &m);
	m.u.auth_query.key = "AAAA";
	encode_ok(MSG_AUTH_QUERY, &m, "{\"type\":\"auth_query\",\"v\":1,"
	    "\"user\":\"alice\",\"method\":\"publickey\",\"keytype\":"
	    "\"ssh-ed25519\",\"key\":\"AAAA\",\"signed\":true,\"sigalg\":"
	    "\"ssh-ed25519\"}");
	sample(MSG_STATUS, 0, &m);
	encode_ok(MSG_STATUS, &m, "{\"type\":\"status\",\"v\":1,\"state\":"
	    "\"busy\",\"counters\":{\"instructions\":9007199254740992,"
	    "\"heap_bytes\":4096,\"program_bytes\":312,\"bytes_in\":77,"
	    "\"bytes_out\":1234567,\"idle_seconds\":0,\"commands\":9,"
	    "\"cpu_ms\":15,\"duration_ms\":60001}}");
	sample(MSG_HELLO, 0, &m);	/* line: no hostkey key at all */
	m.u.hello.limits.budget = 1;
	encode_ok(MSG_HELLO, &m, "{\"type\":\"hello\",\"v\":1,\"build\":"
	    "\"iridium 0.1.0 (g1234abc)\",\"transport\":\"line\",\"listener\":"
	    "\"local\",\"uid\":998,\"gid\":997,\"chroot\":\"/run/iridium/empty\","
	    "\"limits\":{\"budget\":1,\"heap\":1048576,\"stack\":65536,\"cpu\":60,"
	    "\"output_rate\":1048576,\"output_max\":67108864,\"idle\":600,"
	    "\"idle_warn\":60,\"lifetime\":14400,\"lifetime_warn\":300,"
	    "\"line_max\":4096,\"line_timeout\":60,\"outbuf_max\":262144,"
	    "\"login_grace\":30},"
	    "\"log_level\":6,"
	    "\"sandbox_debug\":false,\"record_fsize\":1056768}");
}

Test(encode, replaces_what_the_buffer_held)
{
	struct msg	 m;
	struct buf	 b;
	char		 err[ERRLEN];

	sample(MSG_PING, 0, &m);
	buf_init(&b, 0);
	buf_puts(&b, "stale bytes");
	cr_assert_eq(msg_encode(&b, MSG_PING, &m.u, err, sizeof(err)), 0);
	cr_assert_str_eq(b.data, "{\"type\":\"ping\",\"v\":1,\"seq\":0}");
	buf_free(&b);
}

static void
encode_bad(enum msg_type t, const struct msg *m, const char *want)
{
	struct buf	 b;
	char		 err[ERRLEN];

	buf_init(&b, 0);
	buf_puts(&b, "stale");
	cr_assert_eq(msg_encode(&b, t, &m->u, err, sizeof(err)), -1,
	    "encoded an invalid body: %s", b.data);
	cr_assert_str_eq(err, want);
	cr_assert_eq(b.len, 0, "output left behind");
	buf_free(&b);
}

Test(encode, refuses_invalid_bodies)
{
	struct msg	 m;

	sample(MSG_SESSION, 0, &m);
	m.u.session.id = 0;
	encode_bad(MSG_SESSION, &m, "session: field \"id\": 0 out of range "
	    "(1..9007199254740992)");
	sample(MSG_PEER, 0, &m);
	memset(m.u.peer.addr, 'a', sizeof(m.u.peer.addr));
	encode_bad(MSG_PEER, &m, "peer: field \"addr\": not NUL-terminated");
	sample(MSG_PEER, 0, &m);
	m.u.peer.addr[0] = '\0';
	encode_bad(MSG_PEER, &m, "peer: field \"addr\": empty");
	sample(MSG_STATUS, 0, &m);
	strlcpy(m.u.status.state, "gone", 8);
	encode_bad(MSG_STATUS, &m, "status: field \"state\": \"gone\" is not "
	    "one of: idle, busy");
	sample(MSG_HELLO, 0, &m);
	m.u.hello.limits.heap = 0;
	encode_bad(MSG_HELLO, &m, "hello: field \"limits.heap\": 0 out of "
	    "range (64..268435456)");
	sample(MSG_STATUS, 0, &m);
	m.u.status.counters.bytes_in = UINT64_MAX;
	encode_bad(MSG_STATUS, &m, "status: field \"counters.bytes_in\": "
	    "18446744073709551615 out of range (0..9007199254740992)");
	sample(MSG_STATUS, 0, &m);
	m.u.status.counters.bytes_in = (uint64_t)TWO53 + 1;
	encode_bad(MSG_STATUS, &m, "status: field \"counters.bytes_in\": "
	    "9007199254740993 out of range (0..9007199254740992)");
	sample(MSG_LOG, 0, &m);
	strlcpy(m.u.log.msg, "bad \xff byte", sizeof(m.u.log.msg));
	encode_bad(MSG_LOG, &m, "log: field \"msg\": not valid UTF-8");
	sample(MSG_AUTH_QUERY, 0, &m);
	m.u.auth_query.key = NULL;
	encode_bad(MSG_AUTH_QUERY, &m, "auth_query: field \"key\": NULL");
	sample(MSG_READY, 0, &m);
	m.u.ready.pid = 0;
	encode_bad(MSG_READY, &m, "ready: field \"pid\": 0 out of range "
	    "(1..4194304)");
}

Test(encode, keys_and_size_bounds)
{
	struct msg	 m;
	char		*big;

	big = malloc(MSG_KEY_MAX + 2);
	memset(big, 'A', MSG_KEY_MAX + 1);
	big[MSG_KEY_MAX + 1] = '\0';
	sample(MSG_AUTH_QUERY, 0, &m);
	m.u.auth_query.key = big;
	encode_bad(MSG_AUTH_QUERY, &m, "auth_query: field \"key\": too long "
	    "(16385 bytes, max 16384)");
	big[MSG_KEY_MAX] = '\0';
	{
		struct buf	 b;
		char		 err[ERRLEN];

		buf_init(&b, 0);
		cr_assert_eq(msg_encode(&b, MSG_AUTH_QUERY, &m.u, err,
		    sizeof(err)), 0, "%s", err);
		buf_free(&b);
	}
	/* 16384 control bytes escape to 6 each: past MSG_MAX */
	memset(big, '\x01', MSG_KEY_MAX);
	sample(MSG_HELLO, 1, &m);
	m.u.hello.hostkey = big;
	encode_bad(MSG_HELLO, &m, "hello: encoded message longer than 65536 "
	    "bytes");
	free(big);
}

Test(encode, respects_the_buffer_limit)
{
	struct msg	 m;
	struct buf	 b;
	char		 err[ERRLEN];

	sample(MSG_LOG, 0, &m);
	buf_init(&b, 16);
	cr_assert_eq(msg_encode(&b, MSG_LOG, &m.u, err, sizeof(err)), -1);
	cr_assert_str_eq(err, "log: encoded message longer than the buffer's "
	    "limit (16 bytes)");
	cr_assert_eq(b.len, 0);
	buf_free(&b);
}

Test(encode, cross_field_rules)
{
	struct msg	 m;

	sample(MSG_HELLO, 0, &m);
	m.u.hello.hostkey = hostkey;
	encode_bad(MSG_HELLO, &m, "hello: field \"hostkey\": not allowed for "
	    "transport line");
	sample(MSG_HELLO, 1, &m);
	m.u.hello.hostkey = NULL;
	encode_bad(MSG_HELLO, &m, "hello: missing field \"hostkey\" "
	    "(transport ssh)");
	sample(MSG_HELLO, 1, &m);
	m.u.hello.hostkey = "";
	encode_bad(MSG_HELLO, &m, "hello: field \"hostkey\": empty");
	sample(MSG_HELLO, 1, &m);
	m.u.hello.macs = NULL;
	encode_bad(MSG_HELLO, &m, "hello: missing field \"macs\" "
	    "(transport ssh)");
	sample(MSG_HELLO, 0, &m);
	m.u.hello.kex = "curve25519-sha256";
	encode_bad(MSG_HELLO, &m, "hello: field \"kex\": not allowed for "
	    "transport line");
	sample(MSG_HELLO, 1, &m);
	m.u.hello.ciphers = "aes128-ctr,aes128-cbc";
	encode_bad(MSG_HELLO, &m, "hello: field \"ciphers\": not a list of "
	    "distinct cipher names");
	sample(MSG_HELLO, 1, &m);
	m.u.hello.kex = "curve25519-sha256,curve25519-sha256";
	encode_bad(MSG_HELLO, &m, "hello: field \"kex\": not a list of "
	    "distinct key exchange names");
	sample(MSG_HELLO, 1, &m);
	m.u.hello.hostkey_algorithms = "ssh-ed25519,";
	encode_bad(MSG_HELLO, &m, "hello: field \"hostkey_algorithms\": not "
	    "a list of distinct host key algorithm names");
	sample(MSG_NEGOTIATED, 0, &m);
	strlcpy(m.u.negotiated.client, "SSH-2.0-evil\033[2J", 256);
	encode_bad(MSG_NEGOTIATED, &m, "negotiated: field \"client\": not "
	    "printable ASCII");
	strlcpy(m.u.negotiated.client, "GET / HTTP/1.0", 256);
	encode_bad(MSG_NEGOTIATED, &m, "negotiated: field \"client\": not an "
	    "SSH version line");
	sample(MSG_NEGOTIATED, 0, &m);
	strlcpy(m.u.negotiated.cipher, "aes256-gcm@openssh.com", 41);
	encode_bad(MSG_NEGOTIATED, &m, "negotiated: field \"mac\": set for "
	    "the AEAD cipher aes256-gcm@openssh.com");
	m.u.negotiated.mac[0] = '\0';
	encode_ok(MSG_NEGOTIATED, &m, "{\"type\":\"negotiated\",\"v\":1,"
	    "\"kex\":\"curve25519-sha256\",\"cipher\":"
	    "\"aes256-gcm@openssh.com\",\"mac\":\"\",\"client\":"
	    "\"SSH-2.0-paramiko_2.12.0\"}");
	strlcpy(m.u.negotiated.cipher, "aes128-ctr", 41);
	encode_bad(MSG_NEGOTIATED, &m, "negotiated: field \"mac\": empty for "
	    "the cipher aes128-ctr");
	strlcpy(m.u.negotiated.mac, "hmac-sha1", 41);
	encode_bad(MSG_NEGOTIATED, &m, "negotiated: field \"mac\": "
	    "\"hmac-sha1\" is not one of: , hmac-sha2-256-etm@openssh.com, "
	    "hmac-sha2-512-etm@openssh.com, hmac-sha2-256, hmac-sha2-512");
	sample(MSG_NEGOTIATED, 0, &m);
	strlcpy(m.u.negotiated.kex, "diffie-hellman-group1-sha1", 41);
	encode_bad(MSG_NEGOTIATED, &m, "negotiated: field \"kex\": "
	    "\"diffie-hellman-group1-sha1\" is not one of: curve25519-sha256, "
	    "curve25519-sha256@libssh.org, diffie-hellman-group16-sha512, "
	    "diffie-hellman-group18-sha512, diffie-hellman-group14-sha256");
	sample(MSG_AUTH_QUERY, 0, &m);
	m.u.auth_query.keytype[0] = '\0';
	encode_bad(MSG_AUTH_QUERY, &m, "auth_query: field \"keytype\": empty "
	    "for publickey");
	sample(MSG_AUTH_QUERY, 0, &m);
	strlcpy(m.u.auth_query.method, "password", 24);
	encode_bad(MSG_AUTH_QUERY, &m, "auth_query: field \"keytype\": not "
	    "allowed for password");
	m.u.auth_query.keytype[0] = '\0';
	encode_bad(MSG_AUTH_QUERY, &m, "auth_query: field \"key\": not "
	    "allowed for password");
	m.u.auth_query.key = "";
	encode_bad(MSG_AUTH_QUERY, &m, "auth_query: field \"signed\": true "
	    "for password");
	m.u.auth_query.signed_ = false;
	encode_bad(MSG_AUTH_QUERY, &m, "auth_query: field \"sigalg\": "
	    "without a signature");
	memset(m.u.auth_query.sigalg, 0, sizeof(m.u.auth_query.sigalg));
	encode_ok(MSG_AUTH_QUERY, &m, "{\"type\":\"auth_query\",\"v\":1,"
	    "\"user\":\"alice\",\"method\":\"password\",\"keytype\":\"\","
	    "\"key\":\"\",\"signed\":false}");
	/* Certificates: a type the worker takes, signed as its key signs. */
	sample(MSG_AUTH_QUERY, 0, &m);
	strlcpy(m.u.auth_query.keytype, "ssh-ed25519-cert-v01@openssh.com",
	    48);
	m.u.auth_query.key = "AAAA";
	encode_ok(MSG_AUTH_QUERY, &m, "{\"type\":\"auth_query\",\"v\":1,"
	    "\"user\":\"alice\",\"method\":\"publickey\",\"keytype\":"
	    "\"ssh-ed25519-cert-v01@openssh.com\",\"key\":\"AAAA\","
	    "\"signed\":true,\"sigalg\":\"ssh-ed25519\"}");
	strlcpy(m.u.auth_query.sigalg, "rsa-sha2-512", 40);
	encode_bad(MSG_AUTH_QUERY, &m, "auth_query: field \"sigalg\": "
	    "rsa-sha2-512 does not sign for ssh-ed25519-cert-v01@openssh.com");
	strlcpy(m.u.auth_query.keytype, "ssh-rsa-cert-v01@openssh.com", 48);
	encode_ok(MSG_AUTH_QUERY, &m, "{\"type\":\"auth_query\",\"v\":1,"
	    "\"user\":\"alice\",\"method\":\"publickey\",\"keytype\":"
	    "\"ssh-rsa-cert-v01@openssh.com\",\"key\":\"AAAA\","
	    "\"signed\":true,\"sigalg\":\"rsa-sha2-512\"}");
	strlcpy(m.u.auth_query.keytype, "sk-ssh-ed25519-cert-v01@openssh.com",
	    48);
	encode_bad(MSG_AUTH_QUERY, &m, "auth_query: field \"keytype\": a "
	    "certificate type not taken: sk-ssh-ed25519-cert-v01@openssh.com");
	sample(MSG_AUTH_REPLY, 0, &m);
	m.u.auth_reply.ok = false;
	memset(&m.u.auth_reply.limits, 0, sizeof(m.u.auth_reply.limits));
	m.u.auth_reply.tenant[0] = '\0';
	m.u.auth_reply.resume_window = 0;
	memset(m.u.auth_reply.detached, 0, sizeof(m.u.auth_reply.detached));
	m.u.auth_reply.no_pty = true;
	encode_bad(MSG_AUTH_REPLY, &m, "auth_reply: command and no_pty come "
	    "with ok only");
	sample(MSG_AUTH_QUERY, 0, &m);
	strlcpy(m.u.auth_query.method, "telepathy", 24);
	encode_bad(MSG_AUTH_QUERY, &m, "auth_query: field \"method\": "
	    "\"telepathy\" is not one of: publickey, password, "
	    "keyboard-interactive, hostbased, gssapi-with-mic, unknown");
	sample(MSG_AUTH_QUERY, 0, &m);
	strlcpy(m.u.auth_query.sigalg, "ssh-dss", 40);
	encode_bad(MSG_AUTH_QUERY, &m, "auth_query: field \"sigalg\": "
	    "\"ssh-dss\" is not one of: ssh-ed25519, "
	    "sk-ssh-ed25519@openssh.com, ecdsa-sha2-nistp256, "
	    "ecdsa-sha2-nistp384, ecdsa-sha2-nistp521, "
	    "sk-ecdsa-sha2-nistp256@openssh.com, rsa-sha2-256, rsa-sha2-512, "
	    "ssh-rsa");
	sample(MSG_AUTH_REPLY, 0, &m);
	memset(&m.u.auth_reply.limits, 0, sizeof(m.u.auth_reply.limits));
	encode_bad(MSG_AUTH_REPLY, &m, "auth_reply: missing field \"limits\" "
	    "(ok is true)");
	sample(MSG_AUTH_REPLY, 0, &m);
	strlcpy(m.u.auth_reply.message, "Too many sessions", 32);
	encode_bad(MSG_AUTH_REPLY, &m, "auth_reply: field \"message\": not "
	    "allowed when ok is true");
	sample(MSG_AUTH_REPLY, 1, &m);
	strlcpy(m.u.auth_reply.message, "Too many sessions for tenant acme "
	    "(at most 2). Please try again later.", 128);
	encode_ok(MSG_AUTH_REPLY, &m, "{\"type\":\"auth_reply\",\"v\":1,"
	    "\"ok\":false,\"tenant\":\"\",\"message\":\"Too many sessions for "
	    "tenant acme (at most 2). Please try again later.\"}");
	sample(MSG_AUTH_REPLY, 1, &m);
	msg_limits_default(&m.u.auth_reply.limits);
	encode_bad(MSG_AUTH_REPLY, &m, "auth_reply: field \"limits\": not "
	    "allowed when ok is false");
	sample(MSG_AUTH_REPLY, 0, &m);
	m.u.auth_reply.tenant[0] = '\0';
	encode_bad(MSG_AUTH_REPLY, &m, "auth_reply: field \"tenant\": empty "
	    "when ok is true");
}

Test(encode, unknown_type_and_null_body)
{
	struct msg	 m;
	struct buf	 b;
	char		 err[ERRLEN];

	sample(MSG_PING, 0, &m);
	buf_init(&b, 0);
	cr_assert_eq(msg_encode(&b, (enum msg_type)99, &m.u, err,
	    sizeof(err)), -1);
	cr_assert_str_eq(err, "message: unknown type 99");
	cr_assert_eq(msg_encode(&b, MSG_NTYPES, &m.u, err, sizeof(err)), -1);
	cr_assert_eq(msg_encode(&b, MSG_PING, NULL, err, sizeof(err)), -1);
	cr_assert_str_eq(err, "ping: no body");
	/* no room for an error is no crash */
	cr_assert_eq(msg_encode(&b, MSG_PING, NULL, NULL, 0), -1);
	buf_free(&b);
}

/* --- decoding: the envelope -------------------------------------------- */

/* Decode text as t's sender would send it, in a state t is allowed in. */
static int
decode_as(enum msg_type t, const char *text, struct msg *m, char *err)
{
	return msg_decode(text, strlen(text),
	    tinfo[t].fd == MSG_FD_REQUIRED ? 1 : 0, sender(t), ok_state(t), m,
	    err, ERRLEN);
}

static void
reject(enum msg_type t, const char *text, const char *want)
{
	struct msg	 m;
	char		 err[ERRLEN];

	cr_assert_eq(decode_as(t, text, &m, err), -1, "accepted: %s", text);
	cr_assert_str_eq(err, want, "input: %s", text);
	cr_assert_null(m.json);
	cr_assert_eq(m.fd, -1);
	msg_clear(&m);
}

static void
reject_prefix(enum msg_type t, const char *text, const char *want)
{
	struct msg	 m;
	char		 err[ERRLEN];

	cr_assert_eq(decode_as(t, text, &m, err), -1, "accepted: %s", text);
	cr_assert(strncmp(err, want, strlen(want)) == 0,
	    "input %s: error \"%s\" does not start \"%s\"", text, err, want);
}

static void
accept_text(enum msg_type t, const char *text)
{
	struct msg	 m;
	char		 err[ERRLEN];

	cr_assert_eq(decode_as(t, text, &m, err), 0, "%s: %s", text, err);
	cr_assert_eq(m.type, t);
	msg_clear(&m);
}

Test(envelope, valid_minimal_ping)
{
	accept_text(MSG_PING, "{\"type\":\"ping\",\"v\":1,\"seq\":5}");
	accept_text(MSG_PING, " {\"seq\":5, \"v\":1, \"type\":\"ping\"}\n\t ");
}

Test(envelope, not_json)
{
	reject_prefix(MSG_PING, "hello", "message: invalid JSON at byte ");
	reject_prefix(MSG_PING, "", "message: invalid JSON at byte 0: ");
	reject_prefix(MSG_PING, "{\"type\":\"ping\",\"v\":1,\"seq\":",
	    "message: invalid JSON at byte ");
	reject_prefix(MSG_PING, "\"ping\"", "message: invalid JSON");
	reject_prefix(MSG_PING, "{\"type\":\"ping\",\"v\":1,\"seq\":\"\xff\"}",
	    "message: invalid JSON");
}

Test(envelope, not_an_object)
{
	reject(MSG_PING, "[1,2]", "message: not a JSON object");
	reject(MSG_PING, "[{\"type\":\"ping\",\"v\":1,\"seq\":1}]",
	    "message: not a JSON object");
}

Test(envelope, type)
{
	reject(MSG_PING, "{\"v\":1,\"seq\":1}", "message: missing field "
	    "\"type\"");
	reject(MSG_PING, "{\"type\":7,\"v\":1,\"seq\":1}",
	    "message: field \"type\": not a string");
	reject(MSG_PING, "{\"type\":\"pingg\",\"v\":1,\"seq\":1}",
	    "message: unknown type \"pingg\"");
	reject(MSG_PING, "{\"type\":\"PING\",\"v\":1,\"seq\":1}",
	    "message: unknown type \"PING\"");
	reject(MSG_PING, "{\"type\":\"\",\"v\":1,\"seq\":1}",
	    "message: unknown type \"\"");
	/* a NUL must not cut the name short to a known one */
	reject(MSG_PING, "{\"type\":\"ping\\u0000x\",\"v\":1,\"seq\":1}",
	    "message: unknown type \"ping\\x00x\"");
}

Test(envelope, version)
{
	reject(MSG_PING, "{\"type\":\"ping\",\"seq\":1}",
	    "ping: missing field \"v\"");
	reject(MSG_PING, "{\"type\":\"ping\",\"v\":2,\"seq\":1}",
	    "ping: field \"v\": version 2, expected 1");
	reject(MSG_PING, "{\"type\":\"ping\",\"v\":0,\"seq\":1}",
	    "ping: field \"v\": version 0, expected 1");
	reject(MSG_PING, "{\"type\":\"ping\",\"v\":\"1\",\"seq\":1}",
	    "ping: field \"v\": not an integer");
	reject(MSG_PING, "{\"type\":\"ping\",\"v\":1.0,\"seq\":1}",
	    "ping: field \"v\": not an integer");
}

Test(envelope, duplicate_keys)
{
	reject_prefix(MSG_PING, "{\"type\":\"ping\",\"v\":1,\"seq\":1,"
	    "\"seq\":2}", "message: invalid JSON at byte 34: duplicate object "
	    "key");
	reject_prefix(MSG_PING, "{\"type\":\"ping\",\"type\":\"pong\",\"v\":1,"
	    "\"seq\":1}", "message: invalid JSON at byte 21: duplicate");
	reject_prefix(MSG_STATUS, "{\"type\":\"status\",\"v\":1,\"state\":"
	    "\"busy\",\"counters\":{\"cpu_ms\":1,\"cpu_ms\":1}}",
	    "message: invalid JSON at byte 69: duplicate");
}

Test(envelope, trailing_bytes)
{
	reject_prefix(MSG_PING, "{\"type\":\"ping\",\"v\":1,\"seq\":1}x",
	    "message: invalid JSON at byte 30: end of file expected near 'x'");
	reject_prefix(MSG_PING, "{\"type\":\"ping\",\"v\":1,\"seq\":1}"
	    "{\"type\":\"ping\",\"v\":1,\"seq\":2}", "message: invalid JSON");
	/* a NUL byte after the object is a byte too */
	{
		static const char two[] = "{\"type\":\"ping\",\"v\":1,\"seq\":1}";
		struct msg	 m;
		char		 err[ERRLEN];

		cr_assert_eq(msg_decode(two, sizeof(two), 0, MSG_FROM_WORKER,
		    WS_ANY, &m, err, sizeof(err)), -1);
		cr_assert(strncmp(err, "message: invalid JSON", 21) == 0,
		    "%s", err);
	}
}

Test(envelope, reals_are_not_integers)
{
	reject(MSG_PING, "{\"type\":\"ping\",\"v\":1,\"seq\":1.0}",
	    "ping: field \"seq\": not an integer");
	reject(MSG_PING, "{\"type\":\"ping\",\"v\":1,\"seq\":1e0}",
	    "ping: field \"seq\": not an integer");
	reject_prefix(MSG_PING, "{\"type\":\"ping\",\"v\":1,"
	    "\"seq\":99999999999999999999}", "message: invalid JSON");
	accept_text(MSG_PING, "{\"type\":\"ping\",\"v\":1,\"seq\":-0}");
}

Test(envelope, length_limit)
{
	struct msg	 m;
	char		*p, err[ERRLEN];
	const char	 ping[] = "{\"type\":\"ping\",\"v\":1,\"seq\":1}";

	/* whitespace pads a valid ping to exactly MSG_MAX, then one more */
	p = malloc(MSG_MAX + 1);
	memset(p, ' ', MSG_MAX + 1);
	memcpy(p, ping, strlen(ping));
	cr_assert_eq(msg_decode(p, MSG_MAX, 0, MSG_FROM_WORKER, WS_ANY, &m,
	    err, sizeof(err)), 0, "%s", err);
	msg_clear(&m);
	cr_assert_eq(msg_decode(p, MSG_MAX + 1, 0, MSG_FROM_WORKER, WS_ANY,
	    &m, err, sizeof(err)), -1);
	cr_assert_str_eq(err, "message: 65537 bytes (max 65536)");
	free(p);
}

Test(envelope, peer_bytes_in_errors_are_escaped)
{
	char	 text[512], want[512];

	reject(MSG_PING, "{\"type\":\"ping\",\"v\":1,\"seq\":1,"
	    "\"a\\u001b[31m\\\"\\\\\":1}",
	    "ping: unexpected field \"a\\x1b[31m\\x22\\x5c\"");
	reject(MSG_PING, "{\"type\":\"\\u00e9\\n\",\"v\":1}",
	    "message: unknown type \"\\xc3\\xa9\\x0a\"");
	/* a long key is cut to 48 bytes */
	snprintf(text, sizeof(text), "{\"type\":\"ping\",\"v\":1,\"seq\":1,"
	    "\"%0100d\":1}", 0);
	snprintf(want, sizeof(want), "ping: unexpected field \"%048d...\"", 0);
	reject(MSG_PING, text, want);
}

/* --- decoding: direction, state, fds ----------------------------------- */

Test(rules, direction_of_every_type)
{
	struct msg	 m;
	char		 err[ERRLEN], want[ERRLEN];
	struct buf	 b;
	int		 t, nfds;
	enum msg_dir	 wrong;

	buf_init(&b, 0);
	for (t = 0; t < MSG_NTYPES; t++) {
		sample((enum msg_type)t, 0, &m);
		cr_assert_eq(msg_encode(&b, (enum msg_type)t, &m.u, err,
		    sizeof(err)), 0, "%s", err);
		nfds = tinfo[t].fd == MSG_FD_REQUIRED ? 1 : 0;
		if (tinfo[t].from == MSG_FROM_EITHER) {
			cr_assert_eq(msg_decode(b.data, b.len, nfds,
			    MSG_FROM_WORKER, ok_state(t), &m, err, sizeof(err)),
			    0, "%s", err);
			msg_clear(&m);
			cr_assert_eq(msg_decode(b.data, b.len, nfds,
			    MSG_FROM_SUPERVISOR, ok_state(t), &m, err,
			    sizeof(err)), 0, "%s", err);
			msg_clear(&m);
			continue;
		}
		wrong = tinfo[t].from == MSG_FROM_WORKER ?
		    MSG_FROM_SUPERVISOR : MSG_FROM_WORKER;
		cr_assert_eq(msg_decode(b.data, b.len, nfds, wrong,
		    ok_state(t), &m, err, sizeof(err)), -1, "%s from the "
		    "wrong side accepted", tinfo[t].name);
		snprintf(want, sizeof(want), "%s: not allowed from %s",
		    tinfo[t].name, wrong == MSG_FROM_WORKER ? "worker" :
		    "supervisor");
		cr_assert_str_eq(err, want);
	}
	buf_free(&b);
}

Test(rules, state_of_every_type)
{
	struct msg	 m;
	char		 err[ERRLEN], want[ERRLEN];
	struct buf	 b;
	int		 t, bit, nfds, rv;

	buf_init(&b, 0);
	for (t = 0; t < MSG_NTYPES; t++) {
		sample((enum msg_type)t, 0, &m);
		cr_assert_eq(msg_encode(&b, (enum msg_type)t, &m.u, err,
		    sizeof(err)), 0);
		nfds = tinfo[t].fd == MSG_FD_REQUIRED ? 1 : 0;
		for (bit = 0; bit < 4; bit++) {
			rv = msg_decode(b.data, b.len, nfds,
			    sender((enum msg_type)t), 1U << bit, &m, err,
			    sizeof(err));
			if (tinfo[t].states & (1U << bit)) {
				cr_assert_eq(rv, 0, "%s", err);
				msg_clear(&m);
				continue;
			}
			cr_assert_eq(rv, -1, "%s accepted in %s",
			    tinfo[t].name, state_name[bit]);
			snprintf(want, sizeof(want), "%s: not allowed in "
			    "state %s", tinfo[t].name, state_name[bit]);
			cr_assert_str_eq(err, want);
		}
	}
	buf_free(&b);
	/* the spec's examples, spelled out */
	reject(MSG_STATUS, "{}", "message: missing field \"type\"");
	cr_assert_eq(msg_decode("{\"type\":\"status\",\"v\":1}", 23, 0,
	    MSG_FROM_WORKER, WS_STARTING, &m, err, sizeof(err)), -1);
	cr_assert_str_eq(err, "status: not allowed in state starting");
	cr_assert_eq(msg_decode("{\"type\":\"ready\",\"v\":1}", 22, 0,
	    MSG_FROM_WORKER, WS_IDLE | WS_BUSY, &m, err, sizeof(err)), -1);
	cr_assert_str_eq(err, "ready: not allowed in state idle|busy");
	cr_assert_eq(msg_decode("{\"type\":\"ready\",\"v\":1}", 22, 0,
	    MSG_FROM_WORKER, 0, &m, err, sizeof(err)), -1);
	cr_assert_str_eq(err, "ready: not allowed in state none");
}

Test(rules, fd_counts)
{
	{
		struct msg	 m;
		char		 err[ERRLEN];
		const char	*s = "{\"type\":\"session\",\"v\":1}";
		const char	*p = "{\"type\":\"ping\",\"v\":1,\"seq\":1}";

		cr_assert_eq(msg_decode(s, strlen(s), 0, MSG_FROM_SUPERVISOR,
		    WS_IDLE, &m, err, sizeof(err)), -1);
		cr_assert_str_eq(err, "session: missing fd");
		cr_assert_eq(msg_decode(s, strlen(s), 2, MSG_FROM_SUPERVISOR,
		    WS_IDLE, &m, err, sizeof(err)), -1);
		cr_assert_str_eq(err, "session: 2 fds attached (at most 1)");
		cr_assert_eq(msg_decode(p, strlen(p), 1, MSG_FROM_WORKER,
		    WS_BUSY, &m, err, sizeof(err)), -1);
		cr_assert_str_eq(err, "ping: unexpected fd");
		cr_assert_eq(msg_decode(p, strlen(p), 0, MSG_FROM_WORKER,
		    WS_BUSY, &m, err, sizeof(err)), 0);
		msg_clear(&m);
	}
}

/* --- decoding: fields, every one of them ------------------------------- */

/* The sample of t (variant) as a JSON tree. */
static json_t *
sample_json(enum msg_type t, int variant)
{
	struct msg	 m;
	struct buf	 b;
	json_t		*j;
	char		 err[ERRLEN];

	sample(t, variant, &m);
	buf_init(&b, 0);
	cr_assert_eq(msg_encode(&b, t, &m.u, err, sizeof(err)), 0, "%s", err);
	cr_assert_not_null(j = json_loads(b.data, 0, NULL));
	buf_free(&b);
	return j;
}

/* The object holding path ("a" or "a.b") and the last component. */
static json_t *
parent_of(json_t *root, const char *path, const char **last)
{
	const char	*dot;
	char		 head[64];
	json_t		*o;

	if ((dot = strchr(path, '.')) == NULL) {
		*last = path;
		return root;
	}
	cr_assert_lt((size_t)(dot - path), sizeof(head));
	memcpy(head, path, (size_t)(dot - path));
	head[dot - path] = '\0';
	cr_assert(json_is_object(o = json_object_get(root, head)), "%s", head);
	*last = dot + 1;
	return o;
}

/* Set path in the sample of t to v (taking it; NULL deletes), decode. */
static int
decode_mutated(enum msg_type t, int variant, const char *path, json_t *v,
    struct msg *m, char *err)
{
	json_t		*root, *obj;
	const char	*last;
	char		*text;
	int		 rv;

	root = sample_json(t, variant);
	obj = parent_of(root, path, &last);
	if (v == NULL)
		cr_assert_eq(json_object_del(obj, last), 0, "no %s", path);
	else
		json_object_set_new(obj, last, v);
	cr_assert_not_null(text = json_dumps(root, JSON_COMPACT));
	rv = decode_as(t, text, m, err);
	free(text);
	json_decref(root);
	return rv;
}

static void
mutated_rejected(enum msg_type t, int variant, const char *path, json_t *v,
    const char *want)
{
	struct msg	 m;
	char		 err[ERRLEN];

	cr_assert_eq(decode_mutated(t, variant, path, v, &m, err), -1,
	    "%s with %s mutated accepted", tinfo[t].name, path);
	cr_assert_str_eq(err, want);
}

static void
mutated_accepted(enum msg_type t, int variant, const char *path, json_t *v)
{
	struct msg	 m;
	char		 err[ERRLEN];

	cr_assert_eq(decode_mutated(t, variant, path, v, &m, err), 0,
	    "%s.%s: %s", tinfo[t].name, path, err);
	msg_clear(&m);
}

/* Every (type, variant) the samples cover. */
static const struct { enum msg_type t; int variant; } variants[] = {
	{ MSG_HELLO, 0 }, { MSG_HELLO, 1 }, { MSG_READY, 0 },
	{ MSG_SESSION, 0 }, { MSG_PEER, 0 }, { MSG_PEER_VERDICT, 0 },
	{ MSG_NEGOTIATED, 0 }, { MSG_AUTH_QUERY, 0 }, { MSG_AUTH_REPLY, 0 }, { MSG_AUTH_REPLY, 1 },
	{ MSG_STATUS, 0 }, { MSG_LOG, 0 }, { MSG_PING, 0 }, { MSG_PONG, 0 },
	{ MSG_SHUTDOWN, 0 }, { MSG_SESSION_END, 0 }, { MSG_DETACH, 0 },
	{ MSG_MOVE, 0 }, { MSG_RESUME, 0 }, { MSG_RESUME, 1 },
	{ MSG_RESUME, 2 }, { MSG_DETACH_REPLY, 0 }, { MSG_DETACH_REPLY, 1 },
	{ MSG_RESUME_REPLY, 0 }, { MSG_RESUME_REFUSED, 0 },
	{ MSG_RESUMED, 0 }, { MSG_RESUMED, 1 }, { MSG_HISTORY, 0 },
	{ MSG_HISTORY, 1 }, { MSG_HISTORY_SAVE, 0 }, { MSG_HISTORY_SAVE, 1 },
	{ MSG_TAKEOVER, 0 }, { MSG_TAKEN, 0 },
	{ MSG_TAKEN, 1 }, { MSG_HANDOVER, 0 }, { MSG_HANDED, 0 },
	{ MSG_HANDED, 1 }, { MSG_RECONNECT, 0 },
	{ MSG_RECORD, 0 }, { MSG_RECORD, 1 },
};
#define NVARIANTS	(sizeof(variants) / sizeof(variants[0]))

Test(fields, samples_cover_every_type)
{
	int	 seen[MSG_NTYPES] = { 0 };
	size_t	 i;
	int	 t;

	for (i = 0; i < NVARIANTS; i++)
		seen[variants[i].t]++;
	for (t = 0; t < MSG_NTYPES; t++)
		cr_assert_gt(seen[t], 0, "no sample of %s", tinfo[t].name);
}

/* The paths of every field in a sample: "uid", "limits.heap", ... */
static size_t
field_paths(json_t *root, char paths[][64], json_type *kinds, size_t max)
{
	const char	*k, *k2;
	json_t		*v, *v2;
	size_t		 n = 0;

	json_object_foreach(root, k, v) {
		if (strcmp(k, "type") == 0 || strcmp(k, "v") == 0)
			continue;
		cr_assert_lt(n, max);
		snprintf(paths[n], 64, "%s", k);
		kinds[n++] = json_typeof(v);
		if (!json_is_object(v))
			continue;
		json_object_foreach(v, k2, v2) {
			cr_assert_lt(n, max);
			snprintf(paths[n], 64, "%s.%s", k, k2);
			kinds[n++] = json_typeof(v2);
		}
	}
	return n;
}

static const char *
kind_error(json_type k)
{
	switch (k) {
	case JSON_STRING:
		return "not a string";
	case JSON_INTEGER:
		return "not an integer";
	case JSON_TRUE:
	case JSON_FALSE:
		return "not a boolean";
	case JSON_OBJECT:
		return "not an object";
	default:
		cr_assert_fail("sample holds an unexpected JSON type");
	}
	return NULL;
}

static bool
same_kind(json_type a, json_type b)
{
	if ((a == JSON_TRUE || a == JSON_FALSE) &&
	    (b == JSON_TRUE || b == JSON_FALSE))
		return true;
	return a == b;
}

Test(fields, wrong_json_type_for_every_field)
{
	static const char *const wrongs[] = { "\"7\"", "7", "7.0", "true",
	    "null", "{}", "[]", "[7]" };
	char		 paths[64][64], want[ERRLEN];
	json_type	 kinds[64];
	json_t		*root, *w;
	size_t		 i, n, p, k, tested = 0;

	for (i = 0; i < NVARIANTS; i++) {
		root = sample_json(variants[i].t, variants[i].variant);
		n = field_paths(root, paths, kinds, 64);
		json_decref(root);
		for (p = 0; p < n; p++)
			for (k = 0; k < sizeof(wrongs) / sizeof(wrongs[0]);
			    k++) {
				w = json_loads(wrongs[k], JSON_DECODE_ANY, NULL);
				cr_assert_not_null(w);
				if (same_kind(json_typeof(w), kinds[p])) {
					json_decref(w);
					continue;
				}
				snprintf(want, sizeof(want),
				    "%s: field \"%.63s\": %s",
				    tinfo[variants[i].t].name, paths[p],
				    kind_error(kinds[p]));
				mutated_rejected(variants[i].t,
				    variants[i].variant, paths[p], w, want);
				tested++;
			}
	}
	cr_assert_gt(tested, 400);	/* the walk did walk */
}

Test(fields, missing_every_field)
{
	char		 paths[64][64], want[ERRLEN];
	json_type	 kinds[64];
	json_t		*root;
	size_t		 i, n, p;
	enum msg_type	 t;

	for (i = 0; i < NVARIANTS; i++) {
		t = variants[i].t;
		root = sample_json(t, variants[i].variant);
		n = field_paths(root, paths, kinds, 64);
		json_decref(root);
		for (p = 0; p < n; p++) {
			if (t == MSG_HELLO && (strcmp(paths[p], "hostkey") ==
			    0 || strcmp(paths[p], "kex") == 0 ||
			    strcmp(paths[p], "ciphers") == 0 ||
			    strcmp(paths[p], "macs") == 0 ||
			    strcmp(paths[p], "hostkey_algorithms") == 0))
				snprintf(want, sizeof(want), "hello: missing "
				    "field \"%.40s\" (transport ssh)", paths[p]);
			else if (t == MSG_AUTH_QUERY &&
			    strcmp(paths[p], "sigalg") == 0) {
				/* Optional: absent is "not known". */
				mutated_accepted(t, variants[i].variant,
				    paths[p], NULL);
				continue;
			} else if ((t == MSG_AUTH_REPLY &&
			    (strcmp(paths[p], "resume_window") == 0 ||
			    strcmp(paths[p], "detached") == 0)) ||
			    (t == MSG_RESUME &&
			    strcmp(paths[p], "token") == 0) ||
			    ((t == MSG_RESUMED || t == MSG_TAKEN) &&
			    strcmp(paths[p], "message") == 0) ||
			    (t == MSG_HISTORY &&
			    strcmp(paths[p], "lines") == 0) ||
			    (t == MSG_RECORD &&
			    strcmp(paths[p], "notice") == 0)) {
				/* Optional: absent is 0 or "". */
				mutated_accepted(t, variants[i].variant,
				    paths[p], NULL);
				continue;
			} else if (t == MSG_HISTORY_SAVE &&
			    strcmp(paths[p], "lines") == 0)
				snprintf(want, sizeof(want), "history_save: "
				    "neither clear nor lines");
			else if (t == MSG_DETACH_REPLY)
				snprintf(want, sizeof(want), "detach_reply: a "
				    "token or a message, one of them");
			else if (t == MSG_AUTH_REPLY &&
			    strcmp(paths[p], "limits") == 0)
				snprintf(want, sizeof(want), "auth_reply: "
				    "missing field \"limits\" (ok is true)");
			else
				snprintf(want, sizeof(want), "%s: missing "
				    "field \"%.63s\"", tinfo[t].name, paths[p]);
			mutated_rejected(t, variants[i].variant, paths[p],
			    NULL, want);
		}
	}
}

Test(fields, unknown_field_in_every_type_and_object)
{
	char		 want[ERRLEN];
	size_t		 i;
	enum msg_type	 t;

	for (i = 0; i < NVARIANTS; i++) {
		t = variants[i].t;
		snprintf(want, sizeof(want), "%s: unexpected field \"x\"",
		    tinfo[t].name);
		mutated_rejected(t, variants[i].variant, "x",
		    json_integer(1), want);
	}
	mutated_rejected(MSG_HELLO, 0, "limits.x", json_integer(1),
	    "hello: unexpected field \"limits.x\"");
	mutated_rejected(MSG_SESSION, 0, "limits.budgets", json_integer(1),
	    "session: unexpected field \"limits.budgets\"");
	mutated_rejected(MSG_AUTH_REPLY, 0, "limits.type", json_string("x"),
	    "auth_reply: unexpected field \"limits.type\"");
	mutated_rejected(MSG_STATUS, 0, "counters.v", json_integer(1),
	    "status: unexpected field \"counters.v\"");
	mutated_rejected(MSG_SESSION_END, 0, "counters.x", json_null(),
	    "session_end: unexpected field \"counters.x\"");
	/* "signed" is the JSON name; the C name is not */
	mutated_rejected(MSG_AUTH_QUERY, 0, "signed_", json_true(),
	    "auth_query: unexpected field \"signed_\"");
	/* an absent optional field stays absent, not null */
	mutated_rejected(MSG_HELLO, 0, "hostkey", json_null(),
	    "hello: field \"hostkey\": not a string");
}

/* --- integer ranges ---------------------------------------------------- */

struct irange {
	enum msg_type	 t;
	int		 variant;
	const char	*path;
	long long	 min, max;
};

static const struct irange iranges[] = {
	{ MSG_HELLO, 0, "uid", -1, 4294967294LL },	/* not (uid_t)-1 */
	{ MSG_HELLO, 0, "gid", -1, 4294967294LL },
	{ MSG_HELLO, 0, "log_level", 0, 7 },
	{ MSG_READY, 0, "pid", 1, 1 << 22 },
	{ MSG_SESSION, 0, "id", 1, TWO53 },
	{ MSG_PEER, 0, "port", 0, 65535 },
	{ MSG_LOG, 0, "level", 0, 7 },
	{ MSG_PING, 0, "seq", 0, TWO53 },
	{ MSG_PONG, 0, "seq", 0, TWO53 },
	{ MSG_SHUTDOWN, 0, "grace", 0, 3600 },
};

/* The value at path after a decode and a re-encode. */
static long long
value_after_roundtrip(enum msg_type t, int variant, const char *path,
    long long v)
{
	struct msg	 m;
	struct buf	 b;
	json_t		*root, *obj;
	const char	*last;
	char		 err[ERRLEN];
	long long	 got;

	cr_assert_eq(decode_mutated(t, variant, path, json_integer(v), &m,
	    err), 0, "%s %s=%lld: %s", tinfo[t].name, path, v, err);
	buf_init(&b, 0);
	cr_assert_eq(msg_encode(&b, t, &m.u, err, sizeof(err)), 0, "%s", err);
	msg_clear(&m);
	cr_assert_not_null(root = json_loads(b.data, 0, NULL));
	obj = parent_of(root, path, &last);
	got = json_integer_value(json_object_get(obj, last));
	json_decref(root);
	buf_free(&b);
	return got;
}

static void
check_range(enum msg_type t, int variant, const char *path, long long min,
    long long max)
{
	char	 want[ERRLEN];

	snprintf(want, sizeof(want), "%s: field \"%s\": %lld out of range "
	    "(%lld..%lld)", tinfo[t].name, path, min - 1, min, max);
	mutated_rejected(t, variant, path, json_integer(min - 1), want);
	snprintf(want, sizeof(want), "%s: field \"%s\": %lld out of range "
	    "(%lld..%lld)", tinfo[t].name, path, max + 1, min, max);
	mutated_rejected(t, variant, path, json_integer(max + 1), want);
	cr_assert_eq(value_after_roundtrip(t, variant, path, min), min,
	    "%s.%s", tinfo[t].name, path);
	cr_assert_eq(value_after_roundtrip(t, variant, path, max), max,
	    "%s.%s", tinfo[t].name, path);
}

Test(ranges, scalar_integers_at_both_ends)
{
	size_t	 i;

	for (i = 0; i < sizeof(iranges) / sizeof(iranges[0]); i++)
		check_range(iranges[i].t, iranges[i].variant, iranges[i].path,
		    iranges[i].min, iranges[i].max);
	/* the spec's example, word for word */
	mutated_rejected(MSG_SESSION, 0, "id", json_integer(0),
	    "session: field \"id\": 0 out of range (1..9007199254740992)");
	mutated_rejected(MSG_SESSION, 0, "id", json_integer(INT64_MIN),
	    "session: field \"id\": -9223372036854775808 out of range "
	    "(1..9007199254740992)");
	mutated_rejected(MSG_PING, 0, "seq", json_integer(INT64_MAX),
	    "ping: field \"seq\": 9223372036854775807 out of range "
	    "(0..9007199254740992)");
}

Test(ranges, limits_in_every_message_that_has_them)
{
	static const struct { enum msg_type t; int variant; } has[] = {
		{ MSG_HELLO, 0 }, { MSG_SESSION, 0 }, { MSG_AUTH_REPLY, 0 },
	};
	size_t	 i;

	for (i = 0; i < sizeof(has) / sizeof(has[0]); i++) {
#define LIMIT_RANGE(name, def, min, max, unit, what)			\
		check_range(has[i].t, has[i].variant, "limits." #name,	\
		    (long long)(min), (long long)(max));
		MSG_LIMITS(LIMIT_RANGE)
#undef LIMIT_RANGE
	}
	mutated_rejected(MSG_HELLO, 0, "limits.budget", json_integer(0),
	    "hello: field \"limits.budget\": 0 out of range "
	    "(1..1000000000000)");
}

Test(ranges, counters_in_every_message_that_has_them)
{
#define COUNTER_RANGE(name, what)					\
	check_range(MSG_STATUS, 0, "counters." #name, 0, TWO53);	\
	check_range(MSG_SESSION_END, 0, "counters." #name, 0, TWO53);
	MSG_COUNTERS(COUNTER_RANGE)
#undef COUNTER_RANGE
}

/* --- strings ----------------------------------------------------------- */

struct slen {
	enum msg_type	 t;
	int		 variant;
	const char	*path;
	size_t		 max;
	const char	*empty;		/* the error for "", or NULL */
};

static const struct slen slens[] = {
	{ MSG_HELLO, 0, "build", 63, NULL },
	{ MSG_HELLO, 0, "listener", 63, NULL },
	{ MSG_HELLO, 0, "chroot", 255, NULL },
	{ MSG_HELLO, 1, "hostkey", 16384, "empty" },
	{ MSG_READY, 0, "build", 63, NULL },
	{ MSG_SESSION, 0, "listener", 63, NULL },
	{ MSG_SESSION, 0, "peer", 63, NULL },
	{ MSG_SESSION, 0, "tenant", 63, NULL },
	{ MSG_PEER, 0, "addr", 63, "empty" },
	{ MSG_PEER_VERDICT, 0, "message", 1024, NULL },
	{ MSG_AUTH_QUERY, 0, "user", 63, NULL },
	{ MSG_AUTH_QUERY, 0, "keytype", 47, "empty for publickey" },
	{ MSG_AUTH_QUERY, 0, "key", 16384, "empty for publickey" },
	{ MSG_AUTH_REPLY, 1, "tenant", 63, NULL },
	{ MSG_LOG, 0, "msg", 1024, NULL },
	{ MSG_SHUTDOWN, 0, "reason", 1024, NULL },
};

static json_t *
string_of(size_t n, char c)
{
	char	*s;
	json_t	*j;

	s = malloc(n + 1);
	memset(s, c, n);
	s[n] = '\0';
	j = json_string(s);
	free(s);
	return j;
}

Test(strings, lengths_nul_and_empty)
{
	const struct slen	*s;
	char			 want[ERRLEN];
	size_t			 i;

	for (i = 0; i < sizeof(slens) / sizeof(slens[0]); i++) {
		s = &slens[i];
		mutated_accepted(s->t, s->variant, s->path,
		    string_of(s->max, 'a'));
		snprintf(want, sizeof(want), "%s: field \"%s\": too long (%zu "
		    "bytes, max %zu)", tinfo[s->t].name, s->path, s->max + 1,
		    s->max);
		mutated_rejected(s->t, s->variant, s->path,
		    string_of(s->max + 1, 'a'), want);
		snprintf(want, sizeof(want), "%s: field \"%s\": contains NUL",
		    tinfo[s->t].name, s->path);
		mutated_rejected(s->t, s->variant, s->path,
		    json_stringn("ab\0cd", 5), want);
		mutated_rejected(s->t, s->variant, s->path,
		    json_stringn("\0", 1), want);
		if (s->empty != NULL) {
			snprintf(want, sizeof(want), "%s: field \"%s\": %s",
			    tinfo[s->t].name, s->path, s->empty);
			mutated_rejected(s->t, s->variant, s->path,
			    json_string(""), want);
		} else
			mutated_accepted(s->t, s->variant, s->path,
			    json_string(""));
	}
}

Test(strings, length_counts_bytes_not_characters)
{
	char	 s[80];
	size_t	 i;

	for (i = 0; i < 31; i++)
		memcpy(s + 2 * i, "\xc3\xa9", 2);
	s[62] = 'a';
	s[63] = '\0';
	mutated_accepted(MSG_PEER, 0, "addr", json_string(s));
	memcpy(s + 62, "\xc3\xa9", 3);
	mutated_rejected(MSG_PEER, 0, "addr", json_string(s),
	    "peer: field \"addr\": too long (64 bytes, max 63)");
}

Test(strings, enumerations)
{
	static const struct {
		enum msg_type	 t;
		const char	*path, *values;
	} enums[] = {
		{ MSG_HELLO, "transport", "line, ssh" },
		{ MSG_SESSION, "transport", "line, ssh" },
		{ MSG_STATUS, "state", "idle, busy" },
		{ MSG_SESSION_END, "reason", "quit, hangup, idle, lifetime, "
		    "shutdown, cpu, output, error, auth, proxy, refused, line, "
		    "resumed, detached" },
	};
	static const char *const bad[] = { "tcp", "LINE", "lin", "line ",
	    "idl", "busy!" , "quit\n" };
	const char	*name;
	char		 want[ERRLEN], q[64];
	size_t		 i, k;

	for (i = 0; i < sizeof(enums) / sizeof(enums[0]); i++) {
		name = tinfo[enums[i].t].name;
		for (k = 0; k < sizeof(bad) / sizeof(bad[0]); k++) {
			strlcpy(q, bad[k], sizeof(q));
			if (strchr(q, '\n') != NULL)
				strlcpy(strchr(q, '\n'), "\\x0a", 8);
			snprintf(want, sizeof(want), "%s: field \"%s\": \"%s\" "
			    "is not one of: %s", name, enums[i].path, q,
			    enums[i].values);
			mutated_rejected(enums[i].t, 0, enums[i].path,
			    json_string(bad[k]), want);
		}
		snprintf(want, sizeof(want), "%s: field \"%s\": empty", name,
		    enums[i].path);
		mutated_rejected(enums[i].t, 0, enums[i].path, json_string(""),
		    want);
		snprintf(want, sizeof(want), "%s: field \"%s\": contains NUL",
		    name, enums[i].path);
		mutated_rejected(enums[i].t, 0, enums[i].path,
		    json_stringn("line\0", 5), want);
	}
}

Test(strings, cross_field_rules_on_decode)
{
	mutated_rejected(MSG_HELLO, 0, "hostkey", json_string(hostkey),
	    "hello: field \"hostkey\": not allowed for transport line");
	mutated_rejected(MSG_HELLO, 1, "transport", json_string("line"),
	    "hello: field \"hostkey\": not allowed for transport line");
	mutated_rejected(MSG_HELLO, 0, "transport", json_string("ssh"),
	    "hello: missing field \"hostkey\" (transport ssh)");
	mutated_rejected(MSG_AUTH_REPLY, 0, "ok", json_false(),
	    "auth_reply: field \"limits\": not allowed when ok is false");
	mutated_rejected(MSG_AUTH_REPLY, 1, "ok", json_true(),
	    "auth_reply: missing field \"limits\" (ok is true)");
	mutated_rejected(MSG_AUTH_REPLY, 0, "tenant", json_string(""),
	    "auth_reply: field \"tenant\": empty when ok is true");
}

Test(envelope, session_quota_is_an_optional_string)
{
	reject_prefix(MSG_SESSION,
	    "{\"type\":\"session\",\"v\":1,\"id\":1099511627776,\"listene"
	    "r\":\"local\",\"peer\":\"[2001:db8::1]:50000\",\"transport\""
	    ":\"line\",\"tenant\":\"anonymous\",\"limits\":{\"budget\":10"
	    "000000,\"heap\":1048576,\"stack\":65536,\"cpu\":60,\"output_"
	    "rate\":1048576,\"output_max\":67108864,\"idle\":600,\"idle_w"
	    "arn\":60,\"lifetime\":14400,\"lifetime_warn\":300,\"line_max"
	    "\":4096,\"line_timeout\":60,\"outbuf_max\":262144,\"login_grace\":"
	    "30},\"proxy\":"
	    "true,\"quota\":7}",
	    "session: field \"quota\"");
	reject_prefix(MSG_SESSION,
	    "{\"type\":\"session\",\"v\":1,\"id\":1099511627776,\"listene"
	    "r\":\"local\",\"peer\":\"[2001:db8::1]:50000\",\"transport\""
	    ":\"line\",\"tenant\":\"anonymous\",\"limits\":{\"budget\":10"
	    "000000,\"heap\":1048576,\"stack\":65536,\"cpu\":60,\"output_"
	    "rate\":1048576,\"output_max\":67108864,\"idle\":600,\"idle_w"
	    "arn\":60,\"lifetime\":14400,\"lifetime_warn\":300,\"line_max"
	    "\":4096,\"line_timeout\":60,\"outbuf_max\":262144,\"login_grace\":"
	    "30},\"proxy\":"
	    "true,\"quota\":\"\"}",
	    "session: field \"quota\"");
}

Test(rules, a_resume_token_is_22_characters_of_base64url_without_an_id)
{
	mutated_rejected(MSG_RESUME, 2, "token", json_string("short"),
	    "resume: field \"token\": 5 characters, not 22");
	mutated_rejected(MSG_RESUME, 2, "token",
	    json_string("AbCdEfGhIjKlMnOpQrSt+/"),
	    "resume: field \"token\": not base64url");
	mutated_rejected(MSG_RESUME, 2, "id", json_integer(5),
	    "resume: an id and a token");
	mutated_rejected(MSG_DETACH_REPLY, 0, "message", json_string("no"),
	    "detach_reply: a token or a message, one of them");
	mutated_accepted(MSG_RESUME, 2, "token",
	    json_string("0123456789abcdefghij-_"));
}

/*
 * History lines: what a worker may store for its tenant. Every rule of
 * msg_history_ok, on the wire (a hostile worker's bytes) and in the
 * encoder (our own).
 */
Test(rules, history_lines)
{
	static const struct {
		const char	*lines, *why;
	} bad[] = {
		{ "a\n\nb", "line 2 is empty" },
		{ "a\n", "line 2 is empty" },
		{ "\na", "line 1 is empty" },
		{ "ok\nx\x1b[2J", "line 2: control character 0x1b" },
		{ "x\ry", "line 1: control character 0x0d" },
		{ "x\x7f", "line 1: control character 0x7f" },
		{ "x\xc2\x85", "line 1: control character U+0085" },
	};
	struct msg	 m, out;
	struct buf	 b;
	char		 want[ERRLEN], *big;
	size_t		 i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(want, sizeof(want), "history_save: field \"lines\": "
		    "%s", bad[i].why);
		mutated_rejected(MSG_HISTORY_SAVE, 0, "lines",
		    json_string(bad[i].lines), want);
		sample(MSG_HISTORY, 0, &m);
		m.u.history.lines = bad[i].lines;
		snprintf(want, sizeof(want), "history: field \"lines\": %s",
		    bad[i].why);
		encode_bad(MSG_HISTORY, &m, want);
	}
	/* A line of MSG_HISTORY_LINE bytes passes; one more does not. */
	cr_assert_not_null(big = malloc(MSG_HISTORY_LINE + 2));
	memset(big, 'x', MSG_HISTORY_LINE + 1);
	big[MSG_HISTORY_LINE] = '\0';
	sample(MSG_HISTORY_SAVE, 0, &m);
	m.u.history_save.lines = big;
	buf_init(&b, 0);
	cr_assert_eq(msg_encode(&b, MSG_HISTORY_SAVE, &m.u, want,
	    sizeof(want)), 0, "%s", want);
	cr_assert_eq(msg_decode(b.data, b.len, 0, MSG_FROM_WORKER, WS_BUSY,
	    &out, want, sizeof(want)), 0, "%s", want);
	cr_assert_str_eq(out.u.history_save.lines, big);
	msg_clear(&out);
	buf_free(&b);
	big[MSG_HISTORY_LINE] = 'x';
	big[MSG_HISTORY_LINE + 1] = '\0';
	mutated_rejected(MSG_HISTORY_SAVE, 0, "lines", json_string(big),
	    "history_save: field \"lines\": line 1 is 4097 bytes, over 4096");
	free(big);
	/* Invalid UTF-8 never gets past jansson; tabs are fine. */
	cr_assert(msg_history_ok("a\tb\nc", 5, 1, want, sizeof(want)));
	cr_assert(!msg_history_ok("\xff", 1, 1, want, sizeof(want)));
	cr_assert_str_eq(want, "line 1: not UTF-8");
	cr_assert(!msg_history_ok("a\n\x01", 3, 7, want, sizeof(want)));
	cr_assert_str_eq(want, "line 8: control character 0x01");
	/* Neither clear nor lines: nothing to do, not a message. */
	sample(MSG_HISTORY_SAVE, 0, &m);
	m.u.history_save.lines = NULL;
	encode_bad(MSG_HISTORY_SAVE, &m, "history_save: neither clear nor "
	    "lines");
}
