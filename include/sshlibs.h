/*
 * sshlibs.h: warn when the statically linked ssh worker is older than the
 * system's libssh or libcrypto (see sshlibs.c).
 */
#ifndef IRIDIUM_SSHLIBS_H
#define IRIDIUM_SSHLIBS_H

#ifndef IRIDIUM_SSH_WORKER_STATIC
#define IRIDIUM_SSH_WORKER_STATIC 0
#endif

/* Logs one warning per stale library; returns how many. */
unsigned	 sshlibs_check_worker(const char *worker_path);

#endif
