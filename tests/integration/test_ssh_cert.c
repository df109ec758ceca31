/*
 * test_ssh_cert.c: logins with OpenSSH user certificates, end to end: the
 * real iridiumd trusting CAs made by ssh-keygen (trusted_user_ca_keys),
 * certificates issued by `ssh-keygen -s`, the real OpenSSH client and
 * paramiko. A valid certificate logs in as its principal, with ED25519,
 * ECDSA and RSA keys and CAs; each kind of bad certificate is refused
 * with "Permission denied (publickey)" and a log line naming why; the
 * certificate's force-command and missing permit-pty hold; a reload
 * that removes the CA ends new logins, not the running ones; the key ID
 * and serial reach the log, `iridiumctl sessions` and status.
 */
#include <criterion/criterion.h>
#include <criterion/logging.h>

#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bsd/string.h>
#include <jansson.h>

#include "harness.h"
#include "sshc.h"

#define T	20000

static struct hd	 d;
static char		 dir[256];
static struct sshc_opts	 so;

static const char hello_prog[] =
    ".data\nm: .asciiz 'Hello over ssh\\n'\n.code\nprts @m\nhlt\n";

/*
 * Two CAs iridiumd trusts (ed25519 and RSA) and one it does not; the
 * user keys of each type.
 */
static void
setup(void)
{
	hd_tmpdir(dir, sizeof(dir), "cert");
	hd_sh("cd %s && ssh-keygen -q -t ed25519 -N '' -C ca -f ca && "
	    "ssh-keygen -q -t rsa -b 3072 -N '' -C ca_rsa -f ca_rsa && "
	    "ssh-keygen -q -t ecdsa -b 384 -N '' -C ca_ec -f ca_ec && "
	    "ssh-keygen -q -t ed25519 -N '' -C rogue -f rogue && "
	    "cat ca.pub ca_rsa.pub ca_ec.pub > cas.pub && : > dev.keys", dir);
	so.dir = dir;
}

TestSuite(cert, .init = setup, .fini = hd_fini, .timeout = 90);

/*
 * A user key NAME of type TYPE ("ed25519", "ecdsa", "rsa") and its
 * certificate NAME-cert.pub from CA ca with ssh-keygen's arguments args.
 */
static void
issue(const char *name, const char *type, const char *ca, const char *args)
{
	hd_sh("cd %s && rm -f %s %s.pub %s-cert.pub && ssh-keygen -q -t %s "
	    "-N '' -C %s -f %s && ssh-keygen -q -s %s %s %s.pub", dir, name,
	    name, name, type, name, name, ca, args, name);
}

/* More [daemon] lines for start(), and its ssh worker (NULL: the real). */
static const char	*daemon_extra = "";
static const char	*listener_extra = "";	/* [listener ssh] lines */
static const char	*worker;

static void
start(void)
{
	char	 text[2048];

	snprintf(text, sizeof(text),
	    "[daemon]\nstate_dir = %s/state\n%s"
	    "trusted_user_ca_keys = %s/cas.pub\n"
	    "[pool]\nmin_spare = 2\n"
	    "[listener ssh]\ntransport = ssh\nport = 0\n%s"
	    "[tenant dev]\nauthorized_keys = %s/dev.keys\n"
	    "[tenant ops]\nprincipals = alice, team-ops\n",
	    dir, daemon_extra, dir, listener_extra, dir);
	sshc_daemon(&d, &so, text, worker);
	sshc_trust(&so, SSHC_HOSTKEY, NULL, 0);
}

/* ssh as user with key name (its certificate beside it) running `run`. */
static void
run_as(struct sshc *c, const char *name, const char *user)
{
	sshc_ssh(c, &so, name, user, "run", hello_prog);
}

/* Refused as a wrong key is, and the log line says why. */
static void
refused(const char *name, const char *user, const char *why)
{
	struct sshc	 c;

	run_as(&c, name, user);
	cr_assert_eq(c.status, 255, "%s: %s%s", name, c.o.data, c.e.data);
	cr_assert_not_null(strstr(c.e.data, "Permission denied (publickey)"),
	    "%s: %s", name, c.e.data);
	cr_assert(hd_wait_log(&d, why, T), "%s: no \"%s\" in the log", name,
	    why);
	sshc_free(&c);
}

/* --- the tests ------------------------------------------------------------ */

Test(cert, a_valid_certificate_logs_in_as_its_principal)
{
	static const struct {
		const char	*type, *ca, *keyname;
	} cases[] = {
		{ "ed25519", "ca", "ED25519-CERT" },
		{ "ecdsa", "ca_rsa", "ECDSA-CERT" },
		{ "rsa", "ca_ec", "RSA-CERT" },
	};
	struct sshc	 c;
	char		 args[128], name[32], want[256];
	size_t		 i;

	start();
	cr_assert(hd_wait_log(&d, "iridiumd: 3 trusted user CA keys\n", T));
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		snprintf(name, sizeof(name), "u_%s", cases[i].type);
		snprintf(args, sizeof(args), "-I alice@%s -n dev -V -5m:+1h "
		    "-z %zu", cases[i].type, 40 + i);
		issue(name, cases[i].type, cases[i].ca, args);
		run_as(&c, name, "dev");
		cr_assert_eq(c.status, 0, "%s key, %s CA: %s", cases[i].type,
		    cases[i].ca, c.e.data);
		cr_assert_str_eq(c.o.data, "Hello over ssh\n");
		snprintf(want, sizeof(want), "accepted publickey for dev from "
		    "127.0.0.1 port ");
		cr_assert(hd_wait_log(&d, want, T));
		snprintf(want, sizeof(want), " ssh: %s %s ID alice@%s "
		    "(serial %zu) CA ", cases[i].keyname,
		    sshc_fingerprint(&so, name), cases[i].type, 40 + i);
		cr_assert(hd_wait_log(&d, want, T), "no \"%s\"", want);
		snprintf(want, sizeof(want), "; tenant dev, key %s %s ID "
		    "alice@%s (serial %zu)", cases[i].keyname,
		    sshc_fingerprint(&so, name), cases[i].type, 40 + i);
		cr_assert(hd_wait_log(&d, want, T), "no end line \"%s\"", want);
		sshc_free(&c);
		cr_log_info("CASE: %s key certified by the %s CA logged in",
		    cases[i].type, cases[i].ca);
	}
}

Test(cert, each_bad_certificate_is_refused_and_logged_with_its_reason)
{
	start();
	issue("wrong", "ed25519", "ca", "-I w -n alice -V -5m:+1h");
	refused("wrong", "dev", "(certificate names no principal of this "
	    "tenant; ");
	issue("expired", "ed25519", "ca", "-I e -n dev -V -2h:-1h");
	refused("expired", "dev", "(certificate expired (valid until ");
	issue("future", "ed25519", "ca", "-I f -n dev -V +1h:+2h");
	refused("future", "dev", "(certificate not yet valid (valid from ");
	issue("rogue_u", "ed25519", "rogue", "-I r -n dev -V -5m:+1h");
	refused("rogue_u", "dev", "(certificate signed by a CA not in "
	    "trusted_user_ca_keys; ");
	/* A host certificate: OpenSSH's client does not offer it (paramiko
	 * does: below). */
	issue("crit", "ed25519", "ca", "-I c -n dev -V -5m:+1h "
	    "-O critical:no-such-option=x");
	refused("crit", "dev", "(unknown critical option no-such-option; ");
	issue("src", "ed25519", "ca", "-I s -n dev -V -5m:+1h "
	    "-O source-address=10.0.0.0/8,192.0.2.1");
	refused("src", "dev", "(source-address does not include 127.0.0.1; ");
	/* A valid certificate for a principal that is no tenant. */
	issue("nobody", "ed25519", "ca", "-I n -n nobody -V -5m:+1h");
	refused("nobody", "nobody", "failed publickey for invalid user nobody "
	    "from 127.0.0.1 port ");
	cr_assert(hd_wait_log(&d, "(a valid certificate whose principal names "
	    "no tenant; ", T));
	/* And one whose source-address holds the client logs in. */
	issue("src_ok", "ed25519", "ca", "-I s2 -n dev -V -5m:+1h "
	    "-O source-address=192.0.2.0/24,127.0.0.0/8");
	{
		struct sshc	 c;

		run_as(&c, "src_ok", "dev");
		cr_assert_eq(c.status, 0, "%s", c.e.data);
		sshc_free(&c);
	}
}

/*
 * A tenant with principals and no authorized_keys: a certificate naming
 * one of them logs in; one naming only the tenant's name does not.
 */
Test(cert, a_tenant_without_files_logs_in_by_its_principals)
{
	struct sshc	 c;

	start();
	issue("team", "ed25519", "ca", "-I t -n bob,team-ops -V -5m:+1h");
	run_as(&c, "team", "ops");
	cr_assert_eq(c.status, 0, "%s", c.e.data);
	cr_assert_str_eq(c.o.data, "Hello over ssh\n");
	cr_assert(hd_wait_log(&d, "accepted publickey for ops from ", T));
	sshc_free(&c);
	issue("byname", "ed25519", "ca", "-I b -n ops -V -5m:+1h");
	refused("byname", "ops", "(certificate names no principal of this "
	    "tenant; ");
	/* Its principals are its own: not another tenant's. */
	refused("team", "dev", "(certificate names no principal of this "
	    "tenant; ");
}

/* force-command: the only command, whatever the client asks for. */
Test(cert, force_command_is_the_only_command_the_session_runs)
{
	struct sshc	 c, s;

	start();
	issue("forced", "ed25519", "ca", "-I f -n dev -V -5m:+1h "
	    "-O force-command=!help");
	run_as(&c, "forced", "dev");
	cr_assert_eq(c.status, 0, "%s", c.e.data);
	cr_assert_null(strstr(c.o.data, "Hello over ssh"), "run ran: %s",
	    c.o.data);
	cr_assert_not_null(strstr(c.o.data, "!registers"), "no help: %s",
	    c.o.data);
	cr_assert(hd_wait_log(&d, "the certificate's force-command runs "
	    "instead of the command asked for", T));
	/* A shell is the command too. */
	sshc_ssh(&s, &so, "forced", "dev", NULL, "1\n");
	cr_assert_not_null(strstr(s.o.data, "!registers"), "no help: %s",
	    s.o.data);
	cr_assert(hd_wait_log(&d, "instead of a shell", T));
	sshc_free(&c);
	sshc_free(&s);
}

/* No permit-pty: the pty request is refused, the session goes on. */
Test(cert, without_permit_pty_no_pty)
{
	struct sshc	 c;
	const char	*tt[] = { "-tt", NULL };

	start();
	issue("nopty", "ed25519", "ca", "-I p -n dev -V -5m:+1h -O no-pty");
	sshc_run(&c, sshc_argv(&so, "nopty", "dev", tt, "run"), hello_prog);
	cr_assert(hd_wait_log(&d, "refused a pty: the certificate has no "
	    "permit-pty", T));
	cr_assert_not_null(strstr(c.e.data, "PTY allocation request failed"),
	    "%s", c.e.data);
	sshc_free(&c);
}

/*
 * The key ID and serial in `iridiumctl sessions` and status; a reload
 * that removes the CA refuses the next login and leaves this one be.
 */
Test(cert, a_reload_without_the_ca_ends_new_logins_only)
{
	struct sshc	 a, b;
	struct sshc	*cs[1] = { &a };
	json_t		*st, *w, *s;
	char		*out, *err;
	size_t		 i;
	bool		 seen = false;
	int		 rc;

	start();
	issue("live", "ed25519", "ca", "-I \"live key\" -n dev -V -5m:+1h "
	    "-z 18446744073709551615");
	sshc_start(&a, sshc_argv(&so, "live", "dev", NULL, "run"), NULL, 0,
	    true, false);
	cr_assert(hd_wait_log(&d, "accepted publickey for dev", T));
	rc = hd_ctl(&d, NULL, &out, &err, "sessions", NULL);
	cr_assert_eq(rc, 0, "%s", err);
	cr_assert_not_null(strstr(out, "ID live key serial "
	    "18446744073709551615"), "%s", out);
	free(out);
	free(err);
	st = hd_status(&d);
	json_array_foreach(json_object_get(st, "workers"), i, w) {
		s = json_object_get(w, "session");
		if (!json_is_object(s) || strcmp(json_string_value(
		    json_object_get(s, "cert_id")), "live key") != 0)
			continue;
		cr_assert_str_eq(json_string_value(json_object_get(s,
		    "cert_serial")), "18446744073709551615");
		cr_assert_str_eq(json_string_value(json_object_get(s,
		    "key_type")), "ED25519-CERT");
		seen = true;
	}
	json_decref(st);
	cr_assert(seen, "no session with the certificate in status");
	/* Only the RSA CA is left. */
	hd_sh("cp %s/ca_rsa.pub %s/cas.pub", dir, dir);
	rc = hd_ctl(&d, NULL, &out, &err, "reload", NULL);
	cr_assert_eq(rc, 0, "%s%s", out, err);
	free(out);
	free(err);
	cr_assert(hd_wait_log(&d, "; 1 trusted user CA key\n", T));
	refused("live", "dev", "(certificate signed by a CA not in "
	    "trusted_user_ca_keys; ");
	/* The first session still runs its program. */
	sshc_type(&a, hello_prog);
	sshc_close_in(&a);
	sshc_finish(cs, 1, T);
	cr_assert_eq(a.status, 0, "%s", a.e.data);
	cr_assert_str_eq(a.o.data, "Hello over ssh\n");
	/* An empty file: no CA at all, a warning, still no login. */
	hd_sh(": > %s/cas.pub", dir);
	kill(d.pid, SIGHUP);
	cr_assert(hd_wait_log(&d, "holds no key: no certificate logs in", T));
	run_as(&b, "live", "dev");
	cr_assert_eq(b.status, 255, "%s", b.e.data);
	sshc_free(&a);
	sshc_free(&b);
}

/* paramiko for dev with key name (KEY-cert.pub beside it) running `run`. */
static void
paramiko_run(struct sshc *c, const char *name)
{
	char	*argv[7], script[320], port[16], key[320], hosts[320];

	snprintf(script, sizeof(script), "%s/tests/ssh/client.py",
	    getenv("IRIDIUM_SRC"));
	snprintf(port, sizeof(port), "%d", so.port);
	snprintf(key, sizeof(key), "%s/%s", dir, name);
	snprintf(hosts, sizeof(hosts), "%s/para_hosts", dir);
	argv[0] = (char *)(uintptr_t)"/usr/bin/python3";
	argv[1] = script;
	argv[2] = (char *)(uintptr_t)"run";
	argv[3] = port;
	argv[4] = key;
	argv[5] = hosts;
	argv[6] = NULL;
	sshc_run(c, argv, hello_prog);
}

static void
need_paramiko(void)
{
	if (system("/usr/bin/python3 -c 'import paramiko' 2>/dev/null") != 0) {
		cr_assert_null(getenv("CI"), "paramiko is missing: CI installs "
		    "python3-paramiko (contrib/deps.txt)");
		cr_skip_test("paramiko is not installed for /usr/bin/python3 "
		    "(python3-paramiko)");
	}
}

/*
 * paramiko loads KEY-cert.pub beside KEY and signs at once, without a
 * probe. Unlike OpenSSH's client it also offers a host certificate as
 * a user's: refused.
 */
Test(cert, paramiko_logs_in_with_a_certificate)
{
	struct sshc	 c, h;

	need_paramiko();
	start();
	issue("para", "ed25519", "ca", "-I para -n dev -V -5m:+1h -z 7");
	paramiko_run(&c, "para");
	cr_assert_eq(c.status, 0, "%s%s", c.o.data, c.e.data);
	cr_assert_str_eq(c.o.data, "Hello over ssh\n");
	cr_assert(hd_wait_log(&d, "ID para (serial 7) CA ED25519 ", T));
	issue("host", "ed25519", "ca", "-h -I h -n dev -V -5m:+1h");
	paramiko_run(&h, "host");
	cr_assert_eq(h.status, 2, "%s%s", h.o.data, h.e.data);
	cr_assert_not_null(strstr(h.o.data, "Authentication failed"), "%s",
	    h.o.data);
	cr_assert(hd_wait_log(&d, "(a host certificate, not a user "
	    "certificate; ", T));
	sshc_free(&c);
	sshc_free(&h);
}

/* iridiumd -t on the test's configuration: exit status, stderr. */
static int
check_config(char **err)
{
	char		 conf[320], uids[32];
	const char	*av[] = { hd_bin("iridiumd"), "-t", "-f", conf,
	    "--worker-path", hd_bin("iridium-worker"), "--ssh-worker-path",
	    hd_bin("iridium-worker-ssh"), "--worker-uids", uids, NULL };
	char		*out;
	int		 rc, lock;

	/* A slice of uids of its own: the daemon's are in use. */
	lock = hd_uids_take(uids, sizeof(uids));
	snprintf(conf, sizeof(conf), "%s/iridiumd.conf", dir);
	rc = hd_run(av, &out, err, T);
	hd_uids_release(lock);
	free(out);
	return rc;
}

/*
 * revoked_keys: a KRL from ssh-keygen -k revoking a serial, a key ID and
 * a key; then, after a reload, a plain list revoking a CA and a key in
 * authorized_keys; then a bad file, which the reload and iridiumd -t
 * refuse, naming it, and the last good one stays.
 */
Test(cert, revoked_keys_as_a_krl_and_as_a_list)
{
	struct sshc	 c;
	char		*out, *err;
	int		 rc;

	hd_sh("cd %s && ssh-keygen -q -t ed25519 -N '' -C plain -f plain && "
	    "cp plain.pub dev.keys", dir);
	issue("r5", "ed25519", "ca", "-I five -n dev -V -5m:+1h -z 5");
	issue("r7", "ed25519", "ca", "-I seven -n dev -V -5m:+1h -z 7");
	issue("rid", "ed25519", "ca", "-I bad-id -n dev -V -5m:+1h -z 8");
	issue("victim", "ed25519", "ca", "-I v -n dev -V -5m:+1h -z 9");
	issue("by_rsa", "ecdsa", "ca_rsa", "-I r -n dev -V -5m:+1h -z 10");
	hd_sh("cd %s && printf 'serial: 5\\nid: bad-id\\nkey: %%s\\n' "
	    "\"$(cat victim.pub)\" > spec && "
	    "ssh-keygen -q -k -f revoked -s ca.pub spec", dir);
	daemon_extra = "revoked_keys = revoked\n";	/* under state_dir */
	hd_sh("mkdir -p %s/state && mv %s/revoked %s/state/", dir, dir, dir);
	start();
	daemon_extra = "";
	cr_assert_eq(check_config(&err), 0, "%s", err);
	free(err);
	refused("r5", "dev", "(certificate revoked: the serial is in "
	    "revoked_keys; ");
	refused("rid", "dev", "(certificate revoked: the key ID is in "
	    "revoked_keys; ");
	refused("victim", "dev", "(certificate revoked: the key is in "
	    "revoked_keys; ");
	run_as(&c, "r7", "dev");
	cr_assert_eq(c.status, 0, "serial 7 is not revoked: %s", c.e.data);
	sshc_free(&c);
	run_as(&c, "plain", "dev");
	cr_assert_eq(c.status, 0, "%s", c.e.data);
	sshc_free(&c);
	cr_log_info("CASE: a KRL revoked a serial, a key ID and a key");

	/* A plain list instead: the RSA CA and the plain key. */
	hd_sh("cat %s/ca_rsa.pub %s/plain.pub > %s/state/revoked", dir, dir,
	    dir);
	rc = hd_ctl(&d, NULL, &out, &err, "reload", NULL);
	cr_assert_eq(rc, 0, "%s%s", out, err);
	free(out);
	free(err);
	refused("by_rsa", "dev", "(certificate revoked: the CA key is in "
	    "revoked_keys; ");
	refused("plain", "dev", "(key revoked: it is in revoked_keys; ");
	run_as(&c, "r5", "dev");
	cr_assert_eq(c.status, 0, "the KRL is gone: %s", c.e.data);
	sshc_free(&c);
	cr_log_info("CASE: a list of keys revoked a CA and a plain key");

	/* A bad file: refused by the reload and by -t; the list stays. */
	hd_sh("echo 'ssh-ed25519 !!!' > %s/state/revoked", dir);
	rc = hd_ctl(&d, NULL, &out, &err, "reload", NULL);
	cr_assert_eq(rc, 1, "%s%s", out, err);
	cr_assert_not_null(strstr(err, "[daemon] revoked_keys: line 1: key "
	    "data is not base64"), "%s", err);
	free(out);
	free(err);
	cr_assert_eq(check_config(&err), 1);
	cr_assert_not_null(strstr(err, "[daemon] revoked_keys: line 1: key "
	    "data is not base64"), "%s", err);
	free(err);
	refused("by_rsa", "dev", "(certificate revoked: the CA key is in "
	    "revoked_keys; ");
}

/*
 * The test worker lies: it says the client signed with a certificate
 * the client only offered (user "dev+claim"), or one whose signature it
 * changed ("dev+forge"). iridiumd takes a signature only for the
 * certificate it accepted unsigned just before, and checks the
 * certificate itself: each lie is a protocol violation, the worker is
 * killed, and the next honest login is as before.
 */
Test(cert, a_worker_that_lies_about_a_certificate_is_killed)
{
	static const struct {
		const char	*name, *user, *args;
	} lies[] = {
		{ "forged", "dev+forge", "-I f -n dev -V -5m:+1h" },
		{ "valid", "dev+claim", "-I v -n dev -V -5m:+1h" },
		{ "expired", "dev+claim", "-I e -n dev -V -2h:-1h" },
		{ "other", "dev+claim", "-I o -n ops -V -5m:+1h" },
	};
	struct sshc	 c;
	size_t		 i;
	int		 before;

	worker = "iridium-worker-ssh-test";
	start();
	worker = NULL;
	issue("rogue_c", "ed25519", "rogue", "-I r -n dev -V -5m:+1h");
	for (i = 0; i < sizeof(lies) / sizeof(lies[0]); i++) {
		issue(lies[i].name, "ed25519", "ca", lies[i].args);
		before = hd_log_count(&d, ": protocol violation: a certificate "
		    "said signed that was not accepted unsigned first");
		run_as(&c, lies[i].name, lies[i].user);
		cr_assert_eq(c.status, 255, "%s: %s", lies[i].name, c.e.data);
		cr_assert_null(strstr(c.o.data, "Hello"), "%s", c.o.data);
		cr_assert(hd_wait_log(&d, "test hook: a certificate said "
		    "signed", T));
		while (hd_log_count(&d, ": protocol violation: a certificate "
		    "said signed that was not accepted unsigned first") ==
		    before)
			cr_assert(hd_wait_log(&d, "protocol violation", T));
		cr_assert_eq(hd_log_count(&d, "accepted publickey"), 0,
		    "%s logged in", lies[i].name);
		sshc_free(&c);
	}
	run_as(&c, "rogue_c", "dev+claim");
	cr_assert_eq(c.status, 255, "%s", c.e.data);
	sshc_free(&c);
	while (hd_log_count(&d, ": protocol violation: a certificate said "
	    "signed that was not accepted unsigned first") < 5)
		cr_assert(hd_wait_log(&d, "protocol violation", T),
		    "the untrusted CA's certificate: no violation");
	/* The honest path, through the same test worker. */
	run_as(&c, "valid", "dev");
	cr_assert_eq(c.status, 0, "%s", c.e.data);
	cr_assert_str_eq(c.o.data, "Hello over ssh\n");
	sshc_free(&c);
}

/*
 * source-address holds against the client's address as the PROXY header
 * gave it, not the balancer's: a PROXY listener, and ssh connecting
 * through a ProxyCommand that writes the header for client 192.0.2.7
 * before the ssh bytes.
 */
Test(cert, source_address_is_the_proxy_headers_client)
{
	struct sshc	 c;
	char		 proxy[256];
	const char	*opts[] = { "-o", proxy, NULL };

	listener_extra = "proxy_protocol = yes\nproxy_trusted = 127.0.0.1\n";
	start();
	listener_extra = "";
	snprintf(proxy, sizeof(proxy), "ProxyCommand=sh -c '{ printf "
	    "\"PROXY TCP4 192.0.2.7 127.0.0.1 40000 %d\\r\\n\"; cat; } | "
	    "nc -N 127.0.0.1 %d'", so.port, so.port);
	issue("via_ok", "ed25519", "ca", "-I ok -n dev -V -5m:+1h "
	    "-O source-address=192.0.2.0/24");
	issue("via_lo", "ed25519", "ca", "-I lo -n dev -V -5m:+1h "
	    "-O source-address=127.0.0.1");
	sshc_run(&c, sshc_argv(&so, "via_ok", "dev", opts, "run"), hello_prog);
	cr_assert_eq(c.status, 0, "%s", c.e.data);
	cr_assert_str_eq(c.o.data, "Hello over ssh\n");
	cr_assert(hd_wait_log(&d, "accepted publickey for dev from 192.0.2.7 "
	    "port 40000 ", T));
	sshc_free(&c);
	sshc_run(&c, sshc_argv(&so, "via_lo", "dev", opts, "run"), hello_prog);
	cr_assert_eq(c.status, 255, "the balancer's address is not the "
	    "client's: %s", c.e.data);
	cr_assert(hd_wait_log(&d, "(source-address does not include "
	    "192.0.2.7; ", T));
	sshc_free(&c);
}
