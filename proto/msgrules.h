/*
 * msgrules.h: what proto/msgtab.c (the message table, its decoder and
 * encoder) and proto/msgrules.c (the rules across one message's fields)
 * share. Private to proto/: not an interface (msg.h is).
 */
#ifndef IRIDIUM_MSGRULES_H
#define IRIDIUM_MSGRULES_H

#include <stdbool.h>
#include <stddef.h>

/* Where errors go, and the name they start with. */
struct ctx {
	const char	*tname;		/* type name, or "message" */
	char		*err;
	size_t		 errlen;
};

/* "<type>: <what>" into the context's error. Returns -1. */
int	msgtab_fail(struct ctx *, const char *, ...)
	    __attribute__((format(printf, 2, 3)));
/* "<type>: field \"<path>\": <why>". Returns -1. */
int	msgtab_fail_field(struct ctx *, const char *, const char *, ...)
	    __attribute__((format(printf, 3, 4)));
/* Whether n bytes at p are all zero (an absent optional field). */
bool	msgtab_all_zero(const void *p, size_t n);

/* The rules of each type that has some: 0, or -1 with the error. */
int	msgrule_hello(struct ctx *, const void *);
int	msgrule_negotiated(struct ctx *, const void *);
int	msgrule_auth_query(struct ctx *, const void *);
int	msgrule_auth_reply(struct ctx *, const void *);
int	msgrule_resume(struct ctx *, const void *);
int	msgrule_detach_reply(struct ctx *, const void *);
int	msgrule_history(struct ctx *, const void *);
int	msgrule_history_save(struct ctx *, const void *);

#endif
