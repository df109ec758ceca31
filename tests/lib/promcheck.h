/*
 * promcheck.h: a strict reader of the Prometheus text exposition format
 * (version 0.0.4, what node_exporter's textfile collector reads), for
 * tests of `iridiumctl metrics`. It refuses what a scraper would refuse
 * and what the format only tolerates: a metric or label name outside
 * its syntax, a sample before its family's HELP and TYPE, a second HELP
 * or TYPE for a family, an unknown type, a family split in two groups, a
 * label value with an escape other than \\, \" and \n or with bad UTF-8,
 * a duplicate label in a sample, a value that is not a float, a negative
 * counter, and the same series twice.
 */
#ifndef IRIDIUM_PROMCHECK_H
#define IRIDIUM_PROMCHECK_H

#include <stddef.h>

struct prom_sample {
	char	*name;		/* the metric */
	char	*labels;	/* canonical: sorted, name="value",... */
	double	 value;
};

struct prom {
	struct prom_sample *v;
	size_t		 n;
	size_t		 families;
};

/* Parse text; 0, or -1 with err ("line 12: ..."). */
int	 prom_parse(const char *text, struct prom *, char *err,
	    size_t errlen);
void	 prom_free(struct prom *);
/*
 * The value of the series name{labels}; labels as the canonical form
 * (sorted by name, values escaped: `kind="crashed",listener="line"`), ""
 * for none. Returns 0 with *value, or -1 when there is no such series.
 */
int	 prom_get(const struct prom *, const char *name, const char *labels,
	    double *value);
/* The number of series of metric name. */
size_t	 prom_count(const struct prom *, const char *name);

#endif
