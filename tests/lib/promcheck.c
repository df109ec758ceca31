/*
 * promcheck.c: see promcheck.h. Written from the format's description
 * (prometheus.io, "Exposition formats"), strict where the format is.
 */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "promcheck.h"

struct family {
	char	 name[256];
	char	 type[16];		/* "" until TYPE */
	bool	 help;
	bool	 closed;		/* another family's samples came */
};

struct parser {
	struct prom	*p;
	struct family	*fam;
	size_t		 nfam, cap;
	size_t		 current;	/* family of the last sample, or -1 */
	unsigned	 line;
	char		*err;
	size_t		 errlen;
};

static int	fail(struct parser *, const char *, ...)
		    __attribute__((format(printf, 2, 3)));

static int
fail(struct parser *ps, const char *fmt, ...)
{
	va_list	 ap;
	int	 n;

	n = snprintf(ps->err, ps->errlen, "line %u: ", ps->line);
	va_start(ap, fmt);
	vsnprintf(ps->err + n, ps->errlen - (size_t)n, fmt, ap);
	va_end(ap);
	return -1;
}

static bool
metric_name_ok(const char *s, size_t n)
{
	size_t	 i;

	if (n == 0 || !(isalpha((unsigned char)s[0]) || s[0] == '_' ||
	    s[0] == ':'))
		return false;
	for (i = 1; i < n; i++)
		if (!(isalnum((unsigned char)s[i]) || s[i] == '_' ||
		    s[i] == ':'))
			return false;
	return true;
}

static bool
label_name_ok(const char *s, size_t n)
{
	size_t	 i;

	if (n == 0 || !(isalpha((unsigned char)s[0]) || s[0] == '_'))
		return false;
	if (n >= 2 && s[0] == '_' && s[1] == '_')
		return false;	/* reserved */
	for (i = 1; i < n; i++)
		if (!(isalnum((unsigned char)s[i]) || s[i] == '_'))
			return false;
	return true;
}

/* Whether s[0..n) is valid UTF-8 (no overlongs, no surrogates). */
static bool
utf8_ok(const unsigned char *s, size_t n)
{
	size_t		 i = 0, k, len;
	unsigned	 c;

	while (i < n) {
		c = s[i];
		if (c < 0x80) {
			i++;
			continue;
		}
		if (c >= 0xc2 && c <= 0xdf)
			len = 2;
		else if (c >= 0xe0 && c <= 0xef)
			len = 3;
		else if (c >= 0xf0 && c <= 0xf4)
			len = 4;
		else
			return false;
		if (i + len > n)
			return false;
		for (k = 1; k < len; k++)
			if ((s[i + k] & 0xc0) != 0x80)
				return false;
		if ((c == 0xe0 && s[i + 1] < 0xa0) || (c == 0xed &&
		    s[i + 1] > 0x9f) || (c == 0xf0 && s[i + 1] < 0x90) ||
		    (c == 0xf4 && s[i + 1] > 0x8f))
			return false;
		i += len;
	}
	return true;
}

static struct family *
family(struct parser *ps, const char *name, size_t n, size_t *idx)
{
	struct family	*f;
	size_t		 i;

	for (i = 0; i < ps->nfam; i++) {
		if (strlen(ps->fam[i].name) == n &&
		    memcmp(ps->fam[i].name, name, n) == 0) {
			*idx = i;
			return &ps->fam[i];
		}
	}
	if (n >= sizeof(f->name))
		return NULL;
	if (ps->nfam == ps->cap) {
		ps->cap = ps->cap == 0 ? 64 : ps->cap * 2;
		ps->fam = realloc(ps->fam, ps->cap * sizeof(*ps->fam));
	}
	f = &ps->fam[ps->nfam];
	memset(f, 0, sizeof(*f));
	memcpy(f->name, name, n);
	*idx = ps->nfam++;
	return f;
}

/* "# HELP name text" or "# TYPE name type"; other comments pass. */
static int
comment(struct parser *ps, const char *s)
{
	static const char *const types[] = { "counter", "gauge", "histogram",
	    "summary", "untyped", NULL };
	struct family	*f;
	const char	*name, *rest, *p;
	size_t		 n, idx, i;
	bool		 help;

	if (strncmp(s, "# HELP ", 7) != 0 && strncmp(s, "# TYPE ", 7) != 0)
		return 0;
	help = s[2] == 'H';
	name = s + 7;
	n = strcspn(name, " ");
	if (!metric_name_ok(name, n))
		return fail(ps, "bad metric name in %.4s", s + 2);
	if (name[n] != ' ')
		return fail(ps, "%s without text", help ? "HELP" : "TYPE");
	rest = name + n + 1;
	if ((f = family(ps, name, n, &idx)) == NULL)
		return fail(ps, "metric name too long");
	if (help) {
		if (f->help)
			return fail(ps, "second HELP for %s", f->name);
		if (f->closed || ps->current == idx)
			return fail(ps, "HELP for %s after its samples",
			    f->name);
		for (p = rest; *p != '\0'; p++)
			if (*p == '\\' && p[1] != '\\' && p[1] != 'n')
				return fail(ps, "bad escape in HELP of %s",
				    f->name);
			else if (*p == '\\')
				p++;
		f->help = true;
		return 0;
	}
	if (f->type[0] != '\0')
		return fail(ps, "second TYPE for %s", f->name);
	if (f->closed || ps->current == idx)
		return fail(ps, "TYPE for %s after its samples", f->name);
	for (i = 0; types[i] != NULL; i++)
		if (strcmp(rest, types[i]) == 0)
			break;
	if (types[i] == NULL)
		return fail(ps, "unknown type \"%s\"", rest);
	strcpy(f->type, rest);
	return 0;
}

struct label {
	char	*name, *value;
};

static int
cmp_label(const void *a, const void *b)
{
	return strcmp(((const struct label *)a)->name,
	    ((const struct label *)b)->name);
}

/* The {...} part from *sp; canonical form into *out. */
static int
labels(struct parser *ps, const char **sp, char **out)
{
	struct label	 l[32];
	const char	*s = *sp + 1, *q;
	char		*v, *canon;
	size_t		 nl = 0, n, vl, i, total = 1;
	int		 rv = -1;

	for (;;) {
		if (*s == '}' && nl > 0) {
			fail(ps, "a comma before \"}\"");
			goto out;
		}
		if (*s == '}')
			break;
		n = strcspn(s, "=");
		if (!label_name_ok(s, n)) {
			fail(ps, "bad label name \"%.*s\"", (int)n, s);
			goto out;
		}
		if (s[n] != '=' || s[n + 1] != '"') {
			fail(ps, "label %.*s: expected =\"", (int)n, s);
			goto out;
		}
		if (nl == 32) {
			fail(ps, "too many labels");
			goto out;
		}
		l[nl].name = strndup(s, n);
		q = s + n + 2;
		v = l[nl].value = malloc(strlen(q) + 1);
		vl = 0;
		for (; *q != '"'; q++) {
			if (*q == '\0' || *q == '\n') {
				nl++;
				fail(ps, "unterminated label value");
				goto out;
			}
			if (*q == '\\') {
				q++;
				if (*q == 'n')
					v[vl++] = '\n';
				else if (*q == '\\' || *q == '"')
					v[vl++] = *q;
				else {
					nl++;
					fail(ps, "bad escape \\%c in a label "
					    "value", *q);
					goto out;
				}
				continue;
			}
			v[vl++] = *q;
		}
		v[vl] = '\0';
		nl++;
		if (!utf8_ok((const unsigned char *)v, vl)) {
			fail(ps, "label value not UTF-8");
			goto out;
		}
		s = q + 1;
		if (*s == ',') {
			s++;
			continue;
		}
		if (*s != '}') {
			fail(ps, "expected , or } after a label value");
			goto out;
		}
		break;
	}
	qsort(l, nl, sizeof(l[0]), cmp_label);
	for (i = 0; i + 1 < nl; i++) {
		if (strcmp(l[i].name, l[i + 1].name) == 0) {
			fail(ps, "label %s twice", l[i].name);
			goto out;
		}
	}
	/* Canonical: sorted, values escaped as written by a good writer. */
	for (i = 0; i < nl; i++)
		total += strlen(l[i].name) + 2 * strlen(l[i].value) + 4;
	canon = calloc(1, total);
	for (i = 0; i < nl; i++) {
		const char *c;

		if (i > 0)
			strcat(canon, ",");
		strcat(canon, l[i].name);
		strcat(canon, "=\"");
		for (c = l[i].value; *c != '\0'; c++) {
			size_t	 cl = strlen(canon);

			if (*c == '\\' || *c == '"') {
				canon[cl] = '\\';
				canon[cl + 1] = *c;
			} else if (*c == '\n') {
				canon[cl] = '\\';
				canon[cl + 1] = 'n';
			} else {
				canon[cl] = *c;
			}
		}
		strcat(canon, "\"");
	}
	*out = canon;
	*sp = s + 1;
	rv = 0;
out:
	for (i = 0; i < nl; i++) {
		free(l[i].name);
		free(l[i].value);
	}
	return rv;
}

/* The float the format allows: Go's ParseFloat, and NaN, +Inf, -Inf. */
static int
value(struct parser *ps, const char *s, double *out)
{
	const char	*end = s + strcspn(s, " ");
	char		 buf[64], *e;

	if (end == s || (size_t)(end - s) >= sizeof(buf))
		return fail(ps, "missing or overlong value");
	memcpy(buf, s, (size_t)(end - s));
	buf[end - s] = '\0';
	if (strcmp(buf, "NaN") == 0) {
		*out = NAN;
	} else if (strcmp(buf, "+Inf") == 0) {
		*out = INFINITY;
	} else if (strcmp(buf, "-Inf") == 0) {
		*out = -INFINITY;
	} else {
		/* strtod takes hex and "inf"; the format does not. */
		if (strpbrk(buf, "xXpPiInN") != NULL)
			return fail(ps, "value \"%s\" is not a float", buf);
		errno = 0;
		*out = strtod(buf, &e);
		if (*e != '\0' || errno != 0)
			return fail(ps, "value \"%s\" is not a float", buf);
	}
	if (*end == ' ') {
		/* A timestamp: an integer in milliseconds. */
		end++;
		if (*end == '-')
			end++;
		if (*end == '\0')
			return fail(ps, "empty timestamp");
		for (; *end != '\0'; end++)
			if (!isdigit((unsigned char)*end))
				return fail(ps, "bad timestamp");
	}
	return 0;
}

static int
sample(struct parser *ps, const char *s)
{
	struct prom_sample *sm;
	struct family	*f;
	const char	*p = s;
	char		*canon = NULL;
	size_t		 n = strcspn(s, "{ "), idx, i;
	double		 v = 0;

	if (!metric_name_ok(s, n))
		return fail(ps, "bad metric name \"%.*s\"", (int)n, s);
	if ((f = family(ps, s, n, &idx)) == NULL)
		return fail(ps, "metric name too long");
	if (!f->help || f->type[0] == '\0')
		return fail(ps, "sample of %s before its HELP and TYPE",
		    f->name);
	if (f->closed)
		return fail(ps, "%s's samples are not one group", f->name);
	if (ps->current != (size_t)-1 && ps->current != idx)
		ps->fam[ps->current].closed = true;
	ps->current = idx;
	p = s + n;
	if (*p == '{') {
		if (labels(ps, &p, &canon) == -1)
			return -1;
	} else {
		canon = strdup("");
	}
	if (*p != ' ') {
		free(canon);
		return fail(ps, "expected a space before the value");
	}
	if (value(ps, p + 1, &v) == -1) {
		free(canon);
		return -1;
	}
	if (strcmp(f->type, "counter") == 0 && !(v >= 0)) {
		free(canon);
		return fail(ps, "counter %s is negative or NaN", f->name);
	}
	for (i = 0; i < ps->p->n; i++) {
		if (strcmp(ps->p->v[i].name, f->name) == 0 &&
		    strcmp(ps->p->v[i].labels, canon) == 0) {
			fail(ps, "series %s{%s} twice", f->name, canon);
			free(canon);
			return -1;
		}
	}
	ps->p->v = realloc(ps->p->v, (ps->p->n + 1) * sizeof(*ps->p->v));
	sm = &ps->p->v[ps->p->n++];
	sm->name = strdup(f->name);
	sm->labels = canon;
	sm->value = v;
	return 0;
}

int
prom_parse(const char *text, struct prom *p, char *err, size_t errlen)
{
	struct parser	 ps;
	const char	*s = text, *nl;
	char		*line;
	int		 rv = 0;

	memset(p, 0, sizeof(*p));
	memset(&ps, 0, sizeof(ps));
	ps.p = p;
	ps.current = (size_t)-1;
	ps.err = err;
	ps.errlen = errlen;
	err[0] = '\0';
	while (rv == 0 && *s != '\0') {
		ps.line++;
		if ((nl = strchr(s, '\n')) == NULL) {
			rv = fail(&ps, "the last line has no newline");
			break;
		}
		line = strndup(s, (size_t)(nl - s));
		if (strchr(line, '\r') != NULL)
			rv = fail(&ps, "a carriage return");
		else if (line[0] == '#')
			rv = comment(&ps, line);
		else if (line[0] == '\0')
			rv = 0;		/* blank lines are ignored */
		else
			rv = sample(&ps, line);
		free(line);
		s = nl + 1;
	}
	p->families = ps.nfam;
	free(ps.fam);
	return rv;
}

void
prom_free(struct prom *p)
{
	size_t	 i;

	for (i = 0; i < p->n; i++) {
		free(p->v[i].name);
		free(p->v[i].labels);
	}
	free(p->v);
	memset(p, 0, sizeof(*p));
}

int
prom_get(const struct prom *p, const char *name, const char *labels,
    double *value)
{
	size_t	 i;

	for (i = 0; i < p->n; i++) {
		if (strcmp(p->v[i].name, name) == 0 &&
		    strcmp(p->v[i].labels, labels) == 0) {
			*value = p->v[i].value;
			return 0;
		}
	}
	return -1;
}

size_t
prom_count(const struct prom *p, const char *name)
{
	size_t	 i, n = 0;

	for (i = 0; i < p->n; i++)
		if (strcmp(p->v[i].name, name) == 0)
			n++;
	return n;
}
