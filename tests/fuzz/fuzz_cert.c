/*
 * fuzz_cert.c: libFuzzer target for the supervisor's certificate parser
 * (cert.h), fed what an untrusted ssh worker can send in `auth_query`:
 * a certificate blob, decoded. A refusal must say why in printable text
 * (it is logged); a parsed certificate's fields must lie inside the
 * blob, its signature check and policy must end with a verdict, and the
 * key ID for the log must be printable.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cert.h"
#include "fuzz.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static struct cert	 c;

static void
inside(const struct cert_str *s, const uint8_t *data, size_t size)
{
	if (s->n > 0 && (s->p < data || s->p + s->n > data + size))
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const wanted[] = { "dev", "alice" };
	struct cert_grant	 g;
	char			 err[512], id[128];
	size_t			 i;

	err[0] = '\0';
	if (cert_parse(&c, data, size, err, sizeof(err)) == -1) {
		if (err[0] == '\0')
			abort();	/* refused without saying why */
		printable(err);
		return 0;
	}
	if (c.keylen == 0 || c.signed_len >= size || c.nprincipals >
	    CERT_PRINCIPALS_MAX || c.noptions > CERT_OPTIONS_MAX)
		abort();
	inside(&c.key_id, data, size);
	inside(&c.ca, data, size);
	inside(&c.sig, data, size);
	for (i = 0; i < c.nprincipals; i++)
		inside(&c.principals[i], data, size);
	for (i = 0; i < c.noptions; i++) {
		inside(&c.options[i].name, data, size);
		inside(&c.options[i].data, data, size);
	}
	cert_key_id(&c, id, sizeof(id));
	printable(id);
	err[0] = '\0';
	if (cert_verify(&c, err, sizeof(err)) == -1) {
		if (err[0] == '\0')
			abort();
		printable(err);
	}
	/* The policy, whether or not the signature held: every path. */
	err[0] = '\0';
	if (cert_check(&c, 1700000000, 60, wanted, 2, size & 1 ? "127.0.0.1" :
	    "2001:db8::7", &g, err, sizeof(err)) == -1) {
		if (err[0] == '\0')
			abort();
		printable(err);
	} else if (strlen(g.force_command) >= sizeof(g.force_command))
		abort();
	return 0;
}
