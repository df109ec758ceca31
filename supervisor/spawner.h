/*
 * spawner.h: the helper process that starts workers for the supervisor
 * (supervisor/spawner.c).
 *
 * iridiumd forks it once at start-up, with nothing open but its channel
 * (a SOCK_SEQPACKET socketpair) and /dev/null. For each worker the
 * supervisor sends a request (the program, argv, envp, the worker's
 * channel and stderr fds) without waiting; the helper starts the program
 * and answers with its pid or an errno, in the order asked. The worker is
 * the supervisor's child (CLONE_PARENT), not the helper's: the supervisor
 * reaps it, with its rusage, from its SIGCHLD as before, and a worker's
 * pid is the supervisor's own until it reaps it.
 *
 * It knows nothing of workers: a request carries the asker's cookie, and
 * the answer goes to the callback given to spawner_init() (wproc.c's).
 */
#ifndef IRIDIUM_SPAWNER_H
#define IRIDIUM_SPAWNER_H

#include <sys/resource.h>
#include <sys/types.h>

#include <bsd/sys/queue.h>
#include <stdbool.h>
#include <stdint.h>

#include "ev.h"

/* A worker that died before its pid came from the helper. */
struct spawn_early {
	pid_t		 pid;
	int		 status;
	struct rusage	 ru;
};

#define SPAWN_EARLY_MAX	16

/*
 * The answer to one request: its program's pid, or -1 with err (it did
 * not start; err 0: the helper failed, not the program). early: the
 * child died before the answer came (spawner_reaped kept its end).
 */
typedef void	(*spawn_answer)(void *arg, void *cookie, pid_t pid, int err,
		    const struct spawn_early *early);

/* One request waiting for its answer; the asker keeps it (no malloc). */
struct spawn_wait {
	TAILQ_ENTRY(spawn_wait) entry;
	void		*cookie;	/* the asker's, handed back */
	int64_t		 asked_ms;
	int64_t		 timeout_ms;	/* longer without an answer: stuck */
};

struct spawner {
	pid_t		 pid;		/* the helper; -1: none */
	pid_t		 killed;	/* a helper we killed, not reaped */
	int		 fd;		/* our end of its channel; -1: none */
	int		 devnull;	/* given to each helper */
	struct ev	 ev;
	struct evloop	*loop;
	spawn_answer	 answer;
	void		*arg;
	TAILQ_HEAD(, spawn_wait) waiting;	/* asked for, no answer yet */
	struct spawn_early early[SPAWN_EARLY_MAX];
	unsigned	 nearly;
};

/* Answers go to answer(arg, ...), from loop's callbacks. */
void	spawner_init(struct spawner *, struct evloop *loop,
	    spawn_answer answer, void *arg);
/* Fork the helper, with devnull for its fds 0 and 1. 0, or -1 with errno. */
int	spawner_start(struct spawner *, int devnull);
/* Close its channel (it exits) and reap it. */
void	spawner_stop(struct spawner *);
/*
 * Ask for a program: path, argv and envp (each at most a few KiB), with
 * chan on the child's fd 3 and errw (or /dev/null, when -1) on its fd 2.
 * Never blocks. 0, or an errno (EAGAIN: the helper is behind; try later).
 * The answer comes to the spawn_answer with sw->cookie; until then sw is
 * the spawner's, and is judged stuck past sw->timeout_ms (spawner_tick).
 */
int	spawner_request(struct spawner *, struct spawn_wait *sw,
	    const char *path, char *const argv[], char *const envp[],
	    int chan, int errw);
/*
 * A child reaped that no worker claims: the helper itself (true; it is
 * started again at the next request), or a worker whose pid has not come
 * yet, kept until it does (true). false: a stranger.
 */
bool	spawner_reaped(struct spawner *, pid_t, int status,
	    const struct rusage *);
/*
 * Once a second: a helper that has not answered its oldest request within
 * that request's timeout (stopped, or stuck) is killed, in one log line;
 * the requests it owed are answered with err 0, and a new helper starts
 * with the next request.
 */
void	spawner_tick(struct spawner *, int64_t now);

#endif
