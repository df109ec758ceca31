/*
 * test_disasm.c: the disassembler as the assembler's inverse.
 *
 * The central property: for every image the assembler can produce,
 * disasm_source() prints text that asm_source() turns back into the same
 * bytes. It is checked over hand-written programs, over every example in
 * contrib/examples/ (found through IRIDIUM_SRC at run time) and over
 * random images; refusals are pinned with their offsets, and the output
 * formats with exact text.
 */
#include <criterion/criterion.h>
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "asm.h"
#include "buf.h"
#include "disasm.h"
#include "image.h"
#include "isa.h"

/* --- helpers -------------------------------------------------------------- */

static void
assemble(struct asm_prog *p, const char *src, size_t len, const char *what)
{
	struct asm_diags	 d;
	char			 msg[512];

	asm_prog_init(p);
	asm_diags_init(&d);
	if (asm_source(p, src, len, &d) != 0) {
		if (d.n > 0)
			asm_diag_format(msg, sizeof(msg), what, &d.v[0]);
		else
			snprintf(msg, sizeof(msg), "%s: out of memory", what);
		cr_assert_fail("%s does not assemble: %s\n%.*s", what, msg,
		    (int)len, src);
	}
	asm_diags_free(&d);
}

/*
 * Disassemble the image bytes, re-assemble the text, require the same
 * bytes, and return the text (caller frees).
 */
static char *
round_trip_image(const uint8_t *bytes, size_t len, const char *what)
{
	struct image	 img;
	struct asm_prog	 p;
	struct buf	 out;
	uint8_t		*again;
	size_t		 alen;
	char		 err[256];

	cr_assert_eq(image_parse(&img, bytes, len, err, sizeof(err)), 0,
	    "%s: %s", what, err);
	buf_init(&out, 0);
	if (disasm_source(&out, &img, err, sizeof(err)) != 0)
		cr_assert_fail("%s: disasm refused: %s", what, err);
	assemble(&p, out.data, out.len, what);
	again = asm_prog_build(&p, &alen);
	cr_assert_not_null(again);
	cr_assert_eq(alen, len, "%s: %zu bytes became %zu:\n%s", what, len,
	    alen, out.data);
	cr_assert_arr_eq(again, bytes, len, "%s: the bytes differ:\n%s", what,
	    out.data);
	free(again);
	asm_prog_free(&p);
	return buf_steal(&out);
}

/* Assemble src, round-trip it, and check the text is a fixed point. */
static char *
round_trip(const char *src, size_t len, const char *what)
{
	struct asm_prog	 p;
	uint8_t		*img;
	size_t		 ilen;
	char		*text, *text2;

	assemble(&p, src, len, what);
	img = asm_prog_build(&p, &ilen);
	cr_assert_not_null(img);
	text = round_trip_image(img, ilen, what);
	text2 = round_trip_image(img, ilen, what);
	cr_assert_str_eq(text, text2);
	free(text2);
	free(img);
	asm_prog_free(&p);
	return text;
}

static char *
source_of(const char *src)
{
	return round_trip(src, strlen(src), src);
}

static void
expect_source(const char *src, const char *want)
{
	char	*got = source_of(src);

	cr_expect_str_eq(got, want, "source:\n%s\ngot:\n%s\nwant:\n%s", src,
	    got, want);
	free(got);
}

/* An image of RO and code bytes, built by hand. */
static uint8_t *
make_image(const void *ro, uint32_t ro_len, const void *code,
    uint32_t code_len, size_t *len)
{
	uint8_t	*img = image_build(ro, ro_len, code, code_len, len);

	cr_assert_not_null(img);
	return img;
}

static void
expect_refusal(const void *ro, uint32_t ro_len, const void *code,
    uint32_t code_len, const char *want)
{
	struct image	 img;
	struct buf	 out;
	uint8_t		*bytes;
	size_t		 len;
	char		 err[256];

	bytes = make_image(ro, ro_len, code, code_len, &len);
	cr_assert_eq(image_parse(&img, bytes, len, err, sizeof(err)), 0);
	buf_init(&out, 0);
	buf_puts(&out, "kept");
	cr_assert_eq(disasm_source(&out, &img, err, sizeof(err)), -1,
	    "accepted, want %s", want);
	cr_expect_str_eq(err, want);
	/* A refusal appends nothing. */
	cr_expect_eq(out.len, 4);
	cr_expect_str_eq(out.data, "kept");
	buf_free(&out);
	free(bytes);
}

/* --- formats -------------------------------------------------------------- */

Test(disasm_format, source_exact_text)
{
	expect_source(".data\nhello: .asciiz 'Hi, it\\'s me\\n'\n"
	    "n: .integer #-7\n.code\nstart: prts @hello\nload $1 #100000\n"
	    "cloop #2\nagain: djmpe @done\nloop @again\ncall @start\n"
	    "prts #2\ndone:",
	    ".data\n"
	    "d0:\t.asciiz 'Hi, it\\'s me\\n'\n"
	    "d13:\t.integer #-7\n"
	    ".code\n"
	    "L88:\n"
	    "\tprts @d0\n"
	    "\tload $1 #1\n"
	    "\tlui $1 #34464\n"
	    "\tcloop #2\n"
	    "L104:\n"
	    "\tdjmpe @L120\n"
	    "\tloop @L104\n"
	    "\tcall @L88\n"
	    "\tprts #2\n"
	    "L120:\n");
}

Test(disasm_format, empty_and_code_only)
{
	expect_source("", ".code\n");
	expect_source("hlt", ".code\n\thlt\n");
	/* Four zero bytes: an empty string and padding, or one integer. */
	expect_source(".data\nx: .asciiz ''", ".data\nd0:\t.integer #0\n"
	    ".code\n");
	expect_source(".data\nx: .asciiz 'a'\ny: .asciiz ''\n"
	    "z: .asciiz 'b'", ".data\nd0:\t.asciiz 'a'\nd2:\t.asciiz ''\n"
	    "d3:\t.asciiz 'b'\n.code\n");
}

Test(disasm_format, listing_exact_text)
{
	static const char src[] = ".data\nmsg: .asciiz 'hi'\n.code\n"
	    "start: load $0 #3\nloop: prts @msg\ndec $0\nagain:\n"
	    "neq $0 $31\ndjmpe @loop\ndjmpe #5\nend:";
	struct asm_prog	 p;
	struct image	 img;
	struct buf	 out;

	assemble(&p, src, strlen(src), "listing");
	asm_prog_image(&p, &img);
	buf_init(&out, 0);
	cr_assert_eq(disasm_listing(&out, &img, &p), 0);
	cr_expect_str_eq(out.data,
	    "start:\n"
	    "  00072  00 00 00 03  load $0 #3\n"
	    "loop:\n"
	    "  00076  15 00 00 00  prts @msg\n"
	    "  00080  13 00 00 00  dec $0\n"
	    "again:\n"
	    "  00084  0a 00 1f 00  neq $0 $31\n"
	    "  00088  14 00 4c 00  djmpe @loop\n"
	    "  00092  14 00 05 00  djmpe #5\n"
	    "end:\n");
	/* Without symbols: numbers only. */
	buf_reset(&out);
	cr_assert_eq(disasm_listing(&out, &img, NULL), 0);
	cr_expect_str_eq(out.data,
	    "  00072  00 00 00 03  load $0 #3\n"
	    "  00076  15 00 00 00  prts #0\n"
	    "  00080  13 00 00 00  dec $0\n"
	    "  00084  0a 00 1f 00  neq $0 $31\n"
	    "  00088  14 00 4c 00  djmpe #76\n"
	    "  00092  14 00 05 00  djmpe #5\n");
	buf_free(&out);
	asm_prog_free(&p);
}

Test(disasm_format, listing_shows_what_cannot_be_assembled)
{
	static const uint8_t code[] = { 200, 1, 2, 3, OP_ADD, 40, 1, 2,
	    OP_SHL, 1, 0, 40 };
	struct image	 img = { NULL, 0, code, sizeof(code) };
	struct buf	 out;

	buf_init(&out, 0);
	cr_assert_eq(disasm_listing(&out, &img, NULL), 0);
	cr_expect_str_eq(out.data,
	    "  00068  c8 01 02 03  (unknown opcode 200)\n"
	    "  00072  01 28 01 02  add $40 $1 $2\n"
	    "  00076  21 01 00 28  shl $1 #40\n");
	buf_free(&out);
}

Test(disasm_format, insn_text_of_every_opcode)
{
	const struct isa_info	*info;
	struct asm_prog		 p;
	struct buf		 out;
	char			 src[64];
	int			 b, i, o, k;
	int64_t			 n;

	buf_init(&out, 0);
	for (b = 0; b < 256; b++) {
		if ((info = isa_lookup((uint8_t)b)) == NULL)
			continue;
		for (k = 0; k < 2; k++) {
			/* Each end of the printed range reads back as is. */
			n = k == 0 ? info->hi : info->lo;
			if (b == OP_LOAD)
				n = k == 0 ? 32767 : -32768;
			if (b == OP_LUI)
				n = k == 0 ? 65535 : 0;
			o = snprintf(src, sizeof(src), "%s", info->mnemonic);
			for (i = 0; i < isa_nops(info->fmt); i++) {
				if (isa_opnd_is_reg(info->fmt, i))
					o += snprintf(src + o, sizeof(src) -
					    (size_t)o, " $%d", i * 7 + 3);
				else
					o += snprintf(src + o, sizeof(src) -
					    (size_t)o, " #%lld", (long long)n);
			}
			assemble(&p, src, strlen(src), src);
			buf_reset(&out);
			cr_assert_eq(disasm_insn(&out, p.code), 0);
			cr_expect_str_eq(out.data, src);
			asm_prog_free(&p);
		}
	}
	buf_reset(&out);
	disasm_insn(&out, (const uint8_t *)"\xc8\0\0\0");
	cr_expect_str_eq(out.data, "(unknown opcode 200)");
	buf_free(&out);
}

/* --- RO data -------------------------------------------------------------- */

static void
expect_data(const void *ro, uint32_t len, const char *want)
{
	uint8_t	*img;
	size_t	 ilen;
	char	*got;

	img = make_image(ro, len, NULL, 0, &ilen);
	got = round_trip_image(img, ilen, want);
	cr_expect_str_eq(got, want);
	free(got);
	free(img);
}

Test(disasm_data, text_integers_and_padding)
{
	/* Text with its NUL; the padding after it is implicit. */
	expect_data("Hi\0\0", 4, ".data\nd0:\t.asciiz 'Hi'\n.code\n");
	expect_data("abc\0", 4, ".data\nd0:\t.asciiz 'abc'\n.code\n");
	/* Escapes, and UTF-8 as it is. */
	expect_data("a'\\\n\t\xc3\xa9\0\0", 8, ".data\nd0:\t.asciiz "
	    "'a\\'\\\\\\n\\t\xc3\xa9'\n.code\n");
	/* Not text: control bytes, C1 controls, bad UTF-8, no NUL. */
	expect_data("\x01\x02\x03\x04", 4, ".data\nd0:\t.integer #67305985\n"
	    ".code\n");
	expect_data("\xc2\x85z\0", 4, ".data\nd0:\t.integer #8029634\n"
	    ".code\n");
	expect_data("\xff\xfe\0\0", 4, ".data\nd0:\t.integer #65279\n"
	    ".code\n");
	expect_data("abcd", 4, ".data\nd0:\t.integer #1684234849\n.code\n");
	expect_data("\0\0\0\0", 4, ".data\nd0:\t.integer #0\n.code\n");
	expect_data("\xff\xff\xff\xff", 4, ".data\nd0:\t.integer #-1\n"
	    ".code\n");
	/* Strings and integers mixed, cut where the text is. */
	expect_data("\x05\0\0\0one\0two\0\0\0\0\0", 16, ".data\n"
	    "d0:\t.integer #5\nd4:\t.asciiz 'one'\nd8:\t.asciiz 'two'\n"
	    "d12:\t.integer #0\n.code\n");
	/* Text whose end is no multiple of 4, then non-text. */
	expect_data("a\0\x01\x02\x03\x04\0\0", 8, ".data\nd0:\t.asciiz 'a'\n"
	    "d2:\t.integer #67305985\n.code\n");
}

Test(disasm_data, any_ro_bytes_round_trip)
{
	uint8_t		 ro[64];
	uint8_t		*img;
	size_t		 ilen;
	uint32_t	 x = 1, len, i;
	int		 round, kind;
	static const char alphabet[] = "ab \n\t'\\;\0\0\0\xc3\xa9\x01\xff";

	for (round = 0; round < 3000; round++) {
		len = (uint32_t)(round % 17) * 4;
		kind = round % 3;
		for (i = 0; i < len; i++) {
			x = x * 1664525 + 1013904223;
			ro[i] = kind == 0 ? (uint8_t)(x >> 24) :
			    kind == 1 ? (uint8_t)alphabet[(x >> 24) %
			    (sizeof(alphabet) - 1)] : (uint8_t)(((x >> 24) &
			    1) ? 0 : 'a' + (x >> 28));
		}
		img = make_image(ro, len, NULL, 0, &ilen);
		free(round_trip_image(img, ilen, "random RO"));
		free(img);
	}
}

/* --- code ----------------------------------------------------------------- */

Test(disasm_code, labels_only_where_targets_land_on_code)
{
	/* #5 and #70 are no instruction starts; @end is the end. */
	expect_source("a: djmpe #5\ndjmpe #70\nloop @a\ncall @end\nend:",
	    ".code\nL68:\n\tdjmpe #5\n\tdjmpe #70\n\tloop @L68\n"
	    "\tcall @L84\nL84:\n");
	/* PRTS uses a data label only at an item start. */
	expect_source(".data\ns: .asciiz 'abc'\n.code\nprts @s\nprts #1\n"
	    "prts #4", ".data\nd0:\t.asciiz 'abc'\n.code\n\tprts @d0\n"
	    "\tprts #1\n\tprts #4\n");
	/* A number that happens to be an address stays a number. */
	expect_source("load $0 #68\njmp $0\ncloop #68",
	    ".code\n\tload $0 #68\n\tjmp $0\n\tcloop #68\n");
}

Test(disasm_code, programs_round_trip)
{
	static const char *const progs[] = {
		"load $0 #-32768\nload $1 #32767\nload $2 #-32769\n"
		"load $3 #4294967295\nload $4 #0x80000000\nlui $5 #-1\n"
		"lui $5 #-32768\nloadf64 $6 #-5\nshl $7 #31\nshr $7 #0\n",
		".data\ne: .asciiz ''\nf: .asciiz ''\ng: .integer #0\n"
		"h: .asciiz 'x;y'\n.code\nprts @h\nprts @e\nprts @f\n",
		".data\nu: .asciiz '\xe2\x82\xac \xf0\x9f\x98\x80 \\0 tail'\n"
		"v: .integer @w\n.code\nw: hlt\n",
		".data\nonly: .integer #1\n",
		"igl\nnop\nret\nhlt\n",
		"x: djmpe @x\ny: loop @y\nz: call @z\nend:\n",
	};
	size_t	 i;

	for (i = 0; i < sizeof(progs) / sizeof(progs[0]); i++)
		free(source_of(progs[i]));
}

Test(disasm_code, random_code_round_trips)
{
	const struct isa_info	*info;
	uint8_t			 code[4 * 64], *img;
	size_t			 ilen;
	uint32_t		 x = 7, n, i, span, v;
	int			 round, k, pos, b;

	for (round = 0; round < 500; round++) {
		n = (uint32_t)round % 64 + 1;
		memset(code, 0, sizeof(code));
		for (i = 0; i < n; i++) {
			do {
				x = x * 1664525 + 1013904223;
				b = (int)(x >> 24);
			} while ((info = isa_lookup((uint8_t)b)) == NULL);
			code[4 * i] = (uint8_t)b;
			pos = 1;
			for (k = 0; k < isa_nops(info->fmt); k++) {
				x = x * 1664525 + 1013904223;
				if (isa_opnd_is_reg(info->fmt, k)) {
					code[4 * i + pos++] =
					    (uint8_t)((x >> 20) % 32);
					continue;
				}
				/* Any value the assembler can write. */
				span = b == OP_LOAD || b == OP_LUI ||
				    b == OP_LOADF64 || b == OP_CLOOP ? 65536 :
				    (uint32_t)(info->hi - info->lo + 1);
				/* Half the time, aim at code for labels. */
				if (round % 2 == 0 && span == 32768)
					v = 68 + 4 * ((x >> 8) % (n + 1));
				else
					v = (x >> 8) % span;
				isa_put16(code + 4 * i + pos, (uint16_t)v);
				pos += 2;
			}
		}
		img = make_image(NULL, 0, code, 4 * n, &ilen);
		free(round_trip_image(img, ilen, "random code"));
		free(img);
	}
}

/* --- refusals ------------------------------------------------------------- */

Test(disasm_refuse, what_the_assembler_cannot_write)
{
	expect_refusal(NULL, 0, "\xc8\0\0\0", 4,
	    "unknown opcode 200 at image offset 68");
	expect_refusal("ab\0\0", 4, "\x10\0\0\0\x01\x01\x28\x02", 8,
	    "register byte 40 at image offset 78 is past $31 (add)");
	expect_refusal(NULL, 0, "\x12\x01\0\x01", 4,
	    "non-zero padding byte 0x01 at image offset 71 (inc)");
	expect_refusal(NULL, 0, "\x05\x07\0\0", 4,
	    "non-zero padding byte 0x07 at image offset 69 (hlt)");
	expect_refusal(NULL, 0, "\x14\0\0\x09", 4,
	    "non-zero padding byte 0x09 at image offset 71 (djmpe)");
	expect_refusal(NULL, 0, "\x21\x01\0\x28", 4,
	    "operand 40 of shl at image offset 70 is outside its assembly "
	    "range (0..31)");
	expect_refusal(NULL, 0, "\x10\0\0\0\x14\x9c\x40\0", 8,
	    "operand 40000 of djmpe at image offset 73 is outside its "
	    "assembly range (0..32767)");
	expect_refusal(NULL, 0, "\x15\x80\0\0", 4,
	    "operand 32768 of prts at image offset 69 is outside its "
	    "assembly range (0..32767)");
}

Test(disasm_refuse, a_view_that_is_no_image)
{
	struct image	 img = { (const uint8_t *)"abc", 3, NULL, 0 };
	struct buf	 out;
	char		 err[256];

	buf_init(&out, 0);
	cr_assert_eq(disasm_source(&out, &img, err, sizeof(err)), -1);
	cr_expect_str_eq(err, "not a valid image (RO section 3 bytes at image "
	    "offset 68, code 0 bytes)");
	cr_expect_eq(out.len, 0);
}

/* --- the examples --------------------------------------------------------- */

static int
is_iasm(const struct dirent *e)
{
	size_t	 n = strlen(e->d_name);

	return n > 5 && strcmp(e->d_name + n - 5, ".iasm") == 0;
}

Test(disasm_examples, every_example_round_trips)
{
	struct dirent	**list;
	const char	*root = getenv("IRIDIUM_SRC");
	char		 path[4096], *text;
	FILE		*f;
	struct buf	 src;
	size_t		 n;
	int		 i, count;

	if (root == NULL)
		cr_skip_test("IRIDIUM_SRC is not set");
	snprintf(path, sizeof(path), "%s/contrib/examples", root);
	count = scandir(path, &list, is_iasm, alphasort);
	cr_assert_gt(count, 0, "no *.iasm examples in %s", path);
	for (i = 0; i < count; i++) {
		snprintf(path, sizeof(path), "%s/contrib/examples/%s", root,
		    list[i]->d_name);
		f = fopen(path, "r");
		cr_assert_not_null(f, "%s", path);
		buf_init(&src, 0);
		for (;;) {
			char	 chunk[4096];

			if ((n = fread(chunk, 1, sizeof(chunk), f)) == 0)
				break;
			buf_append(&src, chunk, n);
		}
		fclose(f);
		text = round_trip(src.data != NULL ? src.data : "", src.len,
		    path);
		free(text);
		buf_free(&src);
		free(list[i]);
	}
	free(list);
	cr_log_info("%d examples round-tripped", count);
}
