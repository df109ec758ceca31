/*
 * repl.h: the Iridium REPL, independent of any transport.
 *
 * The host (the local `iridium` tool, a line or ssh session in a worker)
 * feeds it one input line at a time and receives everything it prints
 * through a write callback. While a program runs, the REPL calls the
 * host's poll callback at every budget checkpoint, so a host can notice an
 * interrupt (^C, telnet IP) or a vanished client without threads or
 * signals. Output is text with "\n" line ends; a transport that needs CRLF
 * converts.
 */
#ifndef IRIDIUM_REPL_H
#define IRIDIUM_REPL_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"

#define REPL_BANNER	"Welcome to Iridium! Let's be productive!"
#define REPL_PROMPT	">>> "
/* The prompt inside a !load block, so a user sees the REPL is collecting. */
#define REPL_PROMPT_LOAD "... "
#define REPL_FAREWELL	"Farewell! Have a great day!"

enum repl_poll {
	REPL_POLL_GO,		/* carry on */
	REPL_POLL_INTERRUPT,	/* stop the running program, keep the session */
	REPL_POLL_HANGUP,	/* stop the program and end the session */
};

enum repl_result {
	REPL_CONTINUE,		/* read the next line */
	REPL_QUIT,		/* !quit: the session ends */
	REPL_HANGUP,		/* the host's write or poll said the peer is gone */
};

struct repl_io {
	/* Returns 0, or -1 when the peer is gone or will not take more. */
	int		(*write)(void *arg, const char *buf, size_t len);
	/* May be NULL. Called between budget slices of a running program. */
	enum repl_poll	(*poll)(void *arg);
	/* May be NULL. Appends the host's lines to the !limits report. */
	void		(*limits)(void *arg, struct buf *out);
	void		 *arg;
	/* May be NULL. Appends the host's own commands to !help's list. */
	void		(*help)(void *arg, struct buf *out);
};

/*
 * Session limits. A zero budget, heap_bytes or stack_depth means the
 * VM_DEFAULT_* value; repl_config() returns the values in effect.
 */
struct repl_config {
	uint64_t	budget;		/* instructions per command */
	uint32_t	heap_bytes;	/* >= VM_HEAP_INITIAL, or 0 */
	uint32_t	stack_depth;
	uint32_t	slice;		/* instructions between polls; 0: default */
	size_t		max_load_bytes;	/* !load text; 0: default (1 MiB) */
	unsigned	history;	/* lines !history keeps; 0: default */
	int		local;		/* enables !load_file (local tool only) */
};

/* Usage counters a host reports in its status. */
struct repl_stats {
	uint64_t	instructions;	/* executed in this session */
	uint32_t	heap_bytes;
	uint32_t	program_bytes;	/* image size */
	uint32_t	stack_depth;
	uint64_t	commands;	/* lines handled */
	uint64_t	errors;		/* runtime and assembly errors */
};

struct repl;

/* NULL when memory is short, io->write is NULL or heap_bytes is < 64. */
struct repl	*repl_new(const struct repl_config *, const struct repl_io *);
void		 repl_free(struct repl *);

/*
 * Feed one line, without its terminator (it may hold any bytes). Once it
 * has returned REPL_HANGUP it does nothing but return REPL_HANGUP again.
 */
enum repl_result repl_feed(struct repl *, const char *line, size_t len);
/*
 * The host dropped a line for being longer than limit bytes: say so.
 * Inside a !load block the block is spoiled: it loads nothing, and its
 * !end says which line was dropped (a block with an error loads nothing,
 * as a block that does not assemble). Counts as a line and an error.
 */
enum repl_result repl_feed_dropped(struct repl *, size_t limit);
/* The prompt to print before the next line. */
const char	*repl_prompt(const struct repl *);
void		 repl_stats(const struct repl *, struct repl_stats *);
const struct repl_config *repl_config(const struct repl *);

/*
 * The history (what !history lists), oldest first, for a host's line
 * editor (Up, ^R) and for keeping a tenant's lines across sessions.
 * repl_history_line() returns line i (0: the oldest kept) and its length
 * in *lenp, or NULL past the end; the pointer lives until the next
 * repl_feed() or repl_history_push(). repl_history_push() records a line
 * as if it had been typed, without running it (a host giving back a
 * tenant's earlier lines before the first prompt); lines longer than the
 * REPL keeps are cut, and past cfg.history the oldest go.
 */
size_t		 repl_history_count(const struct repl *);
const char	*repl_history_line(const struct repl *, size_t i, size_t *lenp);
void		 repl_history_push(struct repl *, const char *line, size_t len);
/*
 * For a host that keeps the lines elsewhere: how many were recorded since
 * the last clear (pushed ones too; the last min(count, total - then) are
 * those recorded since then), how often `!history clear` (or
 * repl_history_clear()) forgot them all, and forgetting them.
 */
uint64_t	 repl_history_total(const struct repl *);
uint64_t	 repl_history_clears(const struct repl *);
void		 repl_history_clear(struct repl *);

/*
 * Tab completion for a host's line editor: the words that may replace
 * the word ending line[0..len) (it begins at *startp; words end at a
 * blank or a comma), appended to out each followed by "\n", sorted;
 * returns how many. The first word of a line completes to a mnemonic
 * or a directive (any case typed; the mnemonic in lower case), or after
 * "!" to a command; a word after "$" to a register $0..$31; after "@"
 * to a label or data name this session has defined. Returns 0 for any
 * other word, and when memory is short.
 */
size_t		 repl_complete(const struct repl *, const char *line,
		    size_t len, size_t *startp, struct buf *out);

/*
 * A session as bytes, so that another process can take it up (a session
 * that moves to a new worker): the VM's registers, float registers, flag,
 * remainder, loop counter, pc, frame pointer, heap and stack; the program
 * (RO data, code, symbol table); an open !load block; the history; the
 * counters. Not the limits: the session that reads it back brings its
 * own, and a state past them is refused. The format is versioned and
 * canonical (one state, one encoding: repl_save() of a session that
 * repl_load() read gives back the same bytes); worker/lang/repl_state.c
 * describes it.
 */
#define REPL_STATE_VERSION	1
/* The most symbols, and bytes of their names, a saved state carries. */
#define REPL_STATE_SYMS_MAX	65536
#define REPL_STATE_NAMES_MAX	(1024 * 1024)

/*
 * Save the session into a freshly allocated blob (*out, *lenp; free() it).
 * Returns 0, or -1 with err set: out of memory, or a symbol table past
 * what the format carries.
 */
int		 repl_save(const struct repl *, uint8_t **out, size_t *lenp,
		    char *err, size_t errlen);
/* The largest blob repl_load() can accept under this session's limits. */
size_t		 repl_state_max(const struct repl *);
/*
 * Replace the session's state with the saved one in p[0..len), read as
 * hostile input: every field is checked for its range, and against this
 * session's limits (heap, stack, !load size, history lines). Returns 0,
 * or -1 with err saying what is wrong and where ("heap of 2097152 bytes
 * is past this session's limit of 1048576 bytes"); the session is then as
 * it was.
 */
int		 repl_load(struct repl *, const void *p, size_t len, char *err,
		    size_t errlen);

#endif
