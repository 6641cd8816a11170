/* SPDX-License-Identifier: GPL-2.0-or-later
 *
 * passt - user-mode networking for virtual machines and namespaces
 *
 * icmp.h - ICMP and ICMPv6 echo over unprivileged ping sockets
 */

#ifndef ICMP_H
#define ICMP_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>
#include <netinet/in.h>

#include "passt.h"

struct icmp_ping_flow;

void icmp_tap_handler4(struct ctx *c, struct in_addr saddr,
		       struct in_addr daddr, const void *l4, size_t len,
		       const struct timespec *now);
void icmp_tap_handler6(struct ctx *c, const struct in6_addr *saddr,
		       const struct in6_addr *daddr, const void *l4,
		       size_t len, const struct timespec *now);
void icmp_sock_handler(struct ctx *c, union epoll_ref ref,
		       const struct timespec *now);
void icmp_flow_timer(struct ctx *c, struct icmp_ping_flow *pf,
		     const struct timespec *now);
void icmp_tap_reset(struct ctx *c);
void icmp_addr_gone(struct ctx *c, struct icmp_ping_flow *pf);

#endif /* ICMP_H */
