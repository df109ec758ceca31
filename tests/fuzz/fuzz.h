/*
 * fuzz.h: what the fuzz targets check alike. A string meant for a log
 * line or a client (an error, a fingerprint, a name) must be printable
 * ASCII: anything else aborts, which libFuzzer reports as a finding.
 */
#ifndef IRIDIUM_FUZZ_H
#define IRIDIUM_FUZZ_H

#include <stdlib.h>

static inline void
printable(const char *s)
{
	const unsigned char	*p;

	for (p = (const unsigned char *)s; *p != '\0'; p++)
		if (*p < 0x20 || *p > 0x7e)
			abort();
}

#endif
