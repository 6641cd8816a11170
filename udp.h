/* SPDX-License-Identifier: GPL-2.0-or-later
 *
 * passt - user-mode networking for virtual machines and namespaces
 *
 * udp.h - UDP translation between the guest and host sockets
 */

#ifndef UDP_H
#define UDP_H

#include <time.h>

#include "inany.h"
#include "passt.h"

struct pool;
struct udp_flow;

void udp_tap_handler(struct ctx *c, const union inany_addr *saddr,
		     const union inany_addr *daddr, const struct pool *p,
		     const uint16_t *gso, const struct timespec *now);
void udp_listen_handler(struct ctx *c, union epoll_ref ref, uint32_t events,
			const struct timespec *now);
void udp_reply_handler(struct ctx *c, union epoll_ref ref, uint32_t events,
		       const struct timespec *now);
void udp_flow_timer(struct ctx *c, struct udp_flow *uflow,
		    const struct timespec *now);
void udp_tap_writable(const struct ctx *c);
void udp_tap_reset(struct ctx *c);
void udp_addr_gone(struct ctx *c, struct udp_flow *uflow);
void udp_listen_closing(struct ctx *c, int fd);
void udp_sock_runs(const struct ctx *c, int s);

#endif /* UDP_H */
