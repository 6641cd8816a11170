// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * passt - user-mode networking for virtual machines and namespaces
 *
 * udp.c - UDP translation between the guest and host sockets
 */

#include "udp.h"

/**
 * udp_tap_handler() - Datagrams of one flow from the guest
 * @c:		Execution context
 * @saddr:	Source address
 * @daddr:	Destination address
 * @p:		Pool of datagrams
 * @now:	Current time
 */
void udp_tap_handler(struct ctx *c, const union inany_addr *saddr,
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
 * udp_flow_timer() - Timer for one flow
 * @c:		Execution context
 * @uflow:	Flow
 * @now:	Current time
 */
void udp_flow_timer(struct ctx *c, struct udp_flow *uflow,
		    const struct timespec *now)
{
	(void)c;
	(void)uflow;
	(void)now;
}

/**
 * udp_tap_reset() - The guest went away
 * @c:		Execution context
 */
void udp_tap_reset(struct ctx *c)
{
	(void)c;
}
