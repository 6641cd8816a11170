/* SPDX-License-Identifier: GPL-2.0-or-later
 *
 * passt - user-mode networking for virtual machines and namespaces
 *
 * udp_flow.h - UDP flows
 */

#ifndef UDP_FLOW_H
#define UDP_FLOW_H

#include <stdbool.h>
#include <stdint.h>

#include "flow.h"

/**
 * struct udp_flow - A UDP flow, the datagrams of one pair of endpoints
 * @f:		Common flow part
 * @sock:	Socket of the flow, connected to the peer, for flows the
 *		guest (or the namespace) started; -1 for forwarded ones
 * @lsock:	Bound socket of the forwarded port, for forwarded flows
 * @tapside:	Side of the guest (or of the spliced namespace) in @f.side
 * @spliced:	Flow between host and namespace loopback, no tap
 * @dns:	Flow to a name server: short timeout
 * @last_ms:	Last activity, milliseconds
 * @last_len:	Payload length of the last datagram from the guest
 * @no_gso:	The socket refused runs of datagrams sent with UDP_SEGMENT
 */
struct udp_flow {
	struct flow_common f;
	int sock;
	int lsock;
	uint8_t tapside;
	bool spliced;
	bool dns;
	long long last_ms;
	uint16_t last_len;
	bool no_gso;
};

#endif /* UDP_FLOW_H */
