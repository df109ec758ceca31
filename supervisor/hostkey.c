/*
 * hostkey.c: reading and making the ssh host keys (see hostkey.h).
 *
 * libssh does the key work (parsing every format OpenSSH writes,
 * generating ed25519, the OpenSSH private key format, the SHA256
 * fingerprint); this file adds what a daemon needs around it: the file
 * checks sshd makes, a size bound, an atomic first-start write that never
 * replaces an existing key, and the text a worker's `hello` carries.
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bsd/string.h>
#include <libssh/libssh.h>

#include "authkeys.h"
#include "hostkey.h"
#include "msg.h"

#define HOSTKEY_RSA_MIN	3072	/* bits; ssh-audit fails less */

#define FAIL(...)	do {						\
		snprintf(err, errlen, __VA_ARGS__);			\
		return -1;						\
	} while (0)

void
hostkey_free(struct hostkey *k)
{
	if (k->pem != NULL) {
		explicit_bzero(k->pem, strlen(k->pem));
		ssh_string_free_char(k->pem);
	}
	ssh_string_free_char(k->pub);
	free(k->path);
	memset(k, 0, sizeof(*k));
}

/* The whole file, NUL-terminated, if it is a private key file we take. */
static char *
hostkey_read(const char *path, char *err, size_t errlen)
{
	struct stat	 st;
	char		*text;
	ssize_t		 n;
	size_t		 got = 0;
	int		 fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)) == -1) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return NULL;
	}
	if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode)) {
		snprintf(err, errlen, "%s: not a regular file", path);
		close(fd);
		return NULL;
	}
	if ((st.st_mode & 077) != 0) {
		snprintf(err, errlen, "%s: permissions %04o are too open: a "
		    "private key must not be accessible by group or others "
		    "(chmod 600)", path, (unsigned)(st.st_mode & 07777));
		close(fd);
		return NULL;
	}
	if (st.st_size <= 0 || st.st_size > MSG_KEY_MAX) {
		snprintf(err, errlen, "%s: %lld bytes: not a host key (at most "
		    "%d)", path, (long long)st.st_size, MSG_KEY_MAX);
		close(fd);
		return NULL;
	}
	if ((text = malloc((size_t)st.st_size + 1)) == NULL) {
		snprintf(err, errlen, "%s: out of memory", path);
		close(fd);
		return NULL;
	}
	while (got < (size_t)st.st_size &&
	    (n = read(fd, text + got, (size_t)st.st_size - got)) != 0) {
		if (n == -1) {
			if (errno == EINTR)
				continue;
			snprintf(err, errlen, "%s: %s", path, strerror(errno));
			explicit_bzero(text, got);
			free(text);
			close(fd);
			return NULL;
		}
		got += (size_t)n;
	}
	close(fd);
	text[got] = '\0';
	return text;
}

/*
 * k from key, imported from text: its type checked, the private key text
 * hello carries, the public key and fingerprint.
 */
static int
hostkey_fill(struct hostkey *k, ssh_key key, const char *text, char *err,
    size_t errlen)
{
	enum ssh_keytypes_e	 type = ssh_key_type(key);
	unsigned char		*hash = NULL;
	size_t			 hlen = 0;
	char			*b64 = NULL, *fp;
	int			 bits;

	switch (type) {
	case SSH_KEYTYPE_ED25519:
	case SSH_KEYTYPE_ECDSA_P256:
	case SSH_KEYTYPE_ECDSA_P384:
	case SSH_KEYTYPE_ECDSA_P521:
		break;
	case SSH_KEYTYPE_RSA:
		if (ssh_pki_export_pubkey_base64(key, &b64) != SSH_OK ||
		    b64 == NULL)
			FAIL("%s: cannot export the public key", k->path);
		bits = authkeys_rsa_bits(b64);
		ssh_string_free_char(b64);
		b64 = NULL;
		if (bits < HOSTKEY_RSA_MIN)
			FAIL("%s: an RSA key of %d bits: at least %d are "
			    "needed", k->path, bits, HOSTKEY_RSA_MIN);
		break;
	default:
		FAIL("%s: key type %s is not served (ed25519, ECDSA or RSA)",
		    k->path, ssh_key_type_to_char(type));
	}
	strlcpy(k->type, ssh_key_type_to_char(type), sizeof(k->type));
	/*
	 * libssh's own export: the form its import in the worker reads. It
	 * cannot export an RSA key read from OpenSSH's format (what
	 * ssh-keygen writes by default); the text it read is then what the
	 * worker's identical import reads too.
	 */
	if (ssh_pki_export_privkey_base64(key, NULL, NULL, NULL, &k->pem) !=
	    SSH_OK || k->pem == NULL) {
		k->pem = NULL;
		if ((k->pem = strdup(text)) == NULL)
			FAIL("%s: cannot export the private key", k->path);
	}
	if (strlen(k->pem) > MSG_KEY_MAX)
		FAIL("%s: the key is too long for a message", k->path);
	if (ssh_pki_export_pubkey_base64(key, &b64) != SSH_OK || b64 == NULL)
		FAIL("%s: cannot export the public key", k->path);
	if (asprintf(&k->pub, "%s %s", k->type, b64) == -1) {
		k->pub = NULL;
		ssh_string_free_char(b64);
		FAIL("%s: out of memory", k->path);
	}
	ssh_string_free_char(b64);
	if (ssh_get_publickey_hash(key, SSH_PUBLICKEY_HASH_SHA256, &hash,
	    &hlen) != SSH_OK)
		FAIL("%s: cannot hash the public key", k->path);
	fp = ssh_get_fingerprint_hash(SSH_PUBLICKEY_HASH_SHA256, hash, hlen);
	ssh_clean_pubkey_hash(&hash);
	if (fp == NULL)
		FAIL("%s: cannot format the fingerprint", k->path);
	strlcpy(k->fingerprint, fp, sizeof(k->fingerprint));
	ssh_string_free_char(fp);
	return 0;
}

int
hostkey_load(struct hostkey *k, const char *path, char *err, size_t errlen)
{
	ssh_key	 key = NULL;
	char	*text;
	int	 rv;

	memset(k, 0, sizeof(*k));
	if ((k->path = strdup(path)) == NULL)
		FAIL("%s: out of memory", path);
	if ((text = hostkey_read(path, err, errlen)) == NULL) {
		hostkey_free(k);
		return -1;
	}
	rv = ssh_pki_import_privkey_base64(text, NULL, NULL, NULL, &key);
	if (rv != SSH_OK || key == NULL) {
		explicit_bzero(text, strlen(text));
		free(text);
		snprintf(err, errlen, "%s: not an unencrypted private key "
		    "(OpenSSH or PEM format)", path);
		hostkey_free(k);
		return -1;
	}
	rv = hostkey_fill(k, key, text, err, errlen);
	explicit_bzero(text, strlen(text));
	free(text);
	ssh_key_free(key);
	if (rv == -1)
		hostkey_free(k);
	return rv;
}

/* Write text to path, created with mode; never replaces a file. */
static int
hostkey_write(const char *path, const char *text, mode_t mode, char *err,
    size_t errlen)
{
	size_t	 len = strlen(text), off = 0;
	ssize_t	 n;
	int	 fd;

	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
	    mode);
	if (fd == -1)
		FAIL("%s: %s", path, strerror(errno));
	while (off < len) {
		if ((n = write(fd, text + off, len - off)) == -1) {
			if (errno == EINTR)
				continue;
			snprintf(err, errlen, "%s: %s", path, strerror(errno));
			close(fd);
			unlink(path);
			return -1;
		}
		off += (size_t)n;
	}
	/* umask may have taken bits away, never added: set them exactly. */
	if (fchmod(fd, mode) == -1 || fsync(fd) == -1) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		close(fd);
		unlink(path);
		return -1;
	}
	if (close(fd) == -1) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		unlink(path);
		return -1;
	}
	return 0;
}

/*
 * A fresh ed25519 key at path, made under a temporary name and linked
 * into place, so a crash never leaves half a key and a key that appeared
 * meanwhile is kept (EEXIST: the caller loads it).
 */
static int
hostkey_generate(const char *path, char *err, size_t errlen)
{
	ssh_key	 key = NULL;
	char	*pem = NULL, *b64 = NULL, *tmp = NULL, *pubpath = NULL;
	char	*pubtext = NULL;
	int	 rv = -1;

	if (ssh_pki_generate(SSH_KEYTYPE_ED25519, 0, &key) != SSH_OK)
		FAIL("%s: cannot generate an ed25519 key", path);
	if (ssh_pki_export_privkey_base64(key, NULL, NULL, NULL, &pem) !=
	    SSH_OK || ssh_pki_export_pubkey_base64(key, &b64) != SSH_OK) {
		snprintf(err, errlen, "%s: cannot export the new key", path);
		goto out;
	}
	if (asprintf(&tmp, "%s.tmp.%ld", path, (long)getpid()) == -1 ||
	    asprintf(&pubpath, "%s.pub", path) == -1 ||
	    asprintf(&pubtext, "ssh-ed25519 %s iridiumd\n", b64) == -1) {
		tmp = pubpath = pubtext = NULL;
		snprintf(err, errlen, "%s: out of memory", path);
		goto out;
	}
	(void)unlink(tmp);
	if (hostkey_write(tmp, pem, 0600, err, errlen) == -1)
		goto out;
	if (link(tmp, path) == -1) {
		if (errno == EEXIST)
			rv = 0;		/* someone else's: load that one */
		else
			snprintf(err, errlen, "%s: %s", path, strerror(errno));
		(void)unlink(tmp);
		goto out;
	}
	(void)unlink(tmp);
	/* The .pub is a convenience (known_hosts lines): replace it. */
	(void)unlink(pubpath);
	if (hostkey_write(pubpath, pubtext, 0644, err, errlen) == -1)
		goto out;
	rv = 1;
out:
	if (pem != NULL) {
		explicit_bzero(pem, strlen(pem));
		ssh_string_free_char(pem);
	}
	ssh_string_free_char(b64);
	free(tmp);
	free(pubpath);
	free(pubtext);
	ssh_key_free(key);
	return rv;
}

int
hostkey_ensure(struct hostkey *k, const char *statedir, char *err,
    size_t errlen)
{
	struct stat	 st;
	char		*path;
	int		 made = 0, rv;

	memset(k, 0, sizeof(*k));
	if (stat(statedir, &st) == -1)
		FAIL("state directory %s: %s", statedir, strerror(errno));
	if (!S_ISDIR(st.st_mode))
		FAIL("state directory %s: not a directory", statedir);
	if (asprintf(&path, "%s/%s", statedir, HOSTKEY_DEFAULT_NAME) == -1)
		FAIL("%s: out of memory", statedir);
	if (lstat(path, &st) == -1) {
		if (errno != ENOENT) {
			snprintf(err, errlen, "%s: %s", path, strerror(errno));
			free(path);
			return -1;
		}
		if ((made = hostkey_generate(path, err, errlen)) == -1) {
			free(path);
			return -1;
		}
	}
	rv = hostkey_load(k, path, err, errlen);
	free(path);
	if (rv == 0)
		k->generated = made == 1;
	return rv;
}

char *
hostkey_hello(const struct hostkey *keys, size_t n, char *err,
    size_t errlen)
{
	size_t	 i, len = 0;
	bool	 ed25519 = false;
	char	*text;

	for (i = 0; i < n; i++) {
		if (strcmp(keys[i].type, "ssh-ed25519") == 0)
			ed25519 = true;
		len += strlen(keys[i].pem) + 1;
	}
	if (!ed25519) {
		snprintf(err, errlen, "no ed25519 host key among the %zu "
		    "given: one is required", n);
		return NULL;
	}
	if (len > MSG_KEY_MAX) {
		snprintf(err, errlen, "the host keys take %zu bytes: more "
		    "than a message carries (%d)", len, MSG_KEY_MAX);
		return NULL;
	}
	if ((text = calloc(1, len + 1)) == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	for (i = 0; i < n; i++) {
		strlcat(text, keys[i].pem, len + 1);
		if (text[strlen(text) - 1] != '\n')
			strlcat(text, "\n", len + 1);
	}
	return text;
}

/* --- the algorithm lists ------------------------------------------------- */

bool
hostkey_libssh_has(enum sshalgo_kind k, const char *name)
{
	static const enum ssh_options_e opt[SSHALGO_NKINDS] = {
		[SSHALGO_KIND_KEX] = SSH_OPTIONS_KEY_EXCHANGE,
		[SSHALGO_KIND_CIPHER] = SSH_OPTIONS_CIPHERS_S_C,
		[SSHALGO_KIND_MAC] = SSH_OPTIONS_HMAC_S_C,
		[SSHALGO_KIND_HOSTKEY] = SSH_OPTIONS_HOSTKEYS,
	};
	ssh_session	 s;
	bool		 ok;

	/* libssh refuses a list of which it knows no algorithm. */
	if ((s = ssh_new()) == NULL)
		return false;
	ok = ssh_options_set(s, opt[k], name) == SSH_OK;
	ssh_free(s);
	return ok;
}

/* The key type an algorithm signs with: rsa-sha2-* with ssh-rsa keys. */
static const char *
algo_keytype(const char *algo, size_t len)
{
	if (len > 8 && strncmp(algo, "rsa-sha2-", 9) == 0)
		return "ssh-rsa";
	return NULL;
}

size_t
hostkey_algos_usable(const struct hostkey *keys, size_t n, const char *list,
    char *first_unusable, size_t len)
{
	const char	*p = list, *e, *type;
	size_t		 i, l, usable = 0;
	bool		 found;

	if (first_unusable != NULL && len > 0)
		first_unusable[0] = '\0';
	for (; *p != '\0'; p = *e == ',' ? e + 1 : e) {
		e = p + strcspn(p, ",");
		l = (size_t)(e - p);
		type = algo_keytype(p, l);
		found = false;
		for (i = 0; i < n && !found; i++)
			found = type != NULL ? strcmp(keys[i].type, type) == 0 :
			    strlen(keys[i].type) == l &&
			    strncmp(keys[i].type, p, l) == 0;
		if (found)
			usable++;
		else if (first_unusable != NULL && len > 0 &&
		    first_unusable[0] == '\0')
			snprintf(first_unusable, len, "%.*s", (int)l, p);
	}
	return usable;
}
