/*
 * control.c: iridiumd's control socket (see control.h): who may connect,
 * reading request lines, answering them, and keeping every client in its
 * bounds.
 *
 * A control client is a local process, but not necessarily a friendly
 * one: it is checked with SO_PEERCRED and SO_PEERGROUPS, capped per uid,
 * its request line is bounded, it has a deadline, its output queue is
 * bounded and it is read only while that queue is empty (a client that
 * does not read stops being read). Everything is non-blocking through the
 * daemon's event loop; a client is freed a tick after it is closed, as
 * an event for it may still be pending in the loop's batch.
 */
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <errno.h>
#include <grp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bsd/string.h>
#include <bsd/sys/queue.h>

#include <jansson.h>

#include "buf.h"
#include "control.h"
#include "log.h"

#define READ_CHUNK		16384
#define READS_PER_WAKEUP	8
#define ACCEPTS_PER_WAKEUP	16
#define PAUSE_MS		1000

struct ctl_client {
	TAILQ_ENTRY(ctl_client) entry;
	struct control	*ctl;
	int		 fd;
	struct ev	 ev;
	uid_t		 uid;
	pid_t		 pid;
	struct buf	 in, out;
	int64_t		 deadline_ms;
	bool		 eof;		/* it sent all it will */
	bool		 closing;	/* close once out is written */
};

TAILQ_HEAD(ctl_client_list, ctl_client);

struct control {
	struct evloop	*loop;
	const struct control_ops *ops;
	void		*arg;		/* the ops' */
	int		 fd;
	struct ev	 ev;
	char		 path[sizeof(((struct sockaddr_un *)0)->sun_path)];
	dev_t		 dev;
	ino_t		 ino;
	bool		 has_group;
	gid_t		 gid;
	char		 group[CONFIG_NAMELEN];
	int64_t		 paused_until_ms;
	struct ctl_client_list clients;
	struct ctl_client_list dead;	/* freed on the next tick */
	unsigned	 nclients;
};

/* --- clients ---------------------------------------------------------------- */

static void
client_close(struct ctl_client *c)
{
	struct control	*ctl = c->ctl;

	ev_del(ctl->loop, &c->ev);
	close(c->fd);
	c->fd = -1;
	buf_free(&c->in);
	buf_free(&c->out);
	TAILQ_REMOVE(&ctl->clients, c, entry);
	ctl->nclients--;
	TAILQ_INSERT_TAIL(&ctl->dead, c, entry);
}

static void
bury(struct control *ctl)
{
	struct ctl_client	*c;

	while ((c = TAILQ_FIRST(&ctl->dead)) != NULL) {
		TAILQ_REMOVE(&ctl->dead, c, entry);
		free(c);
	}
}

/* {"v":1,"ok":ok} to add to. */
static json_t *
reply_new(bool ok)
{
	json_t	*o = json_object();

	if (o != NULL) {
		json_object_set_new(o, "v", json_integer(CTL_VERSION));
		json_object_set_new(o, "ok", json_boolean(ok));
	}
	return o;
}

/* Queue o (taken) as one line. -1 when the client must go. */
static int
reply_send(struct ctl_client *c, json_t *o)
{
	char	*s;
	int	 rc;

	if (o == NULL)
		return -1;
	s = json_dumps(o, JSON_COMPACT);
	json_decref(o);
	if (s == NULL)
		return -1;
	rc = buf_puts(&c->out, s) == -1 || buf_putc(&c->out, '\n') == -1 ?
	    -1 : 0;
	free(s);
	if (rc == -1)
		log_warnx("control: reply to pid %d too large; dropping it",
		    (int)c->pid);
	return rc;
}

static int	reply_error(struct ctl_client *, const char *, ...)
		    __attribute__((format(printf, 2, 3)));

static int
reply_error(struct ctl_client *c, const char *fmt, ...)
{
	json_t	*o = reply_new(false);
	char	 msg[1024];
	va_list	 ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (o != NULL)
		json_object_set_new(o, "error", json_string(msg));
	return reply_send(c, o);
}

/* Lines of a buffer as a JSON array of strings. */
static json_t *
lines_array(const struct buf *b)
{
	json_t		*a = json_array();
	const char	*p, *nl;

	if (a == NULL || b->len == 0)
		return a;
	for (p = b->data; p < b->data + b->len; p = nl + 1) {
		if ((nl = memchr(p, '\n', (size_t)(b->data + b->len - p))) ==
		    NULL)
			nl = b->data + b->len;
		json_array_append_new(a, json_stringn(p, (size_t)(nl - p)));
	}
	return a;
}

static int
do_kill(struct ctl_client *c, int64_t id)
{
	struct control		*ctl = c->ctl;
	struct control_killed	 k;
	char			 why[256];
	json_t			*o;

	if (ctl->ops->kill(ctl->arg, (unsigned)c->uid, id, &k, why,
	    sizeof(why)) == -1)
		return reply_error(c, "%s", why);
	if ((o = reply_new(true)) == NULL)
		return -1;
	json_object_set_new(o, "session", json_integer(id));
	json_object_set_new(o, "pid", json_integer(k.pid));
	json_object_set_new(o, "grace", json_integer(k.grace));
	return reply_send(c, o);
}

static int
do_reload(struct ctl_client *c)
{
	struct control		*ctl = c->ctl;
	struct control_reloaded	 r;
	json_t			*o = NULL;
	int			 rc;

	memset(&r, 0, sizeof(r));
	cfg_errors_init(&r.errs);
	buf_init(&r.changes, 0);
	switch (ctl->ops->reload(ctl->arg, (unsigned)c->uid, &r)) {
	case CONTROL_RELOADED:
		if ((o = reply_new(true)) != NULL) {
			json_object_set_new(o, "generation",
			    json_integer(r.generation));
			json_object_set_new(o, "changes",
			    lines_array(&r.changes));
			json_object_set_new(o, "warnings",
			    lines_array(&r.errs.warnings));
		}
		rc = reply_send(c, o);
		break;
	case CONTROL_RELOAD_FAILED:
		if ((o = reply_new(false)) != NULL) {
			json_object_set_new(o, "error", json_string(r.why));
			json_object_set_new(o, "errors",
			    lines_array(&r.errs.errors));
		}
		rc = reply_send(c, o);
		break;
	default:
		rc = reply_error(c, "%s", r.why);
		break;
	}
	buf_free(&r.changes);
	cfg_errors_free(&r.errs);
	return rc;
}

static int
do_upgrade(struct ctl_client *c)
{
	struct control		*ctl = c->ctl;
	struct control_upgraded	 pl;
	char			 why[256];
	json_t			*o;

	if (ctl->ops->upgrade(ctl->arg, (unsigned)c->uid, &pl, why,
	    sizeof(why)) == -1)
		return reply_error(c, "%s", why);
	if ((o = reply_new(true)) == NULL)
		return -1;
	json_object_set_new(o, "generation", json_integer(pl.generation));
	json_object_set_new(o, "line_sessions", json_integer(pl.line));
	json_object_set_new(o, "ssh_sessions", json_integer(pl.ssh));
	json_object_set_new(o, "ssh_ended", json_integer(pl.ssh_ended));
	json_object_set_new(o, "idle_workers", json_integer(pl.idle));
	return reply_send(c, o);
}

static int
do_recordings(struct ctl_client *c, const char *tenant, const char *since)
{
	struct control	*ctl = c->ctl;
	json_t		*r, *o;
	char		 why[512];

	if ((r = ctl->ops->recordings(ctl->arg, tenant, since, why,
	    sizeof(why))) == NULL)
		return reply_error(c, "%s", why);
	if ((o = reply_new(true)) == NULL) {
		json_decref(r);
		return -1;
	}
	json_object_update(o, r);
	json_decref(r);
	return reply_send(c, o);
}

/* Answer one request line. -1: the client is to be dropped. */
static int
handle(struct ctl_client *c, const char *line, size_t len)
{
	struct ctl_request	 req;
	json_t			*o;
	char			 err[512];

	if (ctl_request_parse(line, len, &req, err, sizeof(err)) == -1) {
		log_warnx("control: pid %d uid %u: bad request: %s; dropping "
		    "it", (int)c->pid, (unsigned)c->uid, err);
		(void)reply_error(c, "bad request: %s", err);
		return -1;
	}
	switch (req.cmd) {
	case CTL_STATUS:
		if ((o = reply_new(true)) == NULL)
			return -1;
		json_object_set_new(o, "status", c->ctl->ops->status(
		    c->ctl->arg));
		return reply_send(c, o);
	case CTL_SESSIONS:
		if ((o = reply_new(true)) == NULL)
			return -1;
		json_object_set_new(o, "sessions", c->ctl->ops->sessions(
		    c->ctl->arg));
		return reply_send(c, o);
	case CTL_KILL:
		return do_kill(c, req.session);
	case CTL_RELOAD:
		return do_reload(c);
	case CTL_UPGRADE:
		return do_upgrade(c);
	case CTL_RECORDINGS:
		return do_recordings(c, req.tenant, req.since);
	case CTL_UNKNOWN:
		break;
	}
	return reply_error(c, "unknown command \"%s\" (commands: status, "
	    "sessions, kill, reload, upgrade)", req.name);
}

static void
client_events(struct ctl_client *c)
{
	uint32_t	 want = c->out.len > 0 ? EPOLLOUT : EPOLLIN;

	if (c->out.len == 0 && c->eof)
		want = 0;
	if (ev_mod(c->ctl->loop, &c->ev, want) == -1)
		log_warn("control: epoll");
}

/* Write what is queued. -1: the client is gone. */
static int
client_flush(struct ctl_client *c)
{
	ssize_t	 n;

	while (c->out.len > 0) {
		n = send(c->fd, c->out.data, c->out.len,
		    MSG_DONTWAIT | MSG_NOSIGNAL);
		if (n == -1) {
			if (errno == EAGAIN || errno == EINTR)
				return 0;
			return -1;
		}
		buf_consume(&c->out, (size_t)n);
	}
	return 0;
}

/* Answer the complete lines read so far, one at a time. */
static void
client_process(struct ctl_client *c)
{
	char	*nl;
	size_t	 len;

	while (!c->closing && c->out.len == 0 && c->in.len > 0 &&
	    (nl = memchr(c->in.data, '\n', c->in.len)) != NULL) {
		len = (size_t)(nl - c->in.data);
		if (len > 0 && c->in.data[len - 1] == '\r')
			len--;
		if (handle(c, c->in.data, len) == -1)
			c->closing = true;
		buf_consume(&c->in, (size_t)(nl - c->in.data) + 1);
		c->deadline_ms = ev_now_ms() + CTL_TIMEOUT_MS;
		if (client_flush(c) == -1) {
			client_close(c);
			return;
		}
	}
	/* The last request needs no newline: the client's EOF ends it. */
	if (!c->closing && c->out.len == 0 && c->eof && c->in.len > 0 &&
	    c->in.len <= CTL_LINE_MAX) {
		len = c->in.len;
		if (c->in.data[len - 1] == '\r')
			len--;
		(void)handle(c, c->in.data, len);
		buf_consume(&c->in, c->in.len);
		c->closing = true;	/* once the answer is written */
	}
	if (!c->closing && c->in.len > CTL_LINE_MAX) {
		log_warnx("control: pid %d uid %u: a request line longer than "
		    "%d bytes; dropping it", (int)c->pid, (unsigned)c->uid,
		    CTL_LINE_MAX);
		(void)reply_error(c, "request line longer than %d bytes",
		    CTL_LINE_MAX);
		c->closing = true;
	}
	if (!c->closing && c->eof && c->out.len == 0)
		c->closing = true;	/* nothing more will come */
	if (client_flush(c) == -1 || (c->closing && c->out.len == 0)) {
		client_close(c);
		return;
	}
	client_events(c);
}

static void
client_cb(struct ev *e, uint32_t events)
{
	struct ctl_client	*c = e->arg;
	char			 tmp[READ_CHUNK];
	ssize_t			 n;
	int			 i;

	if (events & EPOLLOUT) {
		if (client_flush(c) == -1) {
			client_close(c);
			return;
		}
	}
	if ((events & (EPOLLIN | EPOLLHUP | EPOLLERR)) != 0 &&
	    c->out.len == 0 && !c->closing) {
		for (i = 0; i < READS_PER_WAKEUP; i++) {
			n = recv(c->fd, tmp, sizeof(tmp), MSG_DONTWAIT);
			if (n == -1 && (errno == EAGAIN || errno == EINTR))
				break;
			if (n <= 0) {
				if (n == -1) {
					client_close(c);
					return;
				}
				c->eof = true;
				break;
			}
			/* Past the bound the line is refused anyway. */
			if (c->in.len <= CTL_LINE_MAX &&
			    buf_append(&c->in, tmp, (size_t)n) == -1) {
				client_close(c);
				return;
			}
			if (memchr(tmp, '\n', (size_t)n) != NULL ||
			    c->in.len > CTL_LINE_MAX)
				break;
		}
	}
	client_process(c);
}

/* --- who may connect -------------------------------------------------------- */

static bool
in_group(int fd, gid_t gid)
{
	gid_t		 small[64], *g = small;
	socklen_t	 len = sizeof(small);
	size_t		 i, n;
	bool		 found = false;

	if (getsockopt(fd, SOL_SOCKET, SO_PEERGROUPS, g, &len) == -1) {
		if (errno != ERANGE || len == 0)
			return false;
		if ((g = malloc(len)) == NULL)
			return false;
		if (getsockopt(fd, SOL_SOCKET, SO_PEERGROUPS, g, &len) ==
		    -1) {
			free(g);
			return false;
		}
	}
	n = len / sizeof(gid_t);
	for (i = 0; i < n && !found; i++)
		found = g[i] == gid;
	if (g != small)
		free(g);
	return found;
}

/* One line, one try, never blocking; then close. */
static void
refuse(int fd, const char *msg)
{
	json_t	*o = reply_new(false);
	char	*s;

	if (o != NULL) {
		json_object_set_new(o, "error", json_string(msg));
		if ((s = json_dumps(o, JSON_COMPACT)) != NULL) {
			size_t	 len = strlen(s);

			s[len] = '\n';	/* json_dumps' NUL: we send len+1 */
			if (send(fd, s, len + 1, MSG_DONTWAIT |
			    MSG_NOSIGNAL) == -1)
				log_debug("control: refusal: %s",
				    strerror(errno));
			free(s);
		}
		json_decref(o);
	}
	close(fd);
}

static void
admit(struct control *ctl, int fd)
{
	struct ctl_client	*c;
	struct ucred		 uc;
	socklen_t		 sl = sizeof(uc);
	unsigned		 same = 0;
	char			 msg[256];

	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &uc, &sl) == -1) {
		log_warn("control: SO_PEERCRED");
		close(fd);
		return;
	}
	if (uc.uid != 0 && uc.uid != geteuid() && !(ctl->has_group &&
	    (uc.gid == ctl->gid || in_group(fd, ctl->gid)))) {
		log_warnx("control: pid %d uid %u refused: not root, "
		    "iridiumd's user or a member of admin_group%s%s",
		    (int)uc.pid, (unsigned)uc.uid, ctl->has_group ? " " : "",
		    ctl->group);
		snprintf(msg, sizeof(msg), "permission denied: uid %u is not "
		    "root, iridiumd's user (uid %u) or a member of "
		    "admin_group%s%s", (unsigned)uc.uid, (unsigned)geteuid(),
		    ctl->has_group ? " " : " (none is set)", ctl->group);
		refuse(fd, msg);
		return;
	}
	TAILQ_FOREACH(c, &ctl->clients, entry)
		if (c->uid == uc.uid)
			same++;
	if (same >= CTL_PER_UID || ctl->nclients >= CTL_MAX_CLIENTS) {
		log_warnx("control: pid %d uid %u refused: %u connection%s of "
		    "that uid, %u in all", (int)uc.pid, (unsigned)uc.uid,
		    same, plural(same), ctl->nclients);
		snprintf(msg, sizeof(msg), "too many control connections (at "
		    "most %d per uid, %d in all)", CTL_PER_UID,
		    CTL_MAX_CLIENTS);
		refuse(fd, msg);
		return;
	}
	if ((c = calloc(1, sizeof(*c))) == NULL) {
		log_warn("control client");
		close(fd);
		return;
	}
	c->ctl = ctl;
	c->fd = fd;
	c->uid = uc.uid;
	c->pid = uc.pid;
	buf_init(&c->in, 0);
	buf_init(&c->out, CTL_OUT_MAX);
	c->deadline_ms = ev_now_ms() + CTL_TIMEOUT_MS;
	ev_set(&c->ev, fd, client_cb, c);
	if (ev_add(ctl->loop, &c->ev, EPOLLIN) == -1) {
		log_warn("control: epoll");
		close(fd);
		free(c);
		return;
	}
	TAILQ_INSERT_TAIL(&ctl->clients, c, entry);
	ctl->nclients++;
	log_debug("control: pid %d uid %u connected", (int)uc.pid,
	    (unsigned)uc.uid);
}

static void
accept_cb(struct ev *e, uint32_t events)
{
	struct control	*ctl = e->arg;
	int		 fd, i;

	(void)events;
	for (i = 0; i < ACCEPTS_PER_WAKEUP; i++) {
		fd = accept4(ctl->fd, NULL, NULL, SOCK_NONBLOCK |
		    SOCK_CLOEXEC);
		if (fd == -1) {
			if (errno == EAGAIN || errno == EINTR ||
			    errno == ECONNABORTED)
				return;
			/* Out of fds: stop asking for a second, or we spin. */
			log_warn("control: accept; pausing for %dms",
			    PAUSE_MS);
			ev_del(ctl->loop, &ctl->ev);
			ctl->paused_until_ms = ev_now_ms() + PAUSE_MS;
			return;
		}
		admit(ctl, fd);
	}
}

void
control_tick(struct control *ctl, int64_t now)
{
	struct ctl_client	*c, *tmp;

	bury(ctl);
	if (ctl->paused_until_ms != 0 && now >= ctl->paused_until_ms) {
		ctl->paused_until_ms = 0;
		if (ev_add(ctl->loop, &ctl->ev, EPOLLIN) == -1)
			log_warn("control: epoll");
	}
	TAILQ_FOREACH_SAFE(c, &ctl->clients, entry, tmp) {
		if (now < c->deadline_ms)
			continue;
		log_warnx("control: pid %d uid %u: no request in %ds; "
		    "dropping it", (int)c->pid, (unsigned)c->uid,
		    CTL_TIMEOUT_MS / 1000);
		client_close(c);
	}
}

/* --- the socket ----------------------------------------------------------------- */

static int
lookup_group(const char *name, gid_t *gid, char *err, size_t errlen)
{
	struct group	*gr;

	errno = 0;
	if ((gr = getgrnam(name)) == NULL) {
		snprintf(err, errlen, "admin_group %s: %s", name, errno != 0 ?
		    strerror(errno) : "no such group");
		return -1;
	}
	*gid = gr->gr_gid;
	return 0;
}

int
control_set_group(struct control *ctl, const char *group, char *err,
    size_t errlen)
{
	gid_t	 gid = 0;

	if (group[0] != '\0' && lookup_group(group, &gid, err, errlen) == -1)
		return -1;
	if (group[0] != '\0' && chown(ctl->path, (uid_t)-1, gid) == -1) {
		snprintf(err, errlen, "control socket %s: group %s: %s",
		    ctl->path, group, strerror(errno));
		return -1;
	}
	if (group[0] == '\0' && chown(ctl->path, (uid_t)-1, getegid()) ==
	    -1) {
		snprintf(err, errlen, "control socket %s: %s", ctl->path,
		    strerror(errno));
		return -1;
	}
	ctl->has_group = group[0] != '\0';
	ctl->gid = gid;
	strlcpy(ctl->group, group, sizeof(ctl->group));
	return 0;
}

/*
 * Is someone answering at path? 1 yes, 0 no (a stale socket was
 * removed, or none was there), -1 with err.
 */
static int
probe(const struct sockaddr_un *sun, char *err, size_t errlen)
{
	struct stat	 st;
	int		 fd, rc;

	if (lstat(sun->sun_path, &st) == -1) {
		if (errno == ENOENT)
			return 0;
		snprintf(err, errlen, "control socket %s: %s", sun->sun_path,
		    strerror(errno));
		return -1;
	}
	if (!S_ISSOCK(st.st_mode)) {
		snprintf(err, errlen, "control socket %s exists and is not a "
		    "socket: refusing to replace it", sun->sun_path);
		return -1;
	}
	/* Non-blocking: a stopped daemon with a full backlog counts too. */
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
	    0)) == -1) {
		snprintf(err, errlen, "socket: %s", strerror(errno));
		return -1;
	}
	rc = connect(fd, (const struct sockaddr *)sun, sizeof(*sun));
	close(fd);
	if (rc == 0 || errno == EAGAIN || errno == EINPROGRESS) {
		snprintf(err, errlen, "another iridiumd answers on the control "
		    "socket %s: refusing to start a second one (stop it, or "
		    "give this one another [daemon] control or run_dir)",
		    sun->sun_path);
		return 1;
	}
	if (errno != ECONNREFUSED) {
		snprintf(err, errlen, "control socket %s: %s", sun->sun_path,
		    strerror(errno));
		return -1;
	}
	log_info("removing stale control socket %s", sun->sun_path);
	if (unlink(sun->sun_path) == -1 && errno != ENOENT) {
		snprintf(err, errlen, "remove stale control socket %s: %s",
		    sun->sun_path, strerror(errno));
		return -1;
	}
	return 0;
}

struct control *
control_open(struct evloop *loop, const char *path, const char *group,
    const struct control_ops *ops, void *arg, char *err, size_t errlen)
{
	struct control		*ctl;
	struct sockaddr_un	 sun;
	struct stat		 st;
	mode_t			 old;
	int			 fd;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (strlcpy(sun.sun_path, path, sizeof(sun.sun_path)) >=
	    sizeof(sun.sun_path)) {
		snprintf(err, errlen, "control socket path %s is too long (at "
		    "most %zu bytes)", path, sizeof(sun.sun_path) - 1);
		return NULL;
	}
	if (probe(&sun, err, errlen) != 0)
		return NULL;
	if ((ctl = calloc(1, sizeof(*ctl))) == NULL) {
		snprintf(err, errlen, "control: %s", strerror(errno));
		return NULL;
	}
	ctl->loop = loop;
	ctl->ops = ops;
	ctl->arg = arg;
	ctl->fd = -1;
	TAILQ_INIT(&ctl->clients);
	TAILQ_INIT(&ctl->dead);
	strlcpy(ctl->path, path, sizeof(ctl->path));
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
	    0)) == -1) {
		snprintf(err, errlen, "control socket: %s", strerror(errno));
		free(ctl);
		return NULL;
	}
	/* Born 0660: no moment in which others could connect. */
	old = umask(0117);
	if (bind(fd, (struct sockaddr *)&sun, sizeof(sun)) == -1) {
		umask(old);
		snprintf(err, errlen, "control socket %s: %s", path,
		    strerror(errno));
		close(fd);
		free(ctl);
		return NULL;
	}
	umask(old);
	ctl->fd = fd;
	if (lstat(path, &st) == 0) {
		ctl->dev = st.st_dev;
		ctl->ino = st.st_ino;
	}
	if (group[0] != '\0' && control_set_group(ctl, group, err,
	    errlen) == -1) {
		control_close(ctl);
		return NULL;
	}
	if (chmod(path, 0660) == -1 || listen(fd, 16) == -1) {
		snprintf(err, errlen, "control socket %s: %s", path,
		    strerror(errno));
		control_close(ctl);
		return NULL;
	}
	ev_set(&ctl->ev, fd, accept_cb, ctl);
	if (ev_add(loop, &ctl->ev, EPOLLIN) == -1) {
		snprintf(err, errlen, "control socket: epoll: %s",
		    strerror(errno));
		control_close(ctl);
		return NULL;
	}
	log_info("control socket %s (mode 0660%s%s)", path,
	    ctl->has_group ? ", group " : "", ctl->group);
	return ctl;
}

void
control_close(struct control *ctl)
{
	struct ctl_client	*c;
	struct stat		 st;

	if (ctl == NULL)
		return;
	while ((c = TAILQ_FIRST(&ctl->clients)) != NULL)
		client_close(c);
	bury(ctl);
	if (ctl->fd != -1) {
		ev_del(ctl->loop, &ctl->ev);
		close(ctl->fd);
		/* Only our own socket: another may have replaced it. */
		if (lstat(ctl->path, &st) == 0 && st.st_dev == ctl->dev &&
		    st.st_ino == ctl->ino)
			(void)unlink(ctl->path);
	}
	free(ctl);
}
