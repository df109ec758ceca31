/*
 * crafted.c: sources that attack a label table (see crafted.h).
 *
 * Names are "L" and six characters of [A-Za-z0-9_], numbered in base 63;
 * the crafted ones are those of the numbered names whose hash falls in
 * the window, found by trying them in order: about CRAFTED_TABLE /
 * CRAFTED_WINDOW tries per name, so deterministic and quick.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crafted.h"

static const char crafted_chars[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_";

uint64_t
crafted_fnv(const char *p, size_t len)
{
	size_t	 h = 2166136261u;

	while (len-- > 0)
		h = (h ^ (uint8_t)*p++) * 16777619u;
	return h;
}

static void
crafted_name(uint64_t k, char *name)
{
	int	 j;

	name[0] = 'L';
	for (j = 1; j < CRAFTED_NAME; j++) {
		name[j] = crafted_chars[k % 63];
		k /= 63;
	}
	name[CRAFTED_NAME] = '\0';
}

char *
crafted_source(unsigned n, bool crafted, size_t *len)
{
	char		*text, *p, name[CRAFTED_NAME + 1];
	uint64_t	 k = 0;
	unsigned	 i;

	if ((text = malloc((size_t)n * (CRAFTED_NAME + 2) + 8)) == NULL)
		return NULL;
	p = text;
	for (i = 0; i < n; i++) {
		for (;; k++) {
			crafted_name(k, name);
			if (!crafted || (crafted_fnv(name, CRAFTED_NAME) &
			    (CRAFTED_TABLE - 1)) < CRAFTED_WINDOW)
				break;
		}
		k++;
		memcpy(p, name, CRAFTED_NAME);
		p += CRAFTED_NAME;
		*p++ = ':';
		*p++ = '\n';
	}
	memcpy(p, "hlt\n", 5);
	*len = (size_t)(p - text) + 4;
	return text;
}
