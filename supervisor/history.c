/*
 * history.c: an ssh tenant's REPL history across its sessions, stored by
 * iridiumd (history.h says how).
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bsd/string.h>

#include "buf.h"
#include "config.h"
#include "filer.h"
#include "history.h"
#include "log.h"
#include "msg.h"
#include "wproc.h"

/* A file larger than the bound plus its final LF is not ours. */
#define HISTORY_FILE_MAX	(MSG_HISTORY_BYTES + 1)

int
history_parse(const char *p, size_t len, unsigned keep, size_t *start,
    char *err, size_t errlen)
{
	const char	*nl;
	size_t		 i, j, n = 0;

	*start = len;
	if (len == 0)
		return 0;
	if (p[len - 1] != '\n') {
		snprintf(err, errlen, "the last line has no line end");
		return -1;
	}
	for (i = 0; i < len; i = (size_t)(nl - p) + 1) {
		nl = memchr(p + i, '\n', len - i);
		if (!msg_history_ok(p + i, (size_t)(nl - p) - i, ++n, err,
		    errlen))
			return -1;
	}
	/* From the end: the last keep lines, within the message's bound. */
	for (i = len, n = 0; i > 0 && n < keep; i = j, n++) {
		for (j = i - 1; j > 0 && p[j - 1] != '\n'; j--)
			continue;
		if (len - j > MSG_HISTORY_BYTES + 1)
			break;
		*start = j;
	}
	return 0;
}

/* STATE_DIR/history, made (0700) when missing; -1 when unusable. */
static int
history_dir(struct history *h)
{
	const char	*sd = h->ctx->cfg.state_dir;
	struct stat	 st;
	int		 sfd, dfd;

	if (h->dirfd != -1)
		return h->dirfd;
	if ((sfd = open(sd, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1) {
		log_warn("history: state directory %s", sd);
		return -1;
	}
	if (mkdirat(sfd, HISTORY_DIR, 0700) == 0)
		log_info("made the history directory %s/%s", sd, HISTORY_DIR);
	else if (errno != EEXIST)
		log_warn("history: mkdir %s/%s", sd, HISTORY_DIR);
	dfd = openat(sfd, HISTORY_DIR, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
	    O_CLOEXEC);
	close(sfd);
	if (dfd == -1) {
		log_warn("history: %s/%s", sd, HISTORY_DIR);
		return -1;
	}
	if (fstat(dfd, &st) == -1 || st.st_uid != geteuid() ||
	    (st.st_mode & 077) != 0) {
		log_warnx("history: %s/%s: not a directory of uid %u with mode "
		    "0700: no history is kept", sd, HISTORY_DIR,
		    (unsigned)geteuid());
		close(dfd);
		return -1;
	}
	h->dirfd = dfd;
	return dfd;
}

/*
 * One write of a tenant's file, done by the filer (filer.h): the fsync
 * takes milliseconds, which the event loop does not wait for. Writes
 * queued and not yet done stay on h->writes, newest last, and a read of
 * that tenant's history takes the newest of them instead of the file.
 */
struct history_job {
	struct filejob	 job;
	TAILQ_ENTRY(history_job) entry;
	struct history	*h;
	int		 dirfd;		/* its own copy */
	char		 tenant[MSG_NAME_MAX + 1];
	char		*lines;		/* no final LF */
	size_t		 len;
	char		 err[256];	/* "": written */
};

/* In the filer's thread: system calls only, the answer in j->err. */
static void
history_job_work(struct filejob *fj)
{
	struct history_job	*j = (struct history_job *)fj;
	char			 tmp[MSG_NAME_MAX + 8];
	int			 fd;
	ssize_t			 n;
	size_t			 off = 0;
	bool			 ok = true;

	snprintf(tmp, sizeof(tmp), ".%s.tmp", j->tenant);
	(void)unlinkat(j->dirfd, tmp, 0);
	if ((fd = openat(j->dirfd, tmp, O_WRONLY | O_CREAT | O_EXCL |
	    O_NOFOLLOW | O_CLOEXEC, 0600)) == -1) {
		snprintf(j->err, sizeof(j->err), "create %s: %s", tmp,
		    strerror(errno));
		return;
	}
	while (ok && off < j->len + (j->len > 0)) {
		n = off < j->len ? write(fd, j->lines + off, j->len - off) :
		    write(fd, "\n", 1);
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0)
			ok = false;
		else
			off += (size_t)n;
	}
	if (!ok || fchmod(fd, 0600) == -1 || fsync(fd) == -1) {
		snprintf(j->err, sizeof(j->err), "write %s: %s", tmp,
		    ok ? strerror(errno) : "short write");
		close(fd);
		(void)unlinkat(j->dirfd, tmp, 0);
		return;
	}
	close(fd);
	if (renameat(j->dirfd, tmp, j->dirfd, j->tenant) == -1) {
		snprintf(j->err, sizeof(j->err), "rename %s to %s: %s", tmp,
		    j->tenant, strerror(errno));
		(void)unlinkat(j->dirfd, tmp, 0);
		return;
	}
	(void)fsync(j->dirfd);
}

static void
history_job_done(struct filejob *fj)
{
	struct history_job	*j = (struct history_job *)fj;
	struct history		*h = j->h;

	TAILQ_REMOVE(&h->writes, j, entry);
	h->nwrites--;
	if (j->err[0] != '\0')
		log_warnx("history: %s/%s: %s", h->ctx->cfg.state_dir,
		    HISTORY_DIR, j->err);
	else
		h->saves++;
	log_debug("history: %s: write done", j->tenant);
	close(j->dirfd);
	free(j->lines);
	free(j);
}

/* The newest write of tenant's not yet done; NULL: none. */
static struct history_job *
history_queued(struct history *h, const char *tenant)
{
	struct history_job	*j;

	TAILQ_FOREACH_REVERSE(j, &h->writes, history_jobs, entry)
		if (strcmp(j->tenant, tenant) == 0)
			return j;
	return NULL;
}

/* Write lines (len bytes, no final LF) as tenant's file, atomically. */
static int
history_write(struct history *h, const char *tenant, const char *lines,
    size_t len)
{
	struct history_job	*j;
	int			 dfd;

	if ((dfd = history_dir(h)) == -1)
		return -1;
	/*
	 * Each write is the whole file: one of the tenant's still waiting to
	 * start is replaced by this one (one fsync, not two).
	 */
	if ((j = history_queued(h, tenant)) != NULL &&
	    filer_cancel(h->wk->filer, FILER_SYNC, &j->job)) {
		TAILQ_REMOVE(&h->writes, j, entry);
		h->nwrites--;
		h->merged++;
		log_debug("history: %s: write replaced by a newer one", tenant);
		close(j->dirfd);
		free(j->lines);
		free(j);
	}
	if (h->nwrites >= HISTORY_WRITES_MAX) {
		/* The disk is stuck: memory stays bounded. */
		if (h->dropped++ == 0)
			log_warnx("history: %d writes wait for %s/%s: a "
			    "history is not saved until they are done",
			    HISTORY_WRITES_MAX, h->ctx->cfg.state_dir,
			    HISTORY_DIR);
		return -1;
	}
	h->dropped = 0;
	if ((j = calloc(1, sizeof(*j))) == NULL ||
	    (j->lines = malloc(len + 1)) == NULL ||
	    (j->dirfd = fcntl(dfd, F_DUPFD_CLOEXEC, 0)) == -1) {
		log_warn("history: %s", tenant);
		if (j != NULL)
			free(j->lines);
		free(j);
		return -1;
	}
	memcpy(j->lines, lines, len);
	j->lines[len] = '\0';
	j->len = len;
	j->h = h;
	strlcpy(j->tenant, tenant, sizeof(j->tenant));
	j->job.work = history_job_work;
	j->job.done = history_job_done;
	TAILQ_INSERT_TAIL(&h->writes, j, entry);
	h->nwrites++;
	log_debug("history: %s: write queued (%u waiting)", tenant,
	    h->nwrites);
	filer_submit(h->wk->filer, FILER_SYNC, &j->job);
	return 0;
}

/*
 * The last keep of lines (len bytes, no final LF: a write queued, cut and
 * checked before it was) into b. 0.
 */
static int
history_from(const char *lines, size_t len, unsigned keep, struct buf *b)
{
	static char	 data[HISTORY_FILE_MAX + 1];
	char		 why[128];
	size_t		 start;

	if (len == 0 || len + 1 > sizeof(data))
		return 0;
	memcpy(data, lines, len);
	data[len] = '\n';
	if (history_parse(data, len + 1, keep, &start, why,
	    sizeof(why)) == 0 && start < len + 1 &&
	    buf_append(b, data + start, len - start) == -1)
		buf_reset(b);
	return 0;
}


/*
 * The tenant's stored lines into b (no final LF), the last keep of them;
 * a file that is not what we write is logged and replaced by an empty
 * one. 0, or -1 when there is no history directory.
 */
static int
history_read(struct history *h, const char *tenant, unsigned keep,
    struct buf *b)
{
	static char	 data[HISTORY_FILE_MAX + 1];
	const struct history_job *q;
	char		 why[128];
	struct stat	 st;
	size_t		 len = 0, start = 0;
	ssize_t		 n;
	int		 dfd, fd;

	buf_reset(b);
	memset(&st, 0, sizeof(st));
	if ((dfd = history_dir(h)) == -1)
		return -1;
	/* What the file will hold once the writes queued are done. */
	if ((q = history_queued(h, tenant)) != NULL)
		return history_from(q->lines, q->len, keep, b);
	fd = openat(dfd, tenant, O_RDONLY | O_NOFOLLOW | O_NONBLOCK |
	    O_CLOEXEC);
	if (fd == -1 && errno == ENOENT)
		return 0;
	why[0] = '\0';
	if (fd == -1)
		snprintf(why, sizeof(why), "%s", errno == ELOOP ?
		    "a symbolic link" : strerror(errno));
	else if (fstat(fd, &st) == -1)
		snprintf(why, sizeof(why), "fstat: %s", strerror(errno));
	else if (!S_ISREG(st.st_mode))
		snprintf(why, sizeof(why), "not a regular file");
	else if (st.st_uid != geteuid())
		snprintf(why, sizeof(why), "owned by uid %u, not %u",
		    (unsigned)st.st_uid, (unsigned)geteuid());
	else if ((st.st_mode & 077) != 0)
		snprintf(why, sizeof(why), "mode %04o, not 0600",
		    (unsigned)(st.st_mode & 07777));
	else {
		while (len < sizeof(data)) {
			n = read(fd, data + len, sizeof(data) - len);
			if (n == -1 && errno == EINTR)
				continue;
			if (n <= 0) {
				if (n == -1)
					snprintf(why, sizeof(why), "read: %s",
					    strerror(errno));
				break;
			}
			len += (size_t)n;
		}
		if (why[0] == '\0' && len > HISTORY_FILE_MAX)
			snprintf(why, sizeof(why), "over %d bytes",
			    HISTORY_FILE_MAX);
		else if (why[0] == '\0' && history_parse(data, len, keep, &start,
		    why, sizeof(why)) == 0 && len > start &&
		    buf_append(b, data + start, len - start - 1) == -1) {
			buf_reset(b);
			snprintf(why, sizeof(why), "out of memory");
		}
	}
	if (fd != -1)
		close(fd);
	if (why[0] == '\0')
		return 0;
	/* Not what we write: said once, and replaced. */
	buf_reset(b);
	log_warnx("history: %s/%s/%s: %s: replaced by an empty history",
	    h->ctx->cfg.state_dir, HISTORY_DIR, tenant, why);
	h->replaced++;
	if (fd == -1 || !S_ISREG(st.st_mode))
		(void)unlinkat(dfd, tenant, 0);
	(void)history_write(h, tenant, "", 0);
	return 0;
}

static unsigned
history_keep(const struct history *h, const char *tenant)
{
	return config_tenant_sup(&h->ctx->cfg, tenant)->history_lines;
}

void
history_login(struct history *h, struct worker *w, const char *tenant)
{
	struct msg_history	 m;
	struct buf		 b;
	unsigned		 keep = history_keep(h, tenant);
	char			 err[128];

	if (keep == 0)
		return;
	err[0] = '\0';
	buf_init(&b, 0);
	if (history_read(h, tenant, keep, &b) == -1) {
		buf_free(&b);
		return;
	}
	memset(&m, 0, sizeof(m));
	m.keep = keep;
	if (b.len > 0 && buf_putc(&b, '\0') == 0)
		m.lines = b.data;
	if (msg_send(w->chan, MSG_HISTORY, &m, -1, MSG_DONTWAIT, err,
	    sizeof(err)) == -1)
		log_warn("session %lld: send history%s%s",
		    (long long)w->session_id, err[0] != '\0' ? ": " : "", err);
	buf_free(&b);
}

/*
 * After the lines b holds (without a final LF), lines (LF between them;
 * NULL: none), each ending in LF; a line equal to the one before it is
 * kept once, as a shell's history collapses them.
 */
static int
history_append(struct buf *b, const char *lines)
{
	const char	*p = lines, *nl;
	size_t		 n, last;

	if (b->len > 0 && buf_putc(b, '\n') == -1)
		return -1;
	for (; p != NULL && *p != '\0'; p = *nl != '\0' ? nl + 1 : nl) {
		if ((nl = strchr(p, '\n')) == NULL)
			nl = p + strlen(p);
		n = (size_t)(nl - p);
		/* The line before: from the LF before b's last LF. */
		for (last = b->len > 0 ? b->len - 1 : 0; last > 0 &&
		    b->data[last - 1] != '\n'; last--)
			continue;
		if (b->len > 0 && b->len - 1 - last == n &&
		    memcmp(b->data + last, p, n) == 0)
			continue;
		if (buf_append(b, p, n) == -1 || buf_putc(b, '\n') == -1)
			return -1;
	}
	return 0;
}

/* A worker's `history_save`: the lines typed since. */
static int
on_history_save(void *arg, struct worker *w, const struct msg *m,
    char *why, size_t whylen)
{
	struct history			*h = arg;
	const struct msg_history_save	*s = &m->u.history_save;
	struct buf			 b;
	unsigned			 keep;
	size_t				 start;
	char				 err[96];

	if (strcmp(w->lc->transport, "ssh") != 0 || w->tenant[0] == '\0') {
		snprintf(why, whylen, "history_save from a session without "
		    "an ssh login");
		return -1;
	}
	if (++w->history_saves > HISTORY_SAVES_MAX) {
		if (w->history_saves == HISTORY_SAVES_MAX + 1)
			log_warnx("session %lld: more than %d history saves: "
			    "the rest of this session's are ignored",
			    (long long)w->session_id, HISTORY_SAVES_MAX);
		return 0;
	}
	if ((keep = history_keep(h, w->tenant)) == 0)
		return 0;
	buf_init(&b, 0);
	if (!s->clear && history_read(h, w->tenant, keep, &b) == -1) {
		buf_free(&b);
		return 0;
	}
	if (history_append(&b, s->lines) == -1) {
		log_warnx("session %lld: history: out of memory",
		    (long long)w->session_id);
		buf_free(&b);
		return 0;
	}
	/* Cut to the bound; what we write passes our own reading. */
	if (b.len > 0 && history_parse(b.data, b.len, keep, &start, err,
	    sizeof(err)) == -1) {
		log_warnx("session %lld: history: %s", (long long)w->session_id,
		    err);
		buf_free(&b);
		return 0;
	}
	if (b.len == 0)
		start = 0;
	(void)history_write(h, w->tenant, b.data != NULL ? b.data + start : "",
	    b.len > start ? b.len - start - 1 : 0);
	log_debug("session %lld: history of %s saved%s", (long long)
	    w->session_id, w->tenant, s->clear ? " (cleared first)" : "");
	buf_free(&b);
	return 0;
}

void
history_init(struct history *h, struct ctx *ctx, struct workers *wk)
{
	memset(h, 0, sizeof(*h));
	h->ctx = ctx;
	h->wk = wk;
	h->dirfd = -1;
	TAILQ_INIT(&h->writes);
}

void
history_free(struct history *h)
{
	if (h->dirfd != -1)
		close(h->dirfd);
	h->dirfd = -1;
}

void
history_register(struct history *h)
{
	wproc_handle(h->wk, MSG_HISTORY_SAVE, on_history_save, h);
}
