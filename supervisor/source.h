/*
 * source.h: what the supervisor knows about each client source address:
 * how many sessions it holds, and whether it is serving a penalty.
 *
 * Addresses are grouped the way an attacker's resources are: one IPv4
 * address, or one IPv6 /64 (a single host can own a whole /64). Penalties
 * follow OpenSSH's PerSourcePenalties: each offence adds its duration to
 * what is left of the source's penalty, up to a cap, and a source is
 * refused while its penalty is at least the minimum. Sources in the exempt
 * list are never penalised. The table has a bounded number of entries;
 * when it is full of live entries, new sources go untracked (permissive,
 * like OpenSSH's default overflow policy) and that is counted. The
 * exempt sources are not capped per source either: a shared address such
 * as loopback stands for many people.
 */
#ifndef IRIDIUM_SOURCE_H
#define IRIDIUM_SOURCE_H

#include <sys/socket.h>

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "status.h"

/* An IPv4 address as v4-mapped IPv6, or an IPv6 /64 (low half zero). */
struct source_key {
	uint8_t		 b[16];
};

/* Offences, each with its own penalty duration: SOURCE_OFFENCES, in
 * status.h (the status document counts them). */

enum source_offence {
#define SOURCE_ENUM(N, n, secs, what)	SOURCE_##N,
	SOURCE_OFFENCES(SOURCE_ENUM)
#undef SOURCE_ENUM
	SOURCE_NOFFENCES
};

/* A CIDR range: address and prefix length (IPv4 as v4-mapped, +96). */
struct source_cidr {
	uint8_t		 b[16];
	unsigned	 prefix;
};

struct source_cfg {
	unsigned	 penalty[SOURCE_NOFFENCES];	/* seconds per offence */
	unsigned	 penalty_min;	/* refuse only from this many seconds */
	unsigned	 penalty_max;	/* cap on a source's penalty */
	unsigned	 max_sources;	/* entries tracked at most */
	const struct source_cidr *exempt;
	size_t		 nexempt;
};

struct source_stats {
	uint64_t	 tracked;	/* entries in the table now */
	uint64_t	 penalised;	/* sources serving a penalty now */
	uint64_t	 offences[SOURCE_NOFFENCES];
	uint64_t	 refused_penalty;	/* connections refused */
	uint64_t	 refused_cap;		/* over the per-source cap */
	uint64_t	 overflow;	/* sources not tracked: table full */
};

struct source_table;

/* Defaults: the durations above, min 15 s, max 600 s, 65536 sources. */
void		 source_cfg_defaults(struct source_cfg *);
struct source_table *source_new(const struct source_cfg *);
void		 source_free(struct source_table *);
/* Swap in a new configuration (reload); entries are kept. */
void		 source_configure(struct source_table *,
		    const struct source_cfg *);

/* The key of a socket address, or of a numeric address string. */
int		 source_key_sa(struct source_key *, const struct sockaddr *);
int		 source_key_str(struct source_key *, const char *addr);
/* "192.0.2.7" or "2001:db8:1:2::/64" for logs. */
const char	*source_key_name(const struct source_key *, char *buf,
		    size_t len);

/* Parse "10.0.0.0/8" or "2001:db8::/32" or a bare address. */
int		 source_cidr_parse(struct source_cidr *, const char *);
bool		 source_cidr_match(const struct source_cidr *,
		    const struct source_key *);
/*
 * A whole address, not a source's key (an IPv6 key is its /64): a
 * numeric address as 16 bytes, IPv4 v4-mapped (-1: not an address), and
 * whether such bytes fall within a range, bit by bit. For a
 * certificate's source-address, which names hosts, not sources.
 */
int		 source_addr16(uint8_t b[16], const char *addr);
bool		 source_cidr_has(const struct source_cidr *,
		    const uint8_t b[16]);
bool		 source_exempt(const struct source_table *,
		    const struct source_key *);

/*
 * May this source start a session now? Returns 0, or -1 with a one-line
 * line for the client in why when it is serving a penalty or already
 * holds max_active sessions (0: no cap); exempt sources never are
 * refused. Counts the refusal.
 */
int		 source_admit(struct source_table *, const struct source_key *,
		    unsigned max_active, int64_t now_ms, char *why,
		    size_t whylen);
/* A session of this source started / ended. */
void		 source_hold(struct source_table *, const struct source_key *,
		    int64_t now_ms);
void		 source_release(struct source_table *,
		    const struct source_key *, int64_t now_ms);
unsigned	 source_active(const struct source_table *,
		    const struct source_key *);
/*
 * An offence: add its penalty (unless exempt). Returns the penalty left
 * in seconds after it.
 */
unsigned	 source_penalise(struct source_table *,
		    const struct source_key *, enum source_offence,
		    int64_t now_ms);
/* Seconds of penalty left (0 when none). */
unsigned	 source_penalty_left(const struct source_table *,
		    const struct source_key *, int64_t now_ms);
/* Drop entries with no sessions and no penalty left; fill stats. */
void		 source_expire(struct source_table *, int64_t now_ms);
void		 source_stats(const struct source_table *, int64_t now_ms,
		    struct source_stats *);
const char	*source_offence_name(enum source_offence);

#endif
