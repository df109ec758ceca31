/*
 * auth.c: ssh authentication on iridiumd's side (see auth.h).
 *
 * auth_decide() is the whole policy and touches nothing but its
 * arguments, so the unit tests hold it to every rule; the `auth_query`
 * handler wraps it for a live worker: the log lines (sshd's wording, so
 * existing log watchers understand them), the tenant's session limit
 * (admit_login), the reply, the tenant's statistics. Failed logins count
 * toward the source's penalty when the session ends without a login
 * (admit_reaped, from the attempts counted here).
 *
 * Host keys and authorized_keys are read here too, each with errors that
 * name the file (and line), so that `iridiumd -t`, the start and a reload
 * report them alike.
 */
#include <sys/stat.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <bsd/string.h>

#include "admit.h"
#include "auth.h"
#include "authkeys.h"
#include "cert.h"
#include "config.h"
#include "escape.h"
#include "ev.h"
#include "hostkey.h"
#include "krl.h"
#include "log.h"
#include "wproc.h"

/* sshd's key names (sshkey_type()), which its log lines carry. */
static const struct {
	const char	*type, *name;
} auth_keynames[] = {
	{ "ssh-ed25519", "ED25519" },
	{ "sk-ssh-ed25519@openssh.com", "ED25519-SK" },
	{ "ecdsa-sha2-nistp256", "ECDSA" },
	{ "ecdsa-sha2-nistp384", "ECDSA" },
	{ "ecdsa-sha2-nistp521", "ECDSA" },
	{ "sk-ecdsa-sha2-nistp256@openssh.com", "ECDSA-SK" },
	{ "ssh-rsa", "RSA" },
	{ "ssh-ed25519-cert-v01@openssh.com", "ED25519-CERT" },
	{ "ecdsa-sha2-nistp256-cert-v01@openssh.com", "ECDSA-CERT" },
	{ "ecdsa-sha2-nistp384-cert-v01@openssh.com", "ECDSA-CERT" },
	{ "ecdsa-sha2-nistp521-cert-v01@openssh.com", "ECDSA-CERT" },
	{ "ssh-rsa-cert-v01@openssh.com", "RSA-CERT" },
};

const char *
auth_keyname(const char *keytype)
{
	size_t	 i;

	for (i = 0; i < sizeof(auth_keynames) / sizeof(auth_keynames[0]); i++)
		if (strcmp(auth_keynames[i].type, keytype) == 0)
			return auth_keynames[i].name;
	return NULL;
}

/*
 * The principals that log in as tenant t: its principals, or its name;
 * for no tenant, the user name asked for (to tell a valid certificate
 * for no tenant from a bad one). Pointers into buf, or to the names.
 */
static size_t
wanted(const struct tenant_cfg *t, const char *user, char *buf, size_t len,
    const char **v)
{
	char	*p, *save = NULL;
	size_t	 n = 0;

	if (t == NULL || t->principals[0] == '\0') {
		v[0] = t != NULL ? t->name : user;
		return 1;
	}
	strlcpy(buf, t->principals, len);
	for (p = strtok_r(buf, ", ", &save); p != NULL && n <
	    CONFIG_PRINCIPALS_MAX; p = strtok_r(NULL, ", ", &save))
		v[n++] = p;
	return n;
}

/*
 * A certificate, checked whole (its CA's signature unless verified: the
 * very bytes accepted unsigned just before). Returns NULL (accepted: g
 * filled) or why not; *violation when no honest worker could have sent
 * it.
 */
static const char *
decide_cert(const struct config *c, const struct authkeys *keys,
    const struct auth_env *env, const struct tenant_cfg *t,
    const struct msg_auth_query *q, bool verified, struct auth_note *note,
    struct cert_grant *g, bool *violation)
{
	static struct cert	 crt;	/* 8 KiB: off the stack */
	const struct authkey	*ca;
	unsigned char		*blob;
	const char		*why = NULL, *name, *rev;
	const char		*want[CONFIG_PRINCIPALS_MAX];
	char			 err[256], id[AUTH_CERT_ID_MAX];
	char			 pbuf[CONFIG_PRINCIPALS_LEN];
	size_t			 n;

	*violation = false;
	if ((blob = authkeys_b64_decode(q->key, strlen(q->key), &n)) == NULL)
		return "out of memory";
	if (cert_parse(&crt, blob, n, err, sizeof(err)) == -1) {
		snprintf(note->whybuf, sizeof(note->whybuf), "certificate "
		    "refused: %s", err);
		why = note->whybuf;
		goto done;
	}
	/* libssh exported it: its type is the blob's. */
	if (strcmp(crt.certtype, q->keytype) != 0) {
		*violation = true;
		why = "auth_query certificate is not of its keytype";
		goto done;
	}
	(void)authkeys_fingerprint_blob(crt.key, crt.keylen,
	    note->fingerprint, sizeof(note->fingerprint));
	cert_key_id(&crt, id, sizeof(id));
	ca = authkeys_find(keys, AUTH_CA_TENANT, crt.ca.p, crt.ca.n);
	name = ca != NULL ? auth_keyname(ca->keytype) : NULL;
	snprintf(note->cert, sizeof(note->cert), "ID %s (serial %llu) CA %s "
	    "%s", id, (unsigned long long)crt.serial, name != NULL ? name :
	    "?", ca != NULL ? ca->fingerprint : "(not trusted)");
	if (ca == NULL)
		why = "certificate signed by a CA not in trusted_user_ca_keys";
	else if (!verified && cert_verify(&crt, err, sizeof(err)) == -1) {
		snprintf(note->whybuf, sizeof(note->whybuf), "%s", err);
		why = note->whybuf;
	} else if (keys->revoked != NULL && (rev = krl_cert_revoked(
	    keys->revoked, &crt)) != NULL) {
		snprintf(note->whybuf, sizeof(note->whybuf), "certificate "
		    "revoked: %s is in revoked_keys", rev);
		why = note->whybuf;
	} else if (cert_check(&crt, env->now, c->cert_clock_skew, want, wanted(t,
	    q->user, pbuf, sizeof(pbuf), want), env->peer, g, err,
	    sizeof(err)) == -1) {
		snprintf(note->whybuf, sizeof(note->whybuf), "%s", err);
		why = note->whybuf;
	} else if (t == NULL)
		why = "a valid certificate whose principal names no tenant";
	else {
		g->serial = crt.serial;
		strlcpy(g->key_id, id, sizeof(g->key_id));
	}
done:
	free(blob);
	return why;
}

enum auth_verdict
auth_decide(const struct config *c, const struct authkeys *keys,
    const struct auth_env *env, struct auth_state *st,
    const struct msg_auth_query *q, struct msg_auth_reply *r,
    struct auth_note *note)
{
	struct cert_grant	 g;
	char			 blobfp[AUTHKEYS_FPR_MAX] = "";
	bool			 cert, bad;

	const struct tenant_cfg	*t;
	const struct authkey	*k = NULL;
	const char		*name;
	bool			 key;

	memset(r, 0, sizeof(*r));
	memset(note, 0, sizeof(*note));
	memset(&g, 0, sizeof(g));
	/* The worker counts as we do; an honest one never gets here. */
	if (st->authed) {
		note->why = "auth_query after the login";
		return AUTH_VIOLATION;
	}
	if (st->failures >= AUTH_MAX_TRIES) {
		note->why = "auth_query after the last allowed failure";
		return AUTH_VIOLATION;
	}
	if (st->queries >= AUTH_MAX_QUERIES) {
		note->why = "more auth_query messages than a client can cause";
		return AUTH_VIOLATION;
	}
	key = strcmp(q->method, "publickey") == 0;
	cert = key && cert_is_certtype(q->keytype);
	/* libssh exported the key: anything else is not its doing. */
	if (key && authkeys_fingerprint(q->key, note->fingerprint,
	    sizeof(note->fingerprint)) == -1) {
		note->why = "auth_query key is not valid base64";
		return AUTH_VIOLATION;
	}
	st->queries++;
	if (key) {
		name = auth_keyname(q->keytype);
		strlcpy(note->keyname, name != NULL ? name : "?",
		    sizeof(note->keyname));
	}

	/* The user name is the tenant's; both refusals read the same. */
	t = config_name_ok(q->user) ? config_tenant_find(c, q->user) : NULL;
	note->invalid_user = t == NULL;
	if (st->queries == 1)
		strlcpy(st->user, q->user, sizeof(st->user));
	if (!key)
		note->why = "public keys only";
	else if (strcmp(st->user, q->user) != 0)
		/* One user per connection, as sshd insists. */
		note->why = "user changed";
	else if (cert) {
		/*
		 * The worker asks about a certificate unsigned first, always:
		 * a signature claimed for any other is made up.
		 */
		strlcpy(blobfp, note->fingerprint, sizeof(blobfp));
		if (q->signed_ && strcmp(st->cert_probe, blobfp) != 0) {
			note->why = "a certificate said signed that was not "
			    "accepted unsigned first";
			return AUTH_VIOLATION;
		}
		if ((note->why = decide_cert(c, keys, env, t, q, q->signed_,
		    note, &g, &bad)) != NULL && bad)
			return AUTH_VIOLATION;
	} else if ((k = t != NULL ? authkeys_lookup(keys, t->name, q->keytype,
	    q->key) : NULL) == NULL)
		note->why = t == NULL ? "no such tenant" :
		    "key not in the tenant's authorized_keys";
	else if (keys->revoked != NULL && krl_key_revoked(keys->revoked,
	    k->blob, k->bloblen))
		note->why = "key revoked: it is in revoked_keys";
	if (note->why == NULL && q->signed_ && (strcmp(q->keytype,
	    "ssh-rsa") == 0 || strcmp(q->keytype,
	    "ssh-rsa-cert-v01@openssh.com") == 0) &&
	    strcmp(q->sigalg, "rsa-sha2-256") != 0 &&
	    strcmp(q->sigalg, "rsa-sha2-512") != 0)
		note->why = strcmp(q->sigalg, "ssh-rsa") == 0 ?
		    "signature algorithm ssh-rsa (SHA-1) refused" :
		    "signature algorithm not known: only rsa-sha2-256 and "
		    "rsa-sha2-512 are taken";
	if (note->why != NULL) {
		st->failures++;
		return AUTH_REFUSED;
	}
	r->ok = true;
	strlcpy(r->tenant, t->name, sizeof(r->tenant));
	r->limits = t->limits;
	strlcpy(r->command, g.force_command, sizeof(r->command));
	r->no_pty = g.no_pty;
	if (cert && !q->signed_)
		strlcpy(st->cert_probe, blobfp, sizeof(st->cert_probe));
	if (q->signed_) {
		st->authed = true;
		strlcpy(st->keyname, note->keyname, sizeof(st->keyname));
		strlcpy(st->fingerprint, cert ? note->fingerprint :
		    k->fingerprint, sizeof(st->fingerprint));
		st->cert = cert;
		if (cert) {
			st->cert_serial = g.serial;
			strlcpy(st->cert_id, g.key_id, sizeof(st->cert_id));
		}
	}
	return AUTH_ACCEPTED;
}

/* "127.0.0.1:40000" or "[::1]:40000" into its address and port. */
static void
split_peer(const char *peer, char *addr, size_t len, int *port)
{
	const char	*colon = strrchr(peer, ':');
	size_t		 n;

	*port = 0;
	if (colon == NULL) {
		strlcpy(addr, peer, len);
		return;
	}
	*port = atoi(colon + 1);
	n = (size_t)(colon - peer);
	if (peer[0] == '[' && n >= 2 && peer[n - 1] == ']') {
		peer++;
		n -= 2;
	}
	if (n >= len)
		n = len - 1;
	memcpy(addr, peer, n);
	addr[n] = '\0';
}

/* An ssh worker's `auth_query`. */
static int
on_auth_query(void *arg, struct worker *w, const struct msg *m, char *why,
    size_t whylen)
{
	struct auth			*a = arg;
	const struct msg_auth_query	*q = &m->u.auth_query;
	struct msg_auth_reply		 r;
	struct auth_note		 note;
	struct auth_env			 env;
	enum auth_verdict		 v;
	char				 user[MSG_NAME_MAX * 4 + 1], addr[64];
	char				 err[128], full[256];
	int				 port;
	bool				 capped = false;

	if (strcmp(w->lc->transport, "ssh") != 0) {
		snprintf(why, whylen, "auth_query on a %s session",
		    w->lc->transport);
		return -1;
	}
	split_peer(w->peer, addr, sizeof(addr), &port);
	env.now = (uint64_t)time(NULL);
	env.peer = addr;
	v = auth_decide(&a->ctx->cfg, &a->keys, &env, &w->auth, q, &r, &note);
	if (v == AUTH_VIOLATION) {
		strlcpy(why, note.why, whylen);
		return -1;
	}
	escape_untrusted(user, sizeof(user), q->user, strlen(q->user));
	/* The login itself: the tenant may be at its session limit. */
	if (v == AUTH_ACCEPTED && w->auth.authed &&
	    admit_login(a->adm, w, r.tenant, a->resume != NULL ?
	    resume_count(a->resume, r.tenant) : 0, full,
	    sizeof(full)) == -1) {
		w->auth.authed = false;
		memset(&r, 0, sizeof(r));
		/* The client is told why; the worker ends the session. */
		strlcpy(r.message, full, sizeof(r.message));
		capped = w->auth.capped = true;
	}
	if (user[0] == '\0')
		strlcpy(user, "(unreadable name)", sizeof(user));
	/* A login that may detach, and what it could resume. */
	if (v == AUTH_ACCEPTED && w->auth.authed && a->resume != NULL) {
		r.resume_window = resume_window(a->resume, r.tenant);
		resume_notice(a->resume, r.tenant, ev_now_ms(), r.detached,
		    sizeof(r.detached));
		if (w->resume_only_ms != 0)
			snprintf(r.detached + strlen(r.detached),
			    sizeof(r.detached) - strlen(r.detached), " You "
			    "are at your session limit: this login may only "
			    "resume one, within %lld s.", (long long)
			    (w->resume_only_ms - ev_now_ms() + 999) / 1000);
	}
	if (v == AUTH_REFUSED)
		audit_event(&w->wk->audit, "login_failed", json_pack(
		    "{s:I, s:s, s:s, s:s, s:s, s:s, s:i}",
		    "session", (json_int_t)w->session_id, "user", user,
		    "method", q->method, "peer", w->peer,
		    "fingerprint", note.fingerprint, "reason", note.why,
		    "attempt", (int)w->auth.failures));
	if (v == AUTH_REFUSED)
		log_notice("session %lld: failed %s for %s%s from %s port %d "
		    "ssh%s%s%s%s%s%s (%s; attempt %u of %d)",
		    (long long)w->session_id, q->method, note.invalid_user ?
		    "invalid user " : "", user, addr, port,
		    note.keyname[0] != '\0' ? ": " : "", note.keyname,
		    note.keyname[0] != '\0' ? " " : "", note.fingerprint,
		    note.cert[0] != '\0' ? " " : "", note.cert,
		    note.why, w->auth.failures, AUTH_MAX_TRIES);
	else if (!w->auth.authed && !capped)
		log_debug("session %lld: key %s %s of %s would do",
		    (long long)w->session_id, note.keyname, note.fingerprint,
		    r.tenant);
	/* The tenant's history first: the worker has it with the reply. */
	if (v == AUTH_ACCEPTED && w->auth.authed && a->history != NULL)
		history_login(a->history, w, r.tenant);
	/* The recording before the reply: the worker has it at login. */
	if (v == AUTH_ACCEPTED && w->auth.authed && !capped &&
	    wproc_record(w, r.tenant, w->auth.fingerprint) == -1)
		return 0;
	if (wproc_send_recorded(w, MSG_AUTH_REPLY, &r, -1, err,
	    sizeof(err)) == -1) {
		/* It is waiting for this very answer: it must be able to. */
		log_warn("session %lld: send auth_reply",
		    (long long)w->session_id);
		wproc_kill(w, WKILL_UNRESPONSIVE, "could not take auth_reply");
		return 0;
	}
	if (capped) {
		/* Not the client's fault: no failure. Should the worker go
		 * on regardless, the shutdown ends it. */
		wproc_shutdown(w, w->pc->grace, full);
		return 0;
	}
	if (v == AUTH_ACCEPTED && w->auth.authed) {
		strlcpy(w->tenant, r.tenant, sizeof(w->tenant));
		/* The worker lowers its CPU limit to the tenant's (0: none). */
		if (r.limits.cpu != 0 && (w->cpu_limit == 0 ||
		    r.limits.cpu < w->cpu_limit))
			w->cpu_limit = r.limits.cpu;
		admit_tenant_accepted(a->adm, w->tenant);
		log_info("session %lld: accepted publickey for %s from %s port "
		    "%d ssh: %s %s%s%s", (long long)w->session_id, w->tenant,
		    addr, port, w->auth.keyname, w->auth.fingerprint,
		    note.cert[0] != '\0' ? " " : "", note.cert);
		wproc_audit_start(w, w->auth.fingerprint);
	}
	return 0;
}

void
auth_init(struct auth *a, struct ctx *ctx, struct admission *adm)
{
	memset(a, 0, sizeof(*a));
	a->ctx = ctx;
	a->adm = adm;
	authkeys_init(&a->keys);
}

void
auth_free(struct auth *a)
{
	authkeys_free(&a->keys);
	auth_hostkeys_free(a);
}

void
auth_register(struct auth *a, struct workers *wk)
{
	wproc_handle(wk, MSG_AUTH_QUERY, on_auth_query, a);
}

/* --- the keys ------------------------------------------------------------- */

bool
auth_config_has_ssh(const struct config *c)
{
	size_t	 i;

	for (i = 0; i < c->nlisteners; i++)
		if (strcmp(c->listeners[i].transport, "ssh") == 0)
			return true;
	return false;
}

static const char *
file_of(const struct config *c, uint32_t line)
{
	return line != 0 && c->path[0] != '\0' ? c->path : NULL;
}

/* A CK_RELATIVE path: relative ones are under state_dir. */
static int
resolve(const struct config *c, const char *path, char *out, size_t len)
{
	if (path[0] == '/')
		return strlcpy(out, path, len) < len ? 0 : -1;
	return snprintf(out, len, "%s/%s", c->state_dir, path) < (int)len ?
	    0 : -1;
}

struct keys_warn {
	struct cfg_errors	*errs;
	const char		*tenant;
};

static void
keys_warn(void *arg, const char *file, unsigned line, const char *msg)
{
	struct keys_warn	*kw = arg;

	cfg_error(kw->errs, file, line, "[tenant %s] authorized_keys: %s",
	    kw->tenant, msg);
}

static void
cas_warn(void *arg, const char *file, unsigned line, const char *msg)
{
	cfg_error(arg, file, line, "[daemon] trusted_user_ca_keys: %s", msg);
}

/* revoked_keys: a list of keys or a KRL. */
static void
load_revoked(const struct config *c, struct authkeys *keys,
    struct cfg_errors *e)
{
	char		 path[CONFIG_PATHLEN * 2], err[512];
	uint32_t	 ln = c->keyline[CK_DAEMON_revoked_keys];

	if (c->revoked_keys[0] == '\0')
		return;
	if ((keys->revoked = malloc(sizeof(*keys->revoked))) == NULL) {
		cfg_error(e, file_of(c, ln), ln, "[daemon] revoked_keys: out "
		    "of memory");
		return;
	}
	if (resolve(c, c->revoked_keys, path, sizeof(path)) == -1)
		snprintf(err, sizeof(err), "path too long");
	else if (krl_load(keys->revoked, path, err, sizeof(err)) == 0)
		return;
	cfg_error(e, file_of(c, ln), ln, "[daemon] revoked_keys: %s", err);
	free(keys->revoked);
	keys->revoked = NULL;
}

/* trusted_user_ca_keys, under AUTH_CA_TENANT. */
static void
load_cas(const struct config *c, struct authkeys *keys,
    struct cfg_errors *e)
{
	char		 path[CONFIG_PATHLEN * 2], err[512];
	uint32_t	 ln = c->keyline[CK_DAEMON_trusted_user_ca_keys];
	int		 n;

	if (c->trusted_user_ca_keys[0] == '\0')
		return;
	if (resolve(c, c->trusted_user_ca_keys, path, sizeof(path)) == -1)
		cfg_error(e, file_of(c, ln), ln, "[daemon] "
		    "trusted_user_ca_keys: path too long");
	else if ((n = authkeys_load(keys, AUTH_CA_TENANT, path, cas_warn, e,
	    err, sizeof(err))) >= 0 && (keys->nca = (size_t)n) == 0)
		cfg_warning(e, file_of(c, ln), ln, "[daemon] "
		    "trusted_user_ca_keys: %s holds no key: no certificate "
		    "logs in", path);
	else if (n == -1)
		cfg_error(e, file_of(c, ln), ln, "[daemon] "
		    "trusted_user_ca_keys: %s", err);
}

unsigned
auth_keys_load(const struct config *c, struct authkeys *keys,
    struct cfg_errors *e)
{
	const struct tenant_cfg	*t;
	struct keys_warn	 kw;
	char			 path[CONFIG_PATHLEN * 2], err[512];
	unsigned		 before = e->nerrors;
	uint32_t		 ln;
	size_t			 i;
	int			 n;

	authkeys_init(keys);
	load_cas(c, keys, e);
	load_revoked(c, keys, e);
	for (i = 0; i < c->ntenants; i++) {
		t = &c->tenants[i];
		if (t->authorized_keys[0] == '\0')
			continue;
		ln = t->keyline[CK_TENANT_authorized_keys];
		if (resolve(c, t->authorized_keys, path, sizeof(path)) == -1) {
			cfg_error(e, file_of(c, ln), ln, "[tenant %s] "
			    "authorized_keys: path too long", t->name);
			continue;
		}
		kw.errs = e;
		kw.tenant = t->name;
		if ((n = authkeys_load(keys, t->name, path, keys_warn, &kw, err,
		    sizeof(err))) == -1)
			cfg_error(e, file_of(c, ln), ln, "[tenant %s] "
			    "authorized_keys: %s", t->name, err);
		else if (n == 0)
			cfg_warning(e, file_of(c, ln), ln, "[tenant %s] "
			    "authorized_keys: %s holds no key: nobody can log "
			    "in as %s", t->name, path, t->name);
	}
	return e->nerrors - before;
}

void
auth_keys_counts(const struct authkeys *k, size_t *keys, size_t *files)
{
	/* The CA file, when it held keys, is one of the files. */
	*keys = k->n - k->nca;
	*files = k->nfiles - (k->nca > 0 ? 1 : 0);
}

void
auth_hostkeys_free(struct auth *a)
{
	size_t	 i;

	for (i = 0; i < a->nhostkeys; i++)
		hostkey_free(&a->hostkeys[i]);
	a->nhostkeys = 0;
	if (a->hostkey_text != NULL) {
		explicit_bzero(a->hostkey_text, strlen(a->hostkey_text));
		free(a->hostkey_text);
		a->hostkey_text = NULL;
	}
}

/* The state directory, made (0700) if it is missing: it holds keys. */
static int
state_dir(const struct config *c, char *err, size_t errlen)
{
	if (mkdir(c->state_dir, 0700) == 0)
		log_info("made the state directory %s", c->state_dir);
	else if (errno != EEXIST) {
		snprintf(err, errlen, "state directory %s: %s", c->state_dir,
		    strerror(errno));
		return -1;
	}
	return 0;
}

/*
 * ssh_hostkey_algorithms must leave the worker something to sign with:
 * at least one algorithm that one of the keys can do.
 */
static void
check_hostkey_algos(const struct config *c, const struct hostkey *keys,
    size_t n, struct cfg_errors *e)
{
	uint32_t	 ln = c->keyline[CK_DAEMON_ssh_hostkey_algorithms];
	char		 first[SSHALGO_NAME_MAX + 1];

	if (hostkey_algos_usable(keys, n, c->ssh_hostkey_algorithms, first,
	    sizeof(first)) == 0)
		cfg_error(e, file_of(c, ln), ln, "[daemon] "
		    "ssh_hostkey_algorithms: no host key for any of them (%s "
		    "needs a key of its type in host_key)", first);
}

unsigned
auth_hostkeys_load(struct auth *a, const struct config *c,
    struct cfg_errors *e)
{
	struct hostkey	*k;
	char		 path[CONFIG_PATHLEN * 2], err[512];
	uint32_t	 ln = c->keyline[CK_DAEMON_host_key];
	unsigned	 i, before = e->nerrors;

	if (!auth_config_has_ssh(c))
		return 0;
	if (a->nhostkeys > 0) {
		/* Kept (host_key needs a restart): the lists may change. */
		check_hostkey_algos(c, a->hostkeys, a->nhostkeys, e);
		return e->nerrors - before;
	}
	if (c->host_key.n == 0) {
		if (state_dir(c, err, sizeof(err)) == -1 ||
		    hostkey_ensure(&a->hostkeys[0], c->state_dir, err,
		    sizeof(err)) == -1)
			cfg_error(e, NULL, 0, "ssh host key: %s", err);
		else
			a->nhostkeys = 1;
	}
	for (i = 0; i < c->host_key.n; i++) {
		if (resolve(c, c->host_key.v[i], path, sizeof(path)) == -1)
			cfg_error(e, file_of(c, ln), ln, "[daemon] host_key: "
			    "%s: path too long", c->host_key.v[i]);
		else if (hostkey_load(&a->hostkeys[a->nhostkeys], path, err,
		    sizeof(err)) == -1)
			cfg_error(e, file_of(c, ln), ln, "[daemon] host_key: "
			    "%s", err);
		else
			a->nhostkeys++;
	}
	if (e->nerrors == before && (a->hostkey_text = hostkey_hello(
	    a->hostkeys, a->nhostkeys, err, sizeof(err))) == NULL)
		cfg_error(e, file_of(c, ln), ln, "[daemon] host_key: %s", err);
	if (e->nerrors == before)
		check_hostkey_algos(c, a->hostkeys, a->nhostkeys, e);
	if (e->nerrors != before) {
		auth_hostkeys_free(a);
		return e->nerrors - before;
	}
	for (i = 0; i < a->nhostkeys; i++) {
		k = &a->hostkeys[i];
		log_info("ssh host key %s %s %s%s", auth_keyname(k->type) !=
		    NULL ? auth_keyname(k->type) : k->type, k->fingerprint,
		    k->path, k->generated ? " (generated now)" : "");
	}
	return 0;
}

void
auth_check(const struct config *c, struct cfg_errors *e)
{
	struct authkeys	 keys;
	struct hostkey	 k[CONFIG_MAX_HOSTKEYS];
	char		 path[CONFIG_PATHLEN * 2], err[512], *text;
	uint32_t	 ln = c->keyline[CK_DAEMON_host_key];
	unsigned	 i, n = 0, before;

	(void)auth_keys_load(c, &keys, e);
	authkeys_free(&keys);
	if (!auth_config_has_ssh(c))
		return;
	/* The state directory's key is made at the start, not checked. */
	if (c->host_key.n == 0) {
		memset(&k[0], 0, sizeof(k[0]));
		strlcpy(k[0].type, "ssh-ed25519", sizeof(k[0].type));
		check_hostkey_algos(c, k, 1, e);
		return;
	}
	before = e->nerrors;
	for (i = 0; i < c->host_key.n; i++) {
		if (resolve(c, c->host_key.v[i], path, sizeof(path)) == -1)
			cfg_error(e, file_of(c, ln), ln, "[daemon] host_key: "
			    "%s: path too long", c->host_key.v[i]);
		else if (hostkey_load(&k[n], path, err, sizeof(err)) == -1)
			cfg_error(e, file_of(c, ln), ln, "[daemon] host_key: "
			    "%s", err);
		else
			n++;
	}
	if (e->nerrors == before) {
		if ((text = hostkey_hello(k, n, err, sizeof(err))) == NULL)
			cfg_error(e, file_of(c, ln), ln, "[daemon] host_key: "
			    "%s", err);
		else {
			explicit_bzero(text, strlen(text));
			free(text);
			check_hostkey_algos(c, k, n, e);
		}
	}
	for (i = 0; i < n; i++)
		hostkey_free(&k[i]);
}
