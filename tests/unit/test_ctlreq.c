/*
 * test_ctlreq.c: reading control requests (proto/ctlreq.c): what a
 * well-formed request is, and that everything else is refused with a
 * printable reason.
 */
#include <criterion/criterion.h>

#include <string.h>

#include "control.h"

static int
parse(const char *line, struct ctl_request *r, char *err, size_t errlen)
{
	err[0] = '\0';
	return ctl_request_parse(line, strlen(line), r, err, errlen);
}

Test(ctlreq, the_commands)
{
	struct ctl_request r;
	char	 err[256];

	cr_assert_eq(parse("{\"v\":1,\"command\":\"status\"}", &r, err,
	    sizeof(err)), 0, "%s", err);
	cr_assert_eq(r.cmd, CTL_STATUS);
	cr_assert_eq(parse("{\"command\":\"sessions\",\"v\":1}", &r, err,
	    sizeof(err)), 0, "%s", err);
	cr_assert_eq(r.cmd, CTL_SESSIONS);
	cr_assert_eq(parse(" {\"v\":1,\"command\":\"reload\"} ", &r, err,
	    sizeof(err)), 0, "%s", err);
	cr_assert_eq(r.cmd, CTL_RELOAD);
	cr_assert_eq(parse("{\"v\":1,\"command\":\"kill\",\"session\":42}", &r,
	    err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(r.cmd, CTL_KILL);
	cr_assert_eq(r.session, 42);
	cr_assert_str_eq(ctl_cmd_name(CTL_KILL), "kill");
	cr_assert_eq(parse("{\"v\":1,\"command\":\"recordings\"}", &r, err,
	    sizeof(err)), 0, "%s", err);
	cr_assert_eq(r.cmd, CTL_RECORDINGS);
	cr_assert_str_eq(r.tenant, "");
	cr_assert_str_eq(r.since, "");
	cr_assert_eq(parse("{\"v\":1,\"command\":\"recordings\",\"tenant\":"
	    "\"dev-2.x\",\"since\":\"2026-12-01\"}", &r, err, sizeof(err)), 0,
	    "%s", err);
	cr_assert_str_eq(r.tenant, "dev-2.x");
	cr_assert_str_eq(r.since, "2026-12-01");
}

Test(ctlreq, an_unknown_command_is_well_formed)
{
	struct ctl_request r;
	char	 err[256];

	cr_assert_eq(parse("{\"v\":1,\"command\":\"reboot\"}", &r, err,
	    sizeof(err)), 0);
	cr_assert_eq(r.cmd, CTL_UNKNOWN);
	cr_assert_str_eq(r.name, "reboot");
	/* Its name comes back escaped. */
	cr_assert_eq(parse("{\"v\":1,\"command\":\"\\u001b[2J\"}", &r, err,
	    sizeof(err)), 0);
	cr_assert_str_eq(r.name, "\\033[2J");
}

static void
refused(const char *line, const char *want)
{
	struct ctl_request r;
	char	 err[256];
	const unsigned char *p;

	cr_assert_eq(ctl_request_parse(line, strlen(line), &r, err,
	    sizeof(err)), -1, "accepted: %s", line);
	cr_assert_not_null(strstr(err, want), "%s: %s", line, err);
	for (p = (const unsigned char *)err; *p != '\0'; p++)
		cr_assert(*p >= 0x20 && *p < 0x7f, "unprintable error");
}

Test(ctlreq, malformed_requests_are_refused)
{
	refused("", "not JSON");
	refused("status", "not JSON");
	refused("{\"v\":1,\"command\":\"status\"", "not JSON");
	refused("{\"v\":1,\"command\":\"status\"}{}", "not JSON");
	refused("[1]", "a request is a JSON object");
	refused("{\"command\":\"status\"}", "\"v\"");
	refused("{\"v\":\"1\",\"command\":\"status\"}", "\"v\"");
	refused("{\"v\":2,\"command\":\"status\"}", "protocol version 2 is "
	    "not supported");
	refused("{\"v\":1}", "\"command\" is missing");
	refused("{\"v\":1,\"command\":7}", "\"command\" is missing");
	refused("{\"v\":1,\"command\":\"kill\"}", "kill: \"session\" must be");
	refused("{\"v\":1,\"command\":\"kill\",\"session\":0}", "kill:");
	refused("{\"v\":1,\"command\":\"kill\",\"session\":\"3\"}", "kill:");
	refused("{\"v\":1,\"command\":\"status\",\"session\":3}",
	    "unexpected field \"session\"");
	refused("{\"v\":1,\"command\":\"status\",\"x\":1}",
	    "unknown field \"x\"");
	refused("{\"v\":1,\"v\":1,\"command\":\"status\"}", "not JSON");
	refused("{\"v\":1,\"command\":\"recordings\",\"tenant\":\"../x\"}",
	    "recordings: \"tenant\" must be a tenant's name");
	refused("{\"v\":1,\"command\":\"recordings\",\"tenant\":\"\"}",
	    "recordings: \"tenant\"");
	refused("{\"v\":1,\"command\":\"recordings\",\"tenant\":7}",
	    "recordings: \"tenant\"");
	refused("{\"v\":1,\"command\":\"recordings\",\"since\":\"2026-1-01\"}",
	    "recordings: \"since\" must be a date");
	refused("{\"v\":1,\"command\":\"recordings\",\"since\":\"20261201\"}",
	    "recordings: \"since\"");
	refused("{\"v\":1,\"command\":\"status\",\"tenant\":\"dev\"}",
	    "status: unexpected field \"tenant\"");
	refused("{\"v\":1,\"command\":\"status\",\"\\u001b\":1}",
	    "unknown field \"\\033\"");
}

Test(ctlreq, a_nul_byte_is_refused)
{
	struct ctl_request r;
	char	 err[256];
	static const char line[] = "{\"v\":1,\"command\":\"status\"}\0x";

	cr_assert_eq(ctl_request_parse(line, sizeof(line) - 1, &r, err,
	    sizeof(err)), -1);
	cr_assert_str_eq(err, "a NUL byte in the request");
}
