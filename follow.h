/* SPDX-License-Identifier: GPL-2.0-or-later
 *
 * passt - user-mode networking for virtual machines and namespaces
 *
 * follow.h - The host's addresses, as they change while we run
 */

#ifndef FOLLOW_H
#define FOLLOW_H

#include "passt.h"

void follow_init(const struct ctx *c);
void follow_handler(struct ctx *c, union epoll_ref ref);
unsigned follow_uplink(const struct ctx *c, sa_family_t af);
void follow_timer(struct ctx *c, const struct timespec *now);

#endif /* FOLLOW_H */
