/*
 * msgrules.c: the rules across the fields of one message of the
 * supervisor <-> worker protocol (see msgrules.h): what the field table
 * of msgtab.c cannot say one field at a time. Each runs after decoding
 * and before encoding, so both sides hold each other to them.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "msg.h"
#include "msgrules.h"
#include "sshalgo.h"
#include "utf8.h"

/*
 * hello: the host key and the algorithm lists go to ssh workers and to
 * no one else, so a line worker never holds the key; each list is a list
 * of known names (sshalgo.h), each named once.
 */
int
msgrule_hello(struct ctx *c, const void *body)
{
	const struct msg_hello	*h = body;
	const struct {
		const char		*name, *v;
		enum sshalgo_kind	 kind;
	} ssh[] = {
		{ "hostkey", h->hostkey, SSHALGO_NKINDS },
		{ "kex", h->kex, SSHALGO_KIND_KEX },
		{ "ciphers", h->ciphers, SSHALGO_KIND_CIPHER },
		{ "macs", h->macs, SSHALGO_KIND_MAC },
		{ "hostkey_algorithms", h->hostkey_algorithms,
		    SSHALGO_KIND_HOSTKEY },
	};
	bool			 is_ssh = strcmp(h->transport, "ssh") == 0;
	size_t			 i;

	for (i = 0; i < sizeof(ssh) / sizeof(ssh[0]); i++) {
		if (is_ssh && ssh[i].v == NULL)
			return msgtab_fail(c, "missing field \"%s\" (transport ssh)",
			    ssh[i].name);
		if (!is_ssh && ssh[i].v != NULL)
			return msgtab_fail_field(c, ssh[i].name, "not allowed for "
			    "transport %s", h->transport);
		if (is_ssh && ssh[i].kind != SSHALGO_NKINDS &&
		    !sshalgo_list_ok(ssh[i].kind, ssh[i].v))
			return msgtab_fail_field(c, ssh[i].name, "not a list of "
			    "distinct %s names", sshalgo_kind_words(
			    ssh[i].kind));
	}
	return 0;
}

/*
 * negotiated: the client's version line is an SSH one, printable ASCII
 * (it is shown and logged); an AEAD cipher has no MAC of its own.
 */
int
msgrule_negotiated(struct ctx *c, const void *body)
{
	const struct msg_negotiated	*n = body;
	const char			*p;
	bool				 aead;

	if (strncmp(n->client, "SSH-", 4) != 0)
		return msgtab_fail_field(c, "client", "not an SSH version line");
	for (p = n->client; *p != '\0'; p++)
		if (*p < ' ' || *p > '~')
			return msgtab_fail_field(c, "client", "not printable ASCII");
	aead = strstr(n->cipher, "-gcm@") != NULL ||
	    strncmp(n->cipher, "chacha20-", 9) == 0;
	if (aead && n->mac[0] != '\0')
		return msgtab_fail_field(c, "mac", "set for the AEAD cipher %s",
		    n->cipher);
	if (!aead && n->mac[0] == '\0')
		return msgtab_fail_field(c, "mac", "empty for the cipher %s",
		    n->cipher);
	return 0;
}

/*
 * The OpenSSH certificate types the ssh worker takes, each with the
 * signature algorithms its key makes (a prefix: rsa-sha2-256 and -512).
 */
static const struct {
	const char	*type, *sig;
} cert_types[] = {
	{ "ssh-ed25519-cert-v01@openssh.com", "ssh-ed25519" },
	{ "ecdsa-sha2-nistp256-cert-v01@openssh.com", "ecdsa-sha2-nistp256" },
	{ "ecdsa-sha2-nistp384-cert-v01@openssh.com", "ecdsa-sha2-nistp384" },
	{ "ecdsa-sha2-nistp521-cert-v01@openssh.com", "ecdsa-sha2-nistp521" },
	{ "ssh-rsa-cert-v01@openssh.com", "rsa-sha2-" },
	{ "ssh-rsa-cert-v01@openssh.com", "ssh-rsa" },
};

/* A certificate key type: one the worker takes, signed by its key. */
static int
cert_rule(struct ctx *c, const struct msg_auth_query *q)
{
	static const char	 suffix[] = "-cert-v01@openssh.com";
	size_t			 i, n = strlen(q->keytype);
	bool			 known = false;

	if (n < sizeof(suffix) || strcmp(q->keytype + n - sizeof(suffix) +
	    1, suffix) != 0)
		return 0;
	for (i = 0; i < sizeof(cert_types) / sizeof(cert_types[0]); i++) {
		if (strcmp(q->keytype, cert_types[i].type) != 0)
			continue;
		known = true;
		if (q->sigalg[0] == '\0' || strncmp(q->sigalg,
		    cert_types[i].sig, strlen(cert_types[i].sig)) == 0)
			return 0;
	}
	if (!known)
		return msgtab_fail_field(c, "keytype", "a certificate type "
		    "not taken: %s", q->keytype);
	return msgtab_fail_field(c, "sigalg", "%s does not sign for %s",
	    q->sigalg, q->keytype);
}

/*
 * auth_query: a key (and a signature) come with "publickey" only; a
 * signature algorithm only with a checked signature; a certificate is of
 * a type taken, signed as its key signs.
 */
int
msgrule_auth_query(struct ctx *c, const void *body)
{
	const struct msg_auth_query	*q = body;

	if (strcmp(q->method, "publickey") == 0) {
		if (q->keytype[0] == '\0')
			return msgtab_fail_field(c, "keytype", "empty for publickey");
		if (q->key == NULL || q->key[0] == '\0')
			return msgtab_fail_field(c, "key", "empty for publickey");
	} else {
		if (q->keytype[0] != '\0')
			return msgtab_fail_field(c, "keytype", "not allowed for %s",
			    q->method);
		if (q->key != NULL && q->key[0] != '\0')
			return msgtab_fail_field(c, "key", "not allowed for %s",
			    q->method);
		if (q->signed_)
			return msgtab_fail_field(c, "signed", "true for %s",
			    q->method);
	}
	if (!q->signed_ && q->sigalg[0] != '\0')
		return msgtab_fail_field(c, "sigalg", "without a signature");
	return cert_rule(c, q);
}

/*
 * auth_reply: limits come with ok and only with it. An accepted key
 * without limits would leave the session with zeros, which mean "no
 * limit"; a refusal with limits is a confused supervisor. On the C side
 * all-zero limits stand for "absent" (zero is below several minimums, so
 * no valid limits look like that).
 */
int
msgrule_auth_reply(struct ctx *c, const void *body)
{
	const struct msg_auth_reply	*r = body;
	bool				 lim;

	lim = !msgtab_all_zero(&r->limits, sizeof(r->limits));
	if (r->ok && !lim)
		return msgtab_fail(c, "missing field \"limits\" (ok is true)");
	if (!r->ok && lim)
		return msgtab_fail_field(c, "limits", "not allowed when ok is false");
	if (r->ok && r->tenant[0] == '\0')
		return msgtab_fail_field(c, "tenant", "empty when ok is true");
	if (r->ok && r->message[0] != '\0')
		return msgtab_fail_field(c, "message", "not allowed when ok is true");
	if (!r->ok && (r->command[0] != '\0' || r->no_pty))
		return msgtab_fail(c, "command and no_pty come with ok only");
	if (!r->ok && (r->resume_window != 0 || r->detached[0] != '\0'))
		return msgtab_fail(c, "resume_window and detached come with "
		    "ok only");
	return 0;
}

bool
msg_token_ok(const char *p, size_t len)
{
	size_t	 i;

	if (len != MSG_TOKEN_LEN)
		return false;
	for (i = 0; i < len; i++)
		if (!((p[i] >= 'A' && p[i] <= 'Z') || (p[i] >= 'a' &&
		    p[i] <= 'z') || (p[i] >= '0' && p[i] <= '9') ||
		    p[i] == '-' || p[i] == '_'))
			return false;
	return true;
}

/* A resume token: MSG_TOKEN_LEN characters of base64url, or none. */
static int
token_check(struct ctx *c, const char *t)
{
	size_t	 n = strlen(t);

	if (n == 0)
		return 0;
	if (n != MSG_TOKEN_LEN)
		return msgtab_fail_field(c, "token", "%zu characters, not %d", n,
		    MSG_TOKEN_LEN);
	if (!msg_token_ok(t, n))
		return msgtab_fail_field(c, "token", "not base64url");
	return 0;
}

int
msgrule_resume(struct ctx *c, const void *body)
{
	const struct msg_resume	*r = body;

	if (r->token[0] != '\0' && r->id != 0)
		return msgtab_fail(c, "an id and a token");
	return token_check(c, r->token);
}

int
msgrule_detach_reply(struct ctx *c, const void *body)
{
	const struct msg_detach_reply	*r = body;

	if ((r->token[0] == '\0') == (r->message[0] == '\0'))
		return msgtab_fail(c, "a token or a message, one of them");
	return token_check(c, r->token);
}

/*
 * History lines: LF between lines, none empty or over MSG_HISTORY_LINE
 * bytes, no control character but TAB (jansson has checked UTF-8).
 */
bool
msg_history_ok(const char *p, size_t len, size_t first, char *err,
    size_t errlen)
{
	size_t		 i, start = 0, n = first - 1, k;
	unsigned char	 ch;
	uint32_t	 cp;

	if (len > MSG_HISTORY_BYTES) {
		snprintf(err, errlen, "%zu bytes, over %d", len,
		    MSG_HISTORY_BYTES);
		return false;
	}
	for (i = 0; i <= len; i++) {
		ch = i < len ? (unsigned char)p[i] : '\n';
		if (ch == '\n') {
			n++;
			if (i == start) {
				snprintf(err, errlen, "line %zu is empty", n);
				return false;
			}
			if (i - start > MSG_HISTORY_LINE) {
				snprintf(err, errlen, "line %zu is %zu bytes, "
				    "over %d", n, i - start, MSG_HISTORY_LINE);
				return false;
			}
			start = i + 1;
		} else if ((ch < 0x20 && ch != '\t') || ch == 0x7f) {
			snprintf(err, errlen, "line %zu: control character "
			    "0x%02x", n + 1, ch);
			return false;
		} else if (ch >= 0x80) {
			if ((k = utf8_decode((const uint8_t *)p + i, len - i,
			    &cp)) == 0) {
				snprintf(err, errlen, "line %zu: not UTF-8",
				    n + 1);
				return false;
			}
			if (cp <= 0x9f) {
				snprintf(err, errlen, "line %zu: control "
				    "character U+%04X", n + 1, (unsigned)cp);
				return false;
			}
			i += k - 1;
		}
	}
	return true;
}

static int
history_check(struct ctx *c, const char *lines)
{
	char	 why[96];

	if (lines != NULL && !msg_history_ok(lines, strlen(lines), 1, why,
	    sizeof(why)))
		return msgtab_fail_field(c, "lines", "%s", why);
	return 0;
}

int
msgrule_history(struct ctx *c, const void *body)
{
	return history_check(c, ((const struct msg_history *)body)->lines);
}

int
msgrule_history_save(struct ctx *c, const void *body)
{
	const struct msg_history_save	*h = body;

	if (!h->clear && h->lines == NULL)
		return msgtab_fail(c, "neither clear nor lines");
	return history_check(c, h->lines);
}
