/*
 * staticlibs.c: is a statically linked worker older than the system's
 * copies of the libraries it carries?
 *
 * This build links both worker programs statically (see the Makefile), so
 * a Debian security update of glibc, libssh, OpenSSL or the others reaches
 * sessions only when iridium is rebuilt. For each library a worker
 * carries, look at the system's shared copy in the directory the
 * supervisor's own libc came from: when it was installed (its inode
 * changed: dpkg writes a new file) after the worker program was last
 * written, say so, at start and on reload. A reinstall of the same version
 * warns too; that is the price of not trusting version strings, which
 * Debian's patch releases do not change.
 */
#include <sys/stat.h>

#include <limits.h>
#include <link.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "log.h"
#include "staticlibs.h"

/*
 * libseccomp is no longer linked into a worker, but the seccomp filter a
 * worker carries is what the build machine's libseccomp compiled
 * (seccomp_bpf.h): a fix to it, too, reaches workers only by a rebuild.
 */
const char *const staticlibs_line[] = {
	"libc.so.6", "libbsd.so.0", "libmd.so.0", "libjansson.so.4",
	"libseccomp.so.2", NULL,
};
const char *const staticlibs_ssh[] = {
	"libc.so.6", "libbsd.so.0", "libmd.so.0", "libjansson.so.4",
	"libseccomp.so.2", "libssh.so.4", "libcrypto.so.3", "libz.so.1", NULL,
};

/* The directory of the libc this process runs with. */
static int
libc_dir(struct dl_phdr_info *info, size_t size, void *arg)
{
	char		*dir = arg;
	const char	*slash;

	(void)size;
	if (info->dlpi_name == NULL ||
	    (slash = strrchr(info->dlpi_name, '/')) == NULL ||
	    strcmp(slash, "/libc.so.6") != 0 ||
	    (size_t)(slash - info->dlpi_name) >= PATH_MAX)
		return 0;
	memcpy(dir, info->dlpi_name, (size_t)(slash - info->dlpi_name));
	dir[slash - info->dlpi_name] = '\0';
	return 1;
}

static bool
newer(const struct timespec *a, const struct timespec *b)
{
	return a->tv_sec > b->tv_sec ||
	    (a->tv_sec == b->tv_sec && a->tv_nsec > b->tv_nsec);
}

unsigned
staticlibs_check(const char *worker_path, const char *const sonames[])
{
	struct stat	 wst, st;
	char		 dir[PATH_MAX], path[PATH_MAX + 64];
	unsigned	 stale = 0;
	size_t		 i;

	if (!IRIDIUM_WORKERS_STATIC)
		return 0;
	dir[0] = '\0';
	if (stat(worker_path, &wst) == -1 ||
	    dl_iterate_phdr(libc_dir, dir) == 0 || dir[0] == '\0')
		return 0;	/* a missing program is reported elsewhere */
	for (i = 0; sonames[i] != NULL; i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, sonames[i]);
		if (stat(path, &st) == -1 || !newer(&st.st_ctim, &wst.st_mtim))
			continue;
		stale++;
		log_warnx("worker %s links its own copy of %s, but %s was "
		    "installed after it was built: rebuild and reinstall "
		    "iridium so sessions get the library's fixes",
		    worker_path, sonames[i], path);
	}
	return stale;
}
