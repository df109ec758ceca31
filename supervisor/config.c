/*
 * config.c: iridiumd's configuration as a whole (see config.h): defaults
 * from the key table, command-line flags over the file, [pool] and
 * [limits] merged into each listener and tenant, and the checks that span
 * several keys. The file itself is read by config_parse.c.
 *
 * Nothing here touches the system (no NSS, no sockets): the daemon checks
 * users, groups and paths when it uses them.
 */
#include <arpa/inet.h>
#include <netinet/in.h>

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <bsd/string.h>
#include <libssh/libssh.h>

#include "config.h"
#include "hostkey.h"
#include "sshalgo.h"

/* --- errors -------------------------------------------------------------- */

void
cfg_errors_init(struct cfg_errors *e)
{
	buf_init(&e->errors, 0);
	buf_init(&e->warnings, 0);
	e->nerrors = e->nwarnings = 0;
}

void
cfg_errors_free(struct cfg_errors *e)
{
	buf_free(&e->errors);
	buf_free(&e->warnings);
}

static void	add_line(struct buf *, bool, unsigned *, const char *,
		    uint32_t, const char *, va_list)
		    __attribute__((format(printf, 6, 0)));

static void
add_line(struct buf *b, bool warning, unsigned *n, const char *file,
    uint32_t line, const char *fmt, va_list ap)
{
	(*n)++;
	if (*n > CFG_ERRORS_MAX)
		return;
	if (file != NULL && line > 0)
		buf_printf(b, "%s:%u: ", file, line);
	else if (file != NULL)
		buf_printf(b, "%s: ", file);
	if (warning)
		buf_puts(b, "warning: ");
	buf_vprintf(b, fmt, ap);
	buf_putc(b, '\n');
}

void
cfg_error(struct cfg_errors *e, const char *file, uint32_t line,
    const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	add_line(&e->errors, false, &e->nerrors, file, line, fmt, ap);
	va_end(ap);
}

void
cfg_warning(struct cfg_errors *e, const char *file, uint32_t line,
    const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	add_line(&e->warnings, true, &e->nwarnings, file, line, fmt, ap);
	va_end(ap);
}

/* --- defaults ------------------------------------------------------------ */

static void
set_defaults(struct config *c, struct listener_cfg *l, struct tenant_cfg *t,
    enum cfg_group g)
{
	char	 err[256];
	int	 i;

	for (i = 0; i < CK_NKEYS; i++) {
		if (config_keys[i].group != g)
			continue;
		/* The table's defaults are valid: a unit test proves it. */
		(void)config_value_set(i, config_key_field(c, l, t, i),
		    config_keys[i].def, false, err, sizeof(err));
	}
}

void
config_defaults(struct config *c)
{
	memset(c, 0, sizeof(*c));
	set_defaults(c, NULL, NULL, CG_DAEMON);
	set_defaults(c, NULL, NULL, CG_POOL);
	set_defaults(c, NULL, NULL, CG_LIMITS);
	set_defaults(c, NULL, NULL, CG_SUP);
}

void
config_listener_defaults(struct listener_cfg *l, const char *name)
{
	memset(l, 0, sizeof(*l));
	strlcpy(l->name, name, sizeof(l->name));
	set_defaults(NULL, l, NULL, CG_LISTENER);
}

void
config_tenant_defaults(struct tenant_cfg *t, const char *name)
{
	memset(t, 0, sizeof(*t));
	strlcpy(t->name, name, sizeof(t->name));
	set_defaults(NULL, NULL, t, CG_TENANT);
}

bool
config_addr_is_loopback(const char *addr)
{
	struct in_addr	 a4;
	struct in6_addr	 a6;

	if (strcmp(addr, "localhost") == 0)
		return true;
	if (inet_pton(AF_INET, addr, &a4) == 1)
		return (ntohl(a4.s_addr) >> 24) == 127;
	if (inet_pton(AF_INET6, addr, &a6) == 1) {
		if (IN6_IS_ADDR_LOOPBACK(&a6))
			return true;
		return IN6_IS_ADDR_V4MAPPED(&a6) && a6.s6_addr[12] == 127;
	}
	return false;
}

/* --- flags --------------------------------------------------------------- */

static const enum cfg_group flag_groups[] = {
	[CF_DAEMON] = CG_DAEMON,
	[CF_POOL] = CG_POOL,
	[CF_LIMITS] = CG_LIMITS,
	[CF_LISTENER0] = CG_LISTENER,
};

int
config_flag_add(struct cfg_flags *f, enum cfg_flag_target target,
    const char *key, const char *value, char *err, size_t errlen)
{
	struct config		*scratch;
	struct listener_cfg	 l;
	struct cfg_flag		*fl;
	char			 why[256];
	int			 id;

	if (f->n == CONFIG_MAX_FLAGS) {
		snprintf(err, errlen, "too many settings (at most %d)",
		    CONFIG_MAX_FLAGS);
		return -1;
	}
	/* --limit sets the supervisor's own [limits] keys too. */
	if ((id = config_key_find(flag_groups[target], key)) == -1 &&
	    (target != CF_LIMITS || (id = config_key_find(CG_SUP,
	    key)) == -1)) {
		snprintf(err, errlen, "unknown %s setting \"%s\"",
		    config_group_section(flag_groups[target]), key);
		return -1;
	}
	/* Check the value now, so a bad flag is a usage error. */
	if ((scratch = calloc(1, sizeof(*scratch))) == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	config_listener_defaults(&l, "scratch");
	if (config_value_set(id, config_key_field(scratch, &l, NULL, id),
	    value, false, why, sizeof(why)) == -1) {
		free(scratch);
		snprintf(err, errlen, "%s: %s", key, why);
		return -1;
	}
	free(scratch);
	fl = &f->v[f->n];
	fl->target = target;
	fl->key = id;
	if (strlcpy(fl->value, value, sizeof(fl->value)) >=
	    sizeof(fl->value)) {
		snprintf(err, errlen, "%s: value too long", key);
		return -1;
	}
	f->n++;
	return 0;
}

static void
apply_flags(struct config *c, const struct cfg_flags *f,
    struct cfg_errors *errs)
{
	const struct cfg_flag	*fl;
	struct listener_cfg	*l0 = &c->listeners[0];
	char			 err[256];
	size_t			 i, j;

	for (i = 0; f != NULL && i < f->n; i++) {
		fl = &f->v[i];
		switch (fl->target) {
		case CF_DAEMON:
		case CF_LIMITS:
			if (config_value_set(fl->key, config_key_field(c, NULL,
			    NULL, fl->key), fl->value, false, err,
			    sizeof(err)) == -1)
				cfg_error(errs, NULL, 0, "%s: %s",
				    config_keys[fl->key].name, err);
			c->keyline[fl->key] = 0;
			break;
		case CF_POOL:
			/* The command line wins over every pool's value. */
			if (config_value_set(fl->key, config_key_field(c, NULL,
			    NULL, fl->key), fl->value, false, err,
			    sizeof(err)) == -1)
				cfg_error(errs, NULL, 0, "%s: %s",
				    config_keys[fl->key].name, err);
			c->keyline[fl->key] = 0;
			for (j = 0; j < c->nlisteners; j++)
				c->listeners[j].keyline[fl->key] = 0;
			break;
		case CF_LISTENER0:
			if (config_value_set(fl->key, config_key_field(c, l0,
			    NULL, fl->key), fl->value, false, err,
			    sizeof(err)) == -1)
				cfg_error(errs, NULL, 0, "%s: %s",
				    config_keys[fl->key].name, err);
			l0->keyline[fl->key] = 0;
			break;
		}
	}
}

/* --- merging ------------------------------------------------------------- */

/* Copy the keys of group g that inst set from src over a base copy. */
static void
merge_group(void *dst, const void *base, const void *over, size_t size,
    const uint32_t *keyline, enum cfg_group g)
{
	const struct cfg_key	*k;
	char			 tmp[sizeof(struct msg_limits) +
				    sizeof(struct pool_cfg) +
				    sizeof(struct sup_limits)];
	int			 i;

	memcpy(tmp, base, size);
	for (i = 0; i < CK_NKEYS; i++) {
		k = &config_keys[i];
		if (k->group == g && keyline[i] != 0)
			memcpy(tmp + k->off, (const char *)over + k->off,
			    k->size);
	}
	memcpy(dst, tmp, size);
}

static void
merge(struct config *c)
{
	struct listener_cfg	*l;
	struct tenant_cfg	*t;
	size_t			 i;

	for (i = 0; i < c->nlisteners; i++) {
		l = &c->listeners[i];
		merge_group(&l->pool, &c->pool, &l->pool, sizeof(l->pool),
		    l->keyline, CG_POOL);
		if (l->port == -1)
			l->port = strcmp(l->transport, "ssh") == 0 ?
			    CONFIG_PORT_SSH : CONFIG_PORT_LINE;
	}
	for (i = 0; i < c->ntenants; i++) {
		t = &c->tenants[i];
		merge_group(&t->limits, &c->limits, &t->limits,
		    sizeof(t->limits), t->keyline, CG_LIMITS);
		merge_group(&t->sup, &c->sup, &t->sup, sizeof(t->sup),
		    t->keyline, CG_SUP);
	}
	if (c->control[0] == '\0') {
		strlcpy(c->control, c->run_dir, sizeof(c->control));
		strlcat(c->control, "/" CONFIG_CONTROL_NAME,
		    sizeof(c->control));
	}
}

/* --workers N: every pool's max_workers, its spares shrunk to fit. */
static void
clamp_workers(struct config *c, unsigned n)
{
	struct pool_cfg	*p;
	size_t		 i;

	for (i = 0; i <= c->nlisteners; i++) {
		p = i < c->nlisteners ? &c->listeners[i].pool : &c->pool;
		p->max_workers = n;
		if (p->min_spare > n)
			p->min_spare = n;
		if (p->max_spare > n)
			p->max_spare = n;
	}
}

/* --- checks across keys -------------------------------------------------- */

/* The line of the first of two keys that a section set (else its own). */
static uint32_t
line_of(const struct config *c, const uint32_t *keyline, uint32_t secline,
    enum cfg_key_id a, enum cfg_key_id b)
{
	if (keyline != NULL && keyline[a] != 0)
		return keyline[a];
	if (keyline != NULL && keyline[b] != 0)
		return keyline[b];
	if (c->keyline[a] != 0)
		return c->keyline[a];
	if (c->keyline[b] != 0)
		return c->keyline[b];
	return secline;
}

static const char *
file_of(const struct config *c, uint32_t line)
{
	return line != 0 && c->path[0] != '\0' ? c->path : NULL;
}

static void
check_pool(const struct config *c, const struct listener_cfg *l,
    struct cfg_errors *e)
{
	const struct pool_cfg	*p = &l->pool;
	uint32_t		 ln;

	if (p->min_spare > p->max_spare) {
		ln = line_of(c, l->keyline, l->line, CK_POOL_min_spare,
		    CK_POOL_max_spare);
		cfg_error(e, file_of(c, ln), ln, "[listener %s] min_spare "
		    "(%u) is above max_spare (%u)", l->name, p->min_spare,
		    p->max_spare);
	}
	if (p->min_spare > p->max_workers) {
		ln = line_of(c, l->keyline, l->line, CK_POOL_min_spare,
		    CK_POOL_max_workers);
		cfg_error(e, file_of(c, ln), ln, "[listener %s] min_spare "
		    "(%u) is above max_workers (%u)", l->name, p->min_spare,
		    p->max_workers);
	}
	if (p->kill_timeout < p->ping_timeout) {
		ln = line_of(c, l->keyline, l->line, CK_POOL_kill_timeout,
		    CK_POOL_ping_timeout);
		cfg_error(e, file_of(c, ln), ln, "[listener %s] kill_timeout "
		    "(%u) is below ping_timeout (%u)", l->name,
		    p->kill_timeout, p->ping_timeout);
	}
}

static void
check_limits(const struct config *c, const char *what,
    const struct msg_limits *m, const uint32_t *keyline, uint32_t secline,
    struct cfg_errors *e)
{
	uint32_t	 ln;

	if (m->idle != 0 && m->idle_warn >= m->idle) {
		ln = line_of(c, keyline, secline, CK_LIMITS_idle_warn,
		    CK_LIMITS_idle);
		cfg_error(e, file_of(c, ln), ln, "%s idle_warn (%llu) must be "
		    "below idle (%llu)", what,
		    (unsigned long long)m->idle_warn,
		    (unsigned long long)m->idle);
	}
	if (m->lifetime != 0 && m->lifetime_warn >= m->lifetime) {
		ln = line_of(c, keyline, secline, CK_LIMITS_lifetime_warn,
		    CK_LIMITS_lifetime);
		cfg_error(e, file_of(c, ln), ln, "%s lifetime_warn (%llu) "
		    "must be below lifetime (%llu)", what,
		    (unsigned long long)m->lifetime_warn,
		    (unsigned long long)m->lifetime);
	}
}

static void
check_listener(const struct config *c, size_t i, struct cfg_errors *e)
{
	const struct listener_cfg *l = &c->listeners[i], *o;
	uint32_t	 ln;
	size_t		 j;

	if (l->transport[0] == '\0') {
		/* A bad value was reported where it was set. */
		if (l->keyline[CK_LISTENER_transport] != 0)
			return;
		cfg_error(e, file_of(c, l->line), l->line, "[listener %s] "
		    "transport: missing (transport = line or transport = ssh)",
		    l->name);
		return;
	}
	if (strcmp(l->transport, "line") == 0 &&
	    !config_addr_is_loopback(l->bind) && !l->allow_insecure_remote) {
		ln = l->keyline[CK_LISTENER_bind];
		cfg_error(e, file_of(c, ln), ln, "[listener %s] bind: "
		    "refusing to serve the unauthenticated line transport on "
		    "non-loopback address %s (allow it explicitly with "
		    "allow_insecure_remote = yes or --allow-insecure-remote)",
		    l->name, l->bind);
	}
	if (strcmp(l->transport, "ssh") == 0 &&
	    l->keyline[CK_LISTENER_tenant] != 0) {
		ln = l->keyline[CK_LISTENER_tenant];
		cfg_error(e, file_of(c, ln), ln, "[listener %s] tenant: only "
		    "line listeners have a fixed tenant (ssh sessions get "
		    "theirs from their key)", l->name);
	}
	/* Without trusted balancers a PROXY listener refuses everyone. */
	if (l->proxy_protocol && l->proxy_trusted.n == 0) {
		ln = l->keyline[CK_LISTENER_proxy_protocol];
		cfg_error(e, file_of(c, ln), ln, "[listener %s] "
		    "proxy_protocol: needs proxy_trusted, the addresses of "
		    "the load balancers that send the header", l->name);
	}
	for (j = 0; j < i; j++) {
		o = &c->listeners[j];
		if (l->port != 0 && l->port == o->port &&
		    strcmp(l->bind, o->bind) == 0) {
			ln = l->keyline[CK_LISTENER_port] != 0 ?
			    l->keyline[CK_LISTENER_port] : l->line;
			cfg_error(e, file_of(c, ln), ln, "[listener %s] port: "
			    "%s port %d is also listener %s's", l->name,
			    l->bind, l->port, o->name);
		}
	}
	check_pool(c, l, e);
}

/* Each algorithm of the four lists must be in the linked libssh. */
static void
check_algos(const struct config *c, struct cfg_errors *e)
{
	static const enum cfg_key_id keys[] = { CK_DAEMON_ssh_kex,
	    CK_DAEMON_ssh_ciphers, CK_DAEMON_ssh_macs,
	    CK_DAEMON_ssh_hostkey_algorithms };
	const struct cfg_key	*k;
	const char		*list, *p;
	char			 name[SSHALGO_NAME_MAX + 1];
	uint32_t		 ln;
	size_t			 i, n;

	for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		k = &config_keys[keys[i]];
		list = config_key_cfield(c, NULL, NULL, keys[i]);
		ln = c->keyline[keys[i]];
		for (p = list; *p != '\0'; p += n + (p[n] == ',')) {
			n = strcspn(p, ",");
			snprintf(name, sizeof(name), "%.*s", (int)n, p);
			if (!hostkey_libssh_has(config_algo_kind(k->type),
			    name))
				cfg_error(e, file_of(c, ln), ln, "[daemon] %s: "
				    "%s %s: the linked libssh (%s) does not "
				    "have it", k->name,
				    sshalgo_kind_words(config_algo_kind(
				    k->type)), name, ssh_version(0));
		}
	}
}

static void
check(const struct config *c, struct cfg_errors *e)
{
	const struct tenant_cfg	*t;
	char			 what[CONFIG_NAMELEN + 16];
	uint32_t		 ln;
	size_t			 i;

	for (i = 0; i < c->nlisteners; i++)
		check_listener(c, i, e);
	check_algos(c, e);
	check_limits(c, "[limits]", &c->limits, NULL, 0, e);
	if (c->sup.penalty_min > c->sup.penalty_max) {
		ln = line_of(c, NULL, 0, CK_SUP_penalty_min,
		    CK_SUP_penalty_max);
		cfg_error(e, file_of(c, ln), ln, "[limits] penalty_min (%u) is "
		    "above penalty_max (%u): no source would ever be refused",
		    c->sup.penalty_min, c->sup.penalty_max);
	}
	for (i = 0; i < c->ntenants; i++) {
		t = &c->tenants[i];
		snprintf(what, sizeof(what), "[tenant %s]", t->name);
		check_limits(c, what, &t->limits, t->keyline, t->line, e);
	}
	if (strlen(c->run_dir) + 1 + strlen(CONFIG_CONTROL_NAME) >=
	    CONFIG_PATHLEN)
		cfg_error(e, NULL, 0, "[daemon] run_dir: too long");
}

/* --- the whole ----------------------------------------------------------- */

static unsigned
finish(struct config *c, const struct cfg_flags *f, struct cfg_errors *e)
{
	if (c->nlisteners == 0) {
		/* No [listener] at all: the default line listener. */
		config_listener_defaults(&c->listeners[0], "line");
		strlcpy(c->listeners[0].transport, "line",
		    sizeof(c->listeners[0].transport));
		c->nlisteners = 1;
	}
	apply_flags(c, f, e);
	merge(c);
	if (f != NULL && f->workers != 0)
		clamp_workers(c, f->workers);
	check(c, e);
	return e->nerrors;
}

unsigned
config_build(struct config *c, const char *path, const struct cfg_flags *f,
    struct cfg_errors *e)
{
	config_defaults(c);
	if (path != NULL)
		config_parse_file(c, path, e);
	return finish(c, f, e);
}

unsigned
config_build_buf(struct config *c, const char *name, const char *buf,
    size_t len, const struct cfg_flags *f, struct cfg_errors *e)
{
	config_defaults(c);
	config_parse_buf(c, name, buf, len, e);
	return finish(c, f, e);
}

const struct tenant_cfg *
config_tenant_find(const struct config *c, const char *name)
{
	size_t	 i;

	for (i = 0; i < c->ntenants; i++)
		if (strcmp(c->tenants[i].name, name) == 0)
			return &c->tenants[i];
	return NULL;
}

const struct listener_cfg *
config_listener_find(const struct config *c, const char *name)
{
	size_t	 i;

	for (i = 0; i < c->nlisteners; i++)
		if (strcmp(c->listeners[i].name, name) == 0)
			return &c->listeners[i];
	return NULL;
}

const struct sup_limits *
config_tenant_sup(const struct config *c, const char *tenant)
{
	const struct tenant_cfg *t = config_tenant_find(c, tenant);

	return t != NULL ? &t->sup : &c->sup;
}

const struct msg_limits *
config_tenant_limits(const struct config *c, const char *tenant)
{
	const struct tenant_cfg *t = config_tenant_find(c, tenant);

	return t != NULL ? &t->limits : &c->limits;
}

void
config_ceilings(const struct config *c, struct msg_limits *out)
{
	const uint64_t	*t;
	uint64_t	*o;
	size_t		 i, j, n = sizeof(*out) / sizeof(uint64_t);

	/* struct msg_limits is all uint64_t (generated from MSG_LIMITS). */
	*out = c->limits;
	o = (uint64_t *)(void *)out;
	for (i = 0; i < c->ntenants; i++) {
		t = (const uint64_t *)(const void *)&c->tenants[i].limits;
		for (j = 0; j < n; j++) {
			/* 0 is "no limit", the largest of all. */
			if (o[j] == 0 || t[j] == 0)
				o[j] = 0;
			else if (t[j] > o[j])
				o[j] = t[j];
		}
	}
}
