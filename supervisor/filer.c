/*
 * filer.c: file work beside the event loop (see filer.h).
 *
 * One mutex guards the lanes' queues and the done list; one condition
 * variable wakes the threads (a lane's thread takes only its own lane's
 * jobs). A thread blocks every signal: they are the loop's, through its
 * signalfd. The eventfd counts the jobs done; the loop reads it and runs
 * their done() in the order they finished.
 */
#include <sys/eventfd.h>

#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

#include "filer.h"
#include "log.h"

static const char *const lane_names[FILER_NLANES] = {
	"recordings", "histories",
};

/* Each thread's name, as top -H and /proc/PID/task/TID/comm show it. */
static const char *const thread_names[FILER_NLANES] = {
	"iridiumd-record", "iridiumd-sync",
};

static void
wake_loop(struct filer *f)
{
	uint64_t	 one = 1;

	/* Only a full counter (2^64 - 2) fails: the loop is woken anyway. */
	while (write(f->efd, &one, sizeof(one)) == -1 && errno == EINTR)
		continue;
}

static void *
lane_main(void *arg)
{
	struct filer_thread *l = arg;
	struct filer	*f = l->f;
	struct filejob	*j;

	pthread_mutex_lock(&f->mu);
	for (;;) {
		while ((j = TAILQ_FIRST(&l->todo)) == NULL &&
		    !f->stopping)
			pthread_cond_wait(&f->cv, &f->mu);
		if (j == NULL)
			break;
		TAILQ_REMOVE(&l->todo, j, entry);
		pthread_mutex_unlock(&f->mu);
		j->work(j);
		pthread_mutex_lock(&f->mu);
		TAILQ_INSERT_TAIL(&f->done, j, entry);
		wake_loop(f);
	}
	pthread_mutex_unlock(&f->mu);
	return NULL;
}

/* Run done() of the jobs finished so far, in the loop. */
static void
run_done(struct filer *f)
{
	struct filejob_list	 ready;
	struct filejob		*j;
	int64_t			 took;

	TAILQ_INIT(&ready);
	pthread_mutex_lock(&f->mu);
	TAILQ_CONCAT(&ready, &f->done, entry);
	pthread_mutex_unlock(&f->mu);
	while ((j = TAILQ_FIRST(&ready)) != NULL) {
		TAILQ_REMOVE(&ready, j, entry);
		took = ev_now_ms() - j->queued_ms;
		if (took > f->worst_ms)
			f->worst_ms = took;
		f->jobs++;
		f->inflight--;
		j->done(j);
	}
}

static void
done_cb(struct ev *e, uint32_t events)
{
	struct filer	*f = e->arg;
	uint64_t	 n;

	(void)events;
	if (read(f->efd, &n, sizeof(n)) == -1 && errno != EAGAIN &&
	    errno != EINTR)
		log_warn("filer: read eventfd");
	run_done(f);
}

int
filer_init(struct filer *f, struct evloop *loop)
{
	int	 i;

	memset(f, 0, sizeof(*f));
	f->loop = loop;
	TAILQ_INIT(&f->done);
	for (i = 0; i < FILER_NLANES; i++) {
		f->lane[i].f = f;
		f->lane[i].id = (enum filer_lane)i;
		TAILQ_INIT(&f->lane[i].todo);
	}
	if ((f->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)) == -1)
		return -1;
	pthread_mutex_init(&f->mu, NULL);
	pthread_cond_init(&f->cv, NULL);
	ev_set(&f->ev, f->efd, done_cb, f);
	if (ev_add(loop, &f->ev, EPOLLIN) == -1) {
		close(f->efd);
		f->efd = -1;
		return -1;
	}
	return 0;
}

/* The lane's thread, started at its first job; false: none. */
static bool
lane_start(struct filer *f, enum filer_lane lane)
{
	sigset_t	 all, old;
	int		 rc;

	if (f->lane[lane].running)
		return true;
	if (f->lane[lane].failed || f->efd == -1)
		return false;
	/* The thread is born with every signal blocked. */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	rc = pthread_create(&f->lane[lane].thread, NULL, lane_main,
	    &f->lane[lane]);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (rc != 0) {
		errno = rc;
		log_warn("filer: no thread for %s; their file work is done "
		    "in the event loop", lane_names[lane]);
		f->lane[lane].failed = true;
		return false;
	}
	(void)pthread_setname_np(f->lane[lane].thread, thread_names[lane]);
	f->lane[lane].running = true;
	return true;
}

void
filer_submit(struct filer *f, enum filer_lane lane, struct filejob *j)
{
	j->queued_ms = ev_now_ms();
	if (f->stopping || !lane_start(f, lane)) {
		j->work(j);
		f->jobs++;
		j->done(j);
		return;
	}
	f->inflight++;
	pthread_mutex_lock(&f->mu);
	TAILQ_INSERT_TAIL(&f->lane[lane].todo, j, entry);
	pthread_cond_broadcast(&f->cv);
	pthread_mutex_unlock(&f->mu);
}

bool
filer_cancel(struct filer *f, enum filer_lane lane, struct filejob *j)
{
	struct filejob	*t;
	bool		 found = false;

	pthread_mutex_lock(&f->mu);
	TAILQ_FOREACH(t, &f->lane[lane].todo, entry)
		if (t == j) {
			TAILQ_REMOVE(&f->lane[lane].todo, j, entry);
			f->inflight--;
			found = true;
			break;
		}
	pthread_mutex_unlock(&f->mu);
	return found;
}

void
filer_stop(struct filer *f)
{
	int	 i;

	if (f->efd == -1)
		return;
	pthread_mutex_lock(&f->mu);
	f->stopping = true;
	pthread_cond_broadcast(&f->cv);
	pthread_mutex_unlock(&f->mu);
	/* Each thread ends when its lane is empty. */
	for (i = 0; i < FILER_NLANES; i++)
		if (f->lane[i].running) {
			pthread_join(f->lane[i].thread, NULL);
			f->lane[i].running = false;
		}
	run_done(f);
	ev_del(f->loop, &f->ev);
	close(f->efd);
	f->efd = -1;
	pthread_cond_destroy(&f->cv);
	pthread_mutex_destroy(&f->mu);
}
