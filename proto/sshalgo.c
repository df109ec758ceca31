/*
 * sshalgo.c: the SSH algorithm lists of include/proto/sshalgo.h, and sshd's
 * syntax for changing them (+, -, ^), used by the config parser; the
 * message table checks `hello`'s lists with sshalgo_list_ok(). Pure: no
 * libssh here (the supervisor checks the names against the linked libssh
 * on its own: hostkey_libssh_has() in supervisor/hostkey.c).
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <bsd/string.h>

#include "sshalgo.h"

#define NAME(n)			n,
#define REFUSED_NAME(n, why)	n,
#define REFUSED_WHY(n, why)	why,

static const char *const kex[] = { SSHALGO_KEX(NAME, ) NULL };
static const char *const ciphers[] = { SSHALGO_CIPHER(NAME, ) NULL };
static const char *const macs[] = { SSHALGO_MAC(NAME, ) NULL };
static const char *const hostkeys[] = { SSHALGO_HOSTKEY(NAME, ) NULL };

static const char *const kex_no[] = { SSHALGO_KEX_REFUSED(REFUSED_NAME)
    NULL };
static const char *const kex_why[] = { SSHALGO_KEX_REFUSED(REFUSED_WHY)
    NULL };
static const char *const cipher_no[] = {
	SSHALGO_CIPHER_REFUSED(REFUSED_NAME) NULL };
static const char *const cipher_why[] = {
	SSHALGO_CIPHER_REFUSED(REFUSED_WHY) NULL };
static const char *const mac_no[] = { SSHALGO_MAC_REFUSED(REFUSED_NAME)
    NULL };
static const char *const mac_why[] = { SSHALGO_MAC_REFUSED(REFUSED_WHY)
    NULL };
static const char *const hostkey_no[] = {
	SSHALGO_HOSTKEY_REFUSED(REFUSED_NAME) NULL };
static const char *const hostkey_why[] = {
	SSHALGO_HOSTKEY_REFUSED(REFUSED_WHY) NULL };

static const char *const user_sigs[] = { SSHALGO_USER_SIGS(NAME) NULL };

static const char kex_default[] = SSHALGO_KEX_DEFAULT;
static const char cipher_default[] = SSHALGO_CIPHER_DEFAULT;
static const char mac_default[] = SSHALGO_MAC_DEFAULT;
static const char hostkey_default[] = SSHALGO_HOSTKEY_DEFAULT;

static const struct {
	const char		*words;
	const char *const	*names;
	size_t			 count;
	const char		*def;
	const char *const	*no, *const *why;
} kinds[SSHALGO_NKINDS] = {
	[SSHALGO_KIND_KEX] = { "key exchange", kex,
	    sizeof(kex) / sizeof(kex[0]) - 1, kex_default,
	    kex_no, kex_why },
	[SSHALGO_KIND_CIPHER] = { "cipher", ciphers,
	    sizeof(ciphers) / sizeof(ciphers[0]) - 1, cipher_default,
	    cipher_no, cipher_why },
	[SSHALGO_KIND_MAC] = { "MAC", macs,
	    sizeof(macs) / sizeof(macs[0]) - 1, mac_default,
	    mac_no, mac_why },
	[SSHALGO_KIND_HOSTKEY] = { "host key algorithm", hostkeys,
	    sizeof(hostkeys) / sizeof(hostkeys[0]) - 1, hostkey_default,
	    hostkey_no, hostkey_why },
};

/* Each kind fits the counters kept per name. */
_Static_assert(sizeof(kex) / sizeof(kex[0]) - 1 <= SSHALGO_KIND_MAX &&
    sizeof(ciphers) / sizeof(ciphers[0]) - 1 <= SSHALGO_KIND_MAX &&
    sizeof(macs) / sizeof(macs[0]) - 1 <= SSHALGO_KIND_MAX &&
    sizeof(hostkeys) / sizeof(hostkeys[0]) - 1 <= SSHALGO_KIND_MAX,
    "a kind has more names than SSHALGO_KIND_MAX");

/* Every default list fits a resolved list, and every name its bound. */
_Static_assert(sizeof(kex_default) <= SSHALGO_LIST_MAX &&
    sizeof(cipher_default) <= SSHALGO_LIST_MAX &&
    sizeof(mac_default) <= SSHALGO_LIST_MAX &&
    sizeof(hostkey_default) <= SSHALGO_LIST_MAX, "default list too long");

const char *const *
sshalgo_names(enum sshalgo_kind k)
{
	return kinds[k].names;
}

size_t
sshalgo_count(enum sshalgo_kind k)
{
	return kinds[k].count;
}

const char *
sshalgo_default(enum sshalgo_kind k)
{
	return kinds[k].def;
}

const char *
sshalgo_kind_words(enum sshalgo_kind k)
{
	return kinds[k].words;
}

int
sshalgo_index(enum sshalgo_kind k, const char *name, size_t len)
{
	size_t	 i;

	for (i = 0; i < kinds[k].count; i++)
		if (strlen(kinds[k].names[i]) == len &&
		    memcmp(kinds[k].names[i], name, len) == 0)
			return (int)i;
	return -1;
}

const char *
sshalgo_refused(enum sshalgo_kind k, const char *name)
{
	size_t	 i;

	for (i = 0; kinds[k].no[i] != NULL; i++)
		if (strcmp(kinds[k].no[i], name) == 0)
			return kinds[k].why[i];
	return NULL;
}

/* A set of one kind's names, by index, in an order. */
struct set {
	int		 v[32];
	size_t		 n;
};

static bool
set_has(const struct set *s, int i)
{
	size_t	 j;

	for (j = 0; j < s->n; j++)
		if (s->v[j] == i)
			return true;
	return false;
}

static void
set_add(struct set *s, int i)
{
	if (!set_has(s, i) && s->n < sizeof(s->v) / sizeof(s->v[0]))
		s->v[s->n++] = i;
}

/*
 * The names of p (comma separated; spaces around them are ignored) into
 * s, each checked. dups: a name twice is an error.
 */
static int
parse_names(enum sshalgo_kind k, const char *p, struct set *s, bool dups,
    char *err, size_t errlen)
{
	char		 name[SSHALGO_NAME_MAX + 1];
	const char	*why;
	size_t		 n;
	int		 i;

	for (;;) {
		while (*p == ',' || *p == ' ' || *p == '\t')
			p++;
		if (*p == '\0')
			return 0;
		n = strcspn(p, ", \t");
		if (n > SSHALGO_NAME_MAX) {
			snprintf(err, errlen, "\"%.40s...\" is not a %s", p,
			    kinds[k].words);
			return -1;
		}
		memcpy(name, p, n);
		name[n] = '\0';
		p += n;
		if ((i = sshalgo_index(k, name, n)) == -1) {
			if ((why = sshalgo_refused(k, name)) != NULL)
				snprintf(err, errlen, "%s %s is never offered: "
				    "%s", kinds[k].words, name, why);
			else if (strchr("+-^", name[0]) != NULL)
				snprintf(err, errlen, "\"%s\": +, - or ^ comes "
				    "only before the first name", name);
			else
				snprintf(err, errlen, "unknown %s \"%s\" (known: "
				    "%s)", kinds[k].words, name,
				    sshalgo_default(k));
			return -1;
		}
		if (dups && set_has(s, i)) {
			snprintf(err, errlen, "%s %s is named twice",
			    kinds[k].words, name);
			return -1;
		}
		set_add(s, i);
	}
}

int
sshalgo_resolve(enum sshalgo_kind k, const char *value, bool append,
    char *out, size_t outlen, char *err, size_t errlen)
{
	struct set	 cur, names, res;
	char		 op = '\0';
	size_t		 i;

	memset(&res, 0, sizeof(res));
	memset(&names, 0, sizeof(names));
	memset(&cur, 0, sizeof(cur));
	while (*value == ' ' || *value == '\t')
		value++;
	if (append) {
		/* A continuation line: more names for the list so far. */
		if (parse_names(k, out, &cur, false, err, errlen) == -1 ||
		    parse_names(k, value, &names, true, err, errlen) == -1)
			return -1;
		res = cur;
		for (i = 0; i < names.n; i++) {
			if (set_has(&cur, names.v[i])) {
				snprintf(err, errlen, "%s %s is named twice",
				    kinds[k].words, kinds[k].names[names.v[i]]);
				return -1;
			}
			set_add(&res, names.v[i]);
		}
	} else {
		if (*value == '+' || *value == '-' || *value == '^')
			op = *value++;
		if (parse_names(k, value, &names, true, err, errlen) == -1)
			return -1;
		if (names.n == 0) {
			snprintf(err, errlen, "no %s named", kinds[k].words);
			return -1;
		}
		switch (op) {
		case '+':
			for (i = 0; i < kinds[k].count; i++)
				set_add(&res, (int)i);
			for (i = 0; i < names.n; i++)
				set_add(&res, names.v[i]);
			break;
		case '-':
			for (i = 0; i < kinds[k].count; i++)
				if (!set_has(&names, (int)i))
					set_add(&res, (int)i);
			break;
		case '^':
			res = names;
			for (i = 0; i < kinds[k].count; i++)
				set_add(&res, (int)i);
			break;
		default:
			res = names;
			break;
		}
	}
	if (res.n == 0) {
		snprintf(err, errlen, "no %s left", kinds[k].words);
		return -1;
	}
	out[0] = '\0';
	for (i = 0; i < res.n; i++) {
		if (i > 0)
			strlcat(out, ",", outlen);
		if (strlcat(out, kinds[k].names[res.v[i]], outlen) >= outlen) {
			snprintf(err, errlen, "the list is too long");
			return -1;
		}
	}
	return 0;
}

bool
sshalgo_list_ok(enum sshalgo_kind k, const char *list)
{
	struct set	 s;
	const char	*p = list, *e;
	int		 i;

	memset(&s, 0, sizeof(s));
	if (*p == '\0')
		return false;
	for (;;) {
		e = strchr(p, ',');
		if ((i = sshalgo_index(k, p, e != NULL ? (size_t)(e - p) :
		    strlen(p))) == -1 || set_has(&s, i))
			return false;
		set_add(&s, i);
		if (e == NULL)
			return true;
		p = e + 1;
	}
}

bool
sshalgo_user_sig_ok(const char *name)
{
	const char *const	*p;

	for (p = user_sigs; *p != NULL; p++)
		if (strcmp(*p, name) == 0)
			return true;
	return false;
}
