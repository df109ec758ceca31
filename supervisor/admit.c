/*
 * admit.c: the supervisor's own limits (see admit.h): who may start a
 * session, the PROXY protocol's `peer` and its verdict, and the
 * penalties of sources whose sessions went wrong (OpenSSH's
 * PerSourcePenalties, kept by source.c).
 *
 * Everything is decided on what the supervisor itself saw: the peer
 * address of the accepted socket, the `peer` of a PROXY session (checked
 * to be a numeric address before anything is done with it), how a worker
 * died (its wait status and its CPU time). A refused client gets one line
 * and is closed (by the listener, on admit_accept's verdict), except
 * behind a PROXY listener, where a refusal at accept concerns the
 * balancer, which is told nothing. Refusals are
 * counted for status and logged, those of every kind (the pools' "busy"
 * and "queue timeout" too) at most ADMIT_LOGS_PER_SECOND a second, with
 * a summary of what was left out: a flood of refusals must not become a
 * flood of log lines.
 */
#include <sys/socket.h>
#include <sys/wait.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <bsd/stdlib.h>
#include <bsd/string.h>

#include "admit.h"
#include "escape.h"
#include "log.h"
#include "source.h"
#include "tenant.h"
#include "wproc.h"


static const char *const refusal_words[ADMIT_NREFUSALS] = {
#define REFUSAL_WORDS(E, json, words)	[ADMIT_##E] = words,
	STATUS_REFUSAL_KINDS(REFUSAL_WORDS)
#undef REFUSAL_WORDS
};

/* --- settings ------------------------------------------------------------ */

/* The source table's settings from the [limits] keys. */
static void
source_settings(const struct config *c, struct source_cfg *sc,
    struct source_cidr *ex)
{
	const struct cidr	*ci;
	unsigned		 i;

	source_cfg_defaults(sc);
	/* Each offence has its penalty_ key: a missing one fails here. */
#define PENALTY_KEY(N, n, secs, what)					\
	sc->penalty[SOURCE_##N] = c->sup.penalty_##n;
	SOURCE_OFFENCES(PENALTY_KEY)
#undef PENALTY_KEY
	sc->penalty_min = c->sup.penalty_min;
	sc->penalty_max = c->sup.penalty_max;
	sc->max_sources = c->sup.penalty_sources;
	for (i = 0; i < c->sup.source_exempt.n; i++) {
		ci = &c->sup.source_exempt.v[i];
		memset(&ex[i], 0, sizeof(ex[i]));
		if (ci->family == AF_INET) {
			ex[i].b[10] = ex[i].b[11] = 0xff;
			memcpy(ex[i].b + 12, ci->addr, 4);
			ex[i].prefix = ci->bits + 96u;
		} else {
			memcpy(ex[i].b, ci->addr, 16);
			ex[i].prefix = ci->bits;
		}
	}
	sc->exempt = ex;
	sc->nexempt = c->sup.source_exempt.n;
}

int
admit_init(struct admission *a, struct ctx *ctx)
{
	struct source_cfg	 sc;
	struct source_cidr	 ex[CONFIG_MAX_CIDRS];

	memset(a, 0, sizeof(*a));
	a->ctx = ctx;
	if ((a->tenants = tenant_new()) == NULL) {
		log_warn("tenant table");
		return -1;
	}
	source_settings(&ctx->cfg, &sc, ex);
	if ((a->sources = source_new(&sc)) == NULL) {
		log_warn("source table");
		return -1;
	}
	return 0;
}

void
admit_free(struct admission *a)
{
	tenant_free(a->tenants);
	a->tenants = NULL;
	source_free(a->sources);
	a->sources = NULL;
	free(a->stats);
	a->stats = NULL;
	a->nstats = 0;
}

void
admit_configure(struct admission *a)
{
	struct source_cfg	 sc;
	struct source_cidr	 ex[CONFIG_MAX_CIDRS];

	source_settings(&a->ctx->cfg, &sc, ex);
	if (a->sources != NULL)
		source_configure(a->sources, &sc);
}

void
admit_tenant_accepted(struct admission *a, const char *tenant)
{
	struct tenant_stat	*t;
	size_t			 i;

	for (i = 0; i < a->nstats; i++) {
		if (strcmp(a->stats[i].name, tenant) == 0) {
			a->stats[i].accepted++;
			return;
		}
	}
	/* Tenants come from the config, so this stays small. */
	if (a->nstats == ADMIT_MAX_TENANT_STATS)
		return;
	if ((t = reallocarray(a->stats, a->nstats + 1, sizeof(*t))) == NULL) {
		log_warn("tenant statistics");
		return;
	}
	a->stats = t;
	t = &a->stats[a->nstats++];
	memset(t, 0, sizeof(*t));
	strlcpy(t->name, tenant, sizeof(t->name));
	t->accepted = 1;
}

/* --- logging refusals ---------------------------------------------------- */

static const char *const refusal_names[ADMIT_NREFUSALS] = {
#define REFUSAL_NAMES(E, json, words)	[ADMIT_##E] = #json,
	STATUS_REFUSAL_KINDS(REFUSAL_NAMES)
#undef REFUSAL_NAMES
};

/* A second has passed: say what was left out of the log, start over. */
static void
log_dropped(struct admission *a, int64_t now)
{
	char		 line[512];
	size_t		 n;
	unsigned	 i, total = a->log_dropped_other;

	if (now - a->log_window_ms < 1000)
		return;
	for (i = 0; i < ADMIT_LOG_KINDS && a->log_dropped[i].kind != NULL;
	    i++)
		total += a->log_dropped[i].n;
	if (total > 0) {
		n = (size_t)snprintf(line, sizeof(line), "%u more refused "
		    "connection%s not logged (at most %d lines a second):",
		    total, plural(total), ADMIT_LOGS_PER_SECOND);
		for (i = 0; i < ADMIT_LOG_KINDS &&
		    a->log_dropped[i].kind != NULL && n < sizeof(line); i++)
			n += (size_t)snprintf(line + n, sizeof(line) - n,
			    "%s %s %u", i > 0 ? "," : "",
			    a->log_dropped[i].kind, a->log_dropped[i].n);
		if (a->log_dropped_other > 0 && n < sizeof(line))
			snprintf(line + n, sizeof(line) - n, ", other %u",
			    a->log_dropped_other);
		log_warnx("%s", line);
	}
	a->log_window_ms = now;
	a->log_count = 0;
	memset(a->log_dropped, 0, sizeof(a->log_dropped));
	a->log_dropped_other = 0;
}

/* One more refusal of kind left out of the log. */
static void
log_drop(struct admission *a, const char *kind)
{
	unsigned	 i;

	for (i = 0; i < ADMIT_LOG_KINDS; i++) {
		if (a->log_dropped[i].kind == NULL)
			a->log_dropped[i].kind = kind;
		if (strcmp(a->log_dropped[i].kind, kind) == 0) {
			a->log_dropped[i].n++;
			return;
		}
	}
	a->log_dropped_other++;
}

void
admit_log_refusal(struct admission *a, const char *kind, const char *fmt,
    ...)
{
	va_list			 ap;
	char			 line[512];

	log_dropped(a, ev_now_ms());
	if (a->log_count >= ADMIT_LOGS_PER_SECOND) {
		log_drop(a, kind);
		return;
	}
	a->log_count++;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	log_warnx("%s", line);
}

void
admit_tick(struct admission *a, int64_t now)
{
	log_dropped(a, now);
	if (a->sources != NULL)
		source_expire(a->sources, now);
}

/* --- accept -------------------------------------------------------------- */

bool
admit_drop_startup(const struct startups *s, unsigned n, unsigned r)
{
	unsigned	 p;

	if (s->full == 0 || n < s->start)
		return false;
	if (n >= s->full)
		return true;
	/* sshd's rule: rate percent at start, rising linearly to all. */
	p = 100 - s->rate;
	p *= n - s->start;
	p /= s->full - s->start;
	p += s->rate;
	return r < p;
}

/* Whether sa is in one of the ranges (an IPv4 client of an IPv6 socket
 * arrives v4-mapped and matches IPv4 ranges). */
static bool
cidrs_match(const struct cidr_list *l, const struct sockaddr *sa)
{
	const uint8_t	*a;
	uint8_t		 mask;
	unsigned	 i, full, rest;
	int		 fam;

	if (sa->sa_family == AF_INET) {
		a = (const uint8_t *)&((const struct sockaddr_in *)
		    (const void *)sa)->sin_addr;
		fam = AF_INET;
	} else if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *s6 = (const void *)sa;

		a = s6->sin6_addr.s6_addr;
		fam = AF_INET6;
		if (IN6_IS_ADDR_V4MAPPED(&s6->sin6_addr)) {
			a += 12;
			fam = AF_INET;
		}
	} else {
		return false;
	}
	for (i = 0; i < l->n; i++) {
		if (l->v[i].family != fam)
			continue;
		full = l->v[i].bits / 8;
		rest = l->v[i].bits % 8;
		if (memcmp(l->v[i].addr, a, full) != 0)
			continue;
		mask = (uint8_t)(0xff << (8 - rest));
		if (rest == 0 ||
		    (l->v[i].addr[full] & mask) == (a[full] & mask))
			return true;
	}
	return false;
}

/*
 * Refuse a connection at accept: count, log, and the verdict: a line for
 * the client in out, or (line NULL) none.
 */
static enum admit_verdict
refuse(struct admission *a, const struct listener_cfg *lc,
    enum admit_refusal kind, const char *line, const char *peer,
    const char *why, char *out, size_t outlen)
{
	a->refused[kind]++;
	admit_log_refusal(a, refusal_names[kind], "listener %s: connection "
	    "from %s refused (%s): %s", lc->name, peer, refusal_words[kind],
	    why);
	if (line == NULL)
		return ADMIT_DROP;
	snprintf(out, outlen, "%s\r\n", line);
	return ADMIT_REFUSE;
}

/* A source's penalty or cap: which of the two source_admit() meant. */
static enum admit_refusal
source_refusal(struct admission *a, const struct source_key *k, int64_t now,
    char *why, size_t whylen)
{
	char		 name[INET6_ADDRSTRLEN + 8];
	unsigned	 left = source_penalty_left(a->sources, k, now);

	source_key_name(k, name, sizeof(name));
	if (left > 0 && left >= a->ctx->cfg.sup.penalty_min) {
		snprintf(why, whylen, "source %s is penalised for %u more "
		    "second%s", name, left, plural(left));
		return ADMIT_PENALTY;
	}
	snprintf(why, whylen, "source %s holds %u session%s", name,
	    source_active(a->sources, k),
	    plural(source_active(a->sources, k)));
	return ADMIT_SOURCE;
}

enum admit_verdict
admit_accept(struct admission *a, const struct listener_cfg *lc,
    const struct sockaddr *sa, const char *peer, struct admit_hold *h,
    char *out, size_t outlen)
{
	const struct config	*c = &a->ctx->cfg;
	const struct sup_limits	*sl;
	const struct startups	*st = &c->sup.max_startups;
	enum admit_refusal	 kind;
	char			 line[MSG_TEXT_MAX], why[160];
	bool			 is_line;
	unsigned		 n;
	int64_t			 now = ev_now_ms();

	memset(h, 0, sizeof(*h));
	is_line = strcmp(lc->transport, "line") == 0;
	/* An ssh session is its tenant's from its login (auth.c). */
	if (is_line)
		admit_tenant_accepted(a, lc->tenant);
	/* ssh sessions get their tenant's limits at the login. */
	sl = is_line ? config_tenant_sup(c, lc->tenant) : &c->sup;
	if (lc->proxy_protocol) {
		/*
		 * Only a trusted balancer may say who the client is; the
		 * client's own limits wait for its `peer`. Nothing is
		 * written: the peer is no client, and may be an attacker.
		 */
		if (!cidrs_match(&lc->proxy_trusted, sa))
			return refuse(a, lc, ADMIT_UNTRUSTED, NULL, peer,
			    "not in proxy_trusted (this listener takes PROXY "
			    "protocol connections from its load balancers "
			    "only)", out, outlen);
	} else if (source_key_sa(&h->key, sa) == 0) {
		if (source_admit(a->sources, &h->key, sl->sessions_per_source,
		    now, line, sizeof(line)) == -1) {
			kind = source_refusal(a, &h->key, now, why,
			    sizeof(why));
			if (kind == ADMIT_SOURCE)
				snprintf(why + strlen(why), sizeof(why) -
				    strlen(why), " (sessions_per_source %u)",
				    sl->sessions_per_source);
			return refuse(a, lc, kind, line, peer, why, out,
			    outlen);
		}
		h->keyed = true;
	}
	if (is_line && tenant_admit(a->tenants, lc->tenant, sl->sessions,
	    line, sizeof(line)) == -1) {
		n = tenant_active(a->tenants, lc->tenant);
		snprintf(why, sizeof(why), "tenant %s holds %u session%s "
		    "(sessions %u)", lc->tenant, n, plural(n), sl->sessions);
		return refuse(a, lc, ADMIT_TENANT, line, peer, why, out,
		    outlen);
	}
	if (admit_drop_startup(st, a->startups, arc4random_uniform(100))) {
		snprintf(why, sizeof(why), "%u connection%s %s not in a "
		    "session yet (max_startups %u:%u:%u)", a->startups,
		    plural(a->startups), a->startups == 1 ? "is" : "are",
		    st->start, st->rate, st->full);
		return refuse(a, lc, ADMIT_STARTUPS, lc->proxy_protocol ?
		    NULL : BUSY_TEXT, peer, why, out, outlen);
	}
	/* Admitted: it holds its share until it is released. */
	if (h->keyed) {
		source_hold(a->sources, &h->key, now);
		h->source = true;
	}
	if (is_line) {
		strlcpy(h->tenant, lc->tenant, sizeof(h->tenant));
		tenant_hold(a->tenants, h->tenant);
	}
	h->startup = true;
	a->startups++;
	return ADMIT_PASS;
}

/* The connection is in a session now: no longer a startup. */
static void
started(struct admission *a, struct admit_hold *h)
{
	if (!h->startup)
		return;
	h->startup = false;
	if (a->startups > 0)
		a->startups--;
}

void
admit_release(struct admission *a, struct admit_hold *h)
{
	started(a, h);
	if (h->source) {
		h->source = false;
		source_release(a->sources, &h->key, ev_now_ms());
	}
	if (h->tenant[0] != '\0') {
		tenant_release(a->tenants, h->tenant);
		h->tenant[0] = '\0';
	}
}

/* --- a PROXY session's client -------------------------------------------- */

/* "203.0.113.9:4711" or "[2001:db8::7]:4711", normalised. */
static int
format_client(const char *addr, int64_t port, char *out, size_t len)
{
	struct in_addr	 a4;
	struct in6_addr	 a6;
	char		 a[INET6_ADDRSTRLEN];

	if (inet_pton(AF_INET, addr, &a4) == 1) {
		inet_ntop(AF_INET, &a4, a, sizeof(a));
		snprintf(out, len, "%s:%lld", a, (long long)port);
		return 0;
	}
	if (inet_pton(AF_INET6, addr, &a6) == 1) {
		inet_ntop(AF_INET6, &a6, a, sizeof(a));
		snprintf(out, len, "[%s]:%lld", a, (long long)port);
		return 0;
	}
	return -1;
}

static void
send_verdict(struct worker *w, bool allow, const char *message)
{
	struct msg_peer_verdict	 v;
	char			 err[128];

	memset(&v, 0, sizeof(v));
	v.allow = allow;
	strlcpy(v.message, message, sizeof(v.message));
	err[0] = '\0';
	/* It waits for this answer and nothing else: it must take it. */
	if (wproc_send_recorded(w, MSG_PEER_VERDICT, &v, -1, err,
	    sizeof(err)) == -1) {
		if (err[0] != '\0')
			log_warnx("session %lld: peer_verdict: %s",
			    (long long)w->session_id, err);
		else
			log_warn("session %lld: send peer_verdict",
			    (long long)w->session_id);
		wproc_kill(w, WKILL_UNRESPONSIVE, "could not take "
		    "peer_verdict");
	}
}

/* `peer` from a worker: the client's address behind a PROXY listener. */
static int
on_peer(void *arg, struct worker *w, const struct msg *m, char *err,
    size_t errlen)
{
	struct admission	*a = arg;
	const struct msg_peer	*p = &m->u.peer;
	const struct config	*c = &a->ctx->cfg;
	const struct sup_limits	*sl = &c->sup;
	struct source_key	 k;
	enum admit_refusal	 kind;
	char			 client[MSG_ADDR_MAX + 1], vis[96];
	char			 line[MSG_TEXT_MAX], why[160];
	int64_t			 now = ev_now_ms();
	bool			 is_line;

	if (!w->proxy) {
		snprintf(err, errlen, "peer message on a listener without the "
		    "PROXY protocol");
		return -1;
	}
	if (w->peer_seen) {
		snprintf(err, errlen, "a second peer message");
		return -1;
	}
	if (source_key_str(&k, p->addr) == -1 ||
	    format_client(p->addr, p->port, client, sizeof(client)) == -1) {
		escape_untrusted(vis, sizeof(vis), p->addr, strlen(p->addr));
		snprintf(err, errlen, "peer: \"%s\" is not a numeric IPv4 or "
		    "IPv6 address", vis);
		return -1;
	}
	w->peer_seen = true;
	/* From here on, logs and status name the client; the balancer is
	 * "via". */
	strlcpy(w->via, w->peer, sizeof(w->via));
	strlcpy(w->peer, client, sizeof(w->peer));
	w->hold.key = k;
	w->hold.keyed = true;
	is_line = strcmp(w->lc->transport, "line") == 0;
	if (is_line)
		sl = config_tenant_sup(c, w->tenant);
	if (source_admit(a->sources, &k, sl->sessions_per_source, now, line,
	    sizeof(line)) == -1) {
		kind = source_refusal(a, &k, now, why, sizeof(why));
		a->refused[kind]++;
		admit_log_refusal(a, refusal_names[kind], "session %lld: "
		    "client %s (via %s) refused (%s): %s",
		    (long long)w->session_id, w->peer, w->via,
		    refusal_words[kind], why);
		send_verdict(w, false, line);
		return 0;
	}
	source_hold(a->sources, &k, now);
	w->hold.source = true;
	/* A line session starts now; ssh at its login. */
	if (is_line)
		started(a, &w->hold);
	log_info("session %lld: client %s via %s", (long long)w->session_id,
	    w->peer, w->via);
	/* Its recording under the client's name, before it may speak. */
	if (is_line) {
		if (wproc_record(w, w->tenant, "") == -1)
			return 0;
		wproc_audit_start(w, "");
	}
	send_verdict(w, true, "");
	return 0;
}

/*
 * A worker's `status`: the first one after a hand-off says it has its
 * session, and a plain line session is under way from then on (a PROXY
 * one waits for `peer`, an ssh one for the login).
 */
static int
on_status(void *arg, struct worker *w, const struct msg *m, char *err,
    size_t errlen)
{
	(void)m;
	(void)err;
	(void)errlen;
	if (!w->proxy && strcmp(w->lc->transport, "line") == 0)
		started(arg, &w->hold);
	return 0;
}

void
admit_register(struct admission *a, struct workers *wk)
{
	wproc_handle(wk, MSG_PEER, on_peer, a);
	wproc_handle(wk, MSG_STATUS, on_status, a);
}

void
admit_tick_worker(struct admission *a, struct worker *w, int64_t now)
{
	/*
	 * A LOCAL header (a balancer's health check) brings no `peer`, and
	 * the worker gives up on any header after MSG_PROXY_TIMEOUT_MS: a line
	 * session without `peer` by then is under way.
	 */
	if (!w->reaped && w->killed == WKILL_NONE && w->hold.startup &&
	    w->proxy && !w->peer_seen &&
	    strcmp(w->lc->transport, "line") == 0 &&
	    now - w->busy_ms >= MSG_PROXY_TIMEOUT_MS + 1000)
		started(a, &w->hold);
	/* Admitted over its tenant's limit to resume, and did not. */
	if (!w->reaped && w->killed == WKILL_NONE && w->resume_only_ms != 0 &&
	    now >= w->resume_only_ms && !w->ended) {
		log_notice("session %lld: admitted over tenant %s's session "
		    "limit only to resume, it did not: it ends",
		    (long long)w->session_id, w->tenant);
		w->resume_only_ms = 0;
		wproc_shutdown(w, w->pc->grace, "This login was only to resume "
		    "a detached session (the tenant is at its session limit); "
		    "none was resumed");
	}
}

/* --- ssh logins ---------------------------------------------------------- */

/* How long a login over its tenant's limit has to resume (ms). */
static int64_t
resume_only_ms(const struct admission *a)
{
	uint64_t	 grace = a->ctx->cfg.limits.login_grace;

	return (int64_t)(grace != 0 ? grace : 60) * 1000;
}

int
admit_login(struct admission *a, struct worker *w, const char *tenant,
    unsigned detached, char *why, size_t whylen)
{
	const struct sup_limits	*sl = config_tenant_sup(&a->ctx->cfg, tenant);
	unsigned		 n;
	int			 rv = 0;

	n = tenant_active(a->tenants, tenant);
	if (sl->sessions != 0 && n >= sl->sessions &&
	    n < sl->sessions + detached) {
		/* Over the limit by no more than it has detached sessions. */
		w->resume_only_ms = ev_now_ms() + resume_only_ms(a);
		log_info("session %lld: tenant %s holds %u session%s (sessions "
		    "%u), %u detached: login admitted only to resume one "
		    "within %lld s", (long long)w->session_id, tenant, n,
		    plural(n), sl->sessions, detached,
		    (long long)resume_only_ms(a) / 1000);
		rv = 1;
	} else if (tenant_admit(a->tenants, tenant, sl->sessions, why,
	    whylen) == -1) {
		a->refused[ADMIT_TENANT]++;
		n = tenant_active(a->tenants, tenant);
		admit_log_refusal(a, refusal_names[ADMIT_TENANT], "session "
		    "%lld: login of tenant %s from %s refused (%s): tenant %s "
		    "holds %u session%s (sessions %u)",
		    (long long)w->session_id, tenant, w->peer,
		    refusal_words[ADMIT_TENANT], tenant, n, plural(n),
		    sl->sessions);
		return -1;
	}
	tenant_hold(a->tenants, tenant);
	strlcpy(w->hold.tenant, tenant, sizeof(w->hold.tenant));
	started(a, &w->hold);
	return rv;
}

/* --- penalties ----------------------------------------------------------- */

/* An offence of w's client (its real address); logged. */
static void
penalise(struct admission *a, struct worker *w, enum source_offence o,
    const char *what)
{
	unsigned	 min = a->ctx->cfg.sup.penalty_min;
	char		 name[INET6_ADDRSTRLEN + 8];
	unsigned	 left;

	/* Behind a PROXY listener before its `peer`: only the balancer is
	 * known, and it is never penalised. */
	if (!w->hold.keyed)
		return;
	source_key_name(&w->hold.key, name, sizeof(name));
	/* Counted either way; an exempt source just pays nothing. */
	left = source_penalise(a->sources, &w->hold.key, o, ev_now_ms());
	if (source_exempt(a->sources, &w->hold.key)) {
		log_info("session %lld: %s; source %s is in source_exempt: no "
		    "penalty", (long long)w->session_id, what, name);
		return;
	}
	if (left == 0)
		return;		/* a zero penalty_ key, or a full table */
	if (left >= min)
		log_notice("session %lld: %s; source %s penalised (%s): "
		    "refused for the next %us", (long long)w->session_id,
		    what, name, source_offence_name(o), left);
	else
		log_notice("session %lld: %s; source %s penalised (%s): %us, "
		    "refused from %us", (long long)w->session_id, what, name,
		    source_offence_name(o), left, min);
}

void
admit_penalise(struct admission *a, struct worker *w, enum source_offence o,
    const char *what)
{
	penalise(a, w, o, what);
}

/*
 * An ssh session that ended without a login: its refused attempts count
 * toward its source's penalty, as OpenSSH's PerSourcePenalties "authfail"
 * does (only now, so that a user whose agent offers three other keys
 * before the right one is not penalised for logging in), and so does the
 * grace time run out. Both as measured here, from what the supervisor
 * decided (auth.c): a worker's claim of failures (which are cheaper)
 * cannot buy off the grace time, and a session cut for no login without
 * a refused attempt counts as one too.
 */
static void
penalise_login(struct admission *a, struct worker *w)
{
	uint64_t	 grace = a->ctx->cfg.limits.login_grace;
	char		 what[64];
	unsigned	 i, n = w->auth.failures;
	bool		 timed_out;

	if (w->session_id == 0 || w->auth.authed || w->auth.capped ||
	    strcmp(w->lc->transport, "ssh") != 0)
		return;
	timed_out = grace != 0 && ev_now_ms() - w->busy_ms >=
	    (int64_t)grace * 1000;
	if (timed_out || (n == 0 && w->ended &&
	    strcmp(w->end_reason, "auth") == 0))
		penalise(a, w, SOURCE_GRACE, "no login");
	for (i = 1; i <= n; i++) {
		snprintf(what, sizeof(what), "failed login %u of %u", i, n);
		penalise(a, w, SOURCE_AUTHFAIL, what);
	}
}

void
admit_reaped(struct admission *a, struct worker *w, enum wend kind,
    int status)
{
	penalise_login(a, w);
	if (w->session_id != 0) {
		switch (kind) {
		case WEND_SANDBOX:
			penalise(a, w, SOURCE_SANDBOX, "its worker broke the "
			    "sandbox");
			break;
		case WEND_CRASH:
			/*
			 * SIGKILL from outside is the kernel's OOM killer or
			 * an operator, not something a client can cause by
			 * itself: a memory limit is not an offence.
			 */
			if (WIFSIGNALED(status) && WTERMSIG(status) != SIGKILL)
				penalise(a, w, SOURCE_CRASH, "its worker "
				    "crashed");
			break;
		case WEND_KILLED:
			if (w->killed == WKILL_PROTOCOL)
				penalise(a, w, SOURCE_PROTOCOL, "its worker "
				    "broke the protocol");
			break;
		default:
			break;
		}
	}
	admit_release(a, &w->hold);
}

/* "at most 16" or "no limit". */
static const char *
cap_words(unsigned cap, char *buf, size_t len)
{
	if (cap == 0)
		snprintf(buf, len, "no limit");
	else
		snprintf(buf, len, "at most %u", cap);
	return buf;
}

const char *
admit_quota(struct admission *a, const struct admit_hold *h, char *buf,
    size_t len)
{
	/* A line session's tenant is held from its accept; ssh: none yet. */
	const struct sup_limits	*sl = config_tenant_sup(&a->ctx->cfg,
				    h->tenant);
	char			 name[INET6_ADDRSTRLEN + 8], cap[32];
	size_t			 n;

	buf[0] = '\0';
	if (h->tenant[0] != '\0')
		snprintf(buf, len, "sessions:     %u of tenant %s, %s (as this "
		    "session began)\n", tenant_active(a->tenants, h->tenant),
		    h->tenant, cap_words(sl->sessions, cap, sizeof(cap)));
	n = strlen(buf);
	cap_words(sl->sessions_per_source, cap, sizeof(cap));
	if (!h->source)
		snprintf(buf + n, len - n, "per source:   %s from one "
		    "address\n", cap);
	else if (source_exempt(a->sources, &h->key))
		snprintf(buf + n, len - n, "per source:   %u from %s, not "
		    "limited (source_exempt)\n", source_active(a->sources,
		    &h->key), source_key_name(&h->key, name, sizeof(name)));
	else
		snprintf(buf + n, len - n, "per source:   %u from %s, %s (as "
		    "this session began)\n", source_active(a->sources, &h->key),
		    source_key_name(&h->key, name, sizeof(name)), cap);
	return buf;
}

void
admit_stats(struct admission *a, int64_t now, struct source_stats *st)
{
	if (a->sources != NULL)
		source_stats(a->sources, now, st);
	else
		memset(st, 0, sizeof(*st));
}
