/*
 * sshalgo.h: the SSH algorithms the ssh worker may offer, the one list.
 *
 * Four kinds, each an X-macro in the default order of preference: the
 * key exchange methods, the ciphers, the MACs and the host key
 * algorithms. The reach is that of OpenSSH 9.2's sshd by default, minus
 * what ssh-audit 2.5 rates a failure or flags (SHA-1, NIST curves for the
 * key exchange, CBC, `ssh-rsa` signatures). The config keys
 * [daemon] ssh_kex, ssh_ciphers, ssh_macs and ssh_hostkey_algorithms
 * choose from these lists (sshd's syntax: a list, or +, - or ^ before one;
 * sshalgo_resolve), `hello` carries the result to ssh workers, the
 * `negotiated` message's names must be on them, and the status document
 * counts sessions by them. The *_REFUSED lists name what libssh has but
 * we never offer, with the reason a config error gives.
 *
 * The host key algorithms are offered only for host keys that exist:
 * ssh-ed25519 always, ecdsa-sha2-* and rsa-sha2-* when [daemon] host_key
 * names such keys.
 */
#ifndef IRIDIUM_SSHALGO_H
#define IRIDIUM_SSHALGO_H

#include <stdbool.h>
#include <stddef.h>

/*
 * X(name) in the default order, S between two (a comma for the default
 * list as one string, nothing for an array).
 */
#define SSHALGO_KEX(X, S)						\
	X("curve25519-sha256") S				\
	X("curve25519-sha256@libssh.org") S			\
	X("diffie-hellman-group16-sha512") S			\
	X("diffie-hellman-group18-sha512") S			\
	X("diffie-hellman-group14-sha256")

#define SSHALGO_CIPHER(X, S)						\
	X("chacha20-poly1305@openssh.com") S			\
	X("aes256-gcm@openssh.com") S				\
	X("aes128-gcm@openssh.com") S				\
	X("aes256-ctr") S					\
	X("aes192-ctr") S					\
	X("aes128-ctr")

#define SSHALGO_MAC(X, S)						\
	X("hmac-sha2-256-etm@openssh.com") S			\
	X("hmac-sha2-512-etm@openssh.com") S			\
	X("hmac-sha2-256") S					\
	X("hmac-sha2-512")

#define SSHALGO_HOSTKEY(X, S)						\
	X("ssh-ed25519") S					\
	X("ecdsa-sha2-nistp256") S				\
	X("ecdsa-sha2-nistp384") S				\
	X("ecdsa-sha2-nistp521") S				\
	X("rsa-sha2-512") S					\
	X("rsa-sha2-256")

/*
 * The signatures a client may make with its key, as auth_query names
 * them: X(name). ssh-rsa is there so that it can be named and refused.
 */
#define SSHALGO_USER_SIGS(X)						\
	X("ssh-ed25519")						\
	X("sk-ssh-ed25519@openssh.com")					\
	X("ecdsa-sha2-nistp256")					\
	X("ecdsa-sha2-nistp384")					\
	X("ecdsa-sha2-nistp521")					\
	X("sk-ecdsa-sha2-nistp256@openssh.com")				\
	X("rsa-sha2-256")						\
	X("rsa-sha2-512")						\
	X("ssh-rsa")

/* X(name, why): known, never offered. */
#define SSHALGO_KEX_REFUSED(X)						\
	X("diffie-hellman-group14-sha1", "it hashes with SHA-1")	\
	X("diffie-hellman-group1-sha1", "it hashes with SHA-1 in a "	\
	    "1024-bit group")						\
	X("diffie-hellman-group-exchange-sha1", "it hashes with SHA-1")	\
	X("diffie-hellman-group-exchange-sha256", "the server side "	\
	    "needs a moduli file, which the sandboxed worker cannot read") \
	X("ecdh-sha2-nistp256", "ssh-audit flags its NIST curve")	\
	X("ecdh-sha2-nistp384", "ssh-audit flags its NIST curve")	\
	X("ecdh-sha2-nistp521", "ssh-audit flags its NIST curve")	\
	X("sntrup761x25519-sha512@openssh.com", "libssh 0.10 lacks it")

#define SSHALGO_CIPHER_REFUSED(X)					\
	X("aes128-cbc", "CBC mode fails ssh-audit")			\
	X("aes192-cbc", "CBC mode fails ssh-audit")			\
	X("aes256-cbc", "CBC mode fails ssh-audit")			\
	X("3des-cbc", "CBC mode and 3DES fail ssh-audit")		\
	X("none", "it does not encrypt")

#define SSHALGO_MAC_REFUSED(X)						\
	X("hmac-sha1", "it hashes with SHA-1")				\
	X("hmac-sha1-etm@openssh.com", "it hashes with SHA-1")		\
	X("hmac-md5", "it hashes with MD5")				\
	X("none", "it does not authenticate")

#define SSHALGO_HOSTKEY_REFUSED(X)					\
	X("ssh-rsa", "its signatures hash with SHA-1")			\
	X("ssh-dss", "DSA keys fail ssh-audit")

enum sshalgo_kind {
	SSHALGO_KIND_KEX,
	SSHALGO_KIND_CIPHER,
	SSHALGO_KIND_MAC,
	SSHALGO_KIND_HOSTKEY,
	SSHALGO_NKINDS
};

/* The default lists, as the config writes them. */
#define SSHALGO_JOIN(n)		n
#define SSHALGO_KEX_DEFAULT	SSHALGO_KEX(SSHALGO_JOIN, ",")
#define SSHALGO_CIPHER_DEFAULT	SSHALGO_CIPHER(SSHALGO_JOIN, ",")
#define SSHALGO_MAC_DEFAULT	SSHALGO_MAC(SSHALGO_JOIN, ",")
#define SSHALGO_HOSTKEY_DEFAULT	SSHALGO_HOSTKEY(SSHALGO_JOIN, ",")

#define SSHALGO_NAME_MAX	40	/* the longest name, and more */
#define SSHALGO_KIND_MAX	8	/* names of one kind, at most */
#define SSHALGO_LIST_MAX	256	/* a resolved list, comma separated */

/* The names of a kind, NULL-terminated, in the default order. */
const char *const *sshalgo_names(enum sshalgo_kind);
/* Their number. */
size_t		 sshalgo_count(enum sshalgo_kind);
/* The default list, comma separated. */
const char	*sshalgo_default(enum sshalgo_kind);
/* "key exchange", "cipher", "MAC", "host key algorithm". */
const char	*sshalgo_kind_words(enum sshalgo_kind);
/* name's position in its kind's list, or -1. */
int		 sshalgo_index(enum sshalgo_kind, const char *name, size_t len);
/* Why name is never offered, when it is a known refused one; or NULL. */
const char	*sshalgo_refused(enum sshalgo_kind, const char *name);

/*
 * A list as the config writes it, in sshd's syntax: names separated by
 * commas (the whole list), or the default list changed by a first
 * character: "+a,b" appends, "-a,b" removes, "^a,b" puts first. With
 * append, value continues the list in out (a continuation line: names
 * only). The result goes to out, comma separated, each name once.
 * Returns 0, or -1 with err: an unknown or refused name, an empty
 * result, a name twice.
 */
int		 sshalgo_resolve(enum sshalgo_kind, const char *value,
		    bool append, char *out, size_t outlen, char *err,
		    size_t errlen);
/* Whether name is one of SSHALGO_USER_SIGS. */
bool		 sshalgo_user_sig_ok(const char *name);
/* Whether list is a non-empty comma-separated list of distinct names of
 * the kind (what hello carries). */
bool		 sshalgo_list_ok(enum sshalgo_kind, const char *list);

#endif
