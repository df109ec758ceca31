/*
 * testhooks.c: the hostile worker of iridium-worker-test (see
 * testhooks.h). Compiled to nothing unless IRIDIUM_TEST_HOOKS is defined.
 *
 * Two kinds of hooks. Protocol hooks do one thing a compromised or broken
 * worker could do to the supervisor, using the same channel and the same
 * message code as the real worker, so a test sees exactly what an
 * attacker could send. Escape hooks try, after lock-down and from a live
 * session, one way out of the sandbox (open, execve, fork, connect,
 * ptrace, executable memory, ...): each reports what it attempted and what
 * the kernel answered. The expected answer is the worker killed by SIGSYS
 * before the hook returns (in debug mode the call fails with ENOSYS
 * instead and the hook says so), or a clean EACCES/EPERM where the
 * sandbox is designed to answer that way (file probes, rlimits).
 *
 * And one probe: testhook_probe(), which worker.c gives sandbox_enter()
 * in this executable only, records what Landlock alone refuses between
 * Landlock and seccomp; "!test landlock" reports it.
 */
#ifdef IRIDIUM_TEST_HOOKS

#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/personality.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/un.h>

#include <netinet/in.h>

#include <errno.h>
#include <fcntl.h>
#include <linux/futex.h>
#include <linux/sched.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bsd/string.h>

#include "buf.h"
#include "log.h"
#include "msg.h"
#include "session.h"
#include "testhooks.h"

#define TESTHOOK_FLOOD	10000		/* `log` messages sent by "flood" */
#define TESTHOOK_NAME	32
#define TESTHOOK_PAGE	4096
#define TESTHOOK_SLOWPOLL_MS 1000	/* "slowpoll" */

struct testhook {
	const char	*name;
	const char	*what;
	void		(*fn)(struct session *, struct buf *reply);
};

/*
 * An escape attempt: a function, or (try NULL) one raw syscall(nr, arg)
 * where every argument is a number. Either returns what the call
 * returned, -1 with errno when it failed. Should a call succeed, a
 * function undoes what it can (closes the fd, the child exits at once).
 */
struct escape {
	const char	*name;
	const char	*what;
	long		(*try)(struct session *);
	long		 nr;
	long		 arg[6];
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
static void	hook_landlock(struct session *, struct buf *);
static void	hook_slowpoll(struct session *, struct buf *);
static void	hook_detach(struct session *, struct buf *);
static void	hook_resumed(struct session *, struct buf *);
static void	hook_taken(struct session *, struct buf *);
static void	hook_badstate(struct session *, struct buf *);
static void	hook_dieonmove(struct session *, struct buf *);
static void	hook_historybig(struct session *, struct buf *);
static void	hook_historyctl(struct session *, struct buf *);
static void	hook_historysave(struct session *, struct buf *);
static void	hook_historyflood(struct session *, struct buf *);

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
	{ "landlock", "what Landlock alone refused at lock-down",
	    hook_landlock },
	{ "slowpoll", "every poll checkpoint of a command from now on takes "
	    "a second, the session still answering (a slow command)",
	    hook_slowpoll },
	{ "detach", "send `detach` while the client is still here",
	    hook_detach },
	{ "resumed", "send `resumed` when no resume is under way",
	    hook_resumed },
	{ "taken", "send `taken` when no session was given to take over",
	    hook_taken },
	{ "badstate", "answer a `move` (once detached) or a `handover` (an "
	    "upgrade) with bytes that are no saved session", hook_badstate },
	{ "dieonmove", "exit at a `move` (once detached) or a `handover` "
	    "(an upgrade) before writing", hook_dieonmove },
	{ "historybig", "send `history_save` with lines over its bound",
	    hook_historybig },
	{ "historyctl", "send `history_save` with an escape sequence in a "
	    "line", hook_historyctl },
	{ "historysave", "send a valid `history_save` of one line",
	    hook_historysave },
	{ "historyflood", "send 300 valid `history_save` messages",
	    hook_historyflood },
};

/* "badstate", "dieonmove": what a `move` gets. */
static enum { MOVE_HONEST, MOVE_GARBAGE, MOVE_DIE } testhook_move;

/* "slowpoll": the wait at each poll checkpoint, in ms. */
static int	testhook_slowpoll_ms;

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

/* --- sandbox escape attempts ---------------------------------------------- */

/* A page of our own, read-write, for the memory attempts. */
static void *
esc_page(void)
{
	void	*p;

	p = mmap(NULL, TESTHOOK_PAGE, PROT_READ | PROT_WRITE,
	    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	return p == MAP_FAILED ? NULL : p;
}

/* The result of an fd-making call: closed again if it worked. */
static long
esc_fd(long fd)
{
	if (fd >= 0)
		close((int)fd);
	return fd;
}

/* The result of a process-making call: a child leaves at once. */
static long
esc_child(long pid)
{
	if (pid == 0)
		_exit(0);
	return pid;
}

static void
esc_loopback(struct sockaddr_in *sin, int port)
{
	memset(sin, 0, sizeof(*sin));
	sin->sin_family = AF_INET;
	sin->sin_port = htons((uint16_t)port);
	sin->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
}

static long
esc_open(struct session *s)
{
	(void)s;
	return esc_fd(open("/etc/passwd", O_RDONLY | O_CLOEXEC));
}

static long
esc_openroot(struct session *s)
{
	(void)s;
	return esc_fd(open("/", O_RDONLY | O_DIRECTORY | O_CLOEXEC));
}

static long
esc_stat(struct session *s)
{
	struct stat	 st;

	(void)s;
	return stat("/etc/passwd", &st);
}

static long
esc_write(struct session *s)
{
	(void)s;
	/* Behind the filter: FSIZE 0 and Landlock would refuse it too. */
	return esc_fd(open("/tmp/iridium-escape", O_WRONLY | O_CREAT |
	    O_TRUNC | O_CLOEXEC, 0600));
}

static long
esc_execve(struct session *s)
{
	static char	 sh[] = "/bin/sh", c[] = "-c", cmd[] = "id";
	char *const	 argv[] = { sh, c, cmd, NULL };
	char *const	 envp[] = { NULL };

	(void)s;
	return execve(sh, argv, envp);
}

static long
esc_fork(struct session *s)
{
	(void)s;
	return esc_child(fork());
}

static long
esc_clone_ns(struct session *s)
{
	(void)s;
	/* No stack: the child runs on a copy of ours, as after fork. */
	return esc_child(syscall(SYS_clone, (long)(CLONE_NEWUSER |
	    CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWNET | SIGCHLD), 0L, 0L, 0L,
	    0L));
}

static long
esc_clone3_ns(struct session *s)
{
	struct clone_args	 ca;

	(void)s;
	memset(&ca, 0, sizeof(ca));
	ca.flags = CLONE_NEWUSER | CLONE_NEWNS;
	ca.exit_signal = SIGCHLD;
	return esc_child(syscall(SYS_clone3, &ca, sizeof(ca)));
}

static void *
esc_thread_main(void *arg)
{
	return arg;
}

static long
esc_thread(struct session *s)
{
	pthread_t	 t;
	int		 rc;

	(void)s;
	if ((rc = pthread_create(&t, NULL, esc_thread_main, NULL)) != 0) {
		errno = rc;
		return -1;
	}
	pthread_join(t, NULL);
	return 0;
}

static long
esc_socket_inet(struct session *s)
{
	struct sockaddr_in	 sin;
	int			 fd;

	(void)s;
	if ((fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1)
		return -1;
	esc_loopback(&sin, 22);
	(void)connect(fd, (struct sockaddr *)&sin, sizeof(sin));
	return esc_fd(fd);
}

static long
esc_socket_unix(struct session *s)
{
	struct sockaddr_un	 sun;
	int			 fd;

	(void)s;
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1)
		return -1;
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	strlcpy(sun.sun_path, "/run/systemd/private", sizeof(sun.sun_path));
	(void)connect(fd, (struct sockaddr *)&sun, sizeof(sun));
	return esc_fd(fd);
}

static long
esc_connect(struct session *s)
{
	struct sockaddr_in	 sin;

	esc_loopback(&sin, 22);
	return connect(s->client, (struct sockaddr *)&sin, sizeof(sin));
}

static long
esc_bind(struct session *s)
{
	struct sockaddr_in	 sin;

	esc_loopback(&sin, 0);
	return bind(s->client, (struct sockaddr *)&sin, sizeof(sin));
}

static long
esc_socketpair(struct session *s)
{
	int	 sv[2];

	(void)s;
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) == -1)
		return -1;
	close(sv[1]);
	return esc_fd(sv[0]);
}

static long
esc_pipe(struct session *s)
{
	int	 p[2];

	(void)s;
	if (syscall(SYS_pipe2, p, O_CLOEXEC) == -1)
		return -1;
	close(p[1]);
	return esc_fd(p[0]);
}

static long
esc_mprotect_exec(struct session *s)
{
	void	*p;
	long	 rv;

	(void)s;
	if ((p = esc_page()) == NULL)
		return -1;
	rv = mprotect(p, TESTHOOK_PAGE, PROT_READ | PROT_EXEC);
	munmap(p, TESTHOOK_PAGE);
	return rv;
}

static long
esc_pkey_mprotect(struct session *s)
{
	void	*p;
	long	 rv;

	(void)s;
	if ((p = esc_page()) == NULL)
		return -1;
	rv = syscall(SYS_pkey_mprotect, p, (long)TESTHOOK_PAGE,
	    (long)(PROT_READ | PROT_EXEC), -1L);
	munmap(p, TESTHOOK_PAGE);
	return rv;
}

static long
esc_memfd(struct session *s)
{
	(void)s;
	return esc_fd(syscall(SYS_memfd_create, "escape", 0L));
}

static long
esc_madvise_merge(struct session *s)
{
	void	*p;
	long	 rv;

	(void)s;
	if ((p = esc_page()) == NULL)
		return -1;
	rv = madvise(p, TESTHOOK_PAGE, MADV_MERGEABLE);
	munmap(p, TESTHOOK_PAGE);
	return rv;
}

static long
esc_futex_pi(struct session *s)
{
	static uint32_t	 word;

	(void)s;
	return syscall(SYS_futex, &word, (long)FUTEX_LOCK_PI, 0L, NULL,
	    NULL, 0L);
}

static long
esc_rlimit_nofile(struct session *s)
{
	struct rlimit	 rl = { 1024, 1024 };

	(void)s;
	return setrlimit(RLIMIT_NOFILE, &rl);
}

static long
esc_rlimit_cpu(struct session *s)
{
	struct rlimit	 rl = { RLIM_INFINITY, RLIM_INFINITY };

	(void)s;
	return setrlimit(RLIMIT_CPU, &rl);
}

static long
esc_setrlimit_raw(struct session *s)
{
	struct rlimit	 rl = { 1024, 1024 };

	(void)s;
	return syscall(SYS_setrlimit, (long)RLIMIT_NOFILE, &rl);
}

static long
esc_prlimit_other(struct session *s)
{
	struct rlimit	 rl;

	(void)s;
	return syscall(SYS_prlimit64, 1L, (long)RLIMIT_NOFILE, NULL, &rl);
}

static long
esc_chdir(struct session *s)
{
	(void)s;
	return chdir("..");
}

static long
esc_chroot(struct session *s)
{
	(void)s;
	return chroot(".");
}

static long
esc_mkdir(struct session *s)
{
	(void)s;
	return syscall(SYS_mkdir, "/escape", 0700L);
}

static long
esc_tiocsti(struct session *s)
{
	static const char	 c = 'x';

	return ioctl(s->client, TIOCSTI, &c);
}

static long
esc_setsockopt(struct session *s)
{
	int	 v = 1 << 20;

	return setsockopt(s->client, SOL_SOCKET, SO_SNDBUF, &v, sizeof(v));
}

static long
esc_sendto_addr(struct session *s)
{
	struct sockaddr_in	 sin;

	esc_loopback(&sin, 22);
	return sendto(s->client, "", 0, MSG_NOSIGNAL, (struct sockaddr *)&sin,
	    sizeof(sin));
}

static long
esc_sigaction(struct session *s)
{
	struct sigaction	 sa;

	(void)s;
	/* Surviving the filter by ignoring its signal: not even asked. */
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = SIG_IGN;
	return sigaction(SIGSYS, &sa, NULL);
}

static long
esc_i386(struct session *s)
{
	(void)s;
#ifdef __x86_64__
	long	 rv;

	/* getpid (20) through the 32-bit entry: the filter's arch check. */
	__asm__ volatile("int $0x80" : "=a"(rv) : "a"(20L) :
	    "r8", "r9", "r10", "r11", "memory", "cc");
	if (rv < 0 && rv > -4096) {
		errno = (int)-rv;
		return -1;
	}
	return rv;
#else
	errno = ENOSYS;
	return -1;
#endif
}

/*
 * The session's recording (record.h): the worker may append events to
 * it and do nothing else. Each of these is what a compromised worker
 * would try on it, or through it on the file system.
 */
static long
esc_rec_lseek(struct session *s)
{
	return (long)lseek(s->rec.fd, 0, SEEK_SET);
}

static long
esc_rec_ftruncate(struct session *s)
{
	return ftruncate(s->rec.fd, 0);
}

static long
esc_rec_fchmod(struct session *s)
{
	return fchmod(s->rec.fd, 0666);
}

static long
esc_rec_fchown(struct session *s)
{
	return fchown(s->rec.fd, getuid(), getgid());
}

static long
esc_rec_pwrite(struct session *s)
{
	static const char	 forged[] = "{\"version\":2}\n";

	return (long)pwrite(s->rec.fd, forged, sizeof(forged) - 1, 0);
}

static long
esc_rec_fallocate(struct session *s)
{
	return fallocate(s->rec.fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
	    0, 4096);
}

/* The file by its /proc name: another open file description. */
static long
esc_rec_procfd(struct session *s)
{
	char	 path[64];

	snprintf(path, sizeof(path), "/proc/self/fd/%d", s->rec.fd);
	return esc_fd(open(path, O_RDWR | O_TRUNC | O_CLOEXEC));
}

/* A sibling in its directory, through the fd. */
static long
esc_rec_openat(struct session *s)
{
	return esc_fd(openat(s->rec.fd, "../other.cast", O_WRONLY | O_CREAT |
	    O_CLOEXEC, 0644));
}

/* Past the file size the supervisor allowed: SIGXFSZ. */
static long
esc_rec_grow(struct session *s)
{
	static char	 junk[65536];
	ssize_t		 n;
	long		 total = 0;

	memset(junk, 'x', sizeof(junk));
	while ((n = write(s->rec.fd, junk, sizeof(junk))) > 0)
		total += n;
	return n == -1 ? -1 : total;
}

#define FN(name, what, fn)	{ name, what, fn, 0, { 0 } }
#define SYS(name, what, nr, ...) { name, what, NULL, nr, { __VA_ARGS__ } }

#if defined(__SANITIZE_ADDRESS__)
/*
 * Not an escape: a bug for the sanitizers to report (ASan and UBSan
 * builds only), whose report must reach the log through the sandbox.
 */
static long
esc_sanitizer(struct session *s)
{
	volatile size_t	 past = 8;
	char		*p;

	(void)s;
	if ((p = malloc(8)) == NULL)
		return -1;
	p[past] = 1;
	free(p);
	return 0;
}
#endif

static const struct escape escapes[] = {
	FN("open", "open(\"/etc/passwd\")", esc_open),
	FN("rec_lseek", "lseek(the recording, 0)", esc_rec_lseek),
	FN("rec_ftruncate", "ftruncate(the recording, 0)",
	    esc_rec_ftruncate),
	FN("rec_fchmod", "fchmod(the recording, 0666)", esc_rec_fchmod),
	FN("rec_fchown", "fchown(the recording)", esc_rec_fchown),
	FN("rec_pwrite", "pwrite(the recording, offset 0)", esc_rec_pwrite),
	FN("rec_fallocate", "fallocate(the recording, punch a hole)",
	    esc_rec_fallocate),
	FN("rec_procfd", "open(\"/proc/self/fd/N\"), the recording again",
	    esc_rec_procfd),
	FN("rec_openat", "openat(the recording, \"../other.cast\")",
	    esc_rec_openat),
	FN("rec_grow", "write to the recording past its size limit",
	    esc_rec_grow),
	FN("openroot", "open(\"/\"), the chroot's own root", esc_openroot),
	FN("stat", "stat(\"/etc/passwd\")", esc_stat),
	FN("write", "open(\"/tmp/iridium-escape\", O_WRONLY | O_CREAT)",
	    esc_write),
	FN("execve", "execve(\"/bin/sh\")", esc_execve),
	FN("fork", "fork()", esc_fork),
	FN("clone_ns", "clone(CLONE_NEWUSER | CLONE_NEWNS | CLONE_NEWPID | "
	    "CLONE_NEWNET)", esc_clone_ns),
	FN("clone3_ns", "clone3(CLONE_NEWUSER | CLONE_NEWNS)", esc_clone3_ns),
	SYS("unshare", "unshare(CLONE_NEWUSER | CLONE_NEWNS)", SYS_unshare,
	    CLONE_NEWUSER | CLONE_NEWNS),
	FN("thread", "pthread_create()", esc_thread),
	FN("socket_inet", "socket(AF_INET), connect to 127.0.0.1:22",
	    esc_socket_inet),
	FN("socket_unix", "socket(AF_UNIX), connect to /run/systemd/private",
	    esc_socket_unix),
	FN("connect", "connect(client socket, 127.0.0.1:22)", esc_connect),
	FN("bind", "bind(client socket, 127.0.0.1:0)", esc_bind),
	FN("socketpair", "socketpair(AF_UNIX): new fds", esc_socketpair),
	FN("pipe", "pipe2(): new fds", esc_pipe),
	SYS("dup", "dup(0): a new fd", SYS_dup, 0),
	SYS("fcntl_dupfd", "fcntl(0, F_DUPFD_CLOEXEC): a new fd", SYS_fcntl,
	    0, F_DUPFD_CLOEXEC, 0),
	SYS("ptrace", "ptrace(PTRACE_TRACEME)", SYS_ptrace, PTRACE_TRACEME),
	/* The supervisor's pid is not ours to know (no getppid): init's. */
	SYS("ptrace_attach", "ptrace(PTRACE_ATTACH, 1)", SYS_ptrace,
	    PTRACE_ATTACH, 1),
	SYS("process_vm", "process_vm_readv(1)", SYS_process_vm_readv,
	    1, 0, 0, 0, 0, 0),
	FN("mprotect_exec", "mprotect(page, PROT_READ | PROT_EXEC)",
	    esc_mprotect_exec),
	FN("pkey_mprotect", "pkey_mprotect(page, PROT_READ | PROT_EXEC)",
	    esc_pkey_mprotect),
	SYS("mmap_exec", "mmap(PROT_READ | PROT_EXEC, MAP_ANONYMOUS)",
	    SYS_mmap, 0, TESTHOOK_PAGE, PROT_READ | PROT_EXEC,
	    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0),
	/* fd 0 is /dev/null: the kernel itself would say ENODEV. */
	SYS("mmap_file", "mmap(fd 0, MAP_SHARED)", SYS_mmap,
	    0, TESTHOOK_PAGE, PROT_READ, MAP_SHARED, 0, 0),
	FN("memfd", "memfd_create()", esc_memfd),
	FN("madvise_merge", "madvise(page, MADV_MERGEABLE)",
	    esc_madvise_merge),
	FN("futex_pi", "futex(FUTEX_LOCK_PI)", esc_futex_pi),
	SYS("kill", "kill(1, 0)", SYS_kill, 1, 0),
	SYS("tgkill", "tgkill(1, 1, 0)", SYS_tgkill, 1, 1, 0),
	SYS("setuid", "setuid(0)", SYS_setuid, 0),
	FN("rlimit_nofile", "setrlimit(RLIMIT_NOFILE, 1024)",
	    esc_rlimit_nofile),
	FN("rlimit_cpu", "setrlimit(RLIMIT_CPU, unlimited)", esc_rlimit_cpu),
	FN("setrlimit_raw", "the setrlimit syscall (NOFILE 1024)",
	    esc_setrlimit_raw),
	FN("prlimit_other", "prlimit64(1, RLIMIT_NOFILE)", esc_prlimit_other),
	FN("chdir", "chdir(\"..\")", esc_chdir),
	SYS("fchdir", "fchdir(3)", SYS_fchdir, MSG_CHAN_FD),
	FN("chroot", "chroot(\".\")", esc_chroot),
	SYS("mount", "mount()", SYS_mount, 0, 0, 0, 0, 0),
	FN("mkdir", "mkdir(\"/escape\")", esc_mkdir),
	/* The "shocker" container escape: a file by handle, not by path. */
	SYS("open_by_handle", "open_by_handle_at(0)", SYS_open_by_handle_at,
	    0, 0, O_RDONLY),
	FN("tiocsti", "ioctl(client socket, TIOCSTI)", esc_tiocsti),
	SYS("dumpable", "prctl(PR_SET_DUMPABLE, 1)", SYS_prctl,
	    PR_SET_DUMPABLE, 1, 0, 0, 0),
	SYS("personality", "personality(READ_IMPLIES_EXEC)", SYS_personality,
	    READ_IMPLIES_EXEC),
	/* KEYCTL_GET_KEYRING_ID (0) of KEY_SPEC_SESSION_KEYRING (-3) */
	SYS("keyctl", "keyctl(KEYCTL_GET_KEYRING_ID)", SYS_keyctl, 0, -3, 0),
	SYS("bpf", "bpf(BPF_MAP_CREATE)", SYS_bpf, 0, 0, 0),
	SYS("userfaultfd", "userfaultfd()", SYS_userfaultfd, O_CLOEXEC),
	SYS("io_uring", "io_uring_setup(1)", SYS_io_uring_setup, 1, 0),
	SYS("perf", "perf_event_open()", SYS_perf_event_open,
	    0, 0, -1, -1, 0),
	FN("setsockopt", "setsockopt(client socket, SO_SNDBUF)",
	    esc_setsockopt),
	FN("sendto_addr", "sendto(client socket, 127.0.0.1:22)",
	    esc_sendto_addr),
	FN("sigaction", "sigaction(SIGSYS, SIG_IGN)", esc_sigaction),
	FN("i386", "int 0x80: getpid through the i386 entry", esc_i386),
	/* getpid with the x32 bit: a number outside the x86_64 table. */
	SYS("x32", "syscall(__X32_SYSCALL_BIT | SYS_getpid)",
	    0x40000000L | SYS_getpid, 0),
#if defined(__SANITIZE_ADDRESS__)
	FN("sanitizer", "a heap overflow for the sanitizers", esc_sanitizer),
#endif
};

#undef FN
#undef SYS

/*
 * "test NAME: WHAT -> EACCES (Permission denied)", or "-> ok (N)". The
 * attempt is logged first: when the filter kills us, the supervisor's
 * log still says what was tried.
 */
static void
escape_run(const struct escape *e, struct session *s, struct buf *reply)
{
	const char	*ename;
	long		 rv;
	int		 saved;

	log_info("test %s: trying %s", e->name, e->what);
	errno = 0;
	if (e->try != NULL)
		rv = e->try(s);
	else
		rv = syscall(e->nr, e->arg[0], e->arg[1], e->arg[2], e->arg[3],
		    e->arg[4], e->arg[5]);
	saved = errno;
	if (rv >= 0) {
		buf_printf(reply, "test %s: %s -> ok (%ld)\n", e->name,
		    e->what, rv);
		return;
	}
	ename = strerrorname_np(saved);
	buf_printf(reply, "test %s: %s -> %s (%s)\n", e->name, e->what,
	    ename != NULL ? ename : "?", strerror(saved));
}

/* --- Landlock, seen before seccomp ---------------------------------------- */

static char	 landlock_report[256] = "no probe ran";

static const char *
probe_errno(long rv, int e)
{
	const char	*name;

	if (rv >= 0)
		return "ok";
	name = strerrorname_np(e);
	return name != NULL ? name : "?";
}

/*
 * Called by sandbox_enter() between Landlock and seccomp (sandbox.h).
 * Each attempt is one that nothing but Landlock refuses at this point:
 * "/" is readable by anyone (the chroot is root's, mode 0755; in
 * development it is the real root); nothing listens on 127.0.0.1:1, so
 * without Landlock connect says ECONNREFUSED; and the supervisor takes
 * signals from our uid in development mode.
 */
void
testhook_probe(int abi)
{
	struct sockaddr_in	 sin;
	const char		*o, *c, *k;
	long			 rv;
	int			 fd;

	rv = open("/", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	o = probe_errno(rv, errno);
	if (rv >= 0)
		close((int)rv);
	c = "no socket";
	if ((fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) != -1) {
		esc_loopback(&sin, 1);
		rv = connect(fd, (struct sockaddr *)&sin, sizeof(sin));
		c = probe_errno(rv, errno);
		close(fd);
	}
	rv = kill(getppid(), 0);
	k = probe_errno(rv, errno);
	snprintf(landlock_report, sizeof(landlock_report), "abi %d; open / "
	    "-> %s; connect 127.0.0.1:1 -> %s; signal parent -> %s", abi, o, c,
	    k);
}

static void
hook_landlock(struct session *s, struct buf *reply)
{
	(void)s;
	buf_printf(reply, "test landlock: %s\n", landlock_report);
}

static void
hook_slowpoll(struct session *s, struct buf *reply)
{
	(void)s;
	testhook_slowpoll_ms = TESTHOOK_SLOWPOLL_MS;
	buf_printf(reply, "test slowpoll: each poll checkpoint waits %d ms\n",
	    TESTHOOK_SLOWPOLL_MS);
}

static int
testhook_poll_ms(void)
{
	static bool	 said;

	/* Once, so that a test knows a command is in its checkpoints. */
	if (testhook_slowpoll_ms > 0 && !said) {
		said = true;
		log_info("test slowpoll: a poll checkpoint waits %d ms",
		    testhook_slowpoll_ms);
	}
	return testhook_slowpoll_ms;
}

static void
hook_detach(struct session *s, struct buf *reply)
{
	struct msg_detach	 d;

	(void)s;
	memset(&d, 0, sizeof(d));
	strlcpy(d.reason, "detach", sizeof(d.reason));
	hook_result(reply, "detach", msg_send(MSG_CHAN_FD, MSG_DETACH, &d, -1,
	    0, NULL, 0));
}

static void
hook_resumed(struct session *s, struct buf *reply)
{
	struct msg_resumed	 r;

	(void)s;
	memset(&r, 0, sizeof(r));
	r.id = 1;
	r.ok = true;
	hook_result(reply, "resumed", msg_send(MSG_CHAN_FD, MSG_RESUMED, &r,
	    -1, 0, NULL, 0));
}

static void
hook_taken(struct session *s, struct buf *reply)
{
	struct msg_taken	 t;

	(void)s;
	memset(&t, 0, sizeof(t));
	t.ok = true;
	hook_result(reply, "taken", msg_send(MSG_CHAN_FD, MSG_TAKEN, &t, -1,
	    0, NULL, 0));
}

static void
hook_badstate(struct session *s, struct buf *reply)
{
	(void)s;
	testhook_move = MOVE_GARBAGE;
	buf_printf(reply, "test badstate: a move gets garbage\n");
}

static void
hook_dieonmove(struct session *s, struct buf *reply)
{
	(void)s;
	testhook_move = MOVE_DIE;
	buf_printf(reply, "test dieonmove: a move ends this worker\n");
}

/* A `history_save` with lines as given, spliced raw (no encoder check). */
static int
hook_history_raw(const char *lines)
{
	struct buf	 b;
	int		 rv = -1;

	buf_init(&b, 0);
	if (buf_printf(&b, "{\"type\":\"history_save\",\"v\":1,"
	    "\"clear\":false,\"lines\":\"%s\"}", lines) == 0)
		rv = msg_send_raw(MSG_CHAN_FD, b.data, b.len, -1, 0);
	buf_free(&b);
	return rv;
}

static void
hook_historybig(struct session *s, struct buf *reply)
{
	struct buf	 lines;
	int		 rv = -1;
	size_t		 i;

	(void)s;
	buf_init(&lines, 0);
	/* Lines of 100 bytes, valid each, 30,000 bytes in all. */
	for (i = 0; i < 300; i++)
		if (buf_printf(&lines, "%s%0100zu", i > 0 ? "\\n" : "", i) ==
		    -1)
			break;
	if (i == 300)
		rv = hook_history_raw(lines.data);
	hook_result(reply, "historybig", rv);
	buf_free(&lines);
}

static void
hook_historyctl(struct session *s, struct buf *reply)
{
	(void)s;
	hook_result(reply, "historyctl",
	    hook_history_raw("load $1 #1\\n\\u001b[2Jgotcha"));
}

static void
hook_historysave(struct session *s, struct buf *reply)
{
	struct msg_history_save	 m;

	(void)s;
	memset(&m, 0, sizeof(m));
	m.lines = "load $9 #99";
	hook_result(reply, "historysave", msg_send(MSG_CHAN_FD,
	    MSG_HISTORY_SAVE, &m, -1, 0, NULL, 0));
}

static void
hook_historyflood(struct session *s, struct buf *reply)
{
	struct msg_history_save	 m;
	int			 i, rv = 0;

	(void)s;
	memset(&m, 0, sizeof(m));
	m.lines = "load $9 #99";
	for (i = 0; i < 300 && rv == 0; i++)
		rv = msg_send(MSG_CHAN_FD, MSG_HISTORY_SAVE, &m, -1, 0, NULL,
		    0);
	hook_result(reply, "historyflood", rv);
}

static int
testhook_move_fd(struct session *s, int fd)
{
	static const char garbage[] = "IRIDMOVE\001\000not a saved session";

	(void)s;
	switch (testhook_move) {
	case MOVE_HONEST:
		return 0;
	case MOVE_GARBAGE:
		if (write(fd, garbage, sizeof(garbage) - 1) == -1)
			log_warn("test badstate: write");
		close(fd);
		return 1;
	case MOVE_DIE:
		_exit(3);
	}
	return 0;
}

/* --- dispatch ------------------------------------------------------------- */

static int
testhook_line(struct session *s, const char *line, size_t len,
    struct buf *reply)
{
	char		 name[TESTHOOK_NAME + 1];
	size_t		 a = 0, b, i;

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
			buf_printf(reply, "  %-16s %s\n", testhooks[i].name,
			    testhooks[i].what);
		buf_puts(reply, "sandbox escape attempts:\n");
		for (i = 0; i < sizeof(escapes) / sizeof(escapes[0]); i++)
			buf_printf(reply, "  %-16s %s\n", escapes[i].name,
			    escapes[i].what);
		return 1;
	}
	if (b - a <= TESTHOOK_NAME) {
		memcpy(name, line + a, b - a);
		name[b - a] = '\0';
		for (i = 0; i < sizeof(testhooks) / sizeof(testhooks[0]); i++)
			if (strcmp(testhooks[i].name, name) == 0) {
				testhooks[i].fn(s, reply);
				return 1;
			}
		for (i = 0; i < sizeof(escapes) / sizeof(escapes[0]); i++)
			if (strcmp(escapes[i].name, name) == 0) {
				escape_run(&escapes[i], s, reply);
				return 1;
			}
	}
	buf_puts(reply, "test: unknown hook; \"!test\" lists them\n");
	return 1;
}

const struct session_hooks testhook_session = {
	.line = testhook_line,
	.poll_ms = testhook_poll_ms,
	.move = testhook_move_fd,
};

#endif
