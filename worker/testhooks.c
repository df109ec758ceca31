/*
 * testhooks.c: the hostile worker of iridium-worker-test (see
 * testhooks.h). Compiled to nothing unless IRIDIUM_TEST_HOOKS is defined.
 *
 * Each hook does one thing a compromised or broken worker could do to the
 * supervisor, using the same channel and the same message code as the
 * real worker, so a test sees exactly what an attacker could send. The
 * table grows with the sandbox tests (open, execve, fork, connect, ...):
 * one row and one function per attempt.
 */
#ifdef IRIDIUM_TEST_HOOKS

#include <sys/types.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bsd/string.h>

#include "buf.h"
#include "msg.h"
#include "testhooks.h"
#include "transport.h"

#define TESTHOOK_FLOOD	10000		/* `log` messages sent by "flood" */
#define TESTHOOK_NAME	32

struct testhook {
	const char	*name;
	const char	*what;
	void		(*fn)(struct session *, struct buf *reply);
};

static void	hook_malformed(struct session *, struct buf *);
static void	hook_outofstate(struct session *, struct buf *);
static void	hook_badfield(struct session *, struct buf *);
static void	hook_fd(struct session *, struct buf *);
static void	hook_big(struct session *, struct buf *);
static void	hook_flood(struct session *, struct buf *);
static void	hook_crash(struct session *, struct buf *);
static void	hook_hang(struct session *, struct buf *);
static void	hook_exit(struct session *, struct buf *);

static const struct testhook testhooks[] = {
	{ "malformed", "send a datagram that is not JSON", hook_malformed },
	{ "outofstate", "send `ready` while busy", hook_outofstate },
	{ "badfield", "send a `status` with an unknown field", hook_badfield },
	{ "fd", "send a valid `status` with an fd attached", hook_fd },
	{ "big", "send a datagram longer than MSG_MAX", hook_big },
	{ "flood", "send 10000 `log` messages as fast as possible",
	    hook_flood },
	{ "crash", "abort()", hook_crash },
	{ "hang", "spin forever without answering the channel", hook_hang },
	{ "exit", "exit(3) without `session_end`", hook_exit },
	/* Sandbox escape attempts go here: open, execve, fork, ... */
};

/* What happened to a send, for the client's reply line. */
static void
hook_result(struct buf *reply, const char *name, int rv)
{
	if (rv == 0)
		buf_printf(reply, "test %s: sent\n", name);
	else
		buf_printf(reply, "test %s: send failed: %s\n", name,
		    strerror(errno));
}

/* A valid `status` body, encoded, for hooks that spoil it. */
static int
hook_status(struct session *s, struct buf *out)
{
	struct msg_status	 st;

	memset(&st, 0, sizeof(st));
	strlcpy(st.state, "busy", sizeof(st.state));
	session_counters(s, &st.counters);
	return msg_encode(out, MSG_STATUS, &st, NULL, 0);
}

static void
hook_malformed(struct session *s, struct buf *reply)
{
	static const char	 junk[] = "this is {not JSON";

	(void)s;
	hook_result(reply, "malformed", msg_send_raw(MSG_CHAN_FD, junk,
	    sizeof(junk) - 1, -1, 0));
}

static void
hook_outofstate(struct session *s, struct buf *reply)
{
	struct msg_ready	 r;

	(void)s;
	memset(&r, 0, sizeof(r));
	strlcpy(r.build, "testhook", sizeof(r.build));
	r.pid = getpid();
	hook_result(reply, "outofstate", msg_send(MSG_CHAN_FD, MSG_READY, &r,
	    -1, 0, NULL, 0));
}

static void
hook_badfield(struct session *s, struct buf *reply)
{
	struct buf	 b;
	int		 rv = -1;

	buf_init(&b, 0);
	/* Splice a field the table does not know before the final '}'. */
	if (hook_status(s, &b) == 0 && b.len > 0 &&
	    b.data[b.len - 1] == '}') {
		b.len--;
		if (buf_puts(&b, ",\"evil\":true}") == 0)
			rv = msg_send_raw(MSG_CHAN_FD, b.data, b.len, -1, 0);
	}
	hook_result(reply, "badfield", rv);
	buf_free(&b);
}

static void
hook_fd(struct session *s, struct buf *reply)
{
	struct buf	 b;
	int		 rv = -1;

	buf_init(&b, 0);
	/* fd 0 is /dev/null by the exec contract: harmless to pass. */
	if (hook_status(s, &b) == 0)
		rv = msg_send_raw(MSG_CHAN_FD, b.data, b.len, STDIN_FILENO, 0);
	hook_result(reply, "fd", rv);
	buf_free(&b);
}

static void
hook_big(struct session *s, struct buf *reply)
{
	struct buf	 b;
	int		 rv = -1;
	size_t		 i;

	(void)s;
	buf_init(&b, 0);
	/* Well-formed JSON, a valid type: only the size is wrong. */
	if (buf_puts(&b, "{\"type\":\"log\",\"v\":1,\"level\":6,\"msg\":\"") ==
	    0) {
		for (i = 0; i <= MSG_MAX && b.data != NULL; i++)
			if (buf_putc(&b, 'x') == -1)
				break;
		if (i > MSG_MAX && buf_puts(&b, "\"}") == 0)
			rv = msg_send_raw(MSG_CHAN_FD, b.data, b.len, -1, 0);
	}
	hook_result(reply, "big", rv);
	buf_free(&b);
}

static void
hook_flood(struct session *s, struct buf *reply)
{
	struct msg_log	 lm;
	int		 i, rv = 0;

	(void)s;
	memset(&lm, 0, sizeof(lm));
	lm.level = 6;
	for (i = 0; i < TESTHOOK_FLOOD && rv == 0; i++) {
		snprintf(lm.msg, sizeof(lm.msg), "test flood %d", i);
		rv = msg_send(MSG_CHAN_FD, MSG_LOG, &lm, -1, 0, NULL, 0);
	}
	hook_result(reply, "flood", rv);
}

static void
hook_crash(struct session *s, struct buf *reply)
{
	(void)s;
	(void)reply;
	abort();
}

static void
hook_hang(struct session *s, struct buf *reply)
{
	volatile unsigned long	 spin = 0;

	(void)s;
	(void)reply;
	for (;;)
		spin++;
}

static void
hook_exit(struct session *s, struct buf *reply)
{
	(void)s;
	(void)reply;
	exit(3);
}

int
testhook_line(struct session *s, const char *line, size_t len,
    struct buf *reply)
{
	const struct testhook	*h;
	char			 name[TESTHOOK_NAME + 1];
	size_t			 a = 0, b, i;

	while (a < len && (line[a] == ' ' || line[a] == '\t'))
		a++;
	if (len - a < 5 || memcmp(line + a, "!test", 5) != 0)
		return 0;
	a += 5;
	if (a < len && line[a] != ' ' && line[a] != '\t')
		return 0;	/* "!testing" is the REPL's business */
	while (a < len && (line[a] == ' ' || line[a] == '\t'))
		a++;
	b = len;
	while (b > a && (line[b - 1] == ' ' || line[b - 1] == '\t'))
		b--;
	if (a == b) {
		buf_puts(reply, "test hooks:\n");
		for (i = 0; i < sizeof(testhooks) / sizeof(testhooks[0]); i++)
			buf_printf(reply, "  %-12s %s\n", testhooks[i].name,
			    testhooks[i].what);
		return 1;
	}
	if (b - a <= TESTHOOK_NAME) {
		memcpy(name, line + a, b - a);
		name[b - a] = '\0';
		for (i = 0; i < sizeof(testhooks) / sizeof(testhooks[0]); i++) {
			h = &testhooks[i];
			if (strcmp(h->name, name) == 0) {
				h->fn(s, reply);
				return 1;
			}
		}
	}
	buf_puts(reply, "test: unknown hook; \"!test\" lists them\n");
	return 1;
}

#endif
