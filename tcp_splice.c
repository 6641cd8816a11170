// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * passt - user-mode networking for virtual machines and namespaces
 *
 * tcp_splice.c - Loopback TCP connections spliced between namespaces (pasta)
 */

#include "tcp_splice.h"
#include "flow_table.h"

/**
 * tcp_splice_conn_from_sock() - Splice an accepted loopback connection
 * @c:		Execution context
 * @ref:	epoll reference of the listening socket
 * @s:		Accepted socket
 * @sa:		Peer address
 * @now:	Current time
 *
 * Return: true if the connection was taken over, false to translate it
 */
bool tcp_splice_conn_from_sock(struct ctx *c, union epoll_ref ref, int s,
			       const struct sockaddr_storage *sa,
			       const struct timespec *now)
{
	(void)c;
	(void)ref;
	(void)s;
	(void)sa;
	(void)now;
	return false;
}

/**
 * tcp_splice_sock_handler() - Events on a spliced socket
 * @c:		Execution context
 * @ref:	epoll reference
 * @events:	epoll events
 * @now:	Current time
 */
void tcp_splice_sock_handler(struct ctx *c, union epoll_ref ref,
			     uint32_t events, const struct timespec *now)
{
	(void)c;
	(void)ref;
	(void)events;
	(void)now;
}

/**
 * tcp_splice_flow_timer() - Timer for one spliced connection
 * @c:		Execution context
 * @conn:	Connection
 * @now:	Current time
 */
void tcp_splice_flow_timer(struct ctx *c, struct tcp_splice_conn *conn,
			   const struct timespec *now)
{
	(void)c;
	(void)conn;
	(void)now;
}
