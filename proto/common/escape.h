/*
 * escape.h: making untrusted strings safe to print (worker log lines,
 * strings from workers in status output): every byte that is not a
 * printable ASCII character or space becomes a C-style or octal escape.
 */
#ifndef IRIDIUM_ESCAPE_H
#define IRIDIUM_ESCAPE_H

#include <stddef.h>

/*
 * Escape src[0..len) into dst (always NUL-terminated). Input that does not
 * fit is cut and marked with "...". Returns dst.
 */
char	*escape_untrusted(char *dst, size_t dstlen, const char *src,
	    size_t len);

#endif
