/* SPDX-License-Identifier: GPL-2.0-or-later
 *
 * passt - user-mode networking for virtual machines and namespaces
 *
 * tcp_splice.h - Loopback TCP connections spliced between namespaces (pasta)
 */

#ifndef TCP_SPLICE_H
#define TCP_SPLICE_H

#include <stdbool.h>
#include <time.h>
#include <sys/socket.h>

#include "passt.h"

struct tcp_splice_conn;

bool tcp_splice_conn_from_sock(struct ctx *c, union epoll_ref ref, int s,
			       const struct sockaddr_storage *sa,
			       const struct timespec *now);
void tcp_splice_sock_handler(struct ctx *c, union epoll_ref ref,
			     uint32_t events, const struct timespec *now);
bool tcp_splice_flow_pending(const struct tcp_splice_conn *conn);
void tcp_splice_flow_end(struct ctx *c, struct tcp_splice_conn *conn);
void tcp_splice_flow_timer(struct ctx *c, struct tcp_splice_conn *conn,
			   const struct timespec *now);

#endif /* TCP_SPLICE_H */
