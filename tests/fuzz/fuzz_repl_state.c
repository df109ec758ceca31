/*
 * fuzz_repl_state.c: libFuzzer target for a saved REPL session read back
 * (repl_load(), repl.h): the bytes a worker receives when a session moves
 * to it, from a worker that may be hostile.
 *
 * The input is the state. Reading it must never crash, leak or trip a
 * sanitizer; a state it accepts must save back to exactly the same bytes
 * (the format is canonical: the target aborts otherwise), and the session
 * must then take commands safely: listings of everything read, a typed
 * line that runs, a fresh VM running the program read, more heap.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "repl.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static int
host_write(void *arg, const char *p, size_t n)
{
	(void)arg;
	(void)p;
	(void)n;
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const lines[] = {
		"!registers", "!program", "!symbols", "!history", "!limits",
		"load $1 #64", "aloc $1", "push $1", "nop", "!spawn",
		"!end",
	};
	struct repl_config cfg;
	struct repl_io	 io = { host_write, NULL, NULL, NULL, NULL };
	struct repl	*r;
	uint8_t		*out;
	size_t		 len, i;
	char		 err[256];

	memset(&cfg, 0, sizeof(cfg));
	cfg.budget = 5000;
	cfg.heap_bytes = 65536;
	cfg.stack_depth = 256;
	cfg.slice = 1000;
	cfg.max_load_bytes = 4096;
	cfg.history = 16;
	if ((r = repl_new(&cfg, &io)) == NULL)
		return 0;
	if (repl_load(r, data, size, err, sizeof(err)) == 0) {
		if (repl_save(r, &out, &len, err, sizeof(err)) == 0) {
			if (len != size || memcmp(out, data, len) != 0)
				abort();	/* not canonical */
			free(out);
		}
		for (i = 0; i < sizeof(lines) / sizeof(lines[0]); i++)
			if (repl_feed(r, lines[i], strlen(lines[i])) !=
			    REPL_CONTINUE)
				break;
	} else if (err[0] == '\0')
		abort();		/* a refusal must say why */
	repl_free(r);
	return 0;
}
