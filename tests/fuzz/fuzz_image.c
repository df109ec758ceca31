/*
 * fuzz_image.c: libFuzzer target for the image loader and the VM.
 *
 * Any byte string is offered to image_parse(); what it accepts is loaded
 * and run under small limits and a small budget, so every decoding and
 * fault path of the VM sees hostile input. The same code loaded in two
 * pieces (vm_load, then vm_append, as the REPL grows a program) must run
 * exactly alike. What the disassembler accepts must re-assemble to the
 * same bytes.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "asm.h"
#include "buf.h"
#include "disasm.h"
#include "image.h"
#include "vm.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static int
sink(void *arg, const uint8_t *p, size_t n)
{
	size_t	*total = arg;

	(void)p;
	*total += n;
	return *total > (1 << 20) ? -1 : 0;
}

static void
roundtrip(const struct image *img)
{
	struct buf		 text;
	struct asm_prog		 prog;
	struct asm_diags	 diags;
	char			 err[160];

	buf_init(&text, 0);
	if (disasm_source(&text, img, err, sizeof(err)) == 0) {
		asm_prog_init(&prog);
		asm_diags_init(&diags);
		if (asm_source(&prog, text.data, text.len, &diags) != 0)
			abort();	/* the disassembler printed bad source */
		if (prog.ro_len != img->ro_len || prog.code_len !=
		    img->code_len ||
		    (img->ro_len > 0 &&
		    memcmp(prog.ro, img->ro, img->ro_len) != 0) ||
		    (img->code_len > 0 &&
		    memcmp(prog.code, img->code, img->code_len) != 0))
			abort();	/* not the same bytes */
		asm_prog_free(&prog);
		asm_diags_free(&diags);
	}
	buf_free(&text);
}

/*
 * Load img's code in two pieces, split at an instruction boundary that
 * the input picks, run it like the whole load did, and abort when
 * anything differs.
 */
static void
appended(const struct image *img, const struct vm_limits *lim,
    struct vm *whole, enum vm_status want, uint64_t executed)
{
	struct image	 head = *img;
	struct vm_state	*a, *b = vm_state(whole);
	struct vm	*vm;
	size_t		 total = 0;
	uint64_t	 n;

	if ((vm = vm_new(lim)) == NULL)
		abort();
	vm_set_output(vm, sink, &total);
	head.code_len = img->code_len == 0 ? 0 :
	    img->code[0] % (img->code_len / 4 + 1) * 4;
	if (vm_load(vm, &head) != 0 || vm_append(vm, img->code +
	    head.code_len, img->code_len - head.code_len) != 0)
		abort();
	a = vm_state(vm);
	a->pc = vm_code_start(vm);
	if (vm_run(vm, 20000, &n) != want || n != executed ||
	    memcmp(a->reg, b->reg, sizeof(a->reg)) != 0 ||
	    memcmp(a->freg, b->freg, sizeof(a->freg)) != 0 ||
	    a->pc != b->pc || a->equal_flag != b->equal_flag ||
	    a->remainder != b->remainder ||
	    a->loop_counter != b->loop_counter ||
	    strcmp(vm_error(vm), vm_error(whole)) != 0 ||
	    vm_heap_len(vm) != vm_heap_len(whole) ||
	    vm_stack_depth(vm) != vm_stack_depth(whole))
		abort();
	vm_free(vm);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	struct vm_limits lim = { 4096, 64 };
	struct image	 img;
	struct vm	*vm;
	size_t		 total = 0;
	uint64_t	 n;
	char		 err[160];
	enum vm_status	 st;

	if (image_parse(&img, data, len, err, sizeof(err)) != 0)
		return 0;
	if ((vm = vm_new(&lim)) == NULL)
		abort();
	vm_set_output(vm, sink, &total);
	if (vm_load(vm, &img) != 0)
		abort();
	st = vm_run(vm, 20000, &n);
	if (n > 20000 || (st == VM_BUDGET && n != 20000))
		abort();
	if (vm_heap_len(vm) > lim.heap_bytes ||
	    vm_stack_depth(vm) > lim.stack_depth)
		abort();
	appended(&img, &lim, vm, st, n);
	vm_free(vm);
	roundtrip(&img);
	return 0;
}
