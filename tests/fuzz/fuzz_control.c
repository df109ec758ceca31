/*
 * fuzz_control.c: libFuzzer target for the control request parser
 * (proto/ctlreq.c), which reads every byte a control client sends.
 *
 * Each input is one request line. A refusal must say why in one
 * printable line (it goes to the client and to the log); an accepted
 * request must name a command, its escaped name printable too.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "control.h"
#include "fuzz.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ctl_request	 r;
	char			 err[512];

	err[0] = '\0';
	if (size > CTL_LINE_MAX)
		return 0;
	if (ctl_request_parse((const char *)data, size, &r, err,
	    sizeof(err)) == -1) {
		if (err[0] == '\0')
			abort();
		printable(err);
		return 0;
	}
	printable(r.name);
	if (r.cmd == CTL_KILL && r.session < 1)
		abort();
	if (r.cmd != CTL_UNKNOWN &&
	    strcmp(ctl_cmd_name(r.cmd), r.name) != 0)
		abort();
	return 0;
}
