/* SPDX-License-Identifier: GPL-2.0-or-later
 *
 * passt - user-mode networking for virtual machines and namespaces
 *
 * dnsname.h - Domain names in DNS wire format (RFC 1035), with compression
 */

#ifndef DNSNAME_H
#define DNSNAME_H

#include <stdbool.h>
#include <stddef.h>

struct dns_name;

bool dnsname_valid(const char *s, size_t len);
size_t dnsname_encode(unsigned char *buf, size_t size, const char *name);
size_t dnsname_list_encode(unsigned char *buf, size_t size,
		       const struct dns_name *list, bool compress);

#endif /* DNSNAME_H */
