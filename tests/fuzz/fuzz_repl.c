/*
 * fuzz_repl.c: libFuzzer target for the REPL (repl.h).
 *
 * The input is a session: its first byte picks the host's behaviour (a
 * write that fails after some bytes, a poll that interrupts), the rest is
 * split into lines at '\n' and fed one by one, as a remote client would
 * type them (one over 200 bytes is dropped by the host, as line_max
 * makes it). Small limits and caps on what one session may run and print
 * keep each run short even for 64 KiB of loops or listings. Nothing
 * may crash, leak or trip a sanitizer, whatever the bytes.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "repl.h"

/*
 * What one input may cost in total, over all its lines: instructions run
 * and bytes written (1,000 !program listings of a full image would
 * otherwise take seconds).
 */
#define FUZZ_MAX_INSNS	2000000
#define FUZZ_MAX_OUTPUT	(4 * 1024 * 1024)

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

struct host {
	size_t		 written;
	size_t		 write_limit;	/* 0: none */
	unsigned	 polls;
	unsigned	 interrupt_at;	/* 0: never */
};

static int
host_write(void *arg, const char *p, size_t n)
{
	struct host	*h = arg;

	(void)p;
	h->written += n;
	if (h->write_limit != 0 && h->written > h->write_limit)
		return -1;
	return 0;
}

static enum repl_poll
host_poll(void *arg)
{
	struct host	*h = arg;

	h->polls++;
	if (h->interrupt_at != 0 && h->polls % h->interrupt_at == 0)
		return REPL_POLL_INTERRUPT;
	return REPL_POLL_GO;
}

static void
host_limits(void *arg, struct buf *out)
{
	(void)arg;
	buf_puts(out, "fuzz host\n");
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct repl_config cfg;
	struct repl_io	 io;
	struct host	 h;
	struct repl	*r;
	struct repl_stats st;
	const char	*p, *end, *nl;
	uint8_t		 mode;

	if (size == 0)
		return 0;
	mode = data[0];
	memset(&h, 0, sizeof(h));
	if (mode & 1)
		h.write_limit = (size_t)(mode >> 1) * 32 + 1;
	if (mode & 2)
		h.interrupt_at = (mode >> 2) % 4 + 1;

	memset(&cfg, 0, sizeof(cfg));
	cfg.budget = 5000;
	cfg.heap_bytes = 4096;
	cfg.stack_depth = 256;
	cfg.slice = 1000;
	cfg.max_load_bytes = 4096;
	cfg.history = 16;
	cfg.local = 0;		/* no !load_file: no file system access */
	memset(&io, 0, sizeof(io));
	io.write = host_write;
	io.poll = host_poll;
	io.limits = host_limits;
	io.arg = &h;
	if ((r = repl_new(&cfg, &io)) == NULL)
		return 0;

	p = (const char *)data + 1;
	end = (const char *)data + size;
	while (p < end) {
		if ((nl = memchr(p, '\n', (size_t)(end - p))) == NULL)
			nl = end;
		/* A line past 200 bytes is one the host dropped (line_max). */
		if ((size_t)(nl - p) > 200 ? repl_feed_dropped(r, 200) !=
		    REPL_CONTINUE : repl_feed(r, p, (size_t)(nl - p)) !=
		    REPL_CONTINUE)
			break;
		repl_stats(r, &st);
		if (st.instructions > FUZZ_MAX_INSNS ||
		    h.written > FUZZ_MAX_OUTPUT)
			break;
		p = nl + 1;
	}
	repl_free(r);
	return 0;
}
