/*
 * isa.c: lookups into the opcode table of isa.h, shared by the VM's
 * decoder, the assembler and the disassembler.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <strings.h>

#include "isa.h"

/* Indexed by opcode byte; a NULL mnemonic means the byte is no opcode. */
static const struct isa_info isa_table[256] = {
#define ISA_ROW(name, mn, byte, fmt, lo, hi)	[byte] = { #mn, fmt, lo, hi },
	ISA_OPCODES(ISA_ROW)
#undef ISA_ROW
};

const struct isa_info *
isa_lookup(uint8_t byte)
{
	return isa_table[byte].mnemonic != NULL ? &isa_table[byte] : NULL;
}

int
isa_find(const char *mn, size_t len)
{
	int	 i;

	for (i = 0; i < 256; i++) {
		if (isa_table[i].mnemonic != NULL &&
		    strlen(isa_table[i].mnemonic) == len &&
		    strncasecmp(isa_table[i].mnemonic, mn, len) == 0)
			return i;
	}
	return -1;
}

int
isa_nops(enum isa_fmt fmt)
{
	switch (fmt) {
	case ISA_F_NONE:
		return 0;
	case ISA_F_R:
	case ISA_F_N:
		return 1;
	case ISA_F_RR:
	case ISA_F_RN:
		return 2;
	case ISA_F_RRR:
		return 3;
	}
	return 0;
}

int
isa_opnd_is_reg(enum isa_fmt fmt, int i)
{
	switch (fmt) {
	case ISA_F_NONE:
	case ISA_F_N:
		return 0;
	case ISA_F_R:
	case ISA_F_RR:
	case ISA_F_RRR:
		return 1;
	case ISA_F_RN:
		return i == 0;
	}
	return 0;
}
