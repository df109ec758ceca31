/*
 * test_auth.c: the supervisor's answer to an ssh worker's `auth_query`
 * (auth.h, auth_decide): the probe and the signed attempt both checked
 * against the tenant's keys, the tenant's own limits in the reply, an
 * unknown user answered exactly as a wrong key, other methods refused
 * and counted, one user per connection, RSA signatures with SHA-2 only,
 * the attempts bounded, and what no honest worker asks treated as a
 * protocol violation; a certificate probed, then signed, its CA and its
 * principal checked, a signature for one not probed a violation.
 */
#include <criterion/criterion.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <bsd/string.h>
#include <openssl/evp.h>

#include "auth.h"
#include "authkeys.h"
#include "cert.h"
#include "config.h"
#include "msg.h"

/* Two ed25519 public keys (ssh-keygen made them; only public halves). */
#define KEY_A	"AAAAC3NzaC1lZDI1NTE5AAAAINZpCDMlOw8Kr34KP3tVKr7a4TfbUm8QUOkGmkdocfXK"
#define KEY_B	"AAAAC3NzaC1lZDI1NTE5AAAAIFsum0dEuvNhh0J4nQ8VYEJ0iLKwKg37O/JiC5OPLWA+"
#define FPR_A	"SHA256:IJ9jW4LguGjuGai/VDEDGd/Eo9A5cpNd+O4bKvixe78"
/* A 3072-bit RSA public key, for the signature algorithm rules. */
#define KEY_R	"AAAAB3NzaC1yc2EAAAADAQABAAABgQDDg16eOfCpTCQACtsWkEqtByvTVxh3" \
		"gbZAANqqYc6PWoIKmboZWZdwlgULvcsqM9+/xbXtY1RPlGEwTJJHoDTbMPMD" \
		"fphVk9E+kNEAq34yu7+SmLQIdkqF6VwiTadOWgbgwLIkn75Kcl/JNkBCqLei" \
		"XNmRYra4CugLkt3CvK28qo9StC52Bhk0XGJKaYM9O43EzW6Pf8hopvSMmq3w" \
		"cDk68x8JpsvIEEZn5xfrtchr7RxGx9zCcYwPp286ax3R5Pov1ukleZdWsyiU" \
		"QF8C0VIqnc+8qu0F6LO3GahmQoeen8PUBoKFXGE7qtJaH6J2RYcBZEJDNw/e" \
		"BnHtnYQ/ILSBD3kOa7Wkh4TtVsiQH2j9xhikRRKdqwpvzq2uNWrnaU1E+EO9" \
		"pt6ZOo+AkKBAaZAxbkxzxS9kLMLzYu4RKsIWqsPumumhLss7fiDcTSlCOhst" \
		"tD+hgdGsb00ayXfoyZhdKXQlOflDsyephd+oVmg4zPMU3s2OnfEMX4KRVs5d" \
		"zC8="

static struct config	*c;
static struct authkeys	 keys;
/* Certificates are test_cert's: these queries hold none. */
static const struct auth_env env = { 1700000000, "127.0.0.1" };
static struct auth_state st;

static void
setup(void)
{
	static const char text[] =
	    "[limits]\nbudget = 1000\n"
	    "[tenant dev]\nbudget = 5000\nauthorized_keys = /k/dev\n"
	    "[tenant ops]\nauthorized_keys = /k/ops\n";
	struct cfg_errors	 e;
	char			 err[256];

	c = calloc(1, sizeof(*c));
	cfg_errors_init(&e);
	cr_assert_eq(config_build_buf(c, "t.conf", text, strlen(text), NULL,
	    &e), 0, "%s", e.errors.data);
	cfg_errors_free(&e);
	authkeys_init(&keys);
	cr_assert_eq(authkeys_line(&keys, "dev", "/k/dev", 1,
	    "ssh-ed25519 " KEY_A " a", err, sizeof(err)), 1, "%s", err);
	cr_assert_eq(authkeys_line(&keys, "ops", "/k/ops", 1,
	    "ssh-ed25519 " KEY_B " b", err, sizeof(err)), 1, "%s", err);
	cr_assert_eq(authkeys_line(&keys, "dev", "/k/dev", 2,
	    "ssh-rsa " KEY_R " r", err, sizeof(err)), 1, "%s", err);
	memset(&st, 0, sizeof(st));
}

static void
teardown(void)
{
	authkeys_free(&keys);
	free(c);
}

TestSuite(auth, .init = setup, .fini = teardown);

static enum auth_verdict
ask(const char *user, const char *key, bool signed_,
    struct msg_auth_reply *r, struct auth_note *n)
{
	struct msg_auth_query	 q;

	memset(&q, 0, sizeof(q));
	strlcpy(q.user, user, sizeof(q.user));
	strlcpy(q.method, "publickey", sizeof(q.method));
	strlcpy(q.keytype, "ssh-ed25519", sizeof(q.keytype));
	q.key = key;
	q.signed_ = signed_;
	if (signed_)
		strlcpy(q.sigalg, "ssh-ed25519", sizeof(q.sigalg));
	return auth_decide(c, &keys, &env, &st, &q, r, n);
}

/* The RSA key, signed with sigalg ("": a probe). */
static enum auth_verdict
ask_rsa(const char *sigalg, struct msg_auth_reply *r, struct auth_note *n)
{
	struct msg_auth_query	 q;

	memset(&q, 0, sizeof(q));
	strlcpy(q.user, "dev", sizeof(q.user));
	strlcpy(q.method, "publickey", sizeof(q.method));
	strlcpy(q.keytype, "ssh-rsa", sizeof(q.keytype));
	q.key = KEY_R;
	q.signed_ = sigalg[0] != '\0';
	strlcpy(q.sigalg, sigalg, sizeof(q.sigalg));
	return auth_decide(c, &keys, &env, &st, &q, r, n);
}

/* An attempt with another method. */
static enum auth_verdict
ask_method(const char *user, const char *method, struct msg_auth_reply *r,
    struct auth_note *n)
{
	struct msg_auth_query	 q;

	memset(&q, 0, sizeof(q));
	strlcpy(q.user, user, sizeof(q.user));
	strlcpy(q.method, method, sizeof(q.method));
	q.key = "";
	return auth_decide(c, &keys, &env, &st, &q, r, n);
}

Test(auth, other_methods_are_refused_and_counted)
{
	struct msg_auth_reply	 r;
	struct auth_note	 n;

	cr_assert_eq(ask_method("dev", "password", &r, &n), AUTH_REFUSED);
	cr_assert_str_eq(n.why, "public keys only");
	cr_assert_not(n.invalid_user);
	cr_assert_str_eq(n.keyname, "");
	cr_assert_eq(ask_method("dev", "keyboard-interactive", &r, &n),
	    AUTH_REFUSED);
	cr_assert_eq(ask_method("dev", "gssapi-with-mic", &r, &n),
	    AUTH_REFUSED);
	cr_assert_eq(st.failures, 3, "each refused method is a failure");
	cr_assert_not(r.ok);
	/* And the key still works: they are failures, not violations. */
	cr_assert_eq(ask("dev", KEY_A, true, &r, &n), AUTH_ACCEPTED);
	cr_assert(st.authed);
}

Test(auth, a_name_the_worker_could_not_carry_is_an_invalid_user)
{
	struct msg_auth_reply	 r;
	struct auth_note	 n;

	cr_assert_eq(ask_method("", "password", &r, &n), AUTH_REFUSED);
	cr_assert(n.invalid_user);
	cr_assert_eq(st.failures, 1);
}

Test(auth, one_user_per_connection)
{
	struct msg_auth_reply	 r;
	struct auth_note	 n;

	cr_assert_eq(ask("ops", KEY_A, false, &r, &n), AUTH_REFUSED);
	/* dev's own key, but the connection asked for ops first. */
	cr_assert_eq(ask("dev", KEY_A, true, &r, &n), AUTH_REFUSED);
	cr_assert_str_eq(n.why, "user changed");
	cr_assert_not(st.authed);
	cr_assert_eq(st.failures, 2);
}

Test(auth, an_rsa_signature_must_be_rsa_sha2)
{
	struct msg_auth_reply	 r;
	struct auth_note	 n;

	/* The probe names no signature: it may go on. */
	cr_assert_eq(ask_rsa("", &r, &n), AUTH_ACCEPTED);
	cr_assert_eq(ask_rsa("ssh-rsa", &r, &n), AUTH_REFUSED);
	cr_assert_str_eq(n.why, "signature algorithm ssh-rsa (SHA-1) refused");
	cr_assert_str_eq(n.keyname, "RSA");
	cr_assert_eq(st.failures, 1);
	cr_assert_not(r.ok);
	/* A worker that did not say which: refused too. */
	{
		struct msg_auth_query	 q;

		memset(&q, 0, sizeof(q));
		strlcpy(q.user, "dev", sizeof(q.user));
		strlcpy(q.method, "publickey", sizeof(q.method));
		strlcpy(q.keytype, "ssh-rsa", sizeof(q.keytype));
		q.key = KEY_R;
		q.signed_ = true;
		cr_assert_eq(auth_decide(c, &keys, &env, &st, &q, &r, &n),
		    AUTH_REFUSED);
		cr_assert_not_null(strstr(n.why, "not known"));
	}
	cr_assert_eq(ask_rsa("rsa-sha2-512", &r, &n), AUTH_ACCEPTED);
	cr_assert(st.authed);
	cr_assert_str_eq(st.keyname, "RSA");
}

Test(auth, the_probe_and_the_signature_are_both_checked)
{
	struct msg_auth_reply	 r;
	struct auth_note	 n;

	cr_assert_eq(ask("dev", KEY_A, false, &r, &n), AUTH_ACCEPTED);
	cr_assert(r.ok);
	cr_assert_not(st.authed, "a probe is not a login");
	cr_assert_eq(ask("dev", KEY_A, true, &r, &n), AUTH_ACCEPTED);
	cr_assert(st.authed);
	cr_assert_str_eq(r.tenant, "dev");
	cr_assert_str_eq(st.keyname, "ED25519");
	cr_assert_str_eq(st.fingerprint, FPR_A);
	cr_assert_eq(st.queries, 2);
}

Test(auth, the_reply_carries_the_tenants_own_limits)
{
	struct msg_auth_reply	 r;
	struct auth_note	 n;

	cr_assert_eq(ask("dev", KEY_A, true, &r, &n), AUTH_ACCEPTED);
	cr_assert_eq(r.limits.budget, 5000, "[tenant dev] budget");
	cr_assert_eq(r.limits.heap, c->limits.heap, "[limits] heap");
	memset(&st, 0, sizeof(st));
	cr_assert_eq(ask("ops", KEY_B, true, &r, &n), AUTH_ACCEPTED);
	cr_assert_eq(r.limits.budget, 1000, "[limits] budget");
}

Test(auth, an_unknown_user_is_answered_as_a_wrong_key)
{
	struct msg_auth_reply	 wrong, unknown;
	struct auth_note	 n1, n2;

	cr_assert_eq(ask("dev", KEY_B, false, &wrong, &n1), AUTH_REFUSED);
	cr_assert_eq(ask("nobody", KEY_A, false, &unknown, &n2), AUTH_REFUSED);
	cr_assert_eq(memcmp(&wrong, &unknown, sizeof(wrong)), 0,
	    "the two refusals differ");
	cr_assert_not(wrong.ok);
	cr_assert_str_eq(wrong.tenant, "");
	/* The log may tell them apart; the client may not. */
	cr_assert_not(n1.invalid_user);
	cr_assert(n2.invalid_user);
	cr_assert_eq(st.failures, 2);
}

Test(auth, another_tenants_key_is_refused)
{
	struct msg_auth_reply	 r;
	struct auth_note	 n;

	cr_assert_eq(ask("ops", KEY_A, true, &r, &n), AUTH_REFUSED);
	cr_assert_not(st.authed);
	cr_assert_str_eq(n.fingerprint, FPR_A, "logged, whatever the answer");
}

Test(auth, a_user_name_that_is_no_tenant_name_is_refused)
{
	struct msg_auth_reply	 r;
	struct auth_note	 n;

	cr_assert_eq(ask("../dev", KEY_A, true, &r, &n), AUTH_REFUSED);
	cr_assert(n.invalid_user);
}

Test(auth, six_failures_then_a_query_is_a_violation)
{
	struct msg_auth_reply	 r;
	struct auth_note	 n;
	int			 i;

	for (i = 0; i < AUTH_MAX_TRIES; i++)
		cr_assert_eq(ask("dev", KEY_B, false, &r, &n), AUTH_REFUSED);
	cr_assert_eq(ask("dev", KEY_A, true, &r, &n), AUTH_VIOLATION,
	    "the worker stops at 6 failures; asking again is not honest");
	cr_assert_not(st.authed);
}

Test(auth, endless_probes_of_a_good_key_are_a_violation)
{
	struct msg_auth_reply	 r;
	struct auth_note	 n;
	int			 i;

	for (i = 0; i < AUTH_MAX_QUERIES; i++)
		cr_assert_eq(ask("dev", KEY_A, false, &r, &n), AUTH_ACCEPTED);
	cr_assert_eq(ask("dev", KEY_A, false, &r, &n), AUTH_VIOLATION);
}

Test(auth, a_query_after_the_login_is_a_violation)
{
	struct msg_auth_reply	 r;
	struct auth_note	 n;

	cr_assert_eq(ask("dev", KEY_A, true, &r, &n), AUTH_ACCEPTED);
	cr_assert_eq(ask("ops", KEY_B, true, &r, &n), AUTH_VIOLATION);
	cr_assert_str_eq(st.fingerprint, FPR_A, "the login stays as it was");
}

Test(auth, a_key_that_is_not_base64_is_a_violation)
{
	struct msg_auth_reply	 r;
	struct auth_note	 n;

	cr_assert_eq(ask("dev", "not*base64", false, &r, &n), AUTH_VIOLATION);
	cr_assert_eq(st.queries, 0);
}

Test(auth, key_names_are_sshds)
{
	cr_assert_str_eq(auth_keyname("ssh-ed25519"), "ED25519");
	cr_assert_str_eq(auth_keyname("ecdsa-sha2-nistp384"), "ECDSA");
	cr_assert_str_eq(auth_keyname("sk-ecdsa-sha2-nistp256@openssh.com"),
	    "ECDSA-SK");
	cr_assert_str_eq(auth_keyname("ssh-rsa"), "RSA");
	cr_assert_null(auth_keyname("ssh-dss"));
}

/* --- certificates ----------------------------------------------------- */

/*
 * The fuzz_cert seed made by ssh-keygen: an ED25519 user certificate for
 * principals dev and alice, serial 1, key ID "ed25519-user", valid 2023
 * to 2030 (env.now is in 2023). Its base64 into b64 (malloc'd); its CA
 * trusted (under AUTH_CA_TENANT) unless trust is false.
 */
static char *
cert_b64(bool trust)
{
	static struct cert	 crt;
	unsigned char		 blob[4096], *ca64;
	char			 path[512], err[256], *b64, *line;
	size_t			 n;
	FILE			*f;

	snprintf(path, sizeof(path), "%s/tests/fuzz/corpus/fuzz_cert/"
	    "ed25519_user_two_principals", getenv("IRIDIUM_SRC") != NULL ?
	    getenv("IRIDIUM_SRC") : ".");
	cr_assert_not_null(f = fopen(path, "rb"), "%s", path);
	n = fread(blob, 1, sizeof(blob), f);
	fclose(f);
	cr_assert_eq(cert_parse(&crt, blob, n, err, sizeof(err)), 0, "%s", err);
	cr_assert_not_null(b64 = malloc(n * 2 + 4));
	EVP_EncodeBlock((unsigned char *)b64, blob, (int)n);
	if (trust) {
		cr_assert_not_null(ca64 = malloc(crt.ca.n * 2 + 4));
		EVP_EncodeBlock(ca64, crt.ca.p, (int)crt.ca.n);
		cr_assert_not_null(line = malloc(crt.ca.n * 2 + 32));
		sprintf(line, "ssh-ed25519 %s ca", (char *)ca64);
		cr_assert_eq(authkeys_line(&keys, AUTH_CA_TENANT, "ca.pub", 1,
		    line, err, sizeof(err)), 1, "%s", err);
		free(line);
		free(ca64);
	}
	return b64;
}

static enum auth_verdict
ask_cert(const char *user, const char *keytype, const char *b64,
    bool signed_, struct msg_auth_reply *r, struct auth_note *n)
{
	struct msg_auth_query	 q;

	memset(&q, 0, sizeof(q));
	strlcpy(q.user, user, sizeof(q.user));
	strlcpy(q.method, "publickey", sizeof(q.method));
	strlcpy(q.keytype, keytype, sizeof(q.keytype));
	q.key = b64;
	q.signed_ = signed_;
	if (signed_)
		strlcpy(q.sigalg, "ssh-ed25519", sizeof(q.sigalg));
	return auth_decide(c, &keys, &env, &st, &q, r, n);
}

#define CT	"ssh-ed25519-cert-v01@openssh.com"

Test(auth, a_certificate_is_probed_then_signed)
{
	struct msg_auth_reply	 r;
	struct auth_note	 n;
	char			*b64 = cert_b64(true);

	cr_assert_eq(ask_cert("dev", CT, b64, false, &r, &n), AUTH_ACCEPTED,
	    "%s", n.why);
	cr_assert(r.ok);
	cr_assert_str_eq(r.tenant, "dev");
	cr_assert_str_eq(r.command, "");
	cr_assert_not(r.no_pty, "ssh-keygen's default extensions permit it");
	cr_assert_not(st.authed);
	cr_assert_eq(ask_cert("dev", CT, b64, true, &r, &n), AUTH_ACCEPTED,
	    "%s", n.why);
	cr_assert(st.authed);
	cr_assert(st.cert);
	cr_assert_eq(st.cert_serial, 1);
	cr_assert_str_eq(st.cert_id, "ed25519-user");
	cr_assert_str_eq(st.keyname, "ED25519-CERT");
	cr_assert_not_null(strstr(n.cert, "ID ed25519-user (serial 1) CA "
	    "ED25519 SHA256:"), "%s", n.cert);
	free(b64);
}

Test(auth, a_signature_for_a_certificate_not_probed_is_a_violation)
{
	struct msg_auth_reply	 r;
	struct auth_note	 n;
	char			*b64 = cert_b64(true);

	cr_assert_eq(ask_cert("dev", CT, b64, true, &r, &n), AUTH_VIOLATION);
	cr_assert_str_eq(n.why, "a certificate said signed that was not "
	    "accepted unsigned first");
	memset(&st, 0, sizeof(st));
	/* Of another type than the worker names: libssh would not. */
	cr_assert_eq(ask_cert("dev", "ecdsa-sha2-nistp256-cert-v01@openssh.com",
	    b64, false, &r, &n), AUTH_VIOLATION);
	cr_assert_str_eq(n.why, "auth_query certificate is not of its "
	    "keytype");
	free(b64);
}

Test(auth, a_certificate_names_the_tenant_and_its_ca_is_trusted)
{
	struct msg_auth_reply	 r;
	struct auth_note	 n;
	char			*b64 = cert_b64(false);

	cr_assert_eq(ask_cert("dev", CT, b64, false, &r, &n), AUTH_REFUSED);
	cr_assert_str_eq(n.why, "certificate signed by a CA not in "
	    "trusted_user_ca_keys");
	free(b64);
	b64 = cert_b64(true);
	memset(&st, 0, sizeof(st));
	cr_assert_eq(ask_cert("ops", CT, b64, false, &r, &n), AUTH_REFUSED);
	cr_assert_str_eq(n.why, "certificate names no principal of this "
	    "tenant");
	cr_assert_not(n.invalid_user);
	memset(&st, 0, sizeof(st));
	cr_assert_eq(ask_cert("alice", CT, b64, false, &r, &n), AUTH_REFUSED);
	cr_assert_str_eq(n.why, "a valid certificate whose principal names "
	    "no tenant");
	cr_assert(n.invalid_user, "logged as a wrong key is");
	cr_assert_not(r.ok);
	free(b64);
}
