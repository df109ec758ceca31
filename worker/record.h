/*
 * record.h: a session's recording, the worker's side (asciicast v2).
 *
 * The supervisor opens the file, writes its header line and hands the
 * worker a descriptor open for appending (`record`); the worker cannot
 * open, move or truncate any file (sandbox.h). Here each event becomes
 * one complete JSON line, and every write(2) holds whole lines only, so
 * a worker that dies leaves a file that is valid up to its last whole
 * line:
 *
 *   [SECONDS, "o", "what the client was sent"]
 *   [SECONDS, "i", "what the client sent"]     (mode "all" only)
 *   [SECONDS, "r", "COLSxROWS"]                (a terminal's size)
 *   [SECONDS, "m", "a marker"]                 (exit status, the end)
 *
 * A line typed as "!resume TOKEN" is kept as "!resume (token)": a
 * recording is read by others, a token resumes a session (record_stop
 * keeps the other end, the token shown at !detach, out).
 *
 * SECONDS count from the `record` message. Input that comes key by key
 * is held until its line ends (LF; or another event, or 1 KiB), so a
 * line typed is one "i" event, not one per key. An input event is
 * written before the session acts on it; output events, already sent,
 * are held until the next input event (one write(2) for both), until
 * RECORD_HOLD_MS have passed (record_flush_due, around every wait of
 * the session), or RECORD_PEND_MAX bytes. Other events are written at once.
 * Bytes that are not UTF-8 are
 * written as U+FFFD; a character split between two writes is kept back
 * until its end comes. The events' bytes are bounded by the message's
 * max: the event that would pass it is replaced by a marker, one log
 * line is sent, and nothing more is recorded; the session goes on.
 */
#ifndef IRIDIUM_WORKER_RECORD_H
#define IRIDIUM_WORKER_RECORD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "msg.h"

#define RECORD_MARK_ROOM	256	/* bytes past max for the last marker */
#define RECORD_HOLD_MS		100	/* output events held at most */

struct record {
	int		 fd;		/* -1: not recorded */
	bool		 input;		/* "i" events too */
	uint64_t	 max;		/* 0: no bound */
	uint64_t	 used;		/* event bytes written */
	uint64_t	 t0;		/* session_now() at `record` */
	bool		 full;		/* past max: nothing more */
	char		 notice[MSG_TEXT_MAX + 1];
	/* A UTF-8 character begun and not finished, per event type. */
	unsigned char	 held[2][4];
	size_t		 nheld[2];
	struct buf	 line;
	struct buf	 pend;		/* whole lines not yet written */
	uint64_t	 held_since;	/* when the first of them came */
	/* Input typed key by key, held until a line end or an event. */
	struct buf	 typed;
};

/* Not recorded (yet). */
void		record_init(struct record *);
/* Recorded from now on, into fd (taken), as m says. */
void		record_start(struct record *, const struct msg_record *m,
		    int fd, uint64_t now);
static inline bool
record_on(const struct record *r)
{
	return r->fd != -1;
}
/*
 * A recording that goes on from another worker (the upgrade): fd
 * (taken), its mode, its bound and the event bytes it has used, full or
 * not; its seconds count from t0 (a time in session_now()'s clock).
 */
void		record_adopt(struct record *, int fd, bool input,
		    uint64_t max, uint64_t used, bool full, uint64_t t0);
/* Output sent to the client ('o') or its input ('i', mode all only). */
void		record_data(struct record *, char type, const void *p,
		    size_t n, uint64_t now);
/* The terminal's size. */
void		record_resize(struct record *, unsigned cols, unsigned rows,
		    uint64_t now);
/* A marker: printable text of ours. */
void		record_mark(struct record *, const char *text, uint64_t now);
/*
 * A marker, then nothing more: what follows must not be kept (a line
 * session's resume token, shown as the session detaches).
 */
void		record_stop(struct record *, const char *why, uint64_t now);
/* Write the events held now. */
void		record_flush(struct record *);
/*
 * Write the events held if they have waited RECORD_HOLD_MS; else the ms
 * until they will have (the session's next wait is no longer), or -1:
 * nothing held.
 */
int		record_flush_due(struct record *, uint64_t now);
/* The end: what is held back goes out; the fd is closed. */
void		record_end(struct record *, uint64_t now);

#endif
