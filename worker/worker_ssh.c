/*
 * worker_ssh.c: the transports iridium-worker-ssh serves (see
 * transport.h).
 *
 * Only ssh: this executable links libssh and OpenSSL's libcrypto, which
 * the line worker never loads, so the memory they cost is paid by ssh
 * workers alone (tests/bench/README.md has the figures).
 */
#include <stddef.h>

#include "transport.h"

#ifdef IRIDIUM_TEST_HOOKS
const char worker_name[] = "iridium-worker-ssh-test";
#else
const char worker_name[] = "iridium-worker-ssh";
#endif

const struct transport *const worker_transports[] = {
	&transport_ssh,
	NULL,
};
