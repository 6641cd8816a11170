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
void follow_handler(const struct ctx *c, union epoll_ref ref);

#endif /* FOLLOW_H */
