/*
 * uidpool.c: the workers' own uids, handed out and checked (see
 * uidpool.h).
 */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "uidpool.h"

#define BIT(off)	((uint64_t)1 << ((off) % 64))

int
uidpool_init(struct uidpool *p, uint32_t first, uint32_t last)
{
	memset(p, 0, sizeof(*p));
	if (last < first)
		return -1;
	p->first = first;
	p->count = last - first + 1;
	if ((p->bits = calloc(((size_t)p->count + 63) / 64,
	    sizeof(*p->bits))) == NULL) {
		p->count = 0;
		return -1;
	}
	return 0;
}

void
uidpool_free(struct uidpool *p)
{
	free(p->bits);
	memset(p, 0, sizeof(*p));
}

int64_t
uidpool_take(struct uidpool *p)
{
	uint32_t	 i, off;

	if (p->count == 0 || p->inuse == p->count)
		return -1;
	for (i = 0; i < p->count; i++) {
		off = (uint32_t)(((uint64_t)p->next + i) % p->count);
		if ((p->bits[off / 64] & BIT(off)) != 0)
			continue;
		p->bits[off / 64] |= BIT(off);
		p->inuse++;
		/* Round robin: a uid comes back as late as it can. */
		p->next = (uint32_t)(((uint64_t)off + 1) % p->count);
		return (int64_t)p->first + off;
	}
	return -1;
}

void
uidpool_give(struct uidpool *p, uint32_t uid)
{
	uint32_t	 off;

	if (p->count == 0 || uid < p->first || uid - p->first >= p->count)
		return;
	off = uid - p->first;
	if ((p->bits[off / 64] & BIT(off)) == 0)
		return;
	p->bits[off / 64] &= ~BIT(off);
	p->inuse--;
}

/* --- is the range free? -------------------------------------------------- */

static bool
in(uint64_t id, uint32_t first, uint32_t last)
{
	return id >= first && id <= last;
}

/*
 * Every id of first..last mapped by the user namespace's map at path
 * ("inside outside count" lines)? A kernel without user namespaces has
 * no such file: everything is mapped.
 */
static int
check_map(const char *path, const char *what, uint32_t first,
    uint32_t last, char *err, size_t errlen)
{
	unsigned long long	 lo[340], n[340], o;
	uint64_t		 cur = first;
	size_t			 k = 0, i;
	bool			 moved;
	FILE			*f;

	if ((f = fopen(path, "re")) == NULL)
		return 0;
	while (k < 340 && fscanf(f, "%llu %llu %llu", &lo[k], &o, &n[k]) == 3)
		k++;
	fclose(f);
	do {
		moved = false;
		for (i = 0; i < k; i++)
			if (cur >= lo[i] && cur < lo[i] + n[i]) {
				cur = lo[i] + n[i];
				moved = true;
			}
	} while (moved && cur <= last);
	if (cur <= last) {
		snprintf(err, errlen, "%s %llu is not mapped in this user "
		    "namespace (%s)", what, (unsigned long long)cur, path);
		return -1;
	}
	return 0;
}

/* The user and group databases, through NSS. */
static int
check_db(uint32_t first, uint32_t last, char *err, size_t errlen)
{
	struct passwd	*pw;
	struct group	*gr;
	uint64_t	 id;
	int		 rv = 0;

	/* Every entry of the sources that list theirs ... */
	setpwent();
	while (rv == 0 && (pw = getpwent()) != NULL) {
		if (in(pw->pw_uid, first, last)) {
			snprintf(err, errlen, "uid %u is user %s's",
			    (unsigned)pw->pw_uid, pw->pw_name);
			rv = -1;
		} else if (in(pw->pw_gid, first, last)) {
			snprintf(err, errlen, "gid %u is user %s's group",
			    (unsigned)pw->pw_gid, pw->pw_name);
			rv = -1;
		}
	}
	endpwent();
	setgrent();
	while (rv == 0 && (gr = getgrent()) != NULL)
		if (in(gr->gr_gid, first, last)) {
			snprintf(err, errlen, "gid %u is group %s's",
			    (unsigned)gr->gr_gid, gr->gr_name);
			rv = -1;
		}
	endgrent();
	/* ... and each id asked for, for the sources that do not list. */
	for (id = first; rv == 0 && id <= last; id++) {
		if ((pw = getpwuid((uid_t)id)) != NULL) {
			snprintf(err, errlen, "uid %llu is user %s's",
			    (unsigned long long)id, pw->pw_name);
			rv = -1;
		} else if ((gr = getgrgid((gid_t)id)) != NULL) {
			snprintf(err, errlen, "gid %llu is group %s's",
			    (unsigned long long)id, gr->gr_name);
			rv = -1;
		}
	}
	return rv;
}

/* The ids of a "Uid:" or "Gid:" line of /proc/PID/status in range? */
static bool
line_in(const char *s, const char *name, uint32_t first, uint32_t last,
    unsigned long long *hit)
{
	const char	*p = strstr(s, name);
	char		*end;
	int		 i;

	if (p == NULL)
		return false;
	p += strlen(name);
	for (i = 0; i < 4; i++) {
		*hit = strtoull(p, &end, 10);
		if (end == p)
			return false;
		if (in(*hit, first, last))
			return true;
		p = end;
	}
	return false;
}

/* Every process /proc shows: its real, effective, saved and fs ids. */
static int
check_procs(uint32_t first, uint32_t last, char *err, size_t errlen)
{
	char		 path[64], buf[4096], comm[32];
	unsigned long long id;
	struct dirent	*de;
	DIR		*d;
	FILE		*f;
	size_t		 n;
	const char	*c;
	int		 rv = 0;

	if ((d = opendir("/proc")) == NULL) {
		snprintf(err, errlen, "/proc: %s", strerror(errno));
		return -1;
	}
	while (rv == 0 && (de = readdir(d)) != NULL) {
		if (!isdigit((unsigned char)de->d_name[0]))
			continue;
		snprintf(path, sizeof(path), "/proc/%.16s/status",
		    de->d_name);
		if ((f = fopen(path, "re")) == NULL)
			continue;	/* gone meanwhile */
		n = fread(buf, 1, sizeof(buf) - 1, f);
		fclose(f);
		buf[n] = '\0';
		comm[0] = '\0';
		if (strncmp(buf, "Name:\t", 6) == 0)
			snprintf(comm, sizeof(comm), "%.*s",
			    (int)strcspn(buf + 6, "\n"), buf + 6);
		c = NULL;
		if (line_in(buf, "\nUid:", first, last, &id))
			c = "uid";
		else if (line_in(buf, "\nGid:", first, last, &id))
			c = "gid";
		if (c != NULL) {
			snprintf(err, errlen, "%s %llu is in use by process "
			    "%.16s (%s)", c, id, de->d_name, comm);
			rv = -1;
		}
	}
	closedir(d);
	return rv;
}

int
uidrange_check(uint32_t first, uint32_t last, bool procs, char *err,
    size_t errlen)
{
	if (check_map("/proc/self/uid_map", "uid", first, last, err,
	    errlen) == -1 ||
	    check_map("/proc/self/gid_map", "gid", first, last, err,
	    errlen) == -1)
		return -1;
	if (check_db(first, last, err, errlen) == -1)
		return -1;
	if (procs && check_procs(first, last, err, errlen) == -1)
		return -1;
	return 0;
}
