/*
 * cert.c: OpenSSH user certificates (see cert.h).
 *
 * The format is PROTOCOL.certkeys': SSH strings, uint32s and uint64s in
 * a row, the certified key's fields after the nonce, the CA's signature
 * over everything before it. Every read checks its length against what
 * is left; the lists inside (principals, options, extensions) are
 * parsed the same way, capped, and must be used up exactly.
 */

#include <stdio.h>
#include <string.h>
#include <time.h>

#include <bsd/string.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>

#include "cert.h"
#include "escape.h"
#include "source.h"
#include "sshwire.h"

#define FAIL(...)	do {						\
		snprintf(err, errlen, __VA_ARGS__);			\
		return -1;						\
	} while (0)

/* The certificate types taken and their plain key types. */
static const struct {
	const char	*cert, *key, *curve;
} cert_types[] = {
	{ "ssh-ed25519-cert-v01@openssh.com", "ssh-ed25519", NULL },
	{ "ecdsa-sha2-nistp256-cert-v01@openssh.com", "ecdsa-sha2-nistp256",
	    "nistp256" },
	{ "ecdsa-sha2-nistp384-cert-v01@openssh.com", "ecdsa-sha2-nistp384",
	    "nistp384" },
	{ "ecdsa-sha2-nistp521-cert-v01@openssh.com", "ecdsa-sha2-nistp521",
	    "nistp521" },
	{ "ssh-rsa-cert-v01@openssh.com", "ssh-rsa", NULL },
};
#define NTYPES	(sizeof(cert_types) / sizeof(cert_types[0]))

#define CERT_SUFFIX	"-cert-v01@openssh.com"

bool
cert_is_certtype(const char *keytype)
{
	size_t	 n = strlen(keytype), s = strlen(CERT_SUFFIX);

	return n > s && strcmp(keytype + n - s, CERT_SUFFIX) == 0;
}

/* --- reading ------------------------------------------------------------- */

/* The next string, as the certificate's bytes. */
static int
rd_str(struct sshwire *r, struct cert_str *s)
{
	struct sshwire	 w;

	if (sshwire_str(r, &w) == -1)
		return -1;
	s->p = w.p;
	s->n = w.n;
	return 0;
}

static bool
str_is(const struct cert_str *s, const char *lit)
{
	return s->n == strlen(lit) && memcmp(s->p, lit, s->n) == 0;
}

/* An mpint as SSH writes it: no needless leading zero, not negative. */
static bool
mpint_ok(const struct cert_str *s)
{
	if (s->n == 0)
		return true;
	if (s->p[0] & 0x80)
		return false;
	return !(s->p[0] == 0 && (s->n == 1 || (s->p[1] & 0x80) == 0));
}

/* Its bits, leading zeros aside. */
static unsigned
mpint_bits(const struct cert_str *s)
{
	size_t		 i = 0;
	unsigned	 bits;
	unsigned char	 top;

	while (i < s->n && s->p[i] == 0)
		i++;
	if (i == s->n)
		return 0;
	bits = (unsigned)(s->n - i) * 8;
	for (top = s->p[i]; (top & 0x80) == 0; top = (unsigned char)(top << 1))
		bits--;
	return bits;
}

/* Append an SSH string to the plain key blob. */
static int
put_str(struct cert *c, const void *p, size_t n)
{
	if (n > sizeof(c->key) - 4 - c->keylen)
		return -1;
	c->key[c->keylen++] = (unsigned char)(n >> 24);
	c->key[c->keylen++] = (unsigned char)(n >> 16);
	c->key[c->keylen++] = (unsigned char)(n >> 8);
	c->key[c->keylen++] = (unsigned char)n;
	memcpy(c->key + c->keylen, p, n);
	c->keylen += n;
	return 0;
}

/* The EC point's size for a curve: 0x04, X, Y. */
static size_t
ec_point_len(const char *curve)
{
	if (strcmp(curve, "nistp256") == 0)
		return 65;
	if (strcmp(curve, "nistp384") == 0)
		return 97;
	return 133;
}

/* The certified key's fields, after the nonce, into c->key. */
static int
parse_key(struct cert *c, size_t t, struct sshwire *r, char *err,
    size_t errlen)
{
	struct cert_str	 a, b;

	c->keylen = 0;
	(void)put_str(c, cert_types[t].key, strlen(cert_types[t].key));
	if (cert_types[t].curve == NULL && strcmp(cert_types[t].key,
	    "ssh-ed25519") == 0) {
		if (rd_str(r, &a) == -1 || a.n != 32)
			FAIL("bad ed25519 public key");
		(void)put_str(c, a.p, a.n);
		return 0;
	}
	if (cert_types[t].curve != NULL) {
		if (rd_str(r, &a) == -1 || !str_is(&a, cert_types[t].curve))
			FAIL("bad curve name (not %s)", cert_types[t].curve);
		if (rd_str(r, &b) == -1 || b.n != ec_point_len(
		    cert_types[t].curve) || b.p[0] != 0x04)
			FAIL("bad ecdsa public key");
		(void)put_str(c, a.p, a.n);
		(void)put_str(c, b.p, b.n);
		return 0;
	}
	/* RSA: e, then n (the plain key's order too). */
	if (rd_str(r, &a) == -1 || !mpint_ok(&a) || mpint_bits(&a) < 2 ||
	    mpint_bits(&a) > 64)
		FAIL("bad rsa public exponent");
	if (rd_str(r, &b) == -1 || !mpint_ok(&b) ||
	    mpint_bits(&b) < CERT_RSA_MIN || mpint_bits(&b) > CERT_RSA_MAX)
		FAIL("bad rsa modulus (%d to %d bits are taken)", CERT_RSA_MIN,
		    CERT_RSA_MAX);
	if (put_str(c, a.p, a.n) == -1 || put_str(c, b.p, b.n) == -1)
		FAIL("rsa key too large");
	return 0;
}

/* A name (principal, option): printable ASCII, not empty. */
static bool
name_ok(const struct cert_str *s)
{
	size_t	 i;

	if (s->n == 0 || s->n > CERT_NAME_MAX)
		return false;
	for (i = 0; i < s->n; i++)
		if (s->p[i] <= ' ' || s->p[i] > '~')
			return false;
	return true;
}

static int
parse_principals(struct cert *c, const struct cert_str *all, char *err,
    size_t errlen)
{
	struct sshwire	 r = { all->p, all->n, 0 };

	c->nprincipals = 0;
	while (r.off < r.n) {
		if (c->nprincipals == CERT_PRINCIPALS_MAX)
			FAIL("more than %d principals", CERT_PRINCIPALS_MAX);
		if (rd_str(&r, &c->principals[c->nprincipals]) == -1)
			FAIL("bad principals list");
		/* sshd matches them exactly; odd bytes could not match. */
		if (!name_ok(&c->principals[c->nprincipals]))
			FAIL("principal %zu is not a printable name",
			    c->nprincipals + 1);
		c->nprincipals++;
	}
	return 0;
}

/* Options or extensions: name, data pairs, each name once. */
static int
parse_opts(struct cert_opt *v, size_t *nv, const struct cert_str *all,
    const char *what, char *err, size_t errlen)
{
	struct sshwire	 r = { all->p, all->n, 0 };
	size_t		 i;

	*nv = 0;
	while (r.off < r.n) {
		if (*nv == CERT_OPTIONS_MAX)
			FAIL("more than %d %s", CERT_OPTIONS_MAX, what);
		if (rd_str(&r, &v[*nv].name) == -1 ||
		    rd_str(&r, &v[*nv].data) == -1)
			FAIL("bad %s list", what);
		if (!name_ok(&v[*nv].name))
			FAIL("a name in %s is not printable", what);
		for (i = 0; i < *nv; i++)
			if (v[i].name.n == v[*nv].name.n && memcmp(v[i].name.p,
			    v[*nv].name.p, v[i].name.n) == 0)
				FAIL("%s: a name appears twice", what);
		(*nv)++;
	}
	return 0;
}

int
cert_parse(struct cert *c, const unsigned char *blob, size_t n, char *err,
    size_t errlen)
{
	struct sshwire	 r = { blob, n, 0 };
	struct cert_str	 s, nonce, princ, opts, exts, reserved;
	size_t		 t;

	memset(c, 0, sizeof(*c));
	c->blob = blob;
	if (n > CERT_BLOB_MAX)
		FAIL("certificate too large (over %d bytes)", CERT_BLOB_MAX);
	if (rd_str(&r, &s) == -1)
		FAIL("not a certificate");
	for (t = 0; t < NTYPES; t++)
		if (str_is(&s, cert_types[t].cert))
			break;
	if (t == NTYPES)
		FAIL("not a certificate type taken here");
	strlcpy(c->certtype, cert_types[t].cert, sizeof(c->certtype));
	strlcpy(c->keytype, cert_types[t].key, sizeof(c->keytype));
	if (rd_str(&r, &nonce) == -1 || nonce.n < 16 || nonce.n > 256)
		FAIL("bad nonce");
	if (parse_key(c, t, &r, err, errlen) == -1)
		return -1;
	if (sshwire_u64(&r, &c->serial) == -1 ||
	    sshwire_u32(&r, &c->type) == -1)
		FAIL("truncated after the key");
	if (c->type != CERT_TYPE_USER && c->type != CERT_TYPE_HOST)
		FAIL("unknown certificate type %u", c->type);
	if (rd_str(&r, &c->key_id) == -1 || c->key_id.n > 1024)
		FAIL("bad key ID");
	if (rd_str(&r, &princ) == -1)
		FAIL("bad principals");
	if (sshwire_u64(&r, &c->valid_after) == -1 ||
	    sshwire_u64(&r, &c->valid_before) == -1)
		FAIL("truncated validity");
	if (c->valid_after > c->valid_before)
		FAIL("valid_after is after valid_before");
	if (rd_str(&r, &opts) == -1 || rd_str(&r, &exts) == -1 ||
	    rd_str(&r, &reserved) == -1)
		FAIL("truncated options");
	if (reserved.n != 0)
		FAIL("reserved field not empty");
	if (rd_str(&r, &c->ca) == -1 || c->ca.n == 0)
		FAIL("bad signature key");
	c->signed_len = r.off;
	if (rd_str(&r, &c->sig) == -1 || c->sig.n == 0)
		FAIL("bad signature");
	if (r.off != r.n)
		FAIL("%zu bytes after the signature", r.n - r.off);
	if (parse_principals(c, &princ, err, errlen) == -1 ||
	    parse_opts(c->options, &c->noptions, &opts, "critical options",
	    err, errlen) == -1 ||
	    parse_opts(c->extensions, &c->nextensions, &exts, "extensions",
	    err, errlen) == -1)
		return -1;
	return 0;
}

/* --- the CA's signature -------------------------------------------------- */

/* An EVP_PKEY from an SSH public key blob; its signature digest. */
static EVP_PKEY *
ca_key(const struct cert_str *blob, const char *sigalg, const EVP_MD **md,
    char *err, size_t errlen)
{
	struct sshwire	 r = { blob->p, blob->n, 0 };
	struct cert_str	 type, a, b;
	EVP_PKEY	*k = NULL;
	EVP_PKEY_CTX	*pc = NULL;
	OSSL_PARAM_BLD	*bld = NULL;
	OSSL_PARAM	*params = NULL;
	BIGNUM		*e = NULL, *n = NULL;
	const char	*group = NULL;
	char		 name[24];

	*md = NULL;
	if (rd_str(&r, &type) == -1) {
		snprintf(err, errlen, "bad CA key");
		return NULL;
	}
	if (str_is(&type, "ssh-ed25519")) {
		if (strcmp(sigalg, "ssh-ed25519") != 0 ||
		    rd_str(&r, &a) == -1 || a.n != 32 || r.off != r.n) {
			snprintf(err, errlen, "bad ed25519 CA key or "
			    "signature");
			return NULL;
		}
		if ((k = EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, NULL,
		    a.p, a.n)) == NULL)
			snprintf(err, errlen, "ed25519 CA key refused by "
			    "libcrypto");
		return k;
	}
	if (type.n < sizeof(name) && type.n > 0) {
		memcpy(name, type.p, type.n);
		name[type.n] = '\0';
	} else
		name[0] = '\0';
	if (strncmp(name, "ecdsa-sha2-nistp", 16) == 0) {
		if (strcmp(name, "ecdsa-sha2-nistp256") == 0) {
			group = "P-256";
			*md = EVP_sha256();
		} else if (strcmp(name, "ecdsa-sha2-nistp384") == 0) {
			group = "P-384";
			*md = EVP_sha384();
		} else if (strcmp(name, "ecdsa-sha2-nistp521") == 0) {
			group = "P-521";
			*md = EVP_sha512();
		}
		if (group == NULL || strcmp(sigalg, name) != 0 ||
		    rd_str(&r, &a) == -1 || !str_is(&a, name + 11) ||
		    rd_str(&r, &b) == -1 || b.n != ec_point_len(name + 11) ||
		    r.off != r.n) {
			snprintf(err, errlen, "bad ecdsa CA key or signature");
			return NULL;
		}
		if ((bld = OSSL_PARAM_BLD_new()) == NULL ||
		    OSSL_PARAM_BLD_push_utf8_string(bld,
		    OSSL_PKEY_PARAM_GROUP_NAME, group, 0) != 1 ||
		    OSSL_PARAM_BLD_push_octet_string(bld,
		    OSSL_PKEY_PARAM_PUB_KEY, b.p, b.n) != 1)
			goto fail;
	} else if (strcmp(name, "ssh-rsa") == 0) {
		if (strcmp(sigalg, "rsa-sha2-256") == 0)
			*md = EVP_sha256();
		else if (strcmp(sigalg, "rsa-sha2-512") == 0)
			*md = EVP_sha512();
		else {
			snprintf(err, errlen, "RSA CA signature %s refused "
			    "(rsa-sha2-256 and rsa-sha2-512 are taken)",
			    strcmp(sigalg, "ssh-rsa") == 0 ? "ssh-rsa (SHA-1)" :
			    "algorithm");
			return NULL;
		}
		if (rd_str(&r, &a) == -1 || !mpint_ok(&a) ||
		    rd_str(&r, &b) == -1 || !mpint_ok(&b) || r.off != r.n ||
		    mpint_bits(&b) < CERT_RSA_MIN ||
		    mpint_bits(&b) > CERT_RSA_MAX) {
			snprintf(err, errlen, "bad RSA CA key (%d to %d bits "
			    "are taken)", CERT_RSA_MIN, CERT_RSA_MAX);
			return NULL;
		}
		if ((e = BN_bin2bn(a.p, (int)a.n, NULL)) == NULL ||
		    (n = BN_bin2bn(b.p, (int)b.n, NULL)) == NULL ||
		    (bld = OSSL_PARAM_BLD_new()) == NULL ||
		    OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_N,
		    n) != 1 || OSSL_PARAM_BLD_push_BN(bld,
		    OSSL_PKEY_PARAM_RSA_E, e) != 1)
			goto fail;
		group = "RSA";
	} else {
		snprintf(err, errlen, "CA key type not taken (ed25519, ecdsa "
		    "and RSA are)");
		return NULL;
	}
	if ((params = OSSL_PARAM_BLD_to_param(bld)) == NULL ||
	    (pc = EVP_PKEY_CTX_new_from_name(NULL, strcmp(group, "RSA") == 0 ?
	    "RSA" : "EC", NULL)) == NULL ||
	    EVP_PKEY_fromdata_init(pc) != 1 ||
	    EVP_PKEY_fromdata(pc, &k, EVP_PKEY_PUBLIC_KEY, params) != 1)
		goto fail;
	goto done;
fail:
	snprintf(err, errlen, "CA key refused by libcrypto");
	k = NULL;
done:
	EVP_PKEY_CTX_free(pc);
	OSSL_PARAM_free(params);
	OSSL_PARAM_BLD_free(bld);
	BN_free(e);
	BN_free(n);
	return k;
}

/* An SSH ECDSA signature (mpint r, mpint s) as DER, for libcrypto. */
static unsigned char *
ecdsa_der(const struct cert_str *raw, size_t *len)
{
	struct sshwire	 r = { raw->p, raw->n, 0 };
	struct cert_str	 a, b;
	ECDSA_SIG	*sig;
	BIGNUM		*br, *bs;
	unsigned char	*der = NULL;
	int		 n;

	if (rd_str(&r, &a) == -1 || rd_str(&r, &b) == -1 || r.off != r.n ||
	    !mpint_ok(&a) || !mpint_ok(&b) || a.n > 67 || b.n > 67)
		return NULL;
	if ((sig = ECDSA_SIG_new()) == NULL)
		return NULL;
	br = BN_bin2bn(a.p, (int)a.n, NULL);
	bs = BN_bin2bn(b.p, (int)b.n, NULL);
	if (br == NULL || bs == NULL || ECDSA_SIG_set0(sig, br, bs) != 1) {
		BN_free(br);
		BN_free(bs);
		ECDSA_SIG_free(sig);
		return NULL;
	}
	n = i2d_ECDSA_SIG(sig, &der);
	ECDSA_SIG_free(sig);
	if (n <= 0)
		return NULL;
	*len = (size_t)n;
	return der;
}

int
cert_verify(const struct cert *c, char *err, size_t errlen)
{
	struct sshwire	 r = { c->sig.p, c->sig.n, 0 };
	struct cert_str	 alg, raw;
	const EVP_MD	*md;
	EVP_PKEY	*k;
	EVP_MD_CTX	*mc = NULL;
	unsigned char	*der = NULL;
	const unsigned char *sig;
	char		 sigalg[24];
	size_t		 siglen;
	int		 ok;

	if (rd_str(&r, &alg) == -1 || rd_str(&r, &raw) == -1 || r.off != r.n ||
	    alg.n == 0 || alg.n >= sizeof(sigalg))
		FAIL("bad signature blob");
	memcpy(sigalg, alg.p, alg.n);
	sigalg[alg.n] = '\0';
	if ((k = ca_key(&c->ca, sigalg, &md, err, errlen)) == NULL)
		return -1;
	sig = raw.p;
	siglen = raw.n;
	if (strncmp(sigalg, "ecdsa-", 6) == 0) {
		if ((der = ecdsa_der(&raw, &siglen)) == NULL) {
			EVP_PKEY_free(k);
			FAIL("bad ecdsa signature");
		}
		sig = der;
	}
	mc = EVP_MD_CTX_new();
	ok = mc != NULL && EVP_DigestVerifyInit(mc, NULL, md, NULL, k) == 1 &&
	    EVP_DigestVerify(mc, sig, siglen, c->blob, c->signed_len) == 1;
	EVP_MD_CTX_free(mc);
	EVP_PKEY_free(k);
	OPENSSL_free(der);
	if (!ok)
		FAIL("the CA's signature does not verify");
	return 0;
}

/* --- the policy ---------------------------------------------------------- */

/* A critical option's value: a string inside its data. */
static int
opt_value(const struct cert_opt *o, struct cert_str *v)
{
	struct sshwire	 r = { o->data.p, o->data.n, 0 };

	return rd_str(&r, v) == -1 || r.off != r.n ? -1 : 0;
}

/* source-address: a comma-separated list of ADDR[/BITS]. */
static int
source_ok(const struct cert_str *v, const char *peer, char *err,
    size_t errlen)
{
	struct source_cidr	 c;
	uint8_t			 a[16];
	char			 item[64];
	size_t			 i = 0, j;

	if (source_addr16(a, peer) == -1)
		FAIL("source-address: the peer %s is not an address", peer);
	while (i < v->n) {
		for (j = i; j < v->n && v->p[j] != ','; j++)
			continue;
		if (j - i == 0 || j - i >= sizeof(item))
			FAIL("source-address: bad list");
		memcpy(item, v->p + i, j - i);
		item[j - i] = '\0';
		if (source_cidr_parse(&c, item) == -1)
			FAIL("source-address: bad address range");
		if (source_cidr_has(&c, a))
			return 0;
		i = j + 1;
	}
	FAIL("source-address does not include %s", peer);
}

/* A validity bound as ssh-keygen -L shows it, in UTC. */
static const char *
utc(uint64_t t, char *buf, size_t len)
{
	struct tm	 tm;
	time_t		 tt = (time_t)t;

	if (t > (uint64_t)INT64_MAX / 2 || gmtime_r(&tt, &tm) == NULL ||
	    strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		snprintf(buf, len, "forever");
	return buf;
}

int
cert_check(const struct cert *c, uint64_t now, uint64_t skew,
    const char *const *wanted, size_t nwanted, const char *peer,
    struct cert_grant *g, char *err, size_t errlen)
{
	const struct cert_opt	*o;
	struct cert_str		 v;
	size_t			 i, k;
	bool			 found = false, pty = false;
	char			 name[CERT_NAME_MAX + 1], when[32];

	memset(g, 0, sizeof(*g));
	if (c->type != CERT_TYPE_USER)
		FAIL("a host certificate, not a user certificate");
	if (now + skew < c->valid_after)
		FAIL("certificate not yet valid (valid from %s)",
		    utc(c->valid_after, when, sizeof(when)));
	if (now >= skew && now - skew >= c->valid_before)
		FAIL("certificate expired (valid until %s)",
		    utc(c->valid_before, when, sizeof(when)));
	for (i = 0; i < c->nprincipals && !found; i++)
		for (k = 0; k < nwanted && !found; k++)
			found = str_is(&c->principals[i], wanted[k]);
	if (!found)
		FAIL("certificate names no principal of this tenant");
	for (i = 0; i < c->noptions; i++) {
		o = &c->options[i];
		memcpy(name, o->name.p, o->name.n);
		name[o->name.n] = '\0';
		if (opt_value(o, &v) == -1)
			FAIL("critical option %s: bad value", name);
		if (strcmp(name, "force-command") == 0) {
			if (v.n == 0 || v.n >= sizeof(g->force_command) ||
			    memchr(v.p, '\0', v.n) != NULL)
				FAIL("force-command: empty or too long");
			memcpy(g->force_command, v.p, v.n);
			g->force_command[v.n] = '\0';
		} else if (strcmp(name, "source-address") == 0) {
			if (source_ok(&v, peer, err, errlen) == -1)
				return -1;
		} else
			FAIL("unknown critical option %s", name);
	}
	for (i = 0; i < c->nextensions; i++)
		if (str_is(&c->extensions[i].name, "permit-pty"))
			pty = true;
	g->no_pty = !pty;
	return 0;
}

void
cert_key_id(const struct cert *c, char *out, size_t len)
{
	escape_untrusted(out, len, (const char *)c->key_id.p, c->key_id.n);
}
