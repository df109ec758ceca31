/*
 * authkeys.c: parsing authorized_keys files into the tenants' key table
 * and answering lookups from it (see authkeys.h).
 *
 * The format is OpenSSH's (sshd(8), "AUTHORIZED_KEYS FILE FORMAT"). Key
 * data is checked three ways: strict base64, the type name inside the
 * blob equal to the one on the line, and libssh parsing the key (so a
 * line with a truncated or corrupt key is reported here, not at login).
 * Lookups compare decoded blobs, so any valid base64 spelling matches.
 */
#include <sys/stat.h>

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <bsd/string.h>
#include <libssh/libssh.h>
#include <openssl/evp.h>

#include "authkeys.h"
#include "krl.h"
#include "escape.h"

#define AUTHKEYS_RSA_MIN	2048	/* bits */

#define FAIL(...)	do {						\
		snprintf(err, errlen, __VA_ARGS__);			\
		return -1;						\
	} while (0)

/*
 * Up to max bytes of a line, escaped: errors quote the file, and the file
 * may hold anything (found by tests/fuzz/fuzz_authkeys.c).
 */
static const char *
quote(const char *p, size_t max, char *buf, size_t len)
{
	return escape_untrusted(buf, len, p, strnlen(p, max));
}

/* Key types a line may name, as OpenSSH spells them. */
static const char *const authkeys_types[] = {
	"ssh-ed25519", "sk-ssh-ed25519@openssh.com",
	"ecdsa-sha2-nistp256", "ecdsa-sha2-nistp384", "ecdsa-sha2-nistp521",
	"sk-ecdsa-sha2-nistp256@openssh.com", "ssh-rsa", NULL
};

/* Options that only forbid what this server never offers: harmless. */
static const char *const authkeys_noop_opts[] = {
	"no-port-forwarding", "no-agent-forwarding", "no-x11-forwarding",
	"no-user-rc", NULL
};

static const char authkeys_b64[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

void
authkeys_init(struct authkeys *a)
{
	memset(a, 0, sizeof(*a));
}

void
authkeys_free(struct authkeys *a)
{
	size_t	 i;

	if (a->revoked != NULL) {
		krl_free(a->revoked);
		free(a->revoked);
	}
	for (i = 0; i < a->n; i++) {
		free(a->v[i].tenant);
		free(a->v[i].blob);
		free(a->v[i].comment);
	}
	for (i = 0; i < a->nfiles; i++)
		free(a->files[i]);
	free(a->v);
	free(a->files);
	memset(a, 0, sizeof(*a));
}

/* --- base64 and fingerprints --------------------------------------------- */

static int
b64_value(char c)
{
	const char	*p;

	if (c == '\0' || (p = strchr(authkeys_b64, c)) == NULL)
		return -1;
	return (int)(p - authkeys_b64);
}

/*
 * Strict base64 (RFC 4648, with padding, no whitespace) of len chars into
 * a malloc'd buffer. NULL when invalid (or memory is short).
 */
unsigned char *
authkeys_b64_decode(const char *s, size_t len, size_t *outlen)
{
	unsigned char	*out;
	size_t		 i, o = 0, pad = 0;
	int		 v[4], k;

	if (len == 0 || len % 4 != 0)
		return NULL;
	if (s[len - 1] == '=')
		pad = s[len - 2] == '=' ? 2 : 1;
	if ((out = malloc(len / 4 * 3)) == NULL)
		return NULL;
	for (i = 0; i < len; i += 4) {
		for (k = 0; k < 4; k++) {
			if (i + (size_t)k >= len - pad) {
				v[k] = 0;
				continue;
			}
			if ((v[k] = b64_value(s[i + (size_t)k])) == -1) {
				free(out);
				return NULL;
			}
		}
		out[o++] = (unsigned char)(v[0] << 2 | v[1] >> 4);
		out[o++] = (unsigned char)((v[1] & 0xf) << 4 | v[2] >> 2);
		out[o++] = (unsigned char)((v[2] & 0x3) << 6 | v[3]);
	}
	/* Padding bits must be zero: one spelling per blob. */
	if ((pad == 1 && (v[2] & 0x3) != 0) || (pad == 2 && (v[1] & 0xf) != 0)) {
		free(out);
		return NULL;
	}
	*outlen = o - pad;
	return out;
}

/* base64 without padding, as ssh-keygen prints fingerprints. */
static void
b64_nopad(const unsigned char *p, size_t n, char *out, size_t len)
{
	size_t		 i, o = 0;
	uint32_t	 w;

	for (i = 0; i < n && o + 5 < len; i += 3) {
		w = (uint32_t)p[i] << 16;
		if (i + 1 < n)
			w |= (uint32_t)p[i + 1] << 8;
		if (i + 2 < n)
			w |= p[i + 2];
		out[o++] = authkeys_b64[w >> 18 & 63];
		out[o++] = authkeys_b64[w >> 12 & 63];
		if (i + 1 < n)
			out[o++] = authkeys_b64[w >> 6 & 63];
		if (i + 2 < n)
			out[o++] = authkeys_b64[w & 63];
	}
	out[o] = '\0';
}

int
authkeys_fingerprint_blob(const unsigned char *blob, size_t n, char *out,
    size_t len)
{
	unsigned char	 md[EVP_MAX_MD_SIZE];
	unsigned int	 mdlen = 0;
	size_t		 k;

	if (EVP_Digest(blob, n, md, &mdlen, EVP_sha256(), NULL) != 1 ||
	    len < 8)
		return -1;
	k = strlcpy(out, "SHA256:", len);
	b64_nopad(md, mdlen, out + k, len - k);
	return 0;
}

int
authkeys_fingerprint(const char *b64, char *out, size_t len)
{
	unsigned char	*blob;
	size_t		 n;
	int		 rv;

	if ((blob = authkeys_b64_decode(b64, strlen(b64), &n)) == NULL)
		return -1;
	rv = authkeys_fingerprint_blob(blob, n, out, len);
	free(blob);
	return rv;
}

/* --- one line ------------------------------------------------------------ */

static bool
in_list(const char *const *list, const char *s, size_t n)
{
	for (; *list != NULL; list++)
		if (strlen(*list) == n && strncasecmp(*list, s, n) == 0)
			return true;
	return false;
}

static size_t
token_len(const char *p)
{
	size_t	 n = 0;

	while (p[n] != '\0' && p[n] != ' ' && p[n] != '\t')
		n++;
	return n;
}

static const char *
skip_blanks(const char *p)
{
	while (*p == ' ' || *p == '\t')
		p++;
	return p;
}

/* Whether the first token names a key type (refused ones included). */
static bool
is_keytype(const char *p, size_t n)
{
	static const char	 cert[] = "-cert-v01@openssh.com";

	return in_list(authkeys_types, p, n) || (n == 7 &&
	    strncmp(p, "ssh-dss", 7) == 0) || (n > sizeof(cert) - 1 &&
	    strncmp(p + n - (sizeof(cert) - 1), cert, sizeof(cert) - 1) == 0);
}

/*
 * The options field at *pp: each option checked, *pp moved past it.
 * Only the harmless ones pass.
 */
static int
parse_options(const char **pp, char *err, size_t errlen)
{
	const char	*p = *pp, *name;
	char		 q[96];
	size_t		 n;

	for (;;) {
		name = p;
		while (isalnum((unsigned char)*p) || *p == '-')
			p++;
		if ((n = (size_t)(p - name)) == 0)
			FAIL("bad options field near \"%s\"", quote(name,
			    20, q, sizeof(q)));
		if (*p == '=') {
			if (*++p != '"')
				FAIL("option %.*s: the value must be quoted",
				    (int)n, name);
			for (p++; *p != '"'; p++) {
				if (*p == '\\' && p[1] == '"')
					p++;
				else if (*p == '\0')
					FAIL("option %.*s: no closing quote",
					    (int)n, name);
			}
			p++;
		}
		if (!in_list(authkeys_noop_opts, name, n))
			FAIL("option \"%.*s\" is not supported, so the key is "
			    "not taken (iridiumd could not enforce it)",
			    (int)n, name);
		if (*p == ',') {
			p++;
			continue;
		}
		if (*p != ' ' && *p != '\t')
			FAIL("bad options field near \"%s\"", quote(p, 20, q,
			    sizeof(q)));
		*pp = skip_blanks(p);
		return 0;
	}
}

/* The key blob starts with its type as an SSH string: it must match. */
static int
check_blob(const char *keytype, const unsigned char *blob, size_t n,
    char *err, size_t errlen)
{
	uint32_t	 len;

	if (n < 4)
		FAIL("key data too short");
	len = (uint32_t)blob[0] << 24 | (uint32_t)blob[1] << 16 |
	    (uint32_t)blob[2] << 8 | blob[3];
	if (len > n - 4 || len != strlen(keytype) ||
	    memcmp(blob + 4, keytype, len) != 0)
		FAIL("the key data is not a %s key", keytype);
	return 0;
}

/* The next SSH string of blob at *off: its bytes and length, or -1. */
static int
blob_string(const unsigned char *blob, size_t n, size_t *off,
    const unsigned char **sp, size_t *lenp)
{
	uint32_t	 len;

	if (n - *off < 4)
		return -1;
	len = (uint32_t)blob[*off] << 24 | (uint32_t)blob[*off + 1] << 16 |
	    (uint32_t)blob[*off + 2] << 8 | blob[*off + 3];
	if (len > n - *off - 4)
		return -1;
	*sp = blob + *off + 4;
	*lenp = len;
	*off += 4 + len;
	return 0;
}

/* The modulus size of an ssh-rsa blob ("ssh-rsa", mpint e, mpint n). */
static int
rsa_bits(const unsigned char *blob, size_t n)
{
	const unsigned char	*s;
	size_t			 off = 0, len;
	unsigned char		 top;
	int			 bits;

	if (blob_string(blob, n, &off, &s, &len) == -1 || len != 7 ||
	    memcmp(s, "ssh-rsa", 7) != 0 ||
	    blob_string(blob, n, &off, &s, &len) == -1 ||
	    blob_string(blob, n, &off, &s, &len) == -1)
		return -1;
	while (len > 0 && *s == 0) {	/* an mpint's sign byte */
		s++;
		len--;
	}
	if (len == 0)
		return 0;
	bits = (int)len * 8;
	for (top = *s; (top & 0x80) == 0; top = (unsigned char)(top << 1))
		bits--;
	return bits;
}

int
authkeys_rsa_bits(const char *b64)
{
	unsigned char	*blob;
	size_t		 n;
	int		 bits;

	if ((blob = authkeys_b64_decode(b64, strlen(b64), &n)) == NULL)
		return -1;
	bits = rsa_bits(blob, n);
	free(blob);
	return bits;
}

/* libssh must be able to use the key, and an RSA key be long enough. */
static int
check_key(const char *keytype, const char *b64, const unsigned char *blob,
    size_t n, char *err, size_t errlen)
{
	ssh_key	 key = NULL;
	int	 bits;

	if (ssh_pki_import_pubkey_base64(b64, ssh_key_type_from_name(keytype),
	    &key) != SSH_OK || key == NULL)
		FAIL("invalid %s key data", keytype);
	ssh_key_free(key);
	if (strcmp(keytype, "ssh-rsa") == 0 &&
	    (bits = rsa_bits(blob, n)) < AUTHKEYS_RSA_MIN)
		FAIL("an RSA key of %d bits: at least %d are needed", bits,
		    AUTHKEYS_RSA_MIN);
	return 0;
}

const struct authkey *
authkeys_find(const struct authkeys *a, const char *tenant,
    const unsigned char *blob, size_t n)
{
	size_t	 i;

	for (i = 0; i < a->n; i++)
		if (a->v[i].bloblen == n && strcmp(a->v[i].tenant, tenant) ==
		    0 && memcmp(a->v[i].blob, blob, n) == 0)
			return &a->v[i];
	return NULL;
}

static int
add_key(struct authkeys *a, struct authkey *k, char *err, size_t errlen)
{
	struct authkey	*v;
	size_t		 cap;

	if (a->n == a->cap) {
		cap = a->cap == 0 ? 16 : a->cap * 2;
		if ((v = reallocarray(a->v, cap, sizeof(*v))) == NULL)
			FAIL("out of memory");
		a->v = v;
		a->cap = cap;
	}
	a->v[a->n++] = *k;
	return 0;
}

int
authkeys_line(struct authkeys *a, const char *tenant, const char *file,
    unsigned lineno, const char *line, char *err, size_t errlen)
{
	const struct authkey	*dup;
	struct authkey		 k;
	const char		*p = skip_blanks(line), *b64, *c;
	char			*b64s, q[192];
	size_t			 n, bn, cn;
	int			 rv;

	if (*p == '\0' || *p == '#' || *p == '\n' || *p == '\r')
		return 0;
	if (strlen(line) > AUTHKEYS_LINE_MAX)
		FAIL("line too long (more than %d bytes)", AUTHKEYS_LINE_MAX);
	n = token_len(p);
	if (!is_keytype(p, n)) {
		if (parse_options(&p, err, errlen) == -1)
			return -1;
		n = token_len(p);
		if (!is_keytype(p, n))
			FAIL("unknown key type \"%s\"", quote(p, n > 40 ? 40 :
			    n, q, sizeof(q)));
	}
	if (n == 7 && strncmp(p, "ssh-dss", 7) == 0)
		FAIL("DSA (ssh-dss) keys are not accepted");
	if (!in_list(authkeys_types, p, n))
		FAIL("certificates (%s) are not supported", quote(p, n > 60 ?
		    60 : n, q, sizeof(q)));
	memset(&k, 0, sizeof(k));
	memcpy(k.keytype, p, n);
	b64 = skip_blanks(p + n);
	if ((bn = token_len(b64)) == 0)
		FAIL("no key data after %s", k.keytype);
	c = skip_blanks(b64 + bn);
	cn = strcspn(c, "\r\n");
	while (cn > 0 && (c[cn - 1] == ' ' || c[cn - 1] == '\t'))
		cn--;
	if ((k.blob = authkeys_b64_decode(b64, bn, &k.bloblen)) == NULL)
		FAIL("key data is not valid base64");
	if ((b64s = strndup(b64, bn)) == NULL) {
		free(k.blob);
		FAIL("out of memory");
	}
	rv = check_blob(k.keytype, k.blob, k.bloblen, err, errlen);
	if (rv == 0)
		rv = check_key(k.keytype, b64s, k.blob, k.bloblen, err,
		    errlen);
	free(b64s);
	if (rv == 0 && (dup = authkeys_find(a, tenant, k.blob,
	    k.bloblen)) != NULL) {
		snprintf(err, errlen, "the same key as %s:%u", dup->file,
		    dup->line);
		rv = -1;
	}
	if (rv == 0 && authkeys_fingerprint_blob(k.blob, k.bloblen, k.fingerprint,
	    sizeof(k.fingerprint)) == -1) {
		snprintf(err, errlen, "cannot hash the key");
		rv = -1;
	}
	if (rv == -1) {
		free(k.blob);
		return -1;
	}
	k.tenant = strdup(tenant);
	k.comment = strndup(c, cn);
	k.file = file;
	k.line = lineno;
	if (k.tenant == NULL || k.comment == NULL ||
	    add_key(a, &k, err, errlen) == -1) {
		free(k.tenant);
		free(k.comment);
		free(k.blob);
		FAIL("out of memory");
	}
	return 1;
}

/* --- files and lookups --------------------------------------------------- */

/* The whole file, if it is one we take. */
static char *
read_file(const char *path, size_t *lenp, char *err, size_t errlen)
{
	struct stat	 st;
	char		*text;
	ssize_t		 n;
	size_t		 got = 0;
	int		 fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return NULL;
	}
	text = NULL;
	if (fstat(fd, &st) == -1)
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
	else if (!S_ISREG(st.st_mode))
		snprintf(err, errlen, "%s: not a regular file", path);
	else if ((st.st_mode & 022) != 0)
		snprintf(err, errlen, "%s: writable by group or others "
		    "(mode %04o): refused", path, (unsigned)(st.st_mode & 07777));
	else if (st.st_size > AUTHKEYS_FILE_MAX)
		snprintf(err, errlen, "%s: larger than %d bytes", path,
		    AUTHKEYS_FILE_MAX);
	else if ((text = malloc((size_t)st.st_size + 1)) == NULL)
		snprintf(err, errlen, "%s: out of memory", path);
	while (text != NULL && got < (size_t)st.st_size &&
	    (n = read(fd, text + got, (size_t)st.st_size - got)) != 0) {
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1) {
			snprintf(err, errlen, "%s: %s", path, strerror(errno));
			free(text);
			text = NULL;
			break;
		}
		got += (size_t)n;
	}
	close(fd);
	if (text != NULL) {
		text[got] = '\0';
		*lenp = got;
	}
	return text;
}

int
authkeys_load(struct authkeys *a, const char *tenant, const char *path,
    authkeys_warn_fn warn, void *arg, char *err, size_t errlen)
{
	char		**files, *text, *line, *next, msg[512];
	size_t		 len;
	unsigned	 lineno = 0;
	int		 taken = 0, rv;

	if ((text = read_file(path, &len, err, errlen)) == NULL)
		return -1;
	if (memchr(text, '\0', len) != NULL) {
		free(text);
		FAIL("%s: contains NUL bytes: not an authorized_keys file",
		    path);
	}
	files = reallocarray(a->files, a->nfiles + 1, sizeof(*files));
	if (files == NULL || (files[a->nfiles] = strdup(path)) == NULL) {
		if (files != NULL)
			a->files = files;
		free(text);
		FAIL("%s: out of memory", path);
	}
	a->files = files;
	path = a->files[a->nfiles++];
	for (line = text; line != NULL && *line != '\0'; line = next) {
		lineno++;
		if ((next = strchr(line, '\n')) != NULL)
			*next++ = '\0';
		rv = authkeys_line(a, tenant, path, lineno, line, msg,
		    sizeof(msg));
		if (rv == 1)
			taken++;
		else if (rv == -1 && warn != NULL)
			warn(arg, path, lineno, msg);
	}
	free(text);
	return taken;
}

const struct authkey *
authkeys_lookup(const struct authkeys *a, const char *user,
    const char *keytype, const char *b64)
{
	const struct authkey	*k;
	unsigned char		*blob;
	size_t			 n;

	if ((blob = authkeys_b64_decode(b64, strlen(b64), &n)) == NULL)
		return NULL;
	k = authkeys_find(a, user, blob, n);
	free(blob);
	if (k != NULL && strcmp(k->keytype, keytype) != 0)
		k = NULL;
	return k;
}
