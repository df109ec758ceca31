/*
 * wproc_internal.h: what wproc.c (a worker's life) and wproc_chan.c (its
 * channel) share, and no other file uses.
 */
#ifndef IRIDIUM_WPROC_INTERNAL_H
#define IRIDIUM_WPROC_INTERNAL_H

#include "wproc.h"

#define WPROC_MSGS_PER_WAKEUP	32	/* then back to the loop */
/*
 * A dead worker's last messages: all its channel can hold (its socket
 * buffer, a few hundred small datagrams at most), so that a session_end
 * sent after a burst is not lost.
 */
#define WPROC_MSGS_AT_EXIT	2048

/* "worker 1234" or "worker 1234 session 17", for log lines. */
const char	*wproc_name(const struct worker *);
/* w's state is now state; its owner counts. */
void		 wproc_set_state(struct worker *, unsigned state);

/* wproc_chan.c */
void		 wproc_chan_cb(struct ev *, uint32_t events);
void		 wproc_err_cb(struct ev *, uint32_t events);
/* Read what the channel holds, at most budget messages, and act on it. */
void		 wproc_chan_read(struct worker *, int budget);
/* Log what is left in a dead worker's stderr pipe. */
void		 wproc_err_drain(struct worker *);

#endif
