/*
 * krl.h: revoked keys and certificates ([daemon] revoked_keys), as
 * OpenSSH's RevokedKeys takes them: a plain list of public keys (one a
 * line, "keytype base64 [comment]"), or a key revocation list as
 * `ssh-keygen -k` writes it (PROTOCOL.krl: revoked keys, their SHA1 and
 * SHA256 fingerprints, and per CA certificate serials, serial ranges,
 * serial bitmaps and key IDs).
 *
 * A revoked key refuses itself and, as a CA, every certificate it
 * signed. The parser is strict and bounded, pure (a fuzz target drives
 * it); the file is read again on reload, with the authorized_keys.
 *
 * A library: no logging.
 */
#ifndef IRIDIUM_KRL_H
#define IRIDIUM_KRL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cert.h"

#define KRL_FILE_MAX		(16 << 20)	/* bytes */
#define KRL_ENTRIES_MAX		(1 << 20)	/* keys, serials, IDs */

struct krl_blob {
	unsigned char	*p;
	size_t		 n;
};

struct krl_range {
	uint64_t	 lo, hi;
};

/* One CA's revoked certificates (ca.n == 0: any CA, key IDs only). */
struct krl_ca {
	struct krl_blob	 ca;
	struct krl_range *ranges;	/* serials, each a range */
	size_t		 nranges;
	struct krl_blob	*bitmaps;	/* offset (8 bytes) and bits */
	size_t		 nbitmaps;
	struct krl_blob	*ids;
	size_t		 nids;
};

struct krl {
	struct krl_blob	*keys;		/* public key blobs */
	size_t		 nkeys;
	struct krl_blob	*sha1, *sha256;	/* digests of key blobs */
	size_t		 nsha1, nsha256;
	struct krl_ca	*cas;
	size_t		 ncas;
	size_t		 entries;	/* everything above, counted */
	bool		 binary;	/* a KRL, not a list of keys */
};

void	krl_init(struct krl *);
void	krl_free(struct krl *);

/*
 * Parse a file's bytes into k (empty first): a KRL when they start with
 * its magic, else a list of public keys. Returns 0, or -1 with err
 * (naming the line for a list) and k empty.
 */
int	krl_parse(struct krl *k, const unsigned char *data, size_t n,
	    char *err, size_t errlen);

/* Read path (a regular file, not writable by group or others). */
int	krl_load(struct krl *k, const char *path, char *err, size_t errlen);

/* Whether a plain public key blob is revoked. */
bool	krl_key_revoked(const struct krl *k, const unsigned char *blob,
	    size_t n);

/*
 * Whether a certificate is revoked: its CA key, its serial or key ID for
 * that CA, or its own key. Returns NULL, or what revoked it (for the
 * log): "the CA key", "the serial", "the key ID", "the key".
 */
const char *krl_cert_revoked(const struct krl *k, const struct cert *c);

#endif
