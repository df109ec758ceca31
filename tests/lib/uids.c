/*
 * uids.c: worker uid ranges for test daemons (see harness.h).
 *
 * Every daemon a test starts gets its own slice of HD_UIDS_RANGE (or
 * $IRIDIUM_TEST_UIDS) for its workers' uids, so daemons of concurrent
 * tests, of other checkouts on the machine and a real iridiumd with the
 * default worker_uids never share a uid. A slice is claimed with a lock
 * on /tmp/iridium-test-uids/FIRST-LAST.lock, held by the test process
 * until the daemon is cleaned up (or the process ends), and only when no
 * user, group or running process has any of its ids: what iridiumd
 * itself checks at its start (uidrange_check), a lingering worker of an
 * earlier test included.
 */
#include <sys/file.h>
#include <sys/stat.h>

#include <criterion/criterion.h>

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness.h"
#include "uidpool.h"

#define LOCKDIR		"/tmp/iridium-test-uids"
#define WAIT_MS		60000

/* The range the slices come from: FIRST-LAST. */
static void
test_range(uint32_t *first, uint32_t *last)
{
	const char		*e = getenv("IRIDIUM_TEST_UIDS");
	unsigned long long	 a, b;

	if (e == NULL)
		e = HD_UIDS_RANGE;
	cr_assert(sscanf(e, "%llu-%llu", &a, &b) == 2 && a > 0 && a <= b &&
	    b < 4294967295ULL && b - a + 1 >= HD_UIDS_SLICE,
	    "IRIDIUM_TEST_UIDS=\"%s\" is not FIRST-LAST with at least %d "
	    "uids", e, HD_UIDS_SLICE);
	*first = (uint32_t)a;
	*last = (uint32_t)b;
}

int
hd_uids_take(char *range, size_t len)
{
	uint32_t	 first, last, nslices, i, s, a;
	char		 path[128], why[256];
	long long	 end = hd_now_ms() + WAIT_MS;
	int		 fd;

	test_range(&first, &last);
	nslices = (last - first + 1) / HD_UIDS_SLICE;
	if (mkdir(LOCKDIR, 01777) == 0)
		(void)chmod(LOCKDIR, 01777);	/* past the umask */
	for (;;) {
		/* Start somewhere else each time: fewer collisions. */
		s = (uint32_t)getpid() % nslices;
		for (i = 0; i < nslices; i++) {
			a = first + ((s + i) % nslices) * HD_UIDS_SLICE;
			snprintf(path, sizeof(path), "%s/%u-%u.lock", LOCKDIR,
			    a, a + HD_UIDS_SLICE - 1);
			fd = open(path, O_RDONLY | O_CREAT | O_CLOEXEC, 0644);
			if (fd == -1)
				continue;
			if (flock(fd, LOCK_EX | LOCK_NB) == -1 ||
			    (geteuid() == 0 && uidrange_check(a,
			    a + HD_UIDS_SLICE - 1, true, why,
			    sizeof(why)) == -1)) {
				close(fd);
				continue;
			}
			snprintf(range, len, "%u-%u", a, a + HD_UIDS_SLICE - 1);
			return fd;
		}
		cr_assert_lt(hd_now_ms(), end, "no free slice of %u-%u for a "
		    "test daemon's worker uids in %d s", first, last,
		    WAIT_MS / 1000);
		usleep(100000);
	}
}

void
hd_uids_release(int fd)
{
	if (fd > 0)
		close(fd);
}
