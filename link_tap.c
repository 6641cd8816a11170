// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * passt - user-mode networking for virtual machines and namespaces
 *
 * link_tap.c - Link back end: pasta's tap device
 *
 * pasta.c creates the device in the namespace, with IFF_VNET_HDR: each
 * frame, both ways, comes after a virtio-net header, which tells where a
 * checksum is to be completed and how a frame longer than one segment is
 * to be split. The device offers the namespace checksum offload and, where
 * the kernel has them, TCP and UDP segmentation offload (ctx->link_offload
 * says which it took): the namespace leaves checksums to it, and sends TCP
 * segments of up to 64 KiB, and runs of UDP datagrams, as single frames.
 *
 * Frames are read and written one system call each: a tap device has no
 * batching calls. Reads go into tap.c's buffer, 64-byte aligned.
 */

#include <errno.h>
#include <stddef.h>
#include <string.h>
#include <unistd.h>
#include <net/ethernet.h>
#include <netinet/ip.h>
#include <netinet/tcp.h>
#include <netinet/udp.h>
#include <sys/epoll.h>
#include <sys/uio.h>
#include <linux/ipv6.h>
#include <linux/virtio_net.h>

#include "link.h"
#include "log.h"
#include "passt.h"
#include "tap.h"
#include "util.h"

/* #syscalls:pasta readv writev */

#define TAPDEV_IOV_MAX		1024

/* Linux 6.2 uapi, not in older headers */
#ifndef VIRTIO_NET_HDR_GSO_UDP_L4
#define VIRTIO_NET_HDR_GSO_UDP_L4	5
#endif

/**
 * tapdev_writev() - Write one frame to the tap device, virtio-net header
 *		       first
 * @c:		Execution context
 * @iov:	Buffers of the frame, the first one starting at the Ethernet
 *		header, with the transport header
 * @n:		Number of buffers, at most TAPDEV_IOV_MAX - 1
 * @gso_size:	Segment or datagram size, for tap_vnet_hdr()
 *
 * Return: what writev() returned, errno set on failure
 */
static ssize_t tapdev_writev(const struct ctx *c, const struct iovec *iov,
			     size_t n, uint16_t gso_size)
{
	static struct iovec v[TAPDEV_IOV_MAX];
	static struct virtio_net_hdr vh;
	ssize_t ret;

	tap_vnet_hdr(c, &vh, iov, n, gso_size);
	v[0].iov_base = &vh;
	v[0].iov_len = sizeof(vh);
	memcpy(v + 1, iov, n * sizeof(*iov));

	do
		ret = writev(c->run->fd_tap, v, n + 1);
	while (ret < 0 && errno == EINTR);

	return ret;
}

/**
 * tapdev_send() - Write frames to the tap device, one call each
 * @c:		Execution context
 * @iov:	Buffers, @bufs_per_frame per frame, the first one of each
 *		starting at the Ethernet header
 * @bufs_per_frame: Buffers making up each frame
 * @nframes:	Number of frames
 * @gso_size:	TCP segment size of frames that may be longer, or 0
 *
 * Return: number of frames sent
 */
static size_t tapdev_send(struct ctx *c, const struct iovec *iov,
			  size_t bufs_per_frame, size_t nframes,
			  uint16_t gso_size)
{
	size_t i;

	if (bufs_per_frame > TAPDEV_IOV_MAX - 1)
		die("Frame of %zu buffers for the tap device", bufs_per_frame);

	for (i = 0; i < nframes; i++) {
		if (tapdev_writev(c, iov + i * bufs_per_frame,
				  bufs_per_frame, gso_size) >= 0)
			continue;
		if (errno != EAGAIN && errno != EWOULDBLOCK)
			debug_perror("Write to tap device failed");
		break;
	}

	return i;
}

/**
 * tapdev_send_udp_run() - Send a run of UDP datagrams of one flow as one
 *			   frame, split by the namespace's kernel
 * @c:		Execution context
 * @iov:	Buffers of the frame: Ethernet, IP and UDP headers first
 *		(lengths and checksum as for one datagram of the whole
 *		payload), then the payload of each datagram
 * @n:		Number of buffers, at most TAPDEV_IOV_MAX - 1
 * @gso_size:	Payload length of every datagram but the last, which may be
 *		shorter
 *
 * Only if tap_udp_gso_ok(). Should the kernel refuse the frame, the offload
 * is off from then on.
 *
 * Return: 1 if sent, 0 if the device couldn't take it (the datagrams are
 *	   lost, as they would be one by one), -1 if the caller has to send
 *	   them one by one
 */
static int tapdev_send_udp_run(struct ctx *c, const struct iovec *iov,
			       size_t n, uint16_t gso_size)
{
	if (!tap_udp_gso_ok(c) || n > TAPDEV_IOV_MAX - 1)
		return -1;

	if (tapdev_writev(c, iov, n, gso_size) >= 0)
		return 1;

	if (errno == EINVAL) {
		info("Tap device refuses UDP segmentation offload");
		c->run->link_offload &= ~LINK_OFFLOAD_USO;
		return -1;
	}
	if (errno != EAGAIN && errno != EWOULDBLOCK)
		debug_perror("Write to tap device failed");
	return 0;
}

const struct link_ops link_tap_ops = {
	.name		= "tap device",
	.send		= tapdev_send,
	.send_udp_run	= tapdev_send_udp_run,
};

/**
 * tapdev_vnet_udp_gso() - Datagram size of a frame with a run of UDP datagrams
 * @vh:		Virtio-net header of a frame from the tap device
 *
 * Return: the size the datagrams of the run were split at, 0 if the frame
 *	   isn't such a run
 */
static uint16_t tapdev_vnet_udp_gso(const struct virtio_net_hdr *vh)
{
	if ((vh->gso_type & ~VIRTIO_NET_HDR_GSO_ECN) !=
	    VIRTIO_NET_HDR_GSO_UDP_L4)
		return 0;

	return vh->gso_size;
}

/**
 * link_tap_handler() - Read frames from the tap device
 * @c:		Execution context
 * @events:	epoll events
 * @now:	Current time
 */
void link_tap_handler(struct ctx *c, uint32_t events,
		      const struct timespec *now)
{
	/* Checksums aren't verified here, and a TCP segment of any size goes
	 * to its socket the same way: only runs of UDP datagrams need the
	 * details, to be split again
	 */
	struct virtio_net_hdr vh;
	struct iovec v[2] = {
		{ .iov_base = &vh, .iov_len = sizeof(vh) },
		{ .iov_len = TAP_FRAME_MAX },
	};
	size_t off = 0, bufsize;
	char *rxbuf = tap_rx_buf(&bufsize);

	if (events & (EPOLLHUP | EPOLLERR))
		die("Tap device went away");

	if (!(events & EPOLLIN))
		return;

	for (;;) {
		ssize_t n;

		if (off + TAP_IP_ALIGN + TAP_FRAME_MAX > bufsize ||
		    tap_rx_full()) {
			tap_rx_handle(c, now);
			off = 0;
		}

		v[1].iov_base = rxbuf + off + TAP_IP_ALIGN;
		n = readv(c->run->fd_tap, v, 2);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno != EAGAIN && errno != EWOULDBLOCK)
				debug_perror("Read from tap device failed");
			break;
		}
		n -= sizeof(vh);
		/* The kernel tells the length of a frame it had to cut */
		if (n < ETH_HLEN || n > TAP_FRAME_MAX) {
			trace("Dropping frame of %zi bytes from tap", n);
			continue;
		}

		if (tap_rx_add(rxbuf + off + TAP_IP_ALIGN, n,
			       tapdev_vnet_udp_gso(&vh)))
			continue;
		off += ROUND_UP((size_t)n + TAP_IP_ALIGN, 64);
	}

	tap_rx_handle(c, now);
}
