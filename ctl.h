/* SPDX-License-Identifier: GPL-2.0-or-later
 *
 * passt - user-mode networking for virtual machines and namespaces
 *
 * ctl.h - The control socket (-c)
 */

#ifndef CTL_H
#define CTL_H

#include <stdint.h>
#include <time.h>

struct ctx;

void ctl_init(const struct ctx *c);
void ctl_listen_handler(const struct ctx *c, const struct timespec *now);
void ctl_handler(struct ctx *c, uint32_t events, const struct timespec *now);
void ctl_timer(struct ctx *c, const struct timespec *now);

#endif /* CTL_H */
