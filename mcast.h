/* SPDX-License-Identifier: GPL-2.0-or-later
 *
 * passt - user-mode networking for virtual machines and namespaces
 *
 * mcast.h - Multicast groups of the guest, joined on the host for it
 */

#ifndef MCAST_H
#define MCAST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "inany.h"
#include "passt.h"

bool mcast_tap(struct ctx *c, uint8_t proto, uint8_t ttl,
	       const union inany_addr *saddr, const union inany_addr *daddr,
	       const void *l4, size_t len, const struct timespec *now);
void mcast_sock_handler(struct ctx *c, union epoll_ref ref);
void mcast_timer(struct ctx *c, const struct timespec *now);
void mcast_start(const struct ctx *c);
void mcast_reset(struct ctx *c);

#endif /* MCAST_H */
