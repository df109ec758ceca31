/*
 * image.h: the "PIE" program image: validation and construction.
 *
 * An image is the only form in which code reaches the VM. image_parse() is
 * the loader's gate: anything it accepts is safe for vm_load(); anything it
 * rejects gets one message naming what is wrong and where.
 */
#ifndef IRIDIUM_IMAGE_H
#define IRIDIUM_IMAGE_H

#include <stddef.h>
#include <stdint.h>

/* A view into image bytes owned by someone else. */
struct image {
	const uint8_t	*ro;		/* RO data, ro_len bytes */
	uint32_t	 ro_len;	/* a multiple of 4 */
	const uint8_t	*code;		/* code, code_len bytes */
	uint32_t	 code_len;	/* a multiple of 4 */
};

/* Image offset of the first instruction (= ISA_RO_OFFSET + ro_len). */
static inline uint32_t
image_entry(const struct image *img)
{
	return 68 + img->ro_len;
}

/* True when buf starts with the image magic (so `iridium run` loads it). */
int	image_has_magic(const uint8_t *buf, size_t len);

/*
 * Validate buf as an image and fill *img with views into it.
 * Returns 0, or -1 with a message ("image too short (12 bytes, ...)") in err.
 */
int	image_parse(struct image *img, const uint8_t *buf, size_t len,
	    char *err, size_t errlen);

/*
 * Serialise RO data and code into a freshly allocated image.
 * ro_len and code_len must be multiples of 4 and the total at most
 * ISA_IMAGE_MAX. Returns NULL on allocation failure.
 */
uint8_t	*image_build(const uint8_t *ro, uint32_t ro_len, const uint8_t *code,
	    uint32_t code_len, size_t *lenp);

#endif
