/*
 * utf8.h: decoding UTF-8, strictly (no overlong forms, no surrogates,
 * nothing past U+10FFFF), for code that counts characters in untrusted
 * text: the assembler's columns, the disassembler's strings.
 */
#ifndef IRIDIUM_UTF8_H
#define IRIDIUM_UTF8_H

#include <stddef.h>
#include <stdint.h>

/*
 * The length of the valid UTF-8 sequence at p (1 to 4 bytes, with its code
 * point in *cp), or 0 when the n bytes at p start none (a caller that
 * counts columns counts such a byte as one character).
 */
size_t	utf8_decode(const uint8_t *p, size_t n, uint32_t *cp);

#endif
