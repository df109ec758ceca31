/*
 * sandbox.h: locking a worker down before it sees a client byte
 * (iridium-security(7), "THE LOCK-DOWN, IN ORDER"). The whole interface is two calls:
 * sandbox_enter() once, after `hello` and the file- and privilege-needing
 * work, before `ready`; sandbox_lower() after `session` or `auth_reply`,
 * to bring the rlimits down to the tenant's values (they can only go down).
 */
#ifndef IRIDIUM_SANDBOX_H
#define IRIDIUM_SANDBOX_H

#include <stddef.h>

#include "msg.h"

/*
 * Built with AddressSanitizer: no AS/DATA limits (it reserves terabytes of
 * address space), and the few syscalls its runtime needs are allowed.
 */
#if defined(__SANITIZE_ADDRESS__)
#define SANDBOX_ASAN	1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define SANDBOX_ASAN	1
#endif
#endif

/*
 * Enter the sandbox described by hello (uid/gid, chroot, ceilings, debug
 * mode). Every step is checked; on failure returns -1 with err naming the
 * step ("setresuid 998: Operation not permitted") and the caller must
 * exit. Notes for the log (e.g. "not root: chroot and uid change
 * skipped", "landlock ABI 3: TCP rules unavailable") go to note(), once
 * per process.
 *
 * probe is for tests (NULL in the real worker): when given, it is called
 * once, after Landlock and before seccomp, with the Landlock ABI in force
 * (0: none): the one moment a test can see what Landlock alone refuses,
 * since the seccomp filter answers file probes before Landlock is asked.
 */
int	sandbox_enter(const struct msg_hello *hello,
	    void (*note)(const char *), void (*probe)(int landlock_abi),
	    char *err, size_t errlen);

/*
 * Lower RLIMIT_CPU, and RLIMIT_AS/DATA outside AddressSanitizer builds,
 * to the tenant's limits. A value above what is in force changes
 * nothing. Returns 0 or -1 with err.
 */
int	sandbox_lower(const struct msg_limits *tenant, char *err,
	    size_t errlen);

#endif
