/*
 * hostpoll.c: see hostpoll.h.
 */
#include "hostpoll.h"

enum repl_poll
hostpoll(void *arg)
{
	struct hostpoll	*p = arg;

	p->polls++;
	if (p->at != 0 && p->polls >= p->at)
		return p->answer;
	return REPL_POLL_GO;
}
