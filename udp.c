// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * passt - user-mode networking for virtual machines and namespaces
 *
 * udp.c - UDP translation between the guest and host sockets
 *
 * A flow is the datagrams between one address and port of the guest and one
 * address and port on the other side. Flows the guest starts get a socket of
 * their own, bound to the guest's source port where that's free (so that
 * the peer sees the same port) and connected to the peer: the kernel then
 * only gives it replies from there. Datagrams to forwarded ports (-u) arrive
 * on a shared bound socket; each sender becomes a flow, and the guest's
 * replies leave from that bound socket, so that they come from the port the
 * sender used. Flows close when idle.
 *
 * Both ways move in batches: recvmmsg() straight into the payload of
 * prepared frames, one write of many frames to the guest; sendmmsg() of all
 * the datagrams of a flow in a batch from the guest.
 *
 * Runs of datagrams of the same size, the last one maybe shorter, move as one
 * where the other side can split them again (segmentation offload): to the
 * host, as one message with UDP_SEGMENT; to pasta's namespace, as one frame
 * that its kernel splits, where the tap device offers that (Linux 6.2). Runs
 * the namespace sends us that way are sent on as they are. Where the guest's
 * link takes runs, our sockets receive them as one message, too (UDP_GRO):
 * runs sent with UDP_SEGMENT, and what the host's kernel merged on its way
 * in from a network device. Each is sent on as a run, or split into frames.
 */

#include <errno.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <net/if.h>
#include <netinet/icmp6.h>
#include <netinet/in.h>
#include <netinet/ip.h>
#include <netinet/ip_icmp.h>
#include <netinet/udp.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <linux/ipv6.h>

#include "checksum.h"
#include "fdlimit.h"
#include "flow.h"
#include "flow_table.h"
#include "fwd.h"
#include "iov.h"
#include "ip.h"
#include "log.h"
#include "packet.h"
#include "passt.h"
#include "pasta.h"
#include "stats.h"
#include "tap.h"
#include "udp.h"
#include "util.h"

/* #syscalls recvmmsg sendmmsg socket bind connect setsockopt close */
/* #syscalls sendto sendmsg epoll_ctl */

#define UDP_BATCH		64	/* Datagrams per recvmmsg() */
#define UDP_PAYLOAD_MAX		65536
#define UDP_TIMEOUT_MS		(180 * MS_PER_SEC)
#define UDP_DNS_TIMEOUT_MS	(10 * MS_PER_SEC)
#define UDP_DNS_PORT		53
#define UDP_TAP_DGRAMS		1024	/* Datagrams of a flow from the guest,
					 * sent at once */
#define UDP_GSO_SEGS		64	/* Datagrams in a run: UDP_MAX_SEGMENTS
					 * of Linux before 6.9 */
#define UDP_GSO_SEGS_IN		128	/* ...and from 6.9 on, for runs from
					 * pasta's namespace */
/* Largest payload of a run, all datagrams together: what IPv4 carries */
#define UDP_GSO_PAYLOAD_MAX	(65535 - sizeof(struct iphdr) -		\
				 sizeof(struct udphdr))

#ifndef UDP_SEGMENT
#define UDP_SEGMENT		103	/* Linux 4.18 uapi */
#endif
#ifndef UDP_GRO
#define UDP_GRO			104	/* Linux 5.0 uapi */
#endif

/**
 * struct udp_frame_hdrs - Headers of one datagram's frame to the guest
 * @pad:	Aligns the IP header to four bytes
 * @eh:		Ethernet header
 * @v4:		IPv4 and UDP headers
 * @v4.iph:	IPv4 header
 * @v4.uh:	UDP header
 * @v6:		IPv6 and UDP headers
 * @v6.ip6h:	IPv6 header
 * @v6.uh:	UDP header
 */
struct udp_frame_hdrs {
	uint8_t pad[2];
	struct ethhdr eh;
	union {
		struct {
			struct iphdr iph;
			struct udphdr uh;
		} v4;
		struct {
			struct ipv6hdr ip6h;
			struct udphdr uh;
		} v6;
	};
} __attribute__((aligned(4)));

static struct udp_frame_hdrs udp_hdrs[UDP_BATCH];
static char udp_payload[UDP_BATCH][UDP_PAYLOAD_MAX] __attribute__((aligned(64)));
static struct iovec udp_frame_iov[UDP_BATCH * 2];
static struct iovec udp_recv_iov[UDP_BATCH];
static struct mmsghdr udp_mh[UDP_BATCH];
static struct sockaddr_storage udp_names[UDP_BATCH];

/* Control message of each message received: the size of its datagrams if
 * it's a run of them (UDP_GRO), later the one to send a run with
 */
static union {
	char buf[CMSG_SPACE(sizeof(int))];
	struct cmsghdr align;
} udp_recv_cmsg[UDP_BATCH];

/* Payload length of the datagrams of each message received: its length for
 * one datagram, less for a run, whose last datagram may be shorter still
 */
static size_t udp_seg[UDP_BATCH];

/* A run of datagrams read from a socket in the last UDP_RUNS_HOLD_MS: on a
 * link that counts the guest's room in frames, each message may then be as
 * many frames as a run holds, and fewer are read at once
 */
#define UDP_RUNS_HOLD_MS	1000
static long long udp_runs_ms;
static bool udp_runs_seen;

/* Sockets we stopped reading while the guest's stream socket is full: their
 * datagrams wait in the kernel, or are dropped there, not after a copy
 */
#define UDP_PAUSED_MAX		4096
static union epoll_ref udp_paused[UDP_PAUSED_MAX];
static unsigned udp_npaused;

/* Where each datagram of a batch from a socket goes: its flow, towards the
 * guest's side, NULL if nowhere
 */
static struct udp_flow *udp_to[UDP_BATCH];

/* Flow of each frame built in udp_frame_iov, to count what the guest took */
static struct udp_flow *udp_frame_flow[UDP_BATCH];

/* One run of datagrams to the guest in one frame: headers, then payloads */
static struct udp_frame_hdrs udp_gso_hdrs;
static struct iovec udp_gso_iov[1 + UDP_GSO_SEGS];

/**
 * struct udp_tap_dgram - A datagram of a flow from the guest, to send
 * @first:	Its first buffer in udp_tap_iov: the buffers of datagrams
 *		follow each other there, in order
 * @n:		Number of buffers, 0 for an empty datagram
 * @len:	Payload length, all buffers together
 */
struct udp_tap_dgram {
	unsigned first;
	unsigned n;
	size_t len;
};

/* Datagrams of a flow from the guest, for sendmmsg(): a run of them is one
 * message, with its datagram size in a control message. The payload of a
 * datagram may be in several buffers: in the guest's memory, as its frame
 * came in pieces (vhost-user), and in our copy of its first bytes.
 */
#define UDP_TAP_IOVS		(UDP_TAP_DGRAMS * 2)
static struct udp_tap_dgram udp_tap_dg[UDP_TAP_DGRAMS];
static struct iovec udp_tap_iov[UDP_TAP_IOVS];
static struct mmsghdr udp_tap_mh[UDP_TAP_DGRAMS];
static unsigned udp_tap_mh_dg[UDP_TAP_DGRAMS];	/* First datagram of each */
static union {
	char buf[CMSG_SPACE(sizeof(uint16_t))];
	struct cmsghdr align;
} udp_tap_cmsg[UDP_TAP_DGRAMS];

/**
 * uflow_at() - UDP flow at a flow index
 * @idx:	Index
 *
 * Return: the flow
 */
static inline struct udp_flow *uflow_at(unsigned idx)
{
	return &flow_at(idx)->udp;
}

/**
 * uflow_idx() - Flow index of a UDP flow
 * @uflow:	Flow
 *
 * Return: index
 */
static inline unsigned uflow_idx(const struct udp_flow *uflow)
{
	return flow_idx((const union flow *)uflow);
}

/**
 * udp_frame_fill() - Build the headers of a datagram's frame to the guest
 * @c:		Execution context
 * @h:		Header buffer
 * @iov:	Two entries: headers and payload, set
 * @src:	Source address and port, as the guest sees them
 * @sport:	Source port
 * @dst:	Destination (the guest's) address
 * @dport:	Destination port
 * @payload:	Payload
 * @len:	Payload length
 */
static void udp_frame_fill(const struct ctx *c, struct udp_frame_hdrs *h,
			   struct iovec *iov, const union inany_addr *src,
			   in_port_t sport, const union inany_addr *dst,
			   in_port_t dport, const void *payload, size_t len)
{
	size_t l4len = len + sizeof(struct udphdr), l3len;
	struct udphdr *uh;

	if (inany_v4(src)) {
		tap_push_l2h(c, &h->eh, ETH_P_IP);
		uh = tap_push_ip4h(&h->v4.iph, *inany_v4(src), *inany_v4(dst),
				   l4len, IPPROTO_UDP);
		uh->source = htons(sport);
		uh->dest = htons(dport);
		uh->len = htons(l4len);
		/* Nothing between us and the guest corrupts data: no checksum
		 * (RFC 768), unless the tap device completes it for free
		 */
		if (tap_l4_csum(c))
			uh->check = 0;
		else
			tap_csum_udp4(c, uh, *inany_v4(src), *inany_v4(dst),
				      payload, len);
		l3len = sizeof(struct iphdr) + l4len;
	} else {
		tap_push_l2h(c, &h->eh, ETH_P_IPV6);
		uh = tap_push_ip6h(&h->v6.ip6h, &src->a6, &dst->a6, l4len,
				   IPPROTO_UDP, 0);
		uh->source = htons(sport);
		uh->dest = htons(dport);
		uh->len = htons(l4len);
		tap_csum_udp6(c, uh, &src->a6, &dst->a6, payload, len);
		l3len = sizeof(struct ipv6hdr) + l4len;
	}

	iov[0].iov_base = &h->eh;
	iov[0].iov_len = ETH_HLEN + (l3len - l4len) + sizeof(*uh);
	iov[1].iov_base = (void *)payload;
	iov[1].iov_len = len;
}

/**
 * udp_fits_tap() - Tell if a datagram fits the guest's MTU
 * @c:		Execution context
 * @v4:		IPv4 datagram
 * @len:	Payload length
 *
 * Return: true if it fits
 */
static bool udp_fits_tap(const struct ctx *c, bool v4, size_t len)
{
	size_t hdrs = sizeof(struct udphdr) +
		      (v4 ? sizeof(struct iphdr) : sizeof(struct ipv6hdr));

	return len + hdrs <= (size_t)c->mtu;
}

/**
 * udp_run_to_tap() - Count the messages of a batch that go to the guest in
 *		      one frame with the first one, as a run of datagrams
 * @c:		Execution context
 * @first:	Index of the first message in the batch
 * @n:		Number of messages in the batch
 * @total:	Payload of the run, all datagrams together, set
 *
 * A run is datagrams of one flow, of the same size but for the last one,
 * which may be shorter, together within what an IP packet carries and what
 * the guest's kernel splits. A message may hold such a run already.
 *
 * Return: messages in the run, 1 if the first one goes on its own; @total is
 *	   0 if nothing goes as a run: the guest doesn't take runs, or the
 *	   first message is empty or holds more than one frame carries
 */
static int udp_run_to_tap(const struct ctx *c, int first, int n,
			  size_t *total)
{
	size_t gso = udp_seg[first], segs;
	int i;

	*total = 0;
	if (!tap_udp_gso_ok(c) || !gso)
		return 1;

	*total = udp_mh[first].msg_len;
	segs = DIV_ROUND_UP(*total, gso);
	if (segs > UDP_GSO_SEGS || *total > UDP_GSO_PAYLOAD_MAX) {
		*total = 0;
		return 1;
	}
	for (i = first + 1; i < n; i++) {
		size_t len = udp_mh[i].msg_len, more;

		/* Nothing after a shorter datagram; a run of another size or
		 * a longer datagram starts another run
		 */
		if (*total % gso || udp_to[i] != udp_to[first] || !len ||
		    (len > gso && udp_seg[i] != gso))
			break;

		more = DIV_ROUND_UP(len, gso);
		if (segs + more > UDP_GSO_SEGS ||
		    *total + len > UDP_GSO_PAYLOAD_MAX)
			break;
		segs += more;
		*total += len;
	}

	return i - first;
}

/**
 * udp_frames_flush() - Send the frames built in udp_frame_iov to the guest
 * @c:		Execution context
 * @k:		Number of frames
 *
 * The payload of frames the guest took counts for their flows.
 */
static void udp_frames_flush(struct ctx *c, int k)
{
	size_t sent = tap_send_frames(c, udp_frame_iov, 2, k), i;

	stats.udp_to_guest_lost += k - sent;
	for (i = 0; i < sent; i++) {
		struct udp_flow *uflow = udp_frame_flow[i];
		size_t len = udp_frame_iov[i * 2 + 1].iov_len;

		uflow->f.bytes[!uflow->tapside] += len;
	}
}

/**
 * udp_frames_add() - Add frames to the guest for the datagrams of a message
 * @c:		Execution context
 * @k:		Number of frames built so far in udp_frame_iov
 * @uflow:	Flow of the message
 * @m:		Index of the message in the batch
 *
 * A run of datagrams in the message becomes one frame each; frames built so
 * far are sent whenever there's no room for more.
 *
 * Return: number of frames built in udp_frame_iov now
 */
static int udp_frames_add(struct ctx *c, int k, struct udp_flow *uflow, int m)
{
	const struct flowside *tap = &uflow->f.side[uflow->tapside];
	size_t len = udp_mh[m].msg_len, off = 0;

	do {
		size_t l = MIN(udp_seg[m], len - off);

		if (k == UDP_BATCH) {
			udp_frames_flush(c, k);
			k = 0;
		}
		udp_frame_fill(c, &udp_hdrs[k], &udp_frame_iov[k * 2],
			       &tap->oaddr, tap->oport, &tap->eaddr, tap->eport,
			       udp_payload[m] + off, l);
		udp_frame_flow[k++] = uflow;
		off += l;
	} while (off < len);

	return k;
}

/**
 * udp_send_to_tap() - Send the datagrams of a batch to the guest, runs of
 *		       them as one frame where the guest takes that
 * @c:		Execution context
 * @n:		Number of datagrams received, each going to udp_to[i]
 */
static void udp_send_to_tap(struct ctx *c, int n)
{
	int i, k = 0, run, j, rc;

	for (i = 0; i < n; i += run) {
		struct udp_flow *uflow = udp_to[i];
		const struct flowside *tap;
		size_t total;

		run = 1;
		if (!uflow)
			continue;
		tap = &uflow->f.side[uflow->tapside];

		run = udp_run_to_tap(c, i, n, &total);
		if (total > udp_seg[i]) {
			/* Headers for the whole run: with offloads, no sum
			 * is computed over the payload, only its length counts
			 */
			udp_frame_fill(c, &udp_gso_hdrs, udp_gso_iov,
				       &tap->oaddr, tap->oport, &tap->eaddr,
				       tap->eport, udp_payload[i], total);
			for (j = 0; j < run; j++) {
				struct iovec *v = &udp_gso_iov[1 + j];

				v->iov_base = udp_payload[i + j];
				v->iov_len = udp_mh[i + j].msg_len;
			}

			/* Frames so far first, so that the order holds */
			udp_frames_flush(c, k);
			k = 0;
			rc = tap_send_udp_gso(c, udp_gso_iov, 1 + run,
					      udp_seg[i]);
			if (rc == 1)
				uflow->f.bytes[!uflow->tapside] += total;
			else if (!rc)
				stats.udp_to_guest_lost +=
					DIV_ROUND_UP(total, udp_seg[i]);
			if (rc >= 0)
				continue;
		}

		for (j = i; j < i + run; j++)
			k = udp_frames_add(c, k, uflow, j);
	}

	udp_frames_flush(c, k);
}

/**
 * udp_pause() - Stop reading a socket until the guest can take frames again
 * @c:		Execution context
 * @ref:	epoll reference of the socket
 *
 * Return: true if paused, false if it must be read (and drained) as usual
 */
static bool udp_pause(const struct ctx *c, union epoll_ref ref)
{
	struct epoll_event ev = { .events = 0, .data.u64 = ref.u64 };

	if (udp_npaused == UDP_PAUSED_MAX ||
	    epoll_ctl(c->epollfd, EPOLL_CTL_MOD, ref.fd, &ev))
		return false;

	udp_paused[udp_npaused++] = ref;
	return true;
}

/**
 * udp_unpause_fd() - Forget a paused socket that is about to be closed
 * @fd:		Socket
 */
static void udp_unpause_fd(int fd)
{
	unsigned i;

	for (i = 0; i < udp_npaused; i++) {
		if (udp_paused[i].fd == fd)
			udp_paused[i--] = udp_paused[--udp_npaused];
	}
}

/**
 * udp_tap_writable() - The guest's socket can take frames: read sockets again
 * @c:		Execution context
 */
void udp_tap_writable(const struct ctx *c)
{
	unsigned i, left = 0;

	for (i = 0; i < udp_npaused; i++) {
		union epoll_ref ref = udp_paused[i];
		struct epoll_event ev = { .events = EPOLLIN,
					  .data.u64 = ref.u64 };

		/* Entries go as their sockets close: one that didn't would
		 * change the events of whatever has its number now
		 */
		if (ref.type == EPOLL_TYPE_UDP_REPLY &&
		    (uflow_at(ref.flow)->f.type != FLOW_UDP ||
		     uflow_at(ref.flow)->sock != ref.fd)) {
			debug("UDP: paused socket %i was closed", ref.fd);
			continue;
		}

		/* Short of kernel memory, it stays paused: next time */
		if (epoll_ctl(c->epollfd, EPOLL_CTL_MOD, ref.fd, &ev)) {
			debug_perror("UDP: can't resume socket %i", ref.fd);
			if (errno == ENOMEM)
				udp_paused[left++] = ref;
		}
	}
	udp_npaused = left;
}

/**
 * udp_room_want() - Room in the guest's link a message read may need
 * @now:	Current time
 *
 * A message is a frame, unless it holds a run of datagrams, which may be up
 * to UDP_GSO_SEGS_IN frames (or as many of the guest's buffers, as one
 * frame). While runs come, a link that counts its room is read for when it
 * has that much, one message for each UDP_GSO_SEGS_IN frames of it: the
 * others wait in their sockets, as single datagrams do when the guest has
 * no room at all.
 *
 * Return: frames of room a message needs, 1 or UDP_GSO_SEGS_IN
 */
static size_t udp_room_want(const struct timespec *now)
{
	if (udp_runs_seen && timespec_ms(now) - udp_runs_ms < UDP_RUNS_HOLD_MS)
		return UDP_GSO_SEGS_IN;
	return 1;
}

/**
 * udp_read_max() - How many messages to read at once for the guest
 * @room:	Frames the guest takes now, at least, SIZE_MAX if the link
 *		doesn't count them (pasta's tap device, the stream socket)
 * @want:	Frames of room a message may need, from udp_room_want()
 *
 * Return: number of messages, 1 to UDP_BATCH
 */
static size_t udp_read_max(size_t room, size_t want)
{
	return MIN(MAX(room / want, (size_t)1), (size_t)UDP_BATCH);
}

/**
 * udp_recv_batch() - Receive a batch of datagrams into the frame payloads
 * @s:		Socket
 * @names:	Ask for the senders' addresses
 * @max:	At most that many, from udp_read_max()
 * @now:	Current time
 *
 * Return: number of datagrams, -1 with errno set on error
 */
static int udp_recv_batch(int s, bool names, size_t max,
			  const struct timespec *now)
{
	int i, n = MIN(max, (size_t)UDP_BATCH);

	for (i = 0; i < n; i++) {
		udp_recv_iov[i].iov_base = udp_payload[i];
		udp_recv_iov[i].iov_len = UDP_PAYLOAD_MAX;
		udp_mh[i].msg_hdr.msg_iov = &udp_recv_iov[i];
		udp_mh[i].msg_hdr.msg_iovlen = 1;
		udp_mh[i].msg_hdr.msg_name = names ? &udp_names[i] : NULL;
		udp_mh[i].msg_hdr.msg_namelen = names ? sizeof(udp_names[i]) :
							0;
		udp_mh[i].msg_hdr.msg_control = udp_recv_cmsg[i].buf;
		udp_mh[i].msg_hdr.msg_controllen = sizeof(udp_recv_cmsg[i].buf);
		udp_mh[i].msg_hdr.msg_flags = 0;
	}

	n = recvmmsg(s, udp_mh, n, MSG_DONTWAIT, NULL);

	/* A run of datagrams comes with their size, the last one may be
	 * shorter: anything else is one datagram
	 */
	for (i = 0; i < n; i++) {
		struct msghdr *mh = &udp_mh[i].msg_hdr;
		struct cmsghdr *cm;

		udp_seg[i] = udp_mh[i].msg_len;
		for (cm = CMSG_FIRSTHDR(mh); cm; cm = CMSG_NXTHDR(mh, cm)) {
			int seg;

			if (cm->cmsg_level != IPPROTO_UDP ||
			    cm->cmsg_type != UDP_GRO ||
			    cm->cmsg_len < CMSG_LEN(sizeof(seg)))
				continue;
			memcpy(&seg, CMSG_DATA(cm), sizeof(seg));
			if (seg > 0 && (size_t)seg < udp_seg[i])
				udp_seg[i] = seg;
		}

		if (udp_seg[i] == udp_mh[i].msg_len)
			continue;

		stats.udp_runs_in++;
		udp_runs_seen = true;
		udp_runs_ms = timespec_ms(now);
		/* A run longer than the buffer: drop the datagram cut short */
		if (mh->msg_flags & MSG_TRUNC)
			udp_mh[i].msg_len -= udp_mh[i].msg_len % udp_seg[i];
	}

	return n;
}

/**
 * udp_run_ctl() - Set the control message to send a received message with:
 *		   its datagram size if it's a run of them, none otherwise
 * @m:		Index of the message in the batch
 * @mh:		Message header to send it with
 */
static void udp_run_ctl(int m, struct msghdr *mh)
{
	uint16_t seg = udp_seg[m];
	struct cmsghdr *cm;

	if (udp_seg[m] >= udp_mh[m].msg_len) {
		mh->msg_control = NULL;
		mh->msg_controllen = 0;
		return;
	}

	cm = &udp_recv_cmsg[m].align;
	cm->cmsg_level = IPPROTO_UDP;
	cm->cmsg_type = UDP_SEGMENT;
	cm->cmsg_len = CMSG_LEN(sizeof(seg));
	memcpy(CMSG_DATA(cm), &seg, sizeof(seg));
	mh->msg_control = cm;
	mh->msg_controllen = CMSG_SPACE(sizeof(seg));
}

/**
 * udp_send_spliced() - Send a received message on a connected socket, a run
 *			of datagrams as such, or one by one if that fails
 * @s:		Socket
 * @m:		Index of the message in the batch
 *
 * Return: bytes sent, -1 on failure
 */
static ssize_t udp_send_spliced(int s, int m)
{
	size_t len = udp_mh[m].msg_len, off;
	struct iovec iov = { udp_payload[m], len };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };
	ssize_t w, sent = 0;

	udp_run_ctl(m, &mh);
	if ((w = sendmsg(s, &mh, MSG_DONTWAIT)) >= 0 || errno == EAGAIN ||
	    !mh.msg_control)
		return w;

	for (off = 0; off < len; off += udp_seg[m]) {
		w = send(s, udp_payload[m] + off, MIN(udp_seg[m], len - off),
			 MSG_DONTWAIT);
		if (w < 0)
			break;
		sent += w;
	}

	return sent ? sent : -1;
}

/**
 * udp_sock_runs() - Have a socket give runs of datagrams as one (UDP_GRO),
 *		     if the guest's link takes runs in one frame
 * @c:		Execution context
 * @s:		Socket
 */
void udp_sock_runs(const struct ctx *c, int s)
{
	int one = 1;

	if (tap_udp_runs_in(c) &&
	    setsockopt(s, IPPROTO_UDP, UDP_GRO, &one, sizeof(one)))
		debug_perror("UDP: can't take runs of datagrams as one");
}

/**
 * udp_icmp_unreach() - Tell the guest that the peer's port is closed
 * @c:		Execution context
 * @uflow:	Flow, started by the guest
 *
 * The ICMP error quotes the guest's last datagram of the flow: its IP
 * header and the UDP header (RFC 792, RFC 4443).
 */
static void udp_icmp_unreach(const struct ctx *c,
			     const struct udp_flow *uflow)
{
	const struct flowside *tap = &uflow->f.side[uflow->tapside];
	size_t l4len = uflow->last_len + sizeof(struct udphdr);

	if (inany_v4(&tap->eaddr) && inany_v4(&tap->oaddr)) {
		struct {
			struct icmphdr ih;
			struct iphdr iph;
			struct udphdr uh;
		} m;

		memset(&m, 0, sizeof(m));
		m.ih.type = ICMP_DEST_UNREACH;
		m.ih.code = ICMP_PORT_UNREACH;
		tap_push_ip4h(&m.iph, *inany_v4(&tap->eaddr),
			      *inany_v4(&tap->oaddr), l4len, IPPROTO_UDP);
		m.uh.source = htons(tap->eport);
		m.uh.dest = htons(tap->oport);
		m.uh.len = htons(l4len);
		tap_icmp4_send(c, *inany_v4(&tap->oaddr),
			       *inany_v4(&tap->eaddr), &m, sizeof(m));
	} else {
		struct {
			struct icmp6_hdr ih;
			struct ipv6hdr ip6h;
			struct udphdr uh;
		} m;

		memset(&m, 0, sizeof(m));
		m.ih.icmp6_type = ICMP6_DST_UNREACH;
		m.ih.icmp6_code = ICMP6_DST_UNREACH_NOPORT;
		tap_push_ip6h(&m.ip6h, &tap->eaddr.a6, &tap->oaddr.a6, l4len,
			      IPPROTO_UDP, 0);
		m.uh.source = htons(tap->eport);
		m.uh.dest = htons(tap->oport);
		m.uh.len = htons(l4len);
		tap_icmp6_send(c, &tap->oaddr.a6, &tap->eaddr.a6, &m,
			       sizeof(m));
	}
}

/**
 * udp_flow_close() - Close a flow, and its socket if it has one
 * @c:		Execution context
 * @uflow:	Flow
 */
static void udp_flow_close(struct ctx *c, struct udp_flow *uflow)
{
	debug("UDP flow %u: closed", uflow_idx(uflow));

	if (uflow->sock >= 0) {
		udp_unpause_fd(uflow->sock);
		close(uflow->sock);	/* ... and out of epoll: the only reference */
	}
	(void)c;
	flow_free((union flow *)uflow);
}

/**
 * udp_splice_back() - Send replies of a spliced flow to the original sender
 * @c:		Execution context
 * @uflow:	Spliced flow
 * @n:		Number of datagrams received into the batch buffers
 */
static void udp_splice_back(const struct ctx *c, struct udp_flow *uflow,
			    int n)
{
	const struct flowside *ini = &uflow->f.side[INISIDE];
	struct sockaddr_storage sa;
	socklen_t sl;
	int i, sent;

	(void)c;

	sl = inany_to_sockaddr(&sa, &ini->eaddr, ini->eport, 0);
	for (i = 0; i < n; i++) {
		udp_mh[i].msg_hdr.msg_name = &sa;
		udp_mh[i].msg_hdr.msg_namelen = sl;
		udp_recv_iov[i].iov_len = udp_mh[i].msg_len;
		udp_run_ctl(i, &udp_mh[i].msg_hdr);
	}

	sent = sendmmsg(uflow->lsock, udp_mh, n, MSG_DONTWAIT | MSG_NOSIGNAL);
	if (sent < 0) {
		trace("UDP flow %u: can't send back: %s", uflow_idx(uflow),
		      strerror(errno));
		return;
	}

	/* sendmmsg() set the length of each message sent */
	for (i = 0; i < sent; i++)
		uflow->f.bytes[TGTSIDE] += udp_mh[i].msg_len;
}

/**
 * struct udp_splice_arg - A socket to open for a spliced flow
 * @sa:		Loopback address and port to connect to
 * @sl:		Length of @sa
 * @s:		Socket, set
 */
struct udp_splice_arg {
	struct sockaddr_storage sa;
	socklen_t sl;
	int s;
};

/**
 * udp_splice_sock() - Open a socket connected to a loopback port, here
 * @arg:	struct udp_splice_arg
 *
 * Runs in the namespace the flow goes to, directly or by ns_call().
 *
 * Return: 0 on success, negative error code on failure
 */
static int udp_splice_sock(void *arg)
{
	struct udp_splice_arg *a = arg;

	a->s = socket(a->sa.ss_family, SOCK_DGRAM | SOCK_NONBLOCK |
		      SOCK_CLOEXEC, IPPROTO_UDP);
	if (a->s < 0)
		return -errno;

	if (connect(a->s, (struct sockaddr *)&a->sa, a->sl)) {
		int ret = -errno;

		close(a->s);
		a->s = -1;
		return ret;
	}

	return 0;
}

/**
 * udp_flow_splice() - A new loopback sender on a forwarded port: relay to
 *		       the other side's loopback (pasta)
 * @c:		Execution context
 * @ref:	epoll reference of the bound socket
 * @peer:	Sender's address, loopback
 * @pport:	Sender's port
 * @now:	Current time
 *
 * Return: new flow, NULL if it can't be made
 */
static struct udp_flow *udp_flow_splice(struct ctx *c, union epoll_ref ref,
					const union inany_addr *peer,
					in_port_t pport,
					const struct timespec *now)
{
	const struct fwd_ports *fwd = ref.listen.pif == PIF_SPLICE ?
				      &c->run->fwd[FWD_UDP_OUT] : &c->run->fwd[FWD_UDP_IN];
	struct udp_splice_arg a = { .s = -1 };
	bool to_ns = ref.listen.pif == PIF_HOST;
	union inany_addr lo = { .a6 = IN6ADDR_LOOPBACK_INIT };
	struct udp_flow *uflow;
	union flow *flow;
	in_port_t dport;
	int rc;

	dport = ref.listen.rule < fwd->nr_rules ?
		fwd_rule_target(&fwd->rules[ref.listen.rule],
				ref.listen.port) : ref.listen.port;
	if (inany_v4(peer))
		inany_from_v4(&lo, (struct in_addr){ htonl(INADDR_LOOPBACK) });
	a.sl = inany_to_sockaddr(&a.sa, &lo, dport, 0);

	flow = flow_alloc();
	if (!flow)
		return NULL;

	rc = to_ns ? ns_call(c, udp_splice_sock, &a) : udp_splice_sock(&a);
	if (rc) {
		if (fd_is_short(-rc))
			fd_short("UDP flows", 1);
		flow_free(flow);
		return NULL;
	}
	fd_short_over();

	uflow = &flow->udp;
	flow_start(flow, FLOW_UDP, IPPROTO_UDP, now);
	uflow->f.pif[INISIDE] = ref.listen.pif;
	uflow->f.pif[TGTSIDE] = to_ns ? PIF_SPLICE : PIF_HOST;
	uflow->f.side[INISIDE].eaddr = *peer;
	uflow->f.side[INISIDE].eport = pport;
	uflow->f.side[INISIDE].oaddr = inany_v4(peer) ? inany_any4 :
							inany_any6;
	uflow->f.side[INISIDE].oport = ref.listen.port;
	uflow->f.side[TGTSIDE].eaddr = lo;
	uflow->f.side[TGTSIDE].eport = dport;
	uflow->tapside = TGTSIDE;
	uflow->spliced = true;
	uflow->sock = a.s;
	uflow->lsock = ref.fd;
	uflow->last_ms = timespec_ms(now);

	if (flow_sock_watch(c, flow, a.s, EPOLL_TYPE_UDP_REPLY))
		return NULL;
	flow_hash_insert(flow, INISIDE);

	debug("UDP flow %u: spliced port %u to port %u %s", uflow_idx(uflow),
	      ref.listen.port, dport, to_ns ? "in the namespace" :
					       "on the host");
	return uflow;
}

/**
 * udp_addr_gone() - The host's address of a flow went away: close it
 * @c:		Execution context
 * @uflow:	Flow
 *
 * The guest's next datagram starts a new flow, from the host's address as
 * it is then.
 */
void udp_addr_gone(struct ctx *c, struct udp_flow *uflow)
{
	udp_flow_close(c, uflow);
}

/**
 * udp_listen_closing() - A bound socket goes away: close flows that use it
 * @c:		Execution context
 * @fd:		Socket
 */
void udp_listen_closing(struct ctx *c, int fd)
{
	unsigned i;

	udp_unpause_fd(fd);
	for (i = 0; i < flow_span(); i++) {
		struct udp_flow *uflow = uflow_at(i);

		if (uflow->f.type == FLOW_UDP && uflow->lsock == fd)
			udp_flow_close(c, uflow);
	}
}

/**
 * udp_reply_handler() - Replies on the socket of a flow the guest started
 * @c:		Execution context
 * @ref:	epoll reference, with the flow index
 * @events:	epoll events
 * @now:	Current time
 */
void udp_reply_handler(struct ctx *c, union epoll_ref ref, uint32_t events,
		       const struct timespec *now)
{
	struct udp_flow *uflow = uflow_at(ref.flow);
	const struct flowside *tap;
	int n, i;

	/* Closed, or closed and reused, earlier in the same batch of events */
	if (uflow->f.type != FLOW_UDP || uflow->sock != ref.fd)
		return;
	tap = &uflow->f.side[uflow->tapside];

	for (;;) {
		size_t want = udp_room_want(now), max, room;

		room = uflow->spliced ? SIZE_MAX : tap_room(c, want);

		if (!room && !(events & EPOLLERR) && udp_pause(c, ref))
			return;

		max = udp_read_max(room, want);
		n = udp_recv_batch(uflow->sock, false, max, now);
		if (n < 0) {
			if (errno == ECONNREFUSED) {
				trace("UDP flow %u: port unreachable",
				      ref.flow);
				/* Spliced: the sender saw it on its loopback */
				if (!uflow->spliced)
					udp_icmp_unreach(c, uflow);
				continue;
			}
			break;
		}
		if (!n)
			break;

		uflow->last_ms = timespec_ms(now);
		if (uflow->spliced) {
			udp_splice_back(c, uflow, n);
			if (n < UDP_BATCH)
				break;
			continue;
		}

		for (i = 0; i < n; i++) {
			udp_to[i] = udp_fits_tap(c, inany_v4(&tap->eaddr),
						 udp_seg[i]) ? uflow : NULL;
		}
		udp_send_to_tap(c, n);

		if ((size_t)n < max)
			break;
	}
}

/**
 * udp_flow_from_sock() - A datagram on a forwarded port from a new sender
 * @c:		Execution context
 * @ref:	epoll reference of the bound socket
 * @peer:	Sender's address
 * @pport:	Sender's port
 * @now:	Current time
 *
 * Return: new flow, NULL if it can't be made
 */
static struct udp_flow *udp_flow_from_sock(struct ctx *c, union epoll_ref ref,
					   const union inany_addr *peer,
					   in_port_t pport,
					   const struct timespec *now)
{
	const struct fwd_ports *fwd = &c->run->fwd[FWD_UDP_IN];
	struct udp_flow *uflow;
	union inany_addr src;
	union flow *flow;
	in_port_t dport;

	if (fwd_nat_to_tap(c, peer, &src) ||
	    (inany_v4(&src) ? !ipv4_enabled(c) : !ipv6_enabled(c)))
		return NULL;

	dport = ref.listen.rule < fwd->nr_rules ?
		fwd_rule_target(&fwd->rules[ref.listen.rule],
				ref.listen.port) : ref.listen.port;

	flow = flow_alloc();
	if (!flow)
		return NULL;

	uflow = &flow->udp;
	flow_start(flow, FLOW_UDP, IPPROTO_UDP, now);
	uflow->f.pif[INISIDE] = PIF_HOST;
	uflow->f.pif[TGTSIDE] = PIF_TAP;
	uflow->f.side[INISIDE].eaddr = *peer;
	uflow->f.side[INISIDE].eport = pport;
	uflow->f.side[INISIDE].oaddr = inany_v4(peer) ? inany_any4 :
							inany_any6;
	uflow->f.side[INISIDE].oport = ref.listen.port;
	uflow->f.side[TGTSIDE].oaddr = src;
	uflow->f.side[TGTSIDE].oport = pport;
	uflow->f.side[TGTSIDE].eport = dport;
	if (inany_v4(&src))
		inany_from_v4(&uflow->f.side[TGTSIDE].eaddr, c->run->addr4_seen);
	else
		uflow->f.side[TGTSIDE].eaddr.a6 = *guest_addr6(c);
	uflow->tapside = TGTSIDE;
	uflow->sock = -1;
	uflow->lsock = ref.fd;
	uflow->last_ms = timespec_ms(now);
	flow_hash_insert(flow, INISIDE);
	flow_hash_insert(flow, TGTSIDE);

	debug("UDP flow %u: from port %u to guest port %u", uflow_idx(uflow),
	      pport, dport);
	return uflow;
}

/**
 * udp_splice_wanted() - Tell if a new sender's flow is to be spliced
 * @c:		Execution context
 * @ref:	epoll reference of the bound socket
 * @peer:	Sender's address
 *
 * Return: true for what pasta's namespace sends to its -U ports, and for
 *	   what the host's loopback (anyone, with --splice-only) sends to -u
 *	   ports
 */
static bool udp_splice_wanted(const struct ctx *c, union epoll_ref ref,
			      const union inany_addr *peer)
{
	if (c->no_splice)
		return false;
	if (ref.listen.pif == PIF_SPLICE)
		return true;

	return c->splice_only || inany_is_loopback(peer);
}

/**
 * udp_listen_handler() - Datagrams on a forwarded port: relay to the guest
 * @c:		Execution context
 * @ref:	epoll reference of the bound socket
 * @events:	epoll events
 * @now:	Current time
 */
void udp_listen_handler(struct ctx *c, union epoll_ref ref, uint32_t events,
			const struct timespec *now)
{
	int n, i;

	for (;;) {
		size_t want = udp_room_want(now), room = tap_room(c, want), max;

		if (!room && !(events & EPOLLERR) && udp_pause(c, ref))
			return;

		max = udp_read_max(room, want);
		n = udp_recv_batch(ref.fd, true, max, now);
		if (n <= 0)
			break;

		for (i = 0; i < n; i++) {
			const union inany_addr *any;
			struct udp_flow *uflow;
			const struct flowside *tap;
			union inany_addr peer;
			union flow *flow;
			in_port_t pport;

			udp_to[i] = NULL;
			inany_from_sockaddr(&udp_names[i], &peer, &pport);
			any = inany_v4(&peer) ? &inany_any4 : &inany_any6;
			flow = flow_lookup(IPPROTO_UDP, ref.listen.pif, &peer,
					   pport, any, ref.listen.port, NULL);
			if (flow)
				uflow = &flow->udp;
			else if (udp_splice_wanted(c, ref, &peer))
				uflow = udp_flow_splice(c, ref, &peer, pport,
							now);
			else if (c->run->fd_tap >= 0)
				uflow = udp_flow_from_sock(c, ref, &peer, pport,
							   now);
			else
				uflow = NULL;
			if (!uflow)
				continue;

			uflow->last_ms = timespec_ms(now);
			if (uflow->spliced) {
				ssize_t w = udp_send_spliced(uflow->sock, i);

				if (w > 0)
					uflow->f.bytes[INISIDE] += w;
				continue;
			}
			tap = &uflow->f.side[uflow->tapside];
			if (udp_fits_tap(c, inany_v4(&tap->eaddr), udp_seg[i]))
				udp_to[i] = uflow;
		}
		udp_send_to_tap(c, n);

		if ((size_t)n < max)
			break;
	}
}

/**
 * udp_flow_from_tap() - Open a socket for a flow the guest starts
 * @c:		Execution context
 * @saddr:	Guest address
 * @sport:	Guest port
 * @daddr:	Destination, as the guest sees it
 * @dport:	Destination port
 * @now:	Current time
 *
 * Return: new flow, NULL on failure
 */
static struct udp_flow *udp_flow_from_tap(struct ctx *c,
					  const union inany_addr *saddr,
					  in_port_t sport,
					  const union inany_addr *daddr,
					  in_port_t dport,
					  const struct timespec *now)
{
	struct sockaddr_storage sa;
	struct udp_flow *uflow;
	union inany_addr tgt;
	union flow *flow;
	const char *ifname;
	socklen_t sl;
	int s, af;

	fwd_nat_from_tap(c, IPPROTO_UDP, daddr, dport, &tgt);
	af = inany_v4(&tgt) ? AF_INET : AF_INET6;
	ifname = af == AF_INET ? c->ip4.ifname_out : c->ip6.ifname_out;

	flow = flow_alloc();
	if (!flow)
		return NULL;

	s = socket(af, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, IPPROTO_UDP);
	if (s < 0) {
		if (fd_is_short(errno))
			fd_short("UDP flows", 1);
		flow_free(flow);
		return NULL;
	}
	fd_short_over();
	if (*ifname)
		setsockopt(s, SOL_SOCKET, SO_BINDTODEVICE, ifname,
			   strlen(ifname));
	udp_sock_runs(c, s);

	/* The guest's source port if free: the peer sees the same port */
	if (af == AF_INET) {
		union inany_addr out;

		inany_from_v4(&out, c->ip4.addr_out);
		sl = inany_to_sockaddr(&sa, &out, sport, 0);
	} else {
		union inany_addr out = { .a6 = c->ip6.addr_out };

		sl = inany_to_sockaddr(&sa, &out, sport, 0);
	}
	if (bind(s, (struct sockaddr *)&sa, sl)) {
		if (af == AF_INET)
			((struct sockaddr_in *)&sa)->sin_port = 0;
		else
			((struct sockaddr_in6 *)&sa)->sin6_port = 0;
		if (bind(s, (struct sockaddr *)&sa, sl))
			debug_perror("UDP: can't bind a flow's socket");
	}

	sl = inany_to_sockaddr(&sa, &tgt, dport, c->ifi6);
	if (connect(s, (struct sockaddr *)&sa, sl)) {
		debug_perror("UDP: can't connect socket for a new flow");
		close(s);
		flow_free(flow);
		return NULL;
	}

	uflow = &flow->udp;
	flow_from_tap(flow, FLOW_UDP, IPPROTO_UDP, saddr, sport, daddr, dport,
		      &tgt, now);
	uflow->tapside = INISIDE;
	uflow->sock = s;
	uflow->lsock = -1;
	uflow->dns = dport == UDP_DNS_PORT;
	uflow->last_ms = timespec_ms(now);

	if (flow_sock_watch(c, flow, s, EPOLL_TYPE_UDP_REPLY))
		return NULL;
	flow_hash_insert(flow, INISIDE);

	debug("UDP flow %u: guest port %u to port %u", uflow_idx(uflow), sport,
	      dport);
	return uflow;
}

/**
 * udp_tap_msgs() - Make messages of the datagrams from the guest, a run of
 *		    them a message with its datagram size (UDP_SEGMENT)
 * @first:	Index of the first datagram in udp_tap_dg
 * @n:		Number of datagrams from there
 * @runs:	Runs of datagrams allowed
 * @sa:		Destination address, NULL if the socket is connected
 * @sl:		Length of @sa
 *
 * Return: number of messages in udp_tap_mh
 */
static int udp_tap_msgs(int first, int n, bool runs,
			const struct sockaddr_storage *sa, socklen_t sl)
{
	int i, m, k;

	for (i = first, m = 0; i < first + n; m++, i += k) {
		struct msghdr *mh = &udp_tap_mh[m].msg_hdr;
		size_t gso = udp_tap_dg[i].len, total = gso;
		size_t niov = udp_tap_dg[i].n;

		/* Same size, but for the last one, which may be shorter */
		for (k = 1; runs && gso && i + k < first + n &&
			    k < UDP_GSO_SEGS; k++) {
			const struct udp_tap_dgram *d = &udp_tap_dg[i + k];

			if (!d->len || d->len > gso ||
			    total + d->len > UDP_GSO_PAYLOAD_MAX ||
			    niov + d->n > UIO_MAXIOV)
				break;
			total += d->len;
			niov += d->n;
			if (d->len < gso) {
				k++;
				break;
			}
		}

		udp_tap_mh_dg[m] = i;
		mh->msg_name = (void *)sa;
		mh->msg_namelen = sa ? sl : 0;
		mh->msg_iov = &udp_tap_iov[udp_tap_dg[i].first];
		mh->msg_iovlen = niov;
		mh->msg_control = NULL;
		mh->msg_controllen = 0;
		mh->msg_flags = 0;
		if (k > 1) {
			struct cmsghdr *cm;
			uint16_t size = gso;

			mh->msg_control = udp_tap_cmsg[m].buf;
			mh->msg_controllen = sizeof(udp_tap_cmsg[m].buf);
			cm = CMSG_FIRSTHDR(mh);
			cm->cmsg_level = IPPROTO_UDP;
			cm->cmsg_type = UDP_SEGMENT;
			cm->cmsg_len = CMSG_LEN(sizeof(size));
			memcpy(CMSG_DATA(cm), &size, sizeof(size));
		}
	}

	return m;
}

/**
 * udp_tap_send() - Send datagrams of the guest to the flow's peer
 * @c:		Execution context
 * @uflow:	Flow
 * @n:		Number of datagrams, in udp_tap_dg
 *
 * Runs of datagrams go as one message each, unless the socket refuses that:
 * then they go one by one, and always will for this flow (a path MTU below
 * the datagram size, say).
 */
static void udp_tap_send(const struct ctx *c, struct udp_flow *uflow, int n)
{
	const struct flowside *ini = &uflow->f.side[INISIDE];
	struct sockaddr_storage sa, *dst = NULL;
	int s = uflow->sock, m = 0, nm, sent, first, i;
	socklen_t sl = 0;

	if (s < 0) {
		s = uflow->lsock;
		sl = inany_to_sockaddr(&sa, &ini->eaddr, ini->eport, c->ifi6);
		dst = &sa;
	}

	uflow->last_len = udp_tap_dg[n - 1].len;
	nm = udp_tap_msgs(0, n, !uflow->no_gso, dst, sl);

	while (m < nm) {
		const struct msghdr *mh = &udp_tap_mh[m].msg_hdr;

		sent = sendmmsg(s, udp_tap_mh + m, nm - m,
				MSG_DONTWAIT | MSG_NOSIGNAL);
		if (sent > 0) {
			for (i = m; i < m + sent; i++)
				uflow->f.bytes[uflow->tapside] +=
					udp_tap_mh[i].msg_len;
			m += sent;
			/* A short count only tells a run that failed apart */
			if (m < nm && !udp_tap_mh[m].msg_hdr.msg_controllen)
				break;
			continue;
		}

		if (mh->msg_controllen &&
		    (errno == EINVAL || errno == EIO || errno == EMSGSIZE)) {
			debug("UDP flow %u: no UDP_SEGMENT: %s",
			      uflow_idx(uflow), strerror(errno));
			first = udp_tap_mh_dg[m];
			uflow->no_gso = true;
			nm = udp_tap_msgs(first, n - first, false, dst, sl);
			m = 0;
			continue;
		}

		if (errno == ECONNREFUSED && uflow->sock >= 0)
			udp_icmp_unreach(c, uflow);
		else
			trace("UDP flow %u: send failed: %s", uflow_idx(uflow),
			      strerror(errno));
		break;
	}
}

/**
 * udp_tap_take() - Queue a datagram of the guest: its bytes from a position
 *		    in the buffers of a payload
 * @src:	Position in the buffers of the payload, moved past the datagram
 * @len:	Length of the datagram, at most what's left from @src
 * @ndg:	Datagrams queued in udp_tap_dg, updated
 * @niov:	Buffers they take in udp_tap_iov, updated
 *
 * The caller makes room first: one datagram, and as many buffers as @src
 * walks, the most a datagram can take of it.
 */
static void udp_tap_take(struct iov_cur *src, size_t len, unsigned *ndg,
			 unsigned *niov)
{
	struct udp_tap_dgram *d = &udp_tap_dg[(*ndg)++];

	d->first = *niov;
	d->n = iov_cur_slice(src, len, udp_tap_iov + *niov,
			     UDP_TAP_IOVS - *niov, &d->len);
	*niov += d->n;
}

/**
 * udp_tap_handler() - Datagrams of one flow from the guest
 * @c:		Execution context
 * @saddr:	Source address
 * @daddr:	Destination address
 * @p:		Pool of UDP packets (from the UDP header on), all of one flow
 * @gso:	For each datagram of @p, 0, or the size of the datagrams it
 *		is a run of (virtio-net header of the guest's frame)
 * @now:	Current time
 */
void udp_tap_handler(struct ctx *c, const union inany_addr *saddr,
		     const union inany_addr *daddr, const struct pool *p,
		     const uint16_t *gso, const struct timespec *now)
{
	const struct udphdr *uh = packet_get(p, 0, 0, sizeof(*uh), NULL);
	struct iovec src[1 + PKT_TAIL_IOV_MAX];
	struct udp_flow *uflow = NULL;
	unsigned ndg = 0, niov = 0;
	in_port_t sport, dport;
	size_t i;

	if (!uh) {
		stats.drops[STATS_DROP_MALFORMED_L4] += p->count;
		return;
	}
	sport = ntohs(uh->source);
	dport = ntohs(uh->dest);

	if (!dport || inany_is_unspecified(daddr) || inany_is_loopback(daddr)) {
		stats.drops[STATS_DROP_NO_FLOW] += p->count;
		return;
	}

	for (i = 0; i < p->count; i++) {
		size_t l4len = packet_len(p, i), len, seg, hlen, nsrc = 0;
		struct iov_cur cur;
		struct pkt_tail tail;

		uh = packet_slice(p, i, 0, l4len, &hlen, &tail);
		/* The checksum isn't verified: the frame came over a local
		 * socket or tap device, not a wire, and the kernel computes
		 * a new one. IPv6 requires one though (RFC 8200, 8.1). The
		 * header is in our buffer; the payload may go on past it,
		 * elsewhere, in pieces (tap_rx_add_tail()).
		 */
		if (!uh || hlen < sizeof(*uh) || ntohs(uh->len) != l4len ||
		    (!uh->check && !inany_v4(saddr))) {
			trace("UDP: dropping malformed datagram from guest");
			stats_drop(STATS_DROP_MALFORMED_L4);
			continue;
		}
		if (hlen > sizeof(*uh)) {
			src[nsrc].iov_base = (char *)(uh + 1);
			src[nsrc++].iov_len = hlen - sizeof(*uh);
		}
		if (tail.len) {
			size_t k = packet_tail_iov(&tail, 0, src + nsrc,
						   PKT_TAIL_IOV_MAX);

			if (!k) {
				trace("UDP: dropping datagram in %u pieces",
				      tail.n);
				stats_drop(STATS_DROP_MALFORMED_L4);
				continue;
			}
			nsrc += k;
		}

		if (!uflow) {
			union flow *flow = flow_lookup(IPPROTO_UDP, PIF_TAP,
						       saddr, sport, daddr,
						       dport, NULL);

			uflow = flow ? &flow->udp :
				udp_flow_from_tap(c, saddr, sport, daddr,
						  dport, now);
			if (!uflow) {
				/* This one, and every one after it */
				stats.drops[STATS_DROP_NO_FLOW] += p->count - i;
				return;
			}
			uflow->last_ms = timespec_ms(now);
		}

		len = l4len - sizeof(*uh);
		seg = gso[i] && gso[i] < len ? gso[i] : len;
		/* More than the kernel's UDP_SEGMENT ever makes of a run */
		if (seg && DIV_ROUND_UP(len, seg) > UDP_GSO_SEGS_IN) {
			trace("UDP: dropping run of %zu-byte datagrams",
			      seg);
			stats_drop(STATS_DROP_MALFORMED_L4);
			continue;
		}
		iov_cur_init(&cur, src, nsrc);
		do {
			if (ndg == UDP_TAP_DGRAMS ||
			    niov + nsrc > UDP_TAP_IOVS) {
				udp_tap_send(c, uflow, ndg);
				ndg = niov = 0;
			}
			udp_tap_take(&cur, MIN(seg, len), &ndg, &niov);
			len -= MIN(seg, len);
		} while (len);
	}

	if (ndg)
		udp_tap_send(c, uflow, ndg);
}

/**
 * udp_flow_timer() - Close a flow idle for too long
 * @c:		Execution context
 * @uflow:	Flow
 * @now:	Current time
 */
void udp_flow_timer(struct ctx *c, struct udp_flow *uflow,
		    const struct timespec *now)
{
	long long timeout = uflow->dns ? UDP_DNS_TIMEOUT_MS : UDP_TIMEOUT_MS;

	if (timespec_ms(now) - uflow->last_ms < timeout)
		return;

	udp_flow_close(c, uflow);
}

/**
 * udp_tap_reset() - The guest went away: close its flows
 * @c:		Execution context
 */
void udp_tap_reset(struct ctx *c)
{
	unsigned i;

	udp_tap_writable(c);

	for (i = 0; i < flow_span(); i++) {
		struct udp_flow *uflow = uflow_at(i);

		if (uflow->f.type == FLOW_UDP && !uflow->spliced)
			udp_flow_close(c, uflow);
	}
}
