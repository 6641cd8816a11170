/* SPDX-License-Identifier: GPL-2.0-or-later
 *
 * passt - user-mode networking for virtual machines and namespaces
 *
 * tcp.h - TCP translation between the guest and host sockets
 */

#ifndef TCP_H
#define TCP_H

#include <time.h>

#include "inany.h"
#include "passt.h"

struct pool;
struct tcp_tap_conn;
struct tcp_splice_conn;

void tcp_tap_handler(struct ctx *c, const union inany_addr *saddr,
		     const union inany_addr *daddr, const struct pool *p,
		     const struct timespec *now);
void tcp_flow_timer(struct ctx *c, struct tcp_tap_conn *conn,
		    const struct timespec *now);
bool tcp_flow_pending(const struct tcp_tap_conn *conn);
void tcp_flow_end(struct ctx *c, struct tcp_tap_conn *conn, bool tap_up);
void tcp_addr_gone(struct ctx *c, struct tcp_tap_conn *conn);
void tcp_tap_reset(struct ctx *c);
void tcp_tap_writable(struct ctx *c, const struct timespec *now);
void tcp_defer_flush(struct ctx *c);
void tcp_listen_handler(struct ctx *c, union epoll_ref ref,
			const struct timespec *now);
void tcp_sock_handler(struct ctx *c, union epoll_ref ref, uint32_t events,
		      const struct timespec *now);
int tcp_init(struct ctx *c);

#endif /* TCP_H */
