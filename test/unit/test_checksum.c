// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * passt - user-mode networking for virtual machines and namespaces
 *
 * test/unit/test_checksum.c - Checksums against a naive reference
 */

#include <stdint.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/ip.h>
#include <netinet/udp.h>
#include <netinet/tcp.h>
#include <netinet/ip_icmp.h>
#include <netinet/icmp6.h>

#include "checksum.h"
#include "unit.h"

static uint64_t rng = 0x9e3779b97f4a7c15ULL;

/**
 * rnd() - xorshift64 pseudo-random numbers, reproducible
 *
 * Return: next number
 */
static uint64_t rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

/**
 * ref_sum() - RFC 1071 sum, the obvious way: big-endian 16-bit words
 * @p:		Data
 * @len:	Length
 * @sum:	Sum to add to
 *
 * Return: unfolded 32-bit sum
 */
static uint32_t ref_sum(const uint8_t *p, size_t len, uint32_t sum)
{
	size_t i;

	for (i = 0; i + 1 < len; i += 2)
		sum += (p[i] << 8) | p[i + 1];
	if (len & 1)
		sum += p[len - 1] << 8;

	return sum;
}

/**
 * ref_csum() - Checksum by the reference sum
 * @p:		Data
 * @len:	Length
 *
 * Return: checksum in host order
 */
static uint16_t ref_csum(const uint8_t *p, size_t len)
{
	uint32_t sum = ref_sum(p, len, 0);

	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);

	return ~sum & 0xffff;
}

static uint8_t data[70000 + 64];

/**
 * check_random() - Compare with the reference on random data
 */
static void check_random(void)
{
	unsigned bad = 0, runs = 0, align, i;
	size_t len;

	for (i = 0; i < sizeof(data); i++)
		data[i] = rnd();

	for (align = 0; align < 8; align++) {
		for (len = 0; len < 1100; len++, runs++) {
			uint16_t got = csum(data + align, len, 0);

			if (got != htons(ref_csum(data + align, len)))
				bad++;
		}
		for (i = 0; i < 20; i++, runs++) {
			len = rnd() % 70000;
			if (csum(data + align, len, 0) !=
			    htons(ref_csum(data + align, len)))
				bad++;
		}
	}
	CHECKF(!bad, "csum_random_lengths_alignments (%u runs)", runs);

	/* The vector and the plain ways agree, on sizes either takes */
	for (bad = 0, i = 0; i < 400; i++) {
		size_t l = rnd() % 70000, a = rnd() % 32;

		if (csum_fold(csum_unfolded(data + a, l, 0)) !=
		    csum_fold(csum_unfolded_generic(data + a, l, 0)))
			bad++;
	}
	CHECK("csum_vector_matches_generic", !bad);

	/* All ones and all zeroes: the carry paths */
	memset(data, 0xff, 65536);
	CHECK("csum_all_ones_64k", csum(data, 65536, 0) ==
				   htons(ref_csum(data, 65536)));
	CHECK("csum_all_ones_odd", csum(data + 1, 65535, 0) ==
				   htons(ref_csum(data + 1, 65535)));
	memset(data, 0, 1000);
	CHECK("csum_all_zeroes", csum(data, 1000, 0) == 0xffff);
}

/**
 * check_iov() - Scattered data gives the same sum as contiguous data
 */
static void check_iov(void)
{
	unsigned bad = 0, i;

	for (i = 0; i < sizeof(data); i++)
		data[i] = rnd();

	for (i = 0; i < 2000; i++) {
		size_t len = rnd() % 9000, a = len ? rnd() % len : 0;
		size_t b = len - a ? a + rnd() % (len - a) : a;
		size_t skip = rnd() % 5;
		struct iovec iov[3] = {
			{ data, a }, { data + a, b - a }, { data + b, len - b },
		};
		uint16_t whole, parts;

		if (skip > len)
			skip = len;
		whole = (uint16_t)~csum_fold(csum_unfolded(data + skip,
							   len - skip, 0));
		parts = (uint16_t)~csum_fold(csum_iov(iov, 3, skip, 0));
		if (whole != parts)
			bad++;
	}
	CHECK("csum_iov_odd_splits_match_contiguous", !bad);
}

/**
 * check_ip4_header() - A header with a known checksum
 */
static void check_ip4_header(void)
{
	/* 20-byte header with checksum 0xb861, a common textbook example */
	static const uint8_t h[20] = {
		0x45, 0x00, 0x00, 0x73, 0x00, 0x00, 0x40, 0x00,
		0x40, 0x11, 0xb8, 0x61, 0xc0, 0xa8, 0x00, 0x01,
		0xc0, 0xa8, 0x00, 0xc7,
	};
	struct iphdr iph;

	memcpy(&iph, h, sizeof(iph));
	CHECK("csum_ip4_header_known", csum_ip4_header(&iph) == htons(0xb861));
	iph.check = 0;
	CHECK("csum_ip4_header_zero_field",
	      csum_ip4_header(&iph) == htons(0xb861));
}

/**
 * verify_l4() - Verify a transport checksum with the reference
 * @pseudo:	Pseudo-header bytes
 * @plen:	Length of @pseudo
 * @seg:	Transport header and payload
 * @len:	Length of @seg
 *
 * Return: true if the one's complement sum of everything is all ones
 */
static int verify_l4(const uint8_t *pseudo, size_t plen, const uint8_t *seg,
		     size_t len)
{
	uint32_t sum = ref_sum(pseudo, plen, 0);

	sum = ref_sum(seg, len, sum);
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);

	return sum == 0xffff;
}

/**
 * check_l4() - UDP, TCP, ICMP and ICMPv6 checksums with pseudo-headers
 */
static void check_l4(void)
{
	uint8_t seg[1600], pseudo[40];
	struct in_addr s4, d4;
	struct in6_addr s6, d6;
	struct udphdr *uh = (struct udphdr *)seg;
	struct tcphdr *th = (struct tcphdr *)seg;
	unsigned bad4 = 0, bad6 = 0, badt = 0, badi = 0, i;

	inet_pton(AF_INET, "192.0.2.1", &s4);
	inet_pton(AF_INET, "203.0.113.5", &d4);
	inet_pton(AF_INET6, "2001:db8::1", &s6);
	inet_pton(AF_INET6, "2001:db8:1::1", &d6);

	for (i = 0; i < 300; i++) {
		size_t plen = rnd() % 1400, k;
		uint32_t sum;

		for (k = 0; k < sizeof(seg); k++)
			seg[k] = rnd();

		/* UDP over IPv4 */
		uh->len = htons(plen + 8);
		csum_udp4(uh, s4, d4, seg + 8, plen);
		memcpy(pseudo, &s4, 4);
		memcpy(pseudo + 4, &d4, 4);
		pseudo[8] = 0;
		pseudo[9] = IPPROTO_UDP;
		pseudo[10] = (plen + 8) >> 8;
		pseudo[11] = (plen + 8) & 0xff;
		if (!verify_l4(pseudo, 12, seg, plen + 8) || !uh->check)
			bad4++;

		/* TCP over IPv4, as the caller composes it */
		th->check = 0;
		pseudo[9] = IPPROTO_TCP;
		pseudo[10] = (plen + 20) >> 8;
		pseudo[11] = (plen + 20) & 0xff;
		sum = psum_ip4(plen + 20, IPPROTO_TCP, s4, d4);
		th->check = csum(seg, plen + 20, sum);
		if (!verify_l4(pseudo, 12, seg, plen + 20))
			badt++;

		/* UDP over IPv6 */
		uh->len = htons(plen + 8);
		csum_udp6(uh, &s6, &d6, seg + 8, plen);
		memcpy(pseudo, &s6, 16);
		memcpy(pseudo + 16, &d6, 16);
		pseudo[32] = pseudo[33] = 0;
		pseudo[34] = (plen + 8) >> 8;
		pseudo[35] = (plen + 8) & 0xff;
		pseudo[36] = pseudo[37] = pseudo[38] = 0;
		pseudo[39] = IPPROTO_UDP;
		if (!verify_l4(pseudo, 40, seg, plen + 8) || !uh->check)
			bad6++;

		/* ICMPv6 */
		csum_icmp6((struct icmp6_hdr *)seg, &s6, &d6, seg + 8, plen);
		pseudo[39] = IPPROTO_ICMPV6;
		if (!verify_l4(pseudo, 40, seg, plen + 8))
			badi++;

		/* ICMP: no pseudo-header */
		csum_icmp4((struct icmphdr *)seg, seg + 8, plen);
		if (!verify_l4(pseudo, 0, seg, plen + 8))
			badi++;
	}

	CHECK("csum_udp4_verifies", !bad4);
	CHECK("csum_tcp4_psum_verifies", !badt);
	CHECK("csum_udp6_verifies", !bad6);
	CHECK("csum_icmp4_icmp6_verify", !badi);
}

/**
 * main() - Run the checks
 *
 * Return: 0 if all passed
 */
int main(void)
{
	check_random();
	check_iov();
	check_ip4_header();
	check_l4();

	return unit_exit();
}
