/*
 * test_cert.c: OpenSSH certificates as iridiumd checks them (cert.h),
 * on certificates ssh-keygen made (the fuzz_cert seeds): every field
 * read; the CA's signature verified for ED25519, ECDSA and RSA CAs and
 * refused once any signed byte changes; every truncation and any byte
 * added refused with a reason; the policy's each rule at its edges
 * (validity and clock skew, principals, host certificates, source-address
 * for IPv4 and IPv6, force-command, unknown critical options, permit-pty).
 */
#include <criterion/criterion.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cert.h"

static unsigned char	 blob[CERT_BLOB_MAX + 16];
static size_t		 bloblen;
static struct cert	 c;
static char		 err[512];

/* 2023-01-01 and 2030-01-01, UTC: the seeds' validity, where they have one. */
#define Y2023	1672531200ULL
#define Y2030	1893456000ULL
#define MID	1800000000ULL

/* Read seed name into blob and parse it; asserts that it parses. */
static void
seed(const char *name)
{
	char	 path[512];
	FILE	*f;

	snprintf(path, sizeof(path), "%s/tests/fuzz/corpus/fuzz_cert/%s",
	    getenv("IRIDIUM_SRC") != NULL ? getenv("IRIDIUM_SRC") : ".", name);
	cr_assert_not_null(f = fopen(path, "rb"), "%s", path);
	bloblen = fread(blob, 1, sizeof(blob), f);
	fclose(f);
	cr_assert_gt(bloblen, 100);
	cr_assert_eq(cert_parse(&c, blob, bloblen, err, sizeof(err)), 0,
	    "%s: %s", name, err);
}

static int
check(uint64_t now, const char *who, const char *peer, struct cert_grant *g)
{
	const char *const	 wanted[] = { who };

	err[0] = '\0';
	return cert_check(&c, now, 60, wanted, 1, peer, g, err, sizeof(err));
}

Test(cert, an_ed25519_user_certificate_is_read_field_by_field)
{
	struct cert_grant	 g;

	seed("ed25519_user_two_principals");
	cr_assert_str_eq(c.certtype, "ssh-ed25519-cert-v01@openssh.com");
	cr_assert_str_eq(c.keytype, "ssh-ed25519");
	cr_assert_eq(c.keylen, 4 + 11 + 4 + 32);
	cr_assert_eq(c.serial, 1);
	cr_assert_eq(c.type, CERT_TYPE_USER);
	cr_assert_eq(c.key_id.n, strlen("ed25519-user"));
	cr_assert_eq(memcmp(c.key_id.p, "ed25519-user", c.key_id.n), 0);
	cr_assert_eq(c.nprincipals, 2);
	cr_assert_eq(c.noptions, 0);
	cr_assert_eq(c.nextensions, 5, "ssh-keygen's default extensions");
	cr_assert_eq(cert_verify(&c, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(check(MID, "alice", "127.0.0.1", &g), 0, "%s", err);
	cr_assert_eq(check(MID, "dev", "127.0.0.1", &g), 0, "%s", err);
	cr_assert_str_eq(g.force_command, "");
	cr_assert(!g.no_pty, "permit-pty is among the defaults");
	cr_assert_eq(check(MID, "bob", "127.0.0.1", &g), -1);
	cr_assert_str_eq(err, "certificate names no principal of this tenant");
}

Test(cert, validity_holds_to_the_second_with_the_clock_skew)
{
	struct cert_grant	 g;
	uint64_t		 after, before;

	seed("ed25519_user_two_principals");
	after = c.valid_after;
	before = c.valid_before;
	/* ssh-keygen reads the dates in its local time zone. */
	cr_assert_lt(after > Y2023 ? after - Y2023 : Y2023 - after, 86400);
	cr_assert_lt(before > Y2030 ? before - Y2030 : Y2030 - before, 86400);
	cr_assert_eq(check(after - 60, "dev", "127.0.0.1", &g), 0, "%s", err);
	cr_assert_eq(check(after - 61, "dev", "127.0.0.1", &g), -1);
	cr_assert_not_null(strstr(err, "not yet valid (valid from "), "%s",
	    err);
	cr_assert_eq(check(before + 59, "dev", "127.0.0.1", &g), 0, "%s", err);
	cr_assert_eq(check(before + 60, "dev", "127.0.0.1", &g), -1);
	cr_assert_not_null(strstr(err, "certificate expired (valid until "),
	    "%s", err);
	/* always:forever */
	seed("ecdsa256_by_rsa_ca");
	cr_assert_eq(check(0, "dev", "127.0.0.1", &g), 0, "%s", err);
	cr_assert_eq(check(UINT64_MAX - 60, "dev", "127.0.0.1", &g), 0, "%s",
	    err);
}

Test(cert, each_ca_type_verifies_and_any_changed_byte_breaks_it)
{
	static const char *const seeds[] = {
		"ed25519_user_two_principals",	/* ed25519 CA */
		"ecdsa256_by_rsa_ca",		/* RSA CA, rsa-sha2-512 */
		"rsa_by_ecdsa384_ca",		/* nistp384 CA */
		"ecdsa384_source_address_force_command",
		"ecdsa521_unknown_critical_option",
		"rsa_host_certificate",
	};
	size_t	 i, off;

	for (i = 0; i < sizeof(seeds) / sizeof(seeds[0]); i++) {
		seed(seeds[i]);
		cr_assert_eq(cert_verify(&c, err, sizeof(err)), 0, "%s: %s",
		    seeds[i], err);
		/* A bit flipped in the signed part (key, key ID, validity):
		 * the blob may still parse, never verify. */
		for (off = 40; off < c.signed_len; off += 37) {
			seed(seeds[i]);
			blob[off] ^= 0x01;
			if (cert_parse(&c, blob, bloblen, err,
			    sizeof(err)) == 0)
				cr_assert_eq(cert_verify(&c, err, sizeof(err)),
				    -1, "%s: byte %zu changed, still verifies",
				    seeds[i], off);
		}
	}
	seed("ecdsa256_by_rsa_ca");
	cr_assert_str_eq(c.keytype, "ecdsa-sha2-nistp256");
	seed("rsa_by_ecdsa384_ca");
	cr_assert_str_eq(c.keytype, "ssh-rsa");
}

Test(cert, every_truncation_and_any_trailing_byte_is_refused)
{
	size_t	 n, full;

	seed("ecdsa384_source_address_force_command");
	full = bloblen;
	for (n = 0; n < full; n++) {
		err[0] = '\0';
		cr_assert_eq(cert_parse(&c, blob, n, err, sizeof(err)), -1,
		    "%zu of %zu bytes taken", n, full);
		cr_assert_neq(err[0], '\0');
	}
	blob[full] = 0;
	cr_assert_eq(cert_parse(&c, blob, full + 1, err, sizeof(err)), -1);
	cr_assert_str_eq(err, "1 bytes after the signature");
	cr_assert_eq(cert_parse(&c, blob, CERT_BLOB_MAX + 1, err, sizeof(err)),
	    -1);
	cr_assert_not_null(strstr(err, "too large"), "%s", err);
	/* A plain key is no certificate. */
	memcpy(blob, "\0\0\0\x0bssh-ed25519", 15);
	cr_assert_eq(cert_parse(&c, blob, 15, err, sizeof(err)), -1);
	cr_assert_str_eq(err, "not a certificate type taken here");
}

Test(cert, source_address_and_force_command_are_read_and_held)
{
	struct cert_grant	 g;

	seed("ecdsa384_source_address_force_command");
	cr_assert_eq(c.noptions, 2);
	cr_assert_eq(check(MID, "dev", "127.0.0.1", &g), 0, "%s", err);
	cr_assert_str_eq(g.force_command, "!help");
	cr_assert_eq(check(MID, "dev", "2001:db8:ffff::1", &g), 0, "%s", err);
	cr_assert_eq(check(MID, "dev", "127.0.0.2", &g), -1);
	cr_assert_str_eq(err, "source-address does not include 127.0.0.2");
	cr_assert_eq(check(MID, "dev", "2001:db9::1", &g), -1);
	cr_assert_eq(check(MID, "dev", "::ffff:10.0.0.1", &g), -1);
	cr_assert_eq(check(MID, "dev", "not-an-address", &g), -1);
}

Test(cert, unknown_critical_options_and_host_certificates_are_refused)
{
	struct cert_grant	 g;

	seed("ecdsa521_unknown_critical_option");
	cr_assert_eq(check(MID, "dev", "127.0.0.1", &g), -1);
	cr_assert_str_eq(err, "unknown critical option x-unknown");
	cr_assert_eq(c.nextensions, 1, "-O clear -O permit-pty");
	seed("rsa_host_certificate");
	cr_assert_eq(c.type, CERT_TYPE_HOST);
	cr_assert_eq(check(MID, "host.example", "127.0.0.1", &g), -1);
	cr_assert_str_eq(err, "a host certificate, not a user certificate");
	/* ssh-keygen's default extensions permit a pty. */
	seed("rsa_by_ecdsa384_ca");
	cr_assert_eq(check(MID, "dev", "127.0.0.1", &g), 0, "%s", err);
	cr_assert(!g.no_pty);
}

Test(cert, certificate_types_are_told_by_their_suffix)
{
	cr_assert(cert_is_certtype("ssh-ed25519-cert-v01@openssh.com"));
	cr_assert(cert_is_certtype("ssh-rsa-cert-v01@openssh.com"));
	cr_assert(!cert_is_certtype("ssh-ed25519"));
	cr_assert(!cert_is_certtype("-cert-v01@openssh.com"));
}
