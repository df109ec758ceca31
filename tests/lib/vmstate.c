/*
 * vmstate.c: see vmstate.h.
 */
#include <criterion/criterion.h>

#include <stddef.h>
#include <string.h>

#include "vmstate.h"

#define NREGS	32

static const char *const keys[] = {
	"status", "error", "pc", "instructions", "registers",
	"float_registers", "equal_flag", "remainder", "loop_counter",
	"heap_bytes", "stack_depth"
};

/* The integer at key, asserting that it is one. */
static long long
num(json_t *j, const char *key)
{
	json_t	*v = json_object_get(j, key);

	cr_assert(json_is_integer(v), "%s is not an integer", key);
	return (long long)json_integer_value(v);
}

void
vmstate_assert(json_t *j, const struct vmstate_want *want)
{
	json_t		*r, *f, *v;
	const char	*s;
	size_t		 i;

	cr_assert(json_is_object(j));
	cr_assert_eq(json_object_size(j), sizeof(keys) / sizeof(keys[0]));
	for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		cr_assert_not_null(json_object_get(j, keys[i]), "no %s",
		    keys[i]);
	cr_assert_str_eq(json_string_value(json_object_get(j, "status")),
	    want->status);
	v = json_object_get(j, "error");
	if (want->error == NULL)
		cr_assert(json_is_null(v), "error is not null");
	else
		cr_assert_str_eq(json_string_value(v), want->error);
	cr_assert_eq(num(j, "pc"), want->pc);
	cr_assert_eq(num(j, "instructions"), want->instructions);
	v = json_object_get(j, "equal_flag");
	cr_assert(json_is_boolean(v) && json_boolean_value(v) ==
	    want->equal_flag, "equal_flag is not %s", want->equal_flag ?
	    "true" : "false");
	cr_assert_eq(num(j, "remainder"), want->remainder);
	cr_assert_eq(num(j, "loop_counter"), want->loop_counter);
	cr_assert_eq(num(j, "heap_bytes"), want->heap_bytes);
	cr_assert_eq(num(j, "stack_depth"), want->stack_depth);
	r = json_object_get(j, "registers");
	cr_assert_eq(json_array_size(r), NREGS);
	for (i = 0; i < NREGS; i++)
		cr_assert(json_is_integer(json_array_get(r, i)),
		    "register %zu is not an integer", i);
	f = json_object_get(j, "float_registers");
	cr_assert_eq(json_array_size(f), NREGS);
	for (i = 0; i < NREGS; i++) {
		v = json_array_get(f, i);
		s = json_string_value(v);
		cr_assert(json_is_real(v) || (s != NULL && (strcmp(s, "inf") ==
		    0 || strcmp(s, "-inf") == 0 || strcmp(s, "nan") == 0)),
		    "float register %zu is neither a number nor inf, -inf, "
		    "nan", i);
	}
}
