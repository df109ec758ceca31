/*
 * config_doc.c: what the key table tells people: the effective
 * configuration (`iridiumd -T`), the example file (contrib/
 * iridiumd.conf.example is this output, and a test keeps it so), the
 * Markdown reference table (`iridiumd --config-reference`), and the list
 * of what a reload changed.
 */
#include <stdio.h>
#include <string.h>

#include <bsd/string.h>

#include "config.h"

#define VALUE_MAX	4096
#define WRAP		72
#define LINE_ROOM	180	/* below libinih's 198-byte lines */

static const char *const group_where[CG_NGROUPS] = {
	[CG_DAEMON] = "[daemon]",
	[CG_POOL] = "[pool], [listener NAME]",
	[CG_LISTENER] = "[listener NAME]",
	[CG_LIMITS] = "[limits], [tenant NAME]",
	[CG_TENANT] = "[tenant NAME]",
	[CG_SUP] = "[limits], [tenant NAME]",
};

/* The one-line description, with what the table says beyond it. */
static void
describe(enum cfg_key_id id, char *buf, size_t len)
{
	const struct cfg_key	*k = &config_keys[id];

	strlcpy(buf, k->doc, len);
	if (k->group == CG_LIMITS && k->min == 0)
		strlcat(buf, strstr(k->name, "_warn") != NULL ?
		    "; 0: no warning" : "; 0: no limit", len);
	if (k->type == CT_UINT || k->type == CT_U64 || k->type == CT_PORT) {
		char	 r[64];

		snprintf(r, sizeof(r), "; %llu..%llu",
		    (unsigned long long)k->min, (unsigned long long)k->max);
		strlcat(buf, r, len);
	}
	if (k->flags & CK_SERVER)
		strlcat(buf, "; server-wide: [limits] only", len);
	if (k->flags & CK_RESTART)
		strlcat(buf, "; a reload keeps the running value (restart "
		    "to change it)", len);
}

/* "key = value"; a list too long for a line goes on indented lines. */
static void
write_key(FILE *f, const char *prefix, const char *name, const char *value)
{
	const char	*p = value;
	size_t		 room = LINE_ROOM - strlen(name) - 4, n, used = 0;

	if (*value == '\0') {
		fprintf(f, "%s%s =\n", prefix, name);
		return;
	}
	fprintf(f, "%s%s = ", prefix, name);
	if (strlen(value) <= room) {
		fprintf(f, "%s\n", value);
		return;
	}
	while (*p != '\0') {
		n = strcspn(p, ",");
		if (used > 0 && used + n + 2 > room) {
			fprintf(f, ",\n%s    ", prefix);
			used = 0;
		} else if (used > 0) {
			fputs(", ", f);
			used += 2;
		}
		fprintf(f, "%.*s", (int)n, p);
		used += n;
		p += n;
		while (*p == ',' || *p == ' ')
			p++;
	}
	fputc('\n', f);
}

static void
write_group(FILE *f, const struct config *c, const struct listener_cfg *l,
    const struct tenant_cfg *t, enum cfg_group g)
{
	char	 v[VALUE_MAX];
	int	 i;

	for (i = 0; i < CK_NKEYS; i++) {
		if (config_keys[i].group != g || (t != NULL &&
		    (config_keys[i].flags & CK_SERVER) != 0))
			continue;
		/* An ssh listener has no fixed tenant: -T must read back. */
		if (l != NULL && i == CK_LISTENER_tenant &&
		    strcmp(l->transport, "ssh") == 0)
			continue;
		config_value_format(i, config_key_cfield(c, l, t, i), v,
		    sizeof(v));
		write_key(f, "", config_keys[i].name, v);
	}
}

void
config_write(FILE *f, const struct config *c)
{
	size_t	 i;

	fprintf(f, "# iridiumd's effective configuration%s%s\n",
	    c->path[0] != '\0' ? " from " : "", c->path);
	fprintf(f, "\n[daemon]\n");
	write_group(f, c, NULL, NULL, CG_DAEMON);
	fprintf(f, "\n[pool]\n");
	write_group(f, c, NULL, NULL, CG_POOL);
	fprintf(f, "\n[limits]\n");
	write_group(f, c, NULL, NULL, CG_LIMITS);
	write_group(f, c, NULL, NULL, CG_SUP);
	for (i = 0; i < c->nlisteners; i++) {
		fprintf(f, "\n[listener %s]\n", c->listeners[i].name);
		write_group(f, c, &c->listeners[i], NULL, CG_LISTENER);
		write_group(f, c, &c->listeners[i], NULL, CG_POOL);
	}
	for (i = 0; i < c->ntenants; i++) {
		fprintf(f, "\n[tenant %s]\n", c->tenants[i].name);
		write_group(f, c, NULL, &c->tenants[i], CG_TENANT);
		write_group(f, c, NULL, &c->tenants[i], CG_LIMITS);
		write_group(f, c, NULL, &c->tenants[i], CG_SUP);
	}
}

/* A comment paragraph, wrapped. */
static void
comment(FILE *f, const char *text)
{
	const char	*p = text, *sp;
	size_t		 n;

	while (*p != '\0') {
		n = strlen(p);
		if (n > WRAP - 2) {
			n = WRAP - 2;
			for (sp = p + n; sp > p && *sp != ' '; sp--)
				;
			if (sp > p)
				n = (size_t)(sp - p);
		}
		fprintf(f, "# %.*s\n", (int)n, p);
		p += n;
		while (*p == ' ')
			p++;
	}
}

static void
example_group(FILE *f, enum cfg_group g, const char *skip)
{
	char	 d[512];
	int	 i;

	for (i = 0; i < CK_NKEYS; i++) {
		if (config_keys[i].group != g ||
		    (skip != NULL && strcmp(config_keys[i].name, skip) == 0))
			continue;
		describe(i, d, sizeof(d));
		comment(f, d);
		write_key(f, ";", config_keys[i].name, config_keys[i].def);
	}
}

void
config_write_example(FILE *f)
{
	fprintf(f,
"# iridiumd.conf: the configuration of iridiumd, the Iridium server.\n"
"#\n"
"# Generated from iridiumd's table of keys (iridiumd --example-config):\n"
"# every key with its description and its default, commented out.\n"
"# Check a file with `iridiumd -t -f FILE`; `iridiumd -T -f FILE` shows\n"
"# what iridiumd makes of it. SIGHUP or `iridiumctl reload` re-reads it.\n"
"#\n"
"# Syntax (libinih): [section] headers, KEY = VALUE lines, comments on\n"
"# lines of their own starting with ; or #, or after a value as \" ; ...\".\n"
"# Lines are at most 198 bytes. An indented line continues the key before\n"
"# it, which only list keys (proxy_trusted) allow. Values are not quoted.\n"
"# Booleans: yes/no, true/false, on/off, 1/0. Times are in seconds.\n"
"# Flags on iridiumd's command line override this file.\n");
	fprintf(f, "\n[daemon]\n");
	example_group(f, CG_DAEMON, NULL);
	fprintf(f, "\n# Pools of pre-forked workers: the defaults of every "
	    "listener's pool.\n[pool]\n");
	example_group(f, CG_POOL, NULL);
	fprintf(f, "\n# Session limits: the defaults of every tenant.\n"
	    "[limits]\n");
	example_group(f, CG_LIMITS, NULL);
	fprintf(f, "\n# The supervisor's own limits (also [limits] keys): "
	    "what it checks before\n# a connection becomes a session, and "
	    "the penalties of sources whose\n# sessions went wrong.\n");
	example_group(f, CG_SUP, NULL);
	fprintf(f, "\n# One section per listener, each with its own pool. "
	    "Without any, iridiumd\n# serves one: [listener line], "
	    "transport = line on 127.0.0.1:2244.\n"
	    "[listener line]\ntransport = line\n");
	example_group(f, CG_LISTENER, "transport");
	fprintf(f, "# Any [pool] key set here overrides [pool] for this "
	    "listener, e.g.\n;max_workers = 64\n");
	fprintf(f, "\n# One section per tenant: any [limits] key set here "
	    "overrides [limits]\n# for the tenant's sessions, e.g.\n"
	    ";[tenant anonymous]\n;budget = 10000000\n");
	example_group(f, CG_TENANT, NULL);
}

static void
md_escape(FILE *f, const char *s)
{
	for (; *s != '\0'; s++) {
		if (*s == '|')
			fputs("\\|", f);
		else
			fputc(*s, f);
	}
}

void
config_write_reference(FILE *f)
{
	char	 d[512];
	int	 i;

	fprintf(f, "| section | key | default | meaning |\n"
	    "| --- | --- | --- | --- |\n");
	for (i = 0; i < CK_NKEYS; i++) {
		describe(i, d, sizeof(d));
		fprintf(f, "| %s | `%s` | %s%s%s | ",
		    (config_keys[i].flags & CK_SERVER) != 0 ? "[limits]" :
		    group_where[config_keys[i].group], config_keys[i].name,
		    config_keys[i].def[0] != '\0' ? "`" : "",
		    config_keys[i].def[0] != '\0' ? config_keys[i].def : "",
		    config_keys[i].def[0] != '\0' ? "`" : "");
		md_escape(f, d);
		fprintf(f, " |\n");
	}
}

/* --- what a reload changes ----------------------------------------------- */

static size_t
diff_group(const char *label, const struct config *a, const struct config *b,
    const struct listener_cfg *la, const struct listener_cfg *lb,
    const struct tenant_cfg *ta, const struct tenant_cfg *tb,
    enum cfg_group g, void (*emit)(void *, const char *), void *arg)
{
	char		 va[VALUE_MAX], vb[VALUE_MAX];
	char		 line[2 * VALUE_MAX + 128];
	const void	*fa, *fb;
	size_t		 n = 0;
	int		 i;

	for (i = 0; i < CK_NKEYS; i++) {
		if (config_keys[i].group != g || (ta != NULL &&
		    (config_keys[i].flags & CK_SERVER) != 0))
			continue;
		fa = config_key_cfield(a, la, ta, i);
		fb = config_key_cfield(b, lb, tb, i);
		if (config_value_equal(i, fa, fb))
			continue;
		config_value_format(i, fa, va, sizeof(va));
		config_value_format(i, fb, vb, sizeof(vb));
		snprintf(line, sizeof(line), "%s %s: \"%s\" -> \"%s\"", label,
		    config_keys[i].name, va, vb);
		emit(arg, line);
		n++;
	}
	return n;
}

size_t
config_diff(const struct config *a, const struct config *b,
    void (*emit)(void *, const char *), void *arg)
{
	const struct listener_cfg *la, *lb;
	const struct tenant_cfg	*ta, *tb;
	char			 label[CONFIG_NAMELEN + 16];
	size_t			 n = 0, i;

	n += diff_group("[daemon]", a, b, NULL, NULL, NULL, NULL, CG_DAEMON,
	    emit, arg);
	n += diff_group("[pool]", a, b, NULL, NULL, NULL, NULL, CG_POOL,
	    emit, arg);
	n += diff_group("[limits]", a, b, NULL, NULL, NULL, NULL, CG_LIMITS,
	    emit, arg);
	n += diff_group("[limits]", a, b, NULL, NULL, NULL, NULL, CG_SUP,
	    emit, arg);
	for (i = 0; i < a->nlisteners; i++) {
		la = &a->listeners[i];
		snprintf(label, sizeof(label), "[listener %s]", la->name);
		if ((lb = config_listener_find(b, la->name)) == NULL) {
			snprintf(label, sizeof(label), "[listener %s] removed",
			    la->name);
			emit(arg, label);
			n++;
			continue;
		}
		n += diff_group(label, a, b, la, lb, NULL, NULL, CG_LISTENER,
		    emit, arg);
		n += diff_group(label, a, b, la, lb, NULL, NULL, CG_POOL,
		    emit, arg);
	}
	for (i = 0; i < b->nlisteners; i++) {
		if (config_listener_find(a, b->listeners[i].name) == NULL) {
			snprintf(label, sizeof(label), "[listener %s] added",
			    b->listeners[i].name);
			emit(arg, label);
			n++;
		}
	}
	for (i = 0; i < a->ntenants; i++) {
		ta = &a->tenants[i];
		snprintf(label, sizeof(label), "[tenant %s]", ta->name);
		if ((tb = config_tenant_find(b, ta->name)) == NULL) {
			snprintf(label, sizeof(label), "[tenant %s] removed",
			    ta->name);
			emit(arg, label);
			n++;
			continue;
		}
		n += diff_group(label, a, b, NULL, NULL, ta, tb, CG_TENANT,
		    emit, arg);
		n += diff_group(label, a, b, NULL, NULL, ta, tb, CG_LIMITS,
		    emit, arg);
		n += diff_group(label, a, b, NULL, NULL, ta, tb, CG_SUP,
		    emit, arg);
	}
	for (i = 0; i < b->ntenants; i++) {
		if (config_tenant_find(a, b->tenants[i].name) == NULL) {
			snprintf(label, sizeof(label), "[tenant %s] added",
			    b->tenants[i].name);
			emit(arg, label);
			n++;
		}
	}
	return n;
}
