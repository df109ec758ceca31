/*
 * status.h: the status document iridiumd answers on its control socket
 * (`iridiumctl status --json`), described once.
 *
 * Each X-macro below lists the fields of one object of the document, in
 * order: X(name, type, kind, help). type is the JSON type (INT or STR);
 * kind says what a metric exporter makes of it: GAUGE and COUNTER fields
 * become metrics named iridium_<object>_<name> (counters with _total),
 * LABEL fields label the object's metrics, INFO fields are for people.
 * The supervisor's builder (supervisor/status.c) and iridiumctl's reader
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
 *                    "offences": { SOURCE_OFFENCES (source.h) } },
 *     "limits":   { SUP_LIMITS (config.h): numbers, or text },
 *     "workers":  [ { STATUS_WORKER_FIELDS,
 *                     "session": null | { STATUS_SESSION_FIELDS } } ]
 *   }
 *
 * Adding a field is one line here plus the line in status.c that fills
 * it; renaming or removing one bumps STATUS_SCHEMA_VERSION.
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
	X(reload_failures, INT, COUNTER, "reloads refused for errors")

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
	    "ping within ping_timeout")

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
	X(state, STR, LABEL, "starting, idle, busy or stopping")	\
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
	X(key_type, STR, INFO, "ssh: the type of the key that logged in " \
	    "(ED25519, ECDSA, RSA, ...); empty before the login and for " \
	    "line sessions")						\
	X(key_fingerprint, STR, INFO, "ssh: its SHA256 fingerprint, "	\
	    "from the key iridiumd itself accepted")			\
	X(kex, STR, INFO, "ssh: the key exchange method, as the worker " \
	    "reports it; empty before the key exchange")		\
	X(cipher, STR, INFO, "ssh: the cipher (server to client)")	\
	X(mac, STR, INFO, "ssh: the MAC; empty for an AEAD cipher")	\
	X(client, STR, INFO, "ssh: the client's version line "	\
	    "(SSH-2.0-...), escaped")

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

struct daemon;

/* supervisor/status.c: the document, and its "workers" with a session. */
json_t	*status_document(struct daemon *);
json_t	*status_sessions(struct daemon *);

#endif
