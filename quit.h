/* SPDX-License-Identifier: GPL-2.0-or-later
 *
 * passt - user-mode networking for virtual machines and namespaces
 *
 * quit.h - How the process ends: draining flows, then exiting
 */

#ifndef QUIT_H
#define QUIT_H

#include <stdbool.h>

struct ctx;

#define EXIT_GRACE_MS_DEFAULT	5000
#define EXIT_GRACE_MS_MAX	(3600 * 1000)

void passt_quit(struct ctx *c, int status);
bool quit_draining(void);
int quit_timeout(const struct ctx *c, int timeout_ms);
void quit_check(struct ctx *c);
void passt_exit(struct ctx *c, int status) __attribute__((noreturn));

#endif /* QUIT_H */
