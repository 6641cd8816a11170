/* SPDX-License-Identifier: GPL-2.0-or-later
 *
 * passt - user-mode networking for virtual machines and namespaces
 *
 * fdlimit.h - Running out of descriptors: refuse at once, warn once
 */

#ifndef FDLIMIT_H
#define FDLIMIT_H

#include <stdbool.h>

void fd_spare_init(void);
void fd_short(const char *what, unsigned refused);
void fd_short_over(void);
bool fd_is_short(int err);
void fd_refuse_backlog(int listen_fd);

#endif /* FDLIMIT_H */
