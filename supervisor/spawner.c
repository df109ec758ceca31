/*
 * spawner.c: the helper process that starts workers (see spawner.h).
 *
 * Why a helper: posix_spawn() in the supervisor copied the supervisor's fd
 * table into every child (one fd per live worker, 10,000 with as many
 * sessions held) only for the child to close it again, and it held the
 * event loop until the child had exec'd, about 0.2 ms per worker, often
 * on the way of the next connection's hand-off. The helper has five fds,
 * and the supervisor's loop only sends it a datagram.
 *
 * How it starts a worker: clone(CLONE_VM | CLONE_VFORK), which is what
 * posix_spawn does (no copy of the page tables; the helper waits until
 * the child has exec'd or failed), plus CLONE_PARENT, so the worker is a
 * child of the supervisor. Every worker is still a fresh exec of the
 * worker program: its own address space and ASLR layout, nothing of the
 * helper's memory. The child sets up the exec contract of iridium-worker(8): its
 * own session, fds 0 and 1 on /dev/null, 2 on the stderr pipe or
 * /dev/null, the channel on 3, nothing else; signals are at their
 * defaults and unblocked in the helper already.
 *
 * The protocol is private to this file, both ends being this program: a
 * request is a datagram with a struct spawn_req, the strings (path, argv,
 * envp, each NUL-terminated) and SCM_RIGHTS with the channel and maybe the
 * stderr pipe; the answer a struct spawn_reply, in the order asked.
 */
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "msg.h"
#include "spawner.h"

#define SPAWN_REQ_MAX	8192		/* header and strings */
#define SPAWN_ARGS_MAX	32		/* argv and envp entries, each */
#define SPAWN_STACK	(64 * 1024)	/* the child's, until it execs */
#define REPLIES_PER_WAKEUP 64

/* The helper's own fds. */
#define HELPER_CHAN	3
#define HELPER_NULL	4

struct spawn_req {
	uint32_t	 nargv;
	uint32_t	 nenvp;
	/* then path, argv[], envp[]: NUL-terminated strings */
};

struct spawn_reply {
	int32_t		 pid;		/* -1: no child */
	int32_t		 err;		/* 0, or why it did not exec */
};

union spawn_cmsg {
	char		 buf[CMSG_SPACE(2 * sizeof(int))];
	struct cmsghdr	 align;
};

/* --- the helper ------------------------------------------------------ */

struct child {
	const char	*path;
	char		**argv;
	char		**envp;
	int		 chan;		/* to the worker's fd 3 */
	int		 errw;		/* to its fd 2, or -1: /dev/null */
	int		 err;		/* set by the child if it failed */
};

/*
 * The child, on its own stack in the helper's memory until it execs (the
 * helper is suspended meanwhile): system calls only. Every source fd is
 * above 3 and none is its own target, so each dup2 clears FD_CLOEXEC.
 */
static int
child_main(void *arg)
{
	struct child	*c = arg;

	if (setsid() == -1 || dup2(HELPER_NULL, 0) == -1 ||
	    dup2(HELPER_NULL, 1) == -1 ||
	    dup2(c->errw != -1 ? c->errw : HELPER_NULL, 2) == -1 ||
	    dup2(c->chan, MSG_CHAN_FD) == -1 ||
	    close_range(MSG_CHAN_FD + 1, ~0U, 0) == -1) {
		c->err = errno;
		_exit(127);
	}
	execve(c->path, c->argv, c->envp);
	c->err = errno;
	_exit(127);
}

/* Start one worker; its pid (or -1), with c->err set if it failed. */
static pid_t
start_child(struct child *c)
{
	static char	 stack[SPAWN_STACK] __attribute__((aligned(16)));
	pid_t		 pid;

	c->err = 0;
	pid = clone(child_main, stack + sizeof(stack),
	    CLONE_VM | CLONE_VFORK | CLONE_PARENT, c);
	if (pid == -1)
		c->err = errno;
	return pid;
}

/* Split n NUL-terminated strings off *p (up to end) into v[]. */
static int
take_strings(char **p, const char *end, char **v, uint32_t n)
{
	uint32_t	 i;
	char		*z;

	if (n > SPAWN_ARGS_MAX)
		return -1;
	for (i = 0; i < n; i++) {
		if ((z = memchr(*p, '\0', (size_t)(end - *p))) == NULL)
			return -1;
		v[i] = *p;
		*p = z + 1;
	}
	v[n] = NULL;
	return 0;
}

/* Serve one request; -1 when the supervisor is gone. */
static int
helper_one(void)
{
	static char	 buf[SPAWN_REQ_MAX];
	char		*argv[SPAWN_ARGS_MAX + 1], *envp[SPAWN_ARGS_MAX + 1];
	struct spawn_req req;
	struct spawn_reply rep;
	struct child	 c;
	struct msghdr	 mh;
	struct iovec	 iov;
	union spawn_cmsg cb;
	struct cmsghdr	*cm;
	int		 fds[2] = { -1, -1 }, nfds = 0;
	char		*p, *end, *z;
	ssize_t		 n;

	memset(&mh, 0, sizeof(mh));
	iov.iov_base = buf;
	iov.iov_len = sizeof(buf);
	mh.msg_iov = &iov;
	mh.msg_iovlen = 1;
	mh.msg_control = cb.buf;
	mh.msg_controllen = sizeof(cb.buf);
	if ((n = recvmsg(HELPER_CHAN, &mh, MSG_CMSG_CLOEXEC)) <= 0)
		return n == -1 && errno == EINTR ? 0 : -1;
	for (cm = CMSG_FIRSTHDR(&mh); cm != NULL; cm = CMSG_NXTHDR(&mh, cm))
		if (cm->cmsg_level == SOL_SOCKET &&
		    cm->cmsg_type == SCM_RIGHTS && nfds == 0) {
			nfds = (int)((cm->cmsg_len - CMSG_LEN(0)) /
			    sizeof(int));
			if (nfds > 2)
				nfds = 2;	/* MSG_CTRUNC below */
			memcpy(fds, CMSG_DATA(cm), (size_t)nfds * sizeof(int));
		}

	memset(&c, 0, sizeof(c));
	rep.pid = -1;
	rep.err = EINVAL;
	p = buf + sizeof(req);
	end = buf + n;
	if ((mh.msg_flags & (MSG_TRUNC | MSG_CTRUNC)) == 0 && nfds >= 1 &&
	    (size_t)n > sizeof(req)) {
		memcpy(&req, buf, sizeof(req));
		if ((z = memchr(p, '\0', (size_t)(end - p))) != NULL) {
			c.path = p;
			p = z + 1;
			if (take_strings(&p, end, argv, req.nargv) == 0 &&
			    take_strings(&p, end, envp, req.nenvp) == 0 &&
			    req.nargv > 0) {
				c.argv = argv;
				c.envp = envp;
				c.chan = fds[0];
				c.errw = nfds > 1 ? fds[1] : -1;
				rep.pid = start_child(&c);
				rep.err = c.err;
			}
		}
	}
	if (fds[0] != -1)
		close(fds[0]);
	if (fds[1] != -1)
		close(fds[1]);
	while (send(HELPER_CHAN, &rep, sizeof(rep), MSG_NOSIGNAL) == -1)
		if (errno != EINTR)
			return -1;
	return 0;
}

/*
 * The helper, just forked from the supervisor: its channel on 3,
 * /dev/null on 0, 1 and 4, stderr kept (or /dev/null, so that no fd it
 * receives lands on 2), nothing else open; every signal
 * at its default and unblocked (the children inherit both), its own
 * session (a terminal's ^C is the supervisor's to handle). It serves until
 * the supervisor closes the channel.
 */
static void __attribute__((noreturn))
helper_main(int chan, int devnull)
{
	struct sigaction sa;
	sigset_t	 none;
	int		 c, z, sig;

	if ((c = fcntl(chan, F_DUPFD_CLOEXEC, 10)) == -1 ||
	    (z = fcntl(devnull, F_DUPFD_CLOEXEC, 10)) == -1 ||
	    dup2(z, 0) == -1 || dup2(z, 1) == -1 ||
	    (fcntl(2, F_GETFD) == -1 && dup2(z, 2) == -1) ||
	    dup3(c, HELPER_CHAN, O_CLOEXEC) == -1 ||
	    dup3(z, HELPER_NULL, O_CLOEXEC) == -1 ||
	    close_range(HELPER_NULL + 1, ~0U, 0) == -1)
		_exit(1);
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = SIG_DFL;
	sigemptyset(&sa.sa_mask);
	for (sig = 1; sig < NSIG; sig++)
		(void)sigaction(sig, &sa, NULL);	/* EINVAL for some */
	sigemptyset(&none);
	if (sigprocmask(SIG_SETMASK, &none, NULL) == -1 || setsid() == -1)
		_exit(1);
	(void)prctl(PR_SET_NAME, "iridiumd-spawn", 0, 0, 0);
	while (helper_one() == 0)
		continue;
	_exit(0);
}

/* --- the supervisor's side --------------------------------------------- */

void
spawner_init(struct spawner *sp, struct evloop *loop, spawn_answer answer,
    void *arg)
{
	memset(sp, 0, sizeof(*sp));
	sp->pid = -1;
	sp->killed = 0;
	sp->fd = -1;
	sp->devnull = -1;
	sp->loop = loop;
	sp->answer = answer;
	sp->arg = arg;
	TAILQ_INIT(&sp->waiting);
}

/* What a worker's death before its pid came told us; NULL: nothing. */
static bool
take_early(struct spawner *sp, pid_t pid, struct spawn_early *e)
{
	unsigned	 i;

	for (i = 0; i < sp->nearly; i++) {
		if (sp->early[i].pid != pid)
			continue;
		*e = sp->early[i];
		sp->early[i] = sp->early[--sp->nearly];
		return true;
	}
	return false;
}

/*
 * The helper is gone (or useless): every worker it still owed an answer
 * fails to start. A child it may have started meanwhile is reaped as an
 * unknown one; it sees its channel closed and exits.
 */
static void
lost(struct spawner *sp, const char *why, int err)
{
	struct spawn_wait	*sw;

	if (sp->fd == -1)
		return;
	log_warnx("spawner %d %s; a new one starts with the next worker",
	    (int)sp->pid, why);
	ev_del(sp->loop, &sp->ev);
	close(sp->fd);
	sp->fd = -1;
	while ((sw = TAILQ_FIRST(&sp->waiting)) != NULL) {
		TAILQ_REMOVE(&sp->waiting, sw, entry);
		sp->answer(sp->arg, sw->cookie, -1, err, NULL);
	}
	sp->nearly = 0;
}

void
spawner_tick(struct spawner *sp, int64_t now)
{
	struct spawn_wait	*sw, *v;
	int64_t			 age;
	unsigned		 n = 0;
	char			 why[128];

	if (sp->fd == -1 || (sw = TAILQ_FIRST(&sp->waiting)) == NULL)
		return;
	age = now - sw->asked_ms;
	if (age <= sw->timeout_ms)
		return;
	TAILQ_FOREACH(v, &sp->waiting, entry)
		n++;
	snprintf(why, sizeof(why), "did not answer for %llds (%u worker%s "
	    "asked for): killed", (long long)(age / 1000), n, n == 1 ? "" :
	    "s");
	/* Ours until we reap it: the pid is no stranger's. */
	if (sp->pid > 0 && kill(sp->pid, SIGKILL) == -1 && errno != ESRCH)
		log_warn("kill spawner %d", (int)sp->pid);
	/* Not the workers' fault: their pools are not paused (err 0). */
	lost(sp, why, 0);
	/* Reaped as what it was, not as a stranger. */
	sp->killed = sp->pid;
	sp->pid = -1;
}

static void
reply_cb(struct ev *e, uint32_t events)
{
	struct spawner		*sp = e->arg;
	struct spawn_reply	 r;
	struct spawn_early	 early;
	struct spawn_wait	*sw;
	ssize_t			 n;
	bool			 died;
	int			 i;

	(void)events;
	for (i = 0; i < REPLIES_PER_WAKEUP && sp->fd != -1; i++) {
		n = recv(sp->fd, &r, sizeof(r), MSG_DONTWAIT);
		if (n == -1 && (errno == EAGAIN || errno == EINTR))
			return;
		if (n <= 0) {
			lost(sp, n == 0 ? "closed its channel" :
			    "cannot be read", ECHILD);
			return;
		}
		if (n != (ssize_t)sizeof(r) ||
		    (sw = TAILQ_FIRST(&sp->waiting)) == NULL) {
			lost(sp, "answered what was not asked", ECHILD);
			return;
		}
		TAILQ_REMOVE(&sp->waiting, sw, entry);
		died = r.pid > 0 && take_early(sp, r.pid, &early);
		/* A child that could not exec has exited: reap it now. */
		if (r.err != 0 && r.pid > 0 && !died)
			(void)waitpid(r.pid, NULL, WNOHANG);
		sp->answer(sp->arg, sw->cookie, r.err != 0 ? -1 : r.pid, r.err,
		    died ? &early : NULL);
	}
}

int
spawner_start(struct spawner *sp, int devnull)
{
	int		 sv[2];
	pid_t		 pid;

	sp->devnull = devnull;
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) == -1)
		return -1;
	if ((pid = fork()) == -1) {
		close(sv[0]);
		close(sv[1]);
		return -1;
	}
	if (pid == 0)
		helper_main(sv[1], devnull);
	close(sv[1]);
	sp->pid = pid;
	sp->fd = sv[0];
	ev_set(&sp->ev, sp->fd, reply_cb, sp);
	if (ev_add(sp->loop, &sp->ev, EPOLLIN) == -1) {
		lost(sp, "cannot be watched", ECHILD);
		return -1;
	}
	log_debug("spawner %d started", (int)pid);
	return 0;
}

void
spawner_stop(struct spawner *sp)
{
	if (sp->fd != -1) {
		ev_del(sp->loop, &sp->ev);
		close(sp->fd);
		sp->fd = -1;
	}
	/* It exits at the end of its channel. */
	if (sp->pid != -1)
		while (waitpid(sp->pid, NULL, 0) == -1 && errno == EINTR)
			continue;
	sp->pid = -1;
}

/* Append s and its NUL; -1 when it does not fit. */
static int
put_string(char *buf, size_t *len, const char *s)
{
	size_t	 n = strlen(s) + 1;

	if (n > SPAWN_REQ_MAX - *len)
		return -1;
	memcpy(buf + *len, s, n);
	*len += n;
	return 0;
}

int
spawner_request(struct spawner *sp, struct spawn_wait *sw, const char *path,
    char *const argv[], char *const envp[], int chan, int errw)
{
	static char	 buf[SPAWN_REQ_MAX];
	struct spawn_req req;
	struct msghdr	 mh;
	struct iovec	 iov;
	union spawn_cmsg cb;
	struct cmsghdr	*cm;
	int		 fds[2] = { chan, errw };
	size_t		 len = sizeof(req);
	uint32_t	 i;

	if (sp->fd == -1 && spawner_start(sp, sp->devnull) == -1)
		return errno;
	memset(&req, 0, sizeof(req));
	if (put_string(buf, &len, path) == -1)
		return E2BIG;
	for (i = 0; argv[i] != NULL; i++, req.nargv++)
		if (i >= SPAWN_ARGS_MAX || put_string(buf, &len, argv[i]) == -1)
			return E2BIG;
	for (i = 0; envp[i] != NULL; i++, req.nenvp++)
		if (i >= SPAWN_ARGS_MAX || put_string(buf, &len, envp[i]) == -1)
			return E2BIG;
	memcpy(buf, &req, sizeof(req));

	memset(&mh, 0, sizeof(mh));
	memset(&cb, 0, sizeof(cb));
	iov.iov_base = buf;
	iov.iov_len = len;
	mh.msg_iov = &iov;
	mh.msg_iovlen = 1;
	mh.msg_control = cb.buf;
	mh.msg_controllen = CMSG_SPACE((errw != -1 ? 2 : 1) * sizeof(int));
	cm = CMSG_FIRSTHDR(&mh);
	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_RIGHTS;
	cm->cmsg_len = CMSG_LEN((errw != -1 ? 2 : 1) * sizeof(int));
	memcpy(CMSG_DATA(cm), fds, (errw != -1 ? 2 : 1) * sizeof(int));
	if (sendmsg(sp->fd, &mh, MSG_DONTWAIT | MSG_NOSIGNAL) == -1)
		return errno;
	TAILQ_INSERT_TAIL(&sp->waiting, sw, entry);
	return 0;
}

bool
spawner_reaped(struct spawner *sp, pid_t pid, int status,
    const struct rusage *ru)
{
	if (pid == sp->pid) {
		lost(sp, "exited", ECHILD);
		sp->pid = -1;
		return true;
	}
	if (pid == sp->killed) {
		sp->killed = 0;
		return true;
	}
	if (TAILQ_EMPTY(&sp->waiting))
		return false;
	/* The oldest goes when full: its answer is the least likely due. */
	if (sp->nearly == SPAWN_EARLY_MAX) {
		memmove(&sp->early[0], &sp->early[1],
		    (SPAWN_EARLY_MAX - 1) * sizeof(sp->early[0]));
		sp->nearly--;
	}
	sp->early[sp->nearly].pid = pid;
	sp->early[sp->nearly].status = status;
	sp->early[sp->nearly].ru = *ru;
	sp->nearly++;
	return true;
}
