/*
 * recording.c: session recordings, the supervisor's side (recording.h):
 * the directory, each recording's file and its asciicast v2 header.
 */
#include <sys/stat.h>
#include <sys/types.h>

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

#include "config.h"
#include "recording.h"

#define RECORDING_WIDTH		80	/* until the worker says "r" */
#define RECORDING_HEIGHT	24

void
recording_dir(const struct config *c, char *out, size_t len)
{
	if (c->record_dir[0] == '\0')
		snprintf(out, len, "%s/recordings", c->state_dir);
	else if (c->record_dir[0] != '/')
		snprintf(out, len, "%s/%s", c->state_dir, c->record_dir);
	else
		strlcpy(out, c->record_dir, len);
}

bool
recording_wanted(const struct config *c)
{
	size_t	 i;

	for (i = 0; i < c->nlisteners; i++)
		if (strcmp(c->listeners[i].record, "off") != 0)
			return true;
	return false;
}

int
recording_check(const struct config *c, char *err, size_t errlen)
{
	struct stat	 st;
	char		 dir[CONFIG_PATHLEN], parent[CONFIG_PATHLEN], *slash;

	recording_dir(c, dir, sizeof(dir));
	if (stat(dir, &st) == 0) {
		if (!S_ISDIR(st.st_mode)) {
			snprintf(err, errlen, "%s is not a directory", dir);
			return -1;
		}
		if (access(dir, W_OK | X_OK) == -1) {
			snprintf(err, errlen, "%s: %s", dir, strerror(errno));
			return -1;
		}
		return 0;
	}
	if (errno != ENOENT) {
		snprintf(err, errlen, "%s: %s", dir, strerror(errno));
		return -1;
	}
	/* Missing: made at the start when its parent takes it. */
	strlcpy(parent, dir, sizeof(parent));
	if ((slash = strrchr(parent, '/')) != NULL && slash != parent)
		*slash = '\0';
	if (access(parent, W_OK | X_OK) == -1) {
		snprintf(err, errlen, "%s is missing and cannot be made (%s: "
		    "%s)", dir, parent, strerror(errno));
		return -1;
	}
	return 0;
}

void
recorder_init(struct recorder *r)
{
	memset(r, 0, sizeof(*r));
	r->dirfd = -1;
	r->gid = (gid_t)-1;
}

void
recorder_close(struct recorder *r)
{
	if (r->dirfd != -1)
		close(r->dirfd);
	r->dirfd = -1;
}

int
recorder_open(struct recorder *r, const struct config *c, char *err,
    size_t errlen)
{
	struct group	*gr;
	int		 fd;

	recorder_close(r);
	recording_dir(c, r->dir, sizeof(r->dir));
	r->gid = (gid_t)-1;
	if (c->admin_group[0] != '\0' && (gr = getgrnam(c->admin_group)) !=
	    NULL)
		r->gid = gr->gr_gid;
	if (mkdir(r->dir, 0750) == 0) {
		if ((r->gid != (gid_t)-1 && chown(r->dir, (uid_t)-1,
		    r->gid) == -1) || chmod(r->dir, 0750) == -1) {
			snprintf(err, errlen, "chown %s: %s", r->dir,
			    strerror(errno));
			return -1;
		}
	} else if (errno != EEXIST) {
		snprintf(err, errlen, "%s: %s", r->dir, strerror(errno));
		return -1;
	}
	if ((fd = open(r->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1) {
		snprintf(err, errlen, "%s: %s", r->dir, strerror(errno));
		return -1;
	}
	if (faccessat(fd, ".", W_OK | X_OK, 0) == -1) {
		snprintf(err, errlen, "%s: %s", r->dir, strerror(errno));
		close(fd);
		return -1;
	}
	r->dirfd = fd;
	return 0;
}

/* The directory name under at, made (0750, group gid) when missing. */
static int
subdir(int at, const char *name, gid_t gid)
{
	int	 fd;

	if (mkdirat(at, name, 0750) == 0) {
		if ((fd = openat(at, name, O_RDONLY | O_DIRECTORY |
		    O_NOFOLLOW | O_CLOEXEC)) == -1)
			return -1;
		/* 0750 whatever the umask (systemd's unit sets 0077). */
		if ((gid != (gid_t)-1 && fchown(fd, (uid_t)-1, gid) == -1) ||
		    fchmod(fd, 0750) == -1) {
			close(fd);
			return -1;
		}
		return fd;
	}
	if (errno != EEXIST)
		return -1;
	return openat(at, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
	    O_CLOEXEC);
}

/* The peer as part of a file name: "127.0.0.1:5000" -> "127.0.0.1_5000". */
static void
peer_name(const char *peer, char *out, size_t len)
{
	size_t	 i, o = 0;
	char	 ch;

	for (i = 0; peer[i] != '\0' && o + 1 < len; i++) {
		ch = peer[i];
		if (ch == '[' || ch == ']')
			continue;
		out[o++] = (ch >= 'a' && ch <= 'z') || (ch >= 'A' &&
		    ch <= 'Z') || (ch >= '0' && ch <= '9') || ch == '.' ?
		    ch : '_';
	}
	out[o] = '\0';
	if (o == 0)
		strlcpy(out, "unknown", len);
}

/* The header line, "\n" included; NULL when out of memory. */
static char *
header(const struct recording_info *i, time_t now, const char *start)
{
	json_t	*h, *x;
	char	*s, *line, title[128];

	snprintf(title, sizeof(title), "iridium session %lld, %s from %s",
	    (long long)i->id, i->tenant, i->peer);
	x = json_pack("{s:I, s:s, s:s, s:s, s:s, s:s, s:s}",
	    "session", (json_int_t)i->id, "tenant", i->tenant,
	    "listener", i->listener, "transport", i->transport,
	    "peer", i->peer, "fingerprint", i->fingerprint,
	    "start", start);
	if (x == NULL)
		return NULL;
	h = json_pack("{s:i, s:i, s:i, s:I, s:s, s:o}", "version", 2,
	    "width", RECORDING_WIDTH, "height", RECORDING_HEIGHT,
	    "timestamp", (json_int_t)now, "title", title, "iridium", x);
	if (h == NULL)
		return NULL;
	s = json_dumps(h, JSON_COMPACT | JSON_PRESERVE_ORDER);
	json_decref(h);
	if (s == NULL)
		return NULL;
	if (asprintf(&line, "%s\n", s) == -1)
		line = NULL;
	free(s);
	return line;
}

int
recorder_start(struct recorder *r, const struct recording_info *i,
    size_t *hdrlen, char *path, size_t pathlen, char *err, size_t errlen)
{
	struct tm	 tm;
	time_t		 now = time(NULL);
	char		 day[16], peer[MSG_ADDR_MAX + 1], name[MSG_ADDR_MAX + 48];
	char		 start[32], *line;
	int		 tfd = -1, dfd = -1, fd = -1, n;
	ssize_t		 w;

	if (r->dirfd == -1) {
		snprintf(err, errlen, "the directory %s is not open", r->dir);
		return -1;
	}
	gmtime_r(&now, &tm);
	strftime(day, sizeof(day), "%Y-%m-%d", &tm);
	strftime(start, sizeof(start), "%Y-%m-%dT%H:%M:%SZ", &tm);
	peer_name(i->peer, peer, sizeof(peer));
	if ((tfd = subdir(r->dirfd, i->tenant, r->gid)) == -1) {
		snprintf(err, errlen, "%s/%s: %s", r->dir, i->tenant,
		    strerror(errno));
		return -1;
	}
	if ((dfd = subdir(tfd, day, r->gid)) == -1) {
		snprintf(err, errlen, "%s/%s/%s: %s", r->dir, i->tenant, day,
		    strerror(errno));
		close(tfd);
		return -1;
	}
	close(tfd);
	/* A connection handed again keeps its id: a name of its own. */
	for (n = 1; n <= 9 && fd == -1; n++) {
		if (n == 1)
			snprintf(name, sizeof(name), "%lld-%s.cast",
			    (long long)i->id, peer);
		else
			snprintf(name, sizeof(name), "%lld-%s.%d.cast",
			    (long long)i->id, peer, n);
		fd = openat(dfd, name, O_WRONLY | O_CREAT | O_EXCL |
		    O_NOFOLLOW | O_APPEND | O_CLOEXEC, 0640);
		if (fd == -1 && errno != EEXIST)
			break;
	}
	close(dfd);
	snprintf(path, pathlen, "%s/%s/%s", i->tenant, day, name);
	if (fd == -1) {
		snprintf(err, errlen, "%s/%s: %s", r->dir, path,
		    strerror(errno));
		return -1;
	}
	if ((r->gid != (gid_t)-1 && fchown(fd, (uid_t)-1, r->gid) == -1) ||
	    fchmod(fd, 0640) == -1) {
		snprintf(err, errlen, "%s/%s: %s", r->dir, path,
		    strerror(errno));
		close(fd);
		return -1;
	}
	if ((line = header(i, now, start)) == NULL) {
		snprintf(err, errlen, "%s/%s: out of memory", r->dir, path);
		close(fd);
		return -1;
	}
	*hdrlen = strlen(line);
	w = write(fd, line, *hdrlen);
	free(line);
	if (w != (ssize_t)*hdrlen) {
		snprintf(err, errlen, "%s/%s: write: %s", r->dir, path,
		    w == -1 ? strerror(errno) : "short");
		close(fd);
		return -1;
	}
	return fd;
}
