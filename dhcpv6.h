/* SPDX-License-Identifier: GPL-2.0-or-later
 *
 * passt - user-mode networking for virtual machines and namespaces
 *
 * dhcpv6.h - DHCPv6 server for the guest's one address (RFC 8415)
 */

#ifndef DHCPV6_H
#define DHCPV6_H

#include <stddef.h>
#include <netinet/in.h>

struct ctx;

int dhcpv6(const struct ctx *c, const struct in6_addr *saddr,
	   const struct in6_addr *daddr, const void *l4, size_t len);

#endif /* DHCPV6_H */
