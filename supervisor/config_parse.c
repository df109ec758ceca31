/*
 * config_parse.c: the config file, read with libinih (Debian's build).
 *
 * inih is fed through ini_parse_stream() with a reader of our own that
 * hands it one line at a time, so every one of its traps is caught before
 * it can bite, with a message naming the file and line:
 *
 * - Debian builds it with a 200-byte line buffer on the stack; a longer
 *   line is cut and its tail parsed as the next line (with the wrong
 *   line number). We measure each line against the size inih asks for
 *   and refuse a longer one.
 * - Multi-line values are on: any indented line after a key continues
 *   that key's value, even "  port = 5" or "  [listener b]". We allow
 *   that for list keys only (proxy_trusted) and call it an error
 *   elsewhere.
 * - Inline comments are on, but only ";" after whitespace: "x ; note".
 *   A " #" inside a value is refused (it would be part of the value).
 * - "[section] junk" ignores the junk; "key: value" is a second
 *   separator; section names are cut at 49 bytes; errors are reported as
 *   a line number only, and only the first. We classify every line
 *   ourselves, refuse what inih would misread, and hand it a comment in
 *   its place so its state and ours never part.
 * - A UTF-8 byte order mark on the first line is skipped (as inih does).
 *
 * inih still does the splitting into section, key and value; the handler
 * finds the key in the table (config_keys.c) and stores the value.
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bsd/string.h>

#include <ini.h>

#include "config.h"

enum line_kind {
	LK_BLANK,	/* empty, or a comment */
	LK_SECTION,
	LK_KEY,
	LK_CONT,	/* an indented line continuing the previous key */
	LK_BAD,		/* refused; inih gets a comment instead */
};

enum sect_kind {
	SK_NONE,	/* before any section, or after a bad one */
	SK_DAEMON,
	SK_POOL,
	SK_LIMITS,
	SK_LISTENER,
	SK_TENANT,
};

struct parse {
	struct config		*c;
	struct cfg_errors	*e;
	const char		*file;
	const char		*buf;
	size_t			 len, pos;
	uint32_t		 lineno;
	enum line_kind		 kind;
	/* inih's view: whether the last key line set its prev_name */
	bool			 prev_key;
	/* the current section */
	enum sect_kind		 sect;
	bool			 sect_bad;	/* errors said: skip its keys */
	char			 sect_label[128];
	uint32_t		*keyline;	/* of the current section */
	/* where each key was first seen, valid or not, per section */
	uint32_t		(*seen)[CK_NKEYS];
	uint32_t		*seen_row;
	struct listener_cfg	*l;
	struct tenant_cfg	*t;
	/* the previous key, for continuation lines */
	int			 last_key;	/* -1: none, or unknown */
	bool			 last_ok;
	/* where each singleton section began */
	uint32_t		 seen_daemon, seen_pool, seen_limits;
};

#define ERR(p, ...)	cfg_error((p)->e, (p)->file, (p)->lineno, __VA_ARGS__)

static bool
is_space(char ch)
{
	return ch == ' ' || ch == '\t';
}

/*
 * inih's find_chars_or_comment: the first of chars, or of an inline
 * comment (";" after whitespace), or the end.
 */
static const char *
find_or_comment(const char *s, const char *end, const char *chars)
{
	bool	 was_space = false;

	for (; s < end; s++) {
		if (chars != NULL && strchr(chars, *s) != NULL)
			return s;
		if (was_space && *s == ';')
			return s;
		was_space = is_space(*s) || *s == '\r';
	}
	return end;
}

/* --- sections ------------------------------------------------------------ */

static void
start_section(struct parse *p, const char *name, size_t len)
{
	char	 sect[96], *arg;
	size_t	 i;

	p->sect = SK_NONE;
	p->sect_bad = true;
	p->l = NULL;
	p->t = NULL;
	p->keyline = NULL;
	p->last_key = -1;
	while (len > 0 && is_space(*name)) {
		name++;
		len--;
	}
	while (len > 0 && is_space(name[len - 1]))
		len--;
	if (len >= sizeof(sect)) {
		ERR(p, "section name too long: [%.40s...]", name);
		return;
	}
	memcpy(sect, name, len);
	sect[len] = '\0';
	arg = sect + strcspn(sect, " \t");
	if (*arg != '\0') {
		*arg++ = '\0';
		while (is_space(*arg))
			arg++;
	}
	snprintf(p->sect_label, sizeof(p->sect_label), "[%.40s%s%.64s]", sect,
	    *arg != '\0' ? " " : "", arg);

	if (strcmp(sect, "daemon") == 0 || strcmp(sect, "pool") == 0 ||
	    strcmp(sect, "limits") == 0) {
		uint32_t *seen = sect[0] == 'd' ? &p->seen_daemon :
		    sect[0] == 'p' ? &p->seen_pool : &p->seen_limits;

		if (*arg != '\0') {
			ERR(p, "[%s] takes no name (found \"%s\")", sect, arg);
			return;
		}
		if (*seen != 0) {
			ERR(p, "duplicate section [%s] (first at line %u)",
			    sect, *seen);
			return;
		}
		*seen = p->lineno;
		p->sect = sect[0] == 'd' ? SK_DAEMON : sect[0] == 'p' ?
		    SK_POOL : SK_LIMITS;
		p->keyline = p->c->keyline;
		p->seen_row = p->seen[0];
		p->sect_bad = false;
		return;
	}
	if (strcmp(sect, "listener") == 0 || strcmp(sect, "tenant") == 0) {
		bool	 lst = sect[0] == 'l';

		if (*arg == '\0') {
			ERR(p, "[%s] needs a name: [%s NAME]", sect, sect);
			return;
		}
		if (strlen(arg) > MSG_NAME_MAX || !config_name_ok(arg)) {
			ERR(p, "[%s %s]: not a valid name (letters, digits, "
			    "'_', '-', '.'; at most %d bytes)", sect, arg,
			    MSG_NAME_MAX);
			return;
		}
		if (lst) {
			for (i = 0; i < p->c->nlisteners; i++) {
				if (strcmp(p->c->listeners[i].name, arg) == 0) {
					ERR(p, "duplicate listener %s (first at "
					    "line %u)", arg,
					    p->c->listeners[i].line);
					return;
				}
			}
			if (p->c->nlisteners == CONFIG_MAX_LISTENERS) {
				ERR(p, "too many listeners (at most %d)",
				    CONFIG_MAX_LISTENERS);
				return;
			}
			p->l = &p->c->listeners[p->c->nlisteners++];
			config_listener_defaults(p->l, arg);
			p->l->line = p->lineno;
			p->keyline = p->l->keyline;
			p->seen_row = p->seen[p->c->nlisteners];
			p->sect = SK_LISTENER;
		} else {
			for (i = 0; i < p->c->ntenants; i++) {
				if (strcmp(p->c->tenants[i].name, arg) == 0) {
					ERR(p, "duplicate tenant %s (first at "
					    "line %u)", arg,
					    p->c->tenants[i].line);
					return;
				}
			}
			if (p->c->ntenants == CONFIG_MAX_TENANTS) {
				ERR(p, "too many tenants (at most %d)",
				    CONFIG_MAX_TENANTS);
				return;
			}
			p->t = &p->c->tenants[p->c->ntenants++];
			config_tenant_defaults(p->t, arg);
			p->t->line = p->lineno;
			p->keyline = p->t->keyline;
			p->seen_row = p->seen[1 + CONFIG_MAX_LISTENERS +
			    p->c->ntenants - 1];
			p->sect = SK_TENANT;
		}
		p->sect_bad = false;
		return;
	}
	ERR(p, "unknown section %s (sections are [daemon], [pool], [limits], "
	    "[listener NAME] and [tenant NAME])", p->sect_label);
}

/* --- classifying a line, as inih will see it ----------------------------- */

static enum line_kind
classify(struct parse *p, const char *s, size_t len)
{
	const char	*start = s, *end = s + len, *q, *r;

	while (start < end && is_space(*start))
		start++;
	while (end > start && (is_space(end[-1]) || end[-1] == '\r'))
		end--;
	if (start == end || *start == ';' || *start == '#')
		return LK_BLANK;
	if (p->prev_key && start > s)
		return LK_CONT;
	if (*start == '[') {
		q = find_or_comment(start + 1, end, "]");
		if (q == end || *q != ']') {
			ERR(p, "a section header needs a closing \"]\"");
			return LK_BAD;
		}
		/* After "]" only a comment: inih would drop the rest. */
		r = q + 1;
		while (r < end && is_space(*r))
			r++;
		if (r != end && !(*r == ';' && r > q + 1)) {
			ERR(p, "text after the section header: \"%.*s\"",
			    (int)(end - r > 40 ? 40 : end - r), r);
			return LK_BAD;
		}
		start_section(p, start + 1, (size_t)(q - start - 1));
		p->prev_key = false;
		return LK_SECTION;
	}
	q = find_or_comment(start, end, "=:");
	if (q == end || *q == ';') {
		ERR(p, "expected KEY = VALUE, a [section] or a comment, found "
		    "\"%.*s\"", (int)(end - start > 40 ? 40 : end - start),
		    start);
		return LK_BAD;
	}
	if (q == start) {
		ERR(p, "a key name is missing before \"=\"");
		return LK_BAD;
	}
	if (*q == ':') {
		ERR(p, "write KEY = VALUE (\":\" is not a separator here)");
		return LK_BAD;
	}
	p->prev_key = true;
	return LK_KEY;
}

/*
 * inih's reader: one line of the buffer into str, of at most num - 1
 * bytes with its newline. A line we refuse becomes a comment.
 */
static char *
reader(char *str, int num, void *arg)
{
	struct parse	*p = arg;
	const char	*s, *nl;
	size_t		 len, i, skip = 0;
	bool		 bad = false;

	if (p->pos >= p->len || num < 3)
		return NULL;
	s = p->buf + p->pos;
	nl = memchr(s, '\n', p->len - p->pos);
	len = nl != NULL ? (size_t)(nl - s) : p->len - p->pos;
	p->pos += len + (nl != NULL ? 1 : 0);
	p->lineno++;
	if (p->lineno == 1 && len >= 3 && memcmp(s, "\xef\xbb\xbf", 3) == 0)
		skip = 3;	/* the UTF-8 byte order mark */
	s += skip;
	len -= skip;
	/* Room for the line, its newline and the NUL inih needs. */
	if (len + 2 > (size_t)num) {
		ERR(p, "line too long: %zu bytes (libinih reads lines of at "
		    "most %d bytes)", len, num - 2);
		bad = true;
	}
	for (i = 0; !bad && i < len; i++) {
		if (s[i] == '\0' || ((unsigned char)s[i] < 0x20 &&
		    s[i] != '\t' && !(s[i] == '\r' && i == len - 1))) {
			ERR(p, "control character 0x%02x in column %zu",
			    (unsigned char)s[i], i + 1);
			bad = true;
		}
	}
	p->kind = bad ? LK_BAD : classify(p, s, len);
	if (p->kind == LK_BAD) {
		strlcpy(str, ";\n", (size_t)num);
		return str;
	}
	memcpy(str, s, len);
	str[len] = '\n';
	str[len + 1] = '\0';
	return str;
}

/* --- keys ---------------------------------------------------------------- */

static int
section_key(struct parse *p, const char *name)
{
	int	 id = -1;

	switch (p->sect) {
	case SK_DAEMON:
		id = config_key_find(CG_DAEMON, name);
		break;
	case SK_POOL:
		id = config_key_find(CG_POOL, name);
		break;
	case SK_LIMITS:
		if ((id = config_key_find(CG_LIMITS, name)) == -1)
			id = config_key_find(CG_SUP, name);
		break;
	case SK_LISTENER:
		if ((id = config_key_find(CG_LISTENER, name)) == -1)
			id = config_key_find(CG_POOL, name);
		break;
	case SK_TENANT:
		if ((id = config_key_find(CG_TENANT, name)) == -1 &&
		    (id = config_key_find(CG_LIMITS, name)) == -1)
			id = config_key_find(CG_SUP, name);
		break;
	case SK_NONE:
		break;
	}
	return id;
}

static void
set_key(struct parse *p, const char *name, const char *value, bool cont)
{
	const struct cfg_key	*k;
	char			 err[256], contbuf[256];
	const char		*h;
	int			 id;

	if (cont) {
		if (p->last_key == -1 || !p->last_ok)
			return;		/* its key was refused already */
		k = &config_keys[p->last_key];
		if ((k->flags & CK_LIST) == 0) {
			ERR(p, "%s %s: indented line \"%.40s\" would continue "
			    "the value of %s (inih's continuation lines; only "
			    "list keys continue): remove the indentation",
			    p->sect_label, k->name, value, k->name);
			return;
		}
		id = p->last_key;
	} else {
		p->last_key = -1;
		p->last_ok = false;
		if (p->sect == SK_NONE) {
			if (!p->sect_bad)
				ERR(p, "%s: a key before any [section]", name);
			return;
		}
		if ((id = section_key(p, name)) == -1) {
			ERR(p, "%s %s: unknown key", p->sect_label, name);
			return;
		}
		k = &config_keys[id];
		p->last_key = id;
		if (p->sect == SK_TENANT && (k->flags & CK_SERVER) != 0) {
			ERR(p, "%s %s: only [limits] sets it (it is "
			    "server-wide, not a tenant's)", p->sect_label, name);
			return;
		}
		if (p->seen_row[id] != 0) {
			ERR(p, "%s %s: duplicate key (first set at line %u)",
			    p->sect_label, name, p->seen_row[id]);
			return;
		}
		p->seen_row[id] = p->lineno;
	}
	/*
	 * Debian's inih 55 keeps an inline comment on a continuation
	 * line as part of the value: cut it as on any other line.
	 */
	if (cont) {
		const char	*end = value + strlen(value);
		const char	*cut = find_or_comment(value, end, NULL);

		while (cut > value && is_space(cut[-1]))
			cut--;
		if (cut != end) {
			if ((size_t)(cut - value) >= sizeof(contbuf)) {
				ERR(p, "%s %s: continuation line too long",
				    p->sect_label, k->name);
				return;
			}
			memcpy(contbuf, value, (size_t)(cut - value));
			contbuf[cut - value] = '\0';
			value = contbuf;
		}
	}
	/* A "#" comment is a comment only at the start of a line. */
	for (h = value; (h = strchr(h, '#')) != NULL; h++) {
		if (h > value && is_space(h[-1])) {
			ERR(p, "%s %s: \"#\" starts a comment only at the start "
			    "of a line; use \" ; \" after a value", p->sect_label,
			    k->name);
			return;
		}
	}
	if (config_value_set(id, config_key_field(p->c, p->l, p->t, id),
	    value, cont, err, sizeof(err)) == -1) {
		ERR(p, "%s %s: %s", p->sect_label, k->name, err);
		/* Said once: not "missing" as well. */
		if (id == CK_LISTENER_transport)
			p->keyline[id] = p->lineno;
		return;
	}
	/* Only a valid value counts as set: a bad one leaves the default. */
	if (!cont)
		p->keyline[id] = p->lineno;
	p->last_ok = true;
}

static int
handler(void *arg, const char *section, const char *name, const char *value)
{
	struct parse	*p = arg;

	(void)section;	/* ours is right even where inih cuts it */
	if (p->kind == LK_KEY)
		set_key(p, name, value, false);
	else if (p->kind == LK_CONT)
		set_key(p, name, value, true);
	return 1;
}

void
config_parse_buf(struct config *c, const char *name, const char *buf,
    size_t len, struct cfg_errors *e)
{
	struct parse	 p;
	unsigned	 before = e->nerrors;
	int		 rc;

	memset(&p, 0, sizeof(p));
	p.c = c;
	p.e = e;
	p.file = name;
	p.buf = buf;
	p.len = len;
	p.last_key = -1;
	strlcpy(c->path, name, sizeof(c->path));
	p.seen = calloc(1 + CONFIG_MAX_LISTENERS + CONFIG_MAX_TENANTS,
	    sizeof(*p.seen));
	if (p.seen == NULL) {
		cfg_error(e, name, 0, "out of memory");
		return;
	}
	rc = ini_parse_stream(reader, &p, handler, &p);
	free(p.seen);
	/* Our classification should have caught whatever inih refused. */
	if (rc > 0 && e->nerrors == before)
		cfg_error(e, name, (uint32_t)rc, "syntax error");
	else if (rc < 0)
		cfg_error(e, name, 0, "libinih failed (%d)", rc);
}

void
config_parse_file(struct config *c, const char *path, struct cfg_errors *e)
{
	struct stat	 st;
	char		*buf;
	ssize_t		 n;
	size_t		 got = 0;
	int		 fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY)) == -1) {
		cfg_error(e, path, 0, "%s", strerror(errno));
		return;
	}
	if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode)) {
		cfg_error(e, path, 0, "not a regular file");
		close(fd);
		return;
	}
	if (st.st_size > CONFIG_FILE_MAX) {
		cfg_error(e, path, 0, "larger than %d bytes", CONFIG_FILE_MAX);
		close(fd);
		return;
	}
	if ((buf = malloc((size_t)st.st_size + 1)) == NULL) {
		cfg_error(e, path, 0, "out of memory");
		close(fd);
		return;
	}
	while (got < (size_t)st.st_size) {
		n = read(fd, buf + got, (size_t)st.st_size - got);
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		got += (size_t)n;
	}
	close(fd);
	if (got != (size_t)st.st_size) {
		cfg_error(e, path, 0, "short read");
		free(buf);
		return;
	}
	config_parse_buf(c, path, buf, got, e);
	free(buf);
}
