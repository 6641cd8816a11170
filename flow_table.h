/* SPDX-License-Identifier: GPL-2.0-or-later
 *
 * passt - user-mode networking for virtual machines and namespaces
 *
 * flow_table.h - Flow table entries: every kind of flow in one union
 */

#ifndef FLOW_TABLE_H
#define FLOW_TABLE_H

#include "flow.h"
#include "icmp_flow.h"
#include "tcp_conn.h"
#include "udp_flow.h"

/**
 * union flow - One entry of the flow table
 * @f:		Common part, always valid
 * @free:	Free entry
 * @ping:	ICMP or ICMPv6 echo flow
 * @tcp:	TCP connection through the tap
 * @tcp_splice:	Spliced TCP connection
 * @udp:	UDP flow
 */
union flow {
	struct flow_common f;
	struct flow_free free;
	struct icmp_ping_flow ping;
	struct tcp_tap_conn tcp;
	struct tcp_splice_conn tcp_splice;
	struct udp_flow udp;
};

#endif /* FLOW_TABLE_H */
