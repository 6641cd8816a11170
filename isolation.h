/* SPDX-License-Identifier: GPL-2.0-or-later
 *
 * passt - user-mode networking for virtual machines and namespaces
 *
 * isolation.h - Privileges, namespaces and sandboxing of the process
 */

#ifndef ISOLATION_H
#define ISOLATION_H

#include <sys/types.h>

struct ctx;

void isolate_initial(int argc, char **argv);
void isolate_user(struct ctx *c);
void isolate_unlink_socket(const struct ctx *c);
void isolate_prefork(struct ctx *c);
pid_t isolate_daemon(struct ctx *c);
void isolate_postfork(struct ctx *c);
void isolate_ready(void);
void isolate_nshelper(void);

#endif /* ISOLATION_H */
