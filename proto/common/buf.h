/*
 * buf.h: a growable byte buffer, the one piece of plumbing every part of
 * the tree uses (assembler diagnostics, REPL output, socket queues).
 *
 * Functions return -1 only when memory is short, or when the buffer has a
 * limit (buf->max, 0 for none) and the append would pass it; then the
 * buffer is unchanged.
 */
#ifndef IRIDIUM_BUF_H
#define IRIDIUM_BUF_H

#include <stdarg.h>
#include <stddef.h>

struct buf {
	char	*data;		/* NUL-terminated when len < cap */
	size_t	 len;
	size_t	 cap;
	size_t	 max;		/* 0: no limit */
};

void	 buf_init(struct buf *, size_t max);
void	 buf_free(struct buf *);
int	 buf_append(struct buf *, const void *, size_t);
int	 buf_puts(struct buf *, const char *);
int	 buf_putc(struct buf *, char);
int	 buf_printf(struct buf *, const char *, ...)
	    __attribute__((format(printf, 2, 3)));
int	 buf_vprintf(struct buf *, const char *, va_list)
	    __attribute__((format(printf, 2, 0)));
/* Drop the first n bytes. */
void	 buf_consume(struct buf *, size_t n);
void	 buf_reset(struct buf *);
/* Hand the NUL-terminated contents to the caller and reset the buffer. */
char	*buf_steal(struct buf *);

#endif
