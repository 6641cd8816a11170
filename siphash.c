// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * passt - user-mode networking for virtual machines and namespaces
 *
 * siphash.c - SipHash-2-4 keyed hash, for flow tables
 *
 * Written from the algorithm description in: J.-P. Aumasson, D. J. Bernstein,
 * "SipHash: a fast short-input PRF", INDOCRYPT 2012. With a random key, a
 * guest can't choose flow tuples that collide in our hash tables.
 */

#include <string.h>

#include "siphash.h"

/**
 * rotl64() - Rotate a 64-bit word left
 * @x:		Word
 * @b:		Bits, 1 to 63
 *
 * Return: rotated word
 */
static inline uint64_t rotl64(uint64_t x, unsigned b)
{
	return (x << b) | (x >> (64 - b));
}

/**
 * struct sip_state - The four words of SipHash internal state
 * @v0:		State word
 * @v1:		State word
 * @v2:		State word
 * @v3:		State word
 */
struct sip_state {
	uint64_t v0, v1, v2, v3;
};

/**
 * sip_round() - One SipRound: add, rotate, xor on the state words
 * @s:		State
 */
static inline void sip_round(struct sip_state *s)
{
	s->v0 += s->v1;
	s->v1 = rotl64(s->v1, 13) ^ s->v0;
	s->v0 = rotl64(s->v0, 32);
	s->v2 += s->v3;
	s->v3 = rotl64(s->v3, 16) ^ s->v2;
	s->v0 += s->v3;
	s->v3 = rotl64(s->v3, 21) ^ s->v0;
	s->v2 += s->v1;
	s->v1 = rotl64(s->v1, 17) ^ s->v2;
	s->v2 = rotl64(s->v2, 32);
}

/**
 * sip_compress() - Absorb one message word with two rounds
 * @s:		State
 * @m:		Message word
 */
static inline void sip_compress(struct sip_state *s, uint64_t m)
{
	s->v3 ^= m;
	sip_round(s);
	sip_round(s);
	s->v0 ^= m;
}

/**
 * le64() - Load a little-endian 64-bit word from any alignment
 * @p:		Source bytes
 *
 * Return: the word
 */
static inline uint64_t le64(const unsigned char *p)
{
	uint64_t v = 0;
	int i;

	for (i = 7; i >= 0; i--)
		v = (v << 8) | p[i];

	return v;
}

/**
 * siphash() - SipHash-2-4 of a byte string
 * @key:	Secret key
 * @data:	Message
 * @len:	Length of @data
 *
 * Return: 64-bit hash
 */
uint64_t siphash(const struct siphash_key *key, const void *data, size_t len)
{
	const unsigned char *p = data;
	struct sip_state s = {
		.v0 = key->k[0] ^ 0x736f6d6570736575ULL,
		.v1 = key->k[1] ^ 0x646f72616e646f6dULL,
		.v2 = key->k[0] ^ 0x6c7967656e657261ULL,
		.v3 = key->k[1] ^ 0x7465646279746573ULL,
	};
	unsigned char last[8] = { 0 };
	size_t left = len;

	for (; left >= 8; p += 8, left -= 8)
		sip_compress(&s, le64(p));

	memcpy(last, p, left);
	last[7] = (unsigned char)len;
	sip_compress(&s, le64(last));

	s.v2 ^= 0xff;
	sip_round(&s);
	sip_round(&s);
	sip_round(&s);
	sip_round(&s);

	return s.v0 ^ s.v1 ^ s.v2 ^ s.v3;
}
