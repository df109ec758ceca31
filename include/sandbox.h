/*
 * sandbox.h: locking a worker down before it sees a client byte
 * (../shared/DESIGN.md, "Sandbox"). The whole interface is two calls:
 * sandbox_enter() once, after `hello` and the file- and privilege-needing
 * work, before `ready`; sandbox_lower() after `session` or `auth_reply`,
 * to bring the rlimits down to the tenant's values (they can only go down).
 */
#ifndef IRIDIUM_SANDBOX_H
#define IRIDIUM_SANDBOX_H

#include <stddef.h>

#include "msg.h"

/*
 * Enter the sandbox described by hello (uid/gid, chroot, ceilings, debug
 * mode). Every step is checked; on failure returns -1 with err naming the
 * step ("setresuid 998: Operation not permitted") and the caller must
 * exit. Notes for the log (e.g. "not root: chroot and uid change
 * skipped", "landlock ABI 3: TCP rules unavailable") go to note(), once.
 */
int	sandbox_enter(const struct msg_hello *hello,
	    void (*note)(const char *), char *err, size_t errlen);

/* Lower RLIMIT_CPU to the tenant's limits. Returns 0 or -1 with err. */
int	sandbox_lower(const struct msg_limits *tenant, char *err,
	    size_t errlen);

#endif
