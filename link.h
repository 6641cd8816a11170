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

/* Frames, and buffers for their payload, lent at a time (see struct link_lent) */
#define LINK_LEND_FRAMES	128
#define LINK_LEND_IOV		1000	/* Below IOV_MAX, with room for the caller */

/**
 * struct link_lent - Frames lent to a caller, for it to read payload into
 * @n:		Frames lent
 * @hdrlen:	Bytes of headers, from the Ethernet header on, the caller builds
 *		(in its own buffer) for each frame
 * @seg:	Payload bytes of each frame but the last, which may be shorter
 * @iov:	Where the payload goes, frame after frame, each frame taking
 *		exactly @seg bytes (the last one: what's left of the total)
 * @niov:	Entries of @iov in use
 * @first:	Index in @iov of the first buffer of each frame, @niov at @n
 * @by_link:	Lent by the back end (guest memory), not tap.c's own buffers
 *
 * The caller reads into @iov, builds the headers of the frames it filled,
 * and hands them all back with tap_commit(): it then sends no other frame
 * in between.
 */
struct link_lent {
	size_t n;
	size_t hdrlen;
	size_t seg;
	struct iovec iov[LINK_LEND_IOV];
	size_t niov;
	unsigned first[LINK_LEND_FRAMES + 1];
	bool by_link;
};

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
 *		beyond that would be lost, they wait in their sockets. Fewer
 *		than @want: 0, and the link is blocked until it takes @want
 *		(or the most it may ever take at once, if less). NULL if no
 *		fewer than @blocked says
 * @lend:	Lend buffers of the guest's own for up to @nframes frames of
 *		@l->hdrlen bytes of headers and @l->seg bytes of payload each,
 *		@total payload bytes at most: fill in @l, return the number of
 *		frames lent (0 if the guest has no buffers now: it's blocked),
 *		or -1 if they don't fit the guest's buffers (the caller uses
 *		tap.c's buffers, and @send, then). NULL if the back end has no
 *		memory to lend
 * @commit:	The first @nfilled frames lent are filled, the last one with
 *		@lastlen payload bytes, their headers in @hdrs: hand them to
 *		the guest, give the rest back. Return the number handed
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
	size_t (*room)(size_t want);
	int (*lend)(struct ctx *c, struct link_lent *l, size_t nframes,
		    size_t total);
	size_t (*commit)(struct ctx *c, struct link_lent *l,
			 const struct iovec *hdrs, size_t nfilled,
			 size_t lastlen, uint16_t gso_size);
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
