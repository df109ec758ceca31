/*
 * cleanup.c: what a test leaves behind, undone by hd_fini whether it
 * passed or failed (see harness.h): the daemons the harness started, the
 * workers and clients of the fake supervisor, the temporary directories.
 * Each is noted with hd_defer when it comes and forgotten with
 * hd_undefer when the test cleans it up itself.
 */
#include <criterion/criterion.h>

#include <sys/stat.h>

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "harness.h"

#define DEFER_MAX	96
#define TMPDIR_MAX	64

static struct {
	void	(*fn)(void *);
	void	*arg;
} deferred[DEFER_MAX];
static int	 ndeferred;

/* The directories hd_tmpdir made, for rm_tmpdir. */
static char	 tmpdirs[TMPDIR_MAX][256];
static int	 ntmpdirs;

void
hd_defer(void (*fn)(void *), void *arg)
{
	hd_undefer(fn, arg);	/* once, in its latest place */
	cr_assert_lt(ndeferred, DEFER_MAX, "more than %d things for hd_fini",
	    DEFER_MAX);
	deferred[ndeferred].fn = fn;
	deferred[ndeferred++].arg = arg;
}

void
hd_undefer(void (*fn)(void *), void *arg)
{
	int	 i, k;

	for (i = k = 0; i < ndeferred; i++)
		if (deferred[i].fn != fn || deferred[i].arg != arg)
			deferred[k++] = deferred[i];
	ndeferred = k;
}

void
hd_fini(void)
{
	void	(*fn)(void *);
	void	*arg;

	/* The latest first; each may hd_undefer itself meanwhile. */
	while (ndeferred > 0) {
		fn = deferred[ndeferred - 1].fn;
		arg = deferred[ndeferred - 1].arg;
		hd_undefer(fn, arg);
		fn(arg);
	}
	ntmpdirs = 0;
}

static void
rm_tmpdir(void *dir)
{
	hd_rmtree(dir);
}

void
hd_tmpdir(char *buf, size_t len, const char *tag)
{
	char	*kept;

	snprintf(buf, len, "/tmp/iridium-test-%s-XXXXXX", tag);
	if (mkdtemp(buf) == NULL) {
		perror("mkdtemp");
		abort();
	}
	chmod(buf, 0755);
	cr_assert_lt(ntmpdirs, TMPDIR_MAX, "more than %d temporary "
	    "directories for hd_fini", TMPDIR_MAX);
	kept = tmpdirs[ntmpdirs++];
	snprintf(kept, sizeof(tmpdirs[0]), "%s", buf);
	hd_defer(rm_tmpdir, kept);
}

void
hd_rmtree(const char *dir)
{
	char	 cmd[600];

	if (dir[0] == '\0')
		return;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd) != 0) {
		/* leave it */
	}
}
