/*
 * statusdoc.c: the status document (see statusdoc.h; the schema is
 * include/proto/status.h): what the daemon, its listeners, pools, sessions
 * and workers are doing, from the supervisor's own counters and the
 * latest `status` or `session_end` each worker sent. Each object is
 * filled as a struct generated from the schema's X-macros and written by
 * a writer generated from the same list, so field names and order are
 * the schema's.
 *
 * The session totals hold by construction and are checked by the tests:
 * accepted = completed + rejected + failed + active, where active is
 * counted from what is live (busy workers and queued connections), not
 * derived from the other counters.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "admit.h"
#include "auth.h"
#include "config.h"
#include "escape.h"
#include "filer.h"
#include "listener.h"
#include "pool.h"
#include "recording.h"
#include "upgrade.h"
#include "source.h"
#include "sshalgo.h"
#include "status.h"
#include "statusdoc.h"
#include "tenant.h"
#include "version.h"
#include "wproc.h"

/* A string that is not UTF-8 (it never should be) still gets a value. */
static json_t *
jstr(const char *s)
{
	json_t	*j = json_string(s != NULL ? s : "");

	return j != NULL ? j : json_string("?");
}

#define PUT_INT(o, k, v)	json_object_set_new(o, k, json_integer(v))
#define PUT_STR(o, k, v)	json_object_set_new(o, k, jstr(v))
#define PUT_FIELD(n, t, k, h)	PUT_##t(o, #n, s->n);

#define WRITER(name, type, FIELDS)					\
static json_t *								\
name(const type *s)							\
{									\
	json_t	*o = json_object();					\
									\
	if (o != NULL) {						\
		FIELDS(PUT_FIELD)					\
	}								\
	return o;							\
}

WRITER(put_daemon, struct status_daemon, STATUS_DAEMON_FIELDS)
WRITER(put_listener, struct status_listener, STATUS_LISTENER_FIELDS)
WRITER(put_hostkey, struct status_hostkey, STATUS_HOSTKEY_FIELDS)
WRITER(put_pool, struct status_pool, STATUS_POOL_FIELDS)
WRITER(put_sessions, struct status_sessions, STATUS_SESSIONS_FIELDS)
WRITER(put_tenant, struct status_tenant, STATUS_TENANT_FIELDS)
WRITER(put_admission, struct status_admission, STATUS_ADMISSION_FIELDS)
WRITER(put_worker, struct status_worker, STATUS_WORKER_FIELDS)
WRITER(put_session, struct status_session, STATUS_SESSION_FIELDS)

static json_t *
daemon_object(struct statusdoc *d, int64_t now)
{
	struct status_daemon	 s;
	struct status_listener	 sl;
	struct status_hostkey	 sh;
	struct listener		*l;
	json_t			*o, *a;
	size_t			 i;

	memset(&s, 0, sizeof(s));
	s.version = IRIDIUM_VERSION;
	s.build = d->ctx->build;
	s.pid = getpid();
	s.started = d->started_unix;
	s.uptime_seconds = (now - d->started_ms) / 1000;
	s.config = d->ctx->cfgpath;
	s.control = d->ctx->cfg.control;
	s.generation = d->ctx->generation;
	s.reloads = (int64_t)d->reloads;
	s.reload_failures = (int64_t)d->reload_failures;
	if (d->upgrade != NULL) {
		s.upgrades = (int64_t)d->upgrade->upgrades;
		s.upgrade_moves = (int64_t)d->upgrade->moved;
		s.upgrade_failures = (int64_t)d->upgrade->failed;
	}
	if (d->filer != NULL) {
		s.file_jobs = (int64_t)d->filer->jobs;
		s.file_jobs_waiting = (int64_t)d->filer->inflight;
		s.file_job_slowest_ms = d->filer->worst_ms;
	}
	if (d->rec != NULL)
		s.recordings_late = (int64_t)d->rec->late;
	if ((o = put_daemon(&s)) == NULL)
		return NULL;
	a = json_array();
	TAILQ_FOREACH(l, d->listeners, entry) {
		memset(&sl, 0, sizeof(sl));
		sl.name = l->cfg.name;
		sl.transport = l->cfg.transport;
		sl.address = l->bound;
		sl.port = l->bound_port;
		/* An ssh listener's sessions get theirs at the login. */
		sl.tenant = strcmp(l->cfg.transport, "line") == 0 ?
		    l->cfg.tenant : "";
		sl.state = l->draining ? "draining" : "accepting";
		json_array_append_new(a, put_listener(&sl));
	}
	json_object_set_new(o, "listeners", a);
	a = json_array();
	for (i = 0; i < d->auth->nhostkeys; i++) {
		sh.type = d->auth->hostkeys[i].type;
		sh.fingerprint = d->auth->hostkeys[i].fingerprint;
		sh.path = d->auth->hostkeys[i].path;
		json_array_append_new(a, put_hostkey(&sh));
	}
	json_object_set_new(o, "host_keys", a);
	return o;
}

static json_t *
pool_object(const struct listener *l)
{
	const struct pool	*p = &l->pool;
	const struct worker	*w;
	struct status_pool	 s;
	json_t			*o, *ex;

	memset(&s, 0, sizeof(s));
	s.listener = l->cfg.name;
	s.workers = p->nworkers;
	s.idle = p->nidle;
	s.busy = p->nbusy;
	s.starting = p->nstarting;
	s.stopping = p->nstopping;
	s.min_spare = p->cfg.min_spare;
	s.max_spare = p->cfg.max_spare;
	s.max_workers = p->cfg.max_workers;
	s.queued = p->qlen;
	s.spawned = (int64_t)p->spawned;
	TAILQ_FOREACH(w, &p->workers, entry) {
		if (!w->reaped && w->unresponsive)
			s.unresponsive++;
		if (!w->reaped && w->detached)
			s.detached++;
	}
	if ((o = put_pool(&s)) == NULL)
		return NULL;
	ex = json_object();
#define PUT_EXIT(E, json, words)					\
	json_object_set_new(ex, #json, json_integer((json_int_t)	\
	    p->ended[WEND_##E]));
	STATUS_EXIT_KINDS(PUT_EXIT)
#undef PUT_EXIT
	json_object_set_new(o, "exits", ex);
	return o;
}

/* Live sessions per tenant, added to the tenants' running totals. */
static json_t *
tenants_object(struct statusdoc *d)
{
	const struct tenant_stat *ts = d->adm->stats;
	struct status_tenant	*t;
	struct listener		*l;
	struct worker		*w;
	json_t			*o;
	size_t			 i, n = d->adm->nstats;

	if ((t = calloc(n + 1, sizeof(*t))) == NULL)
		return json_object();
	for (i = 0; i < n; i++) {
		t[i].accepted = (int64_t)ts[i].accepted;
		t[i].max_sessions = config_tenant_sup(&d->ctx->cfg,
		    ts[i].name)->sessions;
		t[i].refused = (int64_t)tenant_refused(d->adm->tenants,
		    ts[i].name);
	}
	TAILQ_FOREACH(l, d->listeners, entry) {
		/* Queued ssh connections are nobody's until they log in. */
		for (i = 0; i < n; i++) {
			if (strcmp(ts[i].name, l->cfg.tenant) != 0 ||
			    strcmp(l->cfg.transport, "line") != 0)
				continue;
			t[i].active += l->pool.qlen;
		}
		TAILQ_FOREACH(w, &l->pool.workers, entry) {
			if (w->session_id == 0 || w->reaped)
				continue;
			for (i = 0; i < n; i++)
				if (strcmp(ts[i].name, w->tenant) == 0)
					t[i].active++;
		}
	}
	o = json_object();
	for (i = 0; o != NULL && i < n; i++)
		json_object_set_new(o, ts[i].name, put_tenant(&t[i]));
	free(t);
	return o;
}

/* ssh sessions counted by an algorithm's name, every name present. */
static json_t *
by_name(enum sshalgo_kind k, const uint64_t *counts)
{
	const char *const	*n = sshalgo_names(k);
	json_t			*o = json_object();
	size_t			 i;

	for (i = 0; o != NULL && n[i] != NULL; i++)
		json_object_set_new(o, n[i], json_integer(
		    (json_int_t)counts[i]));
	return o;
}

static json_t *
sessions_object(struct statusdoc *d)
{
	struct status_sessions	 s;
	struct listener		*l;
	json_t			*o;

	memset(&s, 0, sizeof(s));
	s.accepted = (int64_t)d->gone.accepted;
	s.completed = (int64_t)d->gone.completed;
	s.rejected = (int64_t)d->gone.rejected;
	s.failed = (int64_t)d->gone.failed;
	TAILQ_FOREACH(l, d->listeners, entry) {
		s.accepted += (int64_t)l->pool.totals.accepted;
		s.completed += (int64_t)l->pool.totals.completed;
		s.rejected += (int64_t)l->pool.totals.rejected;
		s.failed += (int64_t)l->pool.totals.failed;
		s.active += pool_sessions(&l->pool);
	}
	if ((o = put_sessions(&s)) == NULL)
		return NULL;
	json_object_set_new(o, "per_tenant", tenants_object(d));
	json_object_set_new(o, "kex", by_name(SSHALGO_KIND_KEX, d->by_kex));
	json_object_set_new(o, "ciphers", by_name(SSHALGO_KIND_CIPHER,
	    d->by_cipher));
	return o;
}

static json_t *
session_object(const struct worker *w, int64_t now)
{
	struct status_session	 s;
	const struct msg_counters *c = &w->counters;
	char			 serial[24] = "";
	char			 client[MSG_CLIENT_MAX * 4 + 1];
	int64_t			 since;

	memset(&s, 0, sizeof(s));
	s.id = w->session_id;
	s.tenant = w->tenant;
	s.peer = w->peer;
	s.via = w->via;
	s.transport = w->lc->transport;
	s.started = w->busy_unix;
	s.age_seconds = (now - w->busy_ms) / 1000;
	/* Workers report on change only: idle time goes on counting. */
	since = w->counters_ms != 0 ? w->counters_ms : w->busy_ms;
	s.idle_seconds = (int64_t)c->idle_seconds + (now - since) / 1000;
	s.bytes_in = (int64_t)c->bytes_in;
	s.bytes_out = (int64_t)c->bytes_out;
	s.instructions = (int64_t)c->instructions;
	s.heap_bytes = (int64_t)c->heap_bytes;
	s.program_bytes = (int64_t)c->program_bytes;
	if (w->detached)
		s.detached_seconds = (now - w->detached_ms) / 1000;
	s.key_type = w->auth.keyname;
	s.key_fingerprint = w->auth.fingerprint;
	if (w->auth.cert)
		snprintf(serial, sizeof(serial), "%llu",
		    (unsigned long long)w->auth.cert_serial);
	s.cert_id = w->auth.cert_id;
	s.cert_serial = serial;
	/* The worker's word, validated by the message table. */
	s.kex = w->nego.kex;
	s.cipher = w->nego.cipher;
	s.mac = w->nego.mac;
	escape_untrusted(client, sizeof(client), w->nego.client,
	    strlen(w->nego.client));
	s.client = client;
	s.recording = w->record_path;
	return put_session(&s);
}

static json_t *
worker_object(const struct worker *w, int64_t now)
{
	struct status_worker	 s;
	json_t			*o;

	memset(&s, 0, sizeof(s));
	s.pid = w->pid;
	s.state = w->detached ? "detached" : wstate_name(w->state);
	s.listener = w->lc->name;
	s.generation = w->generation;
	if (w->unresponsive && w->ping_sent_ms != 0)
		s.unresponsive_seconds = (now - w->ping_sent_ms) / 1000;
	if ((o = put_worker(&s)) == NULL)
		return NULL;
	json_object_set_new(o, "session", w->session_id != 0 ?
	    session_object(w, now) : json_null());
	return o;
}

static json_t *
workers_array(struct statusdoc *d, bool sessions_only, int64_t now)
{
	struct listener	*l;
	struct worker	*w;
	json_t		*a = json_array();

	TAILQ_FOREACH(l, d->listeners, entry)
		TAILQ_FOREACH(w, &l->pool.workers, entry)
			if (!w->reaped && (!sessions_only ||
			    w->session_id != 0))
				json_array_append_new(a, worker_object(w,
				    now));
	return a;
}

/* The supervisor's admission: startups, sources, refusals, offences. */
static json_t *
admission_object(struct statusdoc *d, int64_t now)
{
	struct status_admission	 s;
	struct source_stats	 st;
	json_t			*o, *r;

	admit_stats(d->adm, now, &st);
	memset(&s, 0, sizeof(s));
	s.startups = d->adm->startups;
	s.sources = (int64_t)st.tracked;
	s.penalised = (int64_t)st.penalised;
	s.untracked = (int64_t)st.overflow;
	if ((o = put_admission(&s)) == NULL)
		return NULL;
	r = json_object();
#define PUT_REFUSAL(E, json, words)					\
	json_object_set_new(r, #json, json_integer((json_int_t)	\
	    d->adm->refused[ADMIT_##E]));
	STATUS_REFUSAL_KINDS(PUT_REFUSAL)
#undef PUT_REFUSAL
	json_object_set_new(o, "refused", r);
	r = json_object();
#define PUT_OFFENCE(N, n, secs, what)					\
	json_object_set_new(r, #n, json_integer((json_int_t)		\
	    st.offences[SOURCE_##N]));
	SOURCE_OFFENCES(PUT_OFFENCE)
#undef PUT_OFFENCE
	json_object_set_new(o, "offences", r);
	return o;
}

/* SUP_LIMITS in force: numbers as numbers, the rest as the file has it. */
#define PUT_LIMIT_UINT(o, n)						\
	json_object_set_new(o, #n, json_integer(c->sup.n))
#define PUT_LIMIT_TEXT(o, n) do {					\
	config_value_format(CK_SUP_##n, &c->sup.n, v, sizeof(v));	\
	json_object_set_new(o, #n, jstr(v));				\
} while (0)
#define PUT_LIMIT_STARTUPS	PUT_LIMIT_TEXT
#define PUT_LIMIT_CIDRS		PUT_LIMIT_TEXT

static json_t *
limits_object(const struct config *c)
{
	json_t	*o = json_object();
	char	 v[2048];

	if (o == NULL)
		return NULL;
#define PUT_LIMIT(n, scope, t, mn, mx, def, what)	PUT_LIMIT_##t(o, n);
	SUP_LIMITS(PUT_LIMIT)
#undef PUT_LIMIT
	return o;
}

json_t *
status_document(struct statusdoc *d)
{
	struct listener	*l;
	json_t		*root, *pools;
	int64_t		 now = ev_now_ms();

	if ((root = json_object()) == NULL)
		return NULL;
	json_object_set_new(root, "schema_version",
	    json_integer(STATUS_SCHEMA_VERSION));
	json_object_set_new(root, "version", json_string(IRIDIUM_VERSION));
	json_object_set_new(root, "daemon", daemon_object(d, now));
	pools = json_array();
	TAILQ_FOREACH(l, d->listeners, entry)
		json_array_append_new(pools, pool_object(l));
	json_object_set_new(root, "pools", pools);
	json_object_set_new(root, "sessions", sessions_object(d));
	json_object_set_new(root, "admission", admission_object(d, now));
	json_object_set_new(root, "limits", limits_object(&d->ctx->cfg));
	json_object_set_new(root, "workers", workers_array(d, false, now));
	return root;
}

json_t *
status_sessions(struct statusdoc *d)
{
	return workers_array(d, true, ev_now_ms());
}

/* `negotiated`: the worker's word (the table checked the names). */
static int
on_negotiated(void *arg, struct worker *w, const struct msg *m, char *err,
    size_t errlen)
{
	struct statusdoc		*d = arg;
	const struct msg_negotiated	*n = &m->u.negotiated;
	int				 i;

	if (strcmp(w->lc->transport, "ssh") != 0 || w->negotiated ||
	    w->session_id == 0) {
		snprintf(err, errlen, "negotiated twice, or not ssh");
		return -1;
	}
	w->negotiated = true;
	w->nego = *n;
	/* Shown in the session's row, and counted. */
	if ((i = sshalgo_index(SSHALGO_KIND_KEX, n->kex,
	    strlen(n->kex))) >= 0)
		d->by_kex[i]++;
	if ((i = sshalgo_index(SSHALGO_KIND_CIPHER, n->cipher,
	    strlen(n->cipher))) >= 0)
		d->by_cipher[i]++;
	return 0;
}

void
statusdoc_init(struct statusdoc *d, struct ctx *ctx,
    const struct listener_list *listeners, struct admission *adm,
    const struct auth *auth)
{
	memset(d, 0, sizeof(*d));
	d->ctx = ctx;
	d->listeners = listeners;
	d->adm = adm;
	d->auth = auth;
	d->started_ms = ev_now_ms();
	d->started_unix = (int64_t)time(NULL);
}

void
statusdoc_register(struct statusdoc *d, struct workers *wk)
{
	wproc_handle(wk, MSG_NEGOTIATED, on_negotiated, d);
}
