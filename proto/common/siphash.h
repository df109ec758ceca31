/*
 * siphash.h: SipHash, the keyed hash of Aumasson and Bernstein, for hash
 * tables whose keys come from clients (labels in a program, source
 * addresses): under a secret random key nobody outside the process can
 * choose keys that collide. SipHash-c-d: c rounds a word, d at the end;
 * the tables use 1-3, the reference 2-4.
 */
#ifndef IRIDIUM_SIPHASH_H
#define IRIDIUM_SIPHASH_H

#include <stddef.h>
#include <stdint.h>

#define SIPHASH_KEY_LEN	16

uint64_t	siphash(const uint8_t key[SIPHASH_KEY_LEN], const void *data,
		    size_t len, int c, int d);

#endif
