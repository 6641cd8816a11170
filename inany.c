// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * passt - user-mode networking for virtual machines and namespaces
 *
 * inany.c - One address type for both families: IPv4 as IPv4-mapped IPv6
 */

#include "inany.h"

const union inany_addr inany_any4 = {
	.v4mapped = { .one = { 0xff, 0xff }, .a4 = { INADDR_ANY } },
};
const union inany_addr inany_any6 = { .a6 = IN6ADDR_ANY_INIT };
