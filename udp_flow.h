/* SPDX-License-Identifier: GPL-2.0-or-later
 *
 * passt - user-mode networking for virtual machines and namespaces
 *
 * udp_flow.h - UDP flows
 */

#ifndef UDP_FLOW_H
#define UDP_FLOW_H

#include "flow.h"

/**
 * struct udp_flow - A UDP flow between the guest (or a namespace) and a peer
 * @f:		Common flow part
 * @sock:	Socket for the target side
 */
struct udp_flow {
	struct flow_common f;
	int sock;
};

#endif /* UDP_FLOW_H */
