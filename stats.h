/* SPDX-License-Identifier: GPL-2.0-or-later
 *
 * passt - user-mode networking for virtual machines and namespaces
 *
 * stats.h - Global traffic counters: frames and bytes on the guest link,
 *	     frames from the guest dropped (by reason), flows opened and closed
 */

#ifndef STATS_H
#define STATS_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "flow.h"

/**
 * enum stats_drop - Why a frame from the guest was dropped
 * @STATS_DROP_SHORT:		Shorter than an Ethernet header
 * @STATS_DROP_ETHERTYPE:	Ethertype we don't handle
 * @STATS_DROP_DISABLED:	Address family, protocol or service turned off
 *				by options (IPv4, IPv6, TCP, UDP, ICMP, DHCP,
 *				DHCPv6)
 * @STATS_DROP_MALFORMED_IPV4:	Bad IPv4 header: version, length, checksum
 * @STATS_DROP_MALFORMED_IPV6:	Bad IPv6 header, extension header chain, or
 *				address that can't be on a link (IPv4-mapped)
 * @STATS_DROP_FRAGMENT:	IPv4 or IPv6 fragment: we don't reassemble
 * @STATS_DROP_LOOPBACK:	From or to a loopback address
 * @STATS_DROP_MULTICAST:	To a broadcast or multicast address, or from
 *				the unspecified one, and not for DHCP or NDP
 * @STATS_DROP_PROTO:		Transport protocol, or ICMP message type, we
 *				don't handle
 * @STATS_DROP_TAIL:		Non-TCP frame with part of it outside the
 *				buffer we parse (vhost-user chains)
 * @STATS_DROP_MALFORMED_L4:	Bad TCP or UDP header: data offset, length,
 *				missing UDP checksum over IPv6, run of
 *				datagrams longer than the kernel makes
 * @STATS_DROP_MALFORMED_DHCP:	DHCP or DHCPv6 message we can't parse
 * @STATS_DROP_NO_FLOW:		UDP datagram or echo request that no flow takes:
 *				table full, no socket, port 0 or unspecified
 *				destination
 * @STATS_DROP_MAX:		Number of reasons
 */
enum stats_drop {
	STATS_DROP_SHORT,
	STATS_DROP_ETHERTYPE,
	STATS_DROP_DISABLED,
	STATS_DROP_MALFORMED_IPV4,
	STATS_DROP_MALFORMED_IPV6,
	STATS_DROP_FRAGMENT,
	STATS_DROP_LOOPBACK,
	STATS_DROP_MULTICAST,
	STATS_DROP_PROTO,
	STATS_DROP_TAIL,
	STATS_DROP_MALFORMED_L4,
	STATS_DROP_MALFORMED_DHCP,
	STATS_DROP_NO_FLOW,
	STATS_DROP_MAX,
};

/**
 * struct stats - Counters since start, plain increments (single thread)
 * @frames_in:		Frames received from the guest link (handed to tap.c)
 * @bytes_in:		Their bytes, from the Ethernet header on
 * @frames_out:		Frames the link's back end took for the guest: a frame
 *			of many TCP segments, or a run of UDP datagrams, counts
 *			once, as the guest's own interface counts it
 * @bytes_out:		Their bytes, from the Ethernet header on
 * @udp_runs_in:	Messages read from UDP sockets that held a run of
 *			datagrams (UDP_GRO), not just one
 * @udp_to_guest_lost:	UDP datagrams for the guest its link had no room
 *			for: dropped, as by a network card with a full ring
 * @drops:		Frames from the guest dropped, by enum stats_drop
 * @flows_opened:	Flows that got a type, by enum flow_type
 * @flows_closed:	Flows freed, by enum flow_type
 */
struct stats {
	uint64_t frames_in, bytes_in;
	uint64_t frames_out, bytes_out;
	uint64_t udp_runs_in;
	uint64_t udp_to_guest_lost;
	uint64_t drops[STATS_DROP_MAX];
	uint64_t flows_opened[FLOW_NUM_TYPES], flows_closed[FLOW_NUM_TYPES];
};

extern struct stats stats;

/**
 * stats_drop() - Count a frame from the guest as dropped
 * @reason:	enum stats_drop
 */
static inline void stats_drop(enum stats_drop reason)
{
	stats.drops[reason]++;
}

size_t stats_text(char *buf, size_t size);

struct ctx;
void stats_report(struct ctx *c, const struct timespec *now);

#endif /* STATS_H */
