/* SPDX-License-Identifier: GPL-2.0-or-later
 *
 * passt - user-mode networking for virtual machines and namespaces
 *
 * link.h - The link to the guest: one interface, a back end per kind of link
 *
 * A back end moves frames between the guest and us: passt's stream socket
 * (link_stream.c), the queues of a vhost-user device (link_vu.c, with the
 * protocol in vhost_user.c), pasta's tap device (link_tap.c). It's chosen once, at
 * start-up, and reached through its operations only: protocol code builds
 * frames from the Ethernet header on, and never asks which one it talks to.
 * What a back end reads from the guest goes to tap.c (tap_rx_add(), then
 * tap_rx_handle()), which parses and dispatches it.
 */

#ifndef LINK_H
#define LINK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>
#include <sys/uio.h>

struct ctx;

/* What the guest's end of the link takes, as bits of ctx->link_offload */
#define LINK_OFFLOAD_CSUM	(1U << 0)	/* TCP, UDP partial checksums */
#define LINK_OFFLOAD_TSO	(1U << 1)	/* TCP frames of many segments */
#define LINK_OFFLOAD_USO	(1U << 2)	/* UDP runs in one frame */

/**
 * struct link_ops - One way of exchanging frames with the guest
 * @name:	Name, for messages
 * @send:	Send frames, @bufs_per_frame buffers each, the first one of a
 *		frame starting at the Ethernet header; TCP frames longer than
 *		@gso_size (if not 0) carry that many payload bytes a segment.
 *		Return the number of frames the guest has, or will have: the
 *		caller may retry the others later
 * @send_udp_run: Send one frame with a run of UDP datagrams of @gso_size
 *		bytes each (the last one may be shorter), headers first, for
 *		the guest's kernel to split: 1 if sent, 0 if it was lost, -1
 *		if the link doesn't take that (send them one by one then). NULL
 *		if never
 * @blocked:	Tell if the guest can't take frames now: sources that would
 *		only have them dropped wait. NULL if never
 * @accepted:	A connection came on our socket (passt's back ends): serve it
 * @room:	How many frames the guest takes now, at least: datagrams
 *		beyond that would be lost, they wait in their sockets. NULL
 *		if no fewer than @blocked says
 */
struct link_ops {
	const char *name;
	size_t (*send)(struct ctx *c, const struct iovec *iov,
		       size_t bufs_per_frame, size_t nframes,
		       uint16_t gso_size);
	int (*send_udp_run)(struct ctx *c, const struct iovec *iov, size_t n,
			    uint16_t gso_size);
	bool (*blocked)(void);
	void (*accepted)(struct ctx *c, int fd);
	size_t (*room)(void);
};

extern const struct link_ops link_stream_ops;
extern const struct link_ops link_tap_ops;
extern const struct link_ops link_vu_ops;

union epoll_ref;

/* link_stream.c: passt's UNIX domain stream socket, and the socket path */
void link_sock_listen(struct ctx *c);
void link_sock_listen_handler(struct ctx *c, uint32_t events);
void link_stream_init(struct ctx *c);
void link_stream_handler(struct ctx *c, uint32_t events,
			 const struct timespec *now);

/* link_tap.c: pasta's tap device */
void link_tap_handler(struct ctx *c, uint32_t events,
		      const struct timespec *now);

/* link_vu.c: the queues of a vhost-user virtio-net device */
void link_vu_init(struct ctx *c);
void link_vu_kick_handler(struct ctx *c, union epoll_ref ref,
			  const struct timespec *now);
void link_vu_queue_ready(struct ctx *c, unsigned index);

#endif /* LINK_H */
