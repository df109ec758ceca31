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
 */
#ifndef IRIDIUM_SPAWNER_H
#define IRIDIUM_SPAWNER_H

#include <sys/resource.h>
#include <sys/types.h>

#include <bsd/sys/queue.h>
#include <stdbool.h>
#include <stdint.h>

#include "ev.h"

struct daemon;
struct worker;

/* A worker that died before its pid came from the helper. */
struct spawn_early {
	pid_t		 pid;
	int		 status;
	struct rusage	 ru;
};

#define SPAWN_EARLY_MAX	16

struct spawner {
	pid_t		 pid;		/* the helper; -1: none */
	pid_t		 killed;	/* a helper we killed, not reaped */
	int		 fd;		/* our end of its channel; -1: none */
	struct ev	 ev;
	TAILQ_HEAD(, worker) waiting;	/* asked for, no answer yet */
	struct spawn_early early[SPAWN_EARLY_MAX];
	unsigned	 nearly;
};

void	spawner_init(struct spawner *);
/* Fork the helper. 0, or -1 with errno. */
int	spawner_start(struct daemon *);
/* Close its channel (it exits) and reap it. */
void	spawner_stop(struct daemon *);
/*
 * Ask for w's program: path, argv and envp (each at most a few KiB), with
 * chan on the worker's fd 3 and errw (or /dev/null, when -1) on its fd 2.
 * Never blocks. 0, or an errno (EAGAIN: the helper is behind; try later).
 * The answer comes to wproc_spawned(); until then w->pid is 0.
 */
int	spawner_request(struct daemon *, struct worker *w, const char *path,
	    char *const argv[], char *const envp[], int chan, int errw);
/*
 * A child reaped that no worker claims: the helper itself (true; it is
 * started again at the next request), or a worker whose pid has not come
 * yet, kept until it does (true). false: a stranger.
 */
bool	spawner_reaped(struct daemon *, pid_t, int status,
	    const struct rusage *);
/*
 * Once a second: a helper that has not answered its oldest request within
 * that pool's ready_timeout (stopped, or stuck) is killed, in one log
 * line; the workers it owed are given up without pausing their pools,
 * and a new helper starts with the next request.
 */
void	spawner_tick(struct daemon *, int64_t now);

#endif
