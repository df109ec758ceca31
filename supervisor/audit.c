/*
 * audit.c: the audit log (audit.h): one JSON line per event, appended
 * with one write(2), reopened for logrotate, synced once a second.
 */
#include <sys/stat.h>
#include <sys/time.h>

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <bsd/string.h>
#include <jansson.h>

#include "audit.h"
#include "config.h"
#include "log.h"

#define AUDIT_SYNC_MS	1000

void
audit_init(struct audit *a)
{
	memset(a, 0, sizeof(*a));
	a->fd = -1;
}

int
audit_path(const struct config *c, char *out, size_t len)
{
	out[0] = '\0';
	if (c->audit_log[0] == '\0')
		return 0;
	if (c->audit_log[0] != '/')
		return snprintf(out, len, "%s/%s", c->state_dir, c->audit_log) <
		    (int)len ? 0 : -1;
	return strlcpy(out, c->audit_log, len) < len ? 0 : -1;
}

void
audit_close(struct audit *a)
{
	if (a->fd != -1) {
		if (a->dirty)
			(void)fdatasync(a->fd);
		close(a->fd);
	}
	a->fd = -1;
	a->dirty = false;
}

int
audit_open(struct audit *a, const struct config *c, char *err,
    size_t errlen)
{
	struct group	*gr;
	int		 fd;

	audit_close(a);
	a->failing = false;
	if (audit_path(c, a->path, sizeof(a->path)) == -1) {
		snprintf(err, errlen, "the path of audit_log under %s is too "
		    "long", c->state_dir);
		a->path[0] = '\0';
		return -1;
	}
	if (a->path[0] == '\0')
		return 0;
	if ((fd = open(a->path, O_WRONLY | O_APPEND | O_CREAT | O_NOFOLLOW |
	    O_CLOEXEC, 0640)) == -1) {
		snprintf(err, errlen, "%s: %s", a->path, strerror(errno));
		return -1;
	}
	/* 0640 whatever the umask (systemd's unit sets 0077). */
	if ((c->admin_group[0] != '\0' && (gr = getgrnam(c->admin_group)) !=
	    NULL && fchown(fd, (uid_t)-1, gr->gr_gid) == -1) ||
	    fchmod(fd, 0640) == -1) {
		snprintf(err, errlen, "chown %s: %s", a->path,
		    strerror(errno));
		close(fd);
		return -1;
	}
	a->fd = fd;
	return 0;
}

void
audit_event(struct audit *a, const char *event, json_t *fields)
{
	struct timeval	 tv;
	struct tm	 tm;
	json_t		*o;
	char		 stamp[40], *s, *line;
	ssize_t		 w;
	size_t		 n;

	if (a->fd == -1) {
		json_decref(fields);
		return;
	}
	gettimeofday(&tv, NULL);
	gmtime_r(&tv.tv_sec, &tm);
	n = strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(stamp + n, sizeof(stamp) - n, ".%03ldZ",
	    (long)(tv.tv_usec / 1000));
	o = json_pack("{s:s, s:s}", "time", stamp, "event", event);
	if (o == NULL || (fields != NULL &&
	    json_object_update(o, fields) == -1)) {
		json_decref(o);
		json_decref(fields);
		log_warnx("audit: out of memory; an event of %s is lost",
		    event);
		return;
	}
	json_decref(fields);
	s = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);
	json_decref(o);
	if (s == NULL || asprintf(&line, "%s\n", s) == -1) {
		free(s);
		log_warnx("audit: out of memory; an event of %s is lost",
		    event);
		return;
	}
	free(s);
	n = strlen(line);
	while ((w = write(a->fd, line, n)) == -1 && errno == EINTR)
		continue;
	free(line);
	if (w != (ssize_t)n) {
		/* Said once, until the file is reopened. */
		if (!a->failing)
			log_warnx("audit: write %s: %s; events are lost until "
			    "it is reopened (SIGUSR1)", a->path, w == -1 ?
			    strerror(errno) : "short write");
		a->failing = true;
		return;
	}
	a->dirty = true;
}

void
audit_tick(struct audit *a, int64_t now_ms)
{
	if (a->fd == -1 || !a->dirty || now_ms - a->synced_ms < AUDIT_SYNC_MS)
		return;
	if (fdatasync(a->fd) == -1)
		log_warn("audit: fdatasync %s", a->path);
	a->dirty = false;
	a->synced_ms = now_ms;
}
