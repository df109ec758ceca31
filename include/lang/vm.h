/*
 * vm.h: the Iridium virtual machine.
 *
 * A VM runs one validated image (see image.h) under limits fixed at
 * creation: heap bytes, stack depth, and an instruction budget per
 * vm_run() call. It knows nothing of files, sockets or processes: output
 * goes through a callback, and a caller that needs to poll for interrupts
 * runs the program in budget slices (a VM_BUDGET return keeps every bit of
 * state, so the next vm_run() continues exactly where it stopped).
 *
 * Nothing a program does can crash the process or make the VM allocate
 * beyond its limits: faults stop the run with VM_ERROR and a message
 * "<error> at pc S", leaving the state as it was before the faulting
 * instruction.
 */
#ifndef IRIDIUM_VM_H
#define IRIDIUM_VM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "isa.h"
#include "image.h"

#define VM_HEAP_INITIAL		64		/* bytes every heap starts with */
#define VM_DEFAULT_HEAP		(1024 * 1024)
#define VM_DEFAULT_STACK	65536
#define VM_DEFAULT_BUDGET	100000000ULL
#define VM_ERRLEN		128

enum vm_status {
	VM_HALTED,	/* HLT */
	VM_END,		/* pc reached the end of the code */
	VM_ERROR,	/* runtime error; vm_error() says which */
	VM_BUDGET,	/* the budget given to vm_run() was spent */
	VM_ABORTED,	/* the output callback asked to stop */
};

struct vm_limits {
	uint32_t	heap_bytes;	/* total heap, >= VM_HEAP_INITIAL */
	uint32_t	stack_depth;	/* entries */
};

/* Registers and flags: the part of the VM state a program sees. */
struct vm_state {
	int32_t		reg[ISA_NREGS];
	double		freg[ISA_NREGS];
	uint32_t	pc;		/* image offset */
	bool		equal_flag;
	int32_t		remainder;
	uint32_t	loop_counter;
};

/*
 * Output sink for PRTS: returns 0 to go on, -1 to stop the run with
 * VM_ABORTED (a transport whose client vanished or stopped reading).
 */
typedef int	(*vm_output_fn)(void *arg, const uint8_t *buf, size_t len);

struct vm;

/* NULL when the limits are invalid or memory is short. */
struct vm		*vm_new(const struct vm_limits *);
void			 vm_free(struct vm *);
void			 vm_set_output(struct vm *, vm_output_fn, void *arg);

/*
 * Replace the program with the one in img (copied) and set pc to its entry.
 * Registers, heap and stack are left as they are. Returns 0 or -1 (out of
 * memory; the old program is kept).
 */
int			 vm_load(struct vm *, const struct image *img);
/*
 * Append len bytes of code (whole instructions) to the loaded program, as
 * the REPL does with a typed line: only the new instructions are decoded,
 * and the VM then runs exactly as if the whole image had been loaded.
 * Nothing else changes, pc included. Returns 0 or -1 (out of memory; the
 * program is unchanged).
 */
int			 vm_append(struct vm *, const uint8_t *code, uint32_t len);

/*
 * Run from the current pc for at most budget instructions. *executed (may
 * be NULL) gets the number of instructions this call executed.
 */
enum vm_status		 vm_run(struct vm *, uint64_t budget, uint64_t *executed);

/* Zero registers, float registers, flag, remainder and loop counter. */
void			 vm_clear_registers(struct vm *);
/* Empty the stack, shrink the heap to its initial zeroed 64 bytes. */
void			 vm_clear_memory(struct vm *);

/*
 * Give the VM a saved heap and stack (a session read back from bytes):
 * heap_len bytes, VM_HEAP_INITIAL up to the heap limit; depth entries,
 * at most the stack limit; the frame pointer as it was (RET checks it
 * when it runs). Returns 0, or -1 (past the limits, or out of memory)
 * with the VM unchanged.
 */
int			 vm_restore_memory(struct vm *, const uint8_t *heap,
			    uint32_t heap_len, const int32_t *stack,
			    uint32_t depth, int32_t bp);

struct vm_state		*vm_state(struct vm *);
const char		*vm_error(const struct vm *);	/* last VM_ERROR */
const struct vm_limits	*vm_limits(const struct vm *);
uint32_t		 vm_heap_len(const struct vm *);
const uint8_t		*vm_heap(const struct vm *);
uint32_t		 vm_stack_depth(const struct vm *);
const int32_t		*vm_stack(const struct vm *);
int32_t			 vm_frame(const struct vm *);	/* the frame pointer */
uint32_t		 vm_code_start(const struct vm *);
uint32_t		 vm_code_end(const struct vm *);

const char		*vm_status_name(enum vm_status);

#endif
