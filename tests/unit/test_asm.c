/*
 * test_asm.c: the assembler against iridium(7), "THE ASSEMBLY LANGUAGE".
 *
 * Every opcode's encoding is derived from the isa.h table rather than
 * restated, so a table change is tested without editing this file; every
 * error message is pinned with its line and column; asm_line() is tested
 * as the REPL uses it.
 */
#include <criterion/criterion.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "asm.h"
#include "buf.h"
#include "isa.h"

/* --- helpers -------------------------------------------------------------- */

/* "LINE:COL: msg\n" for every diagnostic. */
static char *
diags_text(const struct asm_diags *d)
{
	struct buf	 b;
	char		 line[1024];
	size_t		 i;

	buf_init(&b, 0);
	for (i = 0; i < d->n; i++) {
		asm_diag_format(line, sizeof(line), NULL, &d->v[i]);
		buf_printf(&b, "%s\n", line);
	}
	return buf_steal(&b);
}

/* Assemble src, which must succeed, into *p. */
static void
assemble(struct asm_prog *p, const char *src)
{
	struct asm_diags	 d;
	char			*t;

	asm_diags_init(&d);
	asm_prog_init(p);
	if (asm_source(p, src, strlen(src), &d) != 0) {
		t = diags_text(&d);
		cr_assert_fail("assembling\n%s\nfailed:\n%s", src, t);
	}
	cr_assert_eq(d.n, 0);
	asm_diags_free(&d);
}

/* Assemble src, which must fail; return the diagnostics as text. */
static char *
assemble_err(const char *src, size_t len)
{
	struct asm_prog		 p;
	struct asm_diags	 d;
	char			*t;

	asm_diags_init(&d);
	asm_prog_init(&p);
	cr_assert_eq(asm_source(&p, src, len, &d), -1, "%s assembled", src);
	cr_assert_gt(d.n, 0, "failure without diagnostics for %s", src);
	/* The output program is untouched: still empty. */
	cr_assert_null(p.code);
	cr_assert_null(p.ro);
	cr_assert_eq(p.nsyms, 0);
	t = diags_text(&d);
	asm_diags_free(&d);
	return t;
}

static void
expect_err(const char *src, const char *want)
{
	char	*got = assemble_err(src, strlen(src));

	cr_expect_str_eq(got, want, "source:\n%s\ngot:\n%swant:\n%s", src,
	    got, want);
	free(got);
}

/* The 4 bytes of instruction i. */
static void
expect_insn(const struct asm_prog *p, unsigned i, uint8_t b0, uint8_t b1,
    uint8_t b2, uint8_t b3)
{
	const uint8_t	*c;

	cr_assert_lt(i * 4, p->code_len, "no instruction %u", i);
	c = p->code + 4 * i;
	cr_expect(c[0] == b0 && c[1] == b1 && c[2] == b2 && c[3] == b3,
	    "instruction %u is %02x %02x %02x %02x, want %02x %02x %02x %02x",
	    i, c[0], c[1], c[2], c[3], b0, b1, b2, b3);
}

static uint32_t
sym_value(const struct asm_prog *p, const char *name, enum asm_sym_kind kind)
{
	const struct asm_sym	*s = asm_sym_find(p, name);

	cr_assert_not_null(s, "no symbol %s", name);
	cr_assert_eq(s->kind, kind, "symbol %s has the wrong kind", name);
	return s->value;
}

/* Source operands for an opcode: registers $3 $17 $31, number n. */
static const int regs[] = { 3, 17, 31 };

static void
insn_text(char *buf, size_t len, const struct isa_info *info, int64_t n,
    int upper)
{
	int	 i, o;
	size_t	 k;

	o = snprintf(buf, len, "%s", info->mnemonic);
	if (upper)
		for (k = 0; buf[k] != '\0'; k++)
			if (buf[k] >= 'a' && buf[k] <= 'z')
				buf[k] = (char)(buf[k] - 'a' + 'A');
	for (i = 0; i < isa_nops(info->fmt); i++) {
		if (isa_opnd_is_reg(info->fmt, i))
			o += snprintf(buf + o, len - (size_t)o, " $%d",
			    regs[i]);
		else
			o += snprintf(buf + o, len - (size_t)o, " #%lld",
			    (long long)n);
	}
}

/* --- encodings ------------------------------------------------------------ */

Test(asm_encode, every_opcode_from_the_table)
{
	const struct isa_info	*info;
	struct asm_prog		 p;
	char			 src[128];
	int			 b, upper, tested = 0, i, pos;
	int64_t			 n, vals[2];
	size_t			 k;

	for (b = 0; b < 256; b++) {
		if ((info = isa_lookup((uint8_t)b)) == NULL)
			continue;
		/* The numeric operand at both ends of its range. */
		vals[0] = info->lo;
		vals[1] = info->hi;
		if (b == OP_LOAD) {
			vals[0] = -32768;	/* the split is tested apart */
			vals[1] = 32767;
		}
		for (k = 0; k < 2; k++) {
			n = vals[k];
			for (upper = 0; upper < 2; upper++) {
				insn_text(src, sizeof(src), info, n, upper);
				assemble(&p, src);
				cr_assert_eq(p.code_len, 4, "%s", src);
				cr_expect_eq(p.code[0], b, "%s", src);
				pos = 1;
				for (i = 0; i < isa_nops(info->fmt); i++) {
					if (isa_opnd_is_reg(info->fmt, i)) {
						cr_expect_eq(p.code[pos],
						    regs[i], "%s", src);
						pos++;
					} else {
						cr_expect_eq(isa_get16(p.code +
						    pos), (uint16_t)n, "%s",
						    src);
						pos += 2;
					}
				}
				for (; pos < 4; pos++)
					cr_expect_eq(p.code[pos], 0,
					    "%s: padding", src);
				asm_prog_free(&p);
				tested++;
			}
		}
	}
	cr_expect_eq(tested, 49 * 4);
}

Test(asm_encode, every_number_operand_rejects_its_range_ends)
{
	const struct isa_info	*info;
	char			 src[128], want[256], q[64];
	int			 b, k;
	int64_t			 n;

	for (b = 0; b < 256; b++) {
		if ((info = isa_lookup((uint8_t)b)) == NULL ||
		    (info->fmt != ISA_F_N && info->fmt != ISA_F_RN))
			continue;
		for (k = 0; k < 2; k++) {
			n = k == 0 ? info->lo - 1 : info->hi + 1;
			insn_text(src, sizeof(src), info, n, 0);
			snprintf(q, sizeof(q), "#%lld", (long long)n);
			snprintf(want, sizeof(want), "1:%zu: immediate %s out "
			    "of range for %s (%lld..%lld)\n",
			    strstr(src, "#") - src + 1, q, info->mnemonic,
			    (long long)info->lo, (long long)info->hi);
			expect_err(src, want);
		}
	}
}

Test(asm_encode, igl_is_byte_100)
{
	struct asm_prog	 p;

	assemble(&p, "igl\nIGL");
	expect_insn(&p, 0, 100, 0, 0, 0);
	expect_insn(&p, 1, 100, 0, 0, 0);
	asm_prog_free(&p);
}

Test(asm_encode, numbers_decimal_hex_negative)
{
	struct asm_prog	 p;

	assemble(&p, "load $1 #0x7FFF\nload $2 #0X10\nload $3 #-0x8000\n"
	    "load $4 #-0\nload $5 #007\nlui $6 #0xffff\ncloop #65535\n"
	    "loadf64 $7 #-1\nshl $8 #0x1f");
	expect_insn(&p, 0, OP_LOAD, 1, 0x7f, 0xff);
	expect_insn(&p, 1, OP_LOAD, 2, 0x00, 0x10);
	expect_insn(&p, 2, OP_LOAD, 3, 0x80, 0x00);
	expect_insn(&p, 3, OP_LOAD, 4, 0, 0);
	expect_insn(&p, 4, OP_LOAD, 5, 0, 7);
	expect_insn(&p, 5, OP_LUI, 6, 0xff, 0xff);
	expect_insn(&p, 6, OP_CLOOP, 0xff, 0xff, 0);
	expect_insn(&p, 7, OP_LOADF64, 7, 0xff, 0xff);
	expect_insn(&p, 8, OP_SHL, 8, 0, 31);
	cr_expect_eq(p.code_len, 9 * 4);
	asm_prog_free(&p);
}

/* --- LOAD of 32-bit values ------------------------------------------------ */

/* Run LOAD (and LUI) as the VM does and return the register. */
static uint32_t
simulate_load(const uint8_t *code, uint32_t len)
{
	uint32_t	 r;

	cr_assert_eq(code[0], OP_LOAD);
	r = (uint32_t)(int32_t)(int16_t)isa_get16(code + 2);
	if (len == 8) {
		cr_assert_eq(code[4], OP_LUI);
		cr_assert_eq(code[5], code[1], "LUI names another register");
		r = (r << 16) | isa_get16(code + 6);
	}
	return r;
}

Test(asm_load, split_at_the_boundaries)
{
	static const int64_t	 vals[] = { 0, 1, -1, -32768, 32767, -32769,
	    32768, 65535, 65536, 0x7fffffff, 0x80000000LL, 0xffffffffLL,
	    -2147483648LL, 0x12345678, -123456789 };
	struct asm_prog		 p;
	char			 src[64];
	size_t			 i;
	int			 fits;

	for (i = 0; i < sizeof(vals) / sizeof(vals[0]); i++) {
		snprintf(src, sizeof(src), "load $9 #%lld", (long long)vals[i]);
		assemble(&p, src);
		fits = vals[i] >= -32768 && vals[i] <= 32767;
		cr_assert_eq(p.code_len, fits ? 4u : 8u, "%s", src);
		/* Byte layout: hi half to LOAD, lo half to LUI. */
		cr_expect_eq(p.code[0], OP_LOAD, "%s", src);
		cr_expect_eq(p.code[1], 9, "%s", src);
		if (!fits) {
			cr_expect_eq(isa_get16(p.code + 2),
			    (uint16_t)((uint32_t)vals[i] >> 16), "%s", src);
			cr_expect_eq(p.code[4], OP_LUI, "%s", src);
			cr_expect_eq(p.code[5], 9, "%s", src);
			cr_expect_eq(isa_get16(p.code + 6),
			    (uint16_t)((uint32_t)vals[i] & 0xffff), "%s", src);
		} else
			cr_expect_eq(isa_get16(p.code + 2),
			    (uint16_t)vals[i], "%s", src);
		cr_expect_eq(simulate_load(p.code, p.code_len),
		    (uint32_t)vals[i], "%s loads the wrong value", src);
		asm_prog_free(&p);
	}
}

Test(asm_load, exact_bytes_of_a_split)
{
	struct asm_prog	 p;

	assemble(&p, "load $2 #0x80000000\nload $3 #4294967295\n"
	    "load $4 #-32769");
	expect_insn(&p, 0, OP_LOAD, 2, 0x80, 0x00);
	expect_insn(&p, 1, OP_LUI, 2, 0x00, 0x00);
	expect_insn(&p, 2, OP_LOAD, 3, 0xff, 0xff);
	expect_insn(&p, 3, OP_LUI, 3, 0xff, 0xff);
	expect_insn(&p, 4, OP_LOAD, 4, 0xff, 0xff);
	expect_insn(&p, 5, OP_LUI, 4, 0x7f, 0xff);
	asm_prog_free(&p);
}

Test(asm_load, a_split_moves_later_labels)
{
	struct asm_prog	 p;

	assemble(&p, "load $0 #100000\nx: nop\ndjmpe @x");
	cr_expect_eq(sym_value(&p, "x", ASM_SYM_CODE), 68 + 8);
	expect_insn(&p, 3, OP_DJMPE, 0, 76, 0);
	asm_prog_free(&p);
}

Test(asm_load, a_label_operand_is_never_split)
{
	struct asm_prog	 p;

	assemble(&p, "load $0 @x\nx: hlt");
	cr_expect_eq(p.code_len, 8);
	expect_insn(&p, 0, OP_LOAD, 0, 0, 72);
	asm_prog_free(&p);
}

/* --- labels --------------------------------------------------------------- */

Test(asm_labels, forward_backward_and_no_space)
{
	struct asm_prog	 p;

	assemble(&p, "top: djmpe @bottom\na:nop\n  loop @top\nbottom: call @a");
	cr_expect_eq(sym_value(&p, "top", ASM_SYM_CODE), 68);
	cr_expect_eq(sym_value(&p, "a", ASM_SYM_CODE), 72);
	cr_expect_eq(sym_value(&p, "bottom", ASM_SYM_CODE), 80);
	expect_insn(&p, 0, OP_DJMPE, 0, 80, 0);
	expect_insn(&p, 1, OP_NOP, 0, 0, 0);
	expect_insn(&p, 2, OP_LOOP, 0, 68, 0);
	expect_insn(&p, 3, OP_CALL, 0, 72, 0);
	asm_prog_free(&p);
}

Test(asm_labels, case_sensitive_and_underscores)
{
	struct asm_prog	 p;

	assemble(&p, "A: nop\na: hlt\n_x_1: djmpe @A\ndjmpe @a\ndjmpe @_x_1");
	expect_insn(&p, 2, OP_DJMPE, 0, 68, 0);
	expect_insn(&p, 3, OP_DJMPE, 0, 72, 0);
	expect_insn(&p, 4, OP_DJMPE, 0, 76, 0);
	asm_prog_free(&p);
}

Test(asm_labels, label_alone_names_the_next_item)
{
	struct asm_prog	 p;

	assemble(&p, "nop\nfirst:\n; a comment\n\nsecond:\n  hlt\n"
	    "end1:\nend2:");
	cr_expect_eq(sym_value(&p, "first", ASM_SYM_CODE), 72);
	cr_expect_eq(sym_value(&p, "second", ASM_SYM_CODE), 72);
	/* At the end of the file: the end of the code. */
	cr_expect_eq(sym_value(&p, "end1", ASM_SYM_CODE), 76);
	cr_expect_eq(sym_value(&p, "end2", ASM_SYM_CODE), 76);
	cr_expect_eq(sym_value(&p, "end1", ASM_SYM_CODE), 68 + p.ro_len +
	    p.code_len);
	asm_prog_free(&p);
}

Test(asm_labels, data_labels_are_ro_offsets_code_labels_image_offsets)
{
	struct asm_prog	 p;

	assemble(&p, ".data\nmsg: .asciiz 'hello'\nnum: .integer #7\n"
	    "two:\n.asciiz 'x'\n.code\nstart: prts @msg\nload $1 @num\n"
	    "load $2 @start\nfin:");
	cr_expect_eq(sym_value(&p, "msg", ASM_SYM_DATA), 0);
	cr_expect_eq(sym_value(&p, "num", ASM_SYM_DATA), 6);
	cr_expect_eq(sym_value(&p, "two", ASM_SYM_DATA), 10);
	cr_assert_eq(p.ro_len, 12);
	cr_expect_eq(sym_value(&p, "start", ASM_SYM_CODE), 68 + 12);
	cr_expect_eq(sym_value(&p, "fin", ASM_SYM_CODE), 68 + 12 + 12);
	expect_insn(&p, 0, OP_PRTS, 0, 0, 0);
	expect_insn(&p, 1, OP_LOAD, 1, 0, 6);
	expect_insn(&p, 2, OP_LOAD, 2, 0, 80);
	cr_expect_eq(asm_sym_find(&p, "nothere"), NULL);
	cr_expect_eq(p.syms[0].line, 2);
	asm_prog_free(&p);
}

Test(asm_labels, label_as_any_number_operand)
{
	struct asm_prog	 p;

	assemble(&p, ".data\nz: .integer #1\nq: .integer @c\n.code\n"
	    "shl $1 @z\nlui $1 @c\ncloop @c\nloadf64 $2 @c\nc: nop");
	expect_insn(&p, 0, OP_SHL, 1, 0, 0);
	expect_insn(&p, 1, OP_LUI, 1, 0, 92);
	expect_insn(&p, 2, OP_CLOOP, 0, 92, 0);
	expect_insn(&p, 3, OP_LOADF64, 2, 0, 92);
	cr_expect_eq(p.ro[4], 92);
	asm_prog_free(&p);
}

/* --- sections and data ---------------------------------------------------- */

Test(asm_sections, none_means_all_code)
{
	struct asm_prog	 p;

	assemble(&p, "nop\nhlt\n");
	cr_expect_eq(p.ro_len, 0);
	cr_expect_eq(p.code_len, 8);
	asm_prog_free(&p);
}

Test(asm_sections, code_only_data_only_and_both)
{
	struct asm_prog	 p;

	assemble(&p, ".code\nnop");
	cr_expect_eq(p.code_len, 4);
	asm_prog_free(&p);
	assemble(&p, ".data\nx: .integer #0x01020304");
	cr_expect_eq(p.code_len, 0);
	cr_assert_eq(p.ro_len, 4);
	cr_expect_arr_eq(p.ro, "\x04\x03\x02\x01", 4);
	asm_prog_free(&p);
	assemble(&p, "; lead\n\n.DATA\nx: .ASCIIZ 'a'\n.Code\nHlt");
	cr_expect_eq(p.ro_len, 4);
	cr_expect_eq(p.code_len, 4);
	asm_prog_free(&p);
	assemble(&p, "");
	cr_expect_eq(p.ro_len + p.code_len + p.nsyms, 0);
}

Test(asm_data, strings_escapes_and_padding)
{
	struct asm_prog	 p;

	assemble(&p, ".data\na: .asciiz 'a;b' ; comment 'x'\n"
	    "b: .asciiz '\\n\\t\\\\\\'\\0'\nc: .asciiz ''\nd: .asciiz 'é'\n"
	    "e:\n  .asciiz 'x y'");
	cr_assert_eq(p.ro_len, 20);
	cr_expect_arr_eq(p.ro, "a;b\0\n\t\\'\0\0\0\xc3\xa9\0x y\0\0", 20);
	cr_expect_eq(sym_value(&p, "b", ASM_SYM_DATA), 4);
	cr_expect_eq(sym_value(&p, "c", ASM_SYM_DATA), 10);
	cr_expect_eq(sym_value(&p, "d", ASM_SYM_DATA), 11);
	cr_expect_eq(sym_value(&p, "e", ASM_SYM_DATA), 14);
	asm_prog_free(&p);
}

Test(asm_data, padding_to_a_multiple_of_4)
{
	static const char *const srcs[] = { "'abc'", "'abcd'", "'a'", "''" };
	static const uint32_t	 lens[] = { 4, 8, 4, 4 };
	struct asm_prog		 p;
	char			 src[64];
	size_t			 i;
	uint32_t		 k;

	for (i = 0; i < 4; i++) {
		snprintf(src, sizeof(src), ".data\ns: .asciiz %s", srcs[i]);
		assemble(&p, src);
		cr_expect_eq(p.ro_len, lens[i], "%s", src);
		for (k = (uint32_t)strlen(srcs[i]) - 2; k < p.ro_len; k++)
			cr_expect_eq(p.ro[k], 0, "%s: byte %u", src, k);
		asm_prog_free(&p);
	}
}

Test(asm_data, integers_little_endian_no_alignment)
{
	struct asm_prog	 p;

	assemble(&p, ".data\ns: .asciiz 'a'\nmin: .integer #-2147483648\n"
	    "max: .integer #4294967295\nhx: .integer #0x12345678");
	cr_assert_eq(p.ro_len, 16);
	cr_expect_arr_eq(p.ro, "a\0\0\0\0\x80\xff\xff\xff\xff\x78\x56\x34\x12"
	    "\0\0", 16);
	cr_expect_eq(sym_value(&p, "min", ASM_SYM_DATA), 2);
	asm_prog_free(&p);
}

Test(asm_data, raw_bytes_in_strings_are_kept)
{
	struct asm_prog	 p;

	assemble(&p, ".data\ns: .asciiz '\x01\xff\t'");
	cr_assert_eq(p.ro_len, 4);
	cr_expect_arr_eq(p.ro, "\x01\xff\t\0", 4);
	asm_prog_free(&p);
}

/* --- errors --------------------------------------------------------------- */

static const struct {
	const char	*src;
	const char	*want;
} errors[] = {
	/* mnemonics, directives, operands */
	{ "frob $1", "1:1: unknown mnemonic 'frob'\n" },
	{ "  $1 $2", "1:3: expected a mnemonic or directive, got '$1'\n" },
	{ "'abc'", "1:1: expected a mnemonic or directive, got ''abc''\n" },
	{ ".frob", "1:1: unknown directive '.frob' (directives are .data "
	    ".code .asciiz .integer)\n" },
	{ "inc #5", "1:5: register expected for operand 1 of inc, got "
	    "'#5'\n" },
	{ "add $1 @x $3\nx:", "1:8: register expected for operand 2 of add, "
	    "got '@x'\n" },
	{ "load $1 $2", "1:9: number or @label expected for operand 2 of "
	    "load, got '$2'\n" },
	{ "djmpe foo", "1:7: number or @label expected for operand 1 of "
	    "djmpe, got 'foo'\n" },
	{ "add $1 $2", "1:1: missing operand: add takes 3 ($a $b $d), got "
	    "2\n" },
	{ "\tdjmpe ; c", "1:2: missing operand: djmpe takes 1 (#n or "
	    "@label), got 0\n" },
	{ "hlt $1", "1:5: extra operand '$1': hlt takes no operands\n" },
	{ "inc $1 $2 $3", "1:8: extra operand '$2': inc takes 1 ($r)\n" },
	{ "add $1, $2, $3", "1:7: operands are separated by whitespace, not "
	    "commas\n" },
	{ "inc $40", "1:5: unknown register $40 (registers are $0..$31)\n" },
	{ "inc $32", "1:5: unknown register $32 (registers are $0..$31)\n" },
	{ "inc $99999999999999999999", "1:5: unknown register "
	    "$99999999999999999999 (registers are $0..$31)\n" },
	{ "inc $x", "1:5: malformed register '$x' (registers are $0..$31)\n" },
	{ "inc $", "1:5: malformed register '$' (registers are $0..$31)\n" },
	{ "inc $-1", "1:5: malformed register '$-1' (registers are "
	    "$0..$31)\n" },
	{ "shl $1 #32", "1:8: immediate #32 out of range for shl (0..31)\n" },
	{ "load $0 #4294967296", "1:9: immediate #4294967296 out of range "
	    "for load (-2147483648..4294967295)\n" },
	{ "load $0 #-2147483649", "1:9: immediate #-2147483649 out of range "
	    "for load (-2147483648..4294967295)\n" },
	{ "load $0 #99999999999999999999999", "1:9: immediate "
	    "#99999999999999999999999 out of range for load "
	    "(-2147483648..4294967295)\n" },
	{ "djmpe #40000", "1:7: immediate #40000 out of range for djmpe "
	    "(0..32767)\n" },
	/* numbers */
	{ "load $0 #12x", "1:9: malformed number '#12x' (numbers are "
	    "#[-]digits or #[-]0x hex digits)\n" },
	{ "load $0 #", "1:9: malformed number '#' (numbers are #[-]digits "
	    "or #[-]0x hex digits)\n" },
	{ "load $0 #-", "1:9: malformed number '#-' (numbers are #[-]digits "
	    "or #[-]0x hex digits)\n" },
	{ "load $0 #0x", "1:9: malformed number '#0x' (numbers are "
	    "#[-]digits or #[-]0x hex digits)\n" },
	{ "load $0 #0xg", "1:9: malformed number '#0xg' (numbers are "
	    "#[-]digits or #[-]0x hex digits)\n" },
	{ "load $0 #+5", "1:9: malformed number '#+5' (numbers are "
	    "#[-]digits or #[-]0x hex digits)\n" },
	{ "loadf64 $0 #2.5", "1:12: there are no float literals: '#2.5' "
	    "(use an integer; build other values with arithmetic)\n" },
	{ "loadf64 $0 #-.5", "1:12: there are no float literals: '#-.5' "
	    "(use an integer; build other values with arithmetic)\n" },
	{ "loadf64 $0 #1e3", "1:12: there are no float literals: '#1e3' "
	    "(use an integer; build other values with arithmetic)\n" },
	/* labels */
	{ "djmpe @nowhere", "1:7: undefined label 'nowhere'\n" },
	{ "djmpe @Nowhere\nnowhere:", "1:7: undefined label 'Nowhere'\n" },
	{ "a: nop\nb: nop\na: hlt", "3:1: duplicate label 'a' (first "
	    "declared on line 1)\n" },
	{ "a:\na:", "2:1: duplicate label 'a' (first declared on line 1)\n" },
	{ "9a: nop", "1:1: invalid label name '9a' (labels are "
	    "[A-Za-z_][A-Za-z0-9_]*)\n" },
	{ "a-b: nop", "1:1: invalid label name 'a-b' (labels are "
	    "[A-Za-z_][A-Za-z0-9_]*)\n" },
	{ ": nop", "1:1: missing label name before ':'\n" },
	{ "a: b: nop", "1:4: more than one label on a line ('b:' after "
	    "'a:')\n" },
	{ "djmpe @9x", "1:7: malformed label reference '@9x' (labels are "
	    "[A-Za-z_][A-Za-z0-9_]*)\n" },
	{ "djmpe @", "1:7: malformed label reference '@' (labels are "
	    "[A-Za-z_][A-Za-z0-9_]*)\n" },
	{ "shl $1 @x\nx: nop", "1:8: label 'x' (value 72) out of range for "
	    "shl (0..31)\n" },
	/* sections */
	{ ".data\n.asciiz 'x'", "2:1: data directive .asciiz needs a label "
	    "(write 'name: .asciiz ...')\n" },
	{ ".data\n.integer #1", "2:1: data directive .integer needs a label "
	    "(write 'name: .integer ...')\n" },
	{ ".code\nnop\n.data", "3:1: .data after .code (the .data section "
	    "comes first)\n" },
	{ ".data\n.data", "2:1: second .data section (the first is on line "
	    "1)\n" },
	{ ".code\n.code", "2:1: second .code section (the first is on line "
	    "1)\n" },
	{ "nop\n.code", "1:1: instruction 'nop' outside a section (this file "
	    "has section directives: put it after .code)\n" },
	{ "x: .integer #1\n.data", "1:4: data directive .integer outside a "
	    "section (put it after .data)\n" },
	{ ".code\nx: .integer #1", "2:4: data directive .integer in the "
	    ".code section (data goes after .data)\n" },
	{ ".data\nnop", "2:1: instruction 'nop' in the .data section "
	    "(instructions go after .code)\n" },
	{ "x: .asciiz 'a'", "1:4: data directive .asciiz without a .data "
	    "section (with no section directive the whole file is code)\n" },
	{ ".data junk", "1:7: unexpected 'junk' after .data\n" },
	{ ".code ;ok\n.code2", "2:1: unknown directive '.code2' (directives "
	    "are .data .code .asciiz .integer)\n" },
	/* strings and data directives */
	{ ".data\nx: .asciiz 'abc", "2:12: unterminated string (no closing "
	    "')\n" },
	{ ".data\nx: .asciiz 'ab\\'", "2:12: unterminated string (no "
	    "closing ')\n" },
	{ ".data\nx: .asciiz 'a\\qb'", "2:14: unknown escape '\\q' in string "
	    "(escapes are \\n \\t \\\\ \\' \\0)\n" },
	{ ".data\nx: .asciiz 'a' junk", "2:16: unexpected 'junk' after the "
	    "string\n" },
	{ ".data\nx: .asciiz 'a''b'", "2:15: unexpected ''b'' after the "
	    "string\n" },
	{ ".data\nx: .asciiz", "2:4: missing operand: .asciiz takes a string "
	    "in single quotes\n" },
	{ ".data\nx: .asciiz abc", "2:12: string in single quotes expected "
	    "after .asciiz, got 'abc'\n" },
	{ ".data\nx: .integer", "2:4: missing operand: .integer takes a "
	    "number (#n or @label)\n" },
	{ ".data\nx: .integer #1 #2", "2:16: unexpected '#2' after the "
	    "number of .integer\n" },
	{ ".data\nx: .integer #4294967296", "2:13: immediate #4294967296 out "
	    "of range for .integer (-2147483648..4294967295)\n" },
	{ ".data\nx: .integer #1.5", "2:13: there are no float literals: "
	    "'#1.5' (use an integer; build other values with arithmetic)\n" },
	/* columns count characters: tabs, UTF-8, stray bytes */
	{ "\tinc $40", "1:6: unknown register $40 (registers are $0..$31)\n" },
	{ ".data\nmsg: .asciiz 'h\xc3\xa9llo w\xc3\xb6rld' junk",
	    "2:28: unexpected 'junk' after the string\n" },
	{ ".data\nm: .asciiz '\xf0\x9f\x98\x80\xff\xfe' x",
	    "2:18: unexpected 'x' after the string\n" },
	{ "\xff\xfe" "abc", "1:1: expected a mnemonic or directive, got "
	    "'\\xff\\xfeabc'\n" },
	{ "nop\x01", "1:1: expected a mnemonic or directive, got "
	    "'nop\\x01'\n" },
	{ "x\xc3\xa9: nop", "1:1: invalid label name 'x\xc3\xa9' (labels are "
	    "[A-Za-z_][A-Za-z0-9_]*)\n" },
};

Test(asm_errors, each_message_line_and_column)
{
	size_t	 i;

	for (i = 0; i < sizeof(errors) / sizeof(errors[0]); i++)
		expect_err(errors[i].src, errors[i].want);
}

Test(asm_errors, every_error_in_source_order)
{
	/* Several errors on one line come out in column order too. */
	expect_err("add $40 $1\nnop\nfrob\n\nshl $1, #99 x\n"
	    "djmpe @nope ; c\nok: hlt\nok: nop\n",
	    "1:1: missing operand: add takes 3 ($a $b $d), got 2\n"
	    "1:5: unknown register $40 (registers are $0..$31)\n"
	    "3:1: unknown mnemonic 'frob'\n"
	    "5:7: operands are separated by whitespace, not commas\n"
	    "5:9: immediate #99 out of range for shl (0..31)\n"
	    "5:13: extra operand 'x': shl takes 2 ($r #n)\n"
	    "6:7: undefined label 'nope'\n"
	    "8:1: duplicate label 'ok' (first declared on line 7)\n");
}

Test(asm_errors, an_error_does_not_hide_labels_of_its_line)
{
	/* 'x' is declared by a bad line: using it is no second error. */
	expect_err("x: frob\ndjmpe @x",
	    "1:4: unknown mnemonic 'frob'\n");
}

Test(asm_errors, long_tokens_are_cut_in_messages)
{
	char	 src[300], want[300];

	memset(src, 'a', 200);
	strcpy(src + 200, " $1");
	snprintf(want, sizeof(want), "1:1: unknown mnemonic '%.40s...'\n",
	    src);
	expect_err(src, want);
}

Test(asm_errors, image_too_large)
{
	struct asm_prog	 p;
	struct buf	 b;
	char		*got;
	int		 i;

	/* 68 + 8175 * 4 is exactly the limit. */
	buf_init(&b, 0);
	for (i = 0; i < 8175; i++)
		buf_puts(&b, "nop\n");
	assemble(&p, b.data);
	cr_expect_eq(68 + p.code_len, 32768);
	asm_prog_free(&p);
	buf_puts(&b, "end:\nload $0 @end\ndjmpe @end\n");
	got = assemble_err(b.data, b.len);
	cr_expect_str_eq(got,
	    "8177:1: image too large (32776 bytes, at most 32768): this is "
	    "the first item past the limit\n"
	    "8177:9: label 'end' (value 32768) out of range for load "
	    "(-32768..32767; a label is never split into load+lui)\n"
	    "8178:7: label 'end' (value 32768) out of range for djmpe "
	    "(0..32767)\n");
	free(got);
	buf_free(&b);
}

Test(asm_errors, data_counts_toward_the_image_limit)
{
	struct buf	 b;
	char		*got;

	buf_init(&b, 0);
	buf_puts(&b, ".data\nbig: .asciiz '");
	while (b.len < 32800)
		buf_putc(&b, 'x');
	buf_puts(&b, "'\n");
	got = assemble_err(b.data, b.len);
	cr_expect_str_eq(got, "2:6: image too large (32852 bytes, at most "
	    "32768): this is the first item past the limit\n");
	free(got);
	buf_free(&b);
}

Test(asm_errors, failure_leaves_the_output_untouched)
{
	struct asm_prog		 p;
	struct asm_diags	 d;
	uint8_t			*code;

	assemble(&p, "x: hlt");
	code = p.code;
	asm_diags_init(&d);
	cr_assert_eq(asm_source(&p, "nop\nfrob", 8, &d), -1);
	cr_expect_eq(p.code, code);
	cr_expect_eq(p.code_len, 4);
	cr_expect_eq(p.code[0], OP_HLT);
	cr_expect_eq(p.nsyms, 1);
	cr_expect_str_eq(p.syms[0].name, "x");
	asm_diags_free(&d);
	/* And success replaces it. */
	cr_assert_eq(asm_source(&p, "nop\nnop", 7, &d), 0);
	cr_expect_eq(p.code_len, 8);
	cr_expect_eq(p.nsyms, 0);
	asm_prog_free(&p);
}

Test(asm_errors, diag_format)
{
	char		 msg[] = "unknown register $40";
	struct asm_diag	 dg = { 12, 7, msg };
	char		 buf[64], small[8];

	cr_expect_eq(asm_diag_format(buf, sizeof(buf), "prog.iasm", &dg),
	    (int)strlen("prog.iasm:12:7: unknown register $40"));
	cr_expect_str_eq(buf, "prog.iasm:12:7: unknown register $40");
	asm_diag_format(buf, sizeof(buf), NULL, &dg);
	cr_expect_str_eq(buf, "12:7: unknown register $40");
	/* Cut, NUL-terminated, and the needed length returned. */
	cr_expect_eq(asm_diag_format(small, sizeof(small), NULL, &dg), 26);
	cr_expect_str_eq(small, "12:7: u");
}

/*
 * A megabyte of hostile input in several shapes must be handled in linear
 * time (the timeout fails a quadratic pass) and never be dropped silently.
 */
Test(asm_errors, a_megabyte_of_garbage, .timeout = 60)
{
	struct asm_prog		 p;
	struct asm_diags	 d;
	char			*src;
	size_t			 n = 1 << 20, i, shape, bad;
	uint32_t		 x = 12345;

	src = malloc(n);
	cr_assert_not_null(src);
	for (shape = 0; shape < 8; shape++) {
		for (i = 0; i < n; i++) {
			x = x * 1103515245 + 12345;
			switch (shape) {
			case 0:	/* random bytes */
				src[i] = (char)(x >> 16);
				break;
			case 1:	/* one huge word */
				src[i] = 'a';
				break;
			case 2:	/* one line of commas */
				src[i] = ',';
				break;
			case 3:	/* labels and quotes on one line */
				src[i] = "a: '"[i % 4];
				break;
			case 4:	/* many label-only lines, all distinct */
				src[i] = i % 8 == 7 ? '\n' : i % 8 == 6 ? ':' :
				    (char)('a' + (x >> 16) % 26);
				break;
			case 5:	/* an endless escape-laden string */
				src[i] = i < 19 ? ".data\na: .asciiz '\\"[i] :
				    "\\q\xff"[i % 3];
				break;
			case 6:	/* short bad lines */
				src[i] = "x\n"[i % 2];
				break;
			default:	/* operands past the end */
				src[i] = i < 4 ? "nop "[i] : "$1 "[i % 3];
				break;
			}
		}
		asm_prog_init(&p);
		asm_diags_init(&d);
		if (asm_source(&p, src, n, &d) == 0) {
			/* Only labels (shape 4) may assemble: to nothing. */
			cr_expect_eq(p.code_len, 0, "shape %zu", shape);
			cr_expect_eq(shape, 4);
		} else
			cr_expect_gt(d.n, 0, "shape %zu", shape);
		/*
		 * Each line, and the image limit that they would pass, is
		 * counted; the first ASM_DIAGS_MAX are kept, and one line
		 * more says how many were not.
		 */
		if (shape == 6) {
			cr_expect_eq(d.n, ASM_DIAGS_MAX + 1, "%zu kept", d.n);
			cr_expect_eq(d.n - 1 + d.more, n / 2 + 1, "every bad "
			    "line is counted: %zu of %zu", d.n - 1 + d.more,
			    n / 2 + 1);
		}
		for (bad = 0, i = 1; i < d.n; i++)
			bad += !(d.v[i - 1].line < d.v[i].line ||
			    (d.v[i - 1].line == d.v[i].line &&
			    d.v[i - 1].col <= d.v[i].col));
		cr_expect_eq(bad, 0, "shape %zu: diagnostics out of order",
		    shape);
		asm_diags_free(&d);
		asm_prog_free(&p);
	}
	free(src);
}

/* --- asm_line, the REPL's form -------------------------------------------- */

static char *
line_err(struct asm_prog *p, const char *line)
{
	struct asm_diags	 d;
	uint32_t		 first = 7, code_len = p->code_len;
	unsigned		 count = 7;
	size_t			 nsyms = p->nsyms;
	char			*t;

	asm_diags_init(&d);
	cr_assert_eq(asm_line(p, line, strlen(line), &first, &count, &d), -1,
	    "%s was accepted", line);
	cr_assert_gt(d.n, 0);
	/* All or nothing. */
	cr_expect_eq(p->code_len, code_len);
	cr_expect_eq(p->nsyms, nsyms);
	t = diags_text(&d);
	asm_diags_free(&d);
	return t;
}

static void
line_ok(struct asm_prog *p, const char *line, uint32_t want_first,
    unsigned want_count)
{
	struct asm_diags	 d;
	uint32_t		 first;
	unsigned		 count;

	asm_diags_init(&d);
	if (asm_line(p, line, strlen(line), &first, &count, &d) != 0)
		cr_assert_fail("%s failed:\n%s", line, diags_text(&d));
	cr_expect_eq(first, want_first, "%s: first", line);
	cr_expect_eq(count, want_count, "%s: count", line);
	asm_diags_free(&d);
}

static void
expect_line_err(struct asm_prog *p, const char *line, const char *want)
{
	char	*got = line_err(p, line);

	cr_expect_str_eq(got, want, "%s\ngot:  %swant: %s", line, got, want);
	free(got);
}

Test(asm_line, appends_and_defines_labels)
{
	struct asm_prog	 p;

	asm_prog_init(&p);
	line_ok(&p, "load $0 #5", 68, 1);
	line_ok(&p, "load $1 #100000", 72, 2);
	line_ok(&p, "loop: inc $0", 80, 1);
	cr_expect_eq(sym_value(&p, "loop", ASM_SYM_CODE), 80);
	line_ok(&p, "djmpe @loop ; back", 84, 1);
	line_ok(&p, "here: djmpe @here", 88, 1);
	cr_assert_eq(p.code_len, 24);
	expect_insn(&p, 0, OP_LOAD, 0, 0, 5);
	expect_insn(&p, 1, OP_LOAD, 1, 0, 1);
	expect_insn(&p, 2, OP_LUI, 1, 0x86, 0xa0);
	expect_insn(&p, 3, OP_INC, 0, 0, 0);
	expect_insn(&p, 4, OP_DJMPE, 0, 80, 0);
	expect_insn(&p, 5, OP_DJMPE, 0, 88, 0);
	cr_expect_eq(p.syms[0].line, 1);
	asm_prog_free(&p);
	cr_expect_eq(p.code_len + p.nsyms, 0);
}

Test(asm_line, nothing_to_append)
{
	struct asm_prog	 p;

	asm_prog_init(&p);
	line_ok(&p, "", 68, 0);
	line_ok(&p, "   ; only a comment", 68, 0);
	line_ok(&p, "nop", 68, 1);
	/* A label alone names the end of the code, i.e. the next line. */
	line_ok(&p, "next:", 72, 0);
	cr_expect_eq(sym_value(&p, "next", ASM_SYM_CODE), 72);
	cr_expect_eq(p.code_len, 4);
	line_ok(&p, "djmpe @next", 72, 1);
	expect_insn(&p, 1, OP_DJMPE, 0, 72, 0);
	asm_prog_free(&p);
}

Test(asm_line, labels_must_be_declared_before)
{
	struct asm_prog	 p;

	asm_prog_init(&p);
	expect_line_err(&p, "djmpe @later", "1:7: undefined label 'later' (a "
	    "typed line can only use labels declared before it)\n");
	line_ok(&p, "later: nop", 68, 1);
	line_ok(&p, "djmpe @later", 72, 1);
	expect_line_err(&p, "later: hlt", "1:1: duplicate label 'later' "
	    "(already declared in this program)\n");
	asm_prog_free(&p);
}

Test(asm_line, directives_are_refused)
{
	struct asm_prog	 p;

	asm_prog_init(&p);
	expect_line_err(&p, "msg: .asciiz 'hi'", "1:6: data directive .asciiz "
	    "cannot be typed: data comes with !load\n");
	expect_line_err(&p, "n: .integer #1", "1:4: data directive .integer "
	    "cannot be typed: data comes with !load\n");
	expect_line_err(&p, ".data", "1:1: section directive .data cannot be "
	    "typed: data comes with !load\n");
	expect_line_err(&p, ".code", "1:1: section directive .code cannot be "
	    "typed: data comes with !load\n");
	expect_line_err(&p, ".bogus", "1:1: unknown directive '.bogus' "
	    "(directives are .data .code .asciiz .integer)\n");
	cr_expect_eq(p.nsyms, 0);
	asm_prog_free(&p);
}

Test(asm_line, all_or_nothing)
{
	struct asm_prog	 p;

	asm_prog_init(&p);
	line_ok(&p, "nop", 68, 1);
	expect_line_err(&p, "x: inc $40", "1:8: unknown register $40 "
	    "(registers are $0..$31)\n");
	cr_expect_null(asm_sym_find(&p, "x"));
	expect_line_err(&p, "y: add $1, $2", "1:4: missing operand: add takes "
	    "3 ($a $b $d), got 2\n1:10: operands are separated by "
	    "whitespace, not commas\n");
	expect_line_err(&p, "frob", "1:1: unknown mnemonic 'frob'\n");
	expect_line_err(&p, "a: b:", "1:4: more than one label on a line "
	    "('b:' after 'a:')\n");
	cr_expect_eq(p.code_len, 4);
	cr_expect_eq(p.nsyms, 0);
	asm_prog_free(&p);
}

Test(asm_line, after_a_loaded_program)
{
	struct asm_prog	 p;

	assemble(&p, ".data\nmsg: .asciiz 'hi'\n.code\nstart: nop\nend:");
	/* Code base is 68 + RO + code; data labels resolve. */
	line_ok(&p, "prts @msg", 68 + 4 + 4, 1);
	line_ok(&p, "djmpe @end", 68 + 4 + 8, 1);
	expect_insn(&p, 1, OP_PRTS, 0, 0, 0);
	/* 'end' named the end of the code: the first typed instruction. */
	expect_insn(&p, 2, OP_DJMPE, 0, 76, 0);
	asm_prog_free(&p);
}

Test(asm_line, image_limit)
{
	struct asm_prog	 p;
	struct buf	 b;
	int		 i;

	buf_init(&b, 0);
	for (i = 0; i < 8174; i++)
		buf_puts(&b, "nop\n");
	assemble(&p, b.data);
	line_ok(&p, "hlt", 68 + 8174 * 4, 1);
	expect_line_err(&p, "hlt", "1:1: image too large (32772 bytes, at "
	    "most 32768)\n");
	expect_line_err(&p, "load $0 #100000", "1:1: image too large (32776 "
	    "bytes, at most 32768)\n");
	line_ok(&p, "end:", 32768, 0);
	buf_free(&b);
	asm_prog_free(&p);
}

/*
 * A source full of errors keeps the first ASM_DIAGS_MAX messages and
 * one more that counts the rest: its memory does not grow with it.
 */
Test(asm, errors_past_the_cap_are_counted_not_kept)
{
	struct buf	 src;
	char		*t, *last, want[128];
	int		 i, n;

	buf_init(&src, 0);
	for (i = 0; i < 5000; i++)
		buf_puts(&src, "bogus $1\n");
	t = assemble_err(src.data, src.len);
	for (n = 0, last = t; (last = strchr(last, '\n')) != NULL; last++)
		n++;
	cr_assert_eq(n, ASM_DIAGS_MAX + 1, "%d lines", n);
	cr_assert(strncmp(t, "1:1: ", 5) == 0, "%.80s", t);
	snprintf(want, sizeof(want), "5000:1: too many errors: %d more not "
	    "shown (the last on line 5000)\n", 5000 - ASM_DIAGS_MAX);
	last = t + strlen(t) - strlen(want);
	cr_assert_str_eq(last, want);
	free(t);
	buf_free(&src);
}

/* At exactly the cap nothing is summed, and a budget's word still shows. */
Test(asm, exactly_the_cap_has_no_summary)
{
	struct buf	 src;
	char		*t;
	int		 i;

	buf_init(&src, 0);
	for (i = 0; i < ASM_DIAGS_MAX; i++)
		buf_puts(&src, "bogus $1\n");
	t = assemble_err(src.data, src.len);
	cr_assert_null(strstr(t, "too many errors"), "%s", t);
	free(t);
	buf_free(&src);
}
