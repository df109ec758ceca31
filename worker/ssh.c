/*
 * ssh.c: the ssh transport's connection half (see ssh_internal.h and
 * iridiumd(8), "THE SSH TRANSPORT"): libssh's server API on the socket the
 * supervisor handed over, in the sandbox.
 *
 * Before lock-down (ssh_prepare, from `hello`): libssh and OpenSSL set
 * up with nothing left to read from disk later: config files off, the
 * host keys imported from the PEM text in `hello`, logging routed to our
 * log sink (libssh's own logger would open /etc/localtime), one
 * RAND_bytes so OpenSSL's DRBG is seeded, the algorithm lists from hello.
 *
 * A session (ssh_serve): TCP_NODELAY, key exchange and authentication
 * within the login grace time, public keys only, each checked by the
 * supervisor (session_auth: the probe and again the signed attempt), at
 * most SSH_MAX_AUTH_TRIES failures with a delay after each, the same
 * answer for an unknown user as for a wrong key. Then one session
 * channel (worker/ssh_chan.c serves it); further channels, forwardings
 * and subsystems are refused, each logged and told to the client.
 *
 * One poll loop: libssh's ssh_event holds the client socket and the
 * supervisor's channel (fd 3); libssh callbacks only record what
 * happened (or, for authentication, ask the supervisor and wait briefly),
 * and everything that can take long runs outside them.
 */
#include <sys/socket.h>

#include <netinet/in.h>
#include <netinet/tcp.h>

#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bsd/string.h>
#include <openssl/crypto.h>
#include <openssl/rand.h>

#include "log.h"
#include "msg.h"
#include "ssh_internal.h"
#include "sshalgo.h"
#include "transport.h"

#define SSH_PEM_BEGIN	"-----BEGIN "
#define SSH_PEM_END	"-----END "

/*
 * The one object that must exist before lock-down and outlive it: the
 * bind holding the host keys and algorithm lists. The transport
 * interface has no context between prepare() and serve(), and a worker
 * serves one session, so it lives here.
 */
static ssh_bind	 ssh_bindp;

/* --- before lock-down ------------------------------------------------------- */

/*
 * libssh's log level as configured (from hello's); while a client
 * authenticates libssh traces (ssh_auth.c), and what is past this level
 * is read there and not logged. Log configuration: a global.
 */
static int	 ssh_log_level = SSH_LOG_WARNING;

/* libssh's log lines, into ours (and so to the supervisor). */
static void
ssh_log_cb(int priority, const char *function, const char *buffer,
    void *userdata)
{
	if (userdata != NULL)
		ssh_auth_log(userdata, function, buffer);
	if (priority > ssh_log_level)
		return;
	/* libssh's "warnings" are mostly what a client did or undid. */
	log_msg(priority <= SSH_LOG_WARNING ? LOG_INFO : LOG_DEBUG,
	    "libssh: %s", buffer);
}

void
ssh_log_trace(bool on)
{
	ssh_set_log_level(on ? SSH_LOG_TRACE : ssh_log_level);
}

/* Import each PEM block of text (one or more host keys) into the bind. */
static int
ssh_import_keys(const char *text, char *err, size_t errlen)
{
	const char		*p, *end, *next;
	enum ssh_keytypes_e	 type;
	ssh_key			 key;
	char			*pem;
	bool			 ed25519 = false;
	int			 n = 0;

	for (p = strstr(text, SSH_PEM_BEGIN); p != NULL; p = next) {
		if ((end = strstr(p, SSH_PEM_END)) == NULL ||
		    (end = strstr(end + strlen(SSH_PEM_END), "-----")) == NULL) {
			snprintf(err, errlen, "hostkey: PEM block %d has no "
			    "end line", n + 1);
			return -1;
		}
		end += 5;
		next = strstr(end, SSH_PEM_BEGIN);
		if ((pem = strndup(p, (size_t)(end - p))) == NULL) {
			snprintf(err, errlen, "hostkey: out of memory");
			return -1;
		}
		key = NULL;
		if (ssh_pki_import_privkey_base64(pem, NULL, NULL, NULL,
		    &key) != SSH_OK || key == NULL) {
			explicit_bzero(pem, strlen(pem));
			free(pem);
			snprintf(err, errlen, "hostkey: key %d is not a private "
			    "key libssh can read (unencrypted OpenSSH or PEM)",
			    n + 1);
			return -1;
		}
		explicit_bzero(pem, strlen(pem));
		free(pem);
		type = ssh_key_type(key);
		if (type == SSH_KEYTYPE_ED25519)
			ed25519 = true;
		else if (type != SSH_KEYTYPE_ECDSA_P256 &&
		    type != SSH_KEYTYPE_ECDSA_P384 &&
		    type != SSH_KEYTYPE_ECDSA_P521 && type != SSH_KEYTYPE_RSA) {
			snprintf(err, errlen, "hostkey: key %d: type %s is "
			    "not served", n + 1, ssh_key_type_to_char(type));
			ssh_key_free(key);
			return -1;
		}
		/* The bind takes the key over. */
		if (ssh_bind_options_set(ssh_bindp, SSH_BIND_OPTIONS_IMPORT_KEY,
		    key) != SSH_OK) {
			snprintf(err, errlen, "hostkey: key %d: %s", n + 1,
			    ssh_get_error(ssh_bindp));
			ssh_key_free(key);
			return -1;
		}
		n++;
	}
	if (!ed25519) {
		snprintf(err, errlen, "hostkey: no ed25519 key among the %d "
		    "given", n);
		return -1;
	}
	return n;
}

static int
ssh_bind_set(enum ssh_bind_options_e opt, const char *name, const void *v,
    char *err, size_t errlen)
{
	if (ssh_bind_options_set(ssh_bindp, opt, v) == SSH_OK)
		return 0;
	snprintf(err, errlen, "libssh option %s: %s", name,
	    ssh_get_error(ssh_bindp));
	return -1;
}

static int
ssh_prepare(const struct msg_hello *h, char *err, size_t errlen)
{
	unsigned char	 seed[32];
	bool		 no = false;
	int		 level;

	if (h->hostkey == NULL || h->kex == NULL || h->ciphers == NULL ||
	    h->macs == NULL || h->hostkey_algorithms == NULL) {
		snprintf(err, errlen, "hello carries no host key or no "
		    "algorithm lists");
		return -1;
	}
	/* Before anything in libssh can log: never its default logger. */
	ssh_set_log_callback(ssh_log_cb);
	level = h->log_level >= LOG_DEBUG ? SSH_LOG_PROTOCOL : SSH_LOG_WARNING;
	ssh_log_level = level;
	ssh_set_log_level(level);
	/*
	 * OpenSSL first, without the system's openssl.cnf: nothing there is
	 * for us (the algorithms are pinned below), and reading and parsing
	 * it cost each worker about a millisecond of CPU. Nor its error
	 * strings: OpenSSL loads its whole table (thousands of hash inserts,
	 * ~0.3 ms) the first time any thread touches the error queue, which
	 * the DRBG does below. An OpenSSL error that reaches a log through
	 * libssh then reads "error:1E08010C:lib(30)::reason(268)", which
	 * `openssl errstr 1E08010C` turns back into words.
	 */
	if (OPENSSL_init_crypto(OPENSSL_INIT_NO_LOAD_CONFIG |
	    OPENSSL_INIT_NO_LOAD_CRYPTO_STRINGS, NULL) != 1) {
		snprintf(err, errlen, "OPENSSL_init_crypto failed");
		return -1;
	}
	if (ssh_init() != SSH_OK) {
		snprintf(err, errlen, "ssh_init failed");
		return -1;
	}
	/* Seed OpenSSL's DRBG now: later it may only reseed (getrandom). */
	if (RAND_bytes(seed, sizeof(seed)) != 1) {
		snprintf(err, errlen, "RAND_bytes failed: OpenSSL has no "
		    "entropy");
		return -1;
	}
	explicit_bzero(seed, sizeof(seed));
	if ((ssh_bindp = ssh_bind_new()) == NULL) {
		snprintf(err, errlen, "ssh_bind_new: out of memory");
		return -1;
	}
	/* No /etc/ssh/libssh_server_config, whatever it says. */
	if (ssh_bind_set(SSH_BIND_OPTIONS_PROCESS_CONFIG, "PROCESS_CONFIG",
	    &no, err, errlen) == -1 ||
	    ssh_bind_set(SSH_BIND_OPTIONS_LOG_VERBOSITY, "LOG_VERBOSITY",
	    &level, err, errlen) == -1 ||
	    ssh_import_keys(h->hostkey, err, errlen) == -1 ||
	    ssh_bind_set(SSH_BIND_OPTIONS_HOSTKEY_ALGORITHMS,
	    "HOSTKEY_ALGORITHMS", h->hostkey_algorithms, err, errlen) == -1 ||
	    ssh_bind_set(SSH_BIND_OPTIONS_KEY_EXCHANGE, "KEY_EXCHANGE",
	    h->kex, err, errlen) == -1 ||
	    ssh_bind_set(SSH_BIND_OPTIONS_CIPHERS_C_S, "CIPHERS_C_S",
	    h->ciphers, err, errlen) == -1 ||
	    ssh_bind_set(SSH_BIND_OPTIONS_CIPHERS_S_C, "CIPHERS_S_C",
	    h->ciphers, err, errlen) == -1 ||
	    ssh_bind_set(SSH_BIND_OPTIONS_HMAC_C_S, "HMAC_C_S", h->macs,
	    err, errlen) == -1 ||
	    ssh_bind_set(SSH_BIND_OPTIONS_HMAC_S_C, "HMAC_S_C", h->macs,
	    err, errlen) == -1 ||
	    ssh_bind_set(SSH_BIND_OPTIONS_PUBKEY_ACCEPTED_KEY_TYPES,
	    "PUBKEY_ACCEPTED_KEY_TYPES", SSH_USERKEYS, err, errlen) == -1)
		return -1;
	return 0;
}

/* --- helpers for both halves ------------------------------------------- */

void
ssh_broken(struct sshc *c, const char *what)
{
	if (!c->broken)
		log_debug("session %lld: %s: %s", (long long)c->s->id, what,
		    ssh_get_error(c->ss));
	c->broken = true;
	c->s->gone = true;
	if (c->s->reason == NULL)
		c->s->reason = c->authed || c->failures == 0 ?
		    SESSION_END_HANGUP : SESSION_END_AUTH;
}

/*
 * The supervisor said to end: why, in its words ("server shutting down",
 * "session ended by the administrator", a tenant's session limit), on
 * the channel and in the DISCONNECT.
 */
void
ssh_shutdown_bye(struct sshc *c)
{
	if (c->s->reason != NULL)
		return;
	/* Without a trailing stop or line end, for both uses. */
	session_shutdown_words(c->s, c->bye_buf, sizeof(c->bye_buf));
	c->bye_msg = c->bye_buf;
	session_bye(c->s, SESSION_END_SHUTDOWN, "%s. Goodbye!", c->bye_buf);
}

uint64_t
ssh_until(const struct sshc *c, uint64_t ms)
{
	uint64_t	 until = session_now() + ms;

	if (c->s->shutdown && c->s->shutdown_by < until)
		until = c->s->shutdown_by;
	return until;
}

/* The supervisor's channel is readable: answer it from the loop. */
static int
ssh_chan_event(socket_t fd, int revents, void *arg)
{
	struct sshc	*c = arg;

	(void)fd;
	(void)revents;
	session_answer(c->s);
	return 0;
}

void
ssh_turn(struct sshc *c, int timeout)
{
	int	 rc, e;

	if (c->broken)
		return;
	if (c->chan != NULL)
		ssh_chan_flush(c);
	rc = ssh_event_dopoll(c->ev, timeout);
	e = errno;
	c->s->bytes_in = c->raw.in_bytes;
	c->s->bytes_out = c->raw.out_bytes;
	/* A closed socket also makes dopoll fail: look at the session. */
	if ((ssh_get_status(c->ss) & (SSH_CLOSED | SSH_CLOSED_ERROR)) != 0) {
		ssh_broken(c, "connection closed");
		return;
	}
	if (rc == SSH_ERROR && e != EINTR) {
		log_warnx("session %lld: event loop: %s", (long long)c->s->id,
		    e != 0 ? strerror(e) : ssh_get_error(c->ss));
		c->broken = true;
		c->s->gone = true;
		if (c->s->reason == NULL)
			c->s->reason = SESSION_END_ERROR;
		return;
	}
	if (c->chan != NULL)
		ssh_chan_flush(c);
	(void)session_tick(c->s);
}

/* --- requests ------------------------------------------------------------ */

/*
 * What no callback took: other authentication methods, channel types,
 * global and channel requests. Logged (and counted, for authentication),
 * then answered by libssh's default: a refusal.
 */
static int
ssh_cb_message(ssh_session ss, ssh_message m, void *arg)
{
	struct sshc	*c = arg;
	char		 note[160];
	int		 type = ssh_message_type(m);
	int		 sub = ssh_message_subtype(m);

	(void)ss;
	switch (type) {
	case SSH_REQUEST_AUTH:
		/* After the login ended: no answer; the DISCONNECT comes. */
		if (!c->authed && ssh_auth_over(c))
			return 0;
		ssh_auth_message(c, m);
		break;
	case SSH_REQUEST_CHANNEL_OPEN:
		c->refused++;
		snprintf(note, sizeof(note), "refused a %s channel: only one "
		    "session channel per connection; no forwarding",
		    sub == SSH_CHANNEL_DIRECT_TCPIP ? "direct-tcpip" :
		    sub == SSH_CHANNEL_FORWARDED_TCPIP ? "forwarded-tcpip" :
		    sub == SSH_CHANNEL_X11 ? "x11" :
		    sub == SSH_CHANNEL_AUTH_AGENT ? "auth-agent" : "non-session");
		log_info("session %lld: %s", (long long)c->s->id, note);
		ssh_chan_notice(c, note);
		break;
	case SSH_REQUEST_GLOBAL:
		if (sub == SSH_GLOBAL_REQUEST_KEEPALIVE)
			break;
		log_info("session %lld: refused a global request (%s): no "
		    "forwarding", (long long)c->s->id,
		    sub == SSH_GLOBAL_REQUEST_TCPIP_FORWARD ? "tcpip-forward" :
		    "other");
		ssh_chan_notice(c, "refused a port forwarding request: this server "
		    "forwards nothing");
		break;
	case SSH_REQUEST_CHANNEL:
		log_debug("session %lld: refused channel request %d",
		    (long long)c->s->id, sub);
		break;
	default:
		break;
	}
	return 1;
}

static ssh_channel
ssh_cb_channel_open(ssh_session ss, void *arg)
{
	struct sshc	*c = arg;
	const char	*note = "refused a second session channel: one "
	    "session channel per connection";

	if (!c->authed || c->s->reason != NULL)
		return NULL;
	if (c->chan != NULL) {
		c->refused++;
		log_info("session %lld: %s", (long long)c->s->id, note);
		ssh_chan_notice(c, note);
		return NULL;
	}
	if ((c->chan = ssh_channel_new(ss)) == NULL) {
		log_warnx("session %lld: ssh_channel_new: out of memory",
		    (long long)c->s->id);
		return NULL;
	}
	ssh_chan_callbacks(c);
	(void)session_line_done(c->s);
	return c->chan;
}

/* --- the connection ------------------------------------------------------ */

/*
 * When the login grace time ends: limits.login_grace (the supervisor's
 * [limits], the tenant being unknown before login) after the start; 0
 * is no limit, as sshd's LoginGraceTime 0.
 */
static uint64_t
ssh_grace_end(const struct session *s)
{
	if (s->limits.login_grace == 0)
		return UINT64_MAX;
	return session_now() + s->limits.login_grace * 1000;
}

static void
ssh_end_login(struct sshc *c, const char *disconnect, const char *why)
{
	log_notice("session %lld: %s from %s%s%s: disconnecting",
	    (long long)c->s->id, why, c->s->peer, c->user[0] != '\0' ?
	    " for " : "", c->user);
	c->bye_msg = disconnect;
	c->s->reason = SESSION_END_AUTH;
	(void)ssh_auth_over(c);
}

/* The DISCONNECT's words for why the session ended. */
static const char *
ssh_bye_reason(const char *reason)
{
	static const struct {
		const char	*reason, *words;
	} t[] = {
		{ SESSION_END_IDLE, "Idle timeout" },
		{ SESSION_END_LINE, "Line not finished in time" },
		{ SESSION_END_LIFETIME, "Session lifetime reached" },
		{ SESSION_END_SHUTDOWN, "Server shutting down" },
		{ SESSION_END_CPU, "CPU time limit reached" },
		{ SESSION_END_OUTPUT, "Output limit reached" },
		{ SESSION_END_ERROR, "Internal error" },
		{ SESSION_END_AUTH, "Authentication failed" },
	};
	size_t	 i;

	for (i = 0; reason != NULL && i < sizeof(t) / sizeof(t[0]); i++)
		if (strcmp(reason, t[i].reason) == 0)
			return t[i].words;
	return "Session ended";
}

/*
 * The end of the connection, with SSH_MSG_DISCONNECT where it helps.
 *
 * After a channel's close most clients hang up themselves at once
 * (OpenSSH, PuTTY, dropbear), and PuTTY takes a DISCONNECT that arrives
 * while it does so for a fatal error: so they get a moment for it first,
 * and only a client still connected after it (one that keeps its
 * connection, as paramiko's users do until they close it) gets the
 * DISCONNECT, by application, with the reason. Without a channel (a
 * refused login, the grace time) the DISCONNECT comes at once: it
 * carries the reason the client should print.
 *
 * libssh writes a packet at once only after a poll said the socket is
 * writable, and ssh_disconnect() closes the socket right after queueing
 * its packet: whatever is still queued then (our CLOSE, a refusal, the
 * DISCONNECT itself) would be lost, and the client would see the
 * connection drop. So everything queued goes out first, one more poll,
 * then the DISCONNECT, written at once; the socket stays ours
 * (SSH_OPTIONS_FD keeps ssh_disconnect() from closing it), is shut for
 * writing and read until the client closes it too, briefly, so that
 * nothing it still sends is answered with a reset, which would destroy
 * the DISCONNECT before the client reads it.
 */
static void
ssh_bye(struct sshc *c, bool in_event)
{
	uint64_t	 now, until;
	socket_t	 fd = ssh_get_fd(c->ss);

	if (c->broken || fd == SSH_INVALID_SOCKET ||
	    (ssh_get_status(c->ss) & (SSH_CLOSED | SSH_CLOSED_ERROR)) != 0 ||
	    (!in_event && ssh_event_add_session(c->ev, c->ss) != SSH_OK)) {
		ssh_disconnect(c->ss);
		return;
	}
	until = ssh_until(c, SSH_FLUSH_MS);
	while (!c->broken && (ssh_get_poll_flags(c->ss) &
	    SSH_WRITE_PENDING) != 0 && (now = session_now()) < until)
		ssh_turn(c, (int)(until - now));
	if (c->chan != NULL) {
		until = ssh_until(c, SSH_LINGER_MS);
		while (!c->broken && (now = session_now()) < until)
			ssh_turn(c, (int)(until - now));
	}
	if (!c->broken)
		(void)ssh_event_dopoll(c->ev, 0);
	(void)ssh_event_remove_session(c->ev, c->ss);
	if (c->broken || (ssh_get_status(c->ss) & (SSH_CLOSED |
	    SSH_CLOSED_ERROR)) != 0 ||
	    (fd = ssh_get_fd(c->ss)) == SSH_INVALID_SOCKET ||
	    ssh_options_set(c->ss, SSH_OPTIONS_FD, &fd) != SSH_OK) {
		ssh_disconnect(c->ss);
		return;
	}
	ssh_session_set_disconnect_message(c->ss, c->bye_msg != NULL ?
	    c->bye_msg : ssh_bye_reason(c->s->reason));
	ssh_disconnect(c->ss);
	log_debug("session %lld: disconnect sent", (long long)c->s->id);
	(void)session_linger(fd, ssh_until(c, SSH_DRAIN_MS));
	close(fd);
}

/* Key exchange, by hand: the session is not in the event yet. */
static int
ssh_kex(struct sshc *c)
{
	struct pollfd	 pfd[2];
	uint64_t	 now;
	int		 rc, n;

	for (;;) {
		rc = ssh_handle_key_exchange(c->ss);
		if (rc == SSH_OK)
			return 0;
		if (rc == SSH_ERROR) {
			/* Scanners and clients with nothing in common. */
			log_info("session %lld: key exchange with %s failed: "
			    "%s", (long long)c->s->id, c->s->peer,
			    ssh_get_error(c->ss));
			c->broken = true;
			c->s->reason = SESSION_END_HANGUP;
			return -1;
		}
		if ((now = session_now()) >= c->grace_end) {
			ssh_end_login(c, "Login grace time exceeded",
			    "no key exchange within the login grace time");
			return -1;
		}
		pfd[0].fd = ssh_get_fd(c->ss);
		pfd[0].events = POLLIN;
		if ((ssh_get_poll_flags(c->ss) & SSH_WRITE_PENDING) != 0)
			pfd[0].events |= POLLOUT;
		pfd[1].fd = MSG_CHAN_FD;
		pfd[1].events = POLLIN;
		n = poll(pfd, 2, c->grace_end - now > 1000 ? 1000 :
		    (int)(c->grace_end - now));
		if (n == -1 && errno != EINTR) {
			log_warn("session %lld: poll", (long long)c->s->id);
			c->s->reason = SESSION_END_ERROR;
			return -1;
		}
		if (n > 0 && pfd[1].revents != 0) {
			(void)ssh_chan_event(MSG_CHAN_FD, pfd[1].revents, c);
			if (c->s->reason != NULL)
				return -1;
		}
	}
}

/*
 * What the key exchange settled on, to the supervisor (status, metrics)
 * and the log. Names outside sshalgo.h's lists cannot be (hello's lists
 * are made of them); a version line is cut to printable ASCII.
 */
static void
ssh_negotiated(struct sshc *c)
{
	struct msg_negotiated	 n;
	const char		*kex = ssh_get_kex_algo(c->ss);
	const char		*cipher = ssh_get_cipher_out(c->ss);
	const char		*mac = ssh_get_hmac_out(c->ss);
	const char		*client = ssh_get_clientbanner(c->ss);
	size_t			 i;

	memset(&n, 0, sizeof(n));
	if (kex == NULL || cipher == NULL || mac == NULL || client == NULL ||
	    sshalgo_index(SSHALGO_KIND_KEX, kex, strlen(kex)) == -1 ||
	    sshalgo_index(SSHALGO_KIND_CIPHER, cipher, strlen(cipher)) == -1)
		return;
	strlcpy(n.kex, kex, sizeof(n.kex));
	strlcpy(n.cipher, cipher, sizeof(n.cipher));
	/* libssh names an AEAD cipher's integrity "aead-...". */
	if (strncmp(mac, "aead-", 5) != 0) {
		if (sshalgo_index(SSHALGO_KIND_MAC, mac, strlen(mac)) == -1)
			return;
		strlcpy(n.mac, mac, sizeof(n.mac));
	}
	strlcpy(n.client, client, sizeof(n.client));
	for (i = 0; n.client[i] != '\0'; i++)
		if (n.client[i] < ' ' || n.client[i] > '~')
			n.client[i] = '?';
	if (strncmp(n.client, "SSH-", 4) != 0)
		return;
	log_debug("session %lld: %s, %s%s%s, client %s", (long long)c->s->id,
	    n.kex, n.cipher, n.mac[0] != '\0' ? " with " : "", n.mac,
	    n.client);
	session_negotiated(c->s, &n);
}

/*
 * Authentication, the channel and its shell or exec request, within the
 * grace time (authentication) and the idle limit (after it).
 */
static int
ssh_login(struct sshc *c)
{
	uint64_t	 now, until;

	while (c->s->reason == NULL) {
		if (c->authed && c->mode != SSH_MODE_NONE)
			return 0;
		if (c->chan != NULL && c->chan_closed) {
			/* Closed before a shell or command: done. */
			c->s->reason = SESSION_END_HANGUP;
			return 0;
		}
		now = session_now();
		if (!c->authed && c->failures >= SSH_MAX_AUTH_TRIES) {
			ssh_end_login(c, "Too many authentication failures",
			    "too many authentication failures");
			break;
		}
		if (!c->authed && now >= c->grace_end) {
			ssh_end_login(c, "Login grace time exceeded",
			    "no login within the login grace time");
			break;
		}
		until = c->authed ? (c->s->limits.idle != 0 ? c->s->idle_since +
		    c->s->limits.idle * 1000 : now + 60000) : c->grace_end;
		if (c->authed && now >= until) {
			log_info("session %lld: no shell or command requested "
			    "within the idle limit", (long long)c->s->id);
			c->bye_msg = "Idle timeout";
			c->s->reason = SESSION_END_IDLE;
			break;
		}
		ssh_turn(c, until - now > 1000 ? 1000 : (int)(until - now));
	}
	return -1;
}

static const char *
ssh_serve(struct session *s)
{
	struct sshc	 c;
	bool		 in_event = false;
	int		 one = 1, fd = s->client;

	memset(&c, 0, sizeof(c));
	c.s = s;
	ssh_chan_init(&c);
	c.status = 1;
	c.grace_end = ssh_grace_end(s);
	s->client = -1;		/* libssh owns it from here on */
	if (setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one,
	    sizeof(one)) == -1)
		log_debug("session %lld: TCP_NODELAY: %s", (long long)s->id,
		    strerror(errno));
	if ((c.ss = ssh_new()) == NULL || (c.ev = ssh_event_new()) == NULL) {
		log_warnx("session %lld: libssh: out of memory",
		    (long long)s->id);
		close(fd);
		ssh_free(c.ss);
		return SESSION_END_ERROR;
	}
	if (ssh_bind_accept_fd(ssh_bindp, c.ss, fd) != SSH_OK) {
		log_warnx("session %lld: ssh_bind_accept_fd: %s",
		    (long long)s->id, ssh_get_error(ssh_bindp));
		close(fd);
		ssh_event_free(c.ev);
		ssh_free(c.ss);
		return SESSION_END_ERROR;
	}
	/* libssh offers zlib@openssh.com unless told; the bind cannot. */
	if (ssh_options_set(c.ss, SSH_OPTIONS_COMPRESSION_C_S, "none") < 0 ||
	    ssh_options_set(c.ss, SSH_OPTIONS_COMPRESSION_S_C, "none") < 0) {
		log_warnx("session %lld: cannot turn compression off: %s",
		    (long long)s->id, ssh_get_error(c.ss));
		ssh_event_free(c.ev);
		ssh_free(c.ss);
		return SESSION_END_ERROR;
	}
	ssh_set_counters(c.ss, &c.raw, NULL);
	ssh_set_blocking(c.ss, 0);
	ssh_set_auth_methods(c.ss, SSH_AUTH_METHOD_PUBLICKEY);
	c.scb.userdata = &c;
	ssh_auth_callbacks(&c);
	c.scb.channel_open_request_session_function = ssh_cb_channel_open;
	ssh_callbacks_init(&c.scb);
	ssh_set_server_callbacks(c.ss, &c.scb);
	ssh_set_message_callback(c.ss, ssh_cb_message, &c);

	if (ssh_event_add_fd(c.ev, MSG_CHAN_FD, POLLIN, ssh_chan_event,
	    &c) != SSH_OK) {
		log_warnx("session %lld: ssh_event_add_fd failed",
		    (long long)s->id);
		s->reason = SESSION_END_ERROR;
	} else if (ssh_kex(&c) == 0) {
		ssh_negotiated(&c);
		ssh_set_log_userdata(&c);
		if (ssh_auth_begin(&c) == -1)
			s->reason = SESSION_END_ERROR;
		else if (ssh_event_add_session(c.ev, c.ss) != SSH_OK) {
			log_warnx("session %lld: ssh_event_add_session failed",
			    (long long)s->id);
			s->reason = SESSION_END_ERROR;
		} else {
			in_event = true;
			if (ssh_login(&c) == 0)
				ssh_chan_serve(&c);
		}
	}
	(void)ssh_event_remove_fd(c.ev, MSG_CHAN_FD);
	ssh_log_trace(false);
	ssh_set_log_userdata(NULL);
	if (s->reason == NULL)
		s->reason = SESSION_END_ERROR;
	if (c.refused > 0)
		log_info("session %lld: %d channel(s) refused",
		    (long long)s->id, c.refused);
	ssh_bye(&c, in_event);
	ssh_chan_free(&c);
	ssh_event_free(c.ev);
	ssh_free(c.ss);
	/* A detached session waits without the host keys: nothing to sign. */
	if (s->kept != NULL) {
		ssh_bind_free(ssh_bindp);
		ssh_bindp = NULL;
	}
	s->bytes_in = c.raw.in_bytes;
	s->bytes_out = c.raw.out_bytes;
	return s->reason;
}

const struct transport transport_ssh = {
	.name = "ssh",
	.prepare = ssh_prepare,
	.serve = ssh_serve,
};
