/*
 * source.c: per-source session counts and penalties (see source.h).
 *
 * A chained hash table keyed by the source (IPv4 address or IPv6 /64),
 * hashed with SipHash under a per-table random key so that no client
 * can choose addresses that collide. Entries exist only while a source holds a
 * session or serves a penalty; the 1-second tick drops the rest.
 */
#include <sys/queue.h>
#include <sys/random.h>
#include <sys/socket.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "siphash.h"
#include "source.h"

#define NBUCKETS	16384		/* a power of two */

struct source {
	LIST_ENTRY(source)	 chain;		/* in its bucket */
	LIST_ENTRY(source)	 all;		/* in the table's list */
	struct source_key	 key;
	unsigned		 active;
	int64_t			 until_ms;	/* penalty end; 0: none */
};

struct source_table {
	struct source_cfg	 cfg;
	struct source_cidr	*exempt;	/* our copy */
	LIST_HEAD(, source)	 bucket[NBUCKETS];
	/* Every entry: the per-second sweep walks entries, not buckets. */
	LIST_HEAD(, source)	 all;
	uint8_t			 key[SIPHASH_KEY_LEN];
	uint64_t		 n;
	uint64_t		 offences[SOURCE_NOFFENCES];
	uint64_t		 refused_penalty, refused_cap, overflow;
};

static const unsigned offence_secs[SOURCE_NOFFENCES] = {
#define SOURCE_SECS(N, n, secs, what)	[SOURCE_##N] = secs,
	SOURCE_OFFENCES(SOURCE_SECS)
#undef SOURCE_SECS
};
static const char *const offence_names[SOURCE_NOFFENCES] = {
#define SOURCE_NAME(N, n, secs, what)	[SOURCE_##N] = #n,
	SOURCE_OFFENCES(SOURCE_NAME)
#undef SOURCE_NAME
};

const char *
source_offence_name(enum source_offence o)
{
	return o < SOURCE_NOFFENCES ? offence_names[o] : "unknown";
}

void
source_cfg_defaults(struct source_cfg *c)
{
	int	 i;

	memset(c, 0, sizeof(*c));
	for (i = 0; i < SOURCE_NOFFENCES; i++)
		c->penalty[i] = offence_secs[i];
	c->penalty_min = 15;
	c->penalty_max = 600;
	c->max_sources = 65536;
}

void
source_configure(struct source_table *t, const struct source_cfg *cfg)
{
	struct source_cidr	*ex = NULL;

	if (cfg->nexempt > 0 &&
	    (ex = calloc(cfg->nexempt, sizeof(*ex))) != NULL)
		memcpy(ex, cfg->exempt, cfg->nexempt * sizeof(*ex));
	free(t->exempt);
	t->cfg = *cfg;
	t->exempt = ex;
	t->cfg.exempt = ex;
	if (ex == NULL)
		t->cfg.nexempt = 0;
}

struct source_table *
source_new(const struct source_cfg *cfg)
{
	struct source_table	*t;

	if ((t = calloc(1, sizeof(*t))) == NULL)
		return NULL;
	if (getrandom(t->key, sizeof(t->key), 0) != sizeof(t->key)) {
		free(t);
		return NULL;
	}
	source_configure(t, cfg);
	return t;
}

void
source_free(struct source_table *t)
{
	struct source	*s;

	if (t == NULL)
		return;
	while ((s = LIST_FIRST(&t->all)) != NULL) {
		LIST_REMOVE(s, all);
		free(s);
	}
	free(t->exempt);
	free(t);
}

/* --- keys ---------------------------------------------------------------- */

static void
key_from_v4(struct source_key *k, const void *a4)
{
	memset(k->b, 0, sizeof(k->b));
	k->b[10] = k->b[11] = 0xff;
	memcpy(k->b + 12, a4, 4);
}

static void
key_from_v6(struct source_key *k, const struct in6_addr *a6)
{
	if (IN6_IS_ADDR_V4MAPPED(a6)) {
		key_from_v4(k, a6->s6_addr + 12);
		return;
	}
	memcpy(k->b, a6->s6_addr, 8);	/* the /64 */
	memset(k->b + 8, 0, 8);
}

int
source_key_sa(struct source_key *k, const struct sockaddr *sa)
{
	if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *s4 = (const void *)sa;

		key_from_v4(k, &s4->sin_addr);
		return 0;
	}
	if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *s6 = (const void *)sa;

		key_from_v6(k, &s6->sin6_addr);
		return 0;
	}
	errno = EAFNOSUPPORT;
	return -1;
}

int
source_key_str(struct source_key *k, const char *addr)
{
	struct in_addr	 a4;
	struct in6_addr	 a6;

	if (inet_pton(AF_INET, addr, &a4) == 1) {
		key_from_v4(k, &a4);
		return 0;
	}
	if (inet_pton(AF_INET6, addr, &a6) == 1) {
		key_from_v6(k, &a6);
		return 0;
	}
	errno = EINVAL;
	return -1;
}

/* Whether 16 address bytes are an IPv4 address, v4-mapped. */
static bool
is_v4(const uint8_t *b)
{
	static const uint8_t pfx[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	    0xff, 0xff };

	return memcmp(b, pfx, sizeof(pfx)) == 0;
}

static bool
key_is_v4(const struct source_key *k)
{
	return is_v4(k->b);
}

const char *
source_key_name(const struct source_key *k, char *buf, size_t len)
{
	char	 a[INET6_ADDRSTRLEN];

	if (key_is_v4(k)) {
		inet_ntop(AF_INET, k->b + 12, a, sizeof(a));
		snprintf(buf, len, "%s", a);
	} else {
		inet_ntop(AF_INET6, k->b, a, sizeof(a));
		snprintf(buf, len, "%s/64", a);
	}
	return buf;
}

int
source_cidr_parse(struct source_cidr *c, const char *s)
{
	char		 addr[INET6_ADDRSTRLEN + 1], *end;
	const char	*slash = strchr(s, '/');
	struct in_addr	 a4;
	struct in6_addr	 a6;
	size_t		 len = slash != NULL ? (size_t)(slash - s) : strlen(s);
	long		 p;
	unsigned	 max;

	if (len == 0 || len >= sizeof(addr))
		return -1;
	memcpy(addr, s, len);
	addr[len] = '\0';
	memset(c, 0, sizeof(*c));
	if (inet_pton(AF_INET, addr, &a4) == 1) {
		c->b[10] = c->b[11] = 0xff;
		memcpy(c->b + 12, &a4, 4);
		max = 32;
	} else if (inet_pton(AF_INET6, addr, &a6) == 1) {
		memcpy(c->b, a6.s6_addr, 16);
		max = 128;
	} else {
		return -1;
	}
	p = max;
	if (slash != NULL) {
		errno = 0;
		p = strtol(slash + 1, &end, 10);
		if (errno != 0 || *end != '\0' || end == slash + 1 || p < 0 ||
		    p > (long)max)
			return -1;
	}
	c->prefix = (unsigned)p + (max == 32 ? 96 : 0);
	return 0;
}

/* Whether the first prefix bits of a and b are the same. */
static bool
prefix_eq(const uint8_t *a, const uint8_t *b, unsigned prefix)
{
	unsigned	 full = prefix / 8, rest = prefix % 8;
	uint8_t		 mask;

	if (memcmp(a, b, full) != 0)
		return false;
	if (rest == 0)
		return true;
	mask = (uint8_t)(0xff << (8 - rest));
	return (a[full] & mask) == (b[full] & mask);
}

/*
 * Ranges and keys compare as IPv6 (IPv4 v4-mapped), bit by bit. An IPv6
 * key is a whole /64, so against it a longer prefix counts as its /64,
 * and an IPv4 range (within ::ffff:0:0/96) never matches it.
 */
bool
source_cidr_match(const struct source_cidr *c, const struct source_key *k)
{
	unsigned	 prefix = c->prefix;

	if (!key_is_v4(k)) {
		if (prefix >= 96 && is_v4(c->b))
			return false;
		if (prefix > 64)
			prefix = 64;
	}
	return prefix_eq(c->b, k->b, prefix);
}

int
source_addr16(uint8_t b[16], const char *addr)
{
	struct in_addr	 a4;
	struct in6_addr	 a6;

	if (inet_pton(AF_INET, addr, &a4) == 1) {
		memset(b, 0, 16);
		b[10] = b[11] = 0xff;
		memcpy(b + 12, &a4, 4);
		return 0;
	}
	if (inet_pton(AF_INET6, addr, &a6) == 1) {
		memcpy(b, a6.s6_addr, 16);
		return 0;
	}
	return -1;
}

bool
source_cidr_has(const struct source_cidr *c, const uint8_t b[16])
{
	return prefix_eq(c->b, b, c->prefix);
}

bool
source_exempt(const struct source_table *t, const struct source_key *k)
{
	size_t	 i;

	for (i = 0; i < t->cfg.nexempt; i++)
		if (source_cidr_match(&t->cfg.exempt[i], k))
			return true;
	return false;
}

/* --- the table ----------------------------------------------------------- */

/* SipHash-1-3 of the key under the table's random key. */
static size_t
hash(const struct source_table *t, const struct source_key *k)
{
	return (size_t)(siphash(t->key, k->b, sizeof(k->b), 1, 3) &
	    (NBUCKETS - 1));
}

static struct source *
find(const struct source_table *t, const struct source_key *k)
{
	struct source	*s;

	LIST_FOREACH(s, &t->bucket[hash(t, k)], chain)
		if (memcmp(&s->key, k, sizeof(*k)) == 0)
			return s;
	return NULL;
}

/* The entry for k, created if there is room; NULL when the table is full. */
static struct source *
get(struct source_table *t, const struct source_key *k)
{
	struct source	*s;
	size_t		 h;

	if ((s = find(t, k)) != NULL)
		return s;
	if (t->n >= t->cfg.max_sources) {
		t->overflow++;
		return NULL;
	}
	if ((s = calloc(1, sizeof(*s))) == NULL)
		return NULL;
	h = hash(t, k);
	s->key = *k;
	LIST_INSERT_HEAD(&t->bucket[h], s, chain);
	LIST_INSERT_HEAD(&t->all, s, all);
	t->n++;
	return s;
}

static int64_t
left_ms(const struct source *s, int64_t now)
{
	return s != NULL && s->until_ms > now ? s->until_ms - now : 0;
}

unsigned
source_penalty_left(const struct source_table *t, const struct source_key *k,
    int64_t now)
{
	return (unsigned)((left_ms(find(t, k), now) + 999) / 1000);
}

int
source_admit(struct source_table *t, const struct source_key *k,
    unsigned max_active, int64_t now, char *why, size_t whylen)
{
	struct source	*s = find(t, k);
	int64_t		 left = left_ms(s, now);

	/* Exempt sources are never penalised, and never capped either. */
	if (source_exempt(t, k))
		return 0;
	if (left >= (int64_t)t->cfg.penalty_min * 1000 && left > 0) {
		t->refused_penalty++;
		snprintf(why, whylen, "Connections from your address are "
		    "refused for %lld more second%s after earlier failures.",
		    (long long)((left + 999) / 1000),
		    plural((unsigned long long)((left + 999) / 1000)));
		return -1;
	}
	if (max_active != 0 && s != NULL && s->active >= max_active) {
		t->refused_cap++;
		snprintf(why, whylen, "Too many sessions from your address "
		    "(at most %u). Please try again later.", max_active);
		return -1;
	}
	return 0;
}

void
source_hold(struct source_table *t, const struct source_key *k, int64_t now)
{
	struct source	*s = get(t, k);

	(void)now;
	if (s != NULL)
		s->active++;
}

void
source_release(struct source_table *t, const struct source_key *k,
    int64_t now)
{
	struct source	*s = find(t, k);

	(void)now;
	if (s != NULL && s->active > 0)
		s->active--;
}

unsigned
source_active(const struct source_table *t, const struct source_key *k)
{
	const struct source *s = find(t, k);

	return s != NULL ? s->active : 0;
}

unsigned
source_penalise(struct source_table *t, const struct source_key *k,
    enum source_offence o, int64_t now)
{
	struct source	*s;
	int64_t		 left, cap = (int64_t)t->cfg.penalty_max * 1000;

	if (o >= SOURCE_NOFFENCES)
		return 0;
	t->offences[o]++;
	if (source_exempt(t, k) || (s = get(t, k)) == NULL)
		return 0;
	left = left_ms(s, now) + (int64_t)t->cfg.penalty[o] * 1000;
	if (left > cap)
		left = cap;
	s->until_ms = now + left;
	return (unsigned)((left + 999) / 1000);
}

void
source_expire(struct source_table *t, int64_t now)
{
	struct source	*s, *next;

	for (s = LIST_FIRST(&t->all); s != NULL; s = next) {
		next = LIST_NEXT(s, all);
		if (s->active == 0 && s->until_ms <= now) {
			LIST_REMOVE(s, chain);
			LIST_REMOVE(s, all);
			free(s);
			t->n--;
		}
	}
}

void
source_stats(const struct source_table *t, int64_t now,
    struct source_stats *st)
{
	const struct source *s;

	memset(st, 0, sizeof(*st));
	st->tracked = t->n;
	LIST_FOREACH(s, &t->all, all)
		if (left_ms(s, now) >= (int64_t)t->cfg.penalty_min * 1000 &&
		    s->until_ms > now)
			st->penalised++;
	memcpy(st->offences, t->offences, sizeof(st->offences));
	st->refused_penalty = t->refused_penalty;
	st->refused_cap = t->refused_cap;
	st->overflow = t->overflow;
}
