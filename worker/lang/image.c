/*
 * image.c: validating and building "PIE" program images (see image.h and
 * iridium(7), "THE IMAGE FORMAT").
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "image.h"
#include "isa.h"

int
image_has_magic(const uint8_t *buf, size_t len)
{
	return len >= ISA_MAGIC_LEN && memcmp(buf, ISA_MAGIC, ISA_MAGIC_LEN) == 0;
}

int
image_parse(struct image *img, const uint8_t *buf, size_t len, char *err,
    size_t errlen)
{
	uint32_t	 ro_len;
	size_t		 i, code_len;

	if (len > ISA_IMAGE_MAX) {
		snprintf(err, errlen, "image too large (%zu bytes, at most %d)",
		    len, ISA_IMAGE_MAX);
		return -1;
	}
	if (len < ISA_RO_OFFSET) {
		snprintf(err, errlen, "image too short (%zu bytes, a header "
		    "is %d)", len, ISA_RO_OFFSET);
		return -1;
	}
	if (!image_has_magic(buf, len)) {
		snprintf(err, errlen, "not an Iridium image (bad magic at "
		    "offset 0)");
		return -1;
	}
	for (i = ISA_MAGIC_LEN; i < ISA_HEADER_LEN; i++) {
		if (buf[i] != 0) {
			snprintf(err, errlen, "reserved header byte at offset "
			    "%zu is not zero", i);
			return -1;
		}
	}
	ro_len = isa_get32le(buf + ISA_HEADER_LEN);
	if (ro_len % 4 != 0) {
		snprintf(err, errlen, "RO section length %u at offset %d is "
		    "not a multiple of 4", ro_len, ISA_HEADER_LEN);
		return -1;
	}
	if (ro_len > len - ISA_RO_OFFSET) {
		snprintf(err, errlen, "RO section length %u at offset %d runs "
		    "past the end of the image (%zu bytes)", ro_len,
		    ISA_HEADER_LEN, len);
		return -1;
	}
	code_len = len - ISA_RO_OFFSET - ro_len;
	if (code_len % ISA_INSN_LEN != 0) {
		snprintf(err, errlen, "code at offset %u is %zu bytes, not a "
		    "whole number of 4-byte instructions",
		    ISA_RO_OFFSET + ro_len, code_len);
		return -1;
	}
	img->ro = buf + ISA_RO_OFFSET;
	img->ro_len = ro_len;
	img->code = buf + ISA_RO_OFFSET + ro_len;
	img->code_len = (uint32_t)code_len;
	return 0;
}

uint8_t *
image_build(const uint8_t *ro, uint32_t ro_len, const uint8_t *code,
    uint32_t code_len, size_t *lenp)
{
	uint8_t	*p;
	size_t	 len = (size_t)ISA_RO_OFFSET + ro_len + code_len;

	if ((p = calloc(1, len)) == NULL)
		return NULL;
	memcpy(p, ISA_MAGIC, ISA_MAGIC_LEN);
	isa_put32le(p + ISA_HEADER_LEN, ro_len);
	if (ro_len > 0)
		memcpy(p + ISA_RO_OFFSET, ro, ro_len);
	if (code_len > 0)
		memcpy(p + ISA_RO_OFFSET + ro_len, code, code_len);
	*lenp = len;
	return p;
}
