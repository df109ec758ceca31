/*
 * ssh_exec.c: what runs behind the ssh session channel (see
 * ssh_internal.h): the REPL and its callbacks, the shell's lines, and the
 * exec commands "run" (a program on stdin, its exit status ours), "check"
 * (assemble only: 0 or 65) and any other command as one REPL line (exit
 * status 1 when the REPL reported an error). worker/ssh_chan.c moves the
 * bytes; this file decides what they mean.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "asm.h"
#include "buf.h"
#include "image.h"
#include "log.h"
#include "msg.h"
#include "repl.h"
#include "run.h"
#include "ssh_internal.h"
#include "transport.h"

/* --- the REPL's callbacks -------------------------------------------------- */

static int
ssh_repl_write(void *arg, const char *p, size_t n)
{
	return ssh_out(arg, SSH_OUT, p, n);
}

/* CPU and lifetime: checked in the loop and at every poll checkpoint. */
void
ssh_check(struct sshc *c)
{
	const struct msg_limits	*lim = &c->s->limits;
	char			 msg[128];

	if (c->reason != NULL)
		return;
	if (session_cpu_spent(c->s)) {
		log_info("session %lld: CPU limit of %llu s reached",
		    (long long)c->s->id, (unsigned long long)lim->cpu);
		snprintf(msg, sizeof(msg), "CPU time limit of %llu seconds "
		    "reached. Goodbye!", (unsigned long long)lim->cpu);
		ssh_chan_bye(c, SESSION_END_CPU, msg);
	} else if (lim->lifetime != 0 &&
	    session_now() - c->s->start >= lim->lifetime * 1000) {
		snprintf(msg, sizeof(msg), "Session lifetime of %llu seconds "
		    "reached. Goodbye!", (unsigned long long)lim->lifetime);
		ssh_chan_bye(c, SESSION_END_LIFETIME, msg);
	}
}

enum repl_poll
ssh_repl_poll(void *arg)
{
	struct sshc	*c = arg;

	if (c->reason == NULL) {
		ssh_turn(c, 0);
		(void)ssh_pull(c);
		ssh_check(c);
		if (c->repl != NULL)
			repl_stats(c->repl, &c->s->vm);
	}
	if (c->reason != NULL || c->chan_closed)
		return REPL_POLL_HANGUP;
	if (c->interrupt || c->sigint) {
		c->interrupt = false;
		c->sigint = false;
		return REPL_POLL_INTERRUPT;
	}
	return REPL_POLL_GO;
}

static void
ssh_repl_limits(void *arg, struct buf *out)
{
	struct sshc	*c = arg;

	buf_printf(out, "transport:    ssh, tenant %s%s%s\n", c->s->tenant,
	    c->pty ? ", pty " : "", c->pty ? c->term : "");
	session_limits_report(c->s, c->produced, out);
}

/* --- commands ---------------------------------------------------------------- */

/* One line to the REPL (or a test hook). */
static enum repl_result
ssh_command(struct sshc *c, const char *p, size_t n)
{
	enum repl_result rv;
	struct buf	 reply;

	if (c->s->hooks != NULL) {
		buf_init(&reply, 0);
		if (c->s->hooks->line(c->s, p, n, &reply) == 1) {
			ssh_text(c, SSH_OUT, "%s", reply.data != NULL ?
			    reply.data : "");
			buf_free(&reply);
			return REPL_CONTINUE;
		}
		buf_free(&reply);
	}
	c->running = true;
	rv = repl_feed(c->repl, p, n);
	c->running = false;
	c->interrupt = false;
	c->sigint = false;
	c->active = session_line_done(c->s);
	c->idle_warned = false;
	repl_stats(c->repl, &c->s->vm);
	if (c->dropped > 0 && c->reason == NULL) {
		ssh_text(c, SSH_OUT, "%s(%llu bytes of output dropped after "
		    "the interrupt)\n", c->lastout != '\n' ? "\n" : "",
		    (unsigned long long)c->dropped);
		c->dropped = 0;
	}
	if (rv == REPL_HANGUP && c->reason == NULL) {
		log_warnx("session %lld: the REPL gave up (out of memory?)",
		    (long long)c->s->id);
		ssh_chan_bye(c, SESSION_END_ERROR, "Internal error. Goodbye!");
	}
	return rv;
}

/* The shell: hand every complete line to the REPL, as the line transport. */
void
ssh_drain(struct sshc *c)
{
	const char	*p;
	size_t		 i;

	while (c->reason == NULL && c->inq.len > 0) {
		p = c->inq.data;
		if (c->after_cr) {
			c->after_cr = false;
			if (p[0] == '\n' || p[0] == '\0') {
				buf_consume(&c->inq, 1);
				continue;
			}
		}
		for (i = 0; i < c->inq.len && p[i] != '\n' && p[i] != '\r'; i++)
			continue;
		if (i == c->inq.len) {
			if (c->discarding || i > c->s->limits.line_max) {
				c->discarding = true;
				buf_consume(&c->inq, i);
			}
			break;
		}
		c->after_cr = p[i] == '\r';
		if (c->discarding || i > c->s->limits.line_max) {
			buf_consume(&c->inq, i + 1);
			c->discarding = false;
			(void)repl_feed_dropped(c->repl, c->s->limits.line_max);
			ssh_prompt(c);
			continue;
		}
		buf_reset(&c->cur);
		if (buf_append(&c->cur, p, i) == -1) {
			ssh_end(c, SESSION_END_ERROR);
			break;
		}
		/* The REPL may pull more input into the queue: consume first. */
		buf_consume(&c->inq, i + 1);
		switch (ssh_command(c, c->cur.data != NULL ? c->cur.data : "",
		    c->cur.len)) {
		case REPL_CONTINUE:
			ssh_prompt(c);
			break;
		case REPL_QUIT:
			c->status = 0;
			ssh_end(c, SESSION_END_QUIT);
			break;
		case REPL_HANGUP:
			break;
		}
	}
}

static void
ssh_run_message(void *arg, enum run_msg kind, const char *msg)
{
	struct sshc	*c = arg;

	if (kind == RUN_MSG_ASM)
		ssh_text(c, SSH_ERR, "%s\n", msg);
	else
		ssh_text(c, SSH_ERR, "%s: %s\n", SSH_RUN_NAME, msg);
}

static int
ssh_run_output(void *arg, const uint8_t *p, size_t n)
{
	return ssh_out(arg, SSH_OUT, (const char *)p, n);
}

/* exec "run": the program came on stdin; its exit status is ours. */
void
ssh_exec_run(struct sshc *c)
{
	const struct msg_limits	*lim = &c->s->limits;
	struct run_config	 cfg;
	struct run_result	 res;
	struct run_io		 io;

	memset(&cfg, 0, sizeof(cfg));
	cfg.budget = lim->budget;
	cfg.heap_bytes = (uint32_t)lim->heap;
	cfg.stack_depth = (uint32_t)lim->stack;
	cfg.name = SSH_RUN_NAME;
	memset(&io, 0, sizeof(io));
	io.output = ssh_run_output;
	io.message = ssh_run_message;
	io.poll = ssh_repl_poll;
	io.arg = c;
	c->running = true;
	c->status = run_program(&cfg, &io, c->prog.data != NULL ?
	    c->prog.data : "", c->prog.len, &res);
	c->running = false;
	c->s->vm.instructions = res.instructions;
	c->s->vm.heap_bytes = res.heap_bytes;
	c->s->vm.commands = 1;
	c->s->vm.program_bytes = (uint32_t)c->prog.len;
	if (c->dropped > 0 && c->reason == NULL)
		ssh_text(c, SSH_ERR, "(%llu bytes of output dropped after the "
		    "interrupt)\n", (unsigned long long)c->dropped);
}

/* exec "check": assemble only; 0, or 65 with every error on stderr. */
void
ssh_exec_check(struct sshc *c)
{
	struct asm_prog	 prog;
	struct asm_diags d;
	struct image	 img;
	struct buf	 b;
	char		 msg[1024];
	size_t		 i;
	const char	*src = c->prog.data != NULL ? c->prog.data : "";
	const uint8_t	*bytes = (const uint8_t *)src;

	c->s->vm.commands = 1;
	if (image_has_magic(bytes, c->prog.len)) {
		c->status = RUN_EXIT_OK;
		if (image_parse(&img, bytes, c->prog.len, msg,
		    sizeof(msg)) == -1) {
			ssh_text(c, SSH_ERR, "%s: %s\n", SSH_RUN_NAME, msg);
			c->status = RUN_EXIT_ERROR;
		}
		return;
	}
	asm_prog_init(&prog);
	asm_diags_init(&d);
	c->status = RUN_EXIT_OK;
	if (asm_source(&prog, src, c->prog.len, &d) == -1) {
		if (d.n == 0)
			ssh_text(c, SSH_ERR, "%s: out of memory\n",
			    SSH_RUN_NAME);
		for (i = 0; i < d.n; i++) {
			asm_diag_format(msg, sizeof(msg), SSH_RUN_NAME, &d.v[i]);
			buf_init(&b, 0);
			if (run_escape(&b, msg, strlen(msg)) == 0 &&
			    b.data != NULL)
				ssh_text(c, SSH_ERR, "%s\n", b.data);
			buf_free(&b);
		}
		c->status = d.n == 0 ? RUN_EXIT_ERROR : RUN_EXIT_ASM;
	} else
		c->s->vm.program_bytes = prog.code_len + prog.ro_len;
	asm_diags_free(&d);
	asm_prog_free(&prog);
}

/* exec anything else: one REPL line; 1 when it reported an error. */
void
ssh_exec_line(struct sshc *c)
{
	struct repl_stats	 st;
	uint64_t		 errors;

	repl_stats(c->repl, &st);
	errors = st.errors;
	if (strlen(c->command) > c->s->limits.line_max) {
		ssh_text(c, SSH_ERR, "error: command too long (limit %llu "
		    "bytes)\n", (unsigned long long)c->s->limits.line_max);
		c->status = 1;
		return;
	}
	(void)ssh_command(c, c->command, strlen(c->command));
	repl_stats(c->repl, &st);
	c->status = st.errors > errors ? 1 : 0;
}

int
ssh_repl_new(struct sshc *c)
{
	struct repl_config	 cfg;
	struct repl_io		 io;

	memset(&cfg, 0, sizeof(cfg));
	cfg.budget = c->s->limits.budget;
	cfg.heap_bytes = (uint32_t)c->s->limits.heap;
	cfg.stack_depth = (uint32_t)c->s->limits.stack;
	memset(&io, 0, sizeof(io));
	io.write = ssh_repl_write;
	io.poll = ssh_repl_poll;
	io.limits = ssh_repl_limits;
	io.arg = c;
	if ((c->repl = repl_new(&cfg, &io)) == NULL) {
		log_warnx("session %lld: cannot start the REPL (out of "
		    "memory?)", (long long)c->s->id);
		ssh_chan_bye(c, SESSION_END_ERROR, "Internal error. Goodbye!");
		return -1;
	}
	repl_stats(c->repl, &c->s->vm);
	return 0;
}

