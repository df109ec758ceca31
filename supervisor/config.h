/*
 * config.h: iridiumd's configuration: the table of keys, defaults, the
 * config file (INI, read with libinih), command-line flags and the checks.
 *
 * One struct config holds everything; the supervisor keeps the current
 * one and builds a new one on reload, swapping only when it is valid.
 *
 * The keys are one table: the X-macros below (and MSG_LIMITS in msg.h for
 * [limits] and [tenant NAME]). Each line names the key's section group,
 * its type, range, default (as written in the file), flags and a one-line
 * description; the parser, `iridiumd -t` and `-T`, the reload diff, the
 * example config and the reference documentation are all derived from it.
 * Adding a key is one line here plus its field in the struct it lives in
 * (for [pool] not even that: struct pool_cfg is generated).
 */
#ifndef IRIDIUM_CONFIG_H
#define IRIDIUM_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "buf.h"
#include "msg.h"
#include "status.h"
#include "sshalgo.h"
#include "paths.h"	/* generated: IRIDIUM_LIBEXECDIR */

#define CONFIG_PATH		"/etc/iridium/iridiumd.conf"
#define CONFIG_RUN_DIR		"/run/iridium"
#define CONFIG_STATE_DIR	"/var/lib/iridium"
#define CONFIG_CONTROL_NAME	"control.sock"
#define CONFIG_MAX_LISTENERS	16
#define CONFIG_MAX_TENANTS	256
#define CONFIG_MAX_CIDRS	32
#define CONFIG_MAX_HOSTKEYS	4
#define CONFIG_PRINCIPALS_MAX	32	/* per tenant */
#define CONFIG_PRINCIPALS_LEN	1024
#define CONFIG_PATHLEN		256
#define CONFIG_NAMELEN		(MSG_NAME_MAX + 1)
#define CONFIG_FILE_MAX		(1024 * 1024)	/* bytes of config file */
#define CONFIG_PORT_LINE	2244
#define CONFIG_PORT_SSH		2222
/* systemd's DynamicUser range; at most CONFIG_UIDS_MAX uids in a range. */
/* record_max's largest value, and what 0 (no limit) stands for. */
#define CONFIG_RECORD_CEILING	1099511627776ULL
#define CONFIG_WORKER_UIDS	"61184-65519"
#define CONFIG_UIDS_MAX		65536

/* The struct a key's field lives in. */
enum cfg_group {
	CG_DAEMON,	/* struct config: [daemon] */
	CG_POOL,	/* struct pool_cfg: [pool], [listener NAME] */
	CG_LISTENER,	/* struct listener_cfg: [listener NAME] */
	CG_LIMITS,	/* struct msg_limits: [limits], [tenant NAME] */
	CG_TENANT,	/* struct tenant_cfg: [tenant NAME] */
	CG_SUP,		/* struct sup_limits: [limits], [tenant NAME] */
	CG_NGROUPS
};

/* How a value is written and stored. */
enum cfg_type {
	CT_UINT,	/* unsigned, decimal */
	CT_U64,		/* uint64_t, decimal */
	CT_PORT,	/* int 0..65535; -1 when empty */
	CT_BOOL,	/* yes/no, true/false, on/off, 1/0 */
	CT_NAME,	/* [A-Za-z0-9_.-], starting with a letter or digit */
	CT_PATH,	/* an absolute path */
	CT_ADDR,	/* a numeric IPv4/IPv6 address or "localhost" */
	CT_TRANSPORT,	/* "line" | "ssh" */
	CT_RECORD,	/* "off" | "output" | "all" */
	CT_TEXT,	/* printable ASCII, for clients to read */
	CT_LOGLEVEL,	/* err, warning, notice, info, debug (or 0..7) */
	CT_CIDRS,	/* a list of ADDR[/BITS], comma or space separated */
	CT_PATHS,	/* a list of paths, comma or space separated */
	CT_PRINCIPALS,	/* certificate principals, comma or space separated:
			   stored as "a, b" */
	CT_STARTUPS,	/* START:RATE:FULL or N (struct startups) */
	CT_UIDRANGE,	/* FIRST-LAST uids, or empty (struct uid_range) */
	CT_SSH_KEX,	/* ssh algorithm lists (sshalgo.h), sshd's */
	CT_SSH_CIPHERS,	/* syntax; stored resolved: a comma-separated */
	CT_SSH_MACS,	/* list of names */
	CT_SSH_HOSTKEYS,
};

/* Key flags. */
#define CK_RESTART	0x01	/* a reload keeps the running value */
#define CK_EMPTY	0x02	/* an empty value is allowed */
#define CK_LIST		0x04	/* indented continuation lines append */
#define CK_REQUIRED	0x08	/* a section without it is an error */
#define CK_RELATIVE	0x10	/* a path may be relative: to state_dir */
#define CK_SERVER	0x20	/* server-wide: [limits] only, not [tenant] */

/*
 * X(group, name, type, min, max, default, flags, description). The
 * default is written as in the file; "" is empty (see the description for
 * what an empty value means). min/max bound the numeric types.
 */
#define CONFIG_DAEMON_KEYS(X)						\
	X(DAEMON, worker_uids, UIDRANGE, 1, CONFIG_UIDS_MAX,		\
	    CONFIG_WORKER_UIDS, CK_RESTART | CK_EMPTY,			\
	    "as root: each worker runs as a uid and gid of its own from " \
	    "FIRST-LAST, which no user, group or other process may use " \
	    "(checked at the start); a uid is used again only after its " \
	    "worker has been reaped; empty: every worker runs as user")	\
	X(DAEMON, user, NAME, 0, 0, "iridium", CK_RESTART,		\
	    "when worker_uids is empty: workers run as this user when " \
	    "iridiumd starts as root (it must exist)")			\
	X(DAEMON, run_dir, PATH, 0, 0, CONFIG_RUN_DIR, CK_RESTART,	\
	    "runtime files: the control socket, the workers' empty root") \
	X(DAEMON, chroot, PATH, 0, 0, "", CK_RESTART | CK_EMPTY,	\
	    "the workers' empty root directory; empty: RUN_DIR/empty")	\
	X(DAEMON, control, PATH, 0, 0, "", CK_RESTART | CK_EMPTY,	\
	    "the control socket for iridiumctl; empty: "		\
	    "RUN_DIR/control.sock")					\
	X(DAEMON, state_dir, PATH, 0, 0, CONFIG_STATE_DIR, CK_RESTART,	\
	    "persistent state (SSH host keys)")				\
	X(DAEMON, worker_path, PATH, 0, 0,				\
	    IRIDIUM_LIBEXECDIR "/iridium-worker", 0,			\
	    "the worker program")					\
	X(DAEMON, ssh_worker_path, PATH, 0, 0,				\
	    IRIDIUM_LIBEXECDIR "/iridium-worker-ssh", 0,		\
	    "the ssh listeners' worker program")			\
	X(DAEMON, host_key, PATHS, 0, 0, "",				\
	    CK_RESTART | CK_EMPTY | CK_LIST | CK_RELATIVE,		\
	    "ssh host private keys, comma separated (relative: under "	\
	    "state_dir); one must be ed25519; empty: STATE_DIR/"	\
	    "ssh_host_ed25519_key, generated on first start")		\
	X(DAEMON, ssh_kex, SSH_KEX, 0, 0, SSHALGO_KEX_DEFAULT, CK_LIST, \
	    "ssh key exchange methods offered, in order of preference: " \
	    "a list, or +, - or ^ before names to append them to the "	\
	    "default, remove them from it or put them first (sshd's "	\
	    "syntax)")							\
	X(DAEMON, ssh_ciphers, SSH_CIPHERS, 0, 0, SSHALGO_CIPHER_DEFAULT, \
	    CK_LIST, "ssh ciphers offered, as ssh_kex")		\
	X(DAEMON, ssh_macs, SSH_MACS, 0, 0, SSHALGO_MAC_DEFAULT, CK_LIST, \
	    "ssh MACs offered (AEAD ciphers need none), as ssh_kex")	\
	X(DAEMON, ssh_hostkey_algorithms, SSH_HOSTKEYS, 0, 0,		\
	    SSHALGO_HOSTKEY_DEFAULT, CK_LIST,				\
	    "ssh host key algorithms offered, as ssh_kex; each only "	\
	    "when host_key has a key of its type")			\
	X(DAEMON, trusted_user_ca_keys, PATH, 0, 0, "",		\
	    CK_EMPTY | CK_RELATIVE,					\
	    "ssh: the public keys of the CAs whose user certificates "	\
	    "log in, OpenSSH format, one a line (relative: under "	\
	    "state_dir), read again on reload; empty: no certificates")	\
	X(DAEMON, revoked_keys, PATH, 0, 0, "",			\
	    CK_EMPTY | CK_RELATIVE,					\
	    "ssh: revoked keys and certificates: a list of public keys " \
	    "or a KRL from ssh-keygen -k (relative: under state_dir), "	\
	    "read again on reload; empty: none")			\
	X(DAEMON, cert_clock_skew, UINT, 0, 3600, "60", 0,		\
	    "ssh: how far a certificate's validity is widened at "	\
	    "both ends, for clocks that differ (seconds)")		\
	X(DAEMON, admin_group, NAME, 0, 0, "", CK_EMPTY,		\
	    "members may use the control socket, besides root and "	\
	    "iridiumd's own user; empty: nobody else")			\
	X(DAEMON, log_level, LOGLEVEL, 0, 7, "info", 0,		\
	    "err, warning, notice, info or debug")			\
	X(DAEMON, sandbox_debug, BOOL, 0, 1, "no", 0,			\
	    "report a forbidden system call instead of killing the "	\
	    "worker (debugging only)")					\
	X(DAEMON, record_dir, PATH, 0, 0, "", CK_RESTART | CK_EMPTY |	\
	    CK_RELATIVE,						\
	    "where session recordings go, as TENANT/YYYY-MM-DD/"	\
	    "ID-PEER.cast (relative: under state_dir); empty: "	\
	    "STATE_DIR/recordings")					\
	X(DAEMON, audit_log, PATH, 0, 0, "", CK_EMPTY | CK_RELATIVE,	\
	    "the audit log, one JSON object a line: sessions started and " \
	    "ended, refused logins, iridiumctl kill and reload (relative: " \
	    "under state_dir); reopened on SIGUSR1; empty: none")	\
	X(DAEMON, record_notice, TEXT, 0, 0, "This session is recorded.", \
	    CK_EMPTY,							\
	    "told to the client of a recorded session, in its banner; " \
	    "empty: nothing is said")

#define CONFIG_POOL_KEYS(X)						\
	X(POOL, min_spare, UINT, 0, 10000, "2", 0,			\
	    "idle workers kept ready")					\
	X(POOL, max_spare, UINT, 0, 10000, "8", 0,			\
	    "idle workers beyond this are retired, one a second")	\
	X(POOL, max_workers, UINT, 1, 100000, "64", 0,		\
	    "most workers, so sessions, of the pool at once")		\
	X(POOL, queue, UINT, 0, 10000, "16", 0,			\
	    "connections held when every worker is busy, beyond those "	\
	    "waiting for a worker being started (one each, up to "	\
	    "max_workers); more are told the server is busy")		\
	X(POOL, queue_timeout, UINT, 1, 3600, "10", 0,		\
	    "seconds a queued connection waits at most")		\
	X(POOL, throttle, UINT, 0, 3600, "10", 0,			\
	    "seconds spawning pauses after a worker died before it "	\
	    "was ready")						\
	X(POOL, ready_timeout, UINT, 1, 3600, "10", 0,		\
	    "seconds a new worker has to say it is ready")		\
	X(POOL, ping_interval, UINT, 1, 3600, "10", 0,		\
	    "seconds between pings to a worker")			\
	X(POOL, ping_timeout, UINT, 1, 3600, "20", 0,			\
	    "seconds without an answer before a worker is reported "	\
	    "unresponsive")						\
	X(POOL, kill_timeout, UINT, 1, 86400, "60", 0,		\
	    "seconds without an answer before a worker is killed")	\
	X(POOL, handoff_timeout, UINT, 1, 3600, "3", 0,		\
	    "seconds an idle worker has to acknowledge a session "	\
	    "handed to it, or to answer a ping; past it the worker is "	\
	    "killed and the connection goes to another one")		\
	X(POOL, grace, UINT, 0, 3600, "5", 0,				\
	    "seconds a busy worker has to say goodbye after a "	\
	    "shutdown or iridiumctl kill")

#define CONFIG_LISTENER_KEYS(X)						\
	X(LISTENER, transport, TRANSPORT, 0, 0, "",			\
	    CK_REQUIRED | CK_EMPTY,					\
	    "line or ssh (required)")					\
	X(LISTENER, bind, ADDR, 0, 0, "127.0.0.1", 0,			\
	    "numeric IPv4 or IPv6 address to listen on, or localhost")	\
	X(LISTENER, port, PORT, 0, 65535, "", CK_EMPTY,		\
	    "TCP port; 0: any free port (iridiumctl status shows it); " \
	    "empty: 2244 for line, 2222 for ssh")			\
	X(LISTENER, allow_insecure_remote, BOOL, 0, 1, "no", 0,	\
	    "serve the unauthenticated line transport on a "		\
	    "non-loopback address")					\
	X(LISTENER, tenant, NAME, 0, 0, "anonymous", 0,		\
	    "line only: the tenant the sessions belong to (its "	\
	    "[tenant NAME] limits apply)")				\
	X(LISTENER, proxy_protocol, BOOL, 0, 1, "no", 0,		\
	    "every connection starts with a PROXY protocol header (v1 " \
	    "or v2) from a load balancer in proxy_trusted; others are "	\
	    "closed")							\
	X(LISTENER, proxy_trusted, CIDRS, 0, 0, "", CK_EMPTY | CK_LIST, \
	    "addresses allowed to send a PROXY header: ADDR[/BITS], "	\
	    "comma separated; indented lines continue the list")		\
	X(LISTENER, record, RECORD, 0, 0, "off", 0,			\
	    "record the sessions in asciicast v2 under record_dir: off, " \
	    "output (what the client was sent) or all (also what it "	\
	    "typed)")							\
	X(LISTENER, record_max, U64, 0, CONFIG_RECORD_CEILING, "67108864", 0, \
	    "bytes of one session's recording; past it the recording "	\
	    "ends with a marker and the session goes on; 0: no limit")

#define CONFIG_TENANT_KEYS(X)						\
	X(TENANT, authorized_keys, PATH, 0, 0, "",			\
	    CK_EMPTY | CK_RELATIVE,					\
	    "ssh: the tenant's public keys, an OpenSSH authorized_keys " \
	    "file (relative: under state_dir), read again on reload; "	\
	    "the ssh user name is the tenant's; empty: no ssh logins "	\
	    "with a plain key (certificates: trusted_user_ca_keys)")	\
	X(TENANT, principals, PRINCIPALS, 0, 0, "", CK_EMPTY | CK_LIST, \
	    "ssh: the certificate principals that log in as this tenant, " \
	    "comma separated (a certificate naming any of them will do); " \
	    "empty: the tenant's name")

/* SUP_LIMITS, the supervisor's own limits: in status.h (the status
 * document shows them). */

/* Every key's id: CK_DAEMON_user, CK_POOL_min_spare, CK_LIMITS_budget ... */
#define CONFIG_KEY_ENUM(g, n, ...)	CK_##g##_##n,
#define CONFIG_LIMIT_ENUM(n, ...)	CK_LIMITS_##n,
#define CONFIG_SUP_ENUM(n, ...)		CK_SUP_##n,
enum cfg_key_id {
	CONFIG_DAEMON_KEYS(CONFIG_KEY_ENUM)
	CONFIG_POOL_KEYS(CONFIG_KEY_ENUM)
	CONFIG_LISTENER_KEYS(CONFIG_KEY_ENUM)
	MSG_LIMITS(CONFIG_LIMIT_ENUM)
	CONFIG_TENANT_KEYS(CONFIG_KEY_ENUM)
	SUP_LIMITS(CONFIG_SUP_ENUM)
	CK_NKEYS
};
#undef CONFIG_KEY_ENUM
#undef CONFIG_LIMIT_ENUM
#undef CONFIG_SUP_ENUM

struct cfg_key {
	const char	*name;
	enum cfg_group	 group;
	enum cfg_type	 type;
	size_t		 off;		/* of the field in its group's struct */
	size_t		 size;		/* of the field */
	uint64_t	 min, max;
	const char	*def;
	unsigned	 flags;
	const char	*doc;
};

/* The table, indexed by enum cfg_key_id. */
extern const struct cfg_key config_keys[CK_NKEYS];

/* [pool]: generated from the table (every pool key is a CT_UINT). */
struct pool_cfg {
#define CONFIG_POOL_FIELD(g, n, ...)	unsigned n;
	CONFIG_POOL_KEYS(CONFIG_POOL_FIELD)
#undef CONFIG_POOL_FIELD
};

struct cidr {
	uint8_t		 family;	/* AF_INET | AF_INET6 */
	uint8_t		 bits;
	uint8_t		 addr[16];
};

struct cidr_list {
	struct cidr	 v[CONFIG_MAX_CIDRS];
	unsigned	 n;
};

struct path_list {
	char		 v[CONFIG_MAX_HOSTKEYS][CONFIG_PATHLEN];
	unsigned	 n;
};

/* max_startups: sshd's MaxStartups; all zero: no limit. */
struct startups {
	unsigned	 start;		/* refusals begin at this many */
	unsigned	 rate;		/* percent refused at start */
	unsigned	 full;		/* every connection refused from here */
};

/* worker_uids: first..last; both 0: no range. */
struct uid_range {
	uint32_t	 first, last;
};

/* SUP_LIMITS' fields, generated. */
#define SUP_CTYPE_UINT		unsigned
#define SUP_CTYPE_STARTUPS	struct startups
#define SUP_CTYPE_CIDRS		struct cidr_list
struct sup_limits {
#define SUP_LIMIT_FIELD(n, scope, t, ...)	SUP_CTYPE_##t n;
	SUP_LIMITS(SUP_LIMIT_FIELD)
#undef SUP_LIMIT_FIELD
};

struct listener_cfg {
	char		 name[CONFIG_NAMELEN];
	char		 transport[8];		/* "line" | "ssh" */
	char		 bind[64];		/* address */
	int		 port;			/* 0: any free port */
	bool		 allow_insecure_remote;
	char		 tenant[CONFIG_NAMELEN];	/* line: whose */
	bool		 proxy_protocol;
	struct cidr_list proxy_trusted;
	char		 record[8];		/* "off" | "output" | "all" */
	uint64_t	 record_max;
	struct pool_cfg	 pool;			/* [pool] + overrides */
	uint32_t	 line;			/* of [listener NAME]; 0: none */
	uint32_t	 keyline[CK_NKEYS];	/* where each key was set */
};

struct tenant_cfg {
	char		 name[CONFIG_NAMELEN];
	char		 authorized_keys[CONFIG_PATHLEN];
	char		 principals[CONFIG_PRINCIPALS_LEN];	/* "a, b" */
	struct msg_limits limits;		/* [limits] + overrides */
	struct sup_limits sup;			/* the same, scope TENANT */
	uint32_t	 line;
	uint32_t	 keyline[CK_NKEYS];
};

struct config {
	char		 path[CONFIG_PATHLEN];	/* "" without a file */
	/* [daemon] */
	struct uid_range worker_uids;
	char		 user[CONFIG_NAMELEN];
	char		 run_dir[CONFIG_PATHLEN];
	char		 chroot[CONFIG_PATHLEN];
	char		 control[CONFIG_PATHLEN];
	char		 state_dir[CONFIG_PATHLEN];
	char		 worker_path[CONFIG_PATHLEN];
	char		 ssh_worker_path[CONFIG_PATHLEN];
	struct path_list host_key;
	char		 ssh_kex[SSHALGO_LIST_MAX];	/* resolved lists */
	char		 ssh_ciphers[SSHALGO_LIST_MAX];
	char		 ssh_macs[SSHALGO_LIST_MAX];
	char		 ssh_hostkey_algorithms[SSHALGO_LIST_MAX];
	char		 trusted_user_ca_keys[CONFIG_PATHLEN];
	unsigned	 cert_clock_skew;
	char		 revoked_keys[CONFIG_PATHLEN];
	char		 admin_group[CONFIG_NAMELEN];
	int		 log_level;
	bool		 sandbox_debug;
	char		 record_dir[CONFIG_PATHLEN];
	char		 record_notice[MSG_TEXT_MAX + 1];
	char		 audit_log[CONFIG_PATHLEN];
	/* [pool]: defaults for every listener */
	struct pool_cfg	 pool;
	/* [listener NAME] */
	struct listener_cfg listeners[CONFIG_MAX_LISTENERS];
	size_t		 nlisteners;
	/* [limits]: defaults for every tenant */
	struct msg_limits limits;
	struct sup_limits sup;		/* [limits]: the supervisor's own */
	/* [tenant NAME] */
	struct tenant_cfg tenants[CONFIG_MAX_TENANTS];
	size_t		 ntenants;
	/* where [daemon], [pool] and [limits] keys were set (0: not) */
	uint32_t	 keyline[CK_NKEYS];
};

/*
 * Errors and warnings, one line each: "FILE:LINE: message", "FILE:
 * message" or "command line: message". Bounded: past CFG_ERRORS_MAX only
 * the count goes on.
 */
#define CFG_ERRORS_MAX	200
struct cfg_errors {
	struct buf	 errors;
	struct buf	 warnings;
	unsigned	 nerrors, nwarnings;
};

void	 cfg_errors_init(struct cfg_errors *);
void	 cfg_errors_free(struct cfg_errors *);
void	 cfg_error(struct cfg_errors *, const char *file, uint32_t line,
	    const char *, ...) __attribute__((format(printf, 4, 5)));
void	 cfg_warning(struct cfg_errors *, const char *file, uint32_t line,
	    const char *, ...) __attribute__((format(printf, 4, 5)));

/* A command-line setting, applied after the file (flags win). */
enum cfg_flag_target {
	CF_DAEMON,	/* a [daemon] key */
	CF_POOL,	/* [pool] and every listener's pool */
	CF_LIMITS,	/* [limits] */
	CF_LISTENER0,	/* the first listener */
};

struct cfg_flag {
	enum cfg_flag_target target;
	enum cfg_key_id	 key;
	char		 value[CONFIG_PATHLEN];
};

#define CONFIG_MAX_FLAGS	64
struct cfg_flags {
	struct cfg_flag	 v[CONFIG_MAX_FLAGS];
	size_t		 n;
	unsigned	 workers;	/* --workers N: 0 if not given */
};

/* --- config_keys.c: the table and its values --------------------------- */

/* The key called name that a section of group g may hold, or -1. */
int	 config_key_find(enum cfg_group, const char *name);
/* Where key k's field is for this instance (l, t may be NULL). */
void	*config_key_field(struct config *, struct listener_cfg *,
	    struct tenant_cfg *, enum cfg_key_id);
const void *config_key_cfield(const struct config *,
	    const struct listener_cfg *, const struct tenant_cfg *,
	    enum cfg_key_id);
/*
 * Parse value into field as key k says. append adds to a list instead of
 * replacing it. Returns 0, or -1 with err ("\"70000\" out of range
 * (0..65535)").
 */
int	 config_value_set(enum cfg_key_id, void *field, const char *value,
	    bool append, char *err, size_t errlen);
/* Format a field's value as the file would write it. */
void	 config_value_format(enum cfg_key_id, const void *field, char *buf,
	    size_t len);
/* Whether two fields of key k hold the same value. */
bool	 config_value_equal(enum cfg_key_id, const void *a, const void *b);
const char *config_group_section(enum cfg_group);
/* The sshalgo.h kind of a CT_SSH_* type. */
enum sshalgo_kind config_algo_kind(enum cfg_type);
/* Letters, digits, '_', '-', '.', starting with a letter or digit. */
bool	 config_name_ok(const char *);

/* --- config.c: defaults, flags, merging, checks ------------------------ */

/* Fill every default; no listener yet (config_build adds one if none). */
void	 config_defaults(struct config *);
void	 config_listener_defaults(struct listener_cfg *, const char *name);
void	 config_tenant_defaults(struct tenant_cfg *, const char *name);
/* True for 127.0.0.0/8, ::1 and ::ffff:127.0.0.0/104. */
bool	 config_addr_is_loopback(const char *addr);
/* Add a flag (--pool KEY=VALUE ...), checked now. -1 with err if bad. */
int	 config_flag_add(struct cfg_flags *, enum cfg_flag_target,
	    const char *key, const char *value, char *err, size_t errlen);
/*
 * The whole configuration: defaults, the file (path may be NULL: none),
 * flags (may be NULL), then the checks no single key can make. Returns
 * the number of errors (in errs), 0 when c is usable.
 */
unsigned config_build(struct config *, const char *path,
	    const struct cfg_flags *, struct cfg_errors *);
/* The same from a buffer named name (tests, fuzzing). */
unsigned config_build_buf(struct config *, const char *name,
	    const char *buf, size_t len, const struct cfg_flags *,
	    struct cfg_errors *);
/* The limits a line session of this listener gets (its tenant's). */
/* The [tenant NAME] / [listener NAME] of that name, or NULL. */
const struct tenant_cfg *config_tenant_find(const struct config *,
	    const char *name);
const struct listener_cfg *config_listener_find(const struct config *,
	    const char *name);
const struct msg_limits *config_tenant_limits(const struct config *,
	    const char *tenant);
/* The supervisor's limits of a tenant's sessions ([limits] for others). */
const struct sup_limits *config_tenant_sup(const struct config *,
	    const char *tenant);
/* The field-wise largest limits of [limits] and every tenant: the
 * ceilings a worker's hello carries. */
void	 config_ceilings(const struct config *, struct msg_limits *);

/* --- config_parse.c: the INI file, through libinih --------------------- */

/* Parse INI text into c (after config_defaults). Errors go to errs. */
void	 config_parse_buf(struct config *, const char *name,
	    const char *buf, size_t len, struct cfg_errors *);
/* Read path (at most CONFIG_FILE_MAX bytes) and parse it. */
void	 config_parse_file(struct config *, const char *path,
	    struct cfg_errors *);

/* --- config_doc.c: what the table tells people ------------------------- */

/* The effective configuration as a config file (iridiumd -T). */
void	 config_write(FILE *, const struct config *);
/* An example config file: every key, its default and description. */
void	 config_write_example(FILE *);
/* A Markdown table of every key (iridiumd --config-reference). */
void	 config_write_reference(FILE *);
/* Log one line per key that differs between a and b (reload). */
size_t	 config_diff(const struct config *a, const struct config *b,
	    void (*emit)(void *, const char *), void *arg);

#endif
