/*
 * transport.h: how iridium-worker hands its one session to a transport.
 *
 * The worker (worker/worker.c) owns the process: the channel to the
 * supervisor on fd 3, the sandbox, the idle state. A transport owns the
 * client connection: it speaks the client's protocol (line: telnet/nc;
 * ssh: libssh, in its own executable), runs a REPL for it, and returns
 * why the session ended. Between the two sits the session core
 * (session.h): the worker opens the session from what the supervisor
 * said, the transport serves it, the worker closes it.
 *
 * Each executable lists the transports it serves in worker_transports[]
 * (worker/worker_line.c for iridium-worker, worker/worker_ssh.c for
 * iridium-worker-ssh), so a line worker links no SSH or crypto code.
 */
#ifndef IRIDIUM_TRANSPORT_H
#define IRIDIUM_TRANSPORT_H

#include <stddef.h>

#include "msg.h"
#include "session.h"

struct transport {
	const char	*name;		/* as in `hello` and `session` */
	/*
	 * Work that needs files or privileges (ssh: the host key), after
	 * `hello` and before the sandbox. NULL when there is none. Returns
	 * 0, or -1 with err set; the worker then exits.
	 */
	int		(*prepare)(const struct msg_hello *, char *err,
			    size_t errlen);
	/*
	 * Serve the session until it ends; close s->client. Returns one of
	 * the SESSION_END_* reasons.
	 */
	const char	*(*serve)(struct session *s);
};

/* The transports of this executable, NULL-terminated, and its name. */
extern const struct transport *const worker_transports[];
extern const char worker_name[];

extern const struct transport transport_line;
extern const struct transport transport_ssh;

#endif
