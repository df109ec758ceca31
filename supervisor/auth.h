/*
 * auth.h: ssh authentication on iridiumd's side.
 *
 * OpenSSH's monitor pattern: an ssh worker holds the client connection
 * and checks its signatures; the supervisor holds the keys and decides.
 * For each key a client offers, the worker sends `auth_query` (user, key
 * type, key blob, and whether the client proved it holds the key), and
 * the supervisor answers `auth_reply` from the tenants' authorized_keys
 * with the tenant's limits, or a refusal that reads the same whether the
 * user is unknown or the key wrong. The supervisor keeps its own count of
 * each session's attempts and its own record of who logged in with which
 * key (struct auth_state, in the worker record: wproc.h): nothing a
 * worker says about itself is shown as fact.
 *
 * It owns struct auth: the host keys ssh workers get in `hello`, and the
 * authorized_keys tables, both read by the supervisor only. It handles
 * the workers' `auth_query` (auth_register); a login it accepts is then
 * held to the tenant's session limit by admit.c.
 */
#ifndef IRIDIUM_AUTH_H
#define IRIDIUM_AUTH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "admit.h"
#include "authkeys.h"
#include "config.h"
#include "ctx.h"
#include "hostkey.h"
#include "msg.h"
#include "history.h"
#include "resume.h"
#include "wproc.h"

/* AUTH_MAX_TRIES and struct auth_state are in wproc.h. */
/* auth_query messages per session: a probe and a signature per try. */
#define AUTH_MAX_QUERIES	(2 * AUTH_MAX_TRIES)

struct auth {
	struct ctx	*ctx;
	struct admission *adm;		/* the tenant's session limit */
	/* loaded with the first ssh listener, kept */
	struct hostkey	 hostkeys[CONFIG_MAX_HOSTKEYS];
	size_t		 nhostkeys;
	char		*hostkey_text;	/* hello's hostkey; NULL: none */
	struct authkeys	 keys;		/* every tenant's, swapped on reload */
	struct resume	*resume;	/* detached sessions, for the login's
					   notice; NULL: none */
	struct history	*history;	/* the tenant's lines; NULL: none */
};

enum auth_verdict {
	AUTH_REFUSED,		/* answer no */
	AUTH_ACCEPTED,		/* answer yes, with the tenant's limits */
	AUTH_VIOLATION,		/* no honest worker asks this: kill it */
};

/* The table's tenant name for trusted_user_ca_keys (no tenant's). */
#define AUTH_CA_TENANT	"@ca"

/* What a decision was about, for the log. */
struct auth_note {
	char		 keyname[AUTH_KEYNAME_MAX];	/* publickey only */
	char		 fingerprint[AUTHKEYS_FPR_MAX];
	bool		 invalid_user;	/* no such tenant */
	const char	*why;		/* refusal or violation */
	/* A certificate: what it says, for the log line ("" none). */
	char		 cert[AUTH_CERT_ID_MAX + 96];	/* ID, serial, CA */
	char		 whybuf[320];	/* why, when it is made up */
};

/* What a decision needs besides the query: the time and the peer. */
struct auth_env {
	uint64_t	 now;		/* seconds since 1970 */
	const char	*peer;		/* the client's numeric address */
};

/*
 * Decide one query against the configuration's tenants and the keys
 * table, updating st and filling the reply r (a refusal is the same
 * whatever its reason). Public keys only: any other method is refused
 * and counted; so is a user other than the first one asked for, and an
 * RSA key's signature that is not rsa-sha2-256 or -512 (ssh-rsa hashes
 * with SHA-1). A certificate (keytype "...-cert-v01@openssh.com") is
 * checked here whole (cert.h): a trusted CA's valid signature, a user
 * certificate valid at env->now, naming the tenant (or one of its
 * principals), its critical options; the reply then carries its
 * force-command and no_pty. Pure: no logging, no I/O.
 */
enum auth_verdict auth_decide(const struct config *, const struct authkeys *,
		    const struct auth_env *, struct auth_state *st,
		    const struct msg_auth_query *q, struct msg_auth_reply *r,
		    struct auth_note *note);

/* sshd's name for a key type: "ED25519", "ECDSA", "RSA"; NULL if none. */
const char	*auth_keyname(const char *keytype);

void		 auth_init(struct auth *, struct ctx *, struct admission *);
/* Free the host keys and the authorized_keys tables. */
void		 auth_free(struct auth *);
/*
 * Answer the workers' `auth_query`: decide, log, reply with
 * MSG_DONTWAIT; a query that breaks the protocol kills the worker.
 */
void		 auth_register(struct auth *, struct workers *);

/*
 * Every tenant's authorized_keys into keys (empty first). A file that
 * cannot be read, or any bad line in one, is an error in errs naming its
 * file and line; the caller then keeps its old table. Returns the number
 * of errors.
 */
unsigned	 auth_keys_load(const struct config *, struct authkeys *keys,
		    struct cfg_errors *errs);
/*
 * The host keys, when cfg has an ssh listener and none are loaded yet:
 * host_key's files, or the state directory's ed25519 key (generated on
 * first start). Logs each fingerprint. Returns the number of errors.
 */
unsigned	 auth_hostkeys_load(struct auth *, const struct config *,
		    struct cfg_errors *errs);
void		 auth_hostkeys_free(struct auth *);
/* The keys and files of the authorized_keys alone (not the CAs'). */
void		 auth_keys_counts(const struct authkeys *, size_t *keys,
		    size_t *files);
/* iridiumd -t: read every authorized_keys and host_key file, keep none. */
void		 auth_check(const struct config *, struct cfg_errors *errs);
/* Whether cfg has a listener with transport ssh. */
bool		 auth_config_has_ssh(const struct config *);

#endif
