/*
 * metrics.c: the status document as Prometheus text exposition format
 * (see metrics.h). iridiumctl links it; so do the unit tests.
 *
 * The families come from the schema's X-macros (status.h, and SUP_LIMITS
 * for the limits), turned into field tables below: nothing here names a
 * metric by hand but iridium_up. Each family is written whole (HELP,
 * TYPE, then every sample of it) before the next, as the format wants;
 * a label set seen twice in one family (a draining listener beside its
 * successor of the same name, after a reload) is written once.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "buf.h"
#include "metrics.h"
#include "sshalgo.h"
#include "status.h"

enum mtype { MT_INT, MT_STR };
enum mkind { MK_LABEL, MK_INFO, MK_GAUGE, MK_COUNTER };

struct mfield {
	const char	*name;
	enum mtype	 type;
	enum mkind	 kind;
	const char	*help;
};

#define MFIELD(n, t, k, h)	{ #n, MT_##t, MK_##k, h },
static const struct mfield daemon_fields[] = {
	STATUS_DAEMON_FIELDS(MFIELD)
};
static const struct mfield listener_fields[] = {
	STATUS_LISTENER_FIELDS(MFIELD)
};
static const struct mfield pool_fields[] = { STATUS_POOL_FIELDS(MFIELD) };
static const struct mfield sessions_fields[] = {
	STATUS_SESSIONS_FIELDS(MFIELD)
};
static const struct mfield tenant_fields[] = {
	STATUS_TENANT_FIELDS(MFIELD)
};
static const struct mfield admission_fields[] = {
	STATUS_ADMISSION_FIELDS(MFIELD)
};
static const struct mfield session_fields[] = {
	STATUS_SESSION_FIELDS(MFIELD)
};
#undef MFIELD

/* SUP_LIMITS: the numbers are gauges, the rest is for people. */
#define LTYPE_UINT		MT_INT
#define LTYPE_STARTUPS		MT_STR
#define LTYPE_CIDRS		MT_STR
#define LKIND_UINT		MK_GAUGE
#define LKIND_STARTUPS		MK_INFO
#define LKIND_CIDRS		MK_INFO
#define MLIMIT(n, scope, t, mn, mx, def, what)				\
	{ #n, LTYPE_##t, LKIND_##t, "[limits] " #n ": " what },
static const struct mfield limit_fields[] = { SUP_LIMITS(MLIMIT) };
#undef MLIMIT

/* Counts by kind: the json names of each list. */
#define KIND_JSON(E, json, words)	#json,
static const char *const exit_kinds[] = {
	STATUS_EXIT_KINDS(KIND_JSON) NULL
};
static const char *const refusal_kinds[] = {
	STATUS_REFUSAL_KINDS(KIND_JSON) NULL
};
#undef KIND_JSON
/* ssh sessions by what their key exchange settled on (sshalgo.h). */
#define ALGO_JSON(n)	n,
static const char *const kex_kinds[] = { SSHALGO_KEX(ALGO_JSON, ) NULL };
static const char *const cipher_kinds[] = {
	SSHALGO_CIPHER(ALGO_JSON, ) NULL };
#undef ALGO_JSON
#define OFFENCE_JSON(N, n, secs, what)	#n,
static const char *const offence_kinds[] = {
	SOURCE_OFFENCES(OFFENCE_JSON) NULL
};
#undef OFFENCE_JSON

#define NITEMS(a)	(sizeof(a) / sizeof((a)[0]))

/* One object of the document and what to call its metrics. */
struct mobj {
	const char		*name;		/* iridium_NAME_...; a "name"
						   or "id" label's name */
	const struct mfield	*f;
	size_t			 nf;
	bool			 info;		/* labels on NAME_info only */
};

/* One instance of it, with up to one label from outside it. */
struct mrow {
	const json_t	*o;
	const char	*xlabel, *xvalue;
};

/* Label sets written so far in the current family. */
struct seen {
	char		**v;
	size_t		 n, cap;
};

static void
seen_reset(struct seen *s)
{
	size_t	 i;

	for (i = 0; i < s->n; i++)
		free(s->v[i]);
	s->n = 0;
}

/* True when labels were new to this family (and are remembered now). */
static bool
seen_add(struct seen *s, const char *labels)
{
	char	**nv;
	size_t	 i;

	for (i = 0; i < s->n; i++)
		if (strcmp(s->v[i], labels) == 0)
			return false;
	if (s->n == s->cap) {
		s->cap = s->cap == 0 ? 16 : s->cap * 2;
		if ((nv = reallocarray(s->v, s->cap, sizeof(*nv))) == NULL)
			return true;	/* cannot tell: write it */
		s->v = nv;
	}
	if ((s->v[s->n] = strdup(labels)) != NULL)
		s->n++;
	return true;
}

/* HELP text: backslash and newline escaped. */
static void
put_help(FILE *f, const char *family, const char *help, const char *type)
{
	const char	*p;

	fprintf(f, "# HELP %s ", family);
	for (p = help; *p != '\0'; p++) {
		if (*p == '\\')
			fputs("\\\\", f);
		else if (*p == '\n')
			fputs("\\n", f);
		else
			fputc(*p, f);
	}
	fprintf(f, "\n# TYPE %s %s\n", family, type);
}

/* name="value" with the value escaped as the format says. */
static void
add_label(struct buf *b, const char *name, const char *value)
{
	const char	*p;

	buf_printf(b, "%s%s=\"", b->len > 0 ? "," : "", name);
	for (p = value; *p != '\0'; p++) {
		if (*p == '\\')
			buf_puts(b, "\\\\");
		else if (*p == '"')
			buf_puts(b, "\\\"");
		else if (*p == '\n')
			buf_puts(b, "\\n");
		else
			buf_putc(b, *p);
	}
	buf_putc(b, '"');
}

/* What a LABEL field is called: a "name" or "id" by what it names. */
static const char *
label_name(const struct mobj *ob, const struct mfield *fd)
{
	if (strcmp(fd->name, "name") == 0 || strcmp(fd->name, "id") == 0)
		return ob->name;
	return fd->name;
}

/* The row's labels (LABEL fields, then its outside label). */
static void
row_labels(const struct mobj *ob, const struct mrow *r, struct buf *b)
{
	const json_t	*v;
	char		 num[32];
	size_t		 i;

	buf_reset(b);
	for (i = 0; i < ob->nf; i++) {
		if (ob->f[i].kind != MK_LABEL)
			continue;
		v = json_object_get(r->o, ob->f[i].name);
		if (json_is_string(v)) {
			add_label(b, label_name(ob, &ob->f[i]),
			    json_string_value(v));
		} else if (json_is_integer(v)) {
			snprintf(num, sizeof(num), "%lld",
			    (long long)json_integer_value(v));
			add_label(b, label_name(ob, &ob->f[i]), num);
		}
	}
	if (r->xlabel != NULL)
		add_label(b, r->xlabel, r->xvalue);
}

static void
put_sample(FILE *f, struct seen *s, const char *family, const struct buf *l,
    long long value)
{
	const char	*labels = l->len > 0 ? l->data : "";

	if (!seen_add(s, labels))
		return;
	if (labels[0] != '\0')
		fprintf(f, "%s{%s} %lld\n", family, labels, value);
	else
		fprintf(f, "%s %lld\n", family, value);
}

/* Every family of one object, over its rows. */
static void
put_object(FILE *f, struct seen *s, const struct mobj *ob,
    const struct mrow *rows, size_t nrows)
{
	struct buf	 labels;
	char		 family[128], help[256];
	const json_t	*v;
	size_t		 i, r;
	bool		 haslabels = false;

	buf_init(&labels, 0);
	for (i = 0; i < ob->nf; i++)
		if (ob->f[i].kind == MK_LABEL)
			haslabels = true;
	if (ob->info && haslabels) {
		snprintf(family, sizeof(family), "iridium_%s_info", ob->name);
		snprintf(help, sizeof(help), "always 1; the %s's labels say "
		    "what it is", ob->name);
		put_help(f, family, help, "gauge");
		seen_reset(s);
		for (r = 0; r < nrows; r++) {
			row_labels(ob, &rows[r], &labels);
			put_sample(f, s, family, &labels, 1);
		}
	}
	for (i = 0; i < ob->nf; i++) {
		if (ob->f[i].kind != MK_GAUGE && ob->f[i].kind != MK_COUNTER)
			continue;
		snprintf(family, sizeof(family), "iridium_%s_%s%s", ob->name,
		    ob->f[i].name, ob->f[i].kind == MK_COUNTER ? "_total" : "");
		put_help(f, family, ob->f[i].help, ob->f[i].kind ==
		    MK_COUNTER ? "counter" : "gauge");
		seen_reset(s);
		for (r = 0; r < nrows; r++) {
			v = json_object_get(rows[r].o, ob->f[i].name);
			if (!json_is_integer(v))
				continue;
			if (ob->info)
				buf_reset(&labels);
			else
				row_labels(ob, &rows[r], &labels);
			put_sample(f, s, family, &labels,
			    (long long)json_integer_value(v));
		}
	}
	buf_free(&labels);
}

/*
 * One counter family labelled by kind: iridium_NAME_total{..., LABEL=
 * kind}, from the object under key in each row.
 */
static void
put_kinds(FILE *f, struct seen *s, const struct mobj *ob, const char *name,
    const char *key, const char *label, const char *const *kinds,
    const char *help, const struct mrow *rows, size_t nrows)
{
	struct buf	 labels;
	char		 family[128];
	const json_t	*o, *v;
	size_t		 r, k, base;

	buf_init(&labels, 0);
	snprintf(family, sizeof(family), "iridium_%s_%s_total", ob->name,
	    name);
	put_help(f, family, help, "counter");
	seen_reset(s);
	for (r = 0; r < nrows; r++) {
		if (!json_is_object(o = json_object_get(rows[r].o, key)))
			continue;
		if (ob->info)
			buf_reset(&labels);
		else
			row_labels(ob, &rows[r], &labels);
		base = labels.len;
		for (k = 0; kinds[k] != NULL; k++) {
			if (!json_is_integer(v = json_object_get(o, kinds[k])))
				continue;
			labels.len = base;
			if (labels.data != NULL)
				labels.data[base] = '\0';
			add_label(&labels, label, kinds[k]);
			put_sample(f, s, family, &labels,
			    (long long)json_integer_value(v));
		}
	}
	buf_free(&labels);
}

/* The rows of an array (or of a single object). */
static struct mrow *
rows_of(const json_t *a, size_t *n)
{
	struct mrow	*rows;
	const json_t	*o;
	size_t		 i;

	*n = 0;
	if (json_is_object(a)) {
		if ((rows = calloc(1, sizeof(*rows))) != NULL) {
			rows[0].o = a;
			*n = 1;
		}
		return rows;
	}
	if ((rows = calloc(json_array_size(a) + 1, sizeof(*rows))) == NULL)
		return NULL;
	json_array_foreach(a, i, o)
		if (json_is_object(o))
			rows[(*n)++].o = o;
	return rows;
}

void
metrics_write_down(FILE *f)
{
	put_help(f, "iridium_up", "1 when iridiumctl could read iridiumd's "
	    "status, else 0", "gauge");
	fprintf(f, "iridium_up 0\n");
}

int
metrics_write(FILE *f, const json_t *doc, unsigned flags, char *err,
    size_t errlen)
{
	static const struct mobj daemon = { "daemon", daemon_fields,
	    NITEMS(daemon_fields), true };
	static const struct mobj listener = { "listener", listener_fields,
	    NITEMS(listener_fields), true };
	static const struct mobj pool = { "pool", pool_fields,
	    NITEMS(pool_fields), false };
	static const struct mobj sessions = { "sessions", sessions_fields,
	    NITEMS(sessions_fields), true };
	static const struct mobj tenant = { "tenant", tenant_fields,
	    NITEMS(tenant_fields), false };
	static const struct mobj admission = { "admission", admission_fields,
	    NITEMS(admission_fields), true };
	static const struct mobj limits = { "limits", limit_fields,
	    NITEMS(limit_fields), true };
	static const struct mobj session = { "session", session_fields,
	    NITEMS(session_fields), false };
	struct seen	 s = { NULL, 0, 0 };
	struct mrow	*rows;
	const json_t	*d, *o, *w, *ss;
	const char	*k;
	size_t		 n, i;

	if (json_integer_value(json_object_get(doc, "schema_version")) !=
	    STATUS_SCHEMA_VERSION || !json_is_object(d =
	    json_object_get(doc, "daemon"))) {
		snprintf(err, errlen, "not a status document of schema "
		    "version %d", STATUS_SCHEMA_VERSION);
		return -1;
	}
	put_help(f, "iridium_up", "1 when iridiumctl could read iridiumd's "
	    "status, else 0", "gauge");
	fprintf(f, "iridium_up 1\n");

	if ((rows = rows_of(d, &n)) != NULL)
		put_object(f, &s, &daemon, rows, n);
	free(rows);
	if ((rows = rows_of(json_object_get(d, "listeners"), &n)) != NULL)
		put_object(f, &s, &listener, rows, n);
	free(rows);
	if ((rows = rows_of(json_object_get(doc, "pools"), &n)) != NULL) {
		put_object(f, &s, &pool, rows, n);
		put_kinds(f, &s, &pool, "exits", "exits", "kind", exit_kinds,
		    "worker processes that ended, by how", rows, n);
	}
	free(rows);
	o = json_object_get(doc, "sessions");
	if ((rows = rows_of(o, &n)) != NULL) {
		put_object(f, &s, &sessions, rows, n);
		put_kinds(f, &s, &sessions, "kex", "kex", "kex", kex_kinds,
		    "ssh sessions by the key exchange method they settled on",
		    rows, n);
		put_kinds(f, &s, &sessions, "cipher", "ciphers", "cipher",
		    cipher_kinds, "ssh sessions by the cipher they settled on "
		    "(server to client)", rows, n);
	}
	free(rows);
	/* per_tenant is keyed by name: the key is the tenant label. */
	o = json_object_get(o, "per_tenant");
	if ((rows = calloc(json_object_size(o) + 1, sizeof(*rows))) != NULL) {
		n = 0;
		json_object_foreach((json_t *)(uintptr_t)o, k, w) {
			rows[n].o = w;
			rows[n].xlabel = "tenant";
			rows[n++].xvalue = k;
		}
		put_object(f, &s, &tenant, rows, n);
	}
	free(rows);
	o = json_object_get(doc, "admission");
	if ((rows = rows_of(o, &n)) != NULL) {
		put_object(f, &s, &admission, rows, n);
		put_kinds(f, &s, &admission, "refused", "refused", "limit",
		    refusal_kinds, "connections refused before they became "
		    "sessions, by the limit that refused them", rows, n);
		put_kinds(f, &s, &admission, "offences", "offences",
		    "offence", offence_kinds, "offences that earned their "
		    "source a penalty (exempt sources included)", rows, n);
	}
	free(rows);
	if ((rows = rows_of(json_object_get(doc, "limits"), &n)) != NULL)
		put_object(f, &s, &limits, rows, n);
	free(rows);
	/* Sessions one by one, with their worker's listener. */
	if ((flags & METRICS_SESSIONS) != 0 && (rows = rows_of(
	    json_object_get(doc, "workers"), &n)) != NULL) {
		size_t	 m = 0;

		for (i = 0; i < n; i++) {
			ss = json_object_get(rows[i].o, "session");
			if (!json_is_object(ss))
				continue;
			rows[m].xlabel = "listener";
			rows[m].xvalue = json_string_value(json_object_get(
			    rows[i].o, "listener"));
			if (rows[m].xvalue == NULL)
				rows[m].xvalue = "";
			rows[m++].o = ss;
		}
		put_object(f, &s, &session, rows, m);
		free(rows);
	}
	seen_reset(&s);
	free(s.v);
	return 0;
}
