/* SPDX-License-Identifier: GPL-2.0-or-later
 *
 * passt - user-mode networking for virtual machines and namespaces
 *
 * ndp.h - Neighbour discovery and router advertisements (RFC 4861)
 */

#ifndef NDP_H
#define NDP_H

#include <stddef.h>
#include <netinet/in.h>

struct ctx;
struct dns_run;
struct guest_net6;

int ndp(struct ctx *c, const struct in6_addr *saddr,
	const struct in6_addr *daddr, const void *l4, size_t len);
void ndp_start(struct ctx *c);
void ndp_timer(struct ctx *c, const struct timespec *now);
void ndp_dns_changed(const struct ctx *c, const struct dns_run *old);
void ndp_net_changed(const struct ctx *c, const struct guest_net6 *old);

#endif /* NDP_H */
