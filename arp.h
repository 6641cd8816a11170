/* SPDX-License-Identifier: GPL-2.0-or-later
 *
 * passt - user-mode networking for virtual machines and namespaces
 *
 * arp.h - Answers to the guest's ARP requests (RFC 826)
 */

#ifndef ARP_H
#define ARP_H

#include <stddef.h>

struct ctx;
struct pool;

int arp(const struct ctx *c, const struct pool *p, size_t idx);
void arp_announce(const struct ctx *c);

#endif /* ARP_H */
