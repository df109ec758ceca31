/*
 * uidpool.h: every worker a uid and gid of its own (supervisor/uidpool.c).
 *
 * As root, iridiumd gives each worker it starts a uid from the configured
 * range worker_uids (gid = uid), which no user, group or other process
 * may use: so no worker can signal or ptrace another, even through a hole
 * in its seccomp filter, and nothing else on the host shares its uid. A
 * uid goes back to the pool only when its worker has been reaped, and is
 * handed out again as late as possible (round robin).
 *
 * The checks that the range is free (uidrange_check) run once, at the
 * start and in `iridiumd -t`: the user and group databases through NSS
 * (each uid and gid asked for, and every entry enumerated), every running
 * process, and the user namespace's uid and gid maps. Library code: it
 * returns what it found, the caller logs.
 */
#ifndef IRIDIUM_UIDPOOL_H
#define IRIDIUM_UIDPOOL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct uidpool {
	uint32_t	 first;		/* the range's first uid */
	uint32_t	 count;		/* its size; 0: no range */
	uint32_t	 next;		/* where the next search starts */
	uint32_t	 inuse;
	uint64_t	*bits;		/* one per uid: held by a worker */
};

/* A pool of the uids first..last; -1 when out of memory. */
int		 uidpool_init(struct uidpool *, uint32_t first, uint32_t last);
void		 uidpool_free(struct uidpool *);
/* A free uid, now held; -1 when every one is held. */
int64_t		 uidpool_take(struct uidpool *);
/* uid's worker has been reaped: it may be handed out again. */
void		 uidpool_give(struct uidpool *, uint32_t uid);

/*
 * Whether first..last may be used: 0, or -1 with the first reason it may
 * not in err ("uid 1000 is user alice's"). procs: also check the running
 * processes (needs root for the processes /proc hides).
 */
int		 uidrange_check(uint32_t first, uint32_t last, bool procs,
		    char *err, size_t errlen);

#endif
