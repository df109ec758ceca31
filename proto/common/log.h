/*
 * log.h: the err(3)-shaped logging API of every process in the tree.
 *
 * The supervisor and the tools log to stderr, one line per event, with a
 * "<N>" syslog priority prefix when stderr is the journal (JOURNAL_STREAM).
 * The worker installs a sink that turns each line into a `log` message to
 * the supervisor. Libraries never log: only the process that owns the loop
 * does.
 */
#ifndef IRIDIUM_LOG_H
#define IRIDIUM_LOG_H

#include <stdarg.h>
#include <syslog.h>

/* Where a formatted line goes instead of stderr (priority, line). */
typedef void	(*log_sink_fn)(int prio, const char *line);

void	log_init(const char *progname, int level);
void	log_set_level(int level);
int	log_get_level(void);
void	log_set_sink(log_sink_fn);
/* Parse "debug", "info", "notice", "warning", "err" or 0..7; -1 if bad. */
int	log_level_parse(const char *);
const char *log_level_name(int);

/* log_warn and fatal append ": strerror(errno)". */
void	log_warn(const char *, ...) __attribute__((format(printf, 1, 2)));
void	log_warnx(const char *, ...) __attribute__((format(printf, 1, 2)));
void	log_notice(const char *, ...) __attribute__((format(printf, 1, 2)));
void	log_info(const char *, ...) __attribute__((format(printf, 1, 2)));
void	log_debug(const char *, ...) __attribute__((format(printf, 1, 2)));
void	log_msg(int prio, const char *, ...)
	    __attribute__((format(printf, 2, 3)));
void	fatal(const char *, ...)
	    __attribute__((format(printf, 1, 2), noreturn));
void	fatalx(const char *, ...)
	    __attribute__((format(printf, 1, 2), noreturn));

/* "s" unless n is 1: every count in a message agrees with its noun,
 * log_msg("%u worker%s", n, plural(n)). */
static inline const char *
plural(unsigned long long n)
{
	return n == 1 ? "" : "s";
}

#endif
