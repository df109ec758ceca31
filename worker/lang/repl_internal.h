/*
 * repl_internal.h: the REPL session's insides, shared by the files of the
 * REPL and nobody else: repl.c (the commands and the session loop),
 * repl_state.c (a session saved to bytes and read back, repl_save() and
 * repl_load()) and repl_complete.c (Tab completion for a host's editor).
 */
#ifndef IRIDIUM_REPL_INTERNAL_H
#define IRIDIUM_REPL_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "asm.h"
#include "buf.h"
#include "repl.h"
#include "vm.h"

#define REPL_DEFAULT_LOAD	(1024 * 1024)
#define REPL_DEFAULT_HISTORY	1000
/* A history entry keeps at most this much of its line. */
#define REPL_HISTORY_LINE	4096
/* Echoed command names are cut here: enough to recognise a typo. */
#define REPL_ECHO_MAX		64
/* Flush r->out when it grows past this during a long listing. */
#define REPL_FLUSH_AT		(64 * 1024)

struct repl_hist {
	char		*s;
	size_t		 len;
	int		 cut;		/* the line was longer than kept */
};

struct repl {
	struct repl_config cfg;
	struct repl_io	 io;
	struct vm	*vm;
	struct asm_prog	 prog;
	int		 vm_stale;	/* a load failed: the VM lacks prog */

	/* History: a ring once it holds cfg.history lines, growing before. */
	struct repl_hist *hist;
	size_t		 nhist, histcap, histhead;
	uint64_t	 histtotal;	/* lines recorded since the last clear */
	uint64_t	 histclears;	/* times !history clear forgot them */

	/* An open !load block. */
	int		 loading;
	int		 load_over;	/* passed max_load_bytes */
	unsigned	 load_lines;	/* lines in the block so far */
	unsigned	 load_dropped;	/* the first the host dropped, or 0 */
	size_t		 load_limit;	/* ... for being longer than this */
	struct buf	 load;
	enum repl_poll	 asm_said;	/* the host's poll, while assembling */

	struct buf	 out;		/* message text not yet written */
	int		 gone;		/* write failed or poll hung up */
	int		 wrote;		/* this line has produced output */
	char		 last;		/* last byte written for this line */
	struct repl_stats st;
};

/* The name of command i ("!help"), or NULL past the last (repl.c). */
const char *repl_cmd_name(size_t i);

/* The VM's output sink (PRTS): arg is the struct repl. */
int	repl_vm_output(void *arg, const uint8_t *p, size_t len);

#endif
