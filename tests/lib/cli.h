/*
 * cli.h: running the real `iridium` tool in integration tests, the way a
 * user runs it: arguments, bytes on standard input, standard output and
 * error captured apart, the exit status; or on a pseudo-terminal, for the
 * interactive REPL. Failures are criterion assertions.
 */
#ifndef IRIDIUM_TEST_CLI_H
#define IRIDIUM_TEST_CLI_H

#include <sys/types.h>

#include <stddef.h>
#include <stdint.h>

#include "buf.h"

/* Criterion's argv are char *const; string literals are const. */
#define CLI_ARG(s)	((char *)(uintptr_t)(s))

struct cli_proc {
	struct buf	 out;		/* all of standard output */
	struct buf	 err;		/* all of standard error */
	int		 status;	/* exit status, or 128 + signal */
};

/* $IRIDIUM_BUILD/iridium (checked to be executable). */
const char	*cli_bin(void);
/* $IRIDIUM_SRC/contrib/examples, and a file in it (4 rotating buffers). */
const char	*cli_examples(void);
const char	*cli_example(const char *name);

/*
 * Run iridium with args (NULL-terminated, without argv[0]), writing inlen
 * bytes of input to its standard input, then closing it. close_out closes
 * our end of its standard output at once (a reader that went away). Fails
 * the test after 20 seconds. out and err are always NUL-terminated.
 */
void		 cli_run(struct cli_proc *, const char *input, size_t inlen,
		    int close_out, char *const *args);
void		 cli_proc_free(struct cli_proc *);

/* Start iridium with no arguments on a new pseudo-terminal; the master. */
int		 cli_pty_start(pid_t *pidp);
/* Read the master into b until want shows up in it. */
void		 cli_pty_wait(int master, struct buf *b, const char *want);
/*
 * Wait until the terminal has left canonical mode. libedit prints its
 * prompt before it switches, and what arrives earlier is handled by the
 * line discipline (^D is EOF, typed text is echoed twice).
 */
void		 cli_pty_raw_wait(int master);
/* The child's wait status; killed and failed after 20 seconds. */
int		 cli_pty_exit(pid_t pid);

#endif
