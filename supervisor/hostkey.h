/*
 * hostkey.h: the ssh listeners' host keys, on iridiumd's side (see
 * iridiumd.conf(5), [listen]).
 *
 * The supervisor reads each host key named in the config, or, when none
 * is named, the ed25519 key in its state directory, generating it there
 * (mode 0600, with a .pub beside it) on first start, as `ssh-keygen -A`
 * does. It sends the private key text to each ssh worker in `hello`
 * (hostkey_hello), logs the fingerprint and shows it in status. Workers
 * never read key files: they have none in their chroot.
 *
 * A library: no logging, errors in err.
 */
#ifndef IRIDIUM_HOSTKEY_H
#define IRIDIUM_HOSTKEY_H

#include <stdbool.h>
#include <stddef.h>

#include "sshalgo.h"

/* The file ensure() reads or makes in the state directory. */
#define HOSTKEY_DEFAULT_NAME	"ssh_host_ed25519_key"
#define HOSTKEY_FPR_MAX		96

struct hostkey {
	char	*path;				/* where it came from */
	char	 type[32];			/* "ssh-ed25519" */
	char	 fingerprint[HOSTKEY_FPR_MAX];	/* "SHA256:..." */
	char	*pem;		/* private key text (OpenSSH format for
				   ed25519): what hello's hostkey carries */
	char	*pub;		/* "ssh-ed25519 AAAA...": known_hosts */
	bool	 generated;	/* hostkey_ensure() made it just now */
};

/*
 * Read the private key at path: a regular file of at most MSG_KEY_MAX
 * bytes, unencrypted, not readable by group or others (as sshd insists),
 * of type ed25519, ECDSA or RSA of at least 3072 bits. Returns 0, or -1
 * with err naming the file and the reason; *k is then empty.
 */
int	hostkey_load(struct hostkey *k, const char *path, char *err,
	    size_t errlen);

/*
 * The state directory's ed25519 key: loaded when statedir/
 * HOSTKEY_DEFAULT_NAME exists, else generated into it (mode 0600; the
 * .pub beside it 0644), then loaded; k->generated says which. The
 * directory must exist. Returns 0 or -1 with err.
 */
int	hostkey_ensure(struct hostkey *k, const char *statedir, char *err,
	    size_t errlen);

/*
 * hello's hostkey for these n keys: their private key texts, one after
 * another (the worker imports each). One must be ed25519. Returns a
 * malloc'd string, or NULL with err (no ed25519 key, or too long for a
 * message).
 */
char	*hostkey_hello(const struct hostkey *keys, size_t n, char *err,
	    size_t errlen);

/* Free what a hostkey holds (the private key text wiped first). */
void	hostkey_free(struct hostkey *k);

/* Whether the linked libssh has the algorithm name of kind k. */
bool	hostkey_libssh_has(enum sshalgo_kind k, const char *name);
/*
 * How many host key algorithms of list (comma separated) these n keys
 * can sign with (rsa-sha2-* with an ssh-rsa key, the others with a key
 * of their own name); the first one none can into first_unusable (may be
 * NULL).
 */
size_t	hostkey_algos_usable(const struct hostkey *keys, size_t n,
	    const char *list, char *first_unusable, size_t len);

#endif
