/*
 * fuzz_history.c: libFuzzer target for iridiumd's reading of a tenant's
 * history file (history_parse, history.h), bytes from the state
 * directory that anyone with write access there could have spoiled. A
 * file that parses must hold, from the start it gives, at most keep lines
 * within MSG_HISTORY_BYTES that pass the message's own rules, so the
 * supervisor can always send what it read.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "history.h"
#include "msg.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const unsigned	 keeps[] = { 1, 2, 500, MSG_HISTORY_KEEP_MAX };
	const char		*p = (const char *)data;
	char			 err[128];
	size_t			 start, i, n;
	unsigned		 k;

	for (k = 0; k < sizeof(keeps) / sizeof(keeps[0]); k++) {
		err[0] = '\0';
		if (history_parse(p, size, keeps[k], &start, err,
		    sizeof(err)) == -1) {
			if (err[0] == '\0')
				abort();	/* an error says why */
			continue;
		}
		if (start > size || (start < size && (start > 0 &&
		    p[start - 1] != '\n')))
			abort();
		if (start == size)
			continue;
		if (size - start - 1 > MSG_HISTORY_BYTES)
			abort();
		for (i = start, n = 0; i < size; i++)
			n += p[i] == '\n';
		if (n > keeps[k])
			abort();
		if (!msg_history_ok(p + start, size - start - 1, 1, err,
		    sizeof(err)))
			abort();
	}
	return 0;
}
