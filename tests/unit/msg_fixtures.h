/*
 * msg_fixtures.h: what test_msg.c and test_msg_framing.c share: the
 * MSG_TYPES columns, socketpair and fd helpers, and a valid sample body
 * of every message type. Included by both (each gets its own copy).
 */
#ifndef IRIDIUM_MSG_FIXTURES_H
#define IRIDIUM_MSG_FIXTURES_H

#define TWO53		9007199254740992LL
#define ERRLEN		512

/* The MSG_TYPES columns, for choosing senders and states. */
__attribute__((unused)) static const struct tinfo {
	const char	*name;
	enum msg_dir	 from;
	unsigned	 states;
	enum msg_fd	 fd;
} tinfo[MSG_NTYPES] = {
#define TINFO(N, n, dir, st, fdk)	[MSG_##N] = { #n, dir, st, fdk },
	MSG_TYPES(TINFO)
#undef TINFO
};

__attribute__((unused)) static const char *const state_name[] = {
	"starting", "idle", "busy", "stopping"
};

/* --- fixtures ---------------------------------------------------------- */

__attribute__((unused)) static void
chan(int sv[2], int extra)
{
	cr_assert_eq(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC | extra,
	    0, sv), 0, "socketpair: %s", strerror(errno));
}

__attribute__((unused)) static void
close2(int p[2])
{
	close(p[0]);
	close(p[1]);
}

/* Entries in /proc/self/fd: what leaks shows here. */
__attribute__((unused)) static int
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
__attribute__((unused)) static void
next_fds(int *out, int n)
{
	int	 i;

	for (i = 0; i < n; i++)
		cr_assert_geq(out[i] = open("/dev/null", O_RDONLY | O_CLOEXEC),
		    0);
	for (i = 0; i < n; i++)
		close(out[i]);
}

__attribute__((unused)) static void
assert_closed(int fd)
{
	errno = 0;
	cr_assert_eq(fcntl(fd, F_GETFD), -1, "fd %d is still open", fd);
	cr_assert_eq(errno, EBADF);
}

/* Send len bytes with n fds attached (n may pass what msg_send allows). */
__attribute__((unused)) static void
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

__attribute__((unused)) static const char hostkey[] =
    "-----BEGIN OPENSSH PRIVATE KEY-----\n"
    "b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtzc2gtZW\n"
    "-----END OPENSSH PRIVATE KEY-----\n";
__attribute__((unused)) static const char pubkey[] =
    "AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl";

__attribute__((unused)) static void
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
__attribute__((unused)) static void
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
			m->u.hello.record_fsize = 1048576 + MSG_RECORD_ROOM;
		} else {
			strlcpy(m->u.hello.transport, "ssh", 8);
			strlcpy(m->u.hello.listener, "ssh", MSG_NAME_MAX + 1);
			m->u.hello.uid = -1;
			m->u.hello.gid = -1;
			m->u.hello.log_level = 7;
			m->u.hello.sandbox_debug = true;
			m->u.hello.hostkey = hostkey;
			m->u.hello.kex = "curve25519-sha256";
			m->u.hello.ciphers = "aes128-ctr,"
			    "chacha20-poly1305@openssh.com";
			m->u.hello.macs = "hmac-sha2-256";
			m->u.hello.hostkey_algorithms = "ssh-ed25519";
		}
		break;
	case MSG_READY:
		strlcpy(m->u.ready.build, "iridium 0.1.0 (g1234abc)",
		    MSG_BUILD_MAX + 1);
		m->u.ready.pid = 4123;
		break;
	case MSG_TAKEOVER:
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
	case MSG_NEGOTIATED:
		strlcpy(m->u.negotiated.kex, "curve25519-sha256",
		    SSHALGO_NAME_MAX + 1);
		strlcpy(m->u.negotiated.cipher, "aes128-ctr",
		    SSHALGO_NAME_MAX + 1);
		strlcpy(m->u.negotiated.mac, "hmac-sha2-256",
		    SSHALGO_NAME_MAX + 1);
		strlcpy(m->u.negotiated.client, "SSH-2.0-paramiko_2.12.0",
		    MSG_CLIENT_MAX + 1);
		break;
	case MSG_AUTH_QUERY:
		strlcpy(m->u.auth_query.user, "alice", MSG_NAME_MAX + 1);
		strlcpy(m->u.auth_query.method, "publickey", 24);
		strlcpy(m->u.auth_query.keytype, "ssh-ed25519", 32);
		m->u.auth_query.key = pubkey;
		m->u.auth_query.signed_ = true;
		strlcpy(m->u.auth_query.sigalg, "ssh-ed25519", 40);
		break;
	case MSG_AUTH_REPLY:
		if (variant == 0) {
			m->u.auth_reply.ok = true;
			strlcpy(m->u.auth_reply.tenant, "acme",
			    MSG_NAME_MAX + 1);
			msg_limits_default(&m->u.auth_reply.limits);
			m->u.auth_reply.limits.budget = 5000;
			m->u.auth_reply.resume_window = 600;
			strlcpy(m->u.auth_reply.detached, "You have 1 detached "
			    "session: 42, detached 3m ago, 1,204 instructions.",
			    MSG_TEXT_MAX + 1);
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
	case MSG_DETACH:
		strlcpy(m->u.detach.reason, "hangup", 16);
		break;
	case MSG_MOVE:
		m->u.move.to = 43;
		break;
	case MSG_RESUME:
		m->u.resume.id = variant == 0 ? 42 : 0;
		if (variant == 2)
			strlcpy(m->u.resume.token, "AbCdEfGhIjKlMnOpQrSt-_",
			    MSG_TOKEN_LEN + 1);
		break;
	case MSG_DETACH_REPLY:
		if (variant == 0)
			strlcpy(m->u.detach_reply.token,
			    "AbCdEfGhIjKlMnOpQrSt-_", MSG_TOKEN_LEN + 1);
		else
			strlcpy(m->u.detach_reply.message, "This session "
			    "cannot be detached now.", MSG_TEXT_MAX + 1);
		break;
	case MSG_RESUME_REPLY:
		m->u.resume_reply.id = 42;
		break;
	case MSG_RECORD:
		strlcpy(m->u.record.mode, variant == 0 ? "output" : "all",
		    sizeof(m->u.record.mode));
		m->u.record.max = variant == 0 ? 0 : 1048576;
		if (variant != 0)
			strlcpy(m->u.record.notice, "This session is "
			    "recorded.", MSG_TEXT_MAX + 1);
		break;
	case MSG_RESUME_REFUSED:
		strlcpy(m->u.resume_refused.message, "No detached session 42 "
		    "of yours.", MSG_TEXT_MAX + 1);
		break;
	case MSG_RESUMED:
		m->u.resumed.id = 42;
		m->u.resumed.ok = variant == 0;
		if (variant != 0)
			strlcpy(m->u.resumed.message, "truncated at byte 12",
			    MSG_TEXT_MAX + 1);
		break;
	case MSG_HISTORY:
		m->u.history.keep = 500;
		if (variant == 0)
			m->u.history.lines = "load $1 #7\n!registers $1\n"
			    "\tprts @greeting \xc3\xa9";
		break;
	case MSG_HISTORY_SAVE:
		m->u.history_save.clear = variant != 0;
		if (variant == 0)
			m->u.history_save.lines = "inc $1";
		break;
	case MSG_TAKEN:
		m->u.taken.ok = variant == 0;
		if (variant != 0)
			strlcpy(m->u.taken.message, "no state came",
			    MSG_TEXT_MAX + 1);
		break;
	case MSG_HANDOVER:
		m->u.handover.to = 4124;
		break;
	case MSG_HANDED:
		m->u.handed.ok = variant == 0;
		break;
	case MSG_RECONNECT:
		strlcpy(m->u.reconnect.message, "The server is being upgraded; "
		    "reconnect and type !resume 42.", MSG_TEXT_MAX + 1);
		break;
	default:
		cr_assert_fail("no sample for type %d", (int)t);
	}
}

__attribute__((unused)) static void
assert_limits_eq(const struct msg_limits *a, const struct msg_limits *b)
{
#define CMP_LIMIT(name, def, min, max, unit, what)			\
	cr_assert_eq(a->name, b->name, "limits." #name);
	MSG_LIMITS(CMP_LIMIT)
#undef CMP_LIMIT
}

__attribute__((unused)) static void
assert_counters_eq(const struct msg_counters *a, const struct msg_counters *b)
{
#define CMP_COUNTER(name, what)	cr_assert_eq(a->name, b->name, #name);
	MSG_COUNTERS(CMP_COUNTER)
#undef CMP_COUNTER
}

__attribute__((unused)) static void
assert_optstr_eq(const char *a, const char *b)
{
	if (a == NULL || b == NULL)
		cr_assert(a == NULL && b == NULL, "one of two strings is NULL");
	else
		cr_assert_str_eq(a, b);
}

/* Field by field: what was sent is what arrived. */
__attribute__((unused)) static void
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
		cr_assert_eq(a->u.hello.record_fsize, b->u.hello.record_fsize);
		assert_optstr_eq(a->u.hello.hostkey, b->u.hello.hostkey);
		assert_optstr_eq(a->u.hello.kex, b->u.hello.kex);
		assert_optstr_eq(a->u.hello.ciphers, b->u.hello.ciphers);
		assert_optstr_eq(a->u.hello.macs, b->u.hello.macs);
		assert_optstr_eq(a->u.hello.hostkey_algorithms,
		    b->u.hello.hostkey_algorithms);
		break;
	case MSG_READY:
		cr_assert_str_eq(a->u.ready.build, b->u.ready.build);
		cr_assert_eq(a->u.ready.pid, b->u.ready.pid);
		break;
	case MSG_TAKEOVER:
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
	case MSG_NEGOTIATED:
		cr_assert_str_eq(a->u.negotiated.kex, b->u.negotiated.kex);
		cr_assert_str_eq(a->u.negotiated.cipher,
		    b->u.negotiated.cipher);
		cr_assert_str_eq(a->u.negotiated.mac, b->u.negotiated.mac);
		cr_assert_str_eq(a->u.negotiated.client,
		    b->u.negotiated.client);
		break;
	case MSG_AUTH_QUERY:
		cr_assert_str_eq(a->u.auth_query.user, b->u.auth_query.user);
		cr_assert_str_eq(a->u.auth_query.keytype,
		    b->u.auth_query.keytype);
		assert_optstr_eq(a->u.auth_query.key, b->u.auth_query.key);
		cr_assert_eq(a->u.auth_query.signed_, b->u.auth_query.signed_);
		cr_assert_str_eq(a->u.auth_query.method,
		    b->u.auth_query.method);
		cr_assert_str_eq(a->u.auth_query.sigalg,
		    b->u.auth_query.sigalg);
		break;
	case MSG_AUTH_REPLY:
		cr_assert_eq(a->u.auth_reply.ok, b->u.auth_reply.ok);
		cr_assert_str_eq(a->u.auth_reply.tenant, b->u.auth_reply.tenant);
		assert_limits_eq(&a->u.auth_reply.limits,
		    &b->u.auth_reply.limits);
		cr_assert_str_eq(a->u.auth_reply.message,
		    b->u.auth_reply.message);
		cr_assert_eq(a->u.auth_reply.resume_window,
		    b->u.auth_reply.resume_window);
		cr_assert_str_eq(a->u.auth_reply.detached,
		    b->u.auth_reply.detached);
		cr_assert_str_eq(a->u.auth_reply.command,
		    b->u.auth_reply.command);
		cr_assert_eq(a->u.auth_reply.no_pty, b->u.auth_reply.no_pty);
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
	case MSG_DETACH:
		cr_assert_str_eq(a->u.detach.reason, b->u.detach.reason);
		break;
	case MSG_MOVE:
		cr_assert_eq(a->u.move.to, b->u.move.to);
		break;
	case MSG_RESUME:
		cr_assert_eq(a->u.resume.id, b->u.resume.id);
		cr_assert_str_eq(a->u.resume.token, b->u.resume.token);
		break;
	case MSG_DETACH_REPLY:
		cr_assert_str_eq(a->u.detach_reply.token,
		    b->u.detach_reply.token);
		cr_assert_str_eq(a->u.detach_reply.message,
		    b->u.detach_reply.message);
		break;
	case MSG_RESUME_REPLY:
		cr_assert_eq(a->u.resume_reply.id, b->u.resume_reply.id);
		break;
	case MSG_RECORD:
		cr_assert_str_eq(a->u.record.mode, b->u.record.mode);
		cr_assert_eq(a->u.record.max, b->u.record.max);
		cr_assert_str_eq(a->u.record.notice, b->u.record.notice);
		break;
	case MSG_RESUME_REFUSED:
		cr_assert_str_eq(a->u.resume_refused.message,
		    b->u.resume_refused.message);
		break;
	case MSG_RESUMED:
		cr_assert_eq(a->u.resumed.id, b->u.resumed.id);
		cr_assert_eq(a->u.resumed.ok, b->u.resumed.ok);
		cr_assert_str_eq(a->u.resumed.message, b->u.resumed.message);
		break;
	case MSG_HISTORY:
		cr_assert_eq(a->u.history.keep, b->u.history.keep);
		cr_assert_str_eq(a->u.history.lines != NULL ?
		    a->u.history.lines : "(none)", b->u.history.lines != NULL ?
		    b->u.history.lines : "(none)");
		break;
	case MSG_HISTORY_SAVE:
		cr_assert_eq(a->u.history_save.clear, b->u.history_save.clear);
		cr_assert_str_eq(a->u.history_save.lines != NULL ?
		    a->u.history_save.lines : "(none)",
		    b->u.history_save.lines != NULL ?
		    b->u.history_save.lines : "(none)");
		break;
	case MSG_TAKEN:
		cr_assert_eq(a->u.taken.ok, b->u.taken.ok);
		cr_assert_str_eq(a->u.taken.message, b->u.taken.message);
		break;
	case MSG_HANDOVER:
		cr_assert_eq(a->u.handover.to, b->u.handover.to);
		break;
	case MSG_HANDED:
		cr_assert_eq(a->u.handed.ok, b->u.handed.ok);
		break;
	case MSG_RECONNECT:
		cr_assert_str_eq(a->u.reconnect.message,
		    b->u.reconnect.message);
		break;
	default:
		cr_assert_fail("no comparison for type %d", (int)t);
	}
}

/* The lowest state in which t may arrive. */
__attribute__((unused)) static unsigned
ok_state(enum msg_type t)
{
	unsigned	 s = tinfo[t].states;

	return s & -s;
}

__attribute__((unused)) static enum msg_dir
sender(enum msg_type t)
{
	return tinfo[t].from == MSG_FROM_EITHER ? MSG_FROM_SUPERVISOR :
	    tinfo[t].from;
}


/* Encode m as type t and expect exactly want. */
__attribute__((unused)) static void
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

#endif
