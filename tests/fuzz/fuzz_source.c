/*
 * fuzz_source.c: libFuzzer target for the source address parsers
 * (source.h): a `peer` address as an untrusted worker reports it from a
 * PROXY header, and an exempt range as the configuration writes it. An
 * address that parses must name itself in a form that parses back to the
 * same source; a range must match the very address it was written with.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "source.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct source_key	 k, k2;
	struct source_cidr	 c;
	char			 s[128], name[80], *slash;

	if (size >= sizeof(s))
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	if (source_key_str(&k, s) == 0) {
		source_key_name(&k, name, sizeof(name));
		/* "192.0.2.7" or "2001:db8::/64": the address part parses. */
		if ((slash = strchr(name, '/')) != NULL)
			*slash = '\0';
		if (source_key_str(&k2, name) != 0 ||
		    memcmp(&k, &k2, sizeof(k)) != 0)
			abort();
	}
	if (source_cidr_parse(&c, s) == 0) {
		if (c.prefix > 128)
			abort();
		if ((slash = strchr(s, '/')) != NULL)
			*slash = '\0';
		if (source_key_str(&k, s) == 0 && !source_cidr_match(&c, &k))
			abort();	/* a range misses its own address */
	}
	return 0;
}
