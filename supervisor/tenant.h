/*
 * tenant.h: how many sessions each tenant holds, for the `sessions`
 * limit (SUP_LIMITS in status.h; supervisor/admit.c applies it).
 *
 * A line session belongs to its listener's tenant from the moment it is
 * accepted (a queued connection counts: it will be that tenant's session);
 * an ssh session from the moment its login is accepted (supervisor/auth.c
 * asks admit_login(), which asks here). Every hold is released exactly
 * once, when its connection or session ends.
 *
 * Entries are made on first use and dropped when they hold nothing and
 * have refused nothing; tenant names come from the configuration, so the
 * table stays small, but it is bounded all the same: past TENANT_MAX
 * names, a new tenant goes uncounted (admitted), which is counted.
 *
 * A library: no logging.
 */
#ifndef IRIDIUM_TENANT_H
#define IRIDIUM_TENANT_H

#include <stddef.h>
#include <stdint.h>

#define TENANT_MAX	1024

struct tenant_table;

struct tenant_table *tenant_new(void);
void		 tenant_free(struct tenant_table *);

/*
 * May tenant start one more session while max (0: no limit) is its
 * limit? Returns 0, or -1 with the line for the client in why ("Too many
 * sessions for tenant acme (at most 4). Please try again later.") and
 * the refusal counted.
 */
int		 tenant_admit(struct tenant_table *, const char *tenant,
		    unsigned max, char *why, size_t whylen);
/* A session of tenant started / ended. */
void		 tenant_hold(struct tenant_table *, const char *tenant);
void		 tenant_release(struct tenant_table *, const char *tenant);
unsigned	 tenant_active(const struct tenant_table *, const char *tenant);
/* Connections refused for tenant's limit so far. */
uint64_t	 tenant_refused(const struct tenant_table *,
		    const char *tenant);
/* Tenants that could not be counted because the table was full. */
uint64_t	 tenant_overflow(const struct tenant_table *);

#endif
