/*
 * config.c: iridiumd's configuration defaults and the checks that span
 * several keys (see config.h).
 */
#include <arpa/inet.h>
#include <netinet/in.h>

#include <stdio.h>
#include <string.h>

#include <bsd/string.h>

#include "config.h"

void
pool_cfg_defaults(struct pool_cfg *p)
{
	p->min_spare = 2;
	p->max_spare = 8;
	p->max_workers = 64;
	p->queue = 16;
	p->queue_timeout = 10;
	p->throttle = 10;
	p->ready_timeout = 10;
	p->ping_interval = 10;
	p->ping_timeout = 20;
	p->kill_timeout = 60;
	p->grace = 5;
}

void
config_defaults(struct config *c)
{
	struct listener_cfg	*l;

	memset(c, 0, sizeof(*c));
	strlcpy(c->user, "iridium", sizeof(c->user));
	strlcpy(c->run_dir, CONFIG_RUN_DIR, sizeof(c->run_dir));
	c->chroot[0] = '\0';	/* default: <run_dir>/empty */
	snprintf(c->worker_path, sizeof(c->worker_path), "%s/iridium-worker",
	    IRIDIUM_LIBEXECDIR);
	c->log_level = 6;	/* LOG_INFO */
	pool_cfg_defaults(&c->pool);
	msg_limits_default(&c->limits);

	l = &c->listeners[0];
	strlcpy(l->name, "line", sizeof(l->name));
	strlcpy(l->transport, "line", sizeof(l->transport));
	strlcpy(l->bind, "127.0.0.1", sizeof(l->bind));
	l->port = 2244;
	strlcpy(l->tenant, "anonymous", sizeof(l->tenant));
	l->pool = c->pool;
	c->nlisteners = 1;
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

static int
addr_is_numeric(const char *addr)
{
	struct in6_addr	 a;

	return inet_pton(AF_INET, addr, &a) == 1 ||
	    inet_pton(AF_INET6, addr, &a) == 1;
}

static int
pool_check(const char *name, const struct pool_cfg *p, char *err,
    size_t errlen)
{
	if (p->max_workers == 0) {
		snprintf(err, errlen, "listener %s: max_workers must be at "
		    "least 1", name);
		return -1;
	}
	if (p->min_spare > p->max_spare) {
		snprintf(err, errlen, "listener %s: min_spare (%u) is above "
		    "max_spare (%u)", name, p->min_spare, p->max_spare);
		return -1;
	}
	if (p->min_spare > p->max_workers) {
		snprintf(err, errlen, "listener %s: min_spare (%u) is above "
		    "max_workers (%u)", name, p->min_spare, p->max_workers);
		return -1;
	}
	if (p->ping_interval == 0 || p->ping_timeout == 0 ||
	    p->kill_timeout < p->ping_timeout) {
		snprintf(err, errlen, "listener %s: ping_interval and "
		    "ping_timeout must be at least 1 and kill_timeout at "
		    "least ping_timeout", name);
		return -1;
	}
	return 0;
}

int
config_check(const struct config *c, char *err, size_t errlen)
{
	const struct listener_cfg *l;
	const struct msg_limits *m = &c->limits;
	size_t	 i, j;

	if (c->nlisteners == 0) {
		snprintf(err, errlen, "no listener configured");
		return -1;
	}
	for (i = 0; i < c->nlisteners; i++) {
		l = &c->listeners[i];
		for (j = 0; j < i; j++) {
			if (strcmp(l->name, c->listeners[j].name) == 0) {
				snprintf(err, errlen, "duplicate listener %s",
				    l->name);
				return -1;
			}
		}
		if (!addr_is_numeric(l->bind) &&
		    strcmp(l->bind, "localhost") != 0) {
			snprintf(err, errlen, "listener %s: bind address "
			    "\"%s\" is not a numeric IPv4 or IPv6 address",
			    l->name, l->bind);
			return -1;
		}
		if (l->port < 0 || l->port > 65535) {
			snprintf(err, errlen, "listener %s: port %d out of "
			    "range (0..65535)", l->name, l->port);
			return -1;
		}
		if (strcmp(l->transport, "line") == 0 &&
		    !config_addr_is_loopback(l->bind) &&
		    !l->allow_insecure_remote) {
			snprintf(err, errlen, "listener %s: refusing to serve "
			    "the unauthenticated line transport on "
			    "non-loopback address %s (allow it explicitly "
			    "with allow_insecure_remote = yes or "
			    "--allow-insecure-remote)", l->name, l->bind);
			return -1;
		}
		if (pool_check(l->name, &l->pool, err, errlen) == -1)
			return -1;
	}
	if (m->idle != 0 && m->idle_warn >= m->idle) {
		snprintf(err, errlen, "limits: idle_warn (%llu) must be below "
		    "idle (%llu)", (unsigned long long)m->idle_warn,
		    (unsigned long long)m->idle);
		return -1;
	}
	if (m->lifetime != 0 && m->lifetime_warn >= m->lifetime) {
		snprintf(err, errlen, "limits: lifetime_warn (%llu) must be "
		    "below lifetime (%llu)",
		    (unsigned long long)m->lifetime_warn,
		    (unsigned long long)m->lifetime);
		return -1;
	}
	return 0;
}
