/*
 * cert.h: OpenSSH user certificates, checked by iridiumd itself.
 *
 * A client may log in with a certificate (PROTOCOL.certkeys:
 * "ssh-ed25519-cert-v01@openssh.com" and the ECDSA and RSA ones) that a
 * trusted CA signed ([daemon] trusted_user_ca_keys). The ssh worker
 * checks that the client holds the certificate's private key, as for any
 * key, and passes the certificate in its `auth_query`; everything else
 * is decided here, from the certificate's bytes alone: its CA's
 * signature (with libcrypto), its type, validity, principals and
 * critical options. A worker can therefore not make up a certificate,
 * nor use one past its validity or for a principal it does not name.
 *
 * cert_parse() is strict and bounded (every length checked against what
 * is left, nothing left over, each list capped) and pure, so a fuzz
 * target drives it; cert_verify() checks the CA's signature; the policy
 * (validity, principals, options) is cert_check().
 *
 * A library: no logging.
 */
#ifndef IRIDIUM_CERT_H
#define IRIDIUM_CERT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CERT_BLOB_MAX		16384	/* bytes of one certificate */
#define CERT_PRINCIPALS_MAX	256	/* as OpenSSH */
#define CERT_OPTIONS_MAX	32	/* critical options, and extensions */
#define CERT_NAME_MAX		255	/* a principal, an option */
#define CERT_KEYBLOB_MAX	2200	/* a plain key: RSA to 16384 bits */
#define CERT_RSA_MIN		2048	/* bits, CA or user key */
#define CERT_RSA_MAX		16384

#define CERT_TYPE_USER		1
#define CERT_TYPE_HOST		2

/* Bytes inside the certificate's blob (not NUL-terminated). */
struct cert_str {
	const unsigned char	*p;
	size_t			 n;
};

struct cert_opt {
	struct cert_str	 name, data;
};

struct cert {
	char		 certtype[48];	/* a -cert-v01 type */
	char		 keytype[24];	/* "ssh-ed25519" */
	/* The certified key as a plain public key blob ("ssh-ed25519", pk). */
	unsigned char	 key[CERT_KEYBLOB_MAX];
	size_t		 keylen;
	uint64_t	 serial;
	uint32_t	 type;		/* CERT_TYPE_USER, _HOST */
	struct cert_str	 key_id;
	struct cert_str	 principals[CERT_PRINCIPALS_MAX];
	size_t		 nprincipals;
	uint64_t	 valid_after, valid_before;	/* since 1970 */
	struct cert_opt	 options[CERT_OPTIONS_MAX];	/* critical */
	size_t		 noptions;
	struct cert_opt	 extensions[CERT_OPTIONS_MAX];
	size_t		 nextensions;
	struct cert_str	 ca;		/* the signing key's blob */
	struct cert_str	 sig;		/* the signature blob */
	const unsigned char *blob;	/* the certificate, as parsed */
	size_t		 signed_len;	/* bytes it covers */
};

/* Whether keytype names a certificate ("...-cert-v01@openssh.com"). */
bool	cert_is_certtype(const char *keytype);

/*
 * Parse blob (n bytes) into c, which points into blob afterwards. Only
 * the ED25519, ECDSA (nistp256/384/521) and RSA certificate types.
 * Returns 0, or -1 with err saying what is wrong.
 */
int	cert_parse(struct cert *c, const unsigned char *blob, size_t n,
	    char *err, size_t errlen);

/*
 * Whether the CA's signature over the certificate verifies: ssh-ed25519,
 * ecdsa-sha2-nistp256/384/521 (the CA key's curve), rsa-sha2-256 or
 * rsa-sha2-512 (never ssh-rsa, SHA-1). Returns 0, or -1 with err.
 */
int	cert_verify(const struct cert *c, char *err, size_t errlen);

/* What the session may do, from the certificate's options. */
struct cert_grant {
	char		 force_command[1024];	/* "": none */
	bool		 no_pty;		/* permit-pty absent */
	uint64_t	 serial;		/* for the record */
	char		 key_id[128];
};

/*
 * The policy, for a certificate whose signature verified: a user
 * certificate, valid at now (seconds since 1970) give or take skew
 * seconds, naming one of the wanted principals (n of them), whose every
 * critical option is understood and holds (source-address against peer,
 * a numeric address). Fills g. Returns 0, or -1 with err (for the log).
 */
int	cert_check(const struct cert *c, uint64_t now, uint64_t skew,
	    const char *const *wanted, size_t nwanted, const char *peer,
	    struct cert_grant *g, char *err, size_t errlen);

/* The key ID for a log line: printable ASCII, others escaped. */
void	cert_key_id(const struct cert *c, char *out, size_t len);

#endif
