/* SPDX-License-Identifier: GPL-2.0-or-later
 *
 * passt - user-mode networking for virtual machines and namespaces
 *
 * ip.h - Constants and helpers for IPv4 and IPv6 headers
 */

#ifndef IP_H
#define IP_H

#include <stdbool.h>
#include <stdint.h>
#include <netinet/in.h>
#include <netinet/ip.h>
#include <linux/ipv6.h>

#define IP4_MAX_PAYLOAD		(65535 - sizeof(struct iphdr))

#define IP4_DF			0x4000
#define IP4_MF			0x2000
#define IP4_OFFMASK		0x1fff

#define IP_TTL_DEFAULT		64
#define IP6_HOP_NDP		255

/* Receive only groups the socket joined itself: uapi values, for C libraries
 * that don't have them
 */
#ifndef IP_MULTICAST_ALL
#define IP_MULTICAST_ALL	49
#endif
#ifndef IPV6_MULTICAST_ALL
#define IPV6_MULTICAST_ALL	29
#endif

/* All-nodes and solicited-node multicast prefixes, RFC 4291, 2.7.1 */
#define IN6_ALLNODES_INIT						\
	{ { { 0xff, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x01 } } }

/**
 * ip4_is_broadcast_or_multicast() - Addresses we never translate to sockets
 * @a:		IPv4 address
 *
 * Return: true for 255.255.255.255 and 224.0.0.0/4
 */
static inline bool ip4_is_broadcast_or_multicast(struct in_addr a)
{
	uint32_t h = ntohl(a.s_addr);

	return h == INADDR_BROADCAST || IN_MULTICAST(h);
}

/**
 * ip_mcast_mac() - Ethernet address of a multicast group
 * @a:		Group, IPv6 or IPv4-mapped
 * @mac:	Ethernet address, set
 *
 * IPv4: 01:00:5e and the low 23 bits of the group (RFC 1112, 6.4); IPv6:
 * 33:33 and its last 32 bits (RFC 2464, 7).
 */
static inline void ip_mcast_mac(const struct in6_addr *a, unsigned char *mac)
{
	if (IN6_IS_ADDR_V4MAPPED(a)) {
		mac[0] = 0x01;
		mac[1] = 0x00;
		mac[2] = 0x5e;
		mac[3] = a->s6_addr[13] & 0x7f;
	} else {
		mac[0] = mac[1] = 0x33;
		mac[2] = a->s6_addr[12];
		mac[3] = a->s6_addr[13];
	}
	mac[4] = a->s6_addr[14];
	mac[5] = a->s6_addr[15];
}

/**
 * ip4_is_loopback() - Tell if an address is a loopback one
 * @a:		IPv4 address
 *
 * Return: true for 127.0.0.0/8
 */
static inline bool ip4_is_loopback(struct in_addr a)
{
	return (ntohl(a.s_addr) >> 24) == IN_LOOPBACKNET;
}

/**
 * ip4_same_subnet() - Tell if two addresses share a prefix
 * @a:		First address
 * @b:		Second address
 * @prefix_len:	Prefix length, 0 to 32
 *
 * Return: true if the first @prefix_len bits are equal
 */
static inline bool ip4_same_subnet(struct in_addr a, struct in_addr b,
				   int prefix_len)
{
	uint32_t mask = prefix_len ? ~0U << (32 - prefix_len) : 0;

	return !((ntohl(a.s_addr) ^ ntohl(b.s_addr)) & mask);
}

/**
 * ip6_same_prefix() - Tell if two IPv6 addresses share a prefix
 * @a:		First address
 * @b:		Second address
 * @prefix_len:	Prefix length, 0 to 128
 *
 * Return: true if the first @prefix_len bits are equal
 */
static inline bool ip6_same_prefix(const struct in6_addr *a,
				   const struct in6_addr *b, int prefix_len)
{
	int i;

	for (i = 0; i < 16 && prefix_len > 0; i++, prefix_len -= 8) {
		uint8_t mask = prefix_len >= 8 ? 0xff :
			       (uint8_t)(0xff << (8 - prefix_len));

		if ((a->s6_addr[i] ^ b->s6_addr[i]) & mask)
			return false;
	}

	return true;
}

/**
 * ip6_flow_lbl() - Flow label of an IPv6 header, host order
 * @h:		Header
 *
 * Return: 20-bit flow label
 */
static inline uint32_t ip6_flow_lbl(const struct ipv6hdr *h)
{
	return (h->flow_lbl[0] & 0xf) << 16 | h->flow_lbl[1] << 8 |
	       h->flow_lbl[2];
}

/**
 * ip6_set_flow_lbl() - Set version, traffic class zero, and flow label
 * @h:		Header
 * @flow:	20-bit flow label
 */
static inline void ip6_set_flow_lbl(struct ipv6hdr *h, uint32_t flow)
{
	h->version = 6;
	h->priority = 0;
	h->flow_lbl[0] = (flow >> 16) & 0xf;
	h->flow_lbl[1] = (flow >> 8) & 0xff;
	h->flow_lbl[2] = flow & 0xff;
}

#endif /* IP_H */
