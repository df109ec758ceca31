/*
 * tenant.c: sessions held per tenant (see tenant.h).
 *
 * A plain array searched by name: tenants are named in the configuration
 * (a few, rarely hundreds), and the search runs once per connection.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <bsd/string.h>

#include "config.h"
#include "tenant.h"

struct tenant_entry {
	char		 name[CONFIG_NAMELEN];
	unsigned	 active;
	uint64_t	 refused;
};

struct tenant_table {
	struct tenant_entry	*v;
	size_t			 n, cap;
	uint64_t		 overflow;
};

struct tenant_table *
tenant_new(void)
{
	return calloc(1, sizeof(struct tenant_table));
}

void
tenant_free(struct tenant_table *t)
{
	if (t == NULL)
		return;
	free(t->v);
	free(t);
}

static struct tenant_entry *
find(const struct tenant_table *t, const char *name)
{
	size_t	 i;

	for (i = 0; i < t->n; i++)
		if (strcmp(t->v[i].name, name) == 0)
			return &t->v[i];
	return NULL;
}

/* The entry for name, made if there is room; NULL when there is not. */
static struct tenant_entry *
get(struct tenant_table *t, const char *name)
{
	struct tenant_entry	*e;
	size_t			 i, cap;

	if ((e = find(t, name)) != NULL)
		return e;
	/* Make room from entries that hold nothing and count nothing. */
	for (i = 0; t->n == TENANT_MAX && i < t->n; i++) {
		if (t->v[i].active == 0 && t->v[i].refused == 0) {
			t->v[i] = t->v[--t->n];
			break;
		}
	}
	if (t->n == TENANT_MAX || strlen(name) >= sizeof(e->name)) {
		t->overflow++;
		return NULL;
	}
	if (t->n == t->cap) {
		cap = t->cap == 0 ? 16 : t->cap * 2;
		if ((e = reallocarray(t->v, cap, sizeof(*e))) == NULL)
			return NULL;
		t->v = e;
		t->cap = cap;
	}
	e = &t->v[t->n++];
	memset(e, 0, sizeof(*e));
	strlcpy(e->name, name, sizeof(e->name));
	return e;
}

int
tenant_admit(struct tenant_table *t, const char *tenant, unsigned max,
    char *why, size_t whylen)
{
	struct tenant_entry	*e = find(t, tenant);

	if (max == 0 || e == NULL || e->active < max)
		return 0;
	e->refused++;
	snprintf(why, whylen, "Too many sessions for tenant %s (at most %u). "
	    "Please try again later.", tenant, max);
	return -1;
}

void
tenant_hold(struct tenant_table *t, const char *tenant)
{
	struct tenant_entry	*e = get(t, tenant);

	if (e != NULL)
		e->active++;
}

void
tenant_release(struct tenant_table *t, const char *tenant)
{
	struct tenant_entry	*e = find(t, tenant);

	if (e == NULL || e->active == 0)
		return;
	e->active--;
}

unsigned
tenant_active(const struct tenant_table *t, const char *tenant)
{
	const struct tenant_entry *e = find(t, tenant);

	return e != NULL ? e->active : 0;
}

uint64_t
tenant_refused(const struct tenant_table *t, const char *tenant)
{
	const struct tenant_entry *e = find(t, tenant);

	return e != NULL ? e->refused : 0;
}

uint64_t
tenant_overflow(const struct tenant_table *t)
{
	return t->overflow;
}
