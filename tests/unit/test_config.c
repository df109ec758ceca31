/*
 * test_config.c: the configuration: every key of the table, the INI file
 * as Debian's libinih reads it (and each of its traps), flags over the
 * file, merging, the checks across keys, and the generated documents.
 */
#include <criterion/criterion.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cfgfix.h"
#include "config.h"
#include "hostkey.h"
#include "sshalgo.h"

TestSuite(config, .init = cfgfix_setup, .fini = cfgfix_teardown);

Test(config, every_default_in_the_table_is_valid_and_round_trips)
{
	char	 err[256], v[512], field[4096];
	int	 i;

	for (i = 0; i < CK_NKEYS; i++) {
		memset(field, 0, sizeof(field));
		cr_assert_eq(config_value_set(i, field, config_keys[i].def,
		    false, err, sizeof(err)), 0, "%s: default \"%s\": %s",
		    config_keys[i].name, config_keys[i].def, err);
		config_value_format(i, field, v, sizeof(v));
		if (config_keys[i].type != CT_LOGLEVEL)
			cr_assert_str_eq(v, config_keys[i].def, "%s",
			    config_keys[i].name);
		cr_assert(config_keys[i].doc != NULL &&
		    config_keys[i].doc[0] != '\0');
	}
}

Test(config, defaults_without_a_file)
{
	cr_assert_eq(build(""), 0, "%s", errors());
	cr_assert_eq(c->nlisteners, 1);
	cr_assert_str_eq(c->listeners[0].name, "line");
	cr_assert_str_eq(c->listeners[0].transport, "line");
	cr_assert_str_eq(c->listeners[0].bind, "127.0.0.1");
	cr_assert_eq(c->listeners[0].port, 2244);
	cr_assert_str_eq(c->listeners[0].tenant, "anonymous");
	cr_assert_eq(c->listeners[0].pool.min_spare, 2);
	cr_assert_eq(c->pool.max_workers, 64);
	cr_assert_eq(c->limits.budget, 10000000);
	cr_assert_str_eq(c->run_dir, "/run/iridium");
	cr_assert_str_eq(c->control, "/run/iridium/control.sock");
	cr_assert_eq(c->log_level, 6);
}

Test(config, a_full_file)
{
	static const char text[] =
	    "\xef\xbb\xbf; a byte order mark first, then a comment\r\n"
	    "# another comment\n"
	    "[daemon]\n"
	    "user = iri\n"
	    "run_dir = /tmp/x\n"
	    "admin_group = wheel ; inline comment\n"
	    "log_level = debug\n"
	    "sandbox_debug = On\n"
	    "\n"
	    "[listener one]\n"
	    "transport = line\n"
	    "port = 0\n"
	    "max_workers = 3\n"
	    "tenant = staff\n"
	    "proxy_trusted = 10.0.0.0/8, 192.168.1.7\n"
	    "   ::1/128\n"
	    "[listener two]\n"
	    "transport=line\n"
	    "bind = ::1\n"
	    "[pool]\n"
	    "max_workers = 9\n"
	    "min_spare = 1\n"
	    "[limits]\n"
	    "budget = 1000\n"
	    "[tenant staff]\n"
	    "budget = 5000\n"
	    "authorized_keys = /etc/iridium/staff.keys\n";

	cr_assert_eq(build(text), 0, "%s", errors());
	cr_assert_str_eq(c->user, "iri");
	cr_assert_str_eq(c->control, "/tmp/x/control.sock");
	cr_assert_str_eq(c->admin_group, "wheel");
	cr_assert_eq(c->log_level, 7);
	cr_assert(c->sandbox_debug);
	cr_assert_eq(c->nlisteners, 2);
	/* [pool] came after the listeners, and still is their default. */
	cr_assert_eq(c->listeners[0].pool.max_workers, 3);
	cr_assert_eq(c->listeners[0].pool.min_spare, 1);
	cr_assert_eq(c->listeners[1].pool.max_workers, 9);
	cr_assert_eq(c->listeners[0].port, 0);
	cr_assert_eq(c->listeners[1].port, 2244);
	cr_assert_eq(c->listeners[0].proxy_trusted.n, 3);
	cr_assert_eq(c->listeners[0].proxy_trusted.v[0].bits, 8);
	cr_assert_eq(c->listeners[0].proxy_trusted.v[1].bits, 32);
	cr_assert_eq(c->listeners[0].proxy_trusted.v[2].bits, 128);
	cr_assert_eq(c->limits.budget, 1000);
	cr_assert_eq(config_tenant_limits(c, "staff")->budget, 5000);
	cr_assert_eq(config_tenant_limits(c, "staff")->heap, 1048576);
	cr_assert_eq(config_tenant_limits(c, "anonymous")->budget, 1000);
	cr_assert_str_eq(c->tenants[0].authorized_keys,
	    "/etc/iridium/staff.keys");
	cr_assert_eq(c->listeners[0].line, 10);
	cr_assert_eq(c->listeners[0].keyline[CK_POOL_max_workers], 13);
}

Test(config, unknown_section)
{
	one_error("[daemons]\nuser = x\n", "t.conf:1: unknown section "
	    "[daemons] (sections are [daemon], [pool], [limits], "
	    "[listener NAME] and [tenant NAME])");
}

Test(config, unknown_key)
{
	one_error("[daemon]\nusr = x\n", "t.conf:2: [daemon] usr: unknown "
	    "key");
	one_error("[pool]\ntransport = line\n", "t.conf:2: [pool] transport: "
	    "unknown key");
}

Test(config, bad_values)
{
	one_error("[listener line]\ntransport = line\nport = 70000\n",
	    "t.conf:3: [listener line] port: \"70000\" out of range "
	    "(0..65535)");
	one_error("[pool]\nmin_spare = lots\n", "t.conf:2: [pool] min_spare: "
	    "\"lots\" is not a number");
	one_error("[pool]\nmin_spare = -1\n", "t.conf:2: [pool] min_spare: "
	    "\"-1\" is not a number");
	one_error("[daemon]\nsandbox_debug = maybe\n", "t.conf:2: [daemon] "
	    "sandbox_debug: \"maybe\" is not a boolean (yes/no, true/false, "
	    "on/off, 1/0)");
	one_error("[limits]\nbudget = 0\n", "t.conf:2: [limits] budget: "
	    "\"0\" out of range (1..1000000000000)");
	one_error("[limits]\nbudget = 99999999999999999999999\n",
	    "t.conf:2: [limits] budget: \"99999999999999999999999\" out of "
	    "range (1..1000000000000)");
	one_error("[daemon]\nrun_dir = run\n", "t.conf:2: [daemon] run_dir: "
	    "\"run\" is not an absolute path");
	one_error("[daemon]\nrun_dir = \"/run\"\n", "t.conf:2: [daemon] "
	    "run_dir: \"\"/run\"\" is not an absolute path");
	one_error("[daemon]\nworker_path = /a/\"b\"\n", "t.conf:2: [daemon] "
	    "worker_path: \"/a/\"b\"\": quotes are not removed; write the "
	    "path without them");
	one_error("[daemon]\nuser =\n", "t.conf:2: [daemon] user: empty "
	    "value");
	one_error("[daemon]\nuser = a b\n", "t.conf:2: [daemon] user: \"a b\" "
	    "is not a name (letters, digits, '_', '-', '.'; starting with a "
	    "letter or digit)");
	one_error("[daemon]\nlog_level = loud\n", "t.conf:2: [daemon] "
	    "log_level: \"loud\" is not a log level (err, warning, notice, "
	    "info, debug)");
	one_error("[listener x]\ntransport = telnet\n", "t.conf:2: [listener "
	    "x] transport: \"telnet\" is not a transport (line or ssh)");
	one_error("[listener x]\ntransport = line\nbind = example.org\n",
	    "t.conf:3: [listener x] bind: \"example.org\" is not a numeric "
	    "IPv4 or IPv6 address (or localhost)");
}

Test(config, booleans)
{
	static const char *const yes[] = { "yes", "true", "on", "1", "YES" };
	static const char *const no[] = { "no", "false", "off", "0", "Off" };
	char	 text[128];
	size_t	 i;

	for (i = 0; i < 5; i++) {
		snprintf(text, sizeof(text), "[daemon]\nsandbox_debug = %s\n",
		    yes[i]);
		cr_assert_eq(build(text), 0, "%s", errors());
		cr_assert(c->sandbox_debug, "%s", yes[i]);
		snprintf(text, sizeof(text), "[daemon]\nsandbox_debug = %s\n",
		    no[i]);
		cr_assert_eq(build(text), 0, "%s", errors());
		cr_assert(!c->sandbox_debug, "%s", no[i]);
	}
}

Test(config, duplicates)
{
	one_error("[daemon]\nuser = a\nuser = b\n", "t.conf:3: [daemon] user: "
	    "duplicate key (first set at line 2)");
	one_error("[listener a]\ntransport = line\nport = 0\n"
	    "[listener a]\ntransport = line\n", "t.conf:4: duplicate "
	    "listener a (first at line 1)");
	one_error("[daemon]\n[pool]\n[daemon]\n", "t.conf:3: duplicate "
	    "section [daemon] (first at line 1)");
	one_error("[tenant t]\n[tenant t]\n", "t.conf:2: duplicate tenant t "
	    "(first at line 1)");
}

Test(config, a_listener_needs_a_transport)
{
	one_error("[listener web]\nport = 2245\n", "t.conf:1: [listener web] "
	    "transport: missing (transport = line or transport = ssh)");
}

Test(config, a_non_loopback_line_listener_must_be_allowed)
{
	one_error("[listener pub]\ntransport = line\nbind = 0.0.0.0\n",
	    "t.conf:3: [listener pub] bind: refusing to serve the "
	    "unauthenticated line transport on non-loopback address 0.0.0.0 "
	    "(allow it explicitly with allow_insecure_remote = yes or "
	    "--allow-insecure-remote)");
	cr_assert_eq(build("[listener pub]\ntransport = line\nbind = 0.0.0.0\n"
	    "allow_insecure_remote = yes\n"), 0, "%s", errors());
	cr_assert_eq(build("[listener l]\ntransport = line\nbind = ::1\n"), 0);
	cr_assert_eq(build("[listener l]\ntransport = line\n"
	    "bind = 127.9.9.9\n"), 0);
}

Test(config, a_line_too_long_for_libinih_is_refused_not_cut)
{
	char	 text[1024];

	/* 198 bytes and a newline fit Debian's 200-byte buffer: works. */
	snprintf(text, sizeof(text), "[daemon]\nworker_path = /%0*d\n",
	    198 - 15, 0);
	cr_assert_eq(strlen(strchr(text, '\n') + 1), 199);
	cr_assert_eq(build(text), 0, "%s", errors());
	cr_assert_eq(strlen(c->worker_path), 198 - 14);
	/* One more byte and inih would cut it and read the rest as line 3:
	 * an error, and the next line is still line 3. */
	snprintf(text, sizeof(text), "[daemon]\nworker_path = /%0*d\nusr = "
	    "x\n", 199 - 15, 0);
	build(text);
	cr_assert_eq(e.nerrors, 2, "%s", errors());
	cr_assert_str_eq(errors(), "t.conf:2: line too long: 199 bytes "
	    "(libinih reads lines of at most 198 bytes)\n"
	    "t.conf:3: [daemon] usr: unknown key\n");
}

Test(config, indented_lines_continue_only_list_keys)
{
	/* inih would make "  port = 5" part of bind's value. */
	one_error("[listener a]\ntransport = line\nbind = 127.0.0.1\n"
	    "  port = 5\n", "t.conf:4: [listener a] bind: indented line "
	    "\"port = 5\" would continue the value of bind (inih's "
	    "continuation lines; only list keys continue): remove the "
	    "indentation");
	/* ... and an indented section header would not start a section. */
	one_error("[daemon]\nuser = x\n  [pool]\n", "t.conf:3: [daemon] user: "
	    "indented line \"[pool]\" would continue the value of user "
	    "(inih's continuation lines; only list keys continue): remove "
	    "the indentation");
	/* Indented keys right after a section header are just keys. */
	cr_assert_eq(build("[pool]\n  min_spare = 1\n"), 0, "%s", errors());
	cr_assert_eq(c->pool.min_spare, 1);
	/* proxy_trusted is a list: continuation lines append. */
	cr_assert_eq(build("[listener a]\ntransport = line\n"
	    "proxy_trusted = 10.0.0.0/8,\n\t10.1.0.0/16 ; comment\n"
	    "  fe80::/10\n"), 0, "%s", errors());
	cr_assert_eq(c->listeners[0].proxy_trusted.n, 3);
}

Test(config, inline_comments)
{
	cr_assert_eq(build("[pool]\nmin_spare = 3 ; three\n"), 0, "%s",
	    errors());
	cr_assert_eq(c->pool.min_spare, 3);
	/* ";" without a space before it is part of the value. */
	one_error("[pool]\nmin_spare = 3;three\n", "t.conf:2: [pool] "
	    "min_spare: \"3;three\" is not a number");
	/* "#" after a value is not a comment: said, not swallowed. */
	one_error("[daemon]\nuser = iridium # the user\n", "t.conf:2: [daemon] "
	    "user: \"#\" starts a comment only at the start of a line; use "
	    "\" ; \" after a value");
	/* A ";" line and a "#" line are comments. */
	cr_assert_eq(build("; x\n# y\n[pool]\n  ; z\n"), 0, "%s", errors());
}

Test(config, other_syntax_errors)
{
	one_error("[daemon]\nuser: x\n", "t.conf:2: write KEY = VALUE (\":\" "
	    "is not a separator here)");
	one_error("[daemon]\njust words\n", "t.conf:2: expected KEY = VALUE, a "
	    "[section] or a comment, found \"just words\"");
	one_error("[daemon\n", "t.conf:1: a section header needs a closing "
	    "\"]\"");
	one_error("[daemon] user = x\n", "t.conf:1: text after the section "
	    "header: \"user = x\"");
	one_error("user = x\n", "t.conf:1: user: a key before any [section]");
	one_error("[daemon]\n= x\n", "t.conf:2: a key name is missing before "
	    "\"=\"");
	one_error("[daemon]\nuser = a\x01\n", "t.conf:2: control character "
	    "0x01 in column 9");
	one_error("[listener]\n", "t.conf:1: [listener] needs a name: "
	    "[listener NAME]");
	one_error("[daemon x]\n", "t.conf:1: [daemon] takes no name (found "
	    "\"x\")");
	one_error("[listener a b]\n", "t.conf:1: [listener a b]: not a valid "
	    "name (letters, digits, '_', '-', '.'; at most 63 bytes)");
	/* A section comment after "]" is fine; CRLF too. */
	cr_assert_eq(build("[daemon] ; the daemon\r\nuser = x\r\n"), 0, "%s",
	    errors());
	cr_assert_str_eq(c->user, "x");
}

Test(config, every_error_is_reported_in_order)
{
	build("[daemon]\nusr = x\nuser = a b\n[nope]\nuser = y\n"
	    "[listener a]\nport = 99999\n");
	cr_assert_eq(e.nerrors, 5, "%s", errors());
	cr_assert_str_eq(errors(),
	    "t.conf:2: [daemon] usr: unknown key\n"
	    "t.conf:3: [daemon] user: \"a b\" is not a name (letters, digits, "
	    "'_', '-', '.'; starting with a letter or digit)\n"
	    "t.conf:4: unknown section [nope] (sections are [daemon], [pool], "
	    "[limits], [listener NAME] and [tenant NAME])\n"
	    "t.conf:7: [listener a] port: \"99999\" out of range (0..65535)\n"
	    "t.conf:6: [listener a] transport: missing (transport = line or "
	    "transport = ssh)\n");
}

Test(config, checks_across_keys_name_a_line)
{
	one_error("[pool]\nmin_spare = 10\n", "t.conf:2: [listener line] "
	    "min_spare (10) is above max_spare (8)");
	one_error("[listener a]\ntransport = line\nmax_spare = 1\n",
	    "t.conf:3: [listener a] min_spare (2) is above max_spare (1)");
	one_error("[limits]\nidle = 10\nidle_warn = 10\n", "t.conf:3: "
	    "[limits] idle_warn (10) must be below idle (10)");
	one_error("[tenant t]\nlifetime = 5\n", "t.conf:2: [tenant t] "
	    "lifetime_warn (300) must be below lifetime (5)");
	one_error("[listener a]\ntransport = line\nport = 7000\n"
	    "[listener b]\ntransport = line\nport = 7000\n", "t.conf:6: "
	    "[listener b] port: 127.0.0.1 port 7000 is also listener a's");
	one_error("[limits]\nlogin_grace = 5\n[tenant t]\nlogin_grace = 9\n",
	    "t.conf:4: [tenant t] login_grace: only [limits] sets it (it is "
	    "server-wide, not a tenant's)");
}

Test(config, ssh_listeners_and_their_keys)
{
	cr_assert_eq(build("[listener s]\ntransport = ssh\nbind = 0.0.0.0\n"
	    "[limits]\nlogin_grace = 7\n"
	    "[tenant dev]\nauthorized_keys = keys/dev\n"
	    "[tenant ops]\nauthorized_keys = /etc/iridium/ops.keys\n"), 0,
	    "%s", errors());
	cr_assert_str_eq(c->listeners[0].transport, "ssh");
	cr_assert_eq(c->listeners[0].port, 2222, "ssh's default port");
	cr_assert_eq(c->host_key.n, 0, "none: the state directory's");
	cr_assert_str_eq(c->tenants[0].authorized_keys, "keys/dev");
	cr_assert_eq(config_tenant_limits(c, "ops")->login_grace, 7);
	cr_assert(c->ssh_worker_path[0] == '/');
	one_error("[listener s]\ntransport = ssh\ntenant = x\n", "t.conf:3: "
	    "[listener s] tenant: only line listeners have a fixed tenant "
	    "(ssh sessions get theirs from their key)");
	one_error("[daemon]\nssh_worker_path = w\n", "t.conf:2: [daemon] "
	    "ssh_worker_path: \"w\" is not an absolute path");
}

Test(config, host_key_is_a_list_of_paths)
{
	cr_assert_eq(build("[daemon]\nhost_key = /k/ed25519, ecdsa\n"
	    "  /k/rsa ; a third\n"), 0, "%s", errors());
	cr_assert_eq(c->host_key.n, 3);
	cr_assert_str_eq(c->host_key.v[0], "/k/ed25519");
	cr_assert_str_eq(c->host_key.v[1], "ecdsa", "relative: state_dir");
	cr_assert_str_eq(c->host_key.v[2], "/k/rsa");
	one_error("[daemon]\nhost_key = /a, /b, /c, /d, /e\n", "t.conf:2: "
	    "[daemon] host_key: more than 4 paths");
	one_error("[daemon]\nhost_key = \"/a\"\n", "t.conf:2: [daemon] "
	    "host_key: \"\"/a\"\": quotes are not removed; write the path "
	    "without them");
}

Test(config, certificate_keys)
{
	const struct tenant_cfg	*t;

	cr_assert_eq(build("[daemon]\ntrusted_user_ca_keys = ca.pub\n"
	    "cert_clock_skew = 0\n[tenant ops]\nprincipals = alice,bob "
	    "team-ops\n  carol@example.org\n"), 0, "%s", errors());
	cr_assert_str_eq(c->trusted_user_ca_keys, "ca.pub");
	cr_assert_eq(c->cert_clock_skew, 0);
	cr_assert_not_null(t = config_tenant_find(c, "ops"));
	cr_assert_str_eq(t->principals, "alice, bob, team-ops, "
	    "carol@example.org");
	cr_assert_eq(build("[tenant ops]\n"), 0, "%s", errors());
	cr_assert_eq(c->cert_clock_skew, 60);
	cr_assert_str_eq(config_tenant_find(c, "ops")->principals, "");
	one_error("[daemon]\ncert_clock_skew = 3601\n", "t.conf:2: [daemon] "
	    "cert_clock_skew: \"3601\" out of range (0..3600)");
	one_error("[tenant ops]\nprincipals = caf\xc3\xa9\n", "t.conf:2: "
	    "[tenant ops] principals: a principal is printable ASCII");
	one_error("[tenant ops]\nprincipals = 1 2 3 4 5 6 7 8 9 10 11 12 13 "
	    "14 15 16 17 18 19 20 21 22 23 24 25 26 27 28 29 30 31 32 33\n",
	    "t.conf:2: [tenant ops] principals: more than 32 principals");
}

Test(config, ssh_algorithm_lists_take_sshds_syntax)
{
	/* The defaults: OpenSSH's reach, no SHA-1, NIST kex or CBC. */
	cr_assert_eq(build(""), 0, "%s", errors());
	cr_assert_str_eq(c->ssh_kex, "curve25519-sha256,"
	    "curve25519-sha256@libssh.org,diffie-hellman-group16-sha512,"
	    "diffie-hellman-group18-sha512,diffie-hellman-group14-sha256");
	cr_assert_str_eq(c->ssh_ciphers, "chacha20-poly1305@openssh.com,"
	    "aes256-gcm@openssh.com,aes128-gcm@openssh.com,aes256-ctr,"
	    "aes192-ctr,aes128-ctr");
	cr_assert_str_eq(c->ssh_macs, "hmac-sha2-256-etm@openssh.com,"
	    "hmac-sha2-512-etm@openssh.com,hmac-sha2-256,hmac-sha2-512");
	cr_assert_str_eq(c->ssh_hostkey_algorithms, "ssh-ed25519,"
	    "ecdsa-sha2-nistp256,ecdsa-sha2-nistp384,ecdsa-sha2-nistp521,"
	    "rsa-sha2-512,rsa-sha2-256");
	/* A list replaces; -, ^ and + change the default. */
	cr_assert_eq(build("[daemon]\nssh_ciphers = aes128-ctr\n"
	    "ssh_kex = -diffie-hellman-group14-sha256,"
	    "diffie-hellman-group18-sha512\n"
	    "ssh_macs = ^hmac-sha2-512\n"
	    "ssh_hostkey_algorithms = +ssh-ed25519\n"), 0, "%s", errors());
	cr_assert_str_eq(c->ssh_ciphers, "aes128-ctr");
	cr_assert_str_eq(c->ssh_kex, "curve25519-sha256,"
	    "curve25519-sha256@libssh.org,diffie-hellman-group16-sha512");
	cr_assert_str_eq(c->ssh_macs, "hmac-sha2-512,"
	    "hmac-sha2-256-etm@openssh.com,hmac-sha2-512-etm@openssh.com,"
	    "hmac-sha2-256");
	cr_assert_str_eq(c->ssh_hostkey_algorithms, "ssh-ed25519,"
	    "ecdsa-sha2-nistp256,ecdsa-sha2-nistp384,ecdsa-sha2-nistp521,"
	    "rsa-sha2-512,rsa-sha2-256");
	/* Indented lines continue a list, spaces around names are fine. */
	cr_assert_eq(build("[daemon]\nssh_ciphers = "
	    "chacha20-poly1305@openssh.com,\n  aes256-gcm@openssh.com , "
	    "aes128-gcm@openssh.com\n"), 0, "%s", errors());
	cr_assert_str_eq(c->ssh_ciphers, "chacha20-poly1305@openssh.com,"
	    "aes256-gcm@openssh.com,aes128-gcm@openssh.com");
	/* What is never offered says why, with the line. */
	one_error("[daemon]\nssh_ciphers = aes128-ctr,aes128-cbc\n",
	    "t.conf:2: [daemon] ssh_ciphers: cipher aes128-cbc is never "
	    "offered: CBC mode fails ssh-audit");
	one_error("[daemon]\nssh_kex = +diffie-hellman-group1-sha1\n",
	    "t.conf:2: [daemon] ssh_kex: key exchange "
	    "diffie-hellman-group1-sha1 is never offered: it hashes with "
	    "SHA-1 in a 1024-bit group");
	one_error("[daemon]\nssh_kex = ecdh-sha2-nistp256\n", "t.conf:2: "
	    "[daemon] ssh_kex: key exchange ecdh-sha2-nistp256 is never "
	    "offered: ssh-audit flags its NIST curve");
	one_error("[daemon]\nssh_macs = hmac-sha1\n", "t.conf:2: [daemon] "
	    "ssh_macs: MAC hmac-sha1 is never offered: it hashes with SHA-1");
	one_error("[daemon]\nssh_hostkey_algorithms = ssh-rsa\n", "t.conf:2: "
	    "[daemon] ssh_hostkey_algorithms: host key algorithm ssh-rsa is "
	    "never offered: its signatures hash with SHA-1");
	one_error("[daemon]\nssh_macs = hmac-sha2-257\n", "t.conf:2: [daemon] "
	    "ssh_macs: unknown MAC \"hmac-sha2-257\" (known: "
	    "hmac-sha2-256-etm@openssh.com,hmac-sha2-512-etm@openssh.com,"
	    "hmac-sha2-256,hmac-sha2-512)");
	one_error("[daemon]\nssh_ciphers = aes128-ctr,aes128-ctr\n",
	    "t.conf:2: [daemon] ssh_ciphers: cipher aes128-ctr is named "
	    "twice");
	one_error("[daemon]\nssh_ciphers = aes128-ctr,+aes256-ctr\n",
	    "t.conf:2: [daemon] ssh_ciphers: \"+aes256-ctr\": +, - or ^ "
	    "comes only before the first name");
	one_error("[daemon]\nssh_kex = -curve25519-sha256,"
	    "curve25519-sha256@libssh.org,diffie-hellman-group16-sha512,\n"
	    "  diffie-hellman-group18-sha512,diffie-hellman-group14-sha256\n",
	    "t.conf:3: [daemon] ssh_kex: key exchange "
	    "diffie-hellman-group18-sha512 is named twice");
	one_error("[daemon]\nssh_kex = -curve25519-sha256,"
	    "curve25519-sha256@libssh.org,diffie-hellman-group16-sha512,"
	    "diffie-hellman-group18-sha512,diffie-hellman-group14-sha256\n",
	    "t.conf:2: [daemon] ssh_kex: no key exchange left");
	one_error("[daemon]\nssh_ciphers = ,\n", "t.conf:2: [daemon] "
	    "ssh_ciphers: no cipher named");
	one_error("[daemon]\nssh_ciphers =\n", "t.conf:2: [daemon] "
	    "ssh_ciphers: empty value");
}

Test(config, every_offered_algorithm_is_in_the_linked_libssh)
{
	static const enum sshalgo_kind kinds[] = { SSHALGO_KIND_KEX,
	    SSHALGO_KIND_CIPHER, SSHALGO_KIND_MAC, SSHALGO_KIND_HOSTKEY };
	const char *const	*n;
	size_t			 i;

	/* The check the config makes; and it does refuse what is not. */
	for (i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++)
		for (n = sshalgo_names(kinds[i]); *n != NULL; n++)
			cr_assert(hostkey_libssh_has(kinds[i], *n), "%s", *n);
	cr_assert_not(hostkey_libssh_has(SSHALGO_KIND_CIPHER,
	    "aes512-ctr"));
	cr_assert_not(hostkey_libssh_has(SSHALGO_KIND_KEX,
	    "sntrup761x25519-sha512@openssh.com"));
}

Test(config, cidr_lists)
{
	one_error("[listener a]\ntransport = line\nproxy_trusted = 10.1.2.3/8\n",
	    "t.conf:3: [listener a] proxy_trusted: \"10.1.2.3/8\" has host "
	    "bits set beyond /8");
	one_error("[listener a]\ntransport = line\nproxy_trusted = 10.0.0.0/33\n",
	    "t.conf:3: [listener a] proxy_trusted: \"10.0.0.0/33\": the "
	    "prefix length must be 0..32");
	one_error("[listener a]\ntransport = line\nproxy_trusted = 10.0.0/8\n",
	    "t.conf:3: [listener a] proxy_trusted: \"10.0.0\" is not a "
	    "numeric IPv4 or IPv6 address");
	cr_assert_eq(build("[listener a]\ntransport = line\n"
	    "proxy_trusted = 0.0.0.0/0, ::/0\n"), 0, "%s", errors());
	cr_assert_eq(c->listeners[0].proxy_trusted.v[1].bits, 0);
}

Test(config, proxy_protocol_needs_trusted_balancers)
{
	one_error("[listener a]\ntransport = line\nproxy_protocol = yes\n",
	    "t.conf:3: [listener a] proxy_protocol: needs proxy_trusted, the "
	    "addresses of the load balancers that send the header");
	cr_assert_eq(build("[listener a]\ntransport = line\n"
	    "proxy_protocol = yes\nproxy_trusted = 10.0.0.0/8\n"), 0, "%s",
	    errors());
	cr_assert(c->listeners[0].proxy_protocol);
	cr_assert_eq(e.nwarnings, 0);
}

Test(config, flags_override_the_file)
{
	struct cfg_flags f;
	char		 err[256];
	static const char text[] =
	    "[listener a]\ntransport = line\nport = 5000\nmin_spare = 3\n"
	    "[listener b]\ntransport = line\nport = 5001\n"
	    "[limits]\nbudget = 77\n[tenant t]\nbudget = 88\n";

	memset(&f, 0, sizeof(f));
	cr_assert_eq(config_flag_add(&f, CF_LISTENER0, "port", "0", err,
	    sizeof(err)), 0);
	cr_assert_eq(config_flag_add(&f, CF_POOL, "min_spare", "1", err,
	    sizeof(err)), 0);
	cr_assert_eq(config_flag_add(&f, CF_LIMITS, "budget", "66", err,
	    sizeof(err)), 0);
	cr_assert_eq(config_flag_add(&f, CF_DAEMON, "run_dir", "/r", err,
	    sizeof(err)), 0);
	cr_assert_eq(config_flag_add(&f, CF_POOL, "min_spare", "x", err,
	    sizeof(err)), -1);
	cr_assert_str_eq(err, "min_spare: \"x\" is not a number");
	cr_assert_eq(config_flag_add(&f, CF_POOL, "nope", "1", err,
	    sizeof(err)), -1);
	cr_assert_str_eq(err, "unknown pool setting \"nope\"");
	f.workers = 1;
	cr_assert_eq(config_build_buf(c, "t.conf", text, strlen(text), &f,
	    &e), 0, "%s", errors());
	cr_assert_eq(c->listeners[0].port, 0);
	cr_assert_eq(c->listeners[1].port, 5001);
	cr_assert_eq(c->listeners[0].pool.min_spare, 1);
	cr_assert_eq(c->listeners[0].pool.max_workers, 1);
	cr_assert_eq(c->listeners[0].pool.max_spare, 1);
	cr_assert_eq(c->limits.budget, 66);
	cr_assert_eq(config_tenant_limits(c, "t")->budget, 88);
	cr_assert_str_eq(c->control, "/r/control.sock");
}

Test(config, ceilings_are_the_largest_of_every_tenant)
{
	struct msg_limits m;

	cr_assert_eq(build("[limits]\nbudget = 100\ncpu = 10\n[tenant a]\n"
	    "budget = 500\n[tenant b]\ncpu = 0\n"), 0, "%s", errors());
	config_ceilings(c, &m);
	cr_assert_eq(m.budget, 500);
	cr_assert_eq(m.cpu, 0, "0 is no limit: the largest");
	cr_assert_eq(m.heap, c->limits.heap);
}

Test(config, the_effective_config_reads_back_the_same)
{
	char	*a = NULL, *b = NULL;
	size_t	 alen, blen;
	FILE	*f;
	static const char text[] =
	    "[listener one]\ntransport = line\nport = 0\nmax_workers = 3\n"
	    "proxy_trusted = 10.0.0.0/8, 2001:db8::/32, 2001:db8:1::/48, "
	    "2001:db8:2::/48, 2001:db8:3::/48, 2001:db8:4::/48, "
	    "2001:db8:5::/48, 2001:db8:6::/48, 2001:db8:7::/48\n"
	    "  2001:db8:8::/48, 2001:db8:9::/48\n"
	    "[listener two]\ntransport = ssh\nport = 0\n"
	    "[daemon]\nssh_macs = ^hmac-sha2-512\nssh_ciphers = aes128-ctr\n"
	    "[tenant staff]\nbudget = 5000\n";

	cr_assert_eq(build(text), 0, "%s", errors());
	f = open_memstream(&a, &alen);
	config_write(f, c);
	fclose(f);
	cr_assert_eq(build(a), 0, "%s\n%s", errors(), a);
	f = open_memstream(&b, &blen);
	config_write(f, c);
	fclose(f);
	cr_assert_str_eq(a, b);
	cr_assert_eq(c->listeners[0].proxy_trusted.n, 11);
	/* An ssh listener's (default) tenant is not written: not allowed. */
	cr_assert_str_eq(c->ssh_ciphers, "aes128-ctr");
	cr_assert_eq(strncmp(c->ssh_macs, "hmac-sha2-512,", 14), 0);
	free(a);
	free(b);
}

Test(config, the_example_is_valid_and_is_what_contrib_ships)
{
	char		*ex = NULL, path[512], *shipped;
	const char	*src = getenv("IRIDIUM_SRC");
	size_t		 len, n;
	FILE		*f;

	f = open_memstream(&ex, &len);
	config_write_example(f);
	fclose(f);
	cr_assert_eq(build(ex), 0, "%s", errors());
	cr_assert_eq(c->nlisteners, 1);
	cr_assert_not_null(src, "IRIDIUM_SRC is not set");
	snprintf(path, sizeof(path), "%s/contrib/iridiumd.conf.example", src);
	f = fopen(path, "r");
	cr_assert_not_null(f, "%s", path);
	shipped = calloc(1, 1 << 20);
	n = fread(shipped, 1, (1 << 20) - 1, f);
	fclose(f);
	shipped[n] = '\0';
	cr_assert_str_eq(shipped, ex, "contrib/iridiumd.conf.example is out "
	    "of date: regenerate it with build/default/iridiumd "
	    "--example-config > contrib/iridiumd.conf.example");
	free(shipped);
	free(ex);
}

Test(config, diff_names_what_changed)
{
	struct config	*old = calloc(1, sizeof(*old));
	struct buf	 b;

	cr_assert_eq(build("[listener a]\ntransport = line\nport = 0\n"
	    "[limits]\nline_max = 4096\n"), 0);
	*old = *c;
	cr_assert_eq(build("[listener a]\ntransport = line\nport = 0\n"
	    "max_workers = 5\n[listener b]\ntransport = line\nport = 0\n"
	    "[limits]\nline_max = 100\n"), 0, "%s", errors());
	buf_init(&b, 0);
	cr_assert_eq(config_diff(old, c, cfgfix_line, &b), 3);
	cr_assert_str_eq(b.data, "[limits] line_max: \"4096\" -> \"100\"\n"
	    "[listener a] max_workers: \"64\" -> \"5\"\n"
	    "[listener b] added\n");
	buf_free(&b);
	free(old);
}

Test(config, a_missing_file_is_one_error)
{
	cfg_errors_free(&e);
	cfg_errors_init(&e);
	cr_assert_eq(config_build(c, "/nonexistent/iridiumd.conf", NULL, &e),
	    1);
	cr_assert_str_eq(errors(), "/nonexistent/iridiumd.conf: No such file "
	    "or directory\n");
}

Test(config, a_bad_value_leaves_the_default_without_more_errors)
{
	one_error("[listener a]\ntransport = line\nmax_workers = many\n",
	    "t.conf:3: [listener a] max_workers: \"many\" is not a number");
	cr_assert_eq(c->listeners[0].pool.max_workers, 64);
	one_error("[listener a]\ntransport = tcp\n", "t.conf:2: [listener a] "
	    "transport: \"tcp\" is not a transport (line or ssh)");
}
