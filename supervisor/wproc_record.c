/*
 * wproc_record.c: a session's recording and audit start, on the workers'
 * side of the supervisor (wproc.h).
 *
 * The recording's file is made by the filer (filer.h) while the loop goes
 * on; the session waits for it only in that the one message that lets its
 * worker speak (`session`, `peer_verdict` or the accepting `auth_reply`)
 * is kept, encoded, until `record` has gone before it. So the first byte
 * the client sees is recorded, and no other connection waits for the file
 * system. A file that does not come within RECORD_WAIT_MS leaves the
 * session unrecorded, with a warning, as a file that cannot be made does.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bsd/string.h>

#include "filer.h"
#include "log.h"
#include "msg.h"
#include "wproc.h"
#include "wproc_internal.h"

#define RECORD_RETRY_MS		10000	/* a directory that failed */
#define RECORD_WAIT_MS		5000	/* a file that does not come */

struct rec_job {
	struct filejob		 job;
	struct worker		*w;	/* NULL: it is no longer waited for */
	const char		*dropped;	/* then why, for its file */
	struct recording_req	 req;
	char			 mode[8];
	int64_t			 max;
};

/* w had the audit log's session_start kept: write it now. */
static void
audit_start_now(struct worker *w, const char *fingerprint)
{
	w->audited = true;
	audit_event(&w->wk->audit, "session_start", json_pack(
	    "{s:I, s:s, s:s, s:s, s:s, s:s, s:s}",
	    "session", (json_int_t)w->session_id, "tenant", w->tenant,
	    "peer", w->peer, "fingerprint", fingerprint,
	    "listener", w->lc->name, "transport", w->lc->transport,
	    "recording", w->record_path));
}

void
wproc_audit_start(struct worker *w, const char *fingerprint)
{
	if (w->rec_job != NULL) {
		w->audit_after = true;
		strlcpy(w->audit_fpr, fingerprint, sizeof(w->audit_fpr));
		return;
	}
	audit_start_now(w, fingerprint);
}

/* Send `record` with fd (kept by the caller); -1: w is being killed. */
static int
send_record(struct worker *w, const struct rec_job *j, int fd)
{
	struct msg_record	 m;
	char			 err[256];

	memset(&m, 0, sizeof(m));
	strlcpy(m.mode, j->mode, sizeof(m.mode));
	m.max = j->max;
	strlcpy(m.notice, w->wk->ctx->cfg.record_notice, sizeof(m.notice));
	err[0] = '\0';
	if (msg_send(w->chan, MSG_RECORD, &m, fd, MSG_DONTWAIT, err,
	    sizeof(err)) == -1) {
		if (err[0] != '\0')
			log_warnx("%s: record: %s", wproc_name(w), err);
		else
			log_warn("%s: send record", wproc_name(w));
		wproc_kill(w, WKILL_UNRESPONSIVE, "could not take a recording");
		return -1;
	}
	return 0;
}

/*
 * The recording is settled (made, failed or given up): what waited for
 * it goes, in order. -1: w is being killed.
 */
static int
settle(struct worker *w)
{
	struct buf	*b = w->rec_after;
	bool		 withfd = w->rec_after_fd;
	int		 fd = withfd ? w->handoff_fd : -1;

	w->rec_after = NULL;
	w->rec_after_fd = false;
	if (withfd)
		w->handoff_ms = ev_now_ms();	/* handed only now */
	if (b != NULL) {
		if (w->killed == WKILL_NONE && (!withfd || fd != -1) &&
		    msg_send_raw(w->chan, b->data, b->len, fd,
		    MSG_DONTWAIT) == -1) {
			log_warn("%s: send what waited for its recording",
			    wproc_name(w));
			wproc_kill(w, WKILL_UNRESPONSIVE, "could not take its "
			    "session");
		}
		buf_free(b);
		free(b);
	}
	if (w->killed != WKILL_NONE)
		return -1;
	if (w->audit_after) {
		w->audit_after = false;
		audit_start_now(w, w->audit_fpr);
	}
	return 0;
}

/* A file no session writes: one marker says why, after its header. */
static void
mark_dropped(struct recording_req *q, const char *why)
{
	char	 line[256];
	int	 n;

	n = snprintf(line, sizeof(line), "[0.000, \"m\", \"%s\"]\n", why);
	if (n > 0 && (size_t)n < sizeof(line) && write(q->fd, line,
	    (size_t)n) != n)
		log_warn("%s/%s: marker", q->dir, q->path);
}

static void
rec_work(struct filejob *fj)
{
	struct rec_job	*j = (struct rec_job *)fj;

	recording_create(&j->req);
}

static void
rec_done(struct filejob *fj)
{
	struct rec_job	*j = (struct rec_job *)fj;
	struct worker	*w = j->w;

	if (w == NULL) {
		/* Given up, or its worker is gone: the file says which. */
		if (j->req.fd != -1 && j->dropped != NULL)
			mark_dropped(&j->req, j->dropped);
		recording_req_free(&j->req);
		free(j);
		return;
	}
	w->rec_job = NULL;
	if (j->req.fd == -1)
		log_warnx("session %lld: not recorded: %s",
		    (long long)w->session_id, j->req.err);
	else if (w->killed == WKILL_NONE &&
	    send_record(w, j, j->req.fd) == 0) {
		strlcpy(w->record_path, j->req.path, sizeof(w->record_path));
		log_info("session %lld: recorded (%s) into %s/%s",
		    (long long)w->session_id, j->mode, j->req.dir,
		    j->req.path);
	}
	recording_req_free(&j->req);
	free(j);
	(void)settle(w);
}

int
wproc_record(struct worker *w, const char *tenant, const char *fingerprint)
{
	struct workers		*wk = w->wk;
	struct recording_info	 info;
	struct rec_job		*j;
	char			 err[512];

	w->record_path[0] = '\0';
	if (strcmp(w->lc->record, "off") == 0)
		return 0;
	if (wk->rec.dirfd == -1 && ev_now_ms() >= wk->rec.retry_ms &&
	    recorder_open(&wk->rec, &wk->ctx->cfg, err, sizeof(err)) == -1) {
		log_warnx("recordings: %s; sessions are not recorded", err);
		wk->rec.retry_ms = ev_now_ms() + RECORD_RETRY_MS;
	}
	if (wk->rec.dirfd == -1) {
		log_warnx("session %lld: not recorded (no recording "
		    "directory)", (long long)w->session_id);
		return 0;
	}
	/*
	 * Its RLIMIT_FSIZE (hello's record_fsize) bounds the file (the
	 * header takes far less than MSG_RECORD_ROOM); a worker started
	 * before a reload turned recording on or up has too little.
	 */
	if ((int64_t)((w->lc->record_max != 0 ? w->lc->record_max :
	    CONFIG_RECORD_CEILING) + MSG_RECORD_ROOM) > w->record_fsize) {
		log_warnx("session %lld: not recorded: its worker %d was "
		    "started before recording was configured",
		    (long long)w->session_id, (int)w->pid);
		return 0;
	}
	if ((j = calloc(1, sizeof(*j))) == NULL) {
		log_warnx("session %lld: not recorded: out of memory",
		    (long long)w->session_id);
		return 0;
	}
	memset(&info, 0, sizeof(info));
	info.id = w->session_id;
	info.tenant = tenant;
	info.listener = w->lc->name;
	info.transport = w->lc->transport;
	info.peer = w->peer;
	info.fingerprint = fingerprint;
	if (recorder_prepare(&wk->rec, &info, &j->req, err,
	    sizeof(err)) == -1) {
		log_warnx("session %lld: not recorded: %s",
		    (long long)w->session_id, err);
		free(j);
		return 0;
	}
	strlcpy(j->mode, w->lc->record, sizeof(j->mode));
	j->max = (int64_t)w->lc->record_max;
	j->w = w;
	j->job.work = rec_work;
	j->job.done = rec_done;
	w->rec_job = j;
	/* Without a thread, done() has run already: w may be killed. */
	filer_submit(wk->filer, FILER_CREATE, &j->job);
	return w->killed != WKILL_NONE ? -1 : 0;
}

int
wproc_send_recorded(struct worker *w, enum msg_type type, const void *body,
    int passfd, char *err, size_t errlen)
{
	struct buf	*b;

	if (w->rec_job == NULL)
		return msg_send(w->chan, type, body, passfd, MSG_DONTWAIT, err,
		    errlen);
	if (w->rec_after != NULL) {
		snprintf(err, errlen, "a second message waits for the "
		    "recording");
		errno = EINVAL;
		return -1;
	}
	if ((b = malloc(sizeof(*b))) == NULL)
		return -1;
	buf_init(b, MSG_MAX);
	if (msg_pack(b, type, body, passfd >= 0 ? 1 : 0, err, errlen) == -1) {
		buf_free(b);
		free(b);
		return -1;
	}
	w->rec_after = b;
	w->rec_after_fd = passfd >= 0;
	return 0;
}

void
wproc_record_drop(struct worker *w)
{
	if (w->rec_job != NULL) {
		w->rec_job->w = NULL;
		w->rec_job->dropped = "not recorded: the session ended "
		    "before its file was made";
		w->rec_job = NULL;
	}
	if (w->rec_after != NULL) {
		buf_free(w->rec_after);
		free(w->rec_after);
		w->rec_after = NULL;
	}
	w->rec_after_fd = false;
	w->audit_after = false;
}

void
wproc_record_tick(struct worker *w, int64_t now)
{
	struct rec_job	*j = w->rec_job;

	if (j == NULL || now - j->job.queued_ms < RECORD_WAIT_MS)
		return;
	log_warnx("session %lld: not recorded: its file was not made "
	    "within %d s (%s)", (long long)w->session_id,
	    RECORD_WAIT_MS / 1000, j->req.dir);
	w->wk->rec.late++;
	j->w = NULL;
	j->dropped = "not recorded: the file was made after the session "
	    "had gone on unrecorded";
	w->rec_job = NULL;
	(void)settle(w);
}
