/*
 * worker_line.c: the transports iridium-worker serves (see transport.h).
 *
 * Only the line transport, so the line worker links no SSH or crypto
 * code and every pre-forked worker stays small. An ssh worker is its own
 * executable with its own list (transport_ssh), linking libssh.
 */
#include <stddef.h>

#include "transport.h"

#ifdef IRIDIUM_TEST_HOOKS
const char worker_name[] = "iridium-worker-test";
#else
const char worker_name[] = "iridium-worker";
#endif

const struct transport *const worker_transports[] = {
	&transport_line,
	NULL,
};
