/*
 * staticlibs.h: warn when a statically linked worker is older than the
 * system's copies of the libraries it carries (see staticlibs.c).
 */
#ifndef IRIDIUM_STATICLIBS_H
#define IRIDIUM_STATICLIBS_H

#ifndef IRIDIUM_WORKERS_STATIC
#define IRIDIUM_WORKERS_STATIC 0
#endif

/* What each worker program links statically: sonames, NULL-terminated. */
extern const char *const staticlibs_line[];
extern const char *const staticlibs_ssh[];

/* Logs one warning per library installed after the worker was built;
 * returns how many. */
unsigned	 staticlibs_check(const char *worker_path,
		    const char *const sonames[]);

#endif
