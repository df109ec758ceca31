/*
 * config_keys.c: the table of configuration keys (built from the X-macros
 * in config.h and MSG_LIMITS in msg.h) and the one parser and formatter
 * per value type. Everything that reads or shows a key goes through here,
 * so the file, the flags, `iridiumd -T` and the reload diff agree.
 */
#include <sys/socket.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <bsd/string.h>

#include "config.h"
#include "log.h"

#define GROUP_STRUCT_DAEMON	struct config
#define GROUP_STRUCT_POOL	struct pool_cfg
#define GROUP_STRUCT_LISTENER	struct listener_cfg
#define GROUP_STRUCT_LIMITS	struct msg_limits
#define GROUP_STRUCT_TENANT	struct tenant_cfg

#define KEY_ENTRY(g, n, t, mn, mx, def, fl, doc)			\
	[CK_##g##_##n] = { #n, CG_##g, CT_##t,				\
	    offsetof(GROUP_STRUCT_##g, n),				\
	    sizeof(((GROUP_STRUCT_##g *)0)->n), mn, mx, def, fl, doc },
/* login_grace runs before the login: no tenant is known to set it. */
#define LIMIT_FLAGS(n)	(CK_LIMITS_##n == CK_LIMITS_login_grace ?	\
			    CK_SERVER : 0)
#define LIMIT_ENTRY(n, def, mn, mx, unit, what)				\
	[CK_LIMITS_##n] = { #n, CG_LIMITS, CT_U64,			\
	    offsetof(struct msg_limits, n), sizeof(uint64_t), mn, mx,	\
	    #def, LIMIT_FLAGS(n), what " (" unit ")" },
/* SUP_LIMITS: scope SERVER keys are [limits] only; lists continue. */
#define SUP_SCOPE_SERVER	CK_SERVER
#define SUP_SCOPE_TENANT	0
#define SUP_TFLAGS_UINT		0
#define SUP_TFLAGS_STARTUPS	0
#define SUP_TFLAGS_CIDRS	(CK_EMPTY | CK_LIST)
#define SUP_ENTRY(n, scope, t, mn, mx, def, what)			\
	[CK_SUP_##n] = { #n, CG_SUP, CT_##t,				\
	    offsetof(struct sup_limits, n),				\
	    sizeof(((struct sup_limits *)0)->n), mn, mx, def,		\
	    SUP_SCOPE_##scope | SUP_TFLAGS_##t, what },

const struct cfg_key config_keys[CK_NKEYS] = {
	CONFIG_DAEMON_KEYS(KEY_ENTRY)
	CONFIG_POOL_KEYS(KEY_ENTRY)
	CONFIG_LISTENER_KEYS(KEY_ENTRY)
	MSG_LIMITS(LIMIT_ENTRY)
	CONFIG_TENANT_KEYS(KEY_ENTRY)
	SUP_LIMITS(SUP_ENTRY)
};

static const char *const group_sections[CG_NGROUPS] = {
	[CG_DAEMON] = "daemon",
	[CG_POOL] = "pool",
	[CG_LISTENER] = "listener",
	[CG_LIMITS] = "limits",
	[CG_TENANT] = "tenant",
	[CG_SUP] = "limits",
};

const char *
config_group_section(enum cfg_group g)
{
	return g < CG_NGROUPS ? group_sections[g] : "?";
}

int
config_key_find(enum cfg_group g, const char *name)
{
	int	 i;

	for (i = 0; i < CK_NKEYS; i++)
		if (config_keys[i].group == g &&
		    strcmp(config_keys[i].name, name) == 0)
			return i;
	return -1;
}

void *
config_key_field(struct config *c, struct listener_cfg *l,
    struct tenant_cfg *t, enum cfg_key_id id)
{
	const struct cfg_key	*k = &config_keys[id];
	char			*base = NULL;

	switch (k->group) {
	case CG_DAEMON:
		base = (char *)c;
		break;
	case CG_POOL:
		base = l != NULL ? (char *)&l->pool : (char *)&c->pool;
		break;
	case CG_LISTENER:
		base = (char *)l;
		break;
	case CG_LIMITS:
		base = t != NULL ? (char *)&t->limits : (char *)&c->limits;
		break;
	case CG_TENANT:
		base = (char *)t;
		break;
	case CG_SUP:
		base = t != NULL ? (char *)&t->sup : (char *)&c->sup;
		break;
	case CG_NGROUPS:
		break;
	}
	return base != NULL ? base + k->off : NULL;
}

const void *
config_key_cfield(const struct config *c, const struct listener_cfg *l,
    const struct tenant_cfg *t, enum cfg_key_id id)
{
	/* The same offsets as config_key_field; only constness differs. */
	return config_key_field((struct config *)(uintptr_t)c,
	    (struct listener_cfg *)(uintptr_t)l,
	    (struct tenant_cfg *)(uintptr_t)t, id);
}

/* --- parsing values ------------------------------------------------------ */

static int
parse_u64(const struct cfg_key *k, const char *v, uint64_t *out, char *err,
    size_t errlen)
{
	unsigned long long n;
	char		*end;

	if (*v == '\0' || !isdigit((unsigned char)*v)) {
		snprintf(err, errlen, "\"%s\" is not a number", v);
		return -1;
	}
	errno = 0;
	n = strtoull(v, &end, 10);
	if (*end != '\0') {
		snprintf(err, errlen, "\"%s\" is not a number", v);
		return -1;
	}
	if (errno == ERANGE || n < k->min || n > k->max) {
		snprintf(err, errlen, "\"%s\" out of range (%llu..%llu)", v,
		    (unsigned long long)k->min, (unsigned long long)k->max);
		return -1;
	}
	*out = n;
	return 0;
}

static int
parse_bool(const char *v, bool *out, char *err, size_t errlen)
{
	static const char *const yes[] = { "yes", "true", "on", "1" };
	static const char *const no[] = { "no", "false", "off", "0" };
	size_t	 i;

	for (i = 0; i < sizeof(yes) / sizeof(yes[0]); i++) {
		if (strcasecmp(v, yes[i]) == 0) {
			*out = true;
			return 0;
		}
		if (strcasecmp(v, no[i]) == 0) {
			*out = false;
			return 0;
		}
	}
	snprintf(err, errlen, "\"%s\" is not a boolean (yes/no, true/false, "
	    "on/off, 1/0)", v);
	return -1;
}

bool
config_name_ok(const char *v)
{
	const char	*p;

	if (!isalnum((unsigned char)*v))
		return false;
	for (p = v; *p != '\0'; p++)
		if (!isalnum((unsigned char)*p) && *p != '_' && *p != '-' &&
		    *p != '.')
			return false;
	return true;
}

static int
parse_cidr(const char *s, struct cidr *c, char *err, size_t errlen)
{
	char		 addr[64], *slash, *end;
	unsigned long	 bits;
	unsigned	 maxbits, i;

	if (strlcpy(addr, s, sizeof(addr)) >= sizeof(addr)) {
		snprintf(err, errlen, "\"%.40s...\" is not an address", s);
		return -1;
	}
	memset(c, 0, sizeof(*c));
	if ((slash = strchr(addr, '/')) != NULL)
		*slash = '\0';
	if (inet_pton(AF_INET, addr, c->addr) == 1) {
		c->family = AF_INET;
		maxbits = 32;
	} else if (inet_pton(AF_INET6, addr, c->addr) == 1) {
		c->family = AF_INET6;
		maxbits = 128;
	} else {
		snprintf(err, errlen, "\"%s\" is not a numeric IPv4 or IPv6 "
		    "address", addr);
		return -1;
	}
	bits = maxbits;
	if (slash != NULL) {
		errno = 0;
		bits = strtoul(slash + 1, &end, 10);
		if (!isdigit((unsigned char)slash[1]) || *end != '\0' ||
		    errno != 0 || bits > maxbits) {
			snprintf(err, errlen, "\"%s\": the prefix length must "
			    "be 0..%u", s, maxbits);
			return -1;
		}
	}
	c->bits = (uint8_t)bits;
	/* Host bits set is a typo more often than not: say so. */
	for (i = 0; i < maxbits; i++) {
		if (i >= bits && (c->addr[i / 8] & (0x80 >> (i % 8))) != 0) {
			snprintf(err, errlen, "\"%s\" has host bits set beyond "
			    "/%lu", s, bits);
			return -1;
		}
	}
	return 0;
}

static int
parse_cidrs(const char *v, struct cidr_list *l, bool append, char *err,
    size_t errlen)
{
	struct cidr_list nl;
	char		 item[80];
	const char	*p = v;
	size_t		 n;

	if (append)
		nl = *l;
	else
		memset(&nl, 0, sizeof(nl));
	for (;;) {
		while (*p == ',' || *p == ' ' || *p == '\t')
			p++;
		if (*p == '\0')
			break;
		n = strcspn(p, ", \t");
		if (n >= sizeof(item)) {
			snprintf(err, errlen, "\"%.40s...\" is not an address",
			    p);
			return -1;
		}
		memcpy(item, p, n);
		item[n] = '\0';
		p += n;
		if (nl.n == CONFIG_MAX_CIDRS) {
			snprintf(err, errlen, "more than %d addresses",
			    CONFIG_MAX_CIDRS);
			return -1;
		}
		if (parse_cidr(item, &nl.v[nl.n], err, errlen) == -1)
			return -1;
		nl.n++;
	}
	*l = nl;
	return 0;
}

/* An absolute path (or, for CK_RELATIVE keys, a relative one). */
static int
check_path(const struct cfg_key *k, const char *v, char *err, size_t errlen)
{
	if (*v != '\0' && *v != '/' && (k->flags & CK_RELATIVE) == 0) {
		snprintf(err, errlen, "\"%s\" is not an absolute path", v);
		return -1;
	}
	if (strpbrk(v, "\"'") != NULL) {
		snprintf(err, errlen, "\"%s\": quotes are not removed; write "
		    "the path without them", v);
		return -1;
	}
	return 0;
}

/* Printable ASCII: words a client reads on its terminal. */
static bool
config_text_ok(const char *v)
{
	for (; *v != '\0'; v++)
		if (*v < 0x20 || *v > 0x7e)
			return false;
	return true;
}

static int
parse_paths(const struct cfg_key *k, const char *v, struct path_list *l,
    bool append, char *err, size_t errlen)
{
	struct path_list nl;
	const char	*p = v;
	size_t		 n;

	if (append)
		nl = *l;
	else
		memset(&nl, 0, sizeof(nl));
	for (;;) {
		while (*p == ',' || *p == ' ' || *p == '\t')
			p++;
		if (*p == '\0')
			break;
		n = strcspn(p, ", \t");
		if (nl.n == CONFIG_MAX_HOSTKEYS) {
			snprintf(err, errlen, "more than %d paths",
			    CONFIG_MAX_HOSTKEYS);
			return -1;
		}
		if (n >= sizeof(nl.v[0])) {
			snprintf(err, errlen, "\"%.40s...\" is too long (at "
			    "most %zu bytes)", p, sizeof(nl.v[0]) - 1);
			return -1;
		}
		memcpy(nl.v[nl.n], p, n);
		nl.v[nl.n][n] = '\0';
		p += n;
		if (check_path(k, nl.v[nl.n], err, errlen) == -1)
			return -1;
		nl.n++;
	}
	*l = nl;
	return 0;
}

/*
 * Certificate principals: printable ASCII without spaces or commas, as
 * ssh-keygen -n takes them, at most CONFIG_PRINCIPALS_MAX; stored "a, b".
 */
static int
parse_principals(const char *v, char *field, size_t size, bool append,
    char *err, size_t errlen)
{
	char		 out[CONFIG_PRINCIPALS_LEN];
	const char	*p = v, *q;
	size_t		 n, count = 0;

	out[0] = '\0';
	if (append && field[0] != '\0') {
		strlcpy(out, field, sizeof(out));
		for (q = out, count = 1; (q = strchr(q, ',')) != NULL; q++)
			count++;
	}
	for (;;) {
		while (*p == ',' || *p == ' ' || *p == '\t')
			p++;
		if (*p == '\0')
			break;
		n = strcspn(p, ", \t");
		for (q = p; q < p + n; q++)
			if (*q <= ' ' || *q > '~') {
				snprintf(err, errlen, "a principal is printable "
				    "ASCII");
				return -1;
			}
		if (count == CONFIG_PRINCIPALS_MAX) {
			snprintf(err, errlen, "more than %d principals",
			    CONFIG_PRINCIPALS_MAX);
			return -1;
		}
		if (strlen(out) + n + 3 > size || n > 255) {
			snprintf(err, errlen, "\"%.40s\": too long", p);
			return -1;
		}
		if (out[0] != '\0')
			strlcat(out, ", ", sizeof(out));
		strncat(out, p, n);
		count++;
		p += n;
	}
	strlcpy(field, out, size);
	return 0;
}

/*
 * sshd's MaxStartups: "START:RATE:FULL", or "N" for N:100:N; "0" is no
 * limit. RATE is a percentage, 1..100; START may not pass FULL.
 */
static int
parse_startups(const struct cfg_key *k, const char *v, struct startups *out,
    char *err, size_t errlen)
{
	unsigned long long n[3];
	const char	*p = v;
	char		*end;
	int		 i, count = 0;

	for (i = 0; i < 3; i++) {
		if (!isdigit((unsigned char)*p))
			break;
		errno = 0;
		n[i] = strtoull(p, &end, 10);
		if (errno != 0 || n[i] > k->max) {
			snprintf(err, errlen, "\"%s\": %.*s is out of range "
			    "(0..%llu)", v, (int)(end - p), p,
			    (unsigned long long)k->max);
			return -1;
		}
		count++;
		p = end;
		if (*p != ':' || i == 2)
			break;
		p++;
	}
	if (*p != '\0' || (count != 1 && count != 3)) {
		snprintf(err, errlen, "\"%s\" is not START:RATE:FULL or a "
		    "number", v);
		return -1;
	}
	if (count == 1) {
		out->start = out->full = (unsigned)n[0];
		out->rate = 100;
		return 0;
	}
	if (n[1] < 1 || n[1] > 100) {
		snprintf(err, errlen, "\"%s\": RATE must be a percentage, "
		    "1..100", v);
		return -1;
	}
	if (n[0] > n[2]) {
		snprintf(err, errlen, "\"%s\": START is above FULL", v);
		return -1;
	}
	out->start = (unsigned)n[0];
	out->rate = (unsigned)n[1];
	out->full = (unsigned)n[2];
	return 0;
}

/*
 * worker_uids: "FIRST-LAST", within min..max and at most CONFIG_UIDS_MAX
 * uids; not 65534 (nobody, the overflow uid) nor 65535 ((uint16_t)-1).
 * Empty: no range.
 */
static int
parse_uidrange(const struct cfg_key *k, const char *v, struct uid_range *out,
    char *err, size_t errlen)
{
	unsigned long long a, b;
	char		*end;

	if (*v == '\0') {
		out->first = out->last = 0;
		return 0;
	}
	errno = 0;
	a = isdigit((unsigned char)*v) ? strtoull(v, &end, 10) : 0;
	if (!isdigit((unsigned char)*v) || errno != 0 || *end != '-' ||
	    !isdigit((unsigned char)end[1])) {
		snprintf(err, errlen, "\"%s\" is not FIRST-LAST", v);
		return -1;
	}
	b = strtoull(end + 1, &end, 10);
	if (errno != 0 || *end != '\0') {
		snprintf(err, errlen, "\"%s\" is not FIRST-LAST", v);
		return -1;
	}
	if (a < k->min || b > 4294967294ULL || a > b) {
		snprintf(err, errlen, "\"%s\": uids must run from %llu up to "
		    "at most 4294967294, FIRST not above LAST", v,
		    (unsigned long long)k->min);
		return -1;
	}
	if (b - a + 1 > k->max) {
		snprintf(err, errlen, "\"%s\": %llu uids, more than %llu", v,
		    b - a + 1, (unsigned long long)k->max);
		return -1;
	}
	if (a <= 65535 && b >= 65534) {
		snprintf(err, errlen, "\"%s\" holds %s, which is nobody's or "
		    "no one's", v, a <= 65534 ? "65534" : "65535");
		return -1;
	}
	out->first = (uint32_t)a;
	out->last = (uint32_t)b;
	return 0;
}

/* The algorithm kind of a CT_SSH_* key. */
enum sshalgo_kind
config_algo_kind(enum cfg_type t)
{
	switch (t) {
	case CT_SSH_CIPHERS:
		return SSHALGO_KIND_CIPHER;
	case CT_SSH_MACS:
		return SSHALGO_KIND_MAC;
	case CT_SSH_HOSTKEYS:
		return SSHALGO_KIND_HOSTKEY;
	default:
		return SSHALGO_KIND_KEX;
	}
}

/* An ssh algorithm list in sshd's syntax, stored resolved. */
static int
parse_algos(const struct cfg_key *k, const char *v, char *field,
    bool append, char *err, size_t errlen)
{
	char	 list[SSHALGO_LIST_MAX];

	strlcpy(list, field, sizeof(list));
	if (sshalgo_resolve(config_algo_kind(k->type), v, append, list,
	    sizeof(list), err, errlen) == -1)
		return -1;
	if (strlcpy(field, list, k->size) >= k->size) {
		snprintf(err, errlen, "the list is too long");
		return -1;
	}
	return 0;
}

static int
set_string(const struct cfg_key *k, char *field, const char *v, char *err,
    size_t errlen)
{
	if (strlen(v) >= k->size) {
		snprintf(err, errlen, "\"%.40s...\" is too long (at most %zu "
		    "bytes)", v, k->size - 1);
		return -1;
	}
	strlcpy(field, v, k->size);
	return 0;
}

int
config_value_set(enum cfg_key_id id, void *field, const char *v,
    bool append, char *err, size_t errlen)
{
	const struct cfg_key	*k = &config_keys[id];
	uint64_t		 n;
	int			 level;
	struct in6_addr		 a;

	if (*v == '\0' && (k->flags & CK_EMPTY) == 0) {
		snprintf(err, errlen, "empty value");
		return -1;
	}
	switch (k->type) {
	case CT_UINT:
		if (parse_u64(k, v, &n, err, errlen) == -1)
			return -1;
		*(unsigned *)field = (unsigned)n;
		return 0;
	case CT_U64:
		if (parse_u64(k, v, &n, err, errlen) == -1)
			return -1;
		*(uint64_t *)field = n;
		return 0;
	case CT_PORT:
		if (*v == '\0') {
			*(int *)field = -1;
			return 0;
		}
		if (parse_u64(k, v, &n, err, errlen) == -1)
			return -1;
		*(int *)field = (int)n;
		return 0;
	case CT_BOOL:
		return parse_bool(v, field, err, errlen);
	case CT_NAME:
		if (*v != '\0' && !config_name_ok(v)) {
			snprintf(err, errlen, "\"%s\" is not a name (letters, "
			    "digits, '_', '-', '.'; starting with a letter "
			    "or digit)", v);
			return -1;
		}
		return set_string(k, field, v, err, errlen);
	case CT_PATH:
		if (check_path(k, v, err, errlen) == -1)
			return -1;
		return set_string(k, field, v, err, errlen);
	case CT_ADDR:
		if (strcmp(v, "localhost") != 0 &&
		    inet_pton(AF_INET, v, &a) != 1 &&
		    inet_pton(AF_INET6, v, &a) != 1) {
			snprintf(err, errlen, "\"%s\" is not a numeric IPv4 or "
			    "IPv6 address (or localhost)", v);
			return -1;
		}
		return set_string(k, field, v, err, errlen);
	case CT_TRANSPORT:
		if (*v != '\0' && strcmp(v, "line") != 0 &&
		    strcmp(v, "ssh") != 0) {
			snprintf(err, errlen, "\"%s\" is not a transport (line "
			    "or ssh)", v);
			return -1;
		}
		return set_string(k, field, v, err, errlen);
	case CT_RECORD:
		if (strcmp(v, "off") != 0 && strcmp(v, "output") != 0 &&
		    strcmp(v, "all") != 0) {
			snprintf(err, errlen, "\"%s\" is not a recording mode "
			    "(off, output or all)", v);
			return -1;
		}
		return set_string(k, field, v, err, errlen);
	case CT_TEXT:
		if (!config_text_ok(v)) {
			snprintf(err, errlen, "text for clients is printable "
			    "ASCII");
			return -1;
		}
		return set_string(k, field, v, err, errlen);
	case CT_LOGLEVEL:
		level = log_level_parse(v);
		if (level < LOG_ERR || level > LOG_DEBUG) {
			snprintf(err, errlen, "\"%s\" is not a log level (err, "
			    "warning, notice, info, debug)", v);
			return -1;
		}
		*(int *)field = level;
		return 0;
	case CT_CIDRS:
		return parse_cidrs(v, field, append, err, errlen);
	case CT_PATHS:
		return parse_paths(k, v, field, append, err, errlen);
	case CT_PRINCIPALS:
		return parse_principals(v, field, k->size, append, err,
		    errlen);
	case CT_STARTUPS:
		return parse_startups(k, v, field, err, errlen);
	case CT_UIDRANGE:
		return parse_uidrange(k, v, field, err, errlen);
	case CT_SSH_KEX:
	case CT_SSH_CIPHERS:
	case CT_SSH_MACS:
	case CT_SSH_HOSTKEYS:
		return parse_algos(k, v, field, append, err, errlen);
	}
	snprintf(err, errlen, "unknown type");
	return -1;
}

/* --- showing values ------------------------------------------------------ */

static void
format_cidrs(const struct cidr_list *l, char *buf, size_t len)
{
	char	 a[INET6_ADDRSTRLEN], item[INET6_ADDRSTRLEN + 8];
	unsigned i;

	buf[0] = '\0';
	for (i = 0; i < l->n; i++) {
		inet_ntop(l->v[i].family, l->v[i].addr, a, sizeof(a));
		snprintf(item, sizeof(item), "%s%s/%u", i > 0 ? ", " : "", a,
		    l->v[i].bits);
		strlcat(buf, item, len);
	}
}

static void
format_paths(const struct path_list *l, char *buf, size_t len)
{
	unsigned i;

	buf[0] = '\0';
	for (i = 0; i < l->n; i++) {
		if (i > 0)
			strlcat(buf, ", ", len);
		strlcat(buf, l->v[i], len);
	}
}

void
config_value_format(enum cfg_key_id id, const void *field, char *buf,
    size_t len)
{
	const struct cfg_key	*k = &config_keys[id];

	switch (k->type) {
	case CT_UINT:
		snprintf(buf, len, "%u", *(const unsigned *)field);
		return;
	case CT_U64:
		snprintf(buf, len, "%llu",
		    (unsigned long long)*(const uint64_t *)field);
		return;
	case CT_PORT:
		if (*(const int *)field < 0)
			snprintf(buf, len, "%s", "");
		else
			snprintf(buf, len, "%d", *(const int *)field);
		return;
	case CT_BOOL:
		snprintf(buf, len, "%s", *(const bool *)field ? "yes" : "no");
		return;
	case CT_NAME:
	case CT_PATH:
	case CT_ADDR:
	case CT_TRANSPORT:
	case CT_RECORD:
	case CT_TEXT:
	case CT_SSH_KEX:
	case CT_SSH_CIPHERS:
	case CT_SSH_MACS:
	case CT_SSH_HOSTKEYS:
	case CT_PRINCIPALS:
		snprintf(buf, len, "%s", (const char *)field);
		return;
	case CT_LOGLEVEL:
		snprintf(buf, len, "%s", log_level_name(*(const int *)field));
		return;
	case CT_CIDRS:
		format_cidrs(field, buf, len);
		return;
	case CT_PATHS:
		format_paths(field, buf, len);
		return;
	case CT_STARTUPS: {
		const struct startups *st = field;

		if (st->rate == 100 && st->start == st->full)
			snprintf(buf, len, "%u", st->start);
		else
			snprintf(buf, len, "%u:%u:%u", st->start, st->rate,
			    st->full);
		return;
	}
	case CT_UIDRANGE: {
		const struct uid_range *r = field;

		if (r->first == 0)
			snprintf(buf, len, "%s", "");
		else
			snprintf(buf, len, "%u-%u", r->first, r->last);
		return;
	}
	}
	snprintf(buf, len, "?");
}

bool
config_value_equal(enum cfg_key_id id, const void *a, const void *b)
{
	const struct cfg_key	*k = &config_keys[id];
	const struct cidr_list	*la, *lb;
	const struct path_list	*pa, *pb;
	unsigned		 i;

	switch (k->type) {
	case CT_NAME:
	case CT_PATH:
	case CT_ADDR:
	case CT_TRANSPORT:
	case CT_RECORD:
	case CT_TEXT:
	case CT_SSH_KEX:
	case CT_SSH_CIPHERS:
	case CT_SSH_MACS:
	case CT_SSH_HOSTKEYS:
	case CT_PRINCIPALS:
		return strcmp(a, b) == 0;
	case CT_CIDRS:
		la = a;
		lb = b;
		return la->n == lb->n && memcmp(la->v, lb->v,
		    la->n * sizeof(la->v[0])) == 0;
	case CT_PATHS:
		pa = a;
		pb = b;
		if (pa->n != pb->n)
			return false;
		for (i = 0; i < pa->n; i++)
			if (strcmp(pa->v[i], pb->v[i]) != 0)
				return false;
		return true;
	default:
		return memcmp(a, b, k->size) == 0;
	}
}
