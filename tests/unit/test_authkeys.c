/*
 * test_authkeys.c: authorized_keys files as iridiumd reads them
 * (authkeys.h): keys, comments and line numbers; lookups by tenant, type
 * and blob; fingerprints as ssh-keygen prints them; every option that
 * could widen access refused; bad lines reported with file:line and the
 * rest of the file still taken; unsafe files refused whole.
 */
#include <criterion/criterion.h>

#include <sys/stat.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bsd/string.h>

#include "authkeys.h"
#include "buf.h"

static char		 dir[64];
static char		 pub[2][1024];	/* "ssh-ed25519 AAAA... comment" */
static char		 fpr[2][128];
static struct authkeys	 tab;
static struct buf	 warnings;

/* A fresh ed25519 key pair in dir; its .pub line and fingerprint. */
static void
keygen(int i)
{
	char	 cmd[512], path[256];
	FILE	*f;

	snprintf(path, sizeof(path), "%s/k%d", dir, i);
	snprintf(cmd, sizeof(cmd), "ssh-keygen -q -t ed25519 -N '' -C "
	    "'key %d comment' -f %s", i, path);
	cr_assert_eq(system(cmd), 0);
	strlcat(path, ".pub", sizeof(path));
	cr_assert_not_null(f = fopen(path, "r"));
	cr_assert_not_null(fgets(pub[i], sizeof(pub[i]), f));
	fclose(f);
	pub[i][strcspn(pub[i], "\n")] = '\0';
	snprintf(cmd, sizeof(cmd), "ssh-keygen -l -E sha256 -f %s", path);
	cr_assert_not_null(f = popen(cmd, "r"));
	cr_assert_eq(fscanf(f, "%*d %127s", fpr[i]), 1);
	pclose(f);
}

static void
setup(void)
{
	strcpy(dir, "/tmp/iridium-authkeys-XXXXXX");
	cr_assert_not_null(mkdtemp(dir));
	keygen(0);
	keygen(1);
	authkeys_init(&tab);
	buf_init(&warnings, 0);
}

static void
teardown(void)
{
	char	 cmd[128];

	authkeys_free(&tab);
	buf_free(&warnings);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	cr_assert_eq(system(cmd), 0);
}

TestSuite(authkeys, .init = setup, .fini = teardown, .timeout = 30);

static void
warn(void *arg, const char *file, unsigned line, const char *msg)
{
	(void)arg;
	buf_printf(&warnings, "%s:%u: %s\n", file, line, msg);
}

/* Write text to dir/name with mode; returns the path. */
static const char *
file(const char *name, const char *text, mode_t mode)
{
	static char	 path[256];
	FILE		*f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	cr_assert_not_null(f = fopen(path, "w"));
	fputs(text, f);
	fclose(f);
	cr_assert_eq(chmod(path, mode), 0);
	return path;
}

/* The base64 field of pub[i]. */
static const char *
b64(int i)
{
	static char	 s[2][1024];
	char		*p = strchr(pub[i], ' ') + 1;

	strlcpy(s[i], p, sizeof(s[i]));
	s[i][strcspn(s[i], " ")] = '\0';
	return s[i];
}

/* One line for tenant "t": 1 taken, 0 blank, -1 refused (err kept). */
static int
line(const char *text, char *err, size_t errlen)
{
	return authkeys_line(&tab, "t", "f", 1, text, err, errlen);
}

Test(authkeys, a_file_with_comments_blanks_and_two_keys)
{
	struct buf		 b;
	const struct authkey	*k;
	const char		*path;
	char			 err[512];

	buf_init(&b, 0);
	buf_printf(&b, "# the dev tenant\n\n   \n%s\n  %s\r\n", pub[0], pub[1]);
	path = file("ak", b.data, 0600);
	cr_assert_eq(authkeys_load(&tab, "dev", path, warn, NULL, err,
	    sizeof(err)), 2, "%s", err);
	cr_assert_null(warnings.data, "%s", warnings.data);
	cr_assert_not_null(k = authkeys_lookup(&tab, "dev", "ssh-ed25519",
	    b64(1)));
	cr_assert_str_eq(k->comment, "key 1 comment");
	cr_assert_str_eq(k->fingerprint, fpr[1]);
	cr_assert_str_eq(k->file, path);
	cr_assert_eq(k->line, 5);
	cr_assert_not_null(k = authkeys_lookup(&tab, "dev", "ssh-ed25519",
	    b64(0)));
	cr_assert_eq(k->line, 4);
	buf_free(&b);
}

Test(authkeys, lookup_needs_tenant_type_and_key_to_match)
{
	char	 err[512], fp[128];

	cr_assert_eq(line(pub[0], err, sizeof(err)), 1, "%s", err);
	cr_assert_not_null(authkeys_lookup(&tab, "t", "ssh-ed25519", b64(0)));
	cr_assert_null(authkeys_lookup(&tab, "other", "ssh-ed25519", b64(0)));
	cr_assert_null(authkeys_lookup(&tab, "t", "ssh-ed25519", b64(1)));
	cr_assert_null(authkeys_lookup(&tab, "t", "ecdsa-sha2-nistp256",
	    b64(0)));
	cr_assert_null(authkeys_lookup(&tab, "t", "ssh-ed25519", "!!!!"));
	cr_assert_null(authkeys_lookup(&tab, "t", "ssh-ed25519", ""));
	cr_assert_eq(authkeys_fingerprint(b64(1), fp, sizeof(fp)), 0);
	cr_assert_str_eq(fp, fpr[1]);
	cr_assert_eq(authkeys_fingerprint("AAA=x", fp, sizeof(fp)), -1);
}

Test(authkeys, harmless_options_are_taken)
{
	char	 text[1200], err[512];

	snprintf(text, sizeof(text), "no-port-forwarding,no-agent-forwarding,"
	    "NO-X11-FORWARDING,no-user-rc %s", pub[0]);
	cr_assert_eq(line(text, err, sizeof(err)), 1, "%s", err);
	cr_assert_not_null(authkeys_lookup(&tab, "t", "ssh-ed25519", b64(0)));
}

/* Each option that would restrict a login we cannot restrict. */
Test(authkeys, options_we_cannot_enforce_refuse_the_key)
{
	static const char *const opts[] = {
		"command=\"echo hi, there\"", "from=\"10.0.0.1,10.0.0.2\"",
		"restrict", "no-pty", "expiry-time=\"20300101\"",
		"environment=\"A=b\"", "permitopen=\"h:1\"", "cert-authority",
		"principals=\"a\"", "tunnel=\"1\"", "pty", "bogus-option",
	};
	char	 text[1400], err[512], name[64];
	size_t	 i;

	for (i = 0; i < sizeof(opts) / sizeof(opts[0]); i++) {
		snprintf(text, sizeof(text), "%s %s", opts[i], pub[0]);
		cr_assert_eq(line(text, err, sizeof(err)), -1, "%s", opts[i]);
		strlcpy(name, opts[i], sizeof(name));
		name[strcspn(name, "=")] = '\0';
		cr_assert_not_null(strstr(err, name), "%s: %s", opts[i], err);
		cr_assert_not_null(strstr(err, "not taken"), "%s", err);
	}
	cr_assert_eq(tab.n, 0);
}

Test(authkeys, bad_lines_are_reported_with_file_and_line)
{
	struct buf	 b;
	const char	*path;
	char		 err[512], want[512], *ed, *blob;
	size_t		 i;

	/* ed25519 key data labelled as RSA; truncated key data. */
	ed = strdup(b64(0));
	blob = strdup(b64(0));
	blob[20] = '\0';
	buf_init(&b, 0);
	buf_printf(&b, "%s\n", pub[0]);				/* 1 */
	buf_printf(&b, "ssh-rsa %s wrong\n", ed);		/* 2 */
	buf_printf(&b, "ssh-ed25519 %s short\n", blob);		/* 3 */
	buf_printf(&b, "ssh-ed25519 not*base64\n");		/* 4 */
	buf_printf(&b, "ssh-dss AAAAB3NzaC1kc3M= old\n");	/* 5 */
	buf_printf(&b, "ssh-ed25519-cert-v01@openssh.com AAAA c\n"); /* 6 */
	buf_printf(&b, "ssh-foo AAAA\n");			/* 7 */
	buf_printf(&b, "%s\n", pub[0]);				/* 8 */
	buf_printf(&b, "ssh-ed25519\n");			/* 9 */
	buf_printf(&b, "from=\"unterminated %s\n", pub[0]);	/* 10 */
	buf_printf(&b, "%s\n", pub[1]);				/* 11 */
	path = file("ak", b.data, 0644);
	cr_assert_eq(authkeys_load(&tab, "dev", path, warn, NULL, err,
	    sizeof(err)), 2, "%s", err);
	static const char *const msgs[] = {
		":2: the key data is not a ssh-rsa key",
		":3: ", ":4: key data is not valid base64",
		":5: DSA (ssh-dss) keys are not accepted",
		":6: certificates", ":7: ",
		":8: the same key as ", ":9: no key data after ssh-ed25519",
		":10: ",
	};
	for (i = 0; i < sizeof(msgs) / sizeof(msgs[0]); i++) {
		snprintf(want, sizeof(want), "%s%s", path, msgs[i]);
		cr_assert_not_null(strstr(warnings.data, want), "no \"%s\" in:"
		    "\n%s", want, warnings.data);
	}
	cr_assert_null(strstr(warnings.data, ":1:"));
	cr_assert_null(strstr(warnings.data, ":11:"));
	cr_assert_not_null(authkeys_lookup(&tab, "dev", "ssh-ed25519",
	    b64(1)));
	free(ed);
	free(blob);
	buf_free(&b);
}

Test(authkeys, unsafe_or_missing_files_are_refused_whole)
{
	const char	*path;
	char		 err[512], missing[300];

	path = file("ak", pub[0], 0666);
	cr_assert_eq(authkeys_load(&tab, "dev", path, warn, NULL, err,
	    sizeof(err)), -1);
	cr_assert_not_null(strstr(err, "writable by group or others"), "%s",
	    err);
	snprintf(missing, sizeof(missing), "%s/none", dir);
	cr_assert_eq(authkeys_load(&tab, "dev", missing, warn, NULL, err,
	    sizeof(err)), -1);
	cr_assert_not_null(strstr(err, "No such file"), "%s", err);
	cr_assert_eq(tab.n, 0);
}

Test(authkeys, a_line_too_long_is_refused)
{
	char	*text, err[512];

	text = malloc(AUTHKEYS_LINE_MAX + 100);
	snprintf(text, AUTHKEYS_LINE_MAX + 100, "%s ", pub[0]);
	memset(text + strlen(text), 'x', AUTHKEYS_LINE_MAX);
	text[AUTHKEYS_LINE_MAX + 50] = '\0';
	cr_assert_eq(line(text, err, sizeof(err)), -1);
	cr_assert_not_null(strstr(err, "line too long"), "%s", err);
	free(text);
}

Test(authkeys, rsa_keys_need_2048_bits)
{
	char	 cmd[512], path[256], text[4096], err[512];
	FILE	*f;

	snprintf(path, sizeof(path), "%s/rsa", dir);
	snprintf(cmd, sizeof(cmd), "ssh-keygen -q -t rsa -b 1024 -N '' -f %s "
	    "2>/dev/null", path);
	if (system(cmd) != 0)
		cr_skip_test("ssh-keygen makes no 1024-bit RSA keys here");
	strlcat(path, ".pub", sizeof(path));
	cr_assert_not_null(f = fopen(path, "r"));
	cr_assert_not_null(fgets(text, sizeof(text), f));
	fclose(f);
	cr_assert_eq(line(text, err, sizeof(err)), -1);
	cr_assert_not_null(strstr(err, "1024 bits: at least 2048"), "%s", err);
	text[strcspn(text, "\n")] = '\0';
	*strrchr(text, ' ') = '\0';	/* the comment */
	cr_assert_eq(authkeys_rsa_bits(strchr(text, ' ') + 1), 1024);
	cr_assert_eq(authkeys_rsa_bits(b64(0)), -1);
}

/* A file may hold any byte; an error quoting it is logged: escaped. */
Test(authkeys, errors_quote_the_line_escaped)
{
	struct authkeys	 k;
	char		 err[512];

	authkeys_init(&k);
	/* Found by tests/fuzz/fuzz_authkeys.c: raw bytes in the error. */
	cr_assert_eq(authkeys_line(&k, "acme", "keys", 1, "\xff\xff\x1b", err,
	    sizeof(err)), -1);
	cr_assert_str_eq(err, "bad options field near \"\\377\\377\\033\"");
	cr_assert_eq(authkeys_line(&k, "acme", "keys", 2, "no-user-rc "
	    "\x1b[2J AAAA", err, sizeof(err)), -1);
	cr_assert_str_eq(err, "unknown key type \"\\033[2J\"");
	cr_assert_eq(authkeys_line(&k, "acme", "keys", 3, "\x1b" "AAA-cert-"
	    "v01@openssh.com AAAA", err, sizeof(err)), -1);
	cr_assert_str_eq(err, "certificates (\\033AAA-cert-v01@openssh.com) "
	    "are not supported");
	authkeys_free(&k);
}
