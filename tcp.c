// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * passt - user-mode networking for virtual machines and namespaces
 *
 * tcp.c - TCP translation between the guest and host sockets
 */

#include "tcp.h"
#include "log.h"

/**
 * tcp_tap_handler() - Segments of one flow from the guest
 * @c:		Execution context
 * @saddr:	Source address
 * @daddr:	Destination address
 * @p:		Pool of segments
 * @now:	Current time
 */
void tcp_tap_handler(struct ctx *c, const union inany_addr *saddr,
		     const union inany_addr *daddr, const struct pool *p,
		     const struct timespec *now)
{
	(void)c;
	(void)saddr;
	(void)daddr;
	(void)p;
	(void)now;
}

/**
 * tcp_flow_timer() - Timer for one connection
 * @c:		Execution context
 * @conn:	Connection
 * @now:	Current time
 */
void tcp_flow_timer(struct ctx *c, struct tcp_tap_conn *conn,
		    const struct timespec *now)
{
	(void)c;
	(void)conn;
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

/**
 * tcp_tap_reset() - The guest went away: reset its connections
 * @c:		Execution context
 */
void tcp_tap_reset(struct ctx *c)
{
	(void)c;
}

/**
 * tcp_tap_writable() - The guest's socket can take frames again
 * @c:		Execution context
 * @now:	Current time
 */
void tcp_tap_writable(struct ctx *c, const struct timespec *now)
{
	(void)c;
	(void)now;
}
