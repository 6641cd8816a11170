// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * passt - user-mode networking for virtual machines and namespaces
 *
 * test/unit/test_siphash.c - SipHash-2-4 against the paper's test vectors
 */

#include <stdint.h>

#include "siphash.h"
#include "unit.h"

/* Key 00 01 .. 0f, message 00 01 .. (len - 1), output as little endian */
static const uint64_t expect[] = {
	0x726fdb47dd0e0e31ULL, 0x74f839c593dc67fdULL, 0x0d6c8009d9a94f5aULL,
	0x85676696d7fb7e2dULL, 0xcf2794e0277187b7ULL, 0x18765564cd99a68dULL,
	0xcbc9466e58fee3ceULL, 0xab0200f58b01d137ULL, 0x93f5f5799a932462ULL,
};

/**
 * main() - Run the checks
 *
 * Return: 0 if all passed
 */
int main(void)
{
	struct siphash_key key;
	uint8_t msg[64];
	unsigned i, bad = 0;

	for (i = 0; i < 16; i++)
		((uint8_t *)key.k)[i] = i;
	key.k[0] = 0x0706050403020100ULL;
	key.k[1] = 0x0f0e0d0c0b0a0908ULL;
	for (i = 0; i < sizeof(msg); i++)
		msg[i] = i;

	for (i = 0; i < sizeof(expect) / sizeof(expect[0]); i++) {
		if (siphash(&key, msg, i) != expect[i])
			bad++;
	}
	CHECK("siphash24_reference_vectors", !bad);
	CHECK("siphash24_len15", siphash(&key, msg, 15) ==
				 0xa129ca6149be45e5ULL);

	return unit_exit();
}
