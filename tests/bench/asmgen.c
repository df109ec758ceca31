/*
 * asmgen.c: writes the assembler benchmark's inputs (tests/bench/asm.sh)
 * to standard output: N labels whose names collide in an unkeyed FNV-1a
 * table (crafted), or N ordinary labels of the same length, through the
 * generator the unit tests use (tests/lib/crafted.c).
 *
 * usage: asmgen crafted|ordinary N
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crafted.h"

int
main(int argc, char *argv[])
{
	char	*text;
	size_t	 len;
	long	 n;

	if (argc != 3 || (strcmp(argv[1], "crafted") != 0 &&
	    strcmp(argv[1], "ordinary") != 0) ||
	    (n = strtol(argv[2], NULL, 10)) <= 0 || n > 1000000) {
		fprintf(stderr, "usage: asmgen crafted|ordinary N\n");
		return 64;
	}
	if ((text = crafted_source((unsigned)n, strcmp(argv[1], "crafted") ==
	    0, &len)) == NULL) {
		fprintf(stderr, "asmgen: out of memory\n");
		return 1;
	}
	if (fwrite(text, 1, len, stdout) != len || fflush(stdout) != 0) {
		perror("asmgen");
		return 1;
	}
	free(text);
	return 0;
}
