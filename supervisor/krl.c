/*
 * krl.c: revoked keys and certificates (see krl.h).
 *
 * A KRL is a header (magic, format version 1, version, date, flags,
 * reserved, comment) and sections, each a type byte and an SSH string:
 * revoked keys, SHA1 and SHA256 fingerprints, and certificate sections
 * (a CA key, then sub-sections of serials, ranges, bitmaps and key IDs).
 * Each length is checked against what is left, each section must be used
 * up exactly, and the number of entries is capped. Signature sections,
 * which ssh-keygen no longer writes and sshd does not check, are skipped.
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bsd/string.h>
#include <openssl/evp.h>

#include "authkeys.h"
#include "escape.h"
#include "krl.h"
#include "sshwire.h"

#define FAIL(...)	do {						\
		snprintf(err, errlen, __VA_ARGS__);			\
		return -1;						\
	} while (0)

#define KRL_MAGIC		"SSHKRL\n"	/* and a NUL: 8 bytes */
#define KRL_FORMAT		1
#define SEC_CERTIFICATES	1
#define SEC_EXPLICIT_KEY	2
#define SEC_FINGERPRINT_SHA1	3
#define SEC_SIGNATURE		4
#define SEC_FINGERPRINT_SHA256	5
#define CERT_SERIAL_LIST	0x20
#define CERT_SERIAL_RANGE	0x21
#define CERT_SERIAL_BITMAP	0x22
#define CERT_KEY_ID		0x23

void
krl_init(struct krl *k)
{
	memset(k, 0, sizeof(*k));
}

static void
blobs_free(struct krl_blob *v, size_t n)
{
	size_t	 i;

	for (i = 0; i < n; i++)
		free(v[i].p);
	free(v);
}

void
krl_free(struct krl *k)
{
	size_t	 i;

	blobs_free(k->keys, k->nkeys);
	blobs_free(k->sha1, k->nsha1);
	blobs_free(k->sha256, k->nsha256);
	for (i = 0; i < k->ncas; i++) {
		free(k->cas[i].ca.p);
		free(k->cas[i].ranges);
		blobs_free(k->cas[i].bitmaps, k->cas[i].nbitmaps);
		blobs_free(k->cas[i].ids, k->cas[i].nids);
	}
	free(k->cas);
	krl_init(k);
}

/* --- reading ------------------------------------------------------------- */

/* Append a copy of p[0..n) to *v (*nv entries). */
static int
push_blob(struct krl *k, struct krl_blob **v, size_t *nv,
    const unsigned char *p, size_t n)
{
	struct krl_blob	*nvv;

	if (k->entries >= KRL_ENTRIES_MAX)
		return -1;
	/* Grow by doubling: *nv is a power of two or not yet one. */
	if ((*nv & (*nv - 1)) == 0) {
		if ((nvv = reallocarray(*v, *nv == 0 ? 1 : *nv * 2,
		    sizeof(**v))) == NULL)
			return -1;
		*v = nvv;
	}
	if (((*v)[*nv].p = malloc(n == 0 ? 1 : n)) == NULL)
		return -1;
	memcpy((*v)[*nv].p, p, n);
	(*v)[*nv].n = n;
	(*nv)++;
	k->entries++;
	return 0;
}

static int
push_range(struct krl *k, struct krl_ca *ca, uint64_t lo, uint64_t hi)
{
	struct krl_range	*v;

	if (k->entries >= KRL_ENTRIES_MAX)
		return -1;
	if ((ca->nranges & (ca->nranges - 1)) == 0) {
		if ((v = reallocarray(ca->ranges, ca->nranges == 0 ? 1 :
		    ca->nranges * 2, sizeof(*v))) == NULL)
			return -1;
		ca->ranges = v;
	}
	ca->ranges[ca->nranges].lo = lo;
	ca->ranges[ca->nranges].hi = hi;
	ca->nranges++;
	k->entries++;
	return 0;
}

/* A key blob: an SSH string naming its type, then more. */
static bool
blob_ok(const struct sshwire *s)
{
	struct sshwire	 r = *s, t;

	return sshwire_str(&r, &t) == 0 && t.n > 0 && r.off < r.n;
}

/* A certificates section: its CA, then serials and key IDs. */
static int
parse_certs(struct krl *k, struct sshwire *sec, char *err, size_t errlen)
{
	struct krl_ca	*ca, *v;
	struct sshwire	 cak, reserved, sub;
	unsigned	 type;
	uint64_t	 a, b;

	if ((v = reallocarray(k->cas, k->ncas + 1, sizeof(*v))) == NULL)
		FAIL("out of memory");
	k->cas = v;
	ca = &k->cas[k->ncas++];
	memset(ca, 0, sizeof(*ca));
	if (sshwire_str(sec, &cak) == -1 || sshwire_str(sec, &reserved) == -1)
		FAIL("certificates section: truncated header");
	if (cak.n > 0 && !blob_ok(&cak))
		FAIL("certificates section: bad CA key");
	if ((ca->ca.p = malloc(cak.n == 0 ? 1 : cak.n)) == NULL)
		FAIL("out of memory");
	memcpy(ca->ca.p, cak.p, cak.n);
	ca->ca.n = cak.n;
	while (sec->off < sec->n) {
		if (sshwire_u8(sec, &type) == -1 ||
		    sshwire_str(sec, &sub) == -1)
			FAIL("certificates section: truncated");
		if (cak.n == 0 && type != CERT_KEY_ID)
			FAIL("certificates section: serials without a CA key");
		switch (type) {
		case CERT_SERIAL_LIST:
			if (sub.n % 8 != 0)
				FAIL("serial list: not whole serials");
			while (sub.off < sub.n) {
				if (sshwire_u64(&sub, &a) == -1 ||
				    push_range(k, ca, a, a) == -1)
					FAIL("more than %d entries, or out of "
					    "memory", KRL_ENTRIES_MAX);
			}
			break;
		case CERT_SERIAL_RANGE:
			if (sshwire_u64(&sub, &a) == -1 ||
			    sshwire_u64(&sub, &b) == -1 || sub.off != sub.n ||
			    a > b)
				FAIL("bad serial range");
			if (push_range(k, ca, a, b) == -1)
				FAIL("more than %d entries, or out of memory",
				    KRL_ENTRIES_MAX);
			break;
		case CERT_SERIAL_BITMAP:
			/* offset, then an mpint: kept as its 8 + n bytes. */
			if (sub.n < 12 || sshwire_u64(&sub, &a) == -1 ||
			    sshwire_str(&sub, &reserved) == -1 ||
			    sub.off != sub.n || (reserved.n > 0 &&
			    (reserved.p[0] & 0x80)))
				FAIL("bad serial bitmap");
			if (k->entries + reserved.n > KRL_ENTRIES_MAX ||
			    push_blob(k, &ca->bitmaps, &ca->nbitmaps, sub.p,
			    sub.n) == -1)
				FAIL("more than %d entries, or out of memory",
				    KRL_ENTRIES_MAX);
			k->entries += reserved.n;
			break;
		case CERT_KEY_ID:
			while (sub.off < sub.n) {
				if (sshwire_str(&sub, &reserved) == -1)
					FAIL("bad key ID list");
				if (push_blob(k, &ca->ids, &ca->nids,
				    reserved.p, reserved.n) == -1)
					FAIL("more than %d entries, or out of "
					    "memory", KRL_ENTRIES_MAX);
			}
			break;
		default:
			FAIL("certificates section: unknown type 0x%02x", type);
		}
	}
	return 0;
}

/* A section of strings: keys (hlen 0) or digests of hlen bytes. */
static int
parse_strings(struct krl *k, struct sshwire *sec, struct krl_blob **v,
    size_t *nv, size_t hlen, const char *what, char *err, size_t errlen)
{
	struct sshwire	 s;

	while (sec->off < sec->n) {
		if (sshwire_str(sec, &s) == -1)
			FAIL("%s section: truncated", what);
		if (hlen != 0 ? s.n != hlen : !blob_ok(&s))
			FAIL("%s section: bad entry", what);
		if (push_blob(k, v, nv, s.p, s.n) == -1)
			FAIL("more than %d entries, or out of memory",
			    KRL_ENTRIES_MAX);
	}
	return 0;
}

static int
parse_krl(struct krl *k, const unsigned char *data, size_t n, char *err,
    size_t errlen)
{
	struct sshwire	 r = { data, n, 8 }, s, sec;
	uint32_t	 format;
	uint64_t	 u;
	unsigned	 type;
	bool		 signed_ = false;

	k->binary = true;
	if (sshwire_u32(&r, &format) == -1 || format != KRL_FORMAT)
		FAIL("KRL format version not 1");
	if (sshwire_u64(&r, &u) == -1 || sshwire_u64(&r, &u) == -1 ||
	    sshwire_u64(&r, &u) == -1 || sshwire_str(&r, &s) == -1 ||
	    sshwire_str(&r, &s) == -1)
		FAIL("KRL header truncated");
	while (r.off < r.n) {
		if (sshwire_u8(&r, &type) == -1 || sshwire_str(&r, &sec) == -1)
			FAIL("KRL section truncated at byte %zu", r.off);
		if (signed_ && type != SEC_SIGNATURE)
			FAIL("KRL section after a signature");
		switch (type) {
		case SEC_CERTIFICATES:
			if (parse_certs(k, &sec, err, errlen) == -1)
				return -1;
			break;
		case SEC_EXPLICIT_KEY:
			if (parse_strings(k, &sec, &k->keys, &k->nkeys, 0,
			    "revoked keys", err, errlen) == -1)
				return -1;
			break;
		case SEC_FINGERPRINT_SHA1:
			if (parse_strings(k, &sec, &k->sha1, &k->nsha1, 20,
			    "SHA1 fingerprints", err, errlen) == -1)
				return -1;
			break;
		case SEC_FINGERPRINT_SHA256:
			if (parse_strings(k, &sec, &k->sha256, &k->nsha256, 32,
			    "SHA256 fingerprints", err, errlen) == -1)
				return -1;
			break;
		case SEC_SIGNATURE:
			signed_ = true;	/* not checked, as sshd */
			break;
		default:
			FAIL("KRL section of unknown type %u", type);
		}
	}
	return 0;
}

/* Bytes from p before end that are not blanks or a line's end. */
static size_t
token(const char *p, const char *end)
{
	const char	*q;

	for (q = p; q < end && *q != ' ' && *q != '\t' && *q != '\r' &&
	    *q != '\n'; q++)
		continue;
	return (size_t)(q - p);
}

/* "keytype base64 [comment]" lines; blank lines and # comments. */
static int
parse_list(struct krl *k, const unsigned char *data, size_t n, char *err,
    size_t errlen)
{
	const char	*p = (const char *)data, *end = p + n, *eol, *t, *b;
	unsigned char	*blob;
	size_t		 tn, bn, blen;
	unsigned	 line = 0;
	struct sshwire	 r, ty;
	char		 q[64];
	int		 rv;

	if (n > 0 && memchr(data, '\0', n) != NULL)
		FAIL("neither a KRL nor a list of keys (a NUL byte)");
	for (; p < end; p = eol + 1) {
		line++;
		if ((eol = memchr(p, '\n', (size_t)(end - p))) == NULL)
			eol = end;
		while (p < eol && (*p == ' ' || *p == '\t'))
			p++;
		if (p == eol || *p == '#' || *p == '\r')
			continue;
		t = p;
		tn = token(t, eol);
		for (b = t + tn; b < eol && (*b == ' ' || *b == '\t'); b++)
			continue;
		if ((bn = token(b, eol)) == 0)
			FAIL("line %u: a key type without key data", line);
		if ((blob = authkeys_b64_decode(b, bn, &blen)) == NULL)
			FAIL("line %u: key data is not base64", line);
		r.p = blob;
		r.n = blen;
		r.off = 0;
		rv = sshwire_str(&r, &ty) == 0 && ty.n == tn && memcmp(ty.p, t,
		    tn) == 0 && r.off < r.n ? 0 : -1;
		if (rv == 0)
			rv = push_blob(k, &k->keys, &k->nkeys, blob, blen);
		free(blob);
		if (rv == -1)
			FAIL("line %u: the key data is not a \"%s\" key (or "
			    "too many keys)", line, escape_untrusted(q,
			    sizeof(q), t, tn));
		if (eol == end)
			break;
	}
	return 0;
}

int
krl_parse(struct krl *k, const unsigned char *data, size_t n, char *err,
    size_t errlen)
{
	int	 rv;

	krl_init(k);
	if (n > KRL_FILE_MAX)
		FAIL("larger than %d bytes", KRL_FILE_MAX);
	if (n >= 8 && memcmp(data, KRL_MAGIC, 8) == 0)
		rv = parse_krl(k, data, n, err, errlen);
	else
		rv = parse_list(k, data, n, err, errlen);
	if (rv == -1)
		krl_free(k);
	return rv;
}

int
krl_load(struct krl *k, const char *path, char *err, size_t errlen)
{
	struct stat	 sb;
	unsigned char	*data = NULL;
	size_t		 got = 0;
	ssize_t		 r;
	int		 fd, rv = -1;

	krl_init(k);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		FAIL("%s: %s", path, strerror(errno));
	if (fstat(fd, &sb) == -1 || !S_ISREG(sb.st_mode))
		snprintf(err, errlen, "%s: not a regular file", path);
	else if (sb.st_mode & (S_IWGRP | S_IWOTH))
		snprintf(err, errlen, "%s: writable by group or others "
		    "(mode %04o): refused", path,
		    (unsigned)(sb.st_mode & 07777));
	else if (sb.st_size > KRL_FILE_MAX)
		snprintf(err, errlen, "%s: larger than %d bytes", path,
		    KRL_FILE_MAX);
	else if ((data = malloc((size_t)sb.st_size + 1)) == NULL)
		snprintf(err, errlen, "%s: out of memory", path);
	else {
		while (got < (size_t)sb.st_size && (r = read(fd, data + got,
		    (size_t)sb.st_size - got)) > 0)
			got += (size_t)r;
		if (got != (size_t)sb.st_size)
			snprintf(err, errlen, "%s: short read", path);
		else if (krl_parse(k, data, got, err, errlen) == 0)
			rv = 0;
	}
	free(data);
	close(fd);
	return rv;
}

/* --- checking ------------------------------------------------------------ */

static bool
in_blobs(const struct krl_blob *v, size_t nv, const unsigned char *p,
    size_t n)
{
	size_t	 i;

	for (i = 0; i < nv; i++)
		if (v[i].n == n && memcmp(v[i].p, p, n) == 0)
			return true;
	return false;
}

bool
krl_key_revoked(const struct krl *k, const unsigned char *blob, size_t n)
{
	unsigned char	 md[EVP_MAX_MD_SIZE];
	unsigned int	 mdlen;

	if (in_blobs(k->keys, k->nkeys, blob, n))
		return true;
	if (k->nsha1 > 0 && EVP_Digest(blob, n, md, &mdlen, EVP_sha1(),
	    NULL) == 1 && in_blobs(k->sha1, k->nsha1, md, mdlen))
		return true;
	return k->nsha256 > 0 && EVP_Digest(blob, n, md, &mdlen,
	    EVP_sha256(), NULL) == 1 && in_blobs(k->sha256, k->nsha256, md,
	    mdlen);
}

/* Whether serial is set in a bitmap: offset (8 bytes), then an mpint. */
static bool
in_bitmap(const struct krl_blob *b, uint64_t serial)
{
	struct sshwire	 r = { b->p, b->n, 0 }, bits;
	uint64_t	 off, bit;

	if (sshwire_u64(&r, &off) == -1 || sshwire_str(&r, &bits) == -1 ||
	    serial < off)
		return false;
	bit = serial - off;
	if (bit / 8 >= bits.n)
		return false;
	return (bits.p[bits.n - 1 - bit / 8] >> (bit % 8) & 1) != 0;
}

const char *
krl_cert_revoked(const struct krl *k, const struct cert *c)
{
	const struct krl_ca	*ca;
	size_t			 i, j;

	if (krl_key_revoked(k, c->ca.p, c->ca.n))
		return "the CA key";
	for (i = 0; i < k->ncas; i++) {
		ca = &k->cas[i];
		if (ca->ca.n != 0 && (ca->ca.n != c->ca.n ||
		    memcmp(ca->ca.p, c->ca.p, c->ca.n) != 0))
			continue;
		for (j = 0; j < ca->nranges; j++)
			if (c->serial >= ca->ranges[j].lo &&
			    c->serial <= ca->ranges[j].hi)
				return "the serial";
		for (j = 0; j < ca->nbitmaps; j++)
			if (in_bitmap(&ca->bitmaps[j], c->serial))
				return "the serial";
		if (in_blobs(ca->ids, ca->nids, c->key_id.p, c->key_id.n))
			return "the key ID";
	}
	return krl_key_revoked(k, c->key, c->keylen) ? "the key" : NULL;
}
