/* SPDX-License-Identifier: GPL-2.0-or-later
 *
 * passt - user-mode networking for virtual machines and namespaces
 *
 * dhcp.h - DHCP server for the guest's one address (RFC 2131, RFC 2132)
 */

#ifndef DHCP_H
#define DHCP_H

#include <stddef.h>

struct ctx;

int dhcp(const struct ctx *c, const void *l4, size_t len);

#endif /* DHCP_H */
