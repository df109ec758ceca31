/*
 * test_msg.c: the supervisor <-> worker protocol (msg.h) against the spec
 * in DESIGN.md: every message type round-trips through a real
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

#define TWO53		9007199254740992LL
#define ERRLEN		512

/* The MSG_TYPES columns, for choosing senders and states. */
static const struct tinfo {
	const char	*name;
	enum msg_dir	 from;
	unsigned	 states;
	enum msg_fd	 fd;
} tinfo[MSG_NTYPES] = {
#define TINFO(N, n, dir, st, fdk)	[MSG_##N] = { #n, dir, st, fdk },
	MSG_TYPES(TINFO)
#undef TINFO
};

static const char *const state_name[] = {
	"starting", "idle", "busy", "stopping"
};

/* --- fixtures ---------------------------------------------------------- */

static void
chan(int sv[2], int extra)
{
	cr_assert_eq(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC | extra,
	    0, sv), 0, "socketpair: %s", strerror(errno));
}

static void
close2(int p[2])
{
	close(p[0]);
	close(p[1]);
}

/* Entries in /proc/self/fd: what leaks shows here. */
static int
open_fds(void)
{
	DIR		*d;
	struct dirent	*e;
	int		 n = 0;

	cr_assert_not_null(d = opendir("/proc/self/fd"));
	while ((e = readdir(d)) != NULL)
		if (e->d_name[0] != '.')
			n++;
	closedir(d);
	return n;
}

/*
 * The numbers the kernel will give the next n fds (always the lowest
 * free): where a receiver's copies of passed fds land, so we can check
 * that msg_recv() closed them.
 */
static void
next_fds(int *out, int n)
{
	int	 i;

	for (i = 0; i < n; i++)
		cr_assert_geq(out[i] = open("/dev/null", O_RDONLY | O_CLOEXEC),
		    0);
	for (i = 0; i < n; i++)
		close(out[i]);
}

static void
assert_closed(int fd)
{
	errno = 0;
	cr_assert_eq(fcntl(fd, F_GETFD), -1, "fd %d is still open", fd);
	cr_assert_eq(errno, EBADF);
}

/* Send len bytes with n fds attached (n may pass what msg_send allows). */
static void
send_fds(int sock, const void *buf, size_t len, const int *fds, int n)
{
	struct msghdr	 mh;
	struct iovec	 iov;
	struct cmsghdr	*cm;
	char		*cbuf = NULL;

	memset(&mh, 0, sizeof(mh));
	iov.iov_base = (void *)(uintptr_t)buf;
	iov.iov_len = len;
	mh.msg_iov = &iov;
	mh.msg_iovlen = 1;
	if (n > 0) {
		cbuf = calloc(1, CMSG_SPACE(sizeof(int) * (size_t)n));
		mh.msg_control = cbuf;
		mh.msg_controllen = CMSG_SPACE(sizeof(int) * (size_t)n);
		cm = CMSG_FIRSTHDR(&mh);
		cm->cmsg_level = SOL_SOCKET;
		cm->cmsg_type = SCM_RIGHTS;
		cm->cmsg_len = CMSG_LEN(sizeof(int) * (size_t)n);
		memcpy(CMSG_DATA(cm), fds, sizeof(int) * (size_t)n);
	}
	cr_assert_eq(sendmsg(sock, &mh, MSG_NOSIGNAL), (ssize_t)len,
	    "sendmsg: %s", strerror(errno));
	free(cbuf);
}

/* --- sample bodies ----------------------------------------------------- */

static const char hostkey[] =
    "-----BEGIN OPENSSH PRIVATE KEY-----\n"
    "b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtzc2gtZW\n"
    "-----END OPENSSH PRIVATE KEY-----\n";
static const char pubkey[] =
    "AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl";

static void
sample_counters(struct msg_counters *c)
{
	c->instructions = TWO53;
	c->heap_bytes = 4096;
	c->program_bytes = 312;
	c->bytes_in = 77;
	c->bytes_out = 1234567;
	c->idle_seconds = 0;
	c->commands = 9;
	c->cpu_ms = 15;
	c->duration_ms = 60001;
}

/*
 * A valid body of type t in m->u. variant 1: hello for ssh (with host
 * key), auth_reply refused (no limits); the others have one variant.
 */
static void
sample(enum msg_type t, int variant, struct msg *m)
{
	memset(m, 0, sizeof(*m));
	m->type = t;
	m->fd = -1;
	switch (t) {
	case MSG_HELLO:
		strlcpy(m->u.hello.build, "iridium 0.1.0 (g1234abc)",
		    sizeof(m->u.hello.build));
		msg_limits_default(&m->u.hello.limits);
		if (variant == 0) {
			strlcpy(m->u.hello.transport, "line", 8);
			strlcpy(m->u.hello.listener, "local", MSG_NAME_MAX + 1);
			m->u.hello.uid = 998;
			m->u.hello.gid = 997;
			strlcpy(m->u.hello.chroot, "/run/iridium/empty",
			    MSG_PATH_MAX + 1);
			m->u.hello.log_level = 6;
		} else {
			strlcpy(m->u.hello.transport, "ssh", 8);
			strlcpy(m->u.hello.listener, "ssh", MSG_NAME_MAX + 1);
			m->u.hello.uid = -1;
			m->u.hello.gid = -1;
			m->u.hello.log_level = 7;
			m->u.hello.sandbox_debug = true;
			m->u.hello.hostkey = hostkey;
		}
		break;
	case MSG_READY:
		strlcpy(m->u.ready.build, "iridium 0.1.0 (g1234abc)",
		    MSG_BUILD_MAX + 1);
		m->u.ready.pid = 4123;
		break;
	case MSG_SESSION:
		m->u.session.id = 1LL << 40;
		strlcpy(m->u.session.listener, "local", MSG_NAME_MAX + 1);
		strlcpy(m->u.session.peer, "[2001:db8::1]:50000",
		    MSG_ADDR_MAX + 1);
		strlcpy(m->u.session.transport, "line", 8);
		strlcpy(m->u.session.tenant, "anonymous", MSG_NAME_MAX + 1);
		msg_limits_default(&m->u.session.limits);
		m->u.session.limits.cpu = 0;
		m->u.session.proxy = true;
		/* Variant 1: with the supervisor's limits for !limits. */
		if (variant == 1)
			m->u.session.quota = "sessions:     1 of tenant "
			    "anonymous, at most 64\n";
		break;
	case MSG_PEER:
		strlcpy(m->u.peer.addr, "192.0.2.7", MSG_ADDR_MAX + 1);
		m->u.peer.port = 44321;
		break;
	case MSG_PEER_VERDICT:
		strlcpy(m->u.peer_verdict.message,
		    "too many connections from 192.0.2.7", MSG_TEXT_MAX + 1);
		break;
	case MSG_AUTH_QUERY:
		strlcpy(m->u.auth_query.user, "alice", MSG_NAME_MAX + 1);
		strlcpy(m->u.auth_query.keytype, "ssh-ed25519", 32);
		m->u.auth_query.key = pubkey;
		m->u.auth_query.signed_ = true;
		break;
	case MSG_AUTH_REPLY:
		if (variant == 0) {
			m->u.auth_reply.ok = true;
			strlcpy(m->u.auth_reply.tenant, "acme",
			    MSG_NAME_MAX + 1);
			msg_limits_default(&m->u.auth_reply.limits);
			m->u.auth_reply.limits.budget = 5000;
		}
		break;
	case MSG_STATUS:
		strlcpy(m->u.status.state, "busy", 8);
		sample_counters(&m->u.status.counters);
		break;
	case MSG_LOG:
		m->u.log.level = 3;
		strlcpy(m->u.log.msg, "landlock: ABI 3 \"x\" \\ \xc3\xa9\t\n",
		    MSG_TEXT_MAX + 1);
		break;
	case MSG_PING:
		m->u.ping.seq = 0;
		break;
	case MSG_PONG:
		m->u.ping.seq = TWO53;
		break;
	case MSG_SHUTDOWN:
		m->u.shutdown.grace = 30;
		strlcpy(m->u.shutdown.reason, "reload", MSG_TEXT_MAX + 1);
		break;
	case MSG_SESSION_END:
		strlcpy(m->u.session_end.reason, "idle", 32);
		sample_counters(&m->u.session_end.counters);
		break;
	default:
		cr_assert_fail("no sample for type %d", (int)t);
	}
}

static void
assert_limits_eq(const struct msg_limits *a, const struct msg_limits *b)
{
#define CMP_LIMIT(name, def, min, max, unit, what)			\
	cr_assert_eq(a->name, b->name, "limits." #name);
	MSG_LIMITS(CMP_LIMIT)
#undef CMP_LIMIT
}

static void
assert_counters_eq(const struct msg_counters *a, const struct msg_counters *b)
{
#define CMP_COUNTER(name, what)	cr_assert_eq(a->name, b->name, #name);
	MSG_COUNTERS(CMP_COUNTER)
#undef CMP_COUNTER
}

static void
assert_optstr_eq(const char *a, const char *b)
{
	if (a == NULL || b == NULL)
		cr_assert(a == NULL && b == NULL, "one of two strings is NULL");
	else
		cr_assert_str_eq(a, b);
}

/* Field by field: what was sent is what arrived. */
static void
assert_body_eq(enum msg_type t, const struct msg *a, const struct msg *b)
{
	switch (t) {
	case MSG_HELLO:
		cr_assert_str_eq(a->u.hello.build, b->u.hello.build);
		cr_assert_str_eq(a->u.hello.transport, b->u.hello.transport);
		cr_assert_str_eq(a->u.hello.listener, b->u.hello.listener);
		cr_assert_eq(a->u.hello.uid, b->u.hello.uid);
		cr_assert_eq(a->u.hello.gid, b->u.hello.gid);
		cr_assert_str_eq(a->u.hello.chroot, b->u.hello.chroot);
		assert_limits_eq(&a->u.hello.limits, &b->u.hello.limits);
		cr_assert_eq(a->u.hello.log_level, b->u.hello.log_level);
		cr_assert_eq(a->u.hello.sandbox_debug,
		    b->u.hello.sandbox_debug);
		assert_optstr_eq(a->u.hello.hostkey, b->u.hello.hostkey);
		break;
	case MSG_READY:
		cr_assert_str_eq(a->u.ready.build, b->u.ready.build);
		cr_assert_eq(a->u.ready.pid, b->u.ready.pid);
		break;
	case MSG_SESSION:
		cr_assert_eq(a->u.session.id, b->u.session.id);
		cr_assert_str_eq(a->u.session.listener, b->u.session.listener);
		cr_assert_str_eq(a->u.session.peer, b->u.session.peer);
		cr_assert_str_eq(a->u.session.transport,
		    b->u.session.transport);
		cr_assert_str_eq(a->u.session.tenant, b->u.session.tenant);
		assert_limits_eq(&a->u.session.limits, &b->u.session.limits);
		cr_assert_eq(a->u.session.proxy, b->u.session.proxy);
		assert_optstr_eq(a->u.session.quota, b->u.session.quota);
		break;
	case MSG_PEER:
		cr_assert_str_eq(a->u.peer.addr, b->u.peer.addr);
		cr_assert_eq(a->u.peer.port, b->u.peer.port);
		break;
	case MSG_PEER_VERDICT:
		cr_assert_eq(a->u.peer_verdict.allow, b->u.peer_verdict.allow);
		cr_assert_str_eq(a->u.peer_verdict.message,
		    b->u.peer_verdict.message);
		break;
	case MSG_AUTH_QUERY:
		cr_assert_str_eq(a->u.auth_query.user, b->u.auth_query.user);
		cr_assert_str_eq(a->u.auth_query.keytype,
		    b->u.auth_query.keytype);
		assert_optstr_eq(a->u.auth_query.key, b->u.auth_query.key);
		cr_assert_eq(a->u.auth_query.signed_, b->u.auth_query.signed_);
		break;
	case MSG_AUTH_REPLY:
		cr_assert_eq(a->u.auth_reply.ok, b->u.auth_reply.ok);
		cr_assert_str_eq(a->u.auth_reply.tenant, b->u.auth_reply.tenant);
		assert_limits_eq(&a->u.auth_reply.limits,
		    &b->u.auth_reply.limits);
		break;
	case MSG_STATUS:
		cr_assert_str_eq(a->u.status.state, b->u.status.state);
		assert_counters_eq(&a->u.status.counters,
		    &b->u.status.counters);
		break;
	case MSG_LOG:
		cr_assert_eq(a->u.log.level, b->u.log.level);
		cr_assert_str_eq(a->u.log.msg, b->u.log.msg);
		break;
	case MSG_PING:
	case MSG_PONG:
		cr_assert_eq(a->u.ping.seq, b->u.ping.seq);
		break;
	case MSG_SHUTDOWN:
		cr_assert_eq(a->u.shutdown.grace, b->u.shutdown.grace);
		cr_assert_str_eq(a->u.shutdown.reason, b->u.shutdown.reason);
		break;
	case MSG_SESSION_END:
		cr_assert_str_eq(a->u.session_end.reason,
		    b->u.session_end.reason);
		assert_counters_eq(&a->u.session_end.counters,
		    &b->u.session_end.counters);
		break;
	default:
		cr_assert_fail("no comparison for type %d", (int)t);
	}
}

/* The lowest state in which t may arrive. */
static unsigned
ok_state(enum msg_type t)
{
	unsigned	 s = tinfo[t].states;

	return s & -s;
}

static enum msg_dir
sender(enum msg_type t)
{
	return tinfo[t].from == MSG_FROM_EITHER ? MSG_FROM_SUPERVISOR :
	    tinfo[t].from;
}

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

static void
encode_ok(enum msg_type t, const struct msg *m, const char *want)
{
	struct buf	 b;
	char		 err[ERRLEN];

	buf_init(&b, 0);
	cr_assert_eq(msg_encode(&b, t, &m->u, err, sizeof(err)), 0, "%s", err);
	cr_assert_str_eq(b.data, want);
	cr_assert_eq(b.len, strlen(want));
	buf_free(&b);
}

Test(encode, compact_bytes_in_table_order)
{
	struct msg	 m;

	sample(MSG_PING, 0, &m);
	m.u.ping.seq = 42;
	encode_ok(MSG_PING, &m, "{\"type\":\"ping\",\"v\":1,\"seq\":42}");
	sample(MSG_AUTH_QUERY, 0, &m);
	m.u.auth_query.key = "AAAA";
	encode_ok(MSG_AUTH_QUERY, &m, "{\"type\":\"auth_query\",\"v\":1,"
	    "\"user\":\"alice\",\"keytype\":\"ssh-ed25519\",\"key\":\"AAAA\","
	    "\"signed\":true}");
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
	    "\"line_max\":4096,\"outbuf_max\":262144,\"login_grace\":30},"
	    "\"log_level\":6,"
	    "\"sandbox_debug\":false}");
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
	sample(MSG_AUTH_REPLY, 0, &m);
	memset(&m.u.auth_reply.limits, 0, sizeof(m.u.auth_reply.limits));
	encode_bad(MSG_AUTH_REPLY, &m, "auth_reply: missing field \"limits\" "
	    "(ok is true)");
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
	{ MSG_AUTH_QUERY, 0 }, { MSG_AUTH_REPLY, 0 }, { MSG_AUTH_REPLY, 1 },
	{ MSG_STATUS, 0 }, { MSG_LOG, 0 }, { MSG_PING, 0 }, { MSG_PONG, 0 },
	{ MSG_SHUTDOWN, 0 }, { MSG_SESSION_END, 0 },
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
			if (t == MSG_HELLO && strcmp(paths[p], "hostkey") == 0)
				snprintf(want, sizeof(want), "hello: missing "
				    "field \"hostkey\" (transport ssh)");
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
	bool		 nonempty;
};

static const struct slen slens[] = {
	{ MSG_HELLO, 0, "build", 63, false },
	{ MSG_HELLO, 0, "listener", 63, false },
	{ MSG_HELLO, 0, "chroot", 255, false },
	{ MSG_HELLO, 1, "hostkey", 16384, true },
	{ MSG_READY, 0, "build", 63, false },
	{ MSG_SESSION, 0, "listener", 63, false },
	{ MSG_SESSION, 0, "peer", 63, false },
	{ MSG_SESSION, 0, "tenant", 63, false },
	{ MSG_PEER, 0, "addr", 63, true },
	{ MSG_PEER_VERDICT, 0, "message", 1024, false },
	{ MSG_AUTH_QUERY, 0, "user", 63, false },
	{ MSG_AUTH_QUERY, 0, "keytype", 47, true },
	{ MSG_AUTH_QUERY, 0, "key", 16384, false },
	{ MSG_AUTH_REPLY, 1, "tenant", 63, false },
	{ MSG_LOG, 0, "msg", 1024, false },
	{ MSG_SHUTDOWN, 0, "reason", 1024, false },
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
		if (s->nonempty) {
			snprintf(want, sizeof(want), "%s: field \"%s\": empty",
			    tinfo[s->t].name, s->path);
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
		    "shutdown, cpu, output, error, auth, proxy, refused" },
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

/* --- framing ----------------------------------------------------------- */

/* Send raw bytes with fds; msg_recv must refuse with want, leak nothing. */
static void
recv_rejects(const void *buf, size_t len, int nfds, enum msg_dir from,
    unsigned state, const char *want)
{
	struct msg	 m;
	int		 sv[2], p[2], before, nums[64], fds[64], i, rv;
	char		 err[ERRLEN];

	cr_assert_leq(nfds, 64);
	chan(sv, 0);
	cr_assert_eq(pipe2(p, O_CLOEXEC), 0);
	for (i = 0; i < nfds; i++)
		fds[i] = p[i % 2];
	before = open_fds();
	next_fds(nums, nfds < 3 ? nfds : 3);
	send_fds(sv[0], buf, len, fds, nfds);
	rv = msg_recv(sv[1], from, state, &m, err, sizeof(err));
	cr_assert_eq(rv, -2, "msg_recv returned %d (%s)", rv, err);
	cr_assert_str_eq(err, want);
	cr_assert_eq(m.fd, -1);
	cr_assert_null(m.json);
	for (i = 0; i < nfds && i < 3; i++)
		assert_closed(nums[i]);
	cr_assert_eq(open_fds(), before, "fds leaked");
	msg_clear(&m);
	close2(p);
	close2(sv);
}

static const char ping1[] = "{\"type\":\"ping\",\"v\":1,\"seq\":1}";
static const char session1[] = "{\"type\":\"session\",\"v\":1,\"id\":1,"
    "\"listener\":\"l\",\"peer\":\"p\",\"transport\":\"line\",\"tenant\":"
    "\"\",\"limits\":{\"budget\":1,\"heap\":64,\"stack\":1,\"cpu\":0,"
    "\"output_rate\":0,\"output_max\":0,\"idle\":0,\"idle_warn\":0,"
    "\"lifetime\":0,\"lifetime_warn\":0,\"line_max\":64,\"outbuf_max\":4096,"
    "\"login_grace\":0},"
    "\"proxy\":false}";

Test(framing, raw_session_is_valid)
{
	struct msg	 m;
	char		 err[ERRLEN];

	cr_assert_eq(msg_decode(session1, strlen(session1), 1,
	    MSG_FROM_SUPERVISOR, WS_IDLE, &m, err, sizeof(err)), 0, "%s", err);
	msg_clear(&m);
}

Test(framing, fd_where_none_belongs_is_closed)
{
	recv_rejects(ping1, strlen(ping1), 1, MSG_FROM_WORKER, WS_BUSY,
	    "ping: unexpected fd");
}

Test(framing, two_fds_are_both_closed)
{
	recv_rejects(ping1, strlen(ping1), 2, MSG_FROM_WORKER, WS_BUSY,
	    "ping: 2 fds attached (at most 1)");
	recv_rejects(session1, strlen(session1), 2, MSG_FROM_SUPERVISOR,
	    WS_IDLE, "session: 2 fds attached (at most 1)");
}

Test(framing, many_fds_truncate_and_are_closed)
{
	recv_rejects(ping1, strlen(ping1), 40, MSG_FROM_WORKER, WS_BUSY,
	    "message: control data truncated (too many fds)");
	recv_rejects(ping1, strlen(ping1), 32, MSG_FROM_WORKER, WS_BUSY,
	    "ping: 32 fds attached (at most 1)");
}

Test(framing, missing_fd)
{
	recv_rejects(session1, strlen(session1), 0, MSG_FROM_SUPERVISOR,
	    WS_IDLE, "session: missing fd");
}

Test(framing, fd_on_a_bad_message_is_closed)
{
	const char	 bad[] = "{\"type\":\"session\",\"v\":1,\"id\":0}";

	recv_rejects(bad, strlen(bad), 1, MSG_FROM_SUPERVISOR, WS_IDLE,
	    "session: field \"id\": 0 out of range (1..9007199254740992)");
	recv_rejects("nope", 4, 1, MSG_FROM_SUPERVISOR, WS_IDLE,
	    "message: invalid JSON at byte 4: '[' or '{' expected near 'nope'");
	recv_rejects(session1, strlen(session1), 1, MSG_FROM_WORKER, WS_IDLE,
	    "session: not allowed from worker");
	recv_rejects(session1, strlen(session1), 1, MSG_FROM_SUPERVISOR,
	    WS_BUSY, "session: not allowed in state busy");
}

Test(framing, oversized_datagram_truncates)
{
	char	*big;

	big = malloc(70000);
	memset(big, ' ', 70000);
	memcpy(big, ping1, strlen(ping1));
	recv_rejects(big, 70000, 1, MSG_FROM_WORKER, WS_BUSY,
	    "message: longer than 65536 bytes (truncated)");
	/* one byte past the maximum arrives whole and is refused */
	recv_rejects(big, MSG_MAX + 1, 1, MSG_FROM_WORKER, WS_BUSY,
	    "message: 65537 bytes (max 65536)");
	free(big);
}

Test(framing, exactly_the_maximum_arrives)
{
	struct msg	 m;
	char		*big, err[ERRLEN];
	int		 sv[2];

	big = malloc(MSG_MAX);
	memset(big, ' ', MSG_MAX);
	memcpy(big, ping1, strlen(ping1));
	chan(sv, 0);
	cr_assert_eq(msg_send_raw(sv[0], big, MSG_MAX, -1, 0), 0);
	cr_assert_eq(msg_recv(sv[1], MSG_FROM_WORKER, WS_BUSY, &m, err,
	    sizeof(err)), 1, "%s", err);
	cr_assert_eq(m.u.ping.seq, 1);
	msg_clear(&m);
	close2(sv);
	free(big);
}

Test(framing, credentials_are_refused)
{
	struct msg	 m;
	int		 sv[2], p[2], one = 1, before, num;
	char		 err[ERRLEN];

	chan(sv, 0);
	cr_assert_eq(setsockopt(sv[1], SOL_SOCKET, SO_PASSCRED, &one,
	    sizeof(one)), 0);
	cr_assert_eq(pipe2(p, O_CLOEXEC), 0);
	before = open_fds();
	next_fds(&num, 1);
	/* the kernel attaches SCM_CREDENTIALS (and we add an fd) */
	send_fds(sv[0], ping1, strlen(ping1), &p[0], 1);
	cr_assert_eq(msg_recv(sv[1], MSG_FROM_WORKER, WS_BUSY, &m, err,
	    sizeof(err)), -2);
	cr_assert_str_eq(err, "message: unexpected control message (level 1, "
	    "type 2)");
	assert_closed(num);
	cr_assert_eq(open_fds(), before);
	close2(p);
	close2(sv);
}

Test(framing, eof_is_zero)
{
	struct msg	 m;
	int		 sv[2];
	char		 err[ERRLEN];

	chan(sv, 0);
	close(sv[0]);
	cr_assert_eq(msg_recv(sv[1], MSG_FROM_WORKER, WS_BUSY, &m, err,
	    sizeof(err)), 0);
	cr_assert_eq(m.fd, -1);
	cr_assert_null(m.json);
	close(sv[1]);
}

/* An empty datagram reads like EOF: documented, and its fd is closed. */
Test(framing, empty_datagram_is_eof_and_leaks_nothing)
{
	struct msg	 m;
	int		 sv[2], p[2], before, num;
	char		 err[ERRLEN];

	chan(sv, 0);
	cr_assert_eq(pipe2(p, O_CLOEXEC), 0);
	before = open_fds();
	cr_assert_eq(msg_send_raw(sv[0], "", 0, -1, 0), 0);
	cr_assert_eq(msg_recv(sv[1], MSG_FROM_WORKER, WS_BUSY, &m, err,
	    sizeof(err)), 0);
	next_fds(&num, 1);
	cr_assert_eq(msg_send_raw(sv[0], "", 0, p[0], 0), 0);
	cr_assert_eq(msg_recv(sv[1], MSG_FROM_WORKER, WS_BUSY, &m, err,
	    sizeof(err)), 0);
	assert_closed(num);
	cr_assert_eq(open_fds(), before);
	close2(p);
	close2(sv);
}

Test(framing, eagain_on_an_empty_nonblocking_socket)
{
	struct msg	 m;
	int		 sv[2];
	char		 err[ERRLEN];

	chan(sv, SOCK_NONBLOCK);
	errno = 0;
	cr_assert_eq(msg_recv(sv[1], MSG_FROM_WORKER, WS_BUSY, &m, err,
	    sizeof(err)), -1);
	cr_assert_eq(errno, EAGAIN);
	cr_assert_eq(m.fd, -1);
	msg_clear(&m);
	close2(sv);
	errno = 0;
	cr_assert_eq(msg_recv(-1, MSG_FROM_WORKER, WS_BUSY, &m, err,
	    sizeof(err)), -1);
	cr_assert_eq(errno, EBADF);
}

Test(framing, send_refuses_bad_bodies_and_fd_mismatches)
{
	struct msg	 m, r;
	int		 sv[2], p[2];
	char		 err[ERRLEN];

	chan(sv, SOCK_NONBLOCK);
	cr_assert_eq(pipe2(p, O_CLOEXEC), 0);
	sample(MSG_SESSION, 0, &m);
	m.u.session.id = 0;
	errno = 0;
	cr_assert_eq(msg_send(sv[0], MSG_SESSION, &m.u, p[0], 0, err,
	    sizeof(err)), -1);
	cr_assert_eq(errno, EINVAL);
	cr_assert_str_eq(err, "session: field \"id\": 0 out of range "
	    "(1..9007199254740992)");
	sample(MSG_SESSION, 0, &m);
	cr_assert_eq(msg_send(sv[0], MSG_SESSION, &m.u, -1, 0, err,
	    sizeof(err)), -1);
	cr_assert_eq(errno, EINVAL);
	cr_assert_str_eq(err, "session: missing fd");
	sample(MSG_PING, 0, &m);
	cr_assert_eq(msg_send(sv[0], MSG_PING, &m.u, p[0], 0, err,
	    sizeof(err)), -1);
	cr_assert_eq(errno, EINVAL);
	cr_assert_str_eq(err, "ping: unexpected fd");
	/* nothing went out */
	cr_assert_eq(msg_recv(sv[1], MSG_FROM_WORKER, WS_BUSY, &r, err,
	    sizeof(err)), -1);
	cr_assert_eq(errno, EAGAIN);
	close2(p);
	close2(sv);
}

/*
 * Linux raises no SIGPIPE for SEQPACKET today (only for stream sockets),
 * so this cannot prove MSG_NOSIGNAL; with SIGPIPE back to its default
 * (criterion's workers ignore it) it would catch a kernel that does.
 */
Test(framing, send_to_a_closed_peer_is_epipe)
{
	struct msg	 m;
	int		 sv[2];
	char		 err[ERRLEN];

	cr_assert_neq(signal(SIGPIPE, SIG_DFL), SIG_ERR);
	chan(sv, 0);
	close(sv[1]);
	sample(MSG_PING, 0, &m);
	errno = 0;
	cr_assert_eq(msg_send(sv[0], MSG_PING, &m.u, -1, 0, err, sizeof(err)),
	    -1);
	cr_assert_eq(errno, EPIPE);
	cr_assert_eq(msg_send_raw(sv[0], "x", 1, -1, 0), -1);
	cr_assert_eq(errno, EPIPE);
	close(sv[0]);
}

Test(framing, dontwait_on_a_full_socket_is_eagain)
{
	struct msg	 m;
	int		 sv[2], i, rv = 0;
	char		 err[ERRLEN];

	chan(sv, 0);
	sample(MSG_LOG, 0, &m);
	memset(m.u.log.msg, 'x', MSG_TEXT_MAX);
	m.u.log.msg[MSG_TEXT_MAX] = '\0';
	for (i = 0; i < 100000; i++)
		if ((rv = msg_send(sv[0], MSG_LOG, &m.u, -1, MSG_DONTWAIT, err,
		    sizeof(err))) == -1)
			break;
	cr_assert_eq(rv, -1, "the socket never filled");
	cr_assert_eq(errno, EAGAIN);
	close2(sv);
}

Test(framing, messages_stay_apart)
{
	struct msg	 m;
	int		 sv[2], i;
	char		 err[ERRLEN];

	chan(sv, 0);
	for (i = 1; i <= 3; i++) {
		sample(MSG_PING, 0, &m);
		m.u.ping.seq = i;
		cr_assert_eq(msg_send(sv[0], MSG_PING, &m.u, -1, 0, err,
		    sizeof(err)), 0);
	}
	for (i = 1; i <= 3; i++) {
		cr_assert_eq(msg_recv(sv[1], MSG_FROM_SUPERVISOR, WS_IDLE, &m,
		    err, sizeof(err)), 1, "%s", err);
		cr_assert_eq(m.u.ping.seq, i);
		msg_clear(&m);
	}
	close2(sv);
}

/* --- names and limits -------------------------------------------------- */

Test(names, every_type)
{
	static const char *const names[] = { "hello", "ready", "session",
	    "peer", "peer_verdict", "auth_query", "auth_reply", "status", "log",
	    "ping", "pong", "shutdown", "session_end" };
	int	 t;

	cr_assert_eq((size_t)MSG_NTYPES, sizeof(names) / sizeof(names[0]));
	for (t = 0; t < MSG_NTYPES; t++)
		cr_assert_str_eq(msg_type_name((enum msg_type)t), names[t]);
	cr_assert_str_eq(msg_type_name(MSG_NTYPES), "unknown");
	cr_assert_str_eq(msg_type_name((enum msg_type)-1), "unknown");
	cr_assert_str_eq(msg_type_name(MSG_AUTH_QUERY), "auth_query");
}

Test(limits, defaults)
{
	struct msg_limits	 l;
	struct msg		 m;

	memset(&l, 0xa5, sizeof(l));
	msg_limits_default(&l);
#define DEF_EQ(name, def, min, max, unit, what)				\
	cr_assert_eq(l.name, (uint64_t)(def), #name);			\
	cr_assert_geq(l.name, (uint64_t)(min), #name " below min");	\
	cr_assert_leq(l.name, (uint64_t)(max), #name " above max");
	MSG_LIMITS(DEF_EQ)
#undef DEF_EQ
	cr_assert_eq(l.budget, 10000000);
	cr_assert_eq(l.heap, 1048576);
	cr_assert_eq(l.outbuf_max, 262144);
	/* and the defaults are sendable */
	sample(MSG_SESSION, 0, &m);
	m.u.session.limits = l;
	encode_ok(MSG_SESSION, &m, "{\"type\":\"session\",\"v\":1,\"id\":"
	    "1099511627776,\"listener\":\"local\",\"peer\":"
	    "\"[2001:db8::1]:50000\",\"transport\":\"line\",\"tenant\":"
	    "\"anonymous\",\"limits\":{\"budget\":10000000,\"heap\":1048576,"
	    "\"stack\":65536,\"cpu\":60,\"output_rate\":1048576,\"output_max\":"
	    "67108864,\"idle\":600,\"idle_warn\":60,\"lifetime\":14400,"
	    "\"lifetime_warn\":300,\"line_max\":4096,\"outbuf_max\":262144,"
	    "\"login_grace\":30},\"proxy\":true}");
}

Test(limits, min_treats_zero_as_none_where_min_is_zero)
{
	struct msg_limits	 a, b, out;

	msg_limits_default(&a);
	msg_limits_default(&b);
	a.cpu = 0;		/* none */
	b.cpu = 30;
	a.idle = 100;
	b.idle = 0;		/* none */
	a.lifetime = 0;
	b.lifetime = 0;		/* none and none */
	a.output_max = 10;
	b.output_max = 20;
	a.heap = 0;		/* min 64: 0 is not "none", it is invalid */
	b.heap = 4096;
	a.budget = 7;
	b.budget = 1000;
	a.line_max = 65536;
	b.line_max = 64;
	msg_limits_min(&out, &a, &b);
	cr_assert_eq(out.cpu, 30);
	cr_assert_eq(out.idle, 100);
	cr_assert_eq(out.lifetime, 0);
	cr_assert_eq(out.output_max, 10);
	cr_assert_eq(out.heap, 0);
	cr_assert_eq(out.budget, 7);
	cr_assert_eq(out.line_max, 64);
	cr_assert_eq(out.stack, a.stack);
	/* symmetric */
	msg_limits_min(&out, &b, &a);
	cr_assert_eq(out.cpu, 30);
	cr_assert_eq(out.idle, 100);
	cr_assert_eq(out.heap, 0);
	/* out may be one of the inputs */
	msg_limits_min(&a, &a, &b);
	cr_assert_eq(a.cpu, 30);
	cr_assert_eq(a.idle, 100);
	cr_assert_eq(a.budget, 7);
}

/* Every field, driven by the X-macro: 0 is "none" exactly where min is 0. */
Test(limits, min_every_field)
{
	struct msg_limits	 a, b, out;

#define EACH_MIN(name, def, min, max, unit, what)			\
	memset(&a, 0, sizeof(a));					\
	memset(&b, 0, sizeof(b));					\
	a.name = 0;							\
	b.name = 5;							\
	msg_limits_min(&out, &a, &b);					\
	cr_assert_eq(out.name, (min) == 0 ? 5 : 0, #name);		\
	msg_limits_min(&out, &b, &a);					\
	cr_assert_eq(out.name, (min) == 0 ? 5 : 0, #name);		\
	a.name = 9;							\
	msg_limits_min(&out, &a, &b);					\
	cr_assert_eq(out.name, 5, #name);				\
	a.name = (uint64_t)(max);					\
	b.name = (uint64_t)(max) - 1;					\
	msg_limits_min(&out, &a, &b);					\
	cr_assert_eq(out.name, (uint64_t)(max) - 1, #name);
	MSG_LIMITS(EACH_MIN)
#undef EACH_MIN
}

/* The supervisor's limits for !limits: optional, a non-empty string. */
Test(envelope, session_quota_is_an_optional_string)
{
	reject_prefix(MSG_SESSION,
	    "{\"type\":\"session\",\"v\":1,\"id\":1099511627776,\"listene"
	    "r\":\"local\",\"peer\":\"[2001:db8::1]:50000\",\"transport\""
	    ":\"line\",\"tenant\":\"anonymous\",\"limits\":{\"budget\":10"
	    "000000,\"heap\":1048576,\"stack\":65536,\"cpu\":60,\"output_"
	    "rate\":1048576,\"output_max\":67108864,\"idle\":600,\"idle_w"
	    "arn\":60,\"lifetime\":14400,\"lifetime_warn\":300,\"line_max"
	    "\":4096,\"outbuf_max\":262144,\"login_grace\":30},\"proxy\":"
	    "true,\"quota\":7}",
	    "session: field \"quota\"");
	reject_prefix(MSG_SESSION,
	    "{\"type\":\"session\",\"v\":1,\"id\":1099511627776,\"listene"
	    "r\":\"local\",\"peer\":\"[2001:db8::1]:50000\",\"transport\""
	    ":\"line\",\"tenant\":\"anonymous\",\"limits\":{\"budget\":10"
	    "000000,\"heap\":1048576,\"stack\":65536,\"cpu\":60,\"output_"
	    "rate\":1048576,\"output_max\":67108864,\"idle\":600,\"idle_w"
	    "arn\":60,\"lifetime\":14400,\"lifetime_warn\":300,\"line_max"
	    "\":4096,\"outbuf_max\":262144,\"login_grace\":30},\"proxy\":"
	    "true,\"quota\":\"\"}",
	    "session: field \"quota\"");
}
