/*
 * fuzz_krl.c: libFuzzer target for the revoked_keys parser (krl.h): a
 * KRL as ssh-keygen -k writes it, or a list of public keys, as the file
 * holds it. A refusal must say why in printable text (`iridiumd -t` and
 * the log show it) and leave nothing behind; a parsed file's entries
 * stay within its bounds, and every check on it ends with a verdict.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "krl.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static struct cert	 c;

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const unsigned char key[] = "\0\0\0\x0bssh-ed25519\0\0\0\x20"
	    "0123456789abcdef0123456789abcdef";
	struct krl	 k;
	char		 err[512];
	size_t		 i;

	err[0] = '\0';
	if (krl_parse(&k, data, size, err, sizeof(err)) == -1) {
		if (err[0] == '\0')
			abort();	/* refused without saying why */
		printable(err);
		if (k.nkeys != 0 || k.ncas != 0 || k.entries != 0)
			abort();	/* half a table kept */
		return 0;
	}
	if (k.entries > KRL_ENTRIES_MAX + (size_t)size)
		abort();
	/* Each revoked key is revoked, as itself. */
	for (i = 0; i < k.nkeys; i++)
		if (!krl_key_revoked(&k, k.keys[i].p, k.keys[i].n))
			abort();
	(void)krl_key_revoked(&k, key, sizeof(key) - 1);
	/* A certificate by each CA, with serials at the edges. */
	memset(&c, 0, sizeof(c));
	memcpy(c.key, key, sizeof(key) - 1);
	c.keylen = sizeof(key) - 1;
	c.key_id.p = (const unsigned char *)"alice";
	c.key_id.n = 5;
	for (i = 0; i < k.ncas; i++) {
		c.ca.p = k.cas[i].ca.p;
		c.ca.n = k.cas[i].ca.n;
		c.serial = i % 2 == 0 ? 0 : UINT64_MAX;
		(void)krl_cert_revoked(&k, &c);
		if (k.cas[i].nranges > 0) {
			c.serial = k.cas[i].ranges[0].hi;
			if (k.cas[i].ca.n > 0 && krl_cert_revoked(&k, &c) ==
			    NULL)
				abort();
		}
	}
	krl_free(&k);
	return 0;
}
