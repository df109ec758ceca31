/*
 * ssh_auth.c: the ssh transport's authentication (see ssh_internal.h).
 *
 * Every attempt the client makes, whatever its method, goes to the
 * supervisor as an `auth_query`: it decides (public keys only), counts
 * and logs each, so a refused password is a failure like a refused key,
 * and one event is one log line, the supervisor's. The worker answers
 * the client after the same delay whatever the reason, so that it learns
 * nothing from which it was, and ends the connection after
 * SSH_MAX_AUTH_TRIES failures.
 *
 * A signature made with `ssh-rsa` (SHA-1) must be refused with an answer
 * the client can act on: libssh 0.10 drops a request whose signature
 * algorithm is not in its accepted list without any reply, and the
 * client then waits out the grace time. So after the key exchange (the
 * list the client saw in server-sig-algs stays without ssh-rsa) libssh
 * is told to accept ssh-rsa too, checks such a signature as any other,
 * and the algorithm it names in its trace line goes with the query; the
 * supervisor refuses it and the client gets USERAUTH_FAILURE at once.
 * libssh's trace level is on only while the client authenticates.
 */
#include <poll.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <bsd/string.h>

#include "log.h"
#include "msg.h"
#include "ssh_internal.h"
#include "sshalgo.h"
#include "transport.h"

/* What libssh accepts from users once the server-sig-algs are out. */
#define SSH_USERKEYS_CHECKED	SSH_USERKEYS ",ssh-rsa"
/* libssh's trace line before it checks a signature. */
#define SSH_VERIFY_FN		"ssh_pki_signature_verify"
#define SSH_VERIFY_MSG		"Going to verify a "
#define SSH_VERIFY_END		" type signature"
#define SSH_CERT_SUFFIX		"-cert-v01@openssh.com"

/*
 * Wait ms while answering the supervisor: the delay after a failed
 * attempt, inside a libssh callback (the client waits for our answer).
 */
static void
ssh_delay(struct sshc *c, int ms)
{
	struct pollfd	 pfd;
	uint64_t	 until = session_now() + (uint64_t)ms, now;

	while (!c->s->shutdown && !c->s->orphaned &&
	    (now = session_now()) < until) {
		pfd.fd = MSG_CHAN_FD;
		pfd.events = POLLIN;
		if (poll(&pfd, 1, (int)(until - now)) > 0)
			(void)session_chan(c->s);
	}
}

/* Letters, digits, '_', '-', '.', starting with a letter or digit. */
static bool
ssh_user_ok(const char *u)
{
	const char	*p;
	size_t		 n = strlen(u);

	if (n == 0 || n > MSG_NAME_MAX ||
	    !((u[0] >= 'a' && u[0] <= 'z') || (u[0] >= 'A' && u[0] <= 'Z') ||
	    (u[0] >= '0' && u[0] <= '9')))
		return false;
	for (p = u; *p != '\0'; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		    (*p >= '0' && *p <= '9') || *p == '_' || *p == '-' ||
		    *p == '.'))
			return false;
	return true;
}

/* The name as the query carries it: printable ASCII that fits, or "". */
static void
ssh_query_user(char *out, size_t len, const char *u)
{
	const char	*p;

	out[0] = '\0';
	if (u == NULL || strlen(u) >= len)
		return;
	for (p = u; *p != '\0'; p++)
		if (*p <= ' ' || *p > '~')
			return;
	strlcpy(out, u, len);
}

/* Whether the key offered last is an OpenSSH certificate. */
static bool
ssh_is_cert(const struct sshc *c)
{
	size_t	 n = strlen(c->keytype), s = strlen(SSH_CERT_SUFFIX);

	return n > s && strcmp(c->keytype + n - s, SSH_CERT_SUFFIX) == 0;
}

/* The key's type name and SHA256 fingerprint, for the logs. */
static void
ssh_key_info(struct sshc *c, ssh_key key)
{
	unsigned char	*hash = NULL;
	size_t		 hlen = 0;
	char		*fp;

	strlcpy(c->keytype, ssh_key_type_to_char(ssh_key_type(key)),
	    sizeof(c->keytype));
	strlcpy(c->fpr, "SHA256:?", sizeof(c->fpr));
	if (ssh_get_publickey_hash(key, SSH_PUBLICKEY_HASH_SHA256, &hash,
	    &hlen) != SSH_OK)
		return;
	if ((fp = ssh_get_fingerprint_hash(SSH_PUBLICKEY_HASH_SHA256, hash,
	    hlen)) != NULL) {
		strlcpy(c->fpr, fp, sizeof(c->fpr));
		ssh_string_free_char(fp);
	}
	ssh_clean_pubkey_hash(&hash);
}

/*
 * A line the client shows before the refusal that follows (a
 * USERAUTH_BANNER; OpenSSH prints it from LogLevel INFO on): the reason
 * when the server, not the client's key, ends the login.
 */
static void
ssh_auth_banner(struct sshc *c, const char *why)
{
	char		 line[MSG_TEXT_MAX + 8];
	ssh_string	 s;

	if (why == NULL)
		return;
	snprintf(line, sizeof(line), "%s\r\n", why);
	if ((s = ssh_string_from_char(line)) == NULL)
		return;
	if (ssh_send_issue_banner(c->ss, s) != SSH_OK)
		log_debug("session %lld: banner: %s", (long long)c->s->id,
		    ssh_get_error(c->ss));
	ssh_string_free(s);
}

bool
ssh_auth_over(struct sshc *c)
{
	if (c->s->reason == NULL && c->failures < SSH_MAX_AUTH_TRIES)
		return false;
	/*
	 * Without these callbacks a request reaches ssh_cb_message, which
	 * leaves it unanswered: a client that tries its next key meanwhile
	 * must read the DISCONNECT with the reason, not one more refusal
	 * after which it gives up without reading on (as sshd, which sends
	 * the DISCONNECT instead of the last refusal).
	 */
	c->scb.auth_pubkey_function = NULL;
	c->scb.auth_password_function = NULL;
	return true;
}

/* A refused attempt: counted, answered after the delay. */
static int
ssh_refused(struct sshc *c)
{
	c->failures++;
	ssh_delay(c, SSH_FAIL_DELAY_MS);
	(void)ssh_auth_over(c);
	return SSH_AUTH_DENIED;
}

/*
 * One failure the supervisor cannot see (it never got a query for it):
 * logged here, with source, user and key.
 */
static int
ssh_fail_here(struct sshc *c, const char *method, const char *user,
    const char *why)
{
	bool	 key = strcmp(method, "publickey") == 0;

	log_notice("session %lld: failed %s for %s from %s%s%s%s%s: %s "
	    "(attempt %d of %d)", (long long)c->s->id, method,
	    ssh_user_ok(user) ? user : "(invalid user name)", c->s->peer,
	    key ? ": " : "", key ? c->keytype : "", key ? " " : "",
	    key ? c->fpr : "", why, c->failures + 1, SSH_MAX_AUTH_TRIES);
	return ssh_refused(c);
}

#ifdef IRIDIUM_TEST_HOOKS
/*
 * The test worker lies about certificates, for the supervisor to catch:
 * a user name "NAME+claim" says the client signed with a certificate it
 * only offered, "NAME+forge" changes a byte of the certificate's
 * signature first; the query then names NAME.
 */
static void
ssh_test_lie(struct sshc *c, struct msg_auth_query *q, char *b64)
{
	char	*plus = strchr(q->user, '+');
	size_t	 n;

	if (plus == NULL || (strcmp(plus, "+forge") != 0 &&
	    strcmp(plus, "+claim") != 0))
		return;
	*plus = '\0';
	if (b64 == NULL || !ssh_is_cert(c))
		return;
	if (plus[1] == 'f' && (n = strlen(b64)) > 8)
		b64[n - 6] = b64[n - 6] == 'A' ? 'B' : 'A';
	log_notice("session %lld: test hook: a certificate said signed%s",
	    (long long)c->s->id, plus[1] == 'f' ? ", its signature changed" :
	    "");
	q->signed_ = true;
}
#endif

/*
 * Ask the supervisor about one attempt (key NULL: a method other than
 * publickey). SSH_AUTH_SUCCESS: accepted (for an unsigned key, the probe
 * "pk ok"); SSH_AUTH_DENIED otherwise.
 */
static int
ssh_ask(struct sshc *c, const char *method, const char *user, ssh_key key,
    bool signed_)
{
	struct msg_auth_query	 q;
	char			*b64 = NULL;
	uint64_t		 now;
	int			 rv, left;

	if (c->authed || ssh_auth_over(c))
		return SSH_AUTH_DENIED;
	/* The supervisor counts them too: more is a protocol violation. */
	if (c->queries >= SSH_MAX_AUTH_QUERIES)
		return ssh_fail_here(c, method, user, "too many attempts");
	memset(&q, 0, sizeof(q));
	strlcpy(q.method, method, sizeof(q.method));
	ssh_query_user(q.user, sizeof(q.user), user);
	q.key = "";
	if (key != NULL) {
		if (ssh_pki_export_pubkey_base64(key, &b64) != SSH_OK ||
		    b64 == NULL || strlen(b64) > MSG_KEY_MAX) {
			ssh_string_free_char(b64);
			return ssh_fail_here(c, method, user,
			    "key not exportable");
		}
		strlcpy(q.keytype, c->keytype, sizeof(q.keytype));
		q.key = b64;
		q.signed_ = signed_;
		if (signed_ && sshalgo_user_sig_ok(c->sigalg))
			strlcpy(q.sigalg, c->sigalg, sizeof(q.sigalg));
	}
	c->sigalg[0] = '\0';
#ifdef IRIDIUM_TEST_HOOKS
	ssh_test_lie(c, &q, b64);
#endif
	if (c->user[0] == '\0' && ssh_user_ok(q.user))
		strlcpy(c->user, q.user, sizeof(c->user));
	now = session_now();
	left = now < c->grace_end ? (c->grace_end - now < SSH_AUTH_REPLY_MS ?
	    (int)(c->grace_end - now) : SSH_AUTH_REPLY_MS) : 1;
	c->queries++;
	rv = session_auth(c->s, &q, left);
	if (rv != 1)
		ssh_string_free_char(b64);
	if (rv == -1) {
		if (c->s->shutdown)
			ssh_shutdown_bye(c);
		else if (c->s->reason == NULL)
			c->s->reason = SESSION_END_ERROR;
		(void)ssh_auth_over(c);
		return SSH_AUTH_DENIED;
	}
	/* The supervisor's own refusal: no failure; the client told why. */
	if (rv == 0 && c->s->refusal[0] != '\0') {
		strlcpy(c->bye_buf, c->s->refusal, sizeof(c->bye_buf));
		c->bye_buf[strcspn(c->bye_buf, "\r\n")] = '\0';
		c->bye_msg = c->bye_buf;
		ssh_auth_banner(c, c->bye_msg);
		session_end(c->s, SESSION_END_REFUSED);
		(void)ssh_auth_over(c);
		return SSH_AUTH_DENIED;
	}
	/* Refused: the supervisor logged it. */
	if (rv == 0)
		return ssh_refused(c);
	if (key != NULL && !signed_ && ssh_is_cert(c)) {
		/* The certificate a signature may now be claimed for. */
		free(c->cert_probe);
		c->cert_probe = strdup(q.key);
	}
	ssh_string_free_char(b64);
	if (key == NULL || !signed_)
		return key != NULL ? SSH_AUTH_SUCCESS : SSH_AUTH_DENIED;
	/* Logged in: the supervisor logged that too, with the tenant. */
	c->authed = true;
	(void)session_line_done(c->s);
	ssh_log_trace(false);
	return SSH_AUTH_SUCCESS;
}

/* Whether the key is a certificate not yet accepted unsigned. */
static bool
ssh_cert_unprobed(struct sshc *c, ssh_key key)
{
	char	*b64 = NULL;
	bool	 rv;

	if (!ssh_is_cert(c))
		return false;
	if (ssh_pki_export_pubkey_base64(key, &b64) != SSH_OK || b64 == NULL)
		return true;
	rv = c->cert_probe == NULL || strcmp(c->cert_probe, b64) != 0;
	ssh_string_free_char(b64);
	return rv;
}

static int
ssh_cb_auth_pubkey(ssh_session ss, const char *user, struct ssh_key_struct *key,
    char state, void *arg)
{
	struct sshc	*c = arg;
	char		 sigalg[sizeof(c->sigalg)];
	int		 rv;

	(void)ss;
	ssh_key_info(c, key);
	if (c->authed || c->s->reason != NULL ||
	    c->failures >= SSH_MAX_AUTH_TRIES)
		return SSH_AUTH_DENIED;
	if (state == SSH_PUBLICKEY_STATE_WRONG)
		return ssh_fail_here(c, "publickey", user, "bad signature");
	/*
	 * A certificate signed at once (paramiko does so): asked about
	 * unsigned first, as the supervisor insists, then signed.
	 */
	if (state == SSH_PUBLICKEY_STATE_VALID && ssh_cert_unprobed(c, key)) {
		strlcpy(sigalg, c->sigalg, sizeof(sigalg));
		if ((rv = ssh_ask(c, "publickey", user, key, false)) !=
		    SSH_AUTH_SUCCESS)
			return rv;
		strlcpy(c->sigalg, sigalg, sizeof(c->sigalg));
	}
	return ssh_ask(c, "publickey", user, key,
	    state == SSH_PUBLICKEY_STATE_VALID);
}

static int
ssh_cb_auth_password(ssh_session ss, const char *user, const char *password,
    void *arg)
{
	(void)ss;
	(void)password;
	return ssh_ask(arg, "password", user, NULL, false);
}

/*
 * gssapi-with-mic: refused here, before libssh would ask the GSSAPI
 * library which mechanisms it has. Without this callback libssh answers
 * the request itself by calling into GSSAPI (gss_indicate_mechs and on),
 * whatever methods we allow, so a client could make Kerberos code run in
 * the worker; with it, no GSSAPI function is ever called (and the static
 * ssh worker links no GSSAPI library at all: see gss_none.c).
 */
static ssh_string
ssh_cb_gssapi_select_oid(ssh_session ss, const char *user, int n_oid,
    ssh_string *oids, void *arg)
{
	(void)ss;
	(void)n_oid;
	(void)oids;
	(void)ssh_ask(arg, "gssapi-with-mic", user, NULL, false);
	return NULL;
}

void
ssh_auth_message(struct sshc *c, ssh_message m)
{
	int	 sub = ssh_message_subtype(m);

	/* "none" asks which methods there are: not an attempt. */
	if (sub == SSH_AUTH_METHOD_NONE)
		return;
	(void)ssh_ask(c, sub == SSH_AUTH_METHOD_INTERACTIVE ?
	    "keyboard-interactive" : sub == SSH_AUTH_METHOD_HOSTBASED ?
	    "hostbased" : sub == SSH_AUTH_METHOD_PASSWORD ? "password" :
	    sub == SSH_AUTH_METHOD_GSSAPI_MIC ? "gssapi-with-mic" : "unknown",
	    ssh_message_auth_user(m), NULL, false);
}

void
ssh_auth_callbacks(struct sshc *c)
{
	c->scb.auth_pubkey_function = ssh_cb_auth_pubkey;
	c->scb.auth_password_function = ssh_cb_auth_password;
	c->scb.gssapi_select_oid_function = ssh_cb_gssapi_select_oid;
}

int
ssh_auth_begin(struct sshc *c)
{
	if (ssh_options_set(c->ss, SSH_OPTIONS_PUBLICKEY_ACCEPTED_TYPES,
	    SSH_USERKEYS_CHECKED) != SSH_OK) {
		log_warnx("session %lld: libssh takes no ssh-rsa signatures to "
		    "check: %s", (long long)c->s->id, ssh_get_error(c->ss));
		return -1;
	}
	ssh_log_trace(true);
	return 0;
}

void
ssh_auth_log(struct sshc *c, const char *function, const char *line)
{
	const char	*p, *e;

	if (c->authed || strcmp(function, SSH_VERIFY_FN) != 0 ||
	    (p = strstr(line, SSH_VERIFY_MSG)) == NULL)
		return;
	p += strlen(SSH_VERIFY_MSG);
	if ((e = strstr(p, SSH_VERIFY_END)) == NULL ||
	    (size_t)(e - p) >= sizeof(c->sigalg))
		return;
	memcpy(c->sigalg, p, (size_t)(e - p));
	c->sigalg[e - p] = '\0';
}
