/*
 * test_krl.c: revoked_keys as iridiumd reads it (krl.h), from files
 * ssh-keygen wrote: KRLs revoking serials (one by one, ranges, and the
 * bitmaps ssh-keygen packs runs into), key IDs, keys and their SHA1 and
 * SHA256 fingerprints, and plain lists of public keys; a revoked CA key
 * refusing every certificate it signed; each truncation of a KRL refused;
 * a bad list naming its line, the bytes it quotes escaped (a fuzz_krl
 * finding: the key type went into the message raw).
 */
#include <criterion/criterion.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "authkeys.h"
#include "cert.h"
#include "krl.h"

static char		 dir[64];
static struct krl	 k;
static char		 err[512];

static void
sh(const char *body)
{
	char	 cmd[2048];

	snprintf(cmd, sizeof(cmd), "cd %s && %s", dir, body);
	cr_assert_eq(system(cmd), 0, "%s", cmd);
}

static unsigned char *
slurp(const char *name, size_t *n)
{
	char		 path[256];
	unsigned char	*p;
	FILE		*f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	cr_assert_not_null(f = fopen(path, "rb"), "%s", path);
	cr_assert_not_null(p = malloc(1 << 20));
	*n = fread(p, 1, 1 << 20, f);
	fclose(f);
	return p;
}

/* The certificate NAME-cert.pub into c (its blob kept in *blob). */
static void
cert_of(const char *name, struct cert *c, unsigned char **blob)
{
	unsigned char	*text, *sp;
	size_t		 n, bn;
	char		 file[64];

	snprintf(file, sizeof(file), "%s-cert.pub", name);
	text = slurp(file, &n);
	cr_assert_not_null(sp = memchr(text, ' ', n));
	sp++;
	bn = strcspn((char *)sp, " \n");
	cr_assert_not_null(*blob = authkeys_b64_decode((char *)sp, bn, &n));
	free(text);
	cr_assert_eq(cert_parse(c, *blob, n, err, sizeof(err)), 0, "%s", err);
}

/* The public key blob of NAME.pub. */
static unsigned char *
key_of(const char *name, size_t *n)
{
	unsigned char	*text, *sp, *blob;
	size_t		 len;
	char		 file[64];

	snprintf(file, sizeof(file), "%s.pub", name);
	text = slurp(file, &len);
	cr_assert_not_null(sp = memchr(text, ' ', len));
	sp++;
	cr_assert_not_null(blob = authkeys_b64_decode((char *)sp,
	    strcspn((char *)sp, " \n"), n));
	free(text);
	return blob;
}

static void
load(const char *name)
{
	char	 path[256];

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	cr_assert_eq(krl_load(&k, path, err, sizeof(err)), 0, "%s: %s", name,
	    err);
}

/* Whether NAME's certificate is revoked; what revoked it, or "". */
static const char *
revoked(const char *name)
{
	static struct cert	 c;
	unsigned char		*blob;
	const char		*why;

	cert_of(name, &c, &blob);
	why = krl_cert_revoked(&k, &c);
	free(blob);
	return why != NULL ? why : "";
}

static void
setup(void)
{
	strcpy(dir, "/tmp/iridium-krl-XXXXXX");
	cr_assert_not_null(mkdtemp(dir));
	sh("for k in ca ca2 u1 u2 u3 u4 u5 u6 u7 u8; do ssh-keygen -q -t "
	    "ed25519 -N '' -C $k -f $k || exit 1; done");
	sh("ssh-keygen -q -s ca -I one -n dev -z 5 u1.pub && "
	    "ssh-keygen -q -s ca -I two -n dev -z 15 u2.pub && "
	    "ssh-keygen -q -s ca -I bad-id -n dev -z 50 u3.pub && "
	    "ssh-keygen -q -s ca -I four -n dev -z 2004 u4.pub && "
	    "ssh-keygen -q -s ca -I five -n dev -z 2005 u5.pub && "
	    "ssh-keygen -q -s ca2 -I six -n dev -z 5 u6.pub && "
	    "ssh-keygen -q -s ca -I seven -n dev -z 7 u7.pub && "
	    "ssh-keygen -q -s ca2 -I eight -n dev -z 8 u8.pub");
	krl_init(&k);
}

static void
teardown(void)
{
	char	 cmd[128];
	int	 rc;

	krl_free(&k);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	rc = system(cmd);
	(void)rc;
}

TestSuite(krl, .init = setup, .fini = teardown);

Test(krl, serials_ranges_bitmaps_and_key_ids_revoke_per_ca)
{
	sh("(echo 'serial: 5'; echo 'serial: 10-20'; echo 'id: bad-id'; "
	    "seq 2000 2 2400 | sed 's/^/serial: /') > spec && "
	    "ssh-keygen -q -k -f r.krl -s ca.pub spec");
	load("r.krl");
	cr_assert(k.binary);
	cr_assert_str_eq(revoked("u1"), "the serial", "serial 5");
	cr_assert_str_eq(revoked("u2"), "the serial", "15, in 10-20");
	cr_assert_str_eq(revoked("u3"), "the key ID");
	cr_assert_str_eq(revoked("u4"), "the serial", "2004, in the bitmap");
	cr_assert_str_eq(revoked("u5"), "", "2005 is not in the bitmap");
	cr_assert_str_eq(revoked("u6"), "", "serial 5 of another CA");
	cr_assert_str_eq(revoked("u7"), "");
}

Test(krl, keys_and_their_fingerprints_revoke_keys_and_cas)
{
	size_t		 n;
	unsigned char	*b;

	sh("ssh-keygen -q -k -f keys.krl u7.pub ca2.pub");
	load("keys.krl");
	cr_assert_str_eq(revoked("u7"), "the key");
	cr_assert_str_eq(revoked("u8"), "the CA key");
	cr_assert_str_eq(revoked("u1"), "");
	b = key_of("u7", &n);
	cr_assert(krl_key_revoked(&k, b, n));
	free(b);
	b = key_of("u1", &n);
	cr_assert(!krl_key_revoked(&k, b, n));
	free(b);
	krl_free(&k);
	sh("echo \"hash: $(ssh-keygen -lf u7.pub | cut -d' ' -f2)\" > h && "
	    "echo \"sha1: $(cat ca2.pub)\" >> h && "
	    "ssh-keygen -q -k -f hash.krl h");
	load("hash.krl");
	cr_assert_eq(k.nsha256, 1);
	cr_assert_eq(k.nsha1, 1);
	cr_assert_str_eq(revoked("u7"), "the key", "by SHA256");
	cr_assert_str_eq(revoked("u8"), "the CA key", "by SHA1");
	cr_assert_str_eq(revoked("u2"), "");
}

Test(krl, a_plain_list_of_keys)
{
	sh("(echo '# revoked'; echo; cat u2.pub; echo '  '; cat ca2.pub) > "
	    "list");
	load("list");
	cr_assert(!k.binary);
	cr_assert_eq(k.nkeys, 2);
	cr_assert_str_eq(revoked("u2"), "the key");
	cr_assert_str_eq(revoked("u6"), "the CA key");
	cr_assert_str_eq(revoked("u1"), "");
	krl_free(&k);
	/* An empty file revokes nothing. */
	sh(": > empty");
	load("empty");
	cr_assert_eq(k.entries, 0);
}

Test(krl, a_bad_list_names_its_line_and_quotes_it_escaped)
{
	static const char bad[] = "# ok\nssh-ed25519\n";
	static const char type[] = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIKe0"
	    "3GZTru8sA88D1VrT7yTye2JIStDCSoEnH0w3VUXx\nssh-\xe7\x01 "
	    "AAAAC3NzaC1lZDI1NTE5AAAAIKe03GZTru8sA88D1VrT7yTye2JIStDCSoEnH0w3"
	    "VUXx\n";

	cr_assert_eq(krl_parse(&k, (const unsigned char *)bad, strlen(bad),
	    err, sizeof(err)), -1);
	cr_assert_str_eq(err, "line 2: a key type without key data");
	cr_assert_eq(krl_parse(&k, (const unsigned char *)type, strlen(type),
	    err, sizeof(err)), -1);
	cr_assert_str_eq(err, "line 2: the key data is not a "
	    "\"ssh-\\347\\001\" key (or too many keys)");
	cr_assert_eq(k.nkeys, 0, "nothing kept");
	cr_assert_eq(krl_parse(&k, (const unsigned char *)"a\0b", 3, err,
	    sizeof(err)), -1);
	cr_assert_str_eq(err, "neither a KRL nor a list of keys (a NUL byte)");
}

Test(krl, every_truncation_of_a_krl_is_refused)
{
	unsigned char	*p;
	size_t		 n, i, refused = 0;

	sh("(echo 'serial: 5'; echo 'id: x'; echo \"key: $(cat u7.pub)\") > "
	    "s && ssh-keygen -q -k -f t.krl -s ca.pub s");
	p = slurp("t.krl", &n);
	/* The header alone (magic .. comment) is a valid empty KRL. */
	for (i = 8; i < n; i++) {
		if (krl_parse(&k, p, i, err, sizeof(err)) == -1) {
			refused++;
			cr_assert_neq(err[0], '\0');
			cr_assert_eq(k.nkeys + k.ncas, 0);
		} else
			krl_free(&k);
	}
	cr_assert_geq(refused, n - 8 - 3, "only the cuts between sections "
	    "may parse (%zu of %zu refused)", refused, n - 8);
	p[8 + 3] = 2;		/* format version 2 */
	cr_assert_eq(krl_parse(&k, p, n, err, sizeof(err)), -1);
	cr_assert_str_eq(err, "KRL format version not 1");
	free(p);
}
