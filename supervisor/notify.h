/*
 * notify.h: the systemd notification protocol, spoken natively (one
 * datagram to $NOTIFY_SOCKET; no libsystemd, as OpenSSH chose after the
 * xz backdoor), and the watchdog.
 *
 * Without NOTIFY_SOCKET every call does nothing: the same binary runs
 * under systemd, under `make run` and in tests.
 */
#ifndef IRIDIUM_NOTIFY_H
#define IRIDIUM_NOTIFY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct notify {
	int		 fd;		/* -1: not under systemd notify */
	char		 path[108];	/* sun_path; [0] = '\0' for abstract */
	unsigned	 pathlen;
	uint64_t	 watchdog_usec;	/* 0: no watchdog */
	int64_t		 watchdog_last_ms;
	char		 status[256];	/* the last STATUS= sent */
};

/*
 * Read NOTIFY_SOCKET and WATCHDOG_USEC/WATCHDOG_PID, then unset them (and
 * so keep them from any child). Returns 0, or -1 with err when
 * NOTIFY_SOCKET is set but unusable.
 */
int	notify_init(struct notify *, char *err, size_t errlen);
bool	notify_enabled(const struct notify *);
/* Send "A=B\nC=D" as one datagram. 0 or -1 (errno). */
int	notify_send(struct notify *, const char *msg);
int	notify_ready(struct notify *);
int	notify_stopping(struct notify *);
/* RELOADING=1 with MONOTONIC_USEC, as systemd 253's Type=notify-reload. */
int	notify_reloading(struct notify *);
/* STATUS=..., sent only when it changed. */
int	notify_status(struct notify *, const char *status);
/* WATCHDOG=1 when half the interval has passed since the last one. */
int	notify_watchdog(struct notify *, int64_t now_ms);
void	notify_close(struct notify *);

#endif
