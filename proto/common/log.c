/*
 * log.c: logging for every process of the tree (see log.h).
 *
 * Globals here are the log configuration only (the only globals the
 * code allows itself). Each line is written with a single write(2) so lines from
 * several processes sharing a stderr never interleave.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "log.h"

static const char	*log_prog = "iridium";
static int		 log_level = LOG_INFO;
static int		 log_journal;
static log_sink_fn	 log_sink;

void
log_init(const char *progname, int level)
{
	log_prog = progname;
	log_level = level;
	log_journal = getenv("JOURNAL_STREAM") != NULL;
}

void
log_set_level(int level)
{
	log_level = level;
}

int
log_get_level(void)
{
	return log_level;
}

void
log_set_sink(log_sink_fn fn)
{
	log_sink = fn;
}

static const char *const level_names[] = {
	"emerg", "alert", "crit", "err", "warning", "notice", "info", "debug"
};

int
log_level_parse(const char *s)
{
	int	 i;

	if (s[0] >= '0' && s[0] <= '7' && s[1] == '\0')
		return s[0] - '0';
	for (i = 0; i < 8; i++)
		if (strcasecmp(s, level_names[i]) == 0)
			return i;
	if (strcasecmp(s, "error") == 0)
		return LOG_ERR;
	if (strcasecmp(s, "warn") == 0)
		return LOG_WARNING;
	return -1;
}

const char *
log_level_name(int level)
{
	return level >= 0 && level < 8 ? level_names[level] : "unknown";
}

static void	log_vemit(int, int, const char *, va_list)
		    __attribute__((format(printf, 3, 0)));

static void
log_vemit(int prio, int with_errno, const char *fmt, va_list ap)
{
	char	 line[2048];
	int	 saved = errno, n = 0;
	size_t	 len;

	if (prio > log_level)
		return;
	if (log_sink == NULL) {
		if (log_journal)
			n = snprintf(line, sizeof(line), "<%d>", prio);
		else
			n = snprintf(line, sizeof(line), "%s: ", log_prog);
	}
	if (n < 0)
		n = 0;
	vsnprintf(line + n, sizeof(line) - (size_t)n, fmt, ap);
	if (with_errno) {
		len = strlen(line);
		snprintf(line + len, sizeof(line) - len, ": %s",
		    strerror(saved));
	}
	if (log_sink != NULL) {
		log_sink(prio, line);
	} else {
		len = strlen(line);
		if (len == sizeof(line) - 1)
			line[len - 1] = '\n';
		else
			line[len++] = '\n';
		if (write(STDERR_FILENO, line, len) == -1) {
			/* nowhere left to say it */
		}
	}
	errno = saved;
}

#define LOG_FN(name, prio, with_errno)					\
void									\
name(const char *fmt, ...)						\
{									\
	va_list	 ap;							\
									\
	va_start(ap, fmt);						\
	log_vemit(prio, with_errno, fmt, ap);				\
	va_end(ap);							\
}

LOG_FN(log_warn, LOG_WARNING, 1)
LOG_FN(log_warnx, LOG_WARNING, 0)
LOG_FN(log_notice, LOG_NOTICE, 0)
LOG_FN(log_info, LOG_INFO, 0)
LOG_FN(log_debug, LOG_DEBUG, 0)

void
log_msg(int prio, const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	log_vemit(prio, 0, fmt, ap);
	va_end(ap);
}

void
fatal(const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	log_vemit(LOG_CRIT, 1, fmt, ap);
	va_end(ap);
	exit(1);
}

void
fatalx(const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	log_vemit(LOG_CRIT, 0, fmt, ap);
	va_end(ap);
	exit(1);
}
