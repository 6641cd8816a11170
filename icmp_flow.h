/* SPDX-License-Identifier: GPL-2.0-or-later
 *
 * passt - user-mode networking for virtual machines and namespaces
 *
 * icmp_flow.h - ICMP and ICMPv6 echo flows
 */

#ifndef ICMP_FLOW_H
#define ICMP_FLOW_H

#include "flow.h"

/**
 * struct icmp_ping_flow - Echo requests of one identifier to one address
 * @f:		Common flow part; the tap side has the guest's identifier as
 *		endpoint port, the host side the socket's as our port
 * @sock:	Ping socket
 * @last_ms:	Last activity, milliseconds
 * @seq:	Last sequence number sent, host order
 */
struct icmp_ping_flow {
	struct flow_common f;
	int sock;
	long long last_ms;
	uint16_t seq;
};

#endif /* ICMP_FLOW_H */
