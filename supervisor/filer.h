/*
 * filer.h: file work done beside iridiumd's event loop (supervisor/filer.c).
 *
 * Some of what iridiumd does to files can take milliseconds: making a
 * recording's file (an inode to allocate, more so on a file system
 * without a journal, where ext4 scans past recently deleted inodes), or
 * an fsync. Done in the loop, every other connection would wait for it.
 * A filer runs such a job in a thread of its own, one per lane, jobs of a
 * lane in the order given, and hands each job back to the loop when it is
 * done (an eventfd wakes the loop).
 *
 * The rule that keeps this simple: a job's work() touches only the job
 * (its own copies and descriptors) and makes system calls; it neither
 * logs nor reads iridiumd's state. Its done() runs in the loop, where
 * everything else does, and frees the job. This is the pattern of nginx's
 * thread pools and Redis's background I/O, not a second event loop.
 *
 * A lane whose thread cannot start runs its jobs in the loop, as before,
 * after one log line.
 */
#ifndef IRIDIUM_FILER_H
#define IRIDIUM_FILER_H

#include <bsd/sys/queue.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "ev.h"

enum filer_lane {
	FILER_CREATE,	/* files a session waits for: recordings */
	FILER_SYNC,	/* writes that end in an fsync: histories */
	FILER_NLANES
};

struct filejob {
	TAILQ_ENTRY(filejob) entry;
	void		(*work)(struct filejob *);	/* in the lane's thread */
	void		(*done)(struct filejob *);	/* in the loop; frees */
	int64_t		 queued_ms;
};

TAILQ_HEAD(filejob_list, filejob);

struct filer {
	struct evloop	*loop;
	int		 efd;		/* eventfd: jobs are done */
	struct ev	 ev;
	pthread_mutex_t	 mu;
	pthread_cond_t	 cv;
	bool		 stopping;
	struct filer_thread {
		struct filer	*f;
		enum filer_lane	 id;
		pthread_t	 thread;
		bool		 running;
		bool		 failed;	/* no thread: jobs run inline */
		struct filejob_list todo;
	}		 lane[FILER_NLANES];
	struct filejob_list done;
	uint64_t	 jobs;		/* done, since the start */
	unsigned	 inflight;	/* given, not yet done */
	int64_t		 worst_ms;	/* longest a job waited and ran */
};

/* 0, or -1 with errno (no eventfd). No thread starts before a job. */
int		 filer_init(struct filer *, struct evloop *);
/*
 * Run job->work in lane's thread, then job->done in the loop. Never
 * blocks on the job; done() may run before this returns only when the
 * lane has no thread (it then ran inline).
 */
void		 filer_submit(struct filer *, enum filer_lane,
		    struct filejob *);
/*
 * Take back a job of lane that has not started: true, and it is the
 * caller's again (neither work() nor done() will run); false when it has
 * started or is done (done() runs, or has run, as usual).
 */
bool		 filer_cancel(struct filer *, enum filer_lane,
		    struct filejob *);
/* Finish every job given, run their done(), and end the threads. */
void		 filer_stop(struct filer *);

#endif
