/*
 * status.h: the status document iridiumd answers on its control socket
 * (`iridiumctl status --json`), described once.
 *
 * Each X-macro below lists the fields of one object of the document, in
 * order: X(name, type, kind, help). type is the JSON type (INT or STR);
 * kind says what a metric exporter makes of it: GAUGE and COUNTER fields
 * become metrics named iridium_<object>_<name> (counters with _total),
 * LABEL fields label the object's metrics, INFO fields are for people.
 * The supervisor's builder (supervisor/statusdoc.c) and iridiumctl's reader
 * are derived from these lists, so the document, the summary and the
 * metric names cannot drift apart.
 *
 *   {
 *     "schema_version": 1, "version": "...",
 *     "daemon":   { STATUS_DAEMON_FIELDS, "listeners": [ STATUS_LISTENER ],
 *                   "host_keys": [ STATUS_HOSTKEY_FIELDS ] },
 *     "pools":    [ { STATUS_POOL_FIELDS, "exits": { STATUS_EXIT_KINDS } } ],
 *     "sessions": { STATUS_SESSIONS_FIELDS,
 *                   "per_tenant": { NAME: { STATUS_TENANT_FIELDS } },
 *                   "kex": { SSHALGO_KEX (sshalgo.h): count },
 *                   "ciphers": { SSHALGO_CIPHER: count } },
 *     "admission": { STATUS_ADMISSION_FIELDS,
 *                    "refused": { STATUS_REFUSAL_KINDS },
 *                    "offences": { SOURCE_OFFENCES } },
 *     "limits":   { SUP_LIMITS: numbers, or text },
 *     "workers":  [ { STATUS_WORKER_FIELDS,
 *                     "session": null | { STATUS_SESSION_FIELDS } } ]
 *   }
 *
 * Adding a field is one line here plus the line in supervisor/statusdoc.c
 * that fills it; renaming or removing one bumps STATUS_SCHEMA_VERSION.
 */
#ifndef IRIDIUM_STATUS_H
#define IRIDIUM_STATUS_H

#include <stdint.h>

#include <jansson.h>

#define STATUS_SCHEMA_VERSION	1

#define STATUS_DAEMON_FIELDS(X)						\
	X(version, STR, LABEL, "iridiumd's version")			\
	X(build, STR, LABEL, "build id (version and source revision)")	\
	X(pid, INT, INFO, "iridiumd's process id")			\
	X(started, INT, GAUGE, "start time, seconds since the epoch")	\
	X(uptime_seconds, INT, GAUGE, "seconds since the start")	\
	X(config, STR, INFO, "the configuration file; empty: none")	\
	X(control, STR, INFO, "the control socket")			\
	X(generation, INT, GAUGE, "configuration generation: 1 at the " \
	    "start, one more per successful reload")			\
	X(reloads, INT, COUNTER, "successful reloads")			\
	X(reload_failures, INT, COUNTER, "reloads refused for errors")	\
	X(upgrades, INT, COUNTER, "upgrades asked for (iridiumctl "	\
	    "upgrade, SIGUSR2)")						\
	X(upgrade_moves, INT, COUNTER, "line sessions an upgrade moved " \
	    "to a new worker")						\
	X(upgrade_failures, INT, COUNTER, "line sessions an upgrade "	\
	    "could not move (they stayed in their old worker)")		\
	X(file_jobs, INT, COUNTER, "file work done beside the event "	\
	    "loop: recording files made, history files written")	\
	X(file_jobs_waiting, INT, GAUGE, "file work queued or under way " \
	    "now; a number that grows says the disk is behind")		\
	X(file_job_slowest_ms, INT, GAUGE, "the longest one piece of "	\
	    "file work took, queued to done, since the start (ms)")	\
	X(recordings_late, INT, COUNTER, "sessions that went on "	\
	    "unrecorded because their file was not made within 5 s")

#define STATUS_LISTENER_FIELDS(X)					\
	X(name, STR, LABEL, "the listener's name")			\
	X(transport, STR, LABEL, "line or ssh")				\
	X(address, STR, INFO, "the bound address, ADDR:PORT or "	\
	    "[ADDR]:PORT")						\
	X(port, INT, INFO, "the bound port")				\
	X(tenant, STR, INFO, "line: the tenant of its sessions")	\
	X(state, STR, INFO, "accepting, or draining after a reload "	\
	    "removed it")

/* The ssh host keys (empty until an ssh listener needs them). */
#define STATUS_HOSTKEY_FIELDS(X)					\
	X(type, STR, INFO, "the key type, as ssh names it: ssh-ed25519")	\
	X(fingerprint, STR, INFO, "SHA256:... as ssh-keygen -l prints it") \
	X(path, STR, INFO, "the private key file")

#define STATUS_POOL_FIELDS(X)						\
	X(listener, STR, LABEL, "the listener the pool serves")	\
	X(workers, INT, GAUGE, "worker processes")			\
	X(idle, INT, GAUGE, "workers ready for a session")		\
	X(busy, INT, GAUGE, "workers serving a session")		\
	X(starting, INT, GAUGE, "workers not ready yet")		\
	X(stopping, INT, GAUGE, "workers told to stop, or done")	\
	X(min_spare, INT, GAUGE, "configured min_spare")		\
	X(max_spare, INT, GAUGE, "configured max_spare")		\
	X(max_workers, INT, GAUGE, "configured max_workers")		\
	X(queued, INT, GAUGE, "connections waiting for a worker")	\
	X(spawned, INT, COUNTER, "workers started")			\
	X(unresponsive, INT, GAUGE, "workers that have not answered a " \
	    "ping within ping_timeout")					\
	X(detached, INT, GAUGE, "busy workers whose session is "	\
	    "detached: its client went away, it waits for a resume")

/* How worker processes ended, counted per pool: X(ENUM, json, words). */
#define STATUS_EXIT_KINDS(X)						\
	X(NORMAL, normal, "normal")					\
	X(BEFORE_READY, died_before_ready, "died before ready")		\
	X(CRASH, crashed, "crashed")					\
	X(SANDBOX, sandbox_violations, "sandbox violation")		\
	X(KILLED, killed, "killed")					\
	X(FAILED, failed, "failed")					\
	X(CPU, cpu_limit, "cpu limit")

#define STATUS_SESSIONS_FIELDS(X)					\
	X(active, INT, GAUGE, "sessions being served or queued")	\
	X(accepted, INT, COUNTER, "connections accepted: completed + "	\
	    "rejected + failed + active")				\
	X(completed, INT, COUNTER, "sessions that ended normally")	\
	X(rejected, INT, COUNTER, "connections refused (busy, "	\
	    "shutting down, waited too long)")				\
	X(failed, INT, COUNTER, "sessions whose worker died or was "	\
	    "killed")

#define STATUS_TENANT_FIELDS(X)						\
	X(active, INT, GAUGE, "the tenant's active sessions")		\
	X(accepted, INT, COUNTER, "the tenant's sessions so far")	\
	X(max_sessions, INT, GAUGE, "the tenant's sessions limit (0: "	\
	    "none)")							\
	X(refused, INT, COUNTER, "connections refused for the tenant's " \
	    "sessions limit")

/*
 * The supervisor's admission of connections (supervisor/admit.c): the
 * connections not yet in a session, the source table, and, below, the
 * refusals by the limit that refused them.
 */
#define STATUS_ADMISSION_FIELDS(X)					\
	X(startups, INT, GAUGE, "connections not yet in a session "	\
	    "(what max_startups counts)")				\
	X(sources, INT, GAUGE, "source addresses holding sessions or "	\
	    "serving a penalty")					\
	X(penalised, INT, GAUGE, "sources refused now for their penalty") \
	X(untracked, INT, COUNTER, "sources not tracked because the "	\
	    "table was full (penalty_sources)")

/* Connections refused before they became sessions: X(ENUM, json, words). */
#define STATUS_REFUSAL_KINDS(X)						\
	X(PENALTY, penalty, "the source is serving a penalty")		\
	X(SOURCE, sessions_per_source, "the source holds "		\
	    "sessions_per_source sessions")				\
	X(TENANT, sessions, "the tenant holds its sessions limit")	\
	X(STARTUPS, max_startups, "too many connections not yet in a "	\
	    "session")							\
	X(UNTRUSTED, proxy_untrusted, "a PROXY listener's peer is not "	\
	    "in proxy_trusted")

#define STATUS_WORKER_FIELDS(X)						\
	X(pid, INT, INFO, "the worker's process id")			\
	X(state, STR, LABEL, "starting, idle, busy, detached (its " \
	    "session's client went away; resumable) or stopping")	\
	X(listener, STR, LABEL, "its pool's listener")			\
	X(generation, INT, INFO, "the configuration generation of its " \
	    "hello")							\
	X(unresponsive_seconds, INT, INFO, "seconds since the ping it " \
	    "has not answered, once past ping_timeout; 0 while it answers")

#define STATUS_SESSION_FIELDS(X)					\
	X(id, INT, LABEL, "session id")					\
	X(tenant, STR, LABEL, "the tenant")				\
	X(peer, STR, INFO, "the client's address (behind a PROXY "	\
	    "listener, the one its header gave)")			\
	X(via, STR, INFO, "behind a PROXY listener: the load "	\
	    "balancer's address; else empty")				\
	X(transport, STR, INFO, "line or ssh")				\
	X(started, INT, INFO, "start time, seconds since the epoch")	\
	X(age_seconds, INT, GAUGE, "seconds since the start")		\
	X(idle_seconds, INT, GAUGE, "seconds since the client's last "	\
	    "complete line or command")					\
	X(bytes_in, INT, COUNTER, "bytes from the client")		\
	X(bytes_out, INT, COUNTER, "bytes to the client")		\
	X(instructions, INT, COUNTER, "VM instructions run")		\
	X(heap_bytes, INT, GAUGE, "VM heap in use")			\
	X(program_bytes, INT, GAUGE, "bytes of the loaded program")	\
	X(detached_seconds, INT, GAUGE, "seconds since the session was " \
	    "detached (its client went away; resumable); 0: attached")	\
	X(key_type, STR, INFO, "ssh: the type of the key that logged in " \
	    "(ED25519, ECDSA, RSA, ...); empty before the login and for " \
	    "line sessions")						\
	X(key_fingerprint, STR, INFO, "ssh: its SHA256 fingerprint, "	\
	    "from the key iridiumd itself accepted")			\
	X(cert_id, STR, INFO, "ssh: the key ID of the certificate "	\
	    "that logged in, escaped; empty: no certificate")		\
	X(cert_serial, STR, INFO, "ssh: its serial number, in decimal; " \
	    "empty: no certificate")					\
	X(kex, STR, INFO, "ssh: the key exchange method, as the worker " \
	    "reports it; empty before the key exchange")		\
	X(cipher, STR, INFO, "ssh: the cipher (server to client)")	\
	X(mac, STR, INFO, "ssh: the MAC; empty for an AEAD cipher")	\
	X(client, STR, INFO, "ssh: the client's version line "	\
	    "(SSH-2.0-...), escaped")					\
	X(recording, STR, INFO, "its recording, under record_dir "	\
	    "(TENANT/DATE/ID-PEER.cast); empty: not recorded (an ssh "	\
	    "session is from its login on)")

/* A C struct per object, one member per field, for the builder. */
#define STATUS_CTYPE_INT	int64_t
#define STATUS_CTYPE_STR	const char *
#define STATUS_MEMBER(n, t, k, h)	STATUS_CTYPE_##t n;

struct status_daemon	{ STATUS_DAEMON_FIELDS(STATUS_MEMBER) };
struct status_listener	{ STATUS_LISTENER_FIELDS(STATUS_MEMBER) };
struct status_hostkey	{ STATUS_HOSTKEY_FIELDS(STATUS_MEMBER) };
struct status_pool	{ STATUS_POOL_FIELDS(STATUS_MEMBER) };
struct status_sessions	{ STATUS_SESSIONS_FIELDS(STATUS_MEMBER) };
struct status_tenant	{ STATUS_TENANT_FIELDS(STATUS_MEMBER) };
struct status_admission	{ STATUS_ADMISSION_FIELDS(STATUS_MEMBER) };
struct status_worker	{ STATUS_WORKER_FIELDS(STATUS_MEMBER) };
struct status_session	{ STATUS_SESSION_FIELDS(STATUS_MEMBER) };

/*
 * The supervisor's own limits: what it checks before a connection may
 * become a session, and the penalties of sources whose sessions went
 * wrong (iridiumd's admission). The sibling of MSG_LIMITS, which travels to
 * the workers: these never leave the supervisor. They are [limits] keys;
 * scope TENANT ones may be overridden per [tenant NAME], SERVER ones are
 * server-wide (CK_SERVER: a [tenant] that sets one is an error). The
 * config keys, `iridiumd -T`, the example file, the reference table and
 * the status document's "limits" object (hence the metrics) derive from
 * this list. Each SOURCE_OFFENCES kind (below) has a penalty_ key in
 * it; the supervisor maps them with that list, so a missing one does not
 * compile.
 *
 * X(name, scope, type, min, max, default, description)
 */
#define SUP_LIMITS(X)							\
	X(sessions, TENANT, UINT, 0, 1000000, "64",			\
	    "concurrent sessions of one tenant, queued connections "	\
	    "included; more are refused with one line; 0: no limit")	\
	X(sessions_per_source, TENANT, UINT, 0, 1000000, "16",		\
	    "concurrent sessions from one source address (an IPv4 "	\
	    "address or an IPv6 /64; behind a PROXY listener, the "	\
	    "client's); ssh listeners apply [limits]' value; 0: no "	\
	    "limit")							\
	X(resume_window, TENANT, UINT, 0, 604800, "600",		\
	    "seconds an ssh session whose connection dropped (or whose "	\
	    "user typed !detach), or a line session that typed !detach, "	\
	    "stays detached, resumable by the same tenant (a line "	\
	    "session: by its token); it counts toward sessions "	\
	    "meanwhile; 0: a dropped session ends")			\
	X(history_lines, TENANT, UINT, 0, 10000, "500",		\
	    "lines of an ssh tenant's REPL history kept across its "	\
	    "sessions, in STATE_DIR/history/TENANT (at most 24 KiB); "	\
	    "0: none kept, each session has its own")			\
	X(max_startups, SERVER, STARTUPS, 0, 1000000, "64:30:256",	\
	    "connections not yet in a session (queued; ssh: not "	\
	    "logged in; PROXY: header not read), START:RATE:FULL as "	\
	    "sshd's MaxStartups: from START on, RATE percent are "	\
	    "refused, rising to all at FULL; N alone is N:100:N; 0: "	\
	    "no limit")							\
	X(source_exempt, SERVER, CIDRS, 0, 0, "127.0.0.1/32, ::1/128",	\
	    "sources never penalised nor capped per source: "		\
	    "ADDR[/BITS], comma separated (loopback is every local "	\
	    "user at once)")						\
	X(penalty_min, SERVER, UINT, 0, 86400, "15",			\
	    "seconds: a source is refused while its penalty has at "	\
	    "least this much left (0: any penalty refuses)")		\
	X(penalty_max, SERVER, UINT, 0, 86400, "600",			\
	    "seconds: repeated offences add up to at most this (0: "	\
	    "no penalties at all)")					\
	X(penalty_sources, SERVER, UINT, 1, 16777216, "65536",		\
	    "sources tracked at most; more go untracked (admitted)")	\
	X(penalty_crash, SERVER, UINT, 0, 86400, "90",			\
	    "seconds of penalty when a source's worker crashes (0: "	\
	    "none; likewise below)")					\
	X(penalty_sandbox, SERVER, UINT, 0, 86400, "300",		\
	    "seconds of penalty when a source's worker breaks the "	\
	    "sandbox")							\
	X(penalty_authfail, SERVER, UINT, 0, 86400, "5",		\
	    "seconds of penalty for a failed ssh login")		\
	X(penalty_grace, SERVER, UINT, 0, 86400, "20",			\
	    "seconds of penalty for an ssh login not done in "		\
	    "login_grace")						\
	X(penalty_protocol, SERVER, UINT, 0, 86400, "90",		\
	    "seconds of penalty when a source's worker breaks the "	\
	    "protocol")

/* Offences, each with its own penalty duration. */
#define SOURCE_OFFENCES(X)						\
	X(CRASH,	crash,		90,				\
	    "its worker crashed")					\
	X(SANDBOX,	sandbox,	300,				\
	    "its worker broke the sandbox")				\
	X(AUTHFAIL,	authfail,	5,				\
	    "it failed to authenticate")				\
	X(GRACE,	grace,		20,				\
	    "it did not authenticate within the login grace time")	\
	X(PROTOCOL,	protocol,	90,				\
	    "its worker broke the protocol")

#endif
