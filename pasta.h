/* SPDX-License-Identifier: GPL-2.0-or-later
 *
 * passt - user-mode networking for virtual machines and namespaces
 *
 * pasta.h - Network namespaces: creating, joining, the tap device in them
 */

#ifndef PASTA_H
#define PASTA_H

#include <stdint.h>

struct ctx;
union epoll_ref;

/**
 * typedef ns_fn_t - Function run inside the target network namespace
 * @arg:	Caller's data
 *
 * Return: 0 on success, negative error code on failure
 */
typedef int (*ns_fn_t)(void *arg);

int ns_call(const struct ctx *c, ns_fn_t fn, void *arg);
void pasta_start(struct ctx *c);
void pasta_ns_conf(struct ctx *c);
void pasta_child_handler(struct ctx *c);
void pasta_netns_quit_init(struct ctx *c);
void pasta_netns_quit_handler(struct ctx *c, union epoll_ref ref);
void pasta_netns_quit_timer(struct ctx *c, union epoll_ref ref);
void pasta_netns_quit_pidfd(struct ctx *c, union epoll_ref ref);
void pasta_release_child(struct ctx *c);
int pasta_open_ns_proc(struct ctx *c, const char *path);

#endif /* PASTA_H */
