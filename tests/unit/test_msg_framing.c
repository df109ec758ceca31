/*
 * test_msg_framing.c: the message layer's framing (msg.h): datagrams,
 * fd passing and every way a peer can abuse them (extra fds, truncation,
 * credentials, EOF, full sockets), plus the type names and the limits'
 * defaults and minimum. The table's fields are in test_msg.c.
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
    "\"lifetime\":0,\"lifetime_warn\":0,\"line_max\":64,\"line_timeout\":0,"
    "\"outbuf_max\":4096,"
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
	    "peer", "peer_verdict", "negotiated", "auth_query", "auth_reply",
	    "status", "log", "ping", "pong", "shutdown", "session_end",
	    "detach", "move", "resume", "resume_reply", "resume_refused",
	    "resumed", "detach_reply", "history", "history_save",
	    "takeover", "taken", "handover",
	    "handed", "reconnect", "record" };
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
	    "\"lifetime_warn\":300,\"line_max\":4096,\"line_timeout\":60,"
	    "\"outbuf_max\":262144,"
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
