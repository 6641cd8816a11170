// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * passt - user-mode networking for virtual machines and namespaces
 *
 * link_vu.c - Link back end: the queues of a vhost-user virtio-net device
 *
 * The front end (qemu) hands us its guest's virtio-net queues in shared
 * memory (vhost_user.c): frames go straight between the guest's buffers and
 * ours, without a socket in between.
 *
 * To the guest (receive queue): each frame, behind a virtio-net header
 * that tells what the guest's kernel is to do with it (complete a partial
 * checksum, take it as many TCP segments: the same as for pasta's tap
 * device), is written into the buffers the guest made available, several of
 * them if it needs (VIRTIO_NET_F_MRG_RXBUF), then the used ring tells the
 * guest, and the call eventfd wakes it up, unless it said it doesn't need
 * that now (event index). With no buffers left, the link is blocked until
 * the guest kicks the queue with new ones.
 *
 * From the guest (transmit queue): on a kick, every chain available is
 * read into tap.c's buffer, given back at once, and the batch handled.
 */

#include <assert.h>
#include <errno.h>
#include <string.h>
#include <unistd.h>
#include <sys/epoll.h>
#include <linux/virtio_net.h>

#include "iov.h"
#include "link.h"
#include "log.h"
#include "packet.h"
#include "passt.h"
#include "tap.h"
#include "util.h"
#include "vhost_user.h"
#include "virtio.h"

/* #syscalls:passt read write */

#define VU_TX_BATCH		1024	/* Chains from the guest per pass */
#define VU_TX_HEAD		256	/* Bytes of a TCP or UDP frame we copy */
#define VU_TX_TAIL_MIN		2048	/* ... if longer: shorter ones, whole */
#define VU_FRAME_IOV_MAX	65	/* Buffers of a frame to the guest: the
					 * headers of a run of UDP datagrams,
					 * and up to 64 of them
					 */

/* Where the payload of TCP and UDP frames from the guest stays: vu_tx() */
static struct iovec vu_tail_iov[VU_TX_BATCH][VQ_ELEM_IOV_MAX];

static_assert(VQ_ELEM_IOV_MAX <= PKT_TAIL_IOV_MAX, "tails too short");

/* The receive queue had no buffers for a frame, or fewer chains than
 * vu_rx_want: wait for a kick
 */
static bool vu_rx_blocked;
static unsigned vu_rx_want = 1;

/**
 * vu_rx_block() - Wait for a kick before sending to the guest again
 * @want:	Chains to wait for, 1 if any will do
 */
static void vu_rx_block(unsigned want)
{
	vu_rx_blocked = true;
	vu_rx_want = want;
}

/* Most chains the driver had available at once on the receive queue, since
 * the queue started: more than that, we don't wait for
 */
static unsigned vu_rx_avail_max;

/**
 * vu_frame_to_guest() - Write one frame into the guest's receive buffers
 * @c:		Execution context
 * @vq:		Receive queue
 * @frame:	Buffers of the frame, from the Ethernet header on
 * @n:		Number of buffers
 * @gso_size:	Segment size, if the frame may be many TCP segments, or 0
 * @used:	Chains put in the used ring so far, updated
 *
 * Return: 0 on success (the frame was written, or dropped as it can never
 *	   fit), -1 if the guest has no buffers for it now
 */
static int vu_frame_to_guest(const struct ctx *c, struct vu_vq *vq,
			     const struct iovec *frame, size_t n,
			     uint16_t gso_size, unsigned *used)
{
	bool mrg = vu_feature(&vu_dev, VIRTIO_NET_F_MRG_RXBUF);
	struct virtio_net_hdr_mrg_rxbuf vh;
	struct iovec all[VU_FRAME_IOV_MAX + 1];
	size_t need, hdr_len = vu_dev.hdr_len;
	static struct vq_elem e, first;
	struct iov_cur src;
	unsigned nbufs = 0;

	if (n > VU_FRAME_IOV_MAX)
		return 0;

	tap_vnet_hdr(c, &vh.hdr, frame, n, gso_size);
	all[0].iov_base = &vh;
	all[0].iov_len = hdr_len;
	memcpy(all + 1, frame, n * sizeof(*frame));
	iov_cur_init(&src, all, n + 1);
	need = hdr_len + iov_size(frame, n);

	while (!iov_cur_end(&src)) {
		size_t len;

		if (vq_pop(vq, &vu_dev.mem, &e) <= 0) {
			vq_unpop(vq, nbufs);
			return -1;
		}
		if (e.n_out) {
			trace("vhost-user: readable buffer on receive queue");
			vq_fill(vq, e.head, 0, *used + nbufs++);
			continue;
		}
		if (!nbufs)
			first = e;

		if (!mrg && iov_size(e.iov, e.n_in) < need) {
			/* Without merged buffers, the frame never fits */
			trace("vhost-user: frame of %zu bytes too long", need);
			vq_fill(vq, e.head, 0, *used + nbufs++);
			*used += nbufs;
			return 0;
		}

		len = iov_cur_copy(&src, e.iov, e.n_in);
		if (nbufs == 0 && len < hdr_len) {
			/* The header must be in the first chain */
			vq_fill(vq, e.head, 0, *used + nbufs++);
			*used += nbufs;
			return 0;
		}
		vq_fill(vq, e.head, len, *used + nbufs++);
	}

	/* Now the number of buffers is known: the header, again */
	vh.num_buffers = htole16(nbufs);
	iov_cur_init(&src, all, 1);
	iov_cur_copy(&src, first.iov, first.n_in);

	*used += nbufs;
	return 0;
}

/**
 * vu_send() - Send frames to the guest, through its receive queue
 * @c:		Execution context
 * @iov:	Buffers, @bufs_per_frame per frame, the first one of each
 *		starting at the Ethernet header
 * @bufs_per_frame: Buffers making up each frame
 * @nframes:	Number of frames
 * @gso_size:	Segment size for TCP frames longer than that, or 0
 *
 * Return: number of frames sent
 */
static size_t vu_send(struct ctx *c, const struct iovec *iov,
		      size_t bufs_per_frame, size_t nframes,
		      uint16_t gso_size)
{
	struct vu_vq *vq = &vu_dev.vq[VU_RX_Q];
	unsigned used = 0;
	size_t i;

	for (i = 0; i < nframes; i++) {
		const struct iovec *f = iov + i * bufs_per_frame;

		if (!vu_frame_to_guest(c, vq, f, bufs_per_frame, gso_size,
				       &used))
			continue;

		/* No buffers: ask for a kick, unless some came meanwhile */
		vq_kicks_wanted(vq, true);
		if (vq_avail(vq) > 0 &&
		    !vu_frame_to_guest(c, vq, f, bufs_per_frame, gso_size,
				       &used))
			continue;

		vu_rx_block(1);
		break;
	}

	vq_flush(vq, used);
	vq_notify(vq);

	return i;
}

/**
 * vu_send_udp_run() - Send a run of UDP datagrams of one flow as one frame,
 *		       split by the guest's kernel (VIRTIO_NET_F_GUEST_USO4/6)
 * @c:		Execution context
 * @iov:	Buffers of the frame: Ethernet, IP and UDP headers first
 *		(lengths and checksum as for one datagram of the whole
 *		payload), then the payload of each datagram
 * @n:		Number of buffers
 * @gso_size:	Payload length of every datagram but the last, which may be
 *		shorter
 *
 * Return: 1 if sent, -1 if the caller has to send them one by one: the guest
 *	   doesn't take runs, or has too few buffers for this one now
 */
static int vu_send_udp_run(struct ctx *c, const struct iovec *iov, size_t n,
			   uint16_t gso_size)
{
	struct vu_vq *vq = &vu_dev.vq[VU_RX_Q];
	unsigned used = 0;

	if (!tap_udp_gso_ok(c) || n > VU_FRAME_IOV_MAX ||
	    vu_frame_to_guest(c, vq, iov, n, gso_size, &used))
		return -1;

	vq_flush(vq, used);
	vq_notify(vq);
	return 1;
}

/**
 * vu_blocked() - Is the guest out of receive buffers?
 *
 * Return: true while we wait for it to make more available
 */
static bool vu_blocked(void)
{
	return vu_rx_blocked;
}

/**
 * vu_rx_ready() - Tell if the receive queue has the chains we wait for
 *
 * Return: true if it has, or if we don't wait
 */
static bool vu_rx_ready(void)
{
	return vq_avail(&vu_dev.vq[VU_RX_Q]) >= (int)vu_rx_want;
}

/**
 * vu_room() - How many frames the guest can take now, at least
 * @want:	Chains the caller needs, 1 at least
 *
 * Each chain it made available takes a frame (or more, for frames longer
 * than its buffers). With fewer than @want, we ask for a kick once there
 * are that many, but for no more than half the queue, or than the driver
 * ever had available at once: it needn't ever give all of it back.
 *
 * Return: number of chains available on the receive queue, 0 if fewer
 *	   than wanted
 */
static size_t vu_room(size_t want)
{
	struct vu_vq *vq = &vu_dev.vq[VU_RX_Q];
	int n = vq_avail(vq);

	if (n > (int)vu_rx_avail_max)
		vu_rx_avail_max = n;
	want = MIN(want, MIN((size_t)vq->num / 2, (size_t)vu_rx_avail_max));
	want = MAX(want, (size_t)1);
	if (n >= (int)want)
		return n;

	vq_kicks_at(vq, want);
	n = vq_avail(vq);
	if (n >= (int)want)
		return n;

	vu_rx_block(want);
	return 0;
}

/**
 * vu_accepted() - A front end connected to our socket
 * @c:		Execution context
 * @fd:		Its socket
 */
static void vu_accepted(struct ctx *c, int fd)
{
	vu_accept(c, fd);
}

/**
 * struct vu_lent_chains - Chains of the receive queue lent out (vu_lend())
 * @n:		Chains taken
 * @head:	Head of each
 * @cap:	Payload bytes lent in each
 * @frame:	First chain of each frame, @n at the end
 * @hdr:	Where the virtio-net header and the headers of each frame go
 * @hdrspace:	Bytes there: both headers
 * @used:	Entries of the used ring filled so far, not yet made visible
 * @no_unpop:	A malformed chain was taken after some lent ones: those can't
 *		be given back for later, they go back as used, empty
 */
static struct vu_lent_chains {
	unsigned n;
	uint16_t head[LINK_LEND_IOV + 1];
	uint32_t cap[LINK_LEND_IOV + 1];
	unsigned frame[LINK_LEND_FRAMES + 1];
	char *hdr[LINK_LEND_FRAMES];
	size_t hdrspace;
	unsigned used;
	bool no_unpop;
} vu_lent;

/**
 * vu_lent_drop() - Give back lent chains, from one on
 * @vq:		Receive queue
 * @from:	First chain given back
 */
static void vu_lent_drop(struct vu_vq *vq, unsigned from)
{
	unsigned i;

	if (!vu_lent.no_unpop) {
		vq_unpop(vq, vu_lent.n - from);
	} else {
		for (i = from; i < vu_lent.n; i++)
			vq_fill(vq, vu_lent.head[i], 0, vu_lent.used++);
	}
	vu_lent.n = from;
}

/**
 * vu_lent_done() - Make what was filled visible to the guest, wake it up
 * @vq:		Receive queue
 */
static void vu_lent_done(struct vu_vq *vq)
{
	if (vu_lent.used) {
		vq_flush(vq, vu_lent.used);
		vq_notify(vq);
	}
	vu_lent.used = 0;
	vu_lent.n = 0;
}

/**
 * vu_lend() - Lend the guest's receive buffers, for payload to be read into
 * @c:		Execution context
 * @l:		Frames to lend, headers and payload sizes set, filled in
 * @nframes:	Frames wanted
 * @total:	Payload bytes wanted, at most
 *
 * Each frame takes as many chains as its payload needs (merged buffers),
 * the first one starting with room for both headers.
 *
 * Return: frames lent, 0 if the guest has no buffers now, -1 if its buffers
 *	   can't take frames this way (the caller copies then)
 */
static int vu_lend(struct ctx *c, struct link_lent *l, size_t nframes,
		   size_t total)
{
	struct vu_vq *vq = &vu_dev.vq[VU_RX_Q];
	static struct vq_elem e;
	size_t f, niov = 0;

	(void)c;

	if (!vu_feature(&vu_dev, VIRTIO_NET_F_MRG_RXBUF))
		return -1;

	vu_lent.n = vu_lent.used = 0;
	vu_lent.no_unpop = false;
	vu_lent.hdrspace = vu_dev.hdr_len + l->hdrlen;

	for (f = 0; f < nframes; f++) {
		size_t want = MIN(l->seg, total - f * l->seg), got = 0;
		unsigned fch = vu_lent.n;
		size_t fiov = niov;

		while (got < want) {
			size_t skip = got ? 0 : vu_lent.hdrspace, k;
			uint32_t cap = 0;
			int rc;

			rc = vq_pop(vq, &vu_dev.mem, &e);
			if (!rc) {
				/* Ask for a kick, then look once more */
				vq_kicks_wanted(vq, true);
				if (vq_avail(vq) > 0)
					continue;
			}
			if (rc <= 0) {
				vu_rx_block(1);
				goto partial;
			}

			if (e.n_out || !e.n_in) {
				trace("vhost-user: readable buffer on receive "
				      "queue");
				vq_fill(vq, e.head, 0, vu_lent.used++);
				vu_lent.no_unpop = true;
				continue;
			}

			if ((!got && e.iov[0].iov_len < skip) ||
			    niov + e.n_in > LINK_LEND_IOV) {
				/* Too small for the headers, or no room for
				 * its buffers: this one waits, and if not
				 * even one frame fits, the caller copies
				 */
				vu_lent.head[vu_lent.n++] = e.head;
				if (!f) {
					vu_lent_drop(vq, 0);
					vu_lent_done(vq);
					return -1;
				}
				goto partial;
			}

			if (!got)
				vu_lent.hdr[f] = e.iov[0].iov_base;
			for (k = 0; k < e.n_in && got < want; k++) {
				size_t len = e.iov[k].iov_len - skip;

				len = MIN(len, want - got);
				l->iov[niov].iov_base =
					(char *)e.iov[k].iov_base + skip;
				l->iov[niov++].iov_len = len;
				got += len;
				cap += len;
				skip = 0;
			}
			vu_lent.head[vu_lent.n] = e.head;
			vu_lent.cap[vu_lent.n++] = cap;
		}

		l->first[f] = fiov;
		vu_lent.frame[f] = fch;
		continue;

partial:
		/* This frame can't be whole: its chains go back */
		vu_lent_drop(vq, fch);
		niov = fiov;
		break;
	}

	l->first[f] = l->niov = niov;
	vu_lent.frame[f] = vu_lent.n;
	if (!f)
		vu_lent_done(vq);

	return f;
}

/**
 * vu_commit() - Hand frames written into lent buffers to the guest
 * @c:		Execution context
 * @l:		Frames lent
 * @hdrs:	Headers of each frame filled
 * @nfilled:	Frames filled
 * @lastlen:	Payload bytes in the last one filled
 * @gso_size:	Segment size for TCP frames longer than that, or 0
 *
 * Return: number of frames handed
 */
static size_t vu_commit(struct ctx *c, struct link_lent *l,
			const struct iovec *hdrs, size_t nfilled,
			size_t lastlen, uint16_t gso_size)
{
	struct vu_vq *vq = &vu_dev.vq[VU_RX_Q];
	unsigned ch = 0;
	size_t f;

	for (f = 0; f < nfilled; f++) {
		size_t plen = f == nfilled - 1 ? lastlen : l->seg, left = plen;
		struct virtio_net_hdr_mrg_rxbuf vh;
		struct iovec fr[LINK_LEND_IOV + 1];
		unsigned nb = 0;
		size_t n;

		if (hdrs[f].iov_len != l->hdrlen) {
			err("vhost-user: headers of %zu bytes, %zu lent",
			    hdrs[f].iov_len, l->hdrlen);
			break;
		}

		n = tap_lent_frame(l, f, &hdrs[f], plen, fr, ARRAY_SIZE(fr));
		tap_vnet_hdr(c, &vh.hdr, fr, n, gso_size);

		for (ch = vu_lent.frame[f]; ch < vu_lent.frame[f + 1]; ch++) {
			size_t take = MIN(left, vu_lent.cap[ch]);

			if (!take && nb)
				break;
			vq_fill(vq, vu_lent.head[ch],
				take + (nb ? 0 : vu_lent.hdrspace),
				vu_lent.used++);
			left -= take;
			nb++;
		}

		vh.num_buffers = htole16(nb);
		memcpy(vu_lent.hdr[f], &vh, vu_dev.hdr_len);
		memcpy(vu_lent.hdr[f] + vu_dev.hdr_len, hdrs[f].iov_base,
		       l->hdrlen);
	}

	/* The rest, unused: the chains of frames not filled, if any */
	if (f < nfilled || nfilled < l->n || ch < vu_lent.n)
		vu_lent_drop(vq, f < nfilled ? vu_lent.frame[f] : ch);
	vu_lent_done(vq);

	return f;
}

const struct link_ops link_vu_ops = {
	.name		= "vhost-user",
	.send		= vu_send,
	.send_udp_run	= vu_send_udp_run,
	.blocked	= vu_blocked,
	.accepted	= vu_accepted,
	.room		= vu_room,
	.lend		= vu_lend,
	.commit		= vu_commit,
};

/**
 * vu_tx() - Read every frame the guest made available, handle them
 * @c:		Execution context
 * @now:	Current time
 *
 * Frames are copied into tap.c's buffer, where they're parsed, and where
 * the guest can't change them meanwhile. The payload of what goes to a TCP
 * or UDP socket needn't be parsed: of a long frame, only the first bytes,
 * with every header, are copied, and the rest of the payload goes from the
 * guest's buffers to the socket (not DHCP, DHCPv6 or multicast, which we
 * parse or copy: tap_frame_payload_off()). The chains go back to the guest
 * once the batch is handled.
 */
static void vu_tx(struct ctx *c, const struct timespec *now)
{
	struct vu_vq *vq = &vu_dev.vq[VU_TX_Q];
	size_t bufsize, off = 0, hdr_len = vu_dev.hdr_len;
	char *rxbuf = tap_rx_buf(&bufsize);
	static struct vq_elem e;
	struct iov_cur src;
	unsigned used = 0;
	struct iovec to;

	for (;;) {
		size_t len;
		int rc;

		if (used >= VU_TX_BATCH) {
			tap_rx_handle(c, now);
			vq_flush(vq, used);
			vq_notify(vq);
			used = 0;
			off = 0;
		}

		rc = vq_pop(vq, &vu_dev.mem, &e);
		if (rc < 0)
			break;
		if (!rc) {
			/* Ask for a kick, then look once more: no race */
			vq_kicks_wanted(vq, true);
			if (vq_avail(vq) > 0)
				continue;
			break;
		}

		len = iov_size(e.iov, e.n_out);
		if (len < hdr_len + ETH_HLEN || len - hdr_len > TAP_FRAME_MAX) {
			trace("vhost-user: dropping frame of %zu bytes", len);
			vq_fill(vq, e.head, 0, used++);
			continue;
		}
		len -= hdr_len;

		if (off + TAP_IP_ALIGN + len > bufsize || tap_rx_full()) {
			tap_rx_handle(c, now);
			off = 0;
		}

		/* The header goes: checksums aren't checked, and a TCP segment
		 * of any size goes to its socket the same way
		 */
		iov_cur_init(&src, e.iov, e.n_out);
		iov_cur_skip(&src, hdr_len);
		to.iov_base = rxbuf + off + TAP_IP_ALIGN;
		to.iov_len = MIN(len, VU_TX_HEAD);
		iov_cur_copy(&src, &to, 1);

		if (len > VU_TX_TAIL_MIN &&
		    tap_frame_payload_off(to.iov_base, VU_TX_HEAD, true)) {
			struct pkt_tail tail = { .iov = vu_tail_iov[used] };

			tail.n = iov_cur_slice(&src, SIZE_MAX, vu_tail_iov[used],
					       VQ_ELEM_IOV_MAX, NULL);
			tail.len = len - VU_TX_HEAD;
			len = VU_TX_HEAD;
			tap_rx_add_tail(to.iov_base, len, &tail);
		} else {
			to.iov_base = rxbuf + off + TAP_IP_ALIGN + to.iov_len;
			to.iov_len = len - to.iov_len;
			iov_cur_copy(&src, &to, 1);
			tap_rx_add(rxbuf + off + TAP_IP_ALIGN, len, 0);
		}
		off += ROUND_UP(len + TAP_IP_ALIGN, 64);
		vq_fill(vq, e.head, 0, used++);
	}

	tap_rx_handle(c, now);
	vq_flush(vq, used);
	vq_notify(vq);
}

/**
 * link_vu_kick_handler() - The guest kicked one of its queues
 * @c:		Execution context
 * @ref:	epoll reference, with the queue index
 * @now:	Current time
 */
void link_vu_kick_handler(struct ctx *c, union epoll_ref ref,
			  const struct timespec *now)
{
	uint64_t kicks;

	if (read(ref.fd, &kicks, sizeof(kicks)) < 0 && errno != EAGAIN)
		debug_perror("vhost-user: reading a kick");

	if (ref.data == VU_TX_Q) {
		vu_tx(c, now);
		return;
	}

	/* A kick from before we ran out says nothing: buffers must be there */
	if (vu_rx_blocked && vu_rx_ready()) {
		vu_rx_blocked = false;
		vu_rx_want = 1;
		vq_kicks_wanted(&vu_dev.vq[VU_RX_Q], false);
		tap_writable(c, now);
	}
}

/**
 * link_vu_queue_ready() - A queue was started or enabled
 * @c:		Execution context
 * @index:	Queue index
 *
 * Once the receive queue is usable, the guest is there for us: make
 * ourselves known to it.
 */
void link_vu_queue_ready(struct ctx *c, unsigned index)
{
	struct vu_vq *vq = &vu_dev.vq[index];

	if (!vq->started || !vq->enabled)
		return;

	if (index == VU_TX_Q) {
		vq_kicks_wanted(vq, true);
		vu_tx(c, &c->run->now);
		return;
	}

	if (c->run->fd_tap < 0) {
		c->run->fd_tap = vu_dev.fd;
		info("vhost-user: guest ready");
		tap_start(c);
	}

	/* What the driver had before, and what we waited for, may be more than
	 * it has now
	 */
	vu_rx_avail_max = 0;
	vu_rx_want = 1;
	if (vu_rx_blocked && vu_rx_ready()) {
		vu_rx_blocked = false;
		tap_writable(c, &c->run->now);
	}
}

/**
 * link_vu_init() - Listen on the socket for the front end (vhost-user)
 * @c:		Execution context
 */
void link_vu_init(struct ctx *c)
{
	c->link = &link_vu_ops;
	c->run->link_offload = 0;
	vu_guard_init();

	link_sock_listen(c);

	info("vhost-user socket bound at %s", c->sock_path);
	info("You can now start qemu with:");
	info("    qemu-system-ARCH ... -object memory-backend-memfd,id=m0,"
	     "share=on,size=RAM -numa node,memdev=m0 -chardev socket,id=c0,"
	     "path=%s -netdev vhost-user,id=n0,chardev=c0 -device "
	     "virtio-net-pci,netdev=n0", c->sock_path);
}
