/*
 * fuzz_move.c: libFuzzer target for what a worker reads after the header
 * of a session moved to it with its client (the upgrade; session.h's
 * session_move_tail): the queued output and input, the flags and the
 * counts and the client's terminal (telnet options, editor, keys
 * typed) and its recording's clock and bytes, from a writer that may be hostile. The first two bytes choose
 * the bounds (output and input allowed); the rest is the tail. Whatever
 * it accepts must lie inside the input and inside the bounds.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "record.h"
#include "session.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct move_tail	 t;
	size_t			 out_max, in_max;
	char			 err[256];

	if (size < 2)
		return 0;
	out_max = (size_t)data[0] * 64;
	in_max = (size_t)data[1] * 16;
	data += 2;
	size -= 2;
	if (session_move_tail(data, size, out_max, in_max, 1000000, &t, err,
	    sizeof(err)) == -1) {
		if (err[0] == '\0' || memchr(err, '\0', sizeof(err)) == NULL)
			abort();
		return 0;
	}
	if (t.out_len > out_max || t.in_len > in_max || t.used > size ||
	    t.out_off + t.out_len > size || t.in_off + t.in_len > size ||
	    t.out_off + t.out_len > t.in_off || t.in_off + t.in_len >= t.used ||
	    t.age_ms > 1000000 || (t.flags & ~15u) != 0)
		abort();
	/* The terminal: its keys after the fixed tail, for the editor. */
	if ((t.flags & MOVE_TAIL_TERM) != 0 && (t.keys_off + t.keys_len >
	    t.used || t.keys_off < t.in_off + t.in_len || t.keys_len >
	    2 * in_max || (t.term.flags & ~MOVE_TERM_ALL) != 0 ||
	    (t.keys_len > 0 && (t.term.flags & MOVE_TERM_EDIT) == 0)))
		abort();
	/* The recording: its bytes within its bound (a marker past it). */
	if ((t.flags & MOVE_TAIL_REC) != 0 && ((t.rec_flags & ~3u) != 0 ||
	    t.rec_age_ms > 1000000 || (t.rec_max != 0 && t.rec_used >
	    t.rec_max + RECORD_MARK_ROOM)))
		abort();
	return 0;
}
