/*
 * isa.h: the Iridium instruction set and image format, in one place.
 *
 * Everything that must agree on what an opcode is (the VM's decoder, the
 * assembler, the disassembler, the tests) derives from ISA_OPCODES below.
 * iridium(7) is the prose; this table is the truth the code uses.
 */
#ifndef IRIDIUM_ISA_H
#define IRIDIUM_ISA_H

#include <stdint.h>

#define ISA_MAGIC		"EPIE"
#define ISA_MAGIC_LEN		4
#define ISA_HEADER_LEN		64	/* magic + 60 reserved zero bytes */
#define ISA_RO_OFFSET		68	/* header + the u32 RO length */
#define ISA_IMAGE_MAX		32768	/* whole image, header included */
#define ISA_INSN_LEN		4
#define ISA_NREGS		32
#define ISA_ADDR_MAX		32767	/* every address fits LOAD's imm16 */

/*
 * Operand formats: registers are one byte, numbers (immediates and
 * addresses) two bytes big-endian, packed in source order from byte 1.
 */
enum isa_fmt {
	ISA_F_NONE,	/* op                      */
	ISA_F_R,	/* op $r                   */
	ISA_F_RR,	/* op $a $b                */
	ISA_F_RRR,	/* op $a $b $d             */
	ISA_F_RN,	/* op $r #n    (n: 2 bytes) */
	ISA_F_N,	/* op #n / @l  (n: 2 bytes) */
};

/*
 * X(NAME, mnemonic, byte, format, lo, hi)
 *
 * lo..hi is the range the assembler accepts for the numeric operand (for
 * LOAD: every 32-bit value, split into LOAD+LUI when it does not fit the
 * sign-extended imm16). Unused for formats without a number.
 */
#define ISA_OPCODES(X)							\
	X(LOAD,    load,    0,   ISA_F_RN,   INT32_MIN, UINT32_MAX)	\
	X(ADD,     add,     1,   ISA_F_RRR,  0, 0)			\
	X(SUB,     sub,     2,   ISA_F_RRR,  0, 0)			\
	X(MUL,     mul,     3,   ISA_F_RRR,  0, 0)			\
	X(DIV,     div,     4,   ISA_F_RRR,  0, 0)			\
	X(HLT,     hlt,     5,   ISA_F_NONE, 0, 0)			\
	X(JMP,     jmp,     6,   ISA_F_R,    0, 0)			\
	X(JMPF,    jmpf,    7,   ISA_F_R,    0, 0)			\
	X(JMPB,    jmpb,    8,   ISA_F_R,    0, 0)			\
	X(EQ,      eq,      9,   ISA_F_RR,   0, 0)			\
	X(NEQ,     neq,     10,  ISA_F_RR,   0, 0)			\
	X(GTE,     gte,     11,  ISA_F_RR,   0, 0)			\
	X(LTE,     lte,     12,  ISA_F_RR,   0, 0)			\
	X(LT,      lt,      13,  ISA_F_RR,   0, 0)			\
	X(GT,      gt,      14,  ISA_F_RR,   0, 0)			\
	X(JMPE,    jmpe,    15,  ISA_F_R,    0, 0)			\
	X(NOP,     nop,     16,  ISA_F_NONE, 0, 0)			\
	X(ALOC,    aloc,    17,  ISA_F_R,    0, 0)			\
	X(INC,     inc,     18,  ISA_F_R,    0, 0)			\
	X(DEC,     dec,     19,  ISA_F_R,    0, 0)			\
	X(DJMPE,   djmpe,   20,  ISA_F_N,    0, ISA_ADDR_MAX)		\
	X(PRTS,    prts,    21,  ISA_F_N,    0, ISA_ADDR_MAX)		\
	X(LOADF64, loadf64, 22,  ISA_F_RN,   -32768, 32767)		\
	X(ADDF64,  addf64,  23,  ISA_F_RRR,  0, 0)			\
	X(SUBF64,  subf64,  24,  ISA_F_RRR,  0, 0)			\
	X(MULF64,  mulf64,  25,  ISA_F_RRR,  0, 0)			\
	X(DIVF64,  divf64,  26,  ISA_F_RRR,  0, 0)			\
	X(EQF64,   eqf64,   27,  ISA_F_RR,   0, 0)			\
	X(NEQF64,  neqf64,  28,  ISA_F_RR,   0, 0)			\
	X(GTF64,   gtf64,   29,  ISA_F_RR,   0, 0)			\
	X(GTEF64,  gtef64,  30,  ISA_F_RR,   0, 0)			\
	X(LTF64,   ltf64,   31,  ISA_F_RR,   0, 0)			\
	X(LTEF64,  ltef64,  32,  ISA_F_RR,   0, 0)			\
	X(SHL,     shl,     33,  ISA_F_RN,   0, 31)			\
	X(SHR,     shr,     34,  ISA_F_RN,   0, 31)			\
	X(AND,     and,     35,  ISA_F_RRR,  0, 0)			\
	X(OR,      or,      36,  ISA_F_RRR,  0, 0)			\
	X(XOR,     xor,     37,  ISA_F_RRR,  0, 0)			\
	X(NOT,     not,     38,  ISA_F_RR,   0, 0)			\
	X(LUI,     lui,     39,  ISA_F_RN,   -32768, 65535)		\
	X(CLOOP,   cloop,   40,  ISA_F_N,    0, 65535)			\
	X(LOOP,    loop,    41,  ISA_F_N,    0, ISA_ADDR_MAX)		\
	X(LOADM,   loadm,   42,  ISA_F_RR,   0, 0)			\
	X(SETM,    setm,    43,  ISA_F_RR,   0, 0)			\
	X(PUSH,    push,    44,  ISA_F_R,    0, 0)			\
	X(POP,     pop,     45,  ISA_F_R,    0, 0)			\
	X(CALL,    call,    46,  ISA_F_N,    0, ISA_ADDR_MAX)		\
	X(RET,     ret,     47,  ISA_F_NONE, 0, 0)			\
	X(IGL,     igl,     100, ISA_F_NONE, 0, 0)

enum isa_op {
#define ISA_ENUM(name, mn, byte, fmt, lo, hi)	OP_##name = byte,
	ISA_OPCODES(ISA_ENUM)
#undef ISA_ENUM
};

struct isa_info {
	const char	*mnemonic;	/* lower case; the assembler ignores case */
	enum isa_fmt	 fmt;
	int64_t		 lo, hi;	/* numeric operand range in assembly */
};

/* The entry for an opcode byte, or NULL when the byte is no opcode. */
const struct isa_info	*isa_lookup(uint8_t byte);
/* The opcode byte for a mnemonic (any case), or -1. */
int			 isa_find(const char *mnemonic, size_t len);
/* Number of operands of a format, and whether operand i is a register. */
int			 isa_nops(enum isa_fmt);
int			 isa_opnd_is_reg(enum isa_fmt, int i);

static inline uint16_t
isa_get16(const uint8_t *p)
{
	return (uint16_t)((p[0] << 8) | p[1]);
}

static inline uint32_t
isa_get32le(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	    (uint32_t)p[3] << 24;
}

static inline void
isa_put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static inline void
isa_put32le(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
	p[2] = (uint8_t)(v >> 16);
	p[3] = (uint8_t)(v >> 24);
}

#endif
