/* SPDX-License-Identifier: GPL-2.0-or-later
 *
 * passt - user-mode networking for virtual machines and namespaces
 *
 * inany.h - One address type for both families: IPv4 as IPv4-mapped IPv6
 */

#ifndef INANY_H
#define INANY_H

#include <stdbool.h>
#include <string.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include "ip.h"

/**
 * union inany_addr - IPv6 address, or IPv4 address in IPv4-mapped form
 * @a6:		IPv6 view
 * @v4mapped:	IPv4-mapped view (RFC 4291, 2.5.5.2)
 * @v4mapped.zero:	Ten zero bytes
 * @v4mapped.one:	Two 0xff bytes
 * @v4mapped.a4:	IPv4 address
 */
union inany_addr {
	struct in6_addr a6;
	struct {
		uint8_t zero[10];
		uint8_t one[2];
		struct in_addr a4;
	} v4mapped;
};

extern const union inany_addr inany_any4;
extern const union inany_addr inany_any6;

/**
 * inany_v4() - IPv4 address in an inany_addr, if it holds one
 * @a:		Address
 *
 * Return: pointer to the IPv4 address, NULL if @a is IPv6
 */
static inline const struct in_addr *inany_v4(const union inany_addr *a)
{
	if (!IN6_IS_ADDR_V4MAPPED(&a->a6))
		return NULL;
	return &a->v4mapped.a4;
}

/**
 * inany_from_v4() - Store an IPv4 address as an inany_addr
 * @a:		Destination
 * @v4:		IPv4 address
 */
static inline void inany_from_v4(union inany_addr *a, struct in_addr v4)
{
	memset(a->v4mapped.zero, 0, sizeof(a->v4mapped.zero));
	a->v4mapped.one[0] = a->v4mapped.one[1] = 0xff;
	a->v4mapped.a4 = v4;
}

/**
 * inany_from_af() - Store an address of a family as an inany_addr
 * @a:		Destination
 * @af:		AF_INET or AF_INET6
 * @addr:	struct in_addr or struct in6_addr, any alignment
 *
 * clang-analyzer loses track of bytes copied into one member of the union
 * and read through another: callers zero @a first.
 */
static inline void inany_from_af(union inany_addr *a, int af,
				 const void *addr)
{
	struct in_addr v4;

	if (af == AF_INET6) {
		memcpy(&a->a6, addr, sizeof(a->a6));
		return;
	}

	memcpy(&v4, addr, sizeof(v4));
	inany_from_v4(a, v4);
}

/**
 * inany_equals() - Compare two addresses
 * @a:		First address
 * @b:		Second address
 *
 * Return: true if equal
 */
static inline bool inany_equals(const union inany_addr *a,
				const union inany_addr *b)
{
	return IN6_ARE_ADDR_EQUAL(&a->a6, &b->a6);
}

/**
 * inany_is_unspecified() - Tell if an address is 0.0.0.0 or ::
 * @a:		Address
 *
 * Return: true if unspecified in its family
 */
static inline bool inany_is_unspecified(const union inany_addr *a)
{
	const struct in_addr *v4 = inany_v4(a);

	if (v4)
		return v4->s_addr == INADDR_ANY;
	return IN6_IS_ADDR_UNSPECIFIED(&a->a6);
}

/**
 * inany_is_loopback() - Tell if an address is a loopback one
 * @a:		Address
 *
 * Return: true for 127.0.0.0/8 and ::1
 */
static inline bool inany_is_loopback(const union inany_addr *a)
{
	const struct in_addr *v4 = inany_v4(a);

	if (v4)
		return ip4_is_loopback(*v4);
	return IN6_IS_ADDR_LOOPBACK(&a->a6);
}

/**
 * inany_ntop() - Text form of an address, IPv4 in dotted form
 * @a:		Address
 * @buf:	Destination, at least INET6_ADDRSTRLEN bytes
 * @size:	Size of @buf
 *
 * Return: @buf
 */
static inline const char *inany_ntop(const union inany_addr *a, char *buf,
				     socklen_t size)
{
	const struct in_addr *v4 = inany_v4(a);

	if (v4)
		return inet_ntop(AF_INET, v4, buf, size);
	return inet_ntop(AF_INET6, &a->a6, buf, size);
}

/**
 * inany_pton() - Parse an address of either family
 * @s:		Text
 * @a:		Result
 *
 * Return: AF_INET or AF_INET6 on success, 0 if @s is not an address
 */
static inline int inany_pton(const char *s, union inany_addr *a)
{
	struct in_addr v4;

	if (inet_pton(AF_INET, s, &v4) == 1) {
		inany_from_v4(a, v4);
		return AF_INET;
	}
	if (inet_pton(AF_INET6, s, &a->a6) == 1)
		return AF_INET6;

	return 0;
}

struct sockaddr_storage;

socklen_t inany_to_sockaddr(struct sockaddr_storage *sa,
			    const union inany_addr *a, in_port_t port,
			    unsigned scope);
void inany_from_sockaddr(const struct sockaddr_storage *sa,
			 union inany_addr *a, in_port_t *port);

#endif /* INANY_H */
