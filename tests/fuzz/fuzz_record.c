/*
 * fuzz_record.c: libFuzzer target for a session's recording (worker/
 * record.h), which turns any bytes a client sent or was sent into
 * asciicast events. The input's first byte picks a chunk size; the rest
 * goes in as "o" and "i" events of that size (split UTF-8 characters
 * included). Every line written must be one JSON array [time, type,
 * string], and when the input is UTF-8 the "o" strings, joined, must be
 * the input again, byte for byte.
 */
#include <sys/mman.h>

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "msg.h"
#include "record.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *p, size_t n)
{
	struct msg_record	 m;
	struct record		 r;
	json_t			*s, *e, *line;
	char			*text, *nl, *at;
	size_t			 chunk, i, len, outlen = 0;
	uint8_t			*out;
	off_t			 size;
	int			 fd;
	bool			 utf8;

	if (n < 1)
		return 0;
	chunk = (size_t)p[0] % 16 + 1;
	p++;
	n--;
	if ((fd = memfd_create("rec", 0)) == -1)
		abort();
	memset(&m, 0, sizeof(m));
	strcpy(m.mode, "all");
	record_init(&r);
	record_start(&r, &m, dup(fd), 0);
	for (i = 0; i < n; i += chunk) {
		len = n - i < chunk ? n - i : chunk;
		record_data(&r, 'o', p + i, len, i);
		if (len % 3 == 0)
			record_data(&r, 'i', p + i, len, i);
	}
	record_end(&r, n);
	size = lseek(fd, 0, SEEK_END);
	text = malloc((size_t)size + 1);
	out = malloc(n * 3 + 1);
	if (text == NULL || out == NULL ||
	    pread(fd, text, (size_t)size, 0) != size)
		abort();
	close(fd);
	text[size] = '\0';
	for (at = text; *at != '\0'; at = nl + 1) {
		if ((nl = strchr(at, '\n')) == NULL)
			abort();	/* a line cut short */
		line = json_loadb(at, (size_t)(nl - at), JSON_ALLOW_NUL, NULL);
		if (!json_is_array(line) || json_array_size(line) != 3 ||
		    !json_is_number(json_array_get(line, 0)) ||
		    !json_is_string(e = json_array_get(line, 1)) ||
		    !json_is_string(json_array_get(line, 2)))
			abort();
		if (strcmp(json_string_value(e), "o") == 0) {
			s = json_array_get(line, 2);
			memcpy(out + outlen, json_string_value(s),
			    json_string_length(s));
			outlen += json_string_length(s);
		}
		json_decref(line);
	}
	/* jansson's own judgement of the input as UTF-8. */
	s = json_stringn((const char *)p, n);
	utf8 = s != NULL;
	json_decref(s);
	if (utf8 && (outlen != n || memcmp(out, p, n) != 0))
		abort();
	free(text);
	free(out);
	return 0;
}
