// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * passt - user-mode networking for virtual machines and namespaces
 *
 * checksum.c - Internet checksums (RFC 1071) for IPv4, TCP, UDP, ICMP(v6)
 *
 * The one's complement sum doesn't depend on the byte order it's computed
 * in (RFC 1071, section 2.B): we add the data as native words, as it lies
 * in memory, and the folded, inverted result can be stored as it is into a
 * header field. Constants that are part of pseudo-headers are added in
 * network order for the same reason.
 *
 * The bulk loop adds 64-bit words as two 32-bit halves into four 64-bit
 * accumulators: no carry is ever lost below 2^32 words, and the four
 * independent chains keep the pipeline busy.
 */

#include <string.h>
#include <netinet/ip.h>
#include <netinet/udp.h>
#include <netinet/ip_icmp.h>
#include <netinet/icmp6.h>

#include "checksum.h"
#include "util.h"

/**
 * load64() - Load 8 bytes from any alignment
 * @p:		Source
 *
 * Return: the bytes as a native 64-bit word
 */
static inline uint64_t load64(const unsigned char *p)
{
	uint64_t v;

	memcpy(&v, p, sizeof(v));
	return v;
}

/**
 * sum_bulk() - Sum a buffer as 32-bit native words into 64 bits
 * @p:		Data
 * @len:	Length of @p
 *
 * Return: 64-bit sum, equivalent to the 16-bit one's complement sum modulo
 *	   folding; a trailing odd byte counts as if followed by a zero byte
 */
static uint64_t sum_bulk(const unsigned char *p, size_t len)
{
	uint64_t a0 = 0, a1 = 0, a2 = 0, a3 = 0;
	unsigned char tail[8] = { 0 };

	for (; len >= 32; p += 32, len -= 32) {
		uint64_t w0 = load64(p), w1 = load64(p + 8);
		uint64_t w2 = load64(p + 16), w3 = load64(p + 24);

		a0 += (w0 & 0xffffffff) + (w0 >> 32);
		a1 += (w1 & 0xffffffff) + (w1 >> 32);
		a2 += (w2 & 0xffffffff) + (w2 >> 32);
		a3 += (w3 & 0xffffffff) + (w3 >> 32);
	}

	for (; len >= 8; p += 8, len -= 8) {
		uint64_t w = load64(p);

		a0 += (w & 0xffffffff) + (w >> 32);
	}

	if (len) {
		uint64_t w;

		memcpy(tail, p, len);
		w = load64(tail);
		a1 += (w & 0xffffffff) + (w >> 32);
	}

	a0 += a1;
	a2 += a3;
	a0 = (a0 & 0xffffffff) + (a0 >> 32);
	a2 = (a2 & 0xffffffff) + (a2 >> 32);

	return a0 + a2;
}

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#define CSUM_AVX2

typedef uint32_t v8u32 __attribute__((vector_size(32)));

/**
 * sum_bulk_avx2() - Sum a buffer with 256-bit vectors, for large buffers
 * @p:		Data
 * @len:	Length of @p
 *
 * Each 32-bit lane adds the two 16-bit words it holds, separately, to a
 * 32-bit accumulator: 65536 words can be added before a lane could carry
 * out, so the lanes are folded every 32 KiB.
 *
 * Return: 64-bit sum, as sum_bulk()
 */
__attribute__((target("avx2")))
static uint64_t sum_bulk_avx2(const unsigned char *p, size_t len)
{
	const v8u32 lo16 = { 0xffff, 0xffff, 0xffff, 0xffff,
			     0xffff, 0xffff, 0xffff, 0xffff };
	uint64_t sum = 0;

	while (len >= 64) {
		size_t chunk = MIN(len, (size_t)32768) & ~(size_t)63;
		v8u32 a = { 0 }, b = { 0 };
		int i;

		for (len -= chunk; chunk; chunk -= 64, p += 64) {
			v8u32 w0, w1;

			memcpy(&w0, p, sizeof(w0));
			memcpy(&w1, p + 32, sizeof(w1));
			a += (w0 & lo16) + (w0 >> 16);
			b += (w1 & lo16) + (w1 >> 16);
		}
		for (i = 0; i < 8; i++)
			sum += (uint64_t)a[i] + b[i];
	}

	return sum + sum_bulk(p, len);
}

/**
 * sum_any() - Sum a buffer with the fastest way this machine has
 * @p:		Data
 * @len:	Length of @p
 *
 * Return: 64-bit sum, as sum_bulk()
 */
static uint64_t sum_any(const unsigned char *p, size_t len)
{
	static int avx2 = -1;

	if (len < 256)
		return sum_bulk(p, len);

	if (avx2 < 0)
		avx2 = __builtin_cpu_supports("avx2");

	return avx2 ? sum_bulk_avx2(p, len) : sum_bulk(p, len);
}
#else
#define sum_any sum_bulk
#endif

/**
 * fold64() - Fold a 64-bit sum into a 32-bit partial sum
 * @sum:	Sum
 *
 * Return: 32-bit value with the same one's complement sum
 */
static inline uint32_t fold64(uint64_t sum)
{
	sum = (sum & 0xffffffff) + (sum >> 32);
	sum = (sum & 0xffffffff) + (sum >> 32);
	return sum;
}

/**
 * csum_unfolded() - Add a buffer to a partial checksum
 * @buf:	Data, any alignment
 * @len:	Length of @buf, may be odd
 * @init:	Partial sum to add to
 *
 * Return: 32-bit partial sum, to be folded with csum_fold()
 */
uint32_t csum_unfolded(const void *buf, size_t len, uint32_t init)
{
	return fold64(sum_any(buf, len) + init);
}

/**
 * csum_unfolded_generic() - csum_unfolded() without vector instructions
 * @buf:	Data, any alignment
 * @len:	Length of @buf
 * @init:	Partial sum to add to
 *
 * Return: 32-bit partial sum; for tests, to compare the two ways
 */
uint32_t csum_unfolded_generic(const void *buf, size_t len, uint32_t init)
{
	return fold64(sum_bulk(buf, len) + init);
}

/**
 * bswap_sum() - Byte-swap the 16-bit lanes of a partial sum
 * @sum:	Partial sum
 *
 * Data that starts at an odd position of the checksummed stream has its
 * bytes in swapped lanes: swapping the folded sum moves them back.
 *
 * Return: swapped sum, folded to 16 bits
 */
static inline uint32_t bswap_sum(uint32_t sum)
{
	uint16_t s = csum_fold(sum);

	return (uint16_t)((s << 8) | (s >> 8));
}

/**
 * csum_iov() - Add data scattered over an I/O vector to a partial checksum
 * @iov:	I/O vector
 * @n:		Number of entries in @iov
 * @offset:	Bytes to skip at the start of the data
 * @init:	Partial sum to add to
 *
 * Return: 32-bit partial sum
 */
uint32_t csum_iov(const struct iovec *iov, size_t n, size_t offset,
		  uint32_t init)
{
	uint64_t sum = init;
	size_t pos = 0, i;

	for (i = 0; i < n; i++) {
		const unsigned char *p = iov[i].iov_base;
		size_t len = iov[i].iov_len;
		uint32_t part;

		if (offset >= len) {
			offset -= len;
			continue;
		}
		p += offset;
		len -= offset;
		offset = 0;

		part = fold64(sum_any(p, len));
		sum += (pos & 1) ? bswap_sum(part) : part;
		pos += len;
	}

	return fold64(sum);
}

/**
 * psum_ip4() - Partial sum of the IPv4 pseudo-header (RFC 768, RFC 793)
 * @l4len:	Length of the transport header and payload
 * @proto:	Protocol number
 * @saddr:	Source address
 * @daddr:	Destination address
 *
 * Return: 32-bit partial sum
 */
uint32_t psum_ip4(uint16_t l4len, uint8_t proto,
		  struct in_addr saddr, struct in_addr daddr)
{
	uint32_t s = saddr.s_addr, d = daddr.s_addr;
	uint64_t sum;

	sum = (s & 0xffff) + (s >> 16) + (d & 0xffff) + (d >> 16);
	sum += htons(proto) + htons(l4len);

	return fold64(sum);
}

/**
 * psum_ip6() - Partial sum of the IPv6 pseudo-header (RFC 8200, 8.1)
 * @l4len:	Upper-layer packet length
 * @proto:	Next header value of the upper layer
 * @saddr:	Source address
 * @daddr:	Destination address
 *
 * Return: 32-bit partial sum
 */
uint32_t psum_ip6(uint32_t l4len, uint8_t proto,
		  const struct in6_addr *saddr, const struct in6_addr *daddr)
{
	uint64_t sum = sum_bulk(saddr->s6_addr, 16) +
		       sum_bulk(daddr->s6_addr, 16);

	sum += htonl(l4len) & 0xffff;
	sum += htonl(l4len) >> 16;
	sum += htons(proto);

	return fold64(sum);
}

/**
 * csum_ip4_header() - Checksum of an IPv4 header, its own field as zero
 * @iph:	Header, with options if any
 *
 * Return: value for the header checksum field
 */
uint16_t csum_ip4_header(const struct iphdr *iph)
{
	uint32_t sum = csum_unfolded(iph, iph->ihl * 4, 0);

	/* Take the current field value out again */
	sum += (uint16_t)~iph->check;

	return (uint16_t)~csum_fold(sum);
}

/**
 * csum_udp4() - Set the checksum of a UDP datagram over IPv4
 * @uh:		UDP header, with a valid length field
 * @saddr:	Source address
 * @daddr:	Destination address
 * @payload:	Payload
 * @len:	Payload length
 */
void csum_udp4(struct udphdr *uh, struct in_addr saddr, struct in_addr daddr,
	       const void *payload, size_t len)
{
	uint32_t sum = psum_ip4(len + sizeof(*uh), IPPROTO_UDP, saddr, daddr);
	uint16_t c;

	uh->check = 0;
	sum = csum_unfolded(uh, sizeof(*uh), sum);
	c = csum(payload, len, sum);

	/* RFC 768: a computed zero is sent as all ones */
	uh->check = c ? c : 0xffff;
}

/**
 * csum_udp6() - Set the checksum of a UDP datagram over IPv6
 * @uh:		UDP header, with a valid length field
 * @saddr:	Source address
 * @daddr:	Destination address
 * @payload:	Payload
 * @len:	Payload length
 */
void csum_udp6(struct udphdr *uh, const struct in6_addr *saddr,
	       const struct in6_addr *daddr, const void *payload, size_t len)
{
	uint32_t sum = psum_ip6(len + sizeof(*uh), IPPROTO_UDP, saddr, daddr);
	uint16_t c;

	uh->check = 0;
	sum = csum_unfolded(uh, sizeof(*uh), sum);
	c = csum(payload, len, sum);

	/* RFC 8200, 8.1: zero is not allowed over IPv6 */
	uh->check = c ? c : 0xffff;
}

/**
 * csum_icmp4() - Set the checksum of an ICMP message (no pseudo-header)
 * @ih:		ICMP header
 * @payload:	Data following the 8-byte header
 * @len:	Length of @payload
 */
void csum_icmp4(struct icmphdr *ih, const void *payload, size_t len)
{
	uint32_t sum;

	ih->checksum = 0;
	sum = csum_unfolded(ih, sizeof(*ih), 0);
	ih->checksum = csum(payload, len, sum);
}

/**
 * csum_icmp6() - Set the checksum of an ICMPv6 message (RFC 4443, 2.3)
 * @ih:		ICMPv6 header
 * @saddr:	Source address
 * @daddr:	Destination address
 * @payload:	Data following the 8-byte header
 * @len:	Length of @payload
 */
void csum_icmp6(struct icmp6_hdr *ih, const struct in6_addr *saddr,
		const struct in6_addr *daddr, const void *payload, size_t len)
{
	uint32_t sum = psum_ip6(len + sizeof(*ih), IPPROTO_ICMPV6,
				saddr, daddr);

	ih->icmp6_cksum = 0;
	sum = csum_unfolded(ih, sizeof(*ih), sum);
	ih->icmp6_cksum = csum(payload, len, sum);
}
