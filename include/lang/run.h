/*
 * run.h: running one whole program, the way `iridium run` does and the
 * ssh transport's `run` command will: source or image in, output out, an
 * exit status as iridium(7) ("HOW A RUN ENDS") defines it.
 *
 * run_vm() is the one loop that drives a VM in budget slices and polls the
 * host between them; the REPL uses it for every command too, so an
 * interrupt behaves the same everywhere.
 */
#ifndef IRIDIUM_RUN_H
#define IRIDIUM_RUN_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "buf.h"
#include "repl.h"
#include "vm.h"

/* Exit statuses of a run (iridium(7), "HOW A RUN ENDS"). */
#define RUN_EXIT_OK		0	/* halted or end */
#define RUN_EXIT_ERROR		1	/* runtime error, invalid image */
#define RUN_EXIT_BUDGET		2	/* budget spent */
#define RUN_EXIT_USAGE		64	/* bad command line (sysexits EX_USAGE) */
#define RUN_EXIT_ASM		65	/* assembly failed (EX_DATAERR) */

/* Instructions between two polls when the caller does not say. */
#define RUN_SLICE_DEFAULT	(1U << 20)

/* Longest message a run_result carries (VM errors are shorter). */
#define RUN_ERRLEN		256

enum run_outcome {
	RUN_HALTED,		/* HLT */
	RUN_END,		/* pc reached the end of the code */
	RUN_ERROR,		/* runtime error; the message says which */
	RUN_BUDGET,		/* the budget was spent */
	RUN_INTERRUPTED,	/* the poll callback said interrupt */
	RUN_HANGUP,		/* the poll said hang-up, or output was refused */
	RUN_INVALID_IMAGE,	/* image_parse() refused the input */
	RUN_ASM_FAILED,		/* the source has errors; nothing ran */
	RUN_NOMEM,		/* out of memory; nothing (more) ran */
};

/* Polled between slices; the same answers as the REPL's poll. */
typedef enum repl_poll	(*run_poll_fn)(void *arg);

/*
 * Run vm from its current pc for at most budget instructions, in slices of
 * at most slice instructions (0: RUN_SLICE_DEFAULT), calling poll (may be
 * NULL) between slices. *executed gets the instructions run in total.
 * Returns RUN_HALTED, RUN_END, RUN_ERROR (vm_error() says which),
 * RUN_BUDGET, RUN_INTERRUPTED or RUN_HANGUP; the VM keeps its state in
 * every case, so the caller can inspect it or run on.
 */
enum run_outcome run_vm(struct vm *, uint64_t budget, uint32_t slice,
	    run_poll_fn poll, void *arg, uint64_t *executed);

struct run_config {
	uint64_t	 budget;	/* instructions, taken literally */
	uint32_t	 heap_bytes;	/* >= VM_HEAP_INITIAL */
	uint32_t	 stack_depth;
	uint32_t	 slice;		/* 0: RUN_SLICE_DEFAULT */
	const char	*name;		/* prefixes assembly diagnostics; may
					   be NULL */
};

/* What a run_io message callback is told about. */
enum run_msg {
	RUN_MSG_ASM,		/* one diagnostic: "NAME:LINE:COL: message" */
	RUN_MSG_IMAGE,		/* why the image is invalid */
	RUN_MSG_RUNTIME,	/* the runtime error, interrupt or hang-up */
};

struct run_io {
	/* PRTS bytes; NULL discards them. -1 stops the run (RUN_HANGUP). */
	vm_output_fn	 output;
	/* May be NULL. Text is escaped: no control bytes, valid UTF-8. */
	void		(*message)(void *arg, enum run_msg, const char *msg);
	run_poll_fn	 poll;		/* may be NULL */
	void		*arg;
};

/* The outcome of run_program() and the machine state it left. */
struct run_result {
	enum run_outcome outcome;
	int		 status;	/* RUN_EXIT_* */
	char		 error[RUN_ERRLEN];	/* "" unless an error */
	uint64_t	 instructions;
	struct vm_state	 state;		/* all zero when nothing ran */
	uint32_t	 heap_bytes;
	uint32_t	 stack_depth;
};

/*
 * Run input (an image when it starts with the image magic, else assembly
 * source) under the limits of cfg in a fresh VM. Fills *res and returns
 * res->status.
 */
int		 run_program(const struct run_config *, const struct run_io *,
		    const void *input, size_t len, struct run_result *res);

/*
 * The final state as the JSON object `iridium run --state-json` writes:
 * status, error, pc, instructions, registers, float_registers,
 * equal_flag, remainder, loop_counter, heap_bytes, stack_depth. NULL for
 * RUN_ASM_FAILED (no state exists) or when memory is short.
 */
json_t		*run_state_json(const struct run_result *);

/* "halted", "end", "error" or "budget": the JSON status of an outcome. */
const char	*run_status_name(enum run_outcome);
/* The RUN_EXIT_* status of an outcome. */
int		 run_exit_status(enum run_outcome);

/*
 * Append len bytes of untrusted text to out so that it is safe to show on
 * a terminal: printable ASCII, tabs and valid UTF-8 (C1 controls aside)
 * stay, every other byte becomes \xNN. Returns 0 or -1 (out of memory).
 */
int		 run_escape(struct buf *out, const void *text, size_t len);

#endif
