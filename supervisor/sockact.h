/*
 * sockact.h: systemd socket activation. When LISTEN_PID is ours and
 * LISTEN_FDS is set, the listening sockets come from systemd (fds 3..),
 * named by LISTEN_FDNAMES after the [listener NAME] each one serves; the
 * supervisor then does not bind those addresses itself.
 */
#ifndef IRIDIUM_SOCKACT_H
#define IRIDIUM_SOCKACT_H

#include <stdbool.h>
#include <stddef.h>

#define SOCKACT_FDS_START	3
#define SOCKACT_MAX		16

struct sockact {
	int		 n;
	int		 fd[SOCKACT_MAX];
	char		 name[SOCKACT_MAX][64];
	bool		 taken[SOCKACT_MAX];
};

/*
 * Collect the sockets passed from fd `start` on (SOCKACT_FDS_START, or
 * another base in tests). Each must be a listening TCP socket (AF_INET or
 * AF_INET6, SOCK_STREAM); it is made close-on-exec and non-blocking. The
 * LISTEN_* variables are unset. Returns the number taken (0 when not
 * socket-activated), or -1 with err.
 */
int	sockact_init(struct sockact *, int start, char *err, size_t errlen);
/* The fd named `name`, marked taken, or -1. */
int	sockact_take(struct sockact *, const char *name);
/* Names of fds nobody took, comma-separated, for the error message. */
void	sockact_unused(const struct sockact *, char *buf, size_t len);

#endif
