/*
 * vmstate.h: checking a VM state document, the JSON object that
 * `iridium run --state-json` writes (run_state_json): exactly its
 * documented keys, each of its type, and the values a test expects.
 * Failures are criterion assertions.
 */
#ifndef IRIDIUM_TEST_VMSTATE_H
#define IRIDIUM_TEST_VMSTATE_H

#include <stdbool.h>

#include <jansson.h>

/* What a test expects of the scalars. */
struct vmstate_want {
	const char	*status;	/* "halted", "end", ... */
	const char	*error;		/* NULL: the error is null */
	long long	 pc;
	long long	 instructions;
	bool		 equal_flag;
	long long	 remainder;
	long long	 loop_counter;
	long long	 heap_bytes;
	long long	 stack_depth;
};

/*
 * Assert that j has the 11 documented keys and no other, 32 integer
 * registers, 32 float registers (each a number, or "inf", "-inf" or
 * "nan"), and want's values.
 */
void	vmstate_assert(json_t *j, const struct vmstate_want *want);

#endif
