/*
 * ssh_exec.c: what runs behind the ssh session channel (see
 * ssh_internal.h) besides the shell's REPL, which is the session core's:
 * the exec commands "run" (a program on stdin, its exit status ours),
 * "check" (assemble only: 0, 65, or 1 when interrupted) and any other
 * command as one REPL line (exit status 1 when the REPL reported an
 * error). Their output,
 * limits and polls are the session core's too (session.h), as for a
 * shell; worker/ssh_chan.c moves the bytes.
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
#include "session.h"
#include "ssh_internal.h"

/* The top line of !limits: the transport, tenant and terminal. */
void
ssh_exec_limits(void *arg, struct buf *out)
{
	struct sshc	*c = arg;

	buf_printf(out, "transport:    ssh, tenant %s%s%s\n", c->s->tenant,
	    c->pty ? ", pty " : "", c->pty ? c->term : "");
}

/* --- run and check ------------------------------------------------------------ */

static void
ssh_run_message(void *arg, enum run_msg kind, const char *msg)
{
	struct sshc	*c = arg;

	if (kind == RUN_MSG_ASM)
		session_text(c->s, SESSION_STDERR, "%s\n", msg);
	else
		session_text(c->s, SESSION_STDERR, "%s: %s\n", SSH_RUN_NAME,
		    msg);
}

static int
ssh_run_output(void *arg, const uint8_t *p, size_t n)
{
	struct sshc	*c = arg;

	return session_write(c->s, SESSION_STDOUT, (const char *)p, n);
}

/* run's poll: the session's. */
static enum repl_poll
ssh_run_poll(void *arg)
{
	struct sshc	*c = arg;

	return session_poll(c->s);
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
	io.poll = ssh_run_poll;
	io.arg = c;
	c->s->running = true;
	c->status = run_program(&cfg, &io, c->prog.data != NULL ?
	    c->prog.data : "", c->prog.len, &res);
	c->s->running = false;
	c->s->vm.instructions = res.instructions;
	c->s->vm.heap_bytes = res.heap_bytes;
	c->s->vm.commands = 1;
	c->s->vm.program_bytes = (uint32_t)c->prog.len;
	if (c->s->out.dropped > 0 && c->s->reason == NULL)
		session_text(c->s, SESSION_STDERR, "(%llu bytes of output "
		    "dropped after the interrupt)\n",
		    (unsigned long long)c->s->out.dropped);
}

/* The assembler's poll: the session's, with what it said kept. */
struct ssh_check_poll {
	struct session	*s;
	enum repl_poll	 said;
};

static int
ssh_check_poll(void *arg)
{
	struct ssh_check_poll	*p = arg;

	p->said = session_poll(p->s);
	return p->said != REPL_POLL_GO;
}

/* The assembler's diagnostics on stderr, escaped: the source is the user's. */
static void
ssh_check_diags(struct sshc *c, const struct asm_diags *d)
{
	struct buf	 b;
	char		 msg[1024];
	size_t		 i;

	if (d->n == 0)
		session_text(c->s, SESSION_STDERR, "%s: out of memory\n",
		    SSH_RUN_NAME);
	for (i = 0; i < d->n; i++) {
		asm_diag_format(msg, sizeof(msg), SSH_RUN_NAME, &d->v[i]);
		buf_init(&b, 0);
		if (run_escape(&b, msg, strlen(msg)) == 0 && b.data != NULL)
			session_text(c->s, SESSION_STDERR, "%s\n", b.data);
		buf_free(&b);
	}
}

/*
 * exec "check": assemble only; 0, or 65 with every error on stderr. The
 * assembly is polled as a run is: ^C (a `signal` INT) stops it (status 1),
 * the supervisor is answered, the CPU and lifetime limits hold.
 */
void
ssh_exec_check(struct sshc *c)
{
	struct ssh_check_poll	 cp;
	struct asm_prog		 prog;
	struct asm_diags	 d;
	struct asm_work		 w;
	struct image		 img;
	char			 msg[1024];
	const char		*src = c->prog.data != NULL ? c->prog.data : "";
	const uint8_t		*bytes = (const uint8_t *)src;
	int			 rv;

	c->s->vm.commands = 1;
	c->status = RUN_EXIT_OK;
	if (image_has_magic(bytes, c->prog.len)) {
		if (image_parse(&img, bytes, c->prog.len, msg,
		    sizeof(msg)) == -1) {
			session_text(c->s, SESSION_STDERR, "%s: %s\n",
			    SSH_RUN_NAME, msg);
			c->status = RUN_EXIT_ERROR;
		}
		return;
	}
	asm_prog_init(&prog);
	asm_diags_init(&d);
	memset(&w, 0, sizeof(w));
	cp.s = c->s;
	cp.said = REPL_POLL_GO;
	w.poll = ssh_check_poll;
	w.arg = &cp;
	c->s->running = true;
	rv = asm_source_work(&prog, src, c->prog.len, &w, &d);
	c->s->running = false;
	if (rv == ASM_STOPPED) {
		/* A hang-up or a limit: the session is ending anyway. */
		if (cp.said == REPL_POLL_INTERRUPT)
			session_text(c->s, SESSION_STDERR, "%s: interrupted "
			    "while assembling\n", SSH_RUN_NAME);
		c->status = RUN_EXIT_ERROR;
	} else if (rv == -1) {
		ssh_check_diags(c, &d);
		c->status = d.n == 0 ? RUN_EXIT_ERROR : RUN_EXIT_ASM;
	} else
		c->s->vm.program_bytes = prog.code_len + prog.ro_len;
	asm_diags_free(&d);
	asm_prog_free(&prog);
}

bool
ssh_exec_resume(const char *command, int64_t *id)
{
	const char	*p;
	int64_t		 v = 0;

	if (strncmp(command, "resume", 6) != 0)
		return false;
	for (p = command + 6; *p == ' ' || *p == '\t'; p++)
		continue;
	if (p == command + 6 && *p != '\0')
		return false;		/* "resumes": a REPL line */
	for (; *p >= '0' && *p <= '9' && v < (1LL << 53); p++)
		v = v * 10 + (*p - '0');
	if (*p != '\0')
		return false;
	*id = v;
	return true;
}

/* exec anything else: one REPL line; 1 when it reported an error. */
void
ssh_exec_line(struct sshc *c)
{
	static const char *const words[] = { "run", "check" };
	struct repl_stats	 st;
	uint64_t		 errors;
	size_t			 n;

	/* "sessions": the tenant's detached sessions, as the login said. */
	if (strcmp(c->command, "sessions") == 0) {
		session_text(c->s, SESSION_STDOUT, "%s\n",
		    c->s->resume_note[0] != '\0' ? c->s->resume_note :
		    "You have no detached session.");
		c->status = 0;
		return;
	}
	/* "run ARGS": a mistake about run, not a line of assembly. */
	for (n = 0; n < sizeof(words) / sizeof(words[0]); n++)
		if (strncmp(c->command, words[n], strlen(words[n])) == 0 &&
		    (c->command[strlen(words[n])] == ' ' ||
		    c->command[strlen(words[n])] == '\t')) {
			session_text(c->s, SESSION_STDERR, "%s takes no "
			    "arguments; send the program on stdin\n",
			    words[n]);
			c->status = RUN_EXIT_USAGE;
			return;
		}
	repl_stats(c->s->repl, &st);
	errors = st.errors;
	if (strlen(c->command) > c->s->limits.line_max) {
		session_text(c->s, SESSION_STDERR, "error: command too long (limit %llu "
		    "bytes)\n", (unsigned long long)c->s->limits.line_max);
		c->status = 1;
		return;
	}
	(void)session_command(c->s, c->command, strlen(c->command));
	repl_stats(c->s->repl, &st);
	c->status = st.errors > errors ? 1 : 0;
}
