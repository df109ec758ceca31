/*
 * recording.c: session recordings, the supervisor's side (recording.h):
 * the directory, each recording's file and its asciicast v2 header.
 */
#include <sys/stat.h>
#include <sys/types.h>

#include <dirent.h>
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
recorder_prepare(struct recorder *r, const struct recording_info *i,
    struct recording_req *q, char *err, size_t errlen)
{
	struct tm	 tm;
	time_t		 now = time(NULL);
	char		 start[32], peer[MSG_ADDR_MAX + 1];

	memset(q, 0, sizeof(*q));
	q->dirfd = q->fd = -1;
	if (r->dirfd == -1) {
		snprintf(err, errlen, "the directory %s is not open", r->dir);
		return -1;
	}
	gmtime_r(&now, &tm);
	strftime(q->day, sizeof(q->day), "%Y-%m-%d", &tm);
	strftime(start, sizeof(start), "%Y-%m-%dT%H:%M:%SZ", &tm);
	peer_name(i->peer, peer, sizeof(peer));
	snprintf(q->stem, sizeof(q->stem), "%lld-%s", (long long)i->id, peer);
	strlcpy(q->tenant, i->tenant, sizeof(q->tenant));
	strlcpy(q->dir, r->dir, sizeof(q->dir));
	q->gid = r->gid;
	if ((q->header = header(i, now, start)) == NULL) {
		snprintf(err, errlen, "%s: out of memory", r->dir);
		return -1;
	}
	q->hdrlen = strlen(q->header);
	/* Its own: a reload may close the recorder's meanwhile. */
	if ((q->dirfd = fcntl(r->dirfd, F_DUPFD_CLOEXEC, 0)) == -1) {
		snprintf(err, errlen, "%s: dup: %s", r->dir, strerror(errno));
		free(q->header);
		q->header = NULL;
		return -1;
	}
	return 0;
}

void
recording_create(struct recording_req *q)
{
	char		 name[sizeof(q->stem) + 16];
	int		 tfd, dfd, fd = -1, n;
	ssize_t		 w;

	if ((tfd = subdir(q->dirfd, q->tenant, q->gid)) == -1) {
		snprintf(q->err, sizeof(q->err), "%s/%s: %s", q->dir,
		    q->tenant, strerror(errno));
		return;
	}
	if ((dfd = subdir(tfd, q->day, q->gid)) == -1) {
		snprintf(q->err, sizeof(q->err), "%s/%s/%s: %s", q->dir,
		    q->tenant, q->day, strerror(errno));
		close(tfd);
		return;
	}
	close(tfd);
	/* A connection handed again keeps its id: a name of its own. */
	name[0] = '\0';
	for (n = 1; n <= 9 && fd == -1; n++) {
		if (n == 1)
			snprintf(name, sizeof(name), "%s.cast", q->stem);
		else
			snprintf(name, sizeof(name), "%s.%d.cast", q->stem, n);
		fd = openat(dfd, name, O_WRONLY | O_CREAT | O_EXCL |
		    O_NOFOLLOW | O_APPEND | O_CLOEXEC, 0640);
		if (fd == -1 && errno != EEXIST)
			break;
	}
	close(dfd);
	snprintf(q->path, sizeof(q->path), "%s/%s/%s", q->tenant, q->day,
	    name);
	if (fd == -1) {
		snprintf(q->err, sizeof(q->err), "%s/%s: %s", q->dir, q->path,
		    strerror(errno));
		return;
	}
	if ((q->gid != (gid_t)-1 && fchown(fd, (uid_t)-1, q->gid) == -1) ||
	    fchmod(fd, 0640) == -1) {
		snprintf(q->err, sizeof(q->err), "%s/%s: %s", q->dir, q->path,
		    strerror(errno));
		close(fd);
		return;
	}
	w = write(fd, q->header, q->hdrlen);
	if (w != (ssize_t)q->hdrlen) {
		snprintf(q->err, sizeof(q->err), "%s/%s: write: %s", q->dir,
		    q->path, w == -1 ? strerror(errno) : "short");
		close(fd);
		return;
	}
	q->fd = fd;
}

void
recording_req_free(struct recording_req *q)
{
	if (q->dirfd != -1)
		close(q->dirfd);
	if (q->fd != -1)
		close(q->fd);
	q->dirfd = q->fd = -1;
	free(q->header);
	q->header = NULL;
}

/* --- listing -------------------------------------------------------------- */

static int
name_cmp(const void *a, const void *b)
{
	/* Session 10 after session 9: numbers in names compare as such. */
	return strverscmp(*(char *const *)a, *(char *const *)b);
}

/* The names in directory fd (taken) that keep() likes, sorted; NULL: none. */
static char **
names(int fd, bool (*keep)(const char *, const void *), const void *arg,
    size_t *n)
{
	DIR		*d;
	struct dirent	*e;
	char		**v = NULL, **nv;
	size_t		 cap = 0;

	*n = 0;
	if ((d = fdopendir(fd)) == NULL) {
		close(fd);
		return NULL;
	}
	while ((e = readdir(d)) != NULL) {
		if (e->d_name[0] == '.' || !keep(e->d_name, arg))
			continue;
		if (*n == cap) {
			cap = cap == 0 ? 16 : cap * 2;
			if ((nv = reallocarray(v, cap, sizeof(*v))) == NULL)
				break;
			v = nv;
		}
		if ((v[*n] = strdup(e->d_name)) == NULL)
			break;
		(*n)++;
	}
	closedir(d);
	if (*n > 0)
		qsort(v, *n, sizeof(*v), name_cmp);
	return v;
}

static void
names_free(char **v, size_t n)
{
	while (n > 0)
		free(v[--n]);
	free(v);
}

static bool
keep_tenant(const char *name, const void *arg)
{
	const char	*tenant = arg;

	return *tenant == '\0' || strcmp(name, tenant) == 0;
}

static bool
keep_day(const char *name, const void *arg)
{
	const char	*since = arg;

	return strlen(name) == 10 && (*since == '\0' ||
	    strcmp(name, since) >= 0);
}

static bool
keep_cast(const char *name, const void *arg)
{
	size_t	 n = strlen(name);

	(void)arg;
	return n > 5 && strcmp(name + n - 5, ".cast") == 0;
}

/* The header's timestamp: iridiumd's own first line; -1 when unreadable. */
static int64_t
started(int dfd, const char *name)
{
	char	 head[4096], *nl;
	json_t	*h;
	ssize_t	 n;
	int64_t	 t = -1;
	int	 fd;

	if ((fd = openat(dfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC |
	    O_NONBLOCK)) == -1)
		return -1;
	n = read(fd, head, sizeof(head) - 1);
	close(fd);
	if (n <= 0)
		return -1;
	head[n] = '\0';
	if ((nl = strchr(head, '\n')) == NULL)
		return -1;
	if ((h = json_loadb(head, (size_t)(nl - head), 0, NULL)) != NULL &&
	    json_is_integer(json_object_get(h, "timestamp")))
		t = json_integer_value(json_object_get(h, "timestamp"));
	json_decref(h);
	return t;
}

json_t *
recorder_list(struct recorder *r, const char *tenant, const char *since,
    char *err, size_t errlen)
{
	char		**tv, **dv, **fv;
	size_t		 nt, nd, nf, i, j, k, count = 0;
	struct stat	 st;
	json_t		*a, *o;
	int64_t		 t0;
	int		 tfd, dfd, fd;
	bool		 truncated = false;

	if (r->dirfd == -1) {
		snprintf(err, errlen, "no recording directory is open (%s)",
		    r->dir[0] != '\0' ? r->dir : "no listener records");
		return NULL;
	}
	if ((a = json_array()) == NULL ||
	    (fd = openat(r->dirfd, ".", O_RDONLY | O_DIRECTORY |
	    O_CLOEXEC)) == -1) {
		json_decref(a);
		snprintf(err, errlen, "%s: %s", r->dir, strerror(errno));
		return NULL;
	}
	tv = names(fd, keep_tenant, tenant, &nt);
	for (i = 0; i < nt && !truncated; i++) {
		if ((tfd = openat(r->dirfd, tv[i], O_RDONLY | O_DIRECTORY |
		    O_NOFOLLOW | O_CLOEXEC)) == -1)
			continue;
		if ((fd = dup(tfd)) == -1) {
			close(tfd);
			continue;
		}
		dv = names(fd, keep_day, since, &nd);
		for (j = 0; j < nd && !truncated; j++) {
			if ((dfd = openat(tfd, dv[j], O_RDONLY | O_DIRECTORY |
			    O_NOFOLLOW | O_CLOEXEC)) == -1)
				continue;
			if ((fd = dup(dfd)) == -1) {
				close(dfd);
				continue;
			}
			fv = names(fd, keep_cast, NULL, &nf);
			for (k = 0; k < nf; k++) {
				if (count == RECORDING_LIST_MAX) {
					truncated = true;
					break;
				}
				if (fstatat(dfd, fv[k], &st,
				    AT_SYMLINK_NOFOLLOW) == -1 ||
				    !S_ISREG(st.st_mode))
					continue;
				t0 = started(dfd, fv[k]);
				o = json_pack("{s:s, s:s, s:s, s:I, s:I, s:I}",
				    "tenant", tv[i], "date", dv[j],
				    "file", fv[k], "bytes",
				    (json_int_t)st.st_size, "started",
				    (json_int_t)t0, "duration_seconds",
				    (json_int_t)(t0 >= 0 && st.st_mtime >= t0 ?
				    st.st_mtime - t0 : 0));
				if (o != NULL && json_array_append_new(a,
				    o) == 0)
					count++;
			}
			names_free(fv, nf);
			close(dfd);
		}
		names_free(dv, nd);
		close(tfd);
	}
	names_free(tv, nt);
	return json_pack("{s:s, s:o, s:b}", "dir", r->dir, "recordings", a,
	    "truncated", truncated);
}
