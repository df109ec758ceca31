/*
 * metrics.h: the status document (status.h) in the Prometheus text
 * exposition format, for `iridiumctl metrics` and node_exporter's
 * textfile collector.
 *
 * Every family is derived from the schema's X-macros: a GAUGE or COUNTER
 * field of object OBJ becomes iridium_OBJ_FIELD (counters end in _total),
 * the object's LABEL fields become its labels (a "name" is labelled by
 * what it names: listener), and an object whose labels say what it is
 * rather than which one it is (the daemon's version and build, a
 * listener's transport) gets an OBJ_info gauge of 1 carrying them. The
 * exit, refusal and offence counts are one family each, labelled by kind;
 * the [limits] keys (SUP_LIMITS) that are numbers are iridium_limits_KEY.
 * Sessions come one series per session only when asked (METRICS_SESSIONS):
 * their ids would otherwise make a new series for every connection.
 *
 * A library: no logging, no exit.
 */
#ifndef IRIDIUM_METRICS_H
#define IRIDIUM_METRICS_H

#include <stddef.h>
#include <stdio.h>

#include <jansson.h>

#define METRICS_SESSIONS	0x01	/* one series per live session */

/*
 * Write doc as exposition text to f: iridium_up 1, then every family.
 * Returns 0, or -1 with err when doc is not a status document of the
 * schema this build knows (its schema_version).
 */
int	metrics_write(FILE *f, const json_t *doc, unsigned flags, char *err,
	    size_t errlen);
/* What to write when iridiumd cannot be asked: iridium_up 0. */
void	metrics_write_down(FILE *f);

#endif
