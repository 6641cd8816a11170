// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * passt - user-mode networking for virtual machines and namespaces
 *
 * inany.c - One address type for both families: IPv4 as IPv4-mapped IPv6
 */

#include <string.h>
#include <sys/socket.h>

#include "inany.h"

const union inany_addr inany_any4 = {
	.v4mapped = { .one = { 0xff, 0xff }, .a4 = { INADDR_ANY } },
};
const union inany_addr inany_any6 = { .a6 = IN6ADDR_ANY_INIT };

/**
 * inany_to_sockaddr() - Socket address for an address and port
 * @sa:		Destination
 * @a:		Address
 * @port:	Port, host order
 * @scope:	Scope for IPv6 link-local addresses
 *
 * Return: length of the socket address
 */
socklen_t inany_to_sockaddr(struct sockaddr_storage *sa,
			    const union inany_addr *a, in_port_t port,
			    unsigned scope)
{
	const struct in_addr *v4 = inany_v4(a);

	memset(sa, 0, sizeof(*sa));
	if (v4) {
		struct sockaddr_in *sin = (struct sockaddr_in *)sa;

		sin->sin_family = AF_INET;
		sin->sin_addr = *v4;
		sin->sin_port = htons(port);
		return sizeof(*sin);
	} else {
		struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)sa;

		sin6->sin6_family = AF_INET6;
		sin6->sin6_addr = a->a6;
		sin6->sin6_port = htons(port);
		if (IN6_IS_ADDR_LINKLOCAL(&a->a6))
			sin6->sin6_scope_id = scope;
		return sizeof(*sin6);
	}
}

/**
 * inany_from_sockaddr() - Address and port from a socket address
 * @sa:		Socket address, AF_INET or AF_INET6
 * @a:		Address, set
 * @port:	Port, host order, set
 */
void inany_from_sockaddr(const struct sockaddr_storage *sa,
			 union inany_addr *a, in_port_t *port)
{
	if (sa->ss_family == AF_INET) {
		const struct sockaddr_in *sin = (const struct sockaddr_in *)sa;

		inany_from_v4(a, sin->sin_addr);
		*port = ntohs(sin->sin_port);
	} else {
		const struct sockaddr_in6 *sin6 =
			(const struct sockaddr_in6 *)sa;

		a->a6 = sin6->sin6_addr;
		*port = ntohs(sin6->sin6_port);
	}
}
