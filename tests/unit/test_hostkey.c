/*
 * test_hostkey.c: iridiumd's host keys (hostkey.h): generated on first
 * start with the right modes and loaded as is afterwards, keys made by
 * ssh-keygen read with the fingerprint ssh-keygen prints, and every key
 * sshd would refuse refused with the file's name and the reason.
 */
#include <criterion/criterion.h>

#include <sys/stat.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bsd/string.h>
#include <libssh/libssh.h>

#include "harness.h"
#include "hostkey.h"

static char	 dir[64];

static void
setup(void)
{
	strcpy(dir, "/tmp/iridium-hostkey-XXXXXX");
	cr_assert_not_null(mkdtemp(dir));
}

static void
teardown(void)
{
	char	 cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	cr_assert_eq(system(cmd), 0);
}

TestSuite(hostkey, .init = setup, .fini = teardown, .timeout = 30);

/* "SHA256:..." as ssh-keygen -l prints it for path. */
static void
keygen_fpr(const char *path, char *out, size_t len)
{
	char	 cmd[512], line[512];
	FILE	*f;

	snprintf(cmd, sizeof(cmd), "ssh-keygen -l -E sha256 -f %s", path);
	cr_assert_not_null(f = popen(cmd, "r"));
	cr_assert_not_null(fgets(line, sizeof(line), f));
	pclose(f);
	cr_assert_eq(sscanf(line, "%*d %511s", out), 1);
	(void)len;
}

static mode_t
mode_of(const char *path)
{
	struct stat	 st;

	cr_assert_eq(stat(path, &st), 0, "%s", path);
	return st.st_mode & 07777;
}

Test(hostkey, ensure_generates_an_ed25519_key_with_mode_0600)
{
	struct hostkey	 k;
	char		 err[512], path[256], fpr[512];

	cr_assert_eq(hostkey_ensure(&k, dir, err, sizeof(err)), 0, "%s", err);
	cr_assert(k.generated);
	cr_assert_str_eq(k.type, "ssh-ed25519");
	cr_assert_not_null(strstr(k.pem,
	    "-----BEGIN OPENSSH PRIVATE KEY-----"));
	cr_assert_eq(strncmp(k.pub, "ssh-ed25519 AAAA", 16), 0, "%s", k.pub);
	snprintf(path, sizeof(path), "%s/%s", dir, HOSTKEY_DEFAULT_NAME);
	cr_assert_eq(mode_of(path), 0600);
	cr_assert_str_eq(k.path, path);
	strlcat(path, ".pub", sizeof(path));
	cr_assert_eq(mode_of(path), 0644);
	/* ssh-keygen reads what we wrote, and agrees on the fingerprint. */
	keygen_fpr(path, fpr, sizeof(fpr));
	cr_assert_str_eq(k.fingerprint, fpr);
	hostkey_free(&k);
}

Test(hostkey, ensure_keeps_the_key_it_made)
{
	struct hostkey	 a, b;
	char		 err[512];

	cr_assert_eq(hostkey_ensure(&a, dir, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(hostkey_ensure(&b, dir, err, sizeof(err)), 0, "%s", err);
	cr_assert(a.generated);
	cr_assert_not(b.generated);
	cr_assert_str_eq(a.fingerprint, b.fingerprint);
	/* (The private text differs: each export draws new check bytes.) */
	cr_assert_str_eq(a.pub, b.pub);
	hostkey_free(&a);
	hostkey_free(&b);
}

Test(hostkey, ensure_needs_the_state_directory)
{
	struct hostkey	 k;
	char		 err[512], path[256];

	snprintf(path, sizeof(path), "%s/missing", dir);
	cr_assert_eq(hostkey_ensure(&k, path, err, sizeof(err)), -1);
	cr_assert_not_null(strstr(err, "state directory"), "%s", err);
	cr_assert_not_null(strstr(err, "No such file"), "%s", err);
}

Test(hostkey, load_reads_an_ssh_keygen_key_and_its_fingerprint)
{
	struct hostkey	 k;
	char		 err[512], path[256], fpr[512];

	snprintf(path, sizeof(path), "%s/k", dir);
	hd_sh("ssh-keygen -q -t ed25519 -N '' -C test -f %s", path);
	cr_assert_eq(hostkey_load(&k, path, err, sizeof(err)), 0, "%s", err);
	keygen_fpr(path, fpr, sizeof(fpr));
	cr_assert_str_eq(k.fingerprint, fpr);
	cr_assert_not(k.generated);
	hostkey_free(&k);
}

Test(hostkey, load_refuses_a_key_others_can_read)
{
	struct hostkey	 k;
	char		 err[512], path[256];

	snprintf(path, sizeof(path), "%s/k", dir);
	hd_sh("ssh-keygen -q -t ed25519 -N '' -f %s && chmod 644 %s", path,
	    path);
	cr_assert_eq(hostkey_load(&k, path, err, sizeof(err)), -1);
	cr_assert_not_null(strstr(err, path), "%s", err);
	cr_assert_not_null(strstr(err, "0644 are too open"), "%s", err);
}

Test(hostkey, load_refuses_an_encrypted_key_and_garbage)
{
	struct hostkey	 k;
	char		 err[512], path[256];

	snprintf(path, sizeof(path), "%s/k", dir);
	hd_sh("ssh-keygen -q -t ed25519 -N secret -f %s", path);
	cr_assert_eq(hostkey_load(&k, path, err, sizeof(err)), -1);
	cr_assert_not_null(strstr(err, "not an unencrypted private key"),
	    "%s", err);
	hd_sh("echo 'not a key' > %s && chmod 600 %s", path, path);
	cr_assert_eq(hostkey_load(&k, path, err, sizeof(err)), -1);
	cr_assert_not_null(strstr(err, "not an unencrypted private key"),
	    "%s", err);
	cr_assert_eq(hostkey_load(&k, dir, err, sizeof(err)), -1);
	cr_assert_not_null(strstr(err, "not a regular file"), "%s", err);
}

Test(hostkey, load_refuses_a_short_rsa_key)
{
	struct hostkey	 k;
	char		 err[512], path[256];

	snprintf(path, sizeof(path), "%s/k", dir);
	hd_sh("ssh-keygen -q -t rsa -b 2048 -N '' -f %s", path);
	cr_assert_eq(hostkey_load(&k, path, err, sizeof(err)), -1);
	cr_assert_not_null(strstr(err, "2048 bits: at least 3072"), "%s",
	    err);
}

Test(hostkey, hello_carries_every_key_and_needs_ed25519)
{
	struct hostkey	 k[2];
	char		 err[512], path[256], *text;

	snprintf(path, sizeof(path), "%s/e", dir);
	hd_sh("ssh-keygen -q -t ecdsa -b 256 -N '' -f %s", path);
	cr_assert_eq(hostkey_load(&k[0], path, err, sizeof(err)), 0, "%s",
	    err);
	cr_assert_str_eq(k[0].type, "ecdsa-sha2-nistp256");
	cr_assert_null(hostkey_hello(k, 1, err, sizeof(err)));
	cr_assert_not_null(strstr(err, "no ed25519 host key"), "%s", err);
	cr_assert_eq(hostkey_ensure(&k[1], dir, err, sizeof(err)), 0, "%s",
	    err);
	cr_assert_not_null(text = hostkey_hello(k, 2, err, sizeof(err)),
	    "%s", err);
	cr_assert_not_null(strstr(text, k[0].pem));
	cr_assert_not_null(strstr(text, k[1].pem));
	free(text);
	hostkey_free(&k[0]);
	hostkey_free(&k[1]);
}

Test(hostkey, the_algorithms_a_set_of_keys_can_sign_with)
{
	struct hostkey	 k[2];
	char		 first[64];

	memset(k, 0, sizeof(k));
	strcpy(k[0].type, "ssh-ed25519");
	strcpy(k[1].type, "ssh-rsa");
	cr_assert_eq(hostkey_algos_usable(k, 1, "ssh-ed25519,rsa-sha2-512,"
	    "ecdsa-sha2-nistp256", first, sizeof(first)), 1);
	cr_assert_str_eq(first, "rsa-sha2-512");
	/* An RSA key serves both rsa-sha2 algorithms. */
	cr_assert_eq(hostkey_algos_usable(k, 2, "rsa-sha2-512,rsa-sha2-256",
	    first, sizeof(first)), 2);
	cr_assert_str_eq(first, "");
	cr_assert_eq(hostkey_algos_usable(k, 1, "ecdsa-sha2-nistp384",
	    first, sizeof(first)), 0);
	cr_assert_str_eq(first, "ecdsa-sha2-nistp384");
}

Test(hostkey, load_takes_rsa_and_ecdsa_keys_as_ssh_keygen_writes_them)
{
	static const char *const how[] = { "-t rsa -b 3072",
	    "-t rsa -b 3072 -m PEM", "-t ecdsa -b 384" };
	static const char *const type[] = { "ssh-rsa", "ssh-rsa",
	    "ecdsa-sha2-nistp384" };
	struct hostkey	 k;
	char		 err[512], path[256], fpr[512];
	ssh_key		 back = NULL;
	size_t		 i;

	for (i = 0; i < sizeof(how) / sizeof(how[0]); i++) {
		snprintf(path, sizeof(path), "%s/k%zu", dir, i);
		hd_sh("ssh-keygen -q %s -N '' -C test -f %s", how[i], path);
		cr_assert_eq(hostkey_load(&k, path, err, sizeof(err)), 0,
		    "%s: %s", how[i], err);
		cr_assert_str_eq(k.type, type[i]);
		keygen_fpr(path, fpr, sizeof(fpr));
		cr_assert_str_eq(k.fingerprint, fpr);
		/* What hello carries reads back as the worker reads it. */
		cr_assert_eq(ssh_pki_import_privkey_base64(k.pem, NULL, NULL,
		    NULL, &back), SSH_OK, "%s", how[i]);
		ssh_key_free(back);
		back = NULL;
		hostkey_free(&k);
	}
}
