/*
 * resume.c: sessions that outlive their connection, on iridiumd's side
 * (see resume.h): the workers' `detach`, `resume` and `resumed`, the
 * detached sessions' windows, and the notice a tenant's new login shows.
 *
 * Whatever a worker says here is a claim: a detach from a worker with no
 * accepted login, a second detach, a resume from a detached worker or one
 * with no login, a `resumed` no resume asked for, are protocol violations
 * (the worker is killed). Which sessions a worker may take is decided
 * from w->tenant alone, which only auth.c sets, from its own reply.
 */
#include <sys/socket.h>

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <bsd/stdlib.h>
#include <bsd/string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "admit.h"
#include "config.h"
#include "escape.h"
#include "ev.h"
#include "log.h"
#include "msg.h"
#include "resume.h"
#include "wproc.h"

void
resume_init(struct resume *r, struct ctx *ctx, struct workers *wk,
    struct admission *adm)
{
	memset(r, 0, sizeof(*r));
	r->ctx = ctx;
	r->wk = wk;
	r->adm = adm;
	arc4random_buf(r->key, sizeof(r->key));
}

unsigned
resume_window(const struct resume *r, const char *tenant)
{
	if (r->ctx->stopping)
		return 0;
	return config_tenant_sup(&r->ctx->cfg, tenant)->resume_window;
}

unsigned
resume_count(const struct resume *r, const char *tenant)
{
	const struct worker	*w;
	unsigned		 n = 0;

	TAILQ_FOREACH(w, &r->wk->detached, detached_entry)
		if (strcmp(w->tenant, tenant) == 0)
			n++;
	return n;
}

/* The keyed hash the supervisor keeps of a token. 0, or -1. */
static int
token_mac(const struct resume *r, const char *token, uint8_t mac[32])
{
	unsigned	 len = 32;

	return HMAC(EVP_sha256(), r->key, sizeof(r->key),
	    (const unsigned char *)token, strlen(token), mac, &len) != NULL &&
	    len == 32 ? 0 : -1;
}

/* A new token: 128 random bits as MSG_TOKEN_LEN characters of base64url. */
static void
token_new(char token[MSG_TOKEN_LEN + 1])
{
	static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnop"
	    "qrstuvwxyz0123456789-_";
	uint8_t		 raw[16];
	uint32_t	 acc = 0;
	int		 bits = 0, i, o = 0;

	arc4random_buf(raw, sizeof(raw));
	for (i = 0; i < (int)sizeof(raw); i++) {
		acc = (acc << 8) | raw[i];
		bits += 8;
		while (bits >= 6) {
			bits -= 6;
			token[o++] = b64[(acc >> bits) & 0x3f];
		}
	}
	if (bits > 0)
		token[o++] = b64[(acc << (6 - bits)) & 0x3f];
	token[o] = '\0';
	explicit_bzero(raw, sizeof(raw));
}

/* The answer to a line session's detach: its token, or why not. */
static int
detach_reply(struct worker *w, const char *token, const char *message)
{
	struct msg_detach_reply	 dr;
	char			 err[128];
	int			 rv;

	memset(&dr, 0, sizeof(dr));
	strlcpy(dr.token, token, sizeof(dr.token));
	strlcpy(dr.message, message, sizeof(dr.message));
	rv = msg_send(w->chan, MSG_DETACH_REPLY, &dr, -1, MSG_DONTWAIT, err,
	    sizeof(err));
	explicit_bzero(&dr, sizeof(dr));
	if (rv == -1)
		wproc_kill(w, WKILL_UNRESPONSIVE, "could not take "
		    "detach_reply");
	return rv;
}

/* "3m", "2h", "45s": how long ago, for people. */
static void
ago(char *buf, size_t len, int64_t ms)
{
	int64_t	 s = ms / 1000;

	if (s < 60)
		snprintf(buf, len, "%llds", (long long)s);
	else if (s < 3600)
		snprintf(buf, len, "%lldm", (long long)(s / 60));
	else
		snprintf(buf, len, "%lldh", (long long)(s / 3600));
}

/* 1204 as "1,204". */
static void
grouped(char *buf, size_t len, uint64_t v)
{
	char	 digits[32];
	size_t	 n, i, o = 0;

	snprintf(digits, sizeof(digits), "%llu", (unsigned long long)v);
	n = strlen(digits);
	for (i = 0; i < n && o + 2 < len; i++) {
		if (i > 0 && (n - i) % 3 == 0)
			buf[o++] = ',';
		buf[o++] = digits[i];
	}
	buf[o] = '\0';
}

void
resume_notice(const struct resume *r, const char *tenant, int64_t now,
    char *out, size_t len)
{
	const struct worker	*w, *shown[RESUME_NOTICE_MAX];
	char			 a[24], n[32];
	size_t			 o, i, k = 0, total = 0;

	out[0] = '\0';
	/* The list is in the order they detached: newest last. */
	TAILQ_FOREACH_REVERSE(w, &r->wk->detached, worker_list,
	    detached_entry) {
		if (strcmp(w->tenant, tenant) != 0)
			continue;
		if (k < RESUME_NOTICE_MAX)
			shown[k++] = w;
		total++;
	}
	if (total == 0)
		return;
	snprintf(out, len, "You have %zu detached session%s: ", total,
	    total == 1 ? "" : "s");
	for (i = 0; i < k; i++) {
		ago(a, sizeof(a), now - shown[i]->detached_ms);
		grouped(n, sizeof(n), shown[i]->counters.instructions);
		o = strlen(out);
		snprintf(out + o, len - o, "%s%lld, detached %s ago, %s "
		    "instructions", i > 0 ? "; " : "",
		    (long long)shown[i]->session_id, a, n);
	}
	o = strlen(out);
	if (total > k)
		snprintf(out + o, len - o, "; and %zu more", total - k);
	o = strlen(out);
	if (total == 1)
		snprintf(out + o, len - o, ". Type !resume %lld, or go on in "
		    "this new one.", (long long)shown[0]->session_id);
	else
		snprintf(out + o, len - o, ". Type !resume ID, or go on in "
		    "this new one.");
}

/* --- the workers' messages ------------------------------------------------ */

static int
on_detach(void *arg, struct worker *w, const struct msg *m, char *why,
    size_t whylen)
{
	struct resume	*r = arg;
	unsigned	 window;
	bool		 line = strcmp(w->lc->transport, "line") == 0;
	char		 token[MSG_TOKEN_LEN + 1];

	if (line ? strcmp(m->u.detach.reason, "detach") != 0 :
	    !w->auth.authed || w->tenant[0] == '\0') {
		snprintf(why, whylen, "%s", line ? "detach of a line session "
		    "not asked for by !detach" : "detach from a session with "
		    "no login");
		return -1;
	}
	if (w->detached || w->resuming != 0) {
		snprintf(why, whylen, "detach %s", w->detached ? "twice" :
		    "while resuming");
		return -1;
	}
	if ((window = resume_window(r, w->tenant)) == 0) {
		log_info("session %lld: %s's client %s; resume_window is 0 or "
		    "the daemon stops: it %s", (long long)w->session_id,
		    w->tenant, line ? "typed !detach" : "went away", line ?
		    "goes on" : "ends");
		if (line) {
			(void)detach_reply(w, "", "This session cannot be "
			    "detached: the server keeps no detached sessions "
			    "now.");
			return 0;
		}
		wproc_shutdown(w, w->pc->grace, "detaching is off");
		return 0;
	}
	if (line) {
		token_new(token);
		if (token_mac(r, token, w->token_mac) == -1) {
			log_warnx("session %lld: HMAC of a resume token "
			    "failed", (long long)w->session_id);
			explicit_bzero(token, sizeof(token));
			(void)detach_reply(w, "", "This session cannot be "
			    "detached now; try again.");
			return 0;
		}
		w->has_token = true;
		if (detach_reply(w, token, "") == -1) {
			explicit_bzero(token, sizeof(token));
			return 0;
		}
		explicit_bzero(token, sizeof(token));
	}
	w->detached = true;
	w->detached_ms = ev_now_ms();
	w->resume_window = window;
	w->moving_to = 0;
	TAILQ_INSERT_TAIL(&r->wk->detached, w, detached_entry);
	r->detached++;
	log_info("session %lld: %s's client went away (%s); detached, "
	    "resumable for %u s%s", (long long)w->session_id, w->tenant,
	    m->u.detach.reason, window, line ? " with its token" : "");
	return 0;
}

static void
refuse(struct resume *r, struct worker *w, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Tell w its resume is refused (the words for its client). */
static void
refuse(struct resume *r, struct worker *w, const char *fmt, ...)
{
	struct msg_resume_refused rr;
	va_list		 ap;
	char		 err[128];

	memset(&rr, 0, sizeof(rr));
	va_start(ap, fmt);
	vsnprintf(rr.message, sizeof(rr.message), fmt, ap);
	va_end(ap);
	r->refused++;
	w->resuming = 0;
	if (msg_send(w->chan, MSG_RESUME_REFUSED, &rr, -1, MSG_DONTWAIT, err,
	    sizeof(err)) == -1)
		wproc_kill(w, WKILL_UNRESPONSIVE, "could not take "
		    "resume_refused");
}

/* The detached session id (0: the newest) that tenant may take, or NULL. */
static struct worker *
find_detached(struct resume *r, int64_t id, const char *tenant,
    struct worker **other)
{
	struct worker	*w;

	*other = NULL;
	TAILQ_FOREACH_REVERSE(w, &r->wk->detached, worker_list,
	    detached_entry) {
		if (id != 0 && w->session_id != id)
			continue;
		if (strcmp(w->tenant, tenant) == 0)
			return w;
		if (id != 0)
			*other = w;
	}
	return NULL;
}

/* The detached line session of w's listener whose token this is. */
static struct worker *
find_token(struct resume *r, const struct worker *w, const char *token)
{
	struct worker	*d, *found = NULL;
	uint8_t		 mac[32];

	if (token_mac(r, token, mac) == -1)
		return NULL;
	/* Every candidate compared, in constant time each. */
	TAILQ_FOREACH(d, &r->wk->detached, detached_entry)
		if (d->has_token && d->lc == w->lc &&
		    CRYPTO_memcmp(mac, d->token_mac, sizeof(mac)) == 0)
			found = d;
	explicit_bzero(mac, sizeof(mac));
	return found;
}

static int
on_resume(void *arg, struct worker *w, const struct msg *m, char *why,
    size_t whylen)
{
	struct resume		*r = arg;
	struct worker		*d, *other;
	struct msg_move		 mv;
	struct msg_resume_reply	 rr;
	int64_t			 id = m->u.resume.id, now = ev_now_ms();
	int			 sv[2];
	char			 err[128];

	bool			 line = strcmp(w->lc->transport, "line") == 0;

	if ((line ? m->u.resume.token[0] == '\0' : !w->auth.authed ||
	    w->tenant[0] == '\0' || m->u.resume.token[0] != '\0') ||
	    w->detached || w->resuming != 0) {
		snprintf(why, whylen, "resume %s", w->detached ?
		    "from a detached session" : w->resuming != 0 ?
		    "while resuming" : line ? "of a line session without a "
		    "token" : m->u.resume.token[0] != '\0' ? "with a token "
		    "over ssh" : "from a session with no login");
		return -1;
	}
	if (line && (d = find_token(r, w, m->u.resume.token)) == NULL) {
		admit_penalise(r->adm, w, SOURCE_AUTHFAIL, "a wrong resume "
		    "token");
		log_notice("session %lld: a resume token that matches no "
		    "detached session of listener %s: refused",
		    (long long)w->session_id, w->lc->name);
		refuse(r, w, "That token resumes no session.");
		return 0;
	}
	if (!line && (d = find_detached(r, id, w->tenant, &other)) == NULL) {
		if (other != NULL)
			log_notice("session %lld: %s asked to resume session "
			    "%lld, which is another tenant's: refused",
			    (long long)w->session_id, w->tenant,
			    (long long)id);
		else
			log_info("session %lld: %s asked to resume session "
			    "%lld: none such", (long long)w->session_id,
			    w->tenant, (long long)id);
		if (id != 0)
			refuse(r, w, "No detached session %lld of yours.",
			    (long long)id);
		else
			refuse(r, w, "You have no detached session.");
		return 0;
	}
	id = d->session_id;
	if (d->moving_to != 0) {
		refuse(r, w, "Session %lld is being resumed elsewhere.",
		    (long long)d->session_id);
		return 0;
	}
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) == -1) {
		log_warn("session %lld: socketpair for a resume",
		    (long long)w->session_id);
		refuse(r, w, "The server cannot resume a session now; try "
		    "again.");
		return 0;
	}
	memset(&mv, 0, sizeof(mv));
	mv.to = w->session_id;
	memset(&rr, 0, sizeof(rr));
	rr.id = d->session_id;
	if (msg_send(d->chan, MSG_MOVE, &mv, sv[0], MSG_DONTWAIT, err,
	    sizeof(err)) == -1) {
		log_warn("session %lld: send move", (long long)d->session_id);
		close(sv[0]);
		close(sv[1]);
		refuse(r, w, "Session %lld cannot be moved now; try again.",
		    (long long)d->session_id);
		return 0;
	}
	close(sv[0]);
	d->moving_to = w->session_id;
	d->moving_ms = now;
	w->resuming = d->session_id;
	if (msg_send(w->chan, MSG_RESUME_REPLY, &rr, sv[1], MSG_DONTWAIT, err,
	    sizeof(err)) == -1) {
		close(sv[1]);
		/* The detached one sees its reader gone and stays. */
		d->moving_to = 0;
		w->resuming = 0;
		wproc_kill(w, WKILL_UNRESPONSIVE, "could not take "
		    "resume_reply");
		return 0;
	}
	close(sv[1]);
	log_info("session %lld: %s resumes session %lld (detached %llds "
	    "ago)", (long long)w->session_id, w->tenant,
	    (long long)d->session_id, (long long)(now - d->detached_ms) /
	    1000);
	return 0;
}

static int
on_resumed(void *arg, struct worker *w, const struct msg *m, char *why,
    size_t whylen)
{
	struct resume		*r = arg;
	const struct msg_resumed *rm = &m->u.resumed;
	struct worker		*d, *other;
	char			 msg[MSG_TEXT_MAX * 4 + 1];

	if (w->resuming == 0 || rm->id != w->resuming) {
		snprintf(why, whylen, "resumed with no resume under way");
		return -1;
	}
	w->resuming = 0;
	d = find_detached(r, rm->id, w->tenant, &other);
	if (d != NULL && d->moving_to == w->session_id)
		d->moving_to = 0;
	if (!rm->ok) {
		escape_untrusted(msg, sizeof(msg), rm->message,
		    strlen(rm->message));
		log_warnx("session %lld: resuming session %lld failed: %s; "
		    "it stays detached", (long long)w->session_id,
		    (long long)rm->id, msg);
		return 0;
	}
	r->resumed++;
	/* A login over the tenant's limit did what it was let in for. */
	w->resume_only_ms = 0;
	log_info("session %lld: resumed in session %lld",
	    (long long)rm->id, (long long)w->session_id);
	if (d != NULL) {
		/* Its state lives on in w: it is no longer detached. */
		TAILQ_REMOVE(&r->wk->detached, d, detached_entry);
		d->detached = false;
		wproc_shutdown(d, d->pc->grace, "resumed elsewhere");
	}
	return 0;
}

void
resume_register(struct resume *r)
{
	wproc_handle(r->wk, MSG_DETACH, on_detach, r);
	wproc_handle(r->wk, MSG_RESUME, on_resume, r);
	wproc_handle(r->wk, MSG_RESUMED, on_resumed, r);
}

void
resume_tick(struct resume *r, int64_t now)
{
	struct worker	*w, *next;
	char		 a[24];

	TAILQ_FOREACH_SAFE(w, &r->wk->detached, detached_entry, next) {
		if (w->moving_to != 0 && now - w->moving_ms >
		    RESUME_MOVE_MS) {
			log_warnx("session %lld: session %lld did not finish "
			    "taking it in %d s; it stays detached",
			    (long long)w->session_id, (long long)w->moving_to,
			    RESUME_MOVE_MS / 1000);
			w->moving_to = 0;
		}
		if (w->moving_to != 0 || now - w->detached_ms <
		    (int64_t)w->resume_window * 1000)
			continue;
		ago(a, sizeof(a), now - w->detached_ms);
		log_info("session %lld: %s's session was detached %s ago; its "
		    "resume_window of %u s passed: it ends",
		    (long long)w->session_id, w->tenant, a, w->resume_window);
		TAILQ_REMOVE(&r->wk->detached, w, detached_entry);
		w->detached = false;
		r->expired++;
		wproc_shutdown(w, w->pc->grace, "resume window passed");
	}
}
