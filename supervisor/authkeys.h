/*
 * authkeys.h: the tenants' public keys, on iridiumd's side (see
 * iridiumd.conf(5), [tenant]).
 *
 * Each [tenant NAME] names an OpenSSH authorized_keys file, which only
 * the supervisor reads (again on HUP: build a new table, swap it in).
 * A worker's `auth_query` (user, key type, base64 key blob) is answered
 * from authkeys_lookup(); the worker never sees the lists.
 *
 * Lines: "[options] keytype base64 [comment]"; blank lines and # comments
 * are skipped. A bad line is reported with file:line and skipped; the
 * rest of the file still counts. Options are refused unless they only
 * forbid what this server never offers (port, agent and X11 forwarding,
 * ~/.ssh/rc): a key whose options we could not enforce (from=, command=,
 * no-pty, expiry-time=, ...) is not taken at all, so nothing is ever
 * allowed that the file meant to forbid.
 *
 * A library: no logging; errors through the warn
 * callback or err.
 */
#ifndef IRIDIUM_AUTHKEYS_H
#define IRIDIUM_AUTHKEYS_H

#include <stddef.h>

#define AUTHKEYS_LINE_MAX	16384	/* bytes in one line (sshd's too) */
#define AUTHKEYS_FILE_MAX	(1 << 20)
#define AUTHKEYS_FPR_MAX	64	/* "SHA256:" and 43 base64 chars */

struct authkey {
	char		*tenant;
	char		 keytype[40];		/* "ssh-ed25519" */
	unsigned char	*blob;			/* the decoded key */
	size_t		 bloblen;
	char		*comment;		/* "" when none */
	char		 fingerprint[AUTHKEYS_FPR_MAX];	/* "SHA256:..." */
	const char	*file;			/* where it was read */
	unsigned	 line;
};

struct krl;

struct authkeys {
	struct authkey	*v;
	size_t		 n, cap;
	char		**files;	/* the paths the keys point to */
	size_t		 nfiles;
	/* revoked_keys, read with them (krl.h); NULL: none. Owned. */
	struct krl	*revoked;
	size_t		 nca;		/* of n: trusted CA keys (one file) */
};

/* A bad line: file, its 1-based number, what is wrong with it. */
typedef void	(*authkeys_warn_fn)(void *arg, const char *file,
		    unsigned line, const char *msg);

void	authkeys_init(struct authkeys *);
void	authkeys_free(struct authkeys *);

/*
 * Add tenant's keys from the authorized_keys file at path: a regular
 * file of at most AUTHKEYS_FILE_MAX bytes that group and others cannot
 * write. Bad lines go to warn (may be NULL) and are skipped. Returns the
 * number of keys taken, or -1 with err when the file itself is refused
 * or unreadable (then nothing was added).
 */
int	authkeys_load(struct authkeys *, const char *tenant, const char *path,
	    authkeys_warn_fn warn, void *arg, char *err, size_t errlen);

/*
 * Parse one line of a file into the table for tenant. Returns 1 (a key
 * was added), 0 (blank or comment), or -1 with err saying why the line
 * is refused.
 */
int	authkeys_line(struct authkeys *, const char *tenant, const char *file,
	    unsigned lineno, const char *line, char *err, size_t errlen);

/*
 * The entry that lets user log in with this key: tenant == user, the
 * same key type and the same key blob (b64 as `auth_query` carries it).
 * NULL when there is none, or when b64 is not valid base64.
 */
const struct authkey *authkeys_lookup(const struct authkeys *,
	    const char *user, const char *keytype, const char *b64);

/*
 * The SHA256 fingerprint of a base64 key blob ("SHA256:..." as
 * ssh-keygen -l prints it), for logging a query whatever its answer.
 * Returns 0, or -1 when b64 is not valid base64.
 */
int	authkeys_fingerprint(const char *b64, char *out, size_t len);

/* The entry of tenant's with exactly this key blob, or NULL. */
const struct authkey *authkeys_find(const struct authkeys *,
	    const char *tenant, const unsigned char *blob, size_t n);

/*
 * Strict base64 (RFC 4648, padded, no whitespace) of len chars into a
 * malloc'd buffer of *outlen bytes; NULL when invalid.
 */
unsigned char *authkeys_b64_decode(const char *s, size_t len,
	    size_t *outlen);

/* The SHA256 fingerprint of a key blob ("SHA256:..."); 0 or -1. */
int	authkeys_fingerprint_blob(const unsigned char *blob, size_t n,
	    char *out, size_t len);

/* The modulus size of a base64 ssh-rsa key blob; -1 if it is not one. */
int	authkeys_rsa_bits(const char *b64);

#endif
