/*
 * msgtab.c: the message table of the supervisor <-> worker protocol and
 * the one decoder and the one encoder that it drives (msg.h is the
 * protocol's specification).
 *
 * Each message type has a row (from the MSG_TYPES X-macro: name,
 * direction, states, fd) and a field table: JSON name, JSON type, whether
 * it is required, the integer range or string length, the allowed values
 * of an enumerated string, and where the value lives in the C struct. The
 * C representation of each field is taken from the struct itself with
 * _Generic, so a field whose C type disagrees with its JSON type does not
 * compile. msg_decode() walks the table over untrusted bytes; msg_encode()
 * walks the same table over a C struct, so what we send passes the checks
 * the peer applies, or is not sent.
 *
 * A few rules span two fields of one message (the host key goes to ssh
 * workers only; a tenant's limits come with ok only); they live in one
 * check function per type (msgrules.c) that runs after decoding and
 * before encoding.
 *
 * Errors read "<type>: <what>", "<type>: field \"<path>\": <why>" with a
 * dotted path into nested objects ("limits.heap"), or "message: <what>"
 * before the type is known. Bytes that came from the peer (field names,
 * type names, enumerated values, jansson's "near '...'") are escaped and
 * cut short, so an error string is safe to log as it is.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <jansson.h>

#include "buf.h"
#include "msg.h"
#include "msgrules.h"
#include "sshalgo.h"

#define TWO53		9007199254740992LL	/* exact in a double */
#define QUOTE_MAX	48	/* peer bytes quoted in an error */

/*
 * How a field is held in C. The JSON type follows: CHARS and CHARPTR are
 * strings, INT and UINT integers, BOOL a boolean, OBJECT a nested object
 * described by a sub-table.
 */
enum fkind {
	FK_CHARS,	/* char array of `size` bytes, NUL-terminated */
	FK_CHARPTR,	/* const char * into the json_t (long keys) */
	FK_INT,		/* int64_t */
	FK_UINT,	/* uint64_t */
	FK_BOOL,	/* bool */
	FK_OBJECT,	/* a struct, by a sub-table */
};

struct field {
	const char		*name;		/* JSON key */
	enum fkind		 kind;
	bool			 optional;	/* absent: zero in C */
	int64_t			 min, max;	/* integers: value; strings:
						   length in bytes */
	const char *const	*values;	/* enumerated strings or NULL */
	size_t			 off;		/* in the C struct */
	size_t			 size;		/* of the C member */
	const struct field	*sub;		/* FK_OBJECT */
	size_t			 nsub;
};

#define NITEMS(a)		(sizeof(a) / sizeof((a)[0]))
#define MEMBER(T, f)		(((T *)NULL)->f)

/*
 * Row builders. Each names the JSON type; _Generic checks that the C
 * member has a matching type (no default: a mismatch is a compile error).
 * An array member decays to char *, so STRING takes arrays and STRPTR
 * takes const char * members.
 */
#define STRING_N(T, f, json, minlen, vals) {				\
	.name = (json),							\
	.kind = _Generic(MEMBER(T, f), char *: FK_CHARS),		\
	.min = (minlen), .max = (int64_t)sizeof(MEMBER(T, f)) - 1,	\
	.values = (vals), .off = offsetof(T, f),			\
	.size = sizeof(MEMBER(T, f)) }
#define STRING(T, f, minlen, vals)	STRING_N(T, f, #f, minlen, vals)
/* Optional: absent when empty (so never present and empty). */
#define STRING_OPT(T, f, vals) {					\
	.name = #f,							\
	.kind = _Generic(MEMBER(T, f), char *: FK_CHARS),		\
	.optional = true, .min = 1,					\
	.max = (int64_t)sizeof(MEMBER(T, f)) - 1,			\
	.values = (vals), .off = offsetof(T, f),			\
	.size = sizeof(MEMBER(T, f)) }
#define STRPTR(T, f, opt, minlen, maxlen) {				\
	.name = #f,							\
	.kind = _Generic(MEMBER(T, f), const char *: FK_CHARPTR),	\
	.optional = (opt), .min = (minlen), .max = (maxlen),		\
	.off = offsetof(T, f), .size = sizeof(MEMBER(T, f)) }
#define INTEGER(T, f, lo, hi) {						\
	.name = #f,							\
	.kind = _Generic(MEMBER(T, f), int64_t: FK_INT,		\
	    uint64_t: FK_UINT),						\
	.min = (lo), .max = (hi),					\
	.off = offsetof(T, f), .size = sizeof(MEMBER(T, f)) }
/* Optional: absent when 0 (so never present and 0). */
#define INTEGER_OPT(T, f, hi) {						\
	.name = #f,							\
	.kind = _Generic(MEMBER(T, f), int64_t: FK_INT,		\
	    uint64_t: FK_UINT),						\
	.optional = true, .min = 1, .max = (hi),			\
	.off = offsetof(T, f), .size = sizeof(MEMBER(T, f)) }
#define BOOLEAN_N(T, f, json) {						\
	.name = (json),							\
	.kind = _Generic(MEMBER(T, f), bool: FK_BOOL),			\
	.off = offsetof(T, f), .size = sizeof(MEMBER(T, f)) }
#define BOOLEAN(T, f)			BOOLEAN_N(T, f, #f)
/* Optional: absent when false (so never present and false). */
#define BOOLEAN_OPT(T, f) {						\
	.name = #f,							\
	.kind = _Generic(MEMBER(T, f), bool: FK_BOOL),			\
	.optional = true, .min = 1,					\
	.off = offsetof(T, f), .size = sizeof(MEMBER(T, f)) }
#define OBJECT(T, f, opt, tab) {					\
	.name = #f,							\
	.kind = _Generic(MEMBER(T, f), struct msg_limits: FK_OBJECT,	\
	    struct msg_counters: FK_OBJECT),				\
	.optional = (opt), .off = offsetof(T, f),			\
	.size = sizeof(MEMBER(T, f)), .sub = (tab), .nsub = NITEMS(tab) }

/*
 * Enumerated strings. One longer than the C array it lands in could
 * never be sent or received ("too long" comes first): keep them short.
 */
static const char *const transports[] = { "line", "ssh", NULL };
static const char *const worker_states[] = { "idle", "busy", NULL };
/* A negotiation's names: sshalgo.h's lists ("" for an AEAD's MAC). */
#define ALGO_NAME(n)	n,
static const char *const kex_names[] = { SSHALGO_KEX(ALGO_NAME, ) NULL };
static const char *const cipher_names[] = {
	SSHALGO_CIPHER(ALGO_NAME, ) NULL };
static const char *const mac_names[] = { "", SSHALGO_MAC(ALGO_NAME, )
    NULL };
#undef ALGO_NAME

/* RFC 4252's methods, and what libssh calls any other. */
static const char *const auth_methods[] = {
	"publickey", "password", "keyboard-interactive", "hostbased",
	"gssapi-with-mic", "unknown", NULL
};
/* The signatures a client may make with a user key (and ssh-rsa). */
#define SIG_NAME(n)	n,
static const char *const sig_algs[] = { SSHALGO_USER_SIGS(SIG_NAME) NULL };
#undef SIG_NAME
static const char *const end_reasons[] = {
	"quit", "hangup", "idle", "lifetime", "shutdown", "cpu", "output",
	"error", "auth", "proxy", "refused", "line", "resumed", "detached",
	NULL
};
static const char *const detach_reasons[] = { "hangup", "detach", NULL };

/* The limits object: every MSG_LIMITS field, required, in its range. */
static const struct field limits_fields[] = {
#define LIMIT_ROW(name, def, min, max, unit, what)			\
	INTEGER(struct msg_limits, name, (int64_t)(min), (int64_t)(max)),
	MSG_LIMITS(LIMIT_ROW)
#undef LIMIT_ROW
};

/* The counters object: every MSG_COUNTERS field, 0..2^53. */
static const struct field counters_fields[] = {
#define COUNTER_ROW(name, what)						\
	INTEGER(struct msg_counters, name, 0, TWO53),
	MSG_COUNTERS(COUNTER_ROW)
#undef COUNTER_ROW
};

/* Both lists must cover the whole struct: a field with no row is a bug. */
_Static_assert(sizeof(struct msg_limits) ==
    NITEMS(limits_fields) * sizeof(uint64_t), "limits table incomplete");
_Static_assert(sizeof(struct msg_counters) ==
    NITEMS(counters_fields) * sizeof(uint64_t), "counters table incomplete");

static const struct field hello_fields[] = {
	STRING(struct msg_hello, build, 0, NULL),
	STRING(struct msg_hello, transport, 1, transports),
	STRING(struct msg_hello, listener, 0, NULL),
	INTEGER(struct msg_hello, uid, -1, UINT32_MAX - 1),	/* (uid_t)-1 means "unchanged" */
	INTEGER(struct msg_hello, gid, -1, UINT32_MAX - 1),
	STRING(struct msg_hello, chroot, 0, NULL),
	OBJECT(struct msg_hello, limits, false, limits_fields),
	INTEGER(struct msg_hello, log_level, 0, 7),
	BOOLEAN(struct msg_hello, sandbox_debug),
	INTEGER(struct msg_hello, record_fsize, 0, TWO53),
	STRPTR(struct msg_hello, hostkey, true, 1, MSG_KEY_MAX),
	STRPTR(struct msg_hello, kex, true, 1, SSHALGO_LIST_MAX - 1),
	STRPTR(struct msg_hello, ciphers, true, 1, SSHALGO_LIST_MAX - 1),
	STRPTR(struct msg_hello, macs, true, 1, SSHALGO_LIST_MAX - 1),
	STRPTR(struct msg_hello, hostkey_algorithms, true, 1,
	    SSHALGO_LIST_MAX - 1),
};

static const struct field ready_fields[] = {
	STRING(struct msg_ready, build, 0, NULL),
	INTEGER(struct msg_ready, pid, 1, 1 << 22),
};

static const struct field session_fields[] = {
	INTEGER(struct msg_session, id, 1, TWO53),
	STRING(struct msg_session, listener, 0, NULL),
	STRING(struct msg_session, peer, 0, NULL),
	STRING(struct msg_session, transport, 1, transports),
	STRING(struct msg_session, tenant, 0, NULL),
	OBJECT(struct msg_session, limits, false, limits_fields),
	BOOLEAN(struct msg_session, proxy),
	STRPTR(struct msg_session, quota, true, 1, MSG_TEXT_MAX),
};

static const struct field peer_fields[] = {
	STRING(struct msg_peer, addr, 1, NULL),
	INTEGER(struct msg_peer, port, 0, 65535),
};

static const struct field peer_verdict_fields[] = {
	BOOLEAN(struct msg_peer_verdict, allow),
	STRING(struct msg_peer_verdict, message, 0, NULL),
};

static const struct field negotiated_fields[] = {
	STRING(struct msg_negotiated, kex, 1, kex_names),
	STRING(struct msg_negotiated, cipher, 1, cipher_names),
	STRING(struct msg_negotiated, mac, 0, mac_names),
	STRING(struct msg_negotiated, client, 4, NULL),
};

static const struct field auth_query_fields[] = {
	STRING(struct msg_auth_query, user, 0, NULL),
	STRING(struct msg_auth_query, method, 1, auth_methods),
	STRING(struct msg_auth_query, keytype, 0, NULL),
	STRPTR(struct msg_auth_query, key, false, 0, MSG_KEY_MAX),
	BOOLEAN_N(struct msg_auth_query, signed_, "signed"),
	STRING_OPT(struct msg_auth_query, sigalg, sig_algs),
};

static const struct field auth_reply_fields[] = {
	BOOLEAN(struct msg_auth_reply, ok),
	STRING(struct msg_auth_reply, tenant, 0, NULL),
	OBJECT(struct msg_auth_reply, limits, true, limits_fields),
	STRING_OPT(struct msg_auth_reply, message, NULL),
	INTEGER_OPT(struct msg_auth_reply, resume_window, 604800),
	STRING_OPT(struct msg_auth_reply, detached, NULL),
	STRING_OPT(struct msg_auth_reply, command, NULL),
	BOOLEAN_OPT(struct msg_auth_reply, no_pty),
};

static const struct field status_fields[] = {
	STRING(struct msg_status, state, 1, worker_states),
	OBJECT(struct msg_status, counters, false, counters_fields),
};

static const struct field log_fields[] = {
	INTEGER(struct msg_log, level, 0, 7),
	STRING(struct msg_log, msg, 0, NULL),
};

static const struct field ping_fields[] = {
	INTEGER(struct msg_ping, seq, 0, TWO53),
};
#define pong_fields	ping_fields	/* pong echoes a ping's body */

static const struct field shutdown_fields[] = {
	INTEGER(struct msg_shutdown, grace, 0, 3600),
	STRING(struct msg_shutdown, reason, 0, NULL),
};

static const struct field session_end_fields[] = {
	STRING(struct msg_session_end, reason, 1, end_reasons),
	OBJECT(struct msg_session_end, counters, false, counters_fields),
	INTEGER(struct msg_session_end, exit_status, -1, 255),
};

static const struct field detach_fields[] = {
	STRING(struct msg_detach, reason, 1, detach_reasons),
};

static const struct field move_fields[] = {
	INTEGER(struct msg_move, to, 1, TWO53),
};

static const struct field resume_fields[] = {
	INTEGER(struct msg_resume, id, 0, TWO53),
	STRING_OPT(struct msg_resume, token, NULL),
};

static const struct field detach_reply_fields[] = {
	STRING_OPT(struct msg_detach_reply, token, NULL),
	STRING_OPT(struct msg_detach_reply, message, NULL),
};

static const struct field resume_reply_fields[] = {
	INTEGER(struct msg_resume_reply, id, 1, TWO53),
};

static const struct field resume_refused_fields[] = {
	STRING(struct msg_resume_refused, message, 1, NULL),
};

static const struct field resumed_fields[] = {
	INTEGER(struct msg_resumed, id, 1, TWO53),
	BOOLEAN(struct msg_resumed, ok),
	STRING_OPT(struct msg_resumed, message, NULL),
};

static const struct field history_fields[] = {
	INTEGER(struct msg_history, keep, 1, MSG_HISTORY_KEEP_MAX),
	STRPTR(struct msg_history, lines, true, 1, MSG_HISTORY_BYTES),
};

static const struct field history_save_fields[] = {
	BOOLEAN(struct msg_history_save, clear),
	STRPTR(struct msg_history_save, lines, true, 1, MSG_HISTORY_BYTES),
};

/* `takeover` describes its session as `session` does. */
#define takeover_fields	session_fields

static const struct field taken_fields[] = {
	BOOLEAN(struct msg_taken, ok),
	STRING_OPT(struct msg_taken, message, NULL),
};

static const struct field handover_fields[] = {
	INTEGER(struct msg_handover, to, 1, INT32_MAX),
};

static const struct field handed_fields[] = {
	BOOLEAN(struct msg_handed, ok),
};

static const struct field reconnect_fields[] = {
	STRING(struct msg_reconnect, message, 1, NULL),
};

static const char *const record_modes[] = { "output", "all", NULL };

static const struct field record_fields[] = {
	STRING(struct msg_record, mode, 1, record_modes),
	INTEGER(struct msg_record, max, 0, TWO53),
	STRING_OPT(struct msg_record, notice, NULL),
};

typedef int	(*check_fn)(struct ctx *, const void *);

struct msgdef {
	const char		*name;
	enum msg_dir		 from;
	unsigned		 states;
	enum msg_fd		 fd;
	const struct field	*fields;
	size_t			 nfields;
};

static const struct msgdef msgdefs[MSG_NTYPES] = {
#define MSG_DEF(N, n, dir, st, fdk)					\
	[MSG_##N] = { #n, dir, st, fdk, n##_fields, NITEMS(n##_fields) },
	MSG_TYPES(MSG_DEF)
#undef MSG_DEF
};

/* Rules across the fields of one message (msgrules.c). */
static const check_fn checks[MSG_NTYPES] = {
	[MSG_HELLO] = msgrule_hello,
	[MSG_NEGOTIATED] = msgrule_negotiated,
	[MSG_AUTH_QUERY] = msgrule_auth_query,
	[MSG_AUTH_REPLY] = msgrule_auth_reply,
	[MSG_RESUME] = msgrule_resume,
	[MSG_DETACH_REPLY] = msgrule_detach_reply,
	[MSG_HISTORY] = msgrule_history,
	[MSG_HISTORY_SAVE] = msgrule_history_save,
};

static const char *const state_names[] = {
	"starting", "idle", "busy", "stopping"
};

/* --- errors ----------------------------------------------------------- */

static int	vfail(struct ctx *, const char *, const char *, va_list)
		    __attribute__((format(printf, 3, 0)));

static int
vfail(struct ctx *c, const char *path, const char *fmt, va_list ap)
{
	size_t	 n;
	int	 rv;

	if (c->err == NULL || c->errlen == 0)
		return -1;
	if (path != NULL)
		rv = snprintf(c->err, c->errlen, "%s: field \"%s\": ",
		    c->tname, path);
	else
		rv = snprintf(c->err, c->errlen, "%s: ", c->tname);
	if (rv < 0 || (n = (size_t)rv) >= c->errlen)
		return -1;
	vsnprintf(c->err + n, c->errlen - n, fmt, ap);
	return -1;
}

int
msgtab_fail(struct ctx *c, const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	vfail(c, NULL, fmt, ap);
	va_end(ap);
	return -1;
}

int
msgtab_fail_field(struct ctx *c, const char *path, const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	vfail(c, path, fmt, ap);
	va_end(ap);
	return -1;
}

/*
 * Copy len bytes from the peer into dst as printable ASCII: quotes,
 * backslashes and anything outside 0x20..0x7e become \xNN, and more than
 * QUOTE_MAX bytes end in "...". A log line built from it holds no control
 * characters or terminal escapes.
 */
static void
quote(char *dst, size_t dstlen, const char *s, size_t len)
{
	static const char	 hex[] = "0123456789abcdef";
	size_t			 i, o = 0;
	unsigned char		 ch;

	if (dstlen == 0)
		return;
	for (i = 0; i < len && i < QUOTE_MAX; i++) {
		ch = (unsigned char)s[i];
		if (ch >= 0x20 && ch < 0x7f && ch != '"' && ch != '\\') {
			if (o + 1 >= dstlen)
				break;
			dst[o++] = (char)ch;
		} else {
			if (o + 4 >= dstlen)
				break;
			dst[o++] = '\\';
			dst[o++] = 'x';
			dst[o++] = hex[ch >> 4];
			dst[o++] = hex[ch & 0xf];
		}
	}
	if (i < len && o + 3 < dstlen) {
		memcpy(dst + o, "...", 3);
		o += 3;
	}
	dst[o] = '\0';
}

/* Room for a quoted peer string: every byte as \xNN, and "...". */
#define QUOTED_SIZE	(QUOTE_MAX * 4 + 4)
/* Room for a dotted path: a table name, a dot, a quoted peer key. */
#define PATH_SIZE	(64 + QUOTED_SIZE)

/* The dotted path of a field below prefix ("" at the top). */
static void
field_path(char *dst, size_t dstlen, const char *prefix, const char *name)
{
	int	 n;

	if (prefix[0] == '\0')
		n = snprintf(dst, dstlen, "%s", name);
	else
		n = snprintf(dst, dstlen, "%s.%s", prefix, name);
	if (n < 0 || (size_t)n >= dstlen)	/* say it was cut */
		memcpy(dst + dstlen - 4, "...", 4);
}

static const char *
dir_name(enum msg_dir d)
{
	switch (d) {
	case MSG_FROM_SUPERVISOR:
		return "supervisor";
	case MSG_FROM_WORKER:
		return "worker";
	case MSG_FROM_EITHER:
		return "either side";
	}
	return "unknown sender";
}

/* "starting|busy", or "none". */
static void
states_str(char *dst, size_t dstlen, unsigned states)
{
	size_t	 i, o = 0;
	int	 n;

	dst[0] = '\0';
	for (i = 0; i < NITEMS(state_names); i++) {
		if ((states & (1U << i)) == 0)
			continue;
		n = snprintf(dst + o, dstlen - o, "%s%s", o > 0 ? "|" : "",
		    state_names[i]);
		if (n < 0 || (size_t)n >= dstlen - o)
			return;
		o += (size_t)n;
	}
	if ((states & ~(unsigned)WS_ANY) != 0)
		snprintf(dst + o, dstlen - o, "%s0x%x", o > 0 ? "|" : "",
		    states & ~(unsigned)WS_ANY);
	else if (o == 0)
		snprintf(dst, dstlen, "none");
}

/* --- checks shared by decoder and encoder ------------------------------ */

static int
check_int(struct ctx *c, const char *path, const struct field *f, int64_t v)
{
	if (v < f->min || v > f->max)
		return msgtab_fail_field(c, path, "%" PRId64 " out of range (%" PRId64
		    "..%" PRId64 ")", v, f->min, f->max);
	return 0;
}

/* s holds len bytes (not NUL-terminated in the JSON case). */
static int
check_string(struct ctx *c, const char *path, const struct field *f,
    const char *s, size_t len)
{
	const char *const	*v;
	char			 q[QUOTED_SIZE];
	struct buf		 list;
	int			 rv;

	if (memchr(s, '\0', len) != NULL)
		return msgtab_fail_field(c, path, "contains NUL");
	if ((int64_t)len > f->max)
		return msgtab_fail_field(c, path, "too long (%zu bytes, max %" PRId64
		    ")", len, f->max);
	if ((int64_t)len < f->min) {
		if (len == 0)
			return msgtab_fail_field(c, path, "empty");
		return msgtab_fail_field(c, path, "too short (%zu bytes, min %"
		    PRId64 ")", len, f->min);
	}
	if (f->values == NULL)
		return 0;
	for (v = f->values; *v != NULL; v++)
		if (strlen(*v) == len && memcmp(*v, s, len) == 0)
			return 0;
	buf_init(&list, 0);
	for (v = f->values; *v != NULL; v++)
		buf_printf(&list, "%s%s", v == f->values ? "" : ", ", *v);
	quote(q, sizeof(q), s, len);
	rv = msgtab_fail_field(c, path, "\"%s\" is not one of: %s", q,
	    list.data != NULL ? list.data : "");
	buf_free(&list);
	return rv;
}

bool
msgtab_all_zero(const void *p, size_t n)
{
	const unsigned char	*b = p;
	size_t			 i;

	for (i = 0; i < n; i++)
		if (b[i] != 0)
			return false;
	return true;
}

/* --- decoder ----------------------------------------------------------- */

static const struct field *
find_field(const struct field *fields, size_t n, const char *name)
{
	size_t	 i;

	for (i = 0; i < n; i++)
		if (strcmp(fields[i].name, name) == 0)
			return &fields[i];
	return NULL;
}

static int	decode_object(struct ctx *, const char *, json_t *,
		    const struct field *, size_t, void *, bool);

static int
decode_value(struct ctx *c, const char *path, const struct field *f,
    json_t *v, void *body)
{
	char		*dst = (char *)body + f->off;
	const char	*s;
	size_t		 len;
	int64_t		 i;
	uint64_t	 u;
	bool		 b;

	switch (f->kind) {
	case FK_CHARS:
	case FK_CHARPTR:
		if (!json_is_string(v))
			return msgtab_fail_field(c, path, "not a string");
		s = json_string_value(v);
		len = json_string_length(v);
		if (check_string(c, path, f, s, len) == -1)
			return -1;
		if (f->kind == FK_CHARS) {
			/* check_string bounded len by size - 1 */
			memcpy(dst, s, len);
			dst[len] = '\0';
		} else
			memcpy(dst, &s, sizeof(s));
		return 0;
	case FK_INT:
	case FK_UINT:
		/* a real (1.0) is not an integer, whatever its value */
		if (!json_is_integer(v))
			return msgtab_fail_field(c, path, "not an integer");
		i = json_integer_value(v);
		if (check_int(c, path, f, i) == -1)
			return -1;
		if (f->kind == FK_INT)
			memcpy(dst, &i, sizeof(i));
		else {
			u = (uint64_t)i;	/* min >= 0 for every UINT */
			memcpy(dst, &u, sizeof(u));
		}
		return 0;
	case FK_BOOL:
		if (!json_is_boolean(v))
			return msgtab_fail_field(c, path, "not a boolean");
		b = json_is_true(v);
		if (f->optional && !b)
			return msgtab_fail_field(c, path, "false: leave it out");
		memcpy(dst, &b, sizeof(b));
		return 0;
	case FK_OBJECT:
		if (!json_is_object(v))
			return msgtab_fail_field(c, path, "not an object");
		return decode_object(c, path, v, f->sub, f->nsub, dst, false);
	}
	return msgtab_fail_field(c, path, "bad table entry");
}

/*
 * Fill body from obj: every key must have a row (at the top, "type" and
 * "v" are the envelope), every required row a key.
 */
static int
decode_object(struct ctx *c, const char *prefix, json_t *obj,
    const struct field *fields, size_t n, void *body, bool top)
{
	const char	*key;
	json_t		*v;
	size_t		 i;
	char		 path[PATH_SIZE], q[QUOTED_SIZE];

	json_object_foreach(obj, key, v) {
		if (top && (strcmp(key, "type") == 0 || strcmp(key, "v") == 0))
			continue;
		if (find_field(fields, n, key) == NULL) {
			quote(q, sizeof(q), key, strlen(key));
			field_path(path, sizeof(path), prefix, q);
			return msgtab_fail(c, "unexpected field \"%s\"", path);
		}
	}
	for (i = 0; i < n; i++) {
		field_path(path, sizeof(path), prefix, fields[i].name);
		if ((v = json_object_get(obj, fields[i].name)) == NULL) {
			if (fields[i].optional)
				continue;	/* stays zero */
			return msgtab_fail(c, "missing field \"%s\"", path);
		}
		if (decode_value(c, path, &fields[i], v, body) == -1)
			return -1;
	}
	return 0;
}

/* The type's row, from the envelope: "type" and "v". */
static const struct msgdef *
decode_envelope(struct ctx *c, json_t *root, enum msg_type *type)
{
	json_t		*t, *v;
	const char	*name;
	size_t		 len, i;
	char		 q[QUOTED_SIZE];

	if ((t = json_object_get(root, "type")) == NULL) {
		msgtab_fail(c, "missing field \"type\"");
		return NULL;
	}
	if (!json_is_string(t)) {
		msgtab_fail_field(c, "type", "not a string");
		return NULL;
	}
	name = json_string_value(t);
	len = json_string_length(t);
	for (i = 0; i < MSG_NTYPES; i++)
		if (strlen(msgdefs[i].name) == len &&
		    memcmp(msgdefs[i].name, name, len) == 0)
			break;
	if (i == MSG_NTYPES) {
		quote(q, sizeof(q), name, len);
		msgtab_fail(c, "unknown type \"%s\"", q);
		return NULL;
	}
	*type = (enum msg_type)i;
	c->tname = msgdefs[i].name;
	if ((v = json_object_get(root, "v")) == NULL) {
		msgtab_fail(c, "missing field \"v\"");
		return NULL;
	}
	if (!json_is_integer(v)) {
		msgtab_fail_field(c, "v", "not an integer");
		return NULL;
	}
	if (json_integer_value(v) != MSG_VERSION) {
		msgtab_fail_field(c, "v", "version %" JSON_INTEGER_FORMAT
		    ", expected %d", json_integer_value(v), MSG_VERSION);
		return NULL;
	}
	return &msgdefs[i];
}

/*
 * from: who sent it (MSG_FROM_EITHER skips the direction check, for tests
 * and fuzzers). state: the receiver's view of the worker, a bitmask; the
 * message must be allowed in one of its states. Parsing rejects duplicate
 * keys and trailing bytes; \u0000 is let through jansson (JSON_ALLOW_NUL)
 * so that our own check names the field.
 */
int
msg_decode(const void *buf, size_t len, int nfds, enum msg_dir from,
    unsigned state, struct msg *m, char *err, size_t errlen)
{
	struct ctx		 c = { "message", err, errlen };
	const struct msgdef	*def;
	enum msg_type		 type;
	json_t			*root;
	json_error_t		 jerr;
	char			 q[QUOTED_SIZE], states[64];

	memset(m, 0, sizeof(*m));
	m->fd = -1;
	m->json = NULL;
	if (err != NULL && errlen > 0)
		err[0] = '\0';
	if (len > MSG_MAX)
		return msgtab_fail(&c, "%zu bytes (max %d)", len, MSG_MAX);
	root = json_loadb(buf, len, JSON_REJECT_DUPLICATES | JSON_ALLOW_NUL,
	    &jerr);
	if (root == NULL) {
		quote(q, sizeof(q), jerr.text, strlen(jerr.text));
		return msgtab_fail(&c, "invalid JSON at byte %d: %s", jerr.position,
		    q);
	}
	if (!json_is_object(root)) {
		msgtab_fail(&c, "not a JSON object");
		goto bad;
	}
	if ((def = decode_envelope(&c, root, &type)) == NULL)
		goto bad;
	if ((def->from & from) == 0) {
		msgtab_fail(&c, "not allowed from %s", dir_name(from));
		goto bad;
	}
	if ((def->states & state) == 0) {
		states_str(states, sizeof(states), state);
		msgtab_fail(&c, "not allowed in state %s", states);
		goto bad;
	}
	if (nfds > 1) {
		msgtab_fail(&c, "%d fds attached (at most 1)", nfds);
		goto bad;
	}
	if (def->fd == MSG_FD_NONE && nfds == 1) {
		msgtab_fail(&c, "unexpected fd");
		goto bad;
	}
	if (def->fd == MSG_FD_REQUIRED && nfds <= 0) {
		msgtab_fail(&c, "missing fd");
		goto bad;
	}
	if (decode_object(&c, "", root, def->fields, def->nfields, &m->u,
	    true) == -1)
		goto bad;
	if (checks[type] != NULL && checks[type](&c, &m->u) == -1)
		goto bad;
	m->type = type;
	m->json = root;		/* CHARPTR fields point into it */
	return 0;
bad:
	json_decref(root);
	memset(&m->u, 0, sizeof(m->u));
	return -1;
}

/* --- encoder ----------------------------------------------------------- */

static int	encode_object(struct ctx *, const char *, json_t *,
		    const struct field *, size_t, const void *);

/* Set obj[name] = v, taking v; v NULL means jansson ran out of memory. */
static int
put(struct ctx *c, const char *path, json_t *obj, const char *name,
    json_t *v)
{
	if (v == NULL || json_object_set_new(obj, name, v) == -1)
		return msgtab_fail_field(c, path, "out of memory");
	return 0;
}

static int
encode_value(struct ctx *c, const char *path, const struct field *f,
    json_t *obj, const void *body)
{
	const char	*src = (const char *)body + f->off;
	const char	*s;
	json_t		*v;
	size_t		 len;
	int64_t		 i;
	uint64_t	 u;
	bool		 b;

	switch (f->kind) {
	case FK_CHARS:
		if ((len = strnlen(src, f->size)) == f->size)
			return msgtab_fail_field(c, path, "not NUL-terminated");
		s = src;
		break;
	case FK_CHARPTR:
		memcpy(&s, src, sizeof(s));
		if (s == NULL)	/* optional ones are skipped before */
			return msgtab_fail_field(c, path, "NULL");
		/* one past the maximum tells "too long" without reading on */
		len = strnlen(s, (size_t)f->max + 1);
		break;
	case FK_INT:
		memcpy(&i, src, sizeof(i));
		if (check_int(c, path, f, i) == -1)
			return -1;
		return put(c, path, obj, f->name, json_integer(i));
	case FK_UINT:
		memcpy(&u, src, sizeof(u));
		if (u > (uint64_t)f->max)
			return msgtab_fail_field(c, path, "%" PRIu64 " out of range "
			    "(%" PRId64 "..%" PRId64 ")", u, f->min, f->max);
		if (check_int(c, path, f, (int64_t)u) == -1)
			return -1;
		return put(c, path, obj, f->name, json_integer((json_int_t)u));
	case FK_BOOL:
		memcpy(&b, src, sizeof(b));
		return put(c, path, obj, f->name, json_boolean(b));
	case FK_OBJECT:
		if ((v = json_object()) == NULL)
			return msgtab_fail_field(c, path, "out of memory");
		if (encode_object(c, path, v, f->sub, f->nsub, src) == -1) {
			json_decref(v);
			return -1;
		}
		return put(c, path, obj, f->name, v);
	default:
		return msgtab_fail_field(c, path, "bad table entry");
	}
	if (check_string(c, path, f, s, len) == -1)
		return -1;
	/* jansson refuses what is not UTF-8: the peer would too */
	if ((v = json_stringn(s, len)) == NULL)
		return msgtab_fail_field(c, path, "not valid UTF-8");
	return put(c, path, obj, f->name, v);
}

static bool
is_absent(const struct field *f, const void *body)
{
	const char	*src = (const char *)body + f->off;
	const char	*s;

	if (!f->optional)
		return false;
	if (f->kind == FK_CHARPTR) {
		memcpy(&s, src, sizeof(s));
		return s == NULL;
	}
	return msgtab_all_zero(src, f->size);
}

static int
encode_object(struct ctx *c, const char *prefix, json_t *obj,
    const struct field *fields, size_t n, const void *body)
{
	size_t	 i;
	char	 path[PATH_SIZE];

	for (i = 0; i < n; i++) {
		if (is_absent(&fields[i], body))
			continue;
		field_path(path, sizeof(path), prefix, fields[i].name);
		if (encode_value(c, path, &fields[i], obj, body) == -1)
			return -1;
	}
	return 0;
}

struct dump {
	struct buf	*out;
	bool		 toolong;
	int		 error;		/* errno of a failed append */
};

static int
dump_cb(const char *p, size_t n, void *arg)
{
	struct dump	*d = arg;

	if (n > MSG_MAX - d->out->len) {
		d->toolong = true;
		return -1;
	}
	if (buf_append(d->out, p, n) == -1) {
		d->error = errno;
		return -1;
	}
	return 0;
}

int
msg_encode(struct buf *out, enum msg_type type, const void *body, char *err,
    size_t errlen)
{
	struct ctx		 c = { "message", err, errlen };
	const struct msgdef	*def;
	struct dump		 d = { out, false, 0 };
	json_t			*root;
	int			 rv = -1;

	if (err != NULL && errlen > 0)
		err[0] = '\0';
	buf_reset(out);
	if ((unsigned)type >= MSG_NTYPES)
		return msgtab_fail(&c, "unknown type %d", (int)type);
	def = &msgdefs[type];
	c.tname = def->name;
	if (body == NULL)
		return msgtab_fail(&c, "no body");
	if ((root = json_object()) == NULL)
		return msgtab_fail(&c, "out of memory");
	if (put(&c, "type", root, "type", json_string(def->name)) == -1 ||
	    put(&c, "v", root, "v", json_integer(MSG_VERSION)) == -1)
		goto done;
	if (encode_object(&c, "", root, def->fields, def->nfields, body) == -1)
		goto done;
	if (checks[type] != NULL && checks[type](&c, body) == -1)
		goto done;
	/* insertion order: the same body always gives the same bytes */
	if (json_dump_callback(root, dump_cb, &d,
	    JSON_COMPACT | JSON_PRESERVE_ORDER) == -1) {
		if (d.toolong)
			msgtab_fail(&c, "encoded message longer than %d bytes",
			    MSG_MAX);
		else if (d.error == ENOBUFS)
			msgtab_fail(&c, "encoded message longer than the buffer's "
			    "limit (%zu bytes)", out->max);
		else
			msgtab_fail(&c, "out of memory");
		buf_reset(out);
		goto done;
	}
	rv = 0;
done:
	json_decref(root);
	return rv;
}

/* --- names and limits -------------------------------------------------- */

const char *
msg_type_name(enum msg_type type)
{
	if ((unsigned)type >= MSG_NTYPES)
		return "unknown";
	return msgdefs[type].name;
}

void
msg_limits_default(struct msg_limits *l)
{
#define LIMIT_DEFAULT(name, def, min, max, unit, what)	l->name = (def);
	MSG_LIMITS(LIMIT_DEFAULT)
#undef LIMIT_DEFAULT
}

/*
 * The tighter of two limits. Where a field's minimum is 0, a 0 means "no
 * limit", so it loses to any number. Elsewhere 0 is not a valid value and
 * wins like any smaller number, so the result is refused by msg_encode()
 * rather than silently read as "unlimited".
 */
static uint64_t
limit_min(uint64_t a, uint64_t b, bool zero_is_none)
{
	if (zero_is_none && a == 0)
		return b;
	if (zero_is_none && b == 0)
		return a;
	return a < b ? a : b;
}

void
msg_limits_min(struct msg_limits *out, const struct msg_limits *a,
    const struct msg_limits *b)
{
	/* field by field, so out may be a or b */
#define LIMIT_MIN(name, def, min, max, unit, what)			\
	out->name = limit_min(a->name, b->name, (min) == 0);
	MSG_LIMITS(LIMIT_MIN)
#undef LIMIT_MIN
}
