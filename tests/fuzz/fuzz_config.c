/*
 * fuzz_config.c: libFuzzer target for the config file parser
 * (supervisor/config_parse.c through libinih, and the key table).
 *
 * Each input is a config file. Whatever it holds, every error must name
 * the file, and be one printable line; a file without errors must write
 * out (iridiumd -T) as a file that reads back to the same configuration.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static void
check_lines(const struct buf *b)
{
	const char	*p, *nl;

	for (p = b->data; p != NULL && *p != '\0'; p = nl + 1) {
		if (strncmp(p, "fuzz.conf:", 10) != 0 &&
		    strncmp(p, "[", 1) != 0)
			abort();	/* an error that does not say where */
		nl = strchr(p, '\n');
		if (nl == NULL || nl == p)
			abort();
	}
}

static void
ignore(void *arg, const char *line)
{
	(void)arg;
	(void)line;
	abort();	/* a configuration differs from its own -T output */
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct config	 c, c2;
	struct cfg_errors	 e, e2;
	char			*out = NULL;
	size_t			 len;
	FILE			*f;

	if (size > CONFIG_FILE_MAX)
		return 0;
	cfg_errors_init(&e);
	config_build_buf(&c, "fuzz.conf", (const char *)data, size, NULL, &e);
	check_lines(&e.errors);
	check_lines(&e.warnings);
	if (e.nerrors == 0) {
		f = open_memstream(&out, &len);
		config_write(f, &c);
		fclose(f);
		cfg_errors_init(&e2);
		config_build_buf(&c2, "fuzz.conf", out, len, NULL, &e2);
		/* Only a value near the line limit may not fit with " = ". */
		if (e2.nerrors == 0) {
			strcpy(c2.path, c.path);
			config_diff(&c, &c2, ignore, NULL);
		} else if (strstr(e2.errors.data, "line too long") == NULL) {
			abort();
		}
		cfg_errors_free(&e2);
		free(out);
	}
	cfg_errors_free(&e);
	return 0;
}
