/* SPDX-License-Identifier: GPL-2.0-or-later
 *
 * passt - user-mode networking for virtual machines and namespaces
 *
 * tcp_conn.h - TCP connection state: translated and spliced
 */

#ifndef TCP_CONN_H
#define TCP_CONN_H

#include "flow.h"

/**
 * struct tcp_tap_conn - TCP connection between the guest and a host socket
 * @f:		Common flow part
 * @sock:	Host socket
 */
struct tcp_tap_conn {
	struct flow_common f;
	int sock;
};

/**
 * struct tcp_splice_conn - TCP connection spliced between two sockets
 * @f:		Common flow part
 * @s:		Sockets of the two sides
 */
struct tcp_splice_conn {
	struct flow_common f;
	int s[2];
};

#endif /* TCP_CONN_H */
