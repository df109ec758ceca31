/*
 * escape.c: see escape.h. libbsd's strvisx does the escaping (VIS_SAFE
 * keeps nothing dangerous: no controls, no ESC sequences for a terminal).
 */
#define LIBBSD_OPENBSD_VIS 1

#include <string.h>

#include <bsd/vis.h>

#include "escape.h"

char *
escape_untrusted(char *dst, size_t dstlen, const char *src, size_t len)
{
	char	 tmp[4 * 1024 + 1];
	size_t	 n, cut = 0;

	if (dstlen == 0)
		return dst;
	/* strvisx needs 4 bytes per input byte plus one. */
	if (len > 1024) {
		len = 1024;
		cut = 1;
	}
	strvisx(tmp, src, len, VIS_OCTAL | VIS_CSTYLE | VIS_TAB | VIS_NL);
	n = strlen(tmp);
	if (n >= dstlen) {
		n = dstlen - 1;
		cut = 1;
	}
	memcpy(dst, tmp, n);
	dst[n] = '\0';
	if (cut && dstlen > 4)
		memcpy(dst + (n > dstlen - 4 ? dstlen - 4 : n), "...", 4);
	return dst;
}
