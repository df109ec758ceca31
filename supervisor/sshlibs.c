/*
 * sshlibs.c: is the statically linked ssh worker older than the system's
 * libssh and OpenSSL?
 *
 * This build links iridium-worker-ssh statically (see the Makefile), so a
 * Debian security update of libssh or OpenSSL reaches it only when it is
 * rebuilt. iridiumd itself loads the shared libraries: when the one it
 * loaded was installed (its inode changed: dpkg writes a new file) after
 * the worker program was last written, say so, at start and on reload.
 * A reinstall of the same version warns too; that is the price of not
 * trusting version strings, which Debian's patch releases do not change.
 */
#include <sys/stat.h>

#include <link.h>
#include <stdbool.h>
#include <string.h>

#include "log.h"
#include "sshlibs.h"

struct scan {
	const char	*worker;
	struct stat	 wst;
	unsigned	 stale;
};

static bool
newer(const struct timespec *a, const struct timespec *b)
{
	return a->tv_sec > b->tv_sec ||
	    (a->tv_sec == b->tv_sec && a->tv_nsec > b->tv_nsec);
}

static int
one(struct dl_phdr_info *info, size_t size, void *arg)
{
	static const char *const libs[] = { "/libssh.so.", "/libcrypto.so." };
	struct scan	*s = arg;
	struct stat	 st;
	size_t		 i;

	(void)size;
	for (i = 0; i < sizeof(libs) / sizeof(libs[0]); i++) {
		if (info->dlpi_name == NULL ||
		    strstr(info->dlpi_name, libs[i]) == NULL)
			continue;
		if (stat(info->dlpi_name, &st) == -1 ||
		    !newer(&st.st_ctim, &s->wst.st_mtim))
			continue;
		s->stale++;
		log_warnx("ssh worker %s links its own copy of %s, but %s was "
		    "installed after it was built: rebuild and reinstall "
		    "iridium so ssh sessions get the library's fixes",
		    s->worker, libs[i] + 1, info->dlpi_name);
	}
	return 0;
}

unsigned
sshlibs_check_worker(const char *worker_path)
{
	struct scan	 s;

	memset(&s, 0, sizeof(s));
	if (!IRIDIUM_SSH_WORKER_STATIC)
		return 0;
	s.worker = worker_path;
	if (stat(worker_path, &s.wst) == -1)
		return 0;	/* the caller reports a missing program */
	(void)dl_iterate_phdr(one, &s);
	return s.stale;
}
