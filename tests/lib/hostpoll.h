/*
 * hostpoll.h: a host's scripted answer to the language library's poll
 * (repl_io.poll, run_io.poll): go on, until a chosen poll, from which on
 * interrupt or hang up; and a count of the polls that came.
 */
#ifndef IRIDIUM_TEST_HOSTPOLL_H
#define IRIDIUM_TEST_HOSTPOLL_H

#include "repl.h"

struct hostpoll {
	int		 polls;		/* how many came */
	int		 at;		/* 0: none; answer from this poll on */
	enum repl_poll	 answer;
};

/*
 * The poll callback. arg points at a struct hostpoll, or at a host
 * struct whose first member is one (the callbacks share their arg).
 */
enum repl_poll	 hostpoll(void *arg);

#endif
