/* SPDX-License-Identifier: GPL-2.0-or-later
 *
 * passt - user-mode networking for virtual machines and namespaces
 *
 * checksum.h - Internet checksums (RFC 1071) for IPv4, TCP, UDP, ICMP(v6)
 */

#ifndef CHECKSUM_H
#define CHECKSUM_H

#include <stddef.h>
#include <stdint.h>
#include <netinet/in.h>
#include <sys/uio.h>

struct iphdr;
struct udphdr;
struct icmphdr;
struct icmp6_hdr;

uint32_t csum_unfolded(const void *buf, size_t len, uint32_t init);
uint32_t csum_unfolded_generic(const void *buf, size_t len, uint32_t init);
uint32_t csum_iov(const struct iovec *iov, size_t n, size_t offset,
		  uint32_t init);

/**
 * csum_fold() - Fold a 32-bit partial sum into 16 bits, end-around carry
 * @sum:	Partial sum
 *
 * Return: folded sum, not inverted
 */
static inline uint16_t csum_fold(uint32_t sum)
{
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	return sum;
}

/**
 * csum() - Checksum of a buffer, ready to store in a header field
 * @buf:	Data
 * @len:	Length of @buf
 * @init:	Partial sum to start from (a pseudo-header sum, or 0)
 *
 * Return: inverted folded sum, in the byte order of the data
 */
static inline uint16_t csum(const void *buf, size_t len, uint32_t init)
{
	return (uint16_t)~csum_fold(csum_unfolded(buf, len, init));
}

uint32_t psum_ip4(uint16_t l4len, uint8_t proto,
		  struct in_addr saddr, struct in_addr daddr);
uint32_t psum_ip6(uint32_t l4len, uint8_t proto,
		  const struct in6_addr *saddr, const struct in6_addr *daddr);
uint16_t csum_ip4_header(const struct iphdr *iph);
void csum_udp4(struct udphdr *uh, struct in_addr saddr, struct in_addr daddr,
	       const void *payload, size_t len);
void csum_udp6(struct udphdr *uh, const struct in6_addr *saddr,
	       const struct in6_addr *daddr, const void *payload, size_t len);
void csum_icmp4(struct icmphdr *ih, const void *payload, size_t len);
void csum_icmp6(struct icmp6_hdr *ih, const struct in6_addr *saddr,
		const struct in6_addr *daddr, const void *payload, size_t len);

#endif /* CHECKSUM_H */
