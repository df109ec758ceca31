/*
 * ctlreq.c: reading one control request (see control.h). A pure
 * function of its input, so a fuzzer can hammer it: every field is
 * checked for presence, type and range, and anything unknown or left
 * over is refused, as for worker messages.
 */
#include <ctype.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include <jansson.h>

#include "ctl.h"
#include "escape.h"

#define JSON_INT_MAX	9007199254740992LL	/* 2^53 */

static const char *const cmd_names[] = {
	[CTL_UNKNOWN] = "unknown",
#define CTL_NAME(E, n, what)	[CTL_##E] = #n,
	CTL_COMMANDS(CTL_NAME)
#undef CTL_NAME
};

const char *
ctl_cmd_name(enum ctl_cmd c)
{
	return (size_t)c < sizeof(cmd_names) / sizeof(cmd_names[0]) ?
	    cmd_names[c] : "unknown";
}

/* A tenant's name: letters, digits, '_', '-', '.', from a letter or digit. */
static bool
name_ok(const char *s, size_t n)
{
	size_t	 i;

	if (n == 0 || n > 63 || !isalnum((unsigned char)s[0]))
		return false;
	for (i = 0; i < n; i++)
		if (!isalnum((unsigned char)s[i]) && s[i] != '_' &&
		    s[i] != '-' && s[i] != '.')
			return false;
	return true;
}

/* YYYY-MM-DD, as the recordings' day directories are named. */
static bool
date_ok(const char *s, size_t n)
{
	static const char	 shape[] = "dddd-dd-dd";
	size_t			 i;

	if (n != sizeof(shape) - 1)
		return false;
	for (i = 0; i < n; i++)
		if (shape[i] == 'd' ? !isdigit((unsigned char)s[i]) :
		    s[i] != '-')
			return false;
	return true;
}

/* recordings' "tenant" and "since", both optional; others have neither. */
static int
recordings_fields(json_t *root, struct ctl_request *req, char *err,
    size_t errlen)
{
	json_t	*t = json_object_get(root, "tenant");
	json_t	*s = json_object_get(root, "since");

	if (req->cmd != CTL_RECORDINGS) {
		if (req->cmd != CTL_UNKNOWN && (t != NULL || s != NULL)) {
			snprintf(err, errlen, "%s: unexpected field \"%s\"",
			    req->name, t != NULL ? "tenant" : "since");
			return -1;
		}
		return 0;
	}
	if (t != NULL && (!json_is_string(t) || !name_ok(json_string_value(t),
	    json_string_length(t)))) {
		snprintf(err, errlen, "recordings: \"tenant\" must be a "
		    "tenant's name");
		return -1;
	}
	if (s != NULL && (!json_is_string(s) || !date_ok(json_string_value(s),
	    json_string_length(s)))) {
		snprintf(err, errlen, "recordings: \"since\" must be a date, "
		    "YYYY-MM-DD");
		return -1;
	}
	if (t != NULL)
		snprintf(req->tenant, sizeof(req->tenant), "%s",
		    json_string_value(t));
	if (s != NULL)
		snprintf(req->since, sizeof(req->since), "%s",
		    json_string_value(s));
	return 0;
}

int
ctl_request_parse(const char *line, size_t len, struct ctl_request *req,
    char *err, size_t errlen)
{
	json_t		*root, *v, *cmd, *sess;
	json_error_t	 jerr;
	const char	*key, *name;
	size_t		 i, nlen;
	int		 rc = -1;

	memset(req, 0, sizeof(req[0]));
	if (memchr(line, '\0', len) != NULL) {
		snprintf(err, errlen, "a NUL byte in the request");
		return -1;
	}
	root = json_loadb(line, len, JSON_REJECT_DUPLICATES, &jerr);
	if (root == NULL) {
		char	 vis[256];

		escape_untrusted(vis, sizeof(vis), jerr.text,
		    strlen(jerr.text));
		snprintf(err, errlen, "not JSON: %s (column %d)", vis,
		    jerr.column);
		return -1;
	}
	if (!json_is_object(root)) {
		snprintf(err, errlen, "a request is a JSON object");
		goto out;
	}
	v = json_object_get(root, "v");
	if (!json_is_integer(v)) {
		snprintf(err, errlen, "\"v\" (the protocol version) is "
		    "missing or not an integer");
		goto out;
	}
	if (json_integer_value(v) != CTL_VERSION) {
		snprintf(err, errlen, "protocol version %lld is not "
		    "supported (this iridiumd speaks %d)",
		    (long long)json_integer_value(v), CTL_VERSION);
		goto out;
	}
	cmd = json_object_get(root, "command");
	if (!json_is_string(cmd)) {
		snprintf(err, errlen, "\"command\" is missing or not a "
		    "string");
		goto out;
	}
	name = json_string_value(cmd);
	nlen = json_string_length(cmd);
	escape_untrusted(req->name, sizeof(req->name), name, nlen);
	req->cmd = CTL_UNKNOWN;
	for (i = 1; i < sizeof(cmd_names) / sizeof(cmd_names[0]); i++)
		if (strlen(cmd_names[i]) == nlen &&
		    memcmp(cmd_names[i], name, nlen) == 0)
			req->cmd = (enum ctl_cmd)i;
	sess = json_object_get(root, "session");
	if (req->cmd == CTL_KILL) {
		if (!json_is_integer(sess) || json_integer_value(sess) < 1 ||
		    json_integer_value(sess) > JSON_INT_MAX) {
			snprintf(err, errlen, "kill: \"session\" must be a "
			    "session id (an integer from 1)");
			goto out;
		}
		req->session = json_integer_value(sess);
	} else if (sess != NULL && req->cmd != CTL_UNKNOWN) {
		snprintf(err, errlen, "%s: unexpected field \"session\"",
		    req->name);
		goto out;
	}
	if (recordings_fields(root, req, err, errlen) == -1)
		goto out;
	json_object_foreach(root, key, v) {
		if (strcmp(key, "v") != 0 && strcmp(key, "command") != 0 &&
		    strcmp(key, "session") != 0 && strcmp(key, "tenant") != 0 &&
		    strcmp(key, "since") != 0) {
			char	 vis[64];

			escape_untrusted(vis, sizeof(vis), key, strlen(key));
			snprintf(err, errlen, "unknown field \"%s\"", vis);
			goto out;
		}
	}
	rc = 0;
out:
	json_decref(root);
	return rc;
}
