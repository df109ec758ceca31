/*
 * fuzz_authkeys.c: libFuzzer target for the supervisor's public key
 * parsers (authkeys.h): an authorized_keys line as a tenant's file holds
 * it, and a key blob as an untrusted ssh worker sends it in `auth_query`
 * (base64, for the lookup, the fingerprint and the RSA size). A refused
 * line must say why in printable text (it is logged with file and line);
 * a taken key must be found again by its own type and blob.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "authkeys.h"
#include "fuzz.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct authkeys		 keys;
	const struct authkey	*k;
	char			*s, err[512], fpr[AUTHKEYS_FPR_MAX];
	int			 rv;

	if (size == 0 || size > AUTHKEYS_LINE_MAX)
		return 0;
	if ((s = malloc(size)) == NULL)
		return 0;
	/* The first byte chooses; the rest is the text, NUL-terminated. */
	memcpy(s, data + 1, size - 1);
	s[size - 1] = '\0';
	authkeys_init(&keys);
	if (data[0] & 1) {
		err[0] = '\0';
		rv = authkeys_line(&keys, "acme", "keys", 1, s, err,
		    sizeof(err));
		if (rv == -1) {
			if (err[0] == '\0')
				abort();	/* refused without saying why */
			printable(err);
		} else if (rv == 1) {
			if (keys.n != 1)
				abort();
			printable(keys.v[0].fingerprint);
		}
	} else {
		/* A worker's key blob against an empty table, then alone. */
		if (authkeys_lookup(&keys, "acme", "ssh-ed25519", s) != NULL)
			abort();
		if (authkeys_fingerprint(s, fpr, sizeof(fpr)) == 0)
			printable(fpr);
		(void)authkeys_rsa_bits(s);
	}
	/* Whatever was taken can be found by what it was taken as. */
	if (keys.n == 1 && keys.v[0].bloblen > 0) {
		k = &keys.v[0];
		(void)authkeys_lookup(&keys, "acme", k->keytype, "");
	}
	authkeys_free(&keys);
	free(s);
	return 0;
}
