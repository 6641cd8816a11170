// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * passt - user-mode networking for virtual machines and namespaces
 *
 * tap.c - The guest's side, whatever the link: frames in, frames out
 *
 * Frames from the guest are read by the link's back end (link.h) in large
 * batches into one buffer here, and described in a packet pool. Each batch
 * is then checked: link and network layer services (ARP, NDP, DHCP, DHCPv6)
 * are answered right away; transport segments are sorted into sequences of
 * the same flow, each handed to its protocol handler in one call, so that
 * the handler can move a whole batch of data with one system call.
 *
 * Frames to the guest are built by the protocol handlers, from the Ethernet
 * header on, with the helpers here, and handed to the back end in batches.
 * What the link's offloads allow (partial checksums, frames of many TCP
 * segments, runs of UDP datagrams) is a property of the link, asked here.
 */

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <net/ethernet.h>
#include <netinet/icmp6.h>
#include <netinet/ip.h>
#include <netinet/ip_icmp.h>
#include <netinet/tcp.h>
#include <netinet/udp.h>
#include <linux/ipv6.h>
#include <linux/virtio_net.h>

#include "arp.h"
#include "checksum.h"
#include "dhcp.h"
#include "dhcpv6.h"
#include "icmp.h"
#include "iov.h"
#include "ip.h"
#include "link.h"
#include "log.h"
#include "mcast.h"
#include "ndp.h"
#include "packet.h"
#include "passt.h"
#include "pcap.h"
#include "quit.h"
#include "stats.h"
#include "tap.h"
#include "tcp.h"
#include "udp.h"
#include "util.h"

#define TAP_MSGS		4096	/* Frames handled in one batch */
#define TAP_SEQS		128	/* Flows in one batch */
#define TAP_SEQ_PKTS		256	/* Segments of one flow in a batch */

/* Linux 6.2 uapi, not in older headers */
#ifndef VIRTIO_NET_HDR_GSO_UDP_L4
#define VIRTIO_NET_HDR_GSO_UDP_L4	5
#endif

/* Input buffer, filled by the link's back end */
static char tap_buf[TAP_BUF_BYTES] __attribute__((aligned(64)));

PACKET_POOL_TAILS(pool_tap, TAP_MSGS, tap_buf, TAP_BUF_BYTES);

/* Datagram size of each UDP frame of pool_tap that carries a run of
 * datagrams (pasta's namespace sent it with UDP_SEGMENT), 0 for any other
 */
static uint16_t tap_udp_gso[TAP_MSGS];

/* Where the payload of each frame of pool_tap added in two pieces is */
static struct iovec tap_rest[TAP_MSGS];

/**
 * struct tap_seq - Transport segments of one flow within a batch
 * @proto:	IPPROTO_TCP or IPPROTO_UDP
 * @saddr:	Source address (the guest's)
 * @daddr:	Destination address
 * @sport:	Source port, network order
 * @dport:	Destination port, network order
 * @p:		Pool of segments: transport header and payload each
 */
struct tap_seq {
	uint8_t proto;
	union inany_addr saddr;
	union inany_addr daddr;
	in_port_t sport;
	in_port_t dport;
	struct pool p;
};

static struct tap_seq seqs[TAP_SEQS];
static struct iovec seq_pkt[TAP_SEQS][TAP_SEQ_PKTS];
static struct pkt_tail seq_tail[TAP_SEQS][TAP_SEQ_PKTS];
static uint16_t seq_gso[TAP_SEQS][TAP_SEQ_PKTS];
static unsigned nseqs;

/* One frame built for tap_send_single() and friends */
static char tap_single[TAP_IP_ALIGN + ETH_HLEN + sizeof(struct ipv6hdr) + 65535]
	__attribute__((aligned(8)));

/**
 * tap_l4_csum() - Tell if transport checksums of frames to the guest count
 * @c:		Execution context
 *
 * Return: false if the link takes TCP and UDP frames with the sum of their
 *	   pseudo-header only (the guest's kernel treats them as its own,
 *	   checksummed if they ever leave it), and no capture would show the
 *	   difference; true otherwise
 */
bool tap_l4_csum(const struct ctx *c)
{
	return !(c->run->link_offload & LINK_OFFLOAD_CSUM) || pcap_fd() >= 0;
}

/**
 * tap_gso_ok() - Tell if the guest takes TCP frames longer than a segment
 * @c:		Execution context
 *
 * Return: true if the link offers TCP segmentation offload and no capture
 *	   wants frames as they'd be on a wire
 */
bool tap_gso_ok(const struct ctx *c)
{
	return !tap_l4_csum(c) && (c->run->link_offload & LINK_OFFLOAD_TSO);
}

/**
 * tap_udp_gso_ok() - Tell if the guest takes a run of UDP datagrams in one
 *		      frame, to be split by its kernel (UDP segmentation offload)
 * @c:		Execution context
 *
 * Return: true if the link offers it (pasta's tap device, from Linux 6.2; a
 *	   vhost-user guest with VIRTIO_NET_F_GUEST_USO4 and USO6), and no
 *	   capture
 */
bool tap_udp_gso_ok(const struct ctx *c)
{
	return !tap_l4_csum(c) && (c->run->link_offload & LINK_OFFLOAD_USO) &&
	       c->link->send_udp_run;
}

/**
 * tap_udp_runs_in() - Tell if sockets should give runs of UDP datagrams as
 *		       one message, for the guest's link
 * @c:		Execution context
 *
 * Return: true if the link can take a run in one frame (pasta's tap device,
 *	   vhost-user): runs that the guest doesn't take whole are split into
 *	   frames. Not the stream socket, whose frames are single datagrams
 *	   in any case: splitting runs here rather than in the kernel saves
 *	   nothing that shows, the guest's side of the socket being slower
 */
bool tap_udp_runs_in(const struct ctx *c)
{
	return c->link && c->link->send_udp_run;
}

/**
 * tap_csum_udp4() - Set the checksum of a UDP datagram over IPv4 to the guest
 * @c:		Execution context
 * @uh:		UDP header, with a valid length field
 * @src:	Source address
 * @dst:	Destination address
 * @payload:	Payload
 * @len:	Payload length
 */
void tap_csum_udp4(const struct ctx *c, struct udphdr *uh, struct in_addr src,
		   struct in_addr dst, const void *payload, size_t len)
{
	if (tap_l4_csum(c))
		csum_udp4(uh, src, dst, payload, len);
	else
		uh->check = csum_fold(psum_ip4(len + sizeof(*uh), IPPROTO_UDP,
					       src, dst));
}

/**
 * tap_csum_udp6() - Set the checksum of a UDP datagram over IPv6 to the guest
 * @c:		Execution context
 * @uh:		UDP header, with a valid length field
 * @src:	Source address
 * @dst:	Destination address
 * @payload:	Payload
 * @len:	Payload length
 */
void tap_csum_udp6(const struct ctx *c, struct udphdr *uh,
		   const struct in6_addr *src, const struct in6_addr *dst,
		   const void *payload, size_t len)
{
	if (tap_l4_csum(c))
		csum_udp6(uh, src, dst, payload, len);
	else
		uh->check = csum_fold(psum_ip6(len + sizeof(*uh), IPPROTO_UDP,
					       src, dst));
}

/**
 * tap_vnet_gso() - Mark a frame longer than one segment for segmentation
 * @vh:		Header, checksum fields already set
 * @iov:	Buffers of the frame, the first one with the whole transport
 *		header
 * @n:		Number of buffers
 * @l4off:	Offset of the transport header in the frame
 * @et:		Ethertype, network order
 * @proto:	IPPROTO_TCP or IPPROTO_UDP
 * @gso_size:	Segment size: TCP payload, or UDP datagram payload
 */
static void tap_vnet_gso(struct virtio_net_hdr *vh, const struct iovec *iov,
			 size_t n, size_t l4off, uint16_t et, uint8_t proto,
			 uint16_t gso_size)
{
	const uint8_t *th = (const uint8_t *)iov->iov_base + l4off;
	size_t hlen;

	if (proto == IPPROTO_TCP) {
		if (iov->iov_len < l4off + sizeof(struct tcphdr))
			return;
		hlen = l4off + (th[12] >> 4) * 4;	/* Data offset */
	} else {
		hlen = l4off + sizeof(struct udphdr);
	}
	if (iov->iov_len < hlen || iov_size(iov, n) <= hlen + gso_size)
		return;

	vh->hdr_len = hlen;
	vh->gso_size = gso_size;
	if (proto == IPPROTO_UDP)
		vh->gso_type = VIRTIO_NET_HDR_GSO_UDP_L4;
	else if (et == htons(ETH_P_IP))
		vh->gso_type = VIRTIO_NET_HDR_GSO_TCPV4;
	else
		vh->gso_type = VIRTIO_NET_HDR_GSO_TCPV6;
}

/**
 * tap_l4_at() - Transport protocol of a frame, and where its header starts
 * @f:		Frame, from the Ethernet header on, at any alignment (it's read
 *		byte by byte)
 * @len:	Bytes of it there
 * @proto:	Transport protocol (IPv6: the first next header), set on
 *		success
 *
 * Return: offset of the transport header, for IPv4 with a valid header
 *	   length or IPv6, both within @len bytes; 0 for anything else
 */
static size_t tap_l4_at(const uint8_t *f, size_t len, uint8_t *proto)
{
	const uint8_t *l3 = f + ETH_HLEN;
	size_t l4;

	if (len < ETH_HLEN + sizeof(struct iphdr))
		return 0;

	if (f[12] == 0x08 && f[13] == 0x00) {		/* IPv4 */
		l4 = ETH_HLEN + (l3[0] & 0x0f) * 4;
		if (l4 < ETH_HLEN + sizeof(struct iphdr))
			return 0;
		*proto = l3[offsetof(struct iphdr, protocol)];
		return l4;
	}

	if (f[12] == 0x86 && f[13] == 0xdd &&		/* IPv6 */
	    len >= ETH_HLEN + sizeof(struct ipv6hdr)) {
		*proto = l3[offsetof(struct ipv6hdr, nexthdr)];
		return ETH_HLEN + sizeof(struct ipv6hdr);
	}

	return 0;
}

/**
 * tap_vnet_hdr() - Virtio-net header for a frame to the guest
 * @c:		Execution context
 * @vh:		Header to fill in
 * @iov:	Buffers of the frame, the first one with the Ethernet, IP and
 *		transport headers
 * @n:		Number of buffers
 * @gso_size:	TCP segment size, if the frame may be a larger segment to
 *		split (or, for the receiver, a run of segments already merged),
 *		or the size of the datagrams of a run of UDP datagrams
 *
 * TCP and UDP frames carry the sum of their pseudo-header only, unless
 * tap_l4_csum() says otherwise: the kernel is told where to complete it.
 */
void tap_vnet_hdr(const struct ctx *c, struct virtio_net_hdr *vh,
		  const struct iovec *iov, size_t n, uint16_t gso_size)
{
	const uint8_t *f = iov->iov_base;
	size_t l4off;
	uint8_t proto;
	uint16_t et;

	memset(vh, 0, sizeof(*vh));
	if (tap_l4_csum(c) || !(l4off = tap_l4_at(f, iov->iov_len, &proto)))
		return;

	memcpy(&et, f + offsetof(struct ethhdr, h_proto), sizeof(et));

	if (proto == IPPROTO_TCP) {
		vh->csum_offset = offsetof(struct tcphdr, check);
		vh->hdr_len = l4off + sizeof(struct tcphdr);
	} else if (proto == IPPROTO_UDP) {
		vh->csum_offset = offsetof(struct udphdr, check);
		vh->hdr_len = l4off + sizeof(struct udphdr);
	} else {
		return;
	}

	if (iov->iov_len < vh->hdr_len) {
		vh->hdr_len = vh->csum_offset = 0;
		return;
	}
	vh->flags = VIRTIO_NET_HDR_F_NEEDS_CSUM;
	vh->csum_start = l4off;

	if (gso_size)
		tap_vnet_gso(vh, iov, n, l4off, et, proto, gso_size);
}

/**
 * tap_push_l2h() - Write an Ethernet header towards the guest
 * @c:		Execution context
 * @buf:	Where the header goes
 * @proto:	Ethertype, host order
 *
 * Return: pointer after the header
 */
void *tap_push_l2h(const struct ctx *c, void *buf, uint16_t proto)
{
	struct ethhdr *eh = buf;

	memcpy(eh->h_dest, c->run->guest_mac, ETH_ALEN);
	memcpy(eh->h_source, c->our_tap_mac, ETH_ALEN);
	eh->h_proto = htons(proto);

	return eh + 1;
}

/**
 * tap_push_ip4h() - Write an IPv4 header, with its checksum
 * @ip4h:	Where the header goes
 * @src:	Source address
 * @dst:	Destination address
 * @l4len:	Length of what follows the header
 * @proto:	Protocol number
 *
 * Return: pointer after the header
 */
void *tap_push_ip4h(struct iphdr *ip4h, struct in_addr src,
		    struct in_addr dst, size_t l4len, uint8_t proto)
{
	ip4h->version = 4;
	ip4h->ihl = sizeof(*ip4h) / 4;
	ip4h->tos = 0;
	ip4h->tot_len = htons(l4len + sizeof(*ip4h));
	ip4h->id = 0;
	ip4h->frag_off = htons(IP4_DF);
	ip4h->ttl = 255;
	ip4h->protocol = proto;
	ip4h->saddr = src.s_addr;
	ip4h->daddr = dst.s_addr;
	ip4h->check = 0;
	ip4h->check = csum_ip4_header(ip4h);

	return ip4h + 1;
}

/**
 * tap_push_ip6h() - Write an IPv6 header
 * @ip6h:	Where the header goes
 * @src:	Source address
 * @dst:	Destination address
 * @l4len:	Payload length
 * @proto:	Next header
 * @flow:	Flow label
 *
 * Return: pointer after the header
 */
void *tap_push_ip6h(struct ipv6hdr *ip6h, const struct in6_addr *src,
		    const struct in6_addr *dst, size_t l4len, uint8_t proto,
		    uint32_t flow)
{
	ip6_set_flow_lbl(ip6h, flow);
	ip6h->payload_len = htons(l4len);
	ip6h->nexthdr = proto;
	ip6h->hop_limit = 255;
	ip6h->saddr = *src;
	ip6h->daddr = *dst;

	return ip6h + 1;
}

/**
 * tap_count_out() - Count frames the link's back end took for the guest
 * @iov:	Buffers, @bufs_per_frame per frame
 * @bufs_per_frame: Buffers making up each frame
 * @nframes:	Number of frames taken
 *
 * A frame of many TCP segments, or a run of UDP datagrams in one frame,
 * counts once: the guest's kernel gets it as one, and counts it so.
 */
static void tap_count_out(const struct iovec *iov, size_t bufs_per_frame,
			  size_t nframes)
{
	size_t i;

	stats.frames_out += nframes;
	for (i = 0; i < nframes * bufs_per_frame; i++)
		stats.bytes_out += iov[i].iov_len;
}

/**
 * tap_send_frames_gso() - Send a batch of frames, TCP ones maybe longer than
 *			   a segment, to the guest
 * @c:		Execution context
 * @iov:	Buffers, @bufs_per_frame per frame; the first buffer of each
 *		frame starts at the Ethernet header
 * @bufs_per_frame: Buffers making up each frame
 * @nframes:	Number of frames
 * @gso_size:	Segment size for TCP frames longer than that, 0 if none is:
 *		only if tap_gso_ok()
 *
 * Return: number of frames sent; the caller may resend the rest later
 */
size_t tap_send_frames_gso(struct ctx *c, const struct iovec *iov,
			   size_t bufs_per_frame, size_t nframes,
			   uint16_t gso_size)
{
	size_t sent, i;

	if (c->run->fd_tap < 0 || !nframes)
		return 0;

	sent = c->link->send(c, iov, bufs_per_frame, nframes, gso_size);
	tap_count_out(iov, bufs_per_frame, sent);

	if (pcap_fd() >= 0) {
		for (i = 0; i < sent; i++)
			pcap_iov(iov + i * bufs_per_frame, bufs_per_frame, 0);
	}

	return sent;
}

/* Payload buffers lent when the back end has none of its own to lend */
#define TAP_LEND_PAYLOAD	65536
static char tap_lend_buf[LINK_LEND_FRAMES][TAP_LEND_PAYLOAD]
	__attribute__((aligned(64)));

/**
 * tap_lend() - Lend buffers for frames whose payload the caller reads in
 * @c:		Execution context
 * @l:		Lent frames, @hdrlen and @seg set by the caller, filled in
 * @nframes:	Frames wanted
 * @total:	Payload bytes wanted, at most
 *
 * Where the back end can, the payload goes straight into the guest's own
 * buffers; otherwise into ours, and the frames are then sent as any other.
 *
 * Return: number of frames lent, 0 if the guest can't take any now
 */
size_t tap_lend(struct ctx *c, struct link_lent *l, size_t nframes,
		size_t total)
{
	size_t i;

	nframes = MIN(nframes, LINK_LEND_FRAMES);
	l->seg = MIN(l->seg, TAP_LEND_PAYLOAD);
	nframes = MIN(nframes, DIV_ROUND_UP(total, l->seg));

	/* Full checksums are ours to compute: not over guest memory */
	if (c->run->fd_tap >= 0 && c->link->lend && !tap_l4_csum(c)) {
		int n = c->link->lend(c, l, nframes, total);

		if (n >= 0) {
			l->by_link = true;
			return l->n = n;
		}
	}

	l->by_link = false;
	for (i = 0; i < nframes; i++) {
		l->iov[i].iov_base = tap_lend_buf[i];
		l->iov[i].iov_len = MIN(l->seg, total - i * l->seg);
		l->first[i] = i;
	}
	l->first[nframes] = l->niov = nframes;

	return l->n = nframes;
}

/**
 * tap_lent_frame() - Buffers of one lent frame, as filled: headers, payload
 * @l:		Lent frames
 * @i:		Frame
 * @hdr:	Its headers
 * @len:	Payload bytes in it
 * @iov:	Buffers of the frame, set: @hdr, then the payload
 * @max:	Entries @iov has room for
 *
 * Return: number of entries of @iov set
 */
size_t tap_lent_frame(const struct link_lent *l, size_t i,
		      const struct iovec *hdr, size_t len, struct iovec *iov,
		      size_t max)
{
	struct iov_cur cur;

	iov[0] = *hdr;
	iov_cur_init(&cur, l->iov + l->first[i],
		     l->first[i + 1] - l->first[i]);
	return 1 + iov_cur_slice(&cur, len, iov + 1, max - 1, NULL);
}

/**
 * tap_commit() - Send lent frames the caller filled, give back the others
 * @c:		Execution context
 * @l:		Lent frames
 * @hdrs:	Headers of each filled frame, from the Ethernet header on
 * @nfilled:	Frames filled, from the first one
 * @lastlen:	Payload bytes of the last one filled (the others: @l->seg)
 * @gso_size:	Segment size for TCP frames longer than that, or 0
 *
 * Return: number of frames sent; the caller may send the rest later
 */
size_t tap_commit(struct ctx *c, struct link_lent *l, const struct iovec *hdrs,
		  size_t nfilled, size_t lastlen, uint16_t gso_size)
{
	struct iovec frame[LINK_LEND_FRAMES * 2];
	size_t i, done;

	nfilled = MIN(nfilled, l->n);
	if (!l->by_link) {
		for (i = 0; i < nfilled; i++) {
			tap_lent_frame(l, i, &hdrs[i],
				       i == nfilled - 1 ? lastlen : l->seg,
				       frame + i * 2, 2);
		}
		return tap_send_frames_gso(c, frame, 2, nfilled, gso_size);
	}

	/* Captured before the guest has them, and may change them */
	for (i = 0; pcap_fd() >= 0 && i < nfilled; i++) {
		struct iovec f[LINK_LEND_IOV + 1];
		size_t n;

		n = tap_lent_frame(l, i, &hdrs[i],
				   i == nfilled - 1 ? lastlen : l->seg,
				   f, ARRAY_SIZE(f));
		pcap_iov(f, n, 0);
	}

	done = c->link->commit(c, l, hdrs, nfilled, lastlen, gso_size);

	stats.frames_out += done;
	for (i = 0; i < done; i++) {
		stats.bytes_out += hdrs[i].iov_len +
				   (i == nfilled - 1 ? lastlen : l->seg);
	}

	return done;
}

/**
 * tap_send_udp_gso() - Send a run of UDP datagrams of one flow as one frame,
 *			split by the guest's kernel
 * @c:		Execution context
 * @iov:	Buffers of the frame: Ethernet, IP and UDP headers first
 *		(lengths and checksum as for one datagram of the whole
 *		payload), then the payload of each datagram
 * @n:		Number of buffers
 * @gso_size:	Payload length of every datagram but the last, which may be
 *		shorter
 *
 * Return: 1 if sent, 0 if the link couldn't take it (the datagrams are
 *	   lost, as they would be one by one), -1 if the caller has to send
 *	   them one by one
 */
int tap_send_udp_gso(struct ctx *c, const struct iovec *iov, size_t n,
		     uint16_t gso_size)
{
	int rc;

	if (c->run->fd_tap < 0 || !tap_udp_gso_ok(c))
		return -1;

	rc = c->link->send_udp_run(c, iov, n, gso_size);
	if (rc == 1)
		tap_count_out(iov, n, 1);

	return rc;
}

/**
 * tap_room() - How many frames the guest takes now, at least
 * @c:		Execution context
 * @want:	Frames the caller needs room for, at least 1: with fewer, the
 *		link waits until it has that many (tap_writable() then)
 *
 * Return: a number of frames, 0 if the link is blocked
 */
size_t tap_room(const struct ctx *c, size_t want)
{
	if (tap_blocked(c))
		return 0;
	if (!c->link || !c->link->room)
		return SIZE_MAX;

	return c->link->room(want);
}

/**
 * tap_blocked() - Tell if the guest can't take frames now
 * @c:		Execution context
 *
 * Return: true while the link asks sources to wait
 */
bool tap_blocked(const struct ctx *c)
{
	return c->link && c->link->blocked && c->link->blocked();
}

/**
 * tap_send_frames() - Send a batch of frames to the guest
 * @c:		Execution context
 * @iov:	Buffers, @bufs_per_frame per frame; the first buffer of each
 *		frame starts with a struct tap_hdr at tap_hdr_offset()
 * @bufs_per_frame: Buffers making up each frame
 * @nframes:	Number of frames
 *
 * Return: number of frames sent; the caller may resend the rest later
 */
size_t tap_send_frames(struct ctx *c, const struct iovec *iov,
		       size_t bufs_per_frame, size_t nframes)
{
	return tap_send_frames_gso(c, iov, bufs_per_frame, nframes, 0);
}

/**
 * tap_send_single() - Send one frame, built in a single buffer
 * @c:		Execution context
 * @frame:	Frame, from the Ethernet header on
 * @len:	Frame length
 */
void tap_send_single(const struct ctx *c, const void *frame, size_t len)
{
	struct iovec iov = { .iov_base = (void *)frame, .iov_len = len };

	/* Not the data path: a const-correct wrapper isn't worth it here */
	tap_send_frames((struct ctx *)c, &iov, 1, 1);
}

/**
 * tap_udp4_frame() - Build a frame with a UDP datagram over IPv4 to the guest
 * @c:		Execution context
 * @src:	Source address
 * @sport:	Source port, host order
 * @dst:	Destination address
 * @dport:	Destination port, host order
 * @in:		Payload
 * @len:	Payload length
 *
 * Return: length of the frame, in tap_single, 0 if the payload is too long
 */
static size_t tap_udp4_frame(const struct ctx *c, struct in_addr src,
			     in_port_t sport, struct in_addr dst,
			     in_port_t dport, const void *in, size_t len)
{
	size_t l4len = len + sizeof(struct udphdr);
	char *frame = tap_single + TAP_IP_ALIGN;
	struct iphdr *ip4h = tap_push_l2h(c, frame, ETH_P_IP);
	struct udphdr *uh = tap_push_ip4h(ip4h, src, dst, l4len, IPPROTO_UDP);
	char *data = (char *)(uh + 1);

	if (len > IP4_MAX_PAYLOAD - sizeof(*uh))
		return 0;

	uh->source = htons(sport);
	uh->dest = htons(dport);
	uh->len = htons(l4len);
	memmove(data, in, len);
	tap_csum_udp4(c, uh, src, dst, data, len);

	return data + len - frame;
}

/**
 * tap_udp4_send() - Send a UDP datagram over IPv4 to the guest
 * @c:		Execution context
 * @src:	Source address
 * @sport:	Source port, host order
 * @dst:	Destination address
 * @dport:	Destination port, host order
 * @in:		Payload
 * @len:	Payload length
 */
void tap_udp4_send(const struct ctx *c, struct in_addr src, in_port_t sport,
		   struct in_addr dst, in_port_t dport, const void *in,
		   size_t len)
{
	size_t n = tap_udp4_frame(c, src, sport, dst, dport, in, len);

	if (n)
		tap_send_single(c, tap_single + TAP_IP_ALIGN, n);
}

/**
 * tap_udp6_frame() - Build a frame with a UDP datagram over IPv6 to the guest
 * @c:		Execution context
 * @src:	Source address
 * @sport:	Source port, host order
 * @dst:	Destination address
 * @dport:	Destination port, host order
 * @flow:	Flow label
 * @in:		Payload
 * @len:	Payload length
 *
 * Return: length of the frame, in tap_single, 0 if the payload is too long
 */
static size_t tap_udp6_frame(const struct ctx *c, const struct in6_addr *src,
			     in_port_t sport, const struct in6_addr *dst,
			     in_port_t dport, uint32_t flow, const void *in,
			     size_t len)
{
	size_t l4len = len + sizeof(struct udphdr);
	char *frame = tap_single + TAP_IP_ALIGN;
	struct ipv6hdr *ip6h = tap_push_l2h(c, frame, ETH_P_IPV6);
	struct udphdr *uh = tap_push_ip6h(ip6h, src, dst, l4len, IPPROTO_UDP,
					  flow);
	char *data = (char *)(uh + 1);

	if (len > TAP_L3_MAX - sizeof(*ip6h) - sizeof(*uh))
		return 0;

	uh->source = htons(sport);
	uh->dest = htons(dport);
	uh->len = htons(l4len);
	memmove(data, in, len);
	tap_csum_udp6(c, uh, src, dst, data, len);

	return data + len - frame;
}

/**
 * tap_udp6_send() - Send a UDP datagram over IPv6 to the guest
 * @c:		Execution context
 * @src:	Source address
 * @sport:	Source port, host order
 * @dst:	Destination address
 * @dport:	Destination port, host order
 * @flow:	Flow label
 * @in:		Payload
 * @len:	Payload length
 */
void tap_udp6_send(const struct ctx *c, const struct in6_addr *src,
		   in_port_t sport, const struct in6_addr *dst,
		   in_port_t dport, uint32_t flow, const void *in, size_t len)
{
	size_t n = tap_udp6_frame(c, src, sport, dst, dport, flow, in, len);

	if (n)
		tap_send_single(c, tap_single + TAP_IP_ALIGN, n);
}

/**
 * tap_udp_mcast_send() - Send a UDP datagram to a group the guest joined
 * @c:		Execution context
 * @src:	Source address, of the same family as @group
 * @sport:	Source port, host order
 * @group:	Multicast group
 * @dport:	Destination port, host order
 * @in:		Payload
 * @len:	Payload length
 *
 * The frame goes to the group's Ethernet address (RFC 1112, 6.4; RFC 2464,
 * 7): a guest that didn't join it on this link filters it out.
 */
void tap_udp_mcast_send(const struct ctx *c, const union inany_addr *src,
			in_port_t sport, const union inany_addr *group,
			in_port_t dport, const void *in, size_t len)
{
	char *frame = tap_single + TAP_IP_ALIGN;
	struct ethhdr *eh = (struct ethhdr *)frame;
	size_t n;

	if (inany_v4(group))
		n = tap_udp4_frame(c, *inany_v4(src), sport, *inany_v4(group),
				   dport, in, len);
	else
		n = tap_udp6_frame(c, &src->a6, sport, &group->a6, dport, 0,
				   in, len);
	if (!n)
		return;

	ip_mcast_mac(&group->a6, eh->h_dest);
	tap_send_single(c, frame, n);
}

/**
 * tap_icmp4_send() - Send an ICMP message over IPv4 to the guest
 * @c:		Execution context
 * @src:	Source address
 * @dst:	Destination address
 * @in:		ICMP header and data, the checksum is set here
 * @len:	Length of @in, at least the 8-byte header
 */
void tap_icmp4_send(const struct ctx *c, struct in_addr src,
		    struct in_addr dst, const void *in, size_t len)
{
	char *frame = tap_single + TAP_IP_ALIGN;
	struct iphdr *ip4h = tap_push_l2h(c, frame, ETH_P_IP);
	struct icmphdr *ih = tap_push_ip4h(ip4h, src, dst, len, IPPROTO_ICMP);

	if (len < sizeof(*ih) || len > IP4_MAX_PAYLOAD)
		return;

	memmove(ih, in, len);
	csum_icmp4(ih, ih + 1, len - sizeof(*ih));

	tap_send_single(c, frame, (char *)ih + len - frame);
}

/**
 * tap_icmp6_send() - Send an ICMPv6 message to the guest
 * @c:		Execution context
 * @src:	Source address
 * @dst:	Destination address
 * @in:		ICMPv6 header and data, the checksum is set here
 * @len:	Length of @in, at least the 8-byte header
 */
void tap_icmp6_send(const struct ctx *c, const struct in6_addr *src,
		    const struct in6_addr *dst, const void *in, size_t len)
{
	char *frame = tap_single + TAP_IP_ALIGN;
	struct ipv6hdr *ip6h = tap_push_l2h(c, frame, ETH_P_IPV6);
	struct icmp6_hdr *ih = tap_push_ip6h(ip6h, src, dst, len,
					     IPPROTO_ICMPV6, 0);

	if (len < sizeof(*ih) || len > TAP_L3_MAX - sizeof(*ip6h))
		return;

	memmove(ih, in, len);
	csum_icmp6(ih, src, dst, ih + 1, len - sizeof(*ih));

	tap_send_single(c, frame, (char *)ih + len - frame);
}

/**
 * tap_seq_get() - Find the sequence of a flow in the batch, or start one
 * @proto:	IPPROTO_TCP or IPPROTO_UDP
 * @saddr:	Source address
 * @daddr:	Destination address
 * @ports:	Source and destination ports, network order
 *
 * Return: the sequence, NULL if the batch has no room for another one
 */
static struct tap_seq *tap_seq_get(uint8_t proto,
				   const union inany_addr *saddr,
				   const union inany_addr *daddr,
				   const in_port_t *ports)
{
	struct tap_seq *s;
	unsigned i;

	/* Most batches are one flow: look at the latest sequences first */
	for (i = nseqs; i-- > 0; ) {
		s = &seqs[i];
		if (s->proto == proto && s->sport == ports[0] &&
		    s->dport == ports[1] && inany_equals(&s->saddr, saddr) &&
		    inany_equals(&s->daddr, daddr))
			return s;
	}

	if (nseqs >= TAP_SEQS)
		return NULL;

	s = &seqs[nseqs++];
	s->proto = proto;
	s->saddr = *saddr;
	s->daddr = *daddr;
	s->sport = ports[0];
	s->dport = ports[1];
	s->p.buf = tap_buf;
	s->p.buf_size = sizeof(tap_buf);
	s->p.size = TAP_SEQ_PKTS;
	s->p.count = 0;
	s->p.pkt = seq_pkt[s - seqs];
	s->p.tail = seq_tail[s - seqs];

	return s;
}

/**
 * tap_seq_add() - Add a transport segment to the sequence of its flow
 * @proto:	IPPROTO_TCP or IPPROTO_UDP
 * @saddr:	Source address
 * @daddr:	Destination address
 * @l4:		Transport header and payload, within tap_buf
 * @l4len:	Length of @l4, at least the size of the ports
 * @tail:	Payload past @l4len, elsewhere (length 0 if none)
 * @gso:	Datagram size of a run of UDP datagrams in one frame, or 0
 *
 * Return: 0 on success, -1 if the batch has no room for it
 */
static int tap_seq_add(uint8_t proto, const union inany_addr *saddr,
		       const union inany_addr *daddr, const void *l4,
		       size_t l4len, const struct pkt_tail *tail, uint16_t gso)
{
	struct tap_seq *s = tap_seq_get(proto, saddr, daddr, l4);

	if (!s || packet_add_tail(&s->p, l4, l4len, tail))
		return -1;

	seq_gso[s - seqs][s->p.count - 1] = gso;
	return 0;
}

/**
 * tap_seqs_flush() - Hand every sequence of the batch to its handler
 * @c:		Execution context
 * @now:	Current time
 */
static void tap_seqs_flush(struct ctx *c, const struct timespec *now)
{
	unsigned i;

	for (i = 0; i < nseqs; i++) {
		struct tap_seq *s = &seqs[i];

		if (s->proto == IPPROTO_TCP)
			tcp_tap_handler(c, &s->saddr, &s->daddr, &s->p, now);
		else
			udp_tap_handler(c, &s->saddr, &s->daddr, &s->p,
					seq_gso[i], now);
	}

	nseqs = 0;
}

/**
 * tap_l4() - Sort out one transport segment from the guest
 * @c:		Execution context
 * @proto:	Transport protocol
 * @saddr:	Source address
 * @daddr:	Destination address
 * @l4:		Transport header and payload
 * @l4len:	Length of @l4
 * @tail:	Payload past @l4len, elsewhere (length 0 if none): TCP, or UDP
 *		with all of its payload there (tap_rx_add_split())
 * @gso:	Datagram size of a run of UDP datagrams in one frame, or 0
 * @now:	Current time
 */
static void tap_l4(struct ctx *c, uint8_t proto, const union inany_addr *saddr,
		   const union inany_addr *daddr, const void *l4, size_t l4len,
		   const struct pkt_tail *tail, uint16_t gso,
		   const struct timespec *now)
{
	if (tail->len && proto != IPPROTO_TCP && proto != IPPROTO_UDP) {
		trace("Dropping frame with a tail, neither TCP nor UDP");
		stats_drop(STATS_DROP_TAIL);
		return;
	}

	if (proto == IPPROTO_TCP || proto == IPPROTO_UDP) {
		if ((proto == IPPROTO_TCP && c->no_tcp) ||
		    (proto == IPPROTO_UDP && c->no_udp)) {
			stats_drop(STATS_DROP_DISABLED);
			return;
		}
		if (l4len < 2 * sizeof(in_port_t)) {
			stats_drop(STATS_DROP_MALFORMED_L4);
			return;
		}
		if (proto != IPPROTO_UDP)
			gso = 0;
		if (tap_seq_add(proto, saddr, daddr, l4, l4len, tail, gso)) {
			tap_seqs_flush(c, now);
			tap_seq_add(proto, saddr, daddr, l4, l4len, tail, gso);
		}
		return;
	}

	trace("Dropping frame with unhandled protocol %u", proto);
	stats_drop(STATS_DROP_PROTO);
}

/**
 * tap_ip4() - Check an IPv4 packet from the guest and pass it on
 * @c:		Execution context
 * @p:		Pool with the frame
 * @idx:	Index of the frame
 * @gso:	Datagram size, if the frame is a run of UDP datagrams, or 0
 * @now:	Current time
 */
static void tap_ip4(struct ctx *c, const struct pool *p, size_t idx,
		    uint16_t gso, const struct timespec *now)
{
	size_t hlen, tot, left, l4len;
	union inany_addr saddr, daddr;
	const struct iphdr *iph;
	struct pkt_tail tail;
	struct in_addr s, d;
	const char *l4;

	iph = packet_get(p, idx, ETH_HLEN, sizeof(*iph), &left);
	if (!iph || iph->version != 4 || iph->ihl < 5)
		goto drop;
	hlen = iph->ihl * 4;
	tot = ntohs(iph->tot_len);
	left += sizeof(*iph);
	if (tot < hlen || tot > left || !packet_get(p, idx, ETH_HLEN, hlen,
						    NULL))
		goto drop;
	if (csum(iph, hlen, 0))
		goto drop;
	if (ntohs(iph->frag_off) & (IP4_MF | IP4_OFFMASK)) {
		trace("Dropping IPv4 fragment");
		stats_drop(STATS_DROP_FRAGMENT);
		return;
	}

	/* Ethernet padding, if any, stays out of the segment */
	l4 = packet_slice(p, idx, ETH_HLEN + hlen, tot - hlen, &l4len, &tail);
	if (!l4)
		goto drop;

	s.s_addr = iph->saddr;
	d.s_addr = iph->daddr;
	/* RFC 1122, 3.2.1.3 (g): loopback addresses never come from a link */
	if (ip4_is_loopback(s) || ip4_is_loopback(d)) {
		trace("Dropping IPv4 packet from or to a loopback address");
		stats_drop(STATS_DROP_LOOPBACK);
		return;
	}
	if (s.s_addr != INADDR_ANY && !ip4_is_broadcast_or_multicast(s))
		c->run->addr4_seen = s;

	if (iph->protocol == IPPROTO_UDP && !tail.len &&
	    dhcp(c, l4, tot - hlen))
		return;

	inany_from_v4(&saddr, s);
	inany_from_v4(&daddr, d);
	if (IN_MULTICAST(ntohl(d.s_addr)) && !tail.len &&
	    mcast_tap(c, iph->protocol, iph->ttl, &saddr, &daddr, l4,
		      tot - hlen, now))
		return;

	if (ip4_is_broadcast_or_multicast(d) || s.s_addr == INADDR_ANY) {
		trace("Dropping IPv4 broadcast or multicast packet");
		stats_drop(STATS_DROP_MULTICAST);
		return;
	}

	if (iph->protocol == IPPROTO_ICMP) {
		if (!tail.len)
			icmp_tap_handler4(c, s, d, l4, tot - hlen, now);
		else
			stats_drop(STATS_DROP_TAIL);
		return;
	}

	tap_l4(c, iph->protocol, &saddr, &daddr, l4, l4len, &tail, gso, now);
	return;

drop:
	trace("Dropping malformed IPv4 packet");
	stats_drop(STATS_DROP_MALFORMED_IPV4);
}

/**
 * ip6_skip_ext() - Walk IPv6 extension headers to the upper layer
 * @p:		Pool with the frame
 * @idx:	Index of the frame
 * @off:	Offset of the first header after the IPv6 header, updated
 * @end:	Offset of the end of the IPv6 payload
 * @proto:	Next header value, updated to the upper layer protocol
 *
 * Hop-by-hop, routing and destination options headers, and AH, are skipped;
 * any other next header ends the walk, and is the upper layer protocol (ESP
 * and "no next header" included: nothing handles those, they're dropped).
 *
 * Return: 0 on success, -1 on a malformed chain, 1 on a fragment
 */
static int ip6_skip_ext(const struct pool *p, size_t idx, size_t *off,
			size_t end, uint8_t *proto)
{
	for (;;) {
		const uint8_t *ext;
		size_t len;

		switch (*proto) {
		case IPPROTO_HOPOPTS:
		case IPPROTO_ROUTING:
		case IPPROTO_DSTOPTS:
			ext = packet_get(p, idx, *off, 2, NULL);
			if (!ext)
				return -1;
			len = (ext[1] + 1) * 8;
			break;
		case IPPROTO_AH:
			ext = packet_get(p, idx, *off, 2, NULL);
			if (!ext)
				return -1;
			len = (ext[1] + 2) * 4;
			break;
		case IPPROTO_FRAGMENT:
			return 1;
		default:
			return 0;
		}

		if (len > end - *off)
			return -1;
		*proto = ext[0];
		*off += len;
	}
}

/**
 * tap_ip6() - Check an IPv6 packet from the guest and pass it on
 * @c:		Execution context
 * @p:		Pool with the frame
 * @idx:	Index of the frame
 * @gso:	Datagram size, if the frame is a run of UDP datagrams, or 0
 * @now:	Current time
 */
static void tap_ip6(struct ctx *c, const struct pool *p, size_t idx,
		    uint16_t gso, const struct timespec *now)
{
	size_t left, off, end, l4len;
	const struct ipv6hdr *ip6h;
	union inany_addr saddr, daddr;
	struct pkt_tail tail;
	uint8_t proto;
	const char *l4;
	int rc;

	ip6h = packet_get(p, idx, ETH_HLEN, sizeof(*ip6h), &left);
	if (!ip6h || ip6h->version != 6)
		goto drop;
	if (ntohs(ip6h->payload_len) > left)
		goto drop;
	/* RFC 4291, 2.5.5.2: IPv4-mapped addresses never appear on the wire */
	if (IN6_IS_ADDR_V4MAPPED(&ip6h->saddr) ||
	    IN6_IS_ADDR_V4MAPPED(&ip6h->daddr))
		goto drop;
	/* RFC 4291, 2.5.3: nor does the loopback address */
	if (IN6_IS_ADDR_LOOPBACK(&ip6h->saddr) ||
	    IN6_IS_ADDR_LOOPBACK(&ip6h->daddr)) {
		trace("Dropping IPv6 packet from or to the loopback address");
		stats_drop(STATS_DROP_LOOPBACK);
		return;
	}

	off = ETH_HLEN + sizeof(*ip6h);
	end = off + ntohs(ip6h->payload_len);
	proto = ip6h->nexthdr;
	rc = ip6_skip_ext(p, idx, &off, end, &proto);
	if (rc > 0) {
		trace("Dropping IPv6 fragment");
		stats_drop(STATS_DROP_FRAGMENT);
		return;
	}
	if (rc < 0)
		goto drop;

	l4 = packet_slice(p, idx, off, end - off, &l4len, &tail);
	if (!l4)
		goto drop;

	if (IN6_IS_ADDR_LINKLOCAL(&ip6h->saddr))
		c->run->addr6_ll_seen = ip6h->saddr;
	else if (!IN6_IS_ADDR_UNSPECIFIED(&ip6h->saddr) &&
		 !IN6_IS_ADDR_MULTICAST(&ip6h->saddr))
		c->run->addr6_seen = ip6h->saddr;

	if (proto == IPPROTO_ICMPV6) {
		if (tail.len) {
			stats_drop(STATS_DROP_TAIL);
			return;
		}
		if (end - off < sizeof(struct icmp6_hdr))
			goto drop;
		if (ndp(c, &ip6h->saddr, &ip6h->daddr, l4, end - off))
			return;
	}

	if (proto == IPPROTO_UDP && !tail.len &&
	    dhcpv6(c, &ip6h->saddr, &ip6h->daddr, l4, end - off))
		return;

	saddr.a6 = ip6h->saddr;
	daddr.a6 = ip6h->daddr;
	if (IN6_IS_ADDR_MULTICAST(&ip6h->daddr) && !tail.len &&
	    mcast_tap(c, proto, ip6h->hop_limit, &saddr, &daddr, l4,
		      end - off, now))
		return;

	if (IN6_IS_ADDR_MULTICAST(&ip6h->daddr) ||
	    IN6_IS_ADDR_UNSPECIFIED(&ip6h->saddr)) {
		trace("Dropping IPv6 multicast packet");
		stats_drop(STATS_DROP_MULTICAST);
		return;
	}

	if (proto == IPPROTO_ICMPV6) {
		icmp_tap_handler6(c, &ip6h->saddr, &ip6h->daddr, l4,
				  end - off, now);
		return;
	}

	tap_l4(c, proto, &saddr, &daddr, l4, l4len, &tail, gso, now);
	return;

drop:
	trace("Dropping malformed IPv6 packet");
	stats_drop(STATS_DROP_MALFORMED_IPV6);
}

/**
 * tap_pcap_frame() - Capture a frame from the guest, its tail too
 * @p:		Pool
 * @idx:	Index of the frame
 */
static void tap_pcap_frame(const struct pool *p, size_t idx)
{
	struct iovec iov[PKT_TAIL_IOV_MAX + 1];
	struct pkt_tail tail;
	size_t n;

	if (pcap_fd() < 0)
		return;

	iov[0].iov_base = (void *)packet_slice(p, idx, 0, packet_len(p, idx),
					       &iov[0].iov_len, &tail);
	if (!iov[0].iov_base)
		return;

	n = packet_tail_iov(&tail, 0, iov + 1, ARRAY_SIZE(iov) - 1);
	pcap_iov(iov, n + 1, 0);
}

/**
 * tap_handle_batch() - Act on every frame of the pool, then flush sequences
 * @c:		Execution context
 * @now:	Current time
 */
static void tap_handle_batch(struct ctx *c, const struct timespec *now)
{
	size_t i;

	for (i = 0; i < pool_tap.count; i++) {
		const struct ethhdr *eh = packet_get(&pool_tap, i, 0, ETH_HLEN,
						     NULL);

		if (!eh) {
			stats_drop(STATS_DROP_SHORT);
			continue;
		}

		tap_pcap_frame(&pool_tap, i);

		if (!(eh->h_source[0] & 1))
			memcpy(c->run->guest_mac, eh->h_source, ETH_ALEN);

		switch (ntohs(eh->h_proto)) {
		case ETH_P_ARP:
			if (ipv4_enabled(c))
				arp(c, &pool_tap, i);
			else
				stats_drop(STATS_DROP_DISABLED);
			break;
		case ETH_P_IP:
			if (ipv4_enabled(c))
				tap_ip4(c, &pool_tap, i, tap_udp_gso[i], now);
			else
				stats_drop(STATS_DROP_DISABLED);
			break;
		case ETH_P_IPV6:
			if (ipv6_enabled(c))
				tap_ip6(c, &pool_tap, i, tap_udp_gso[i], now);
			else
				stats_drop(STATS_DROP_DISABLED);
			break;
		default:
			trace("Dropping frame with ethertype 0x%04x",
			      ntohs(eh->h_proto));
			stats_drop(STATS_DROP_ETHERTYPE);
			break;
		}
	}

	tap_seqs_flush(c, now);
	pool_flush(&pool_tap);
}

/**
 * tap_rx_buf() - The buffer the link's back end reads frames into
 * @size:	Its size, set
 *
 * Return: the buffer; frames added with tap_rx_add() must lie in it
 */
char *tap_rx_buf(size_t *size)
{
	*size = sizeof(tap_buf);
	return tap_buf;
}

/**
 * tap_rx_full() - Tell if the batch of frames from the guest is full
 *
 * Return: true if tap_rx_handle() must run before tap_rx_add() again
 */
bool tap_rx_full(void)
{
	return pool_full(&pool_tap);
}

/**
 * tap_rx_add() - Add a frame from the guest to the batch
 * @frame:	Frame, from the Ethernet header on, within tap_rx_buf()
 * @len:	Length
 * @udp_gso:	Datagram size if the frame carries a run of UDP datagrams
 *		to split, 0 otherwise
 *
 * Return: 0 on success, -1 if the batch is full or the frame out of bounds
 */
int tap_rx_add(const char *frame, size_t len, uint16_t udp_gso)
{
	size_t idx = pool_tap.count;

	if (packet_add(&pool_tap, frame, len))
		return -1;

	tap_udp_gso[idx] = udp_gso;
	stats.frames_in++;
	stats.bytes_in += len;
	return 0;
}

/**
 * tap_rx_add_tail() - Add a frame from the guest whose end stays elsewhere
 * @frame:	Its head, from the Ethernet header on, within tap_rx_buf():
 *		every header the frame has, and maybe some payload
 * @len:	Length of the head
 * @tail:	The rest (payload only: nothing parses it), which must stay
 *		where it is until tap_rx_handle() returns
 *
 * Return: 0 on success, -1 if the batch is full or the head out of bounds
 */
int tap_rx_add_tail(const char *frame, size_t len,
		    const struct pkt_tail *tail)
{
	size_t idx = pool_tap.count;

	if (tail->n > PKT_TAIL_IOV_MAX ||
	    packet_add_tail(&pool_tap, frame, len, tail))
		return -1;

	tap_udp_gso[idx] = 0;
	stats.frames_in++;
	stats.bytes_in += len + tail->len;
	return 0;
}

/**
 * tap_rx_add_split() - Add a frame from the guest whose payload is apart from
 *			its headers
 * @head:	Its headers, from the Ethernet header on, within tap_rx_buf()
 * @hlen:	Length of the headers, up to the end of the TCP or UDP header
 *		(tap_frame_payload_off())
 * @rest:	The payload, within tap_rx_buf() too
 * @rlen:	Its length
 *
 * Return: 0 on success, -1 if the batch is full or a piece out of bounds
 */
int tap_rx_add_split(const char *head, size_t hlen, const char *rest,
		     size_t rlen)
{
	struct pkt_tail tail = { .iov = &tap_rest[pool_tap.count], .n = 1,
				 .len = rlen };
	uintptr_t r = (uintptr_t)rest, b = (uintptr_t)tap_buf;

	if (pool_full(&pool_tap) || r < b || r - b > sizeof(tap_buf) ||
	    rlen > sizeof(tap_buf) - (r - b))
		return -1;

	tap_rest[pool_tap.count].iov_base = (char *)rest;
	tap_rest[pool_tap.count].iov_len = rlen;
	return tap_rx_add_tail(head, hlen, &tail);
}

/**
 * tap_frame_payload_off() - Where the payload of a TCP or UDP frame starts
 * @frame:	Frame, from the Ethernet header on, at any alignment
 * @len:	Bytes of it there
 * @udp:	Take UDP frames too, not only TCP: unicast ones that go to a
 *		socket (not to our DHCP or DHCPv6 server)
 *
 * Reads bytes one by one: the frame may not be aligned yet. A frame whose
 * payload is apart from its headers (tap_rx_add_split()) goes to the socket
 * of its flow, or nowhere: the payload of TCP and UDP isn't parsed there.
 *
 * Return: offset of the payload, if the frame is TCP (or UDP) over IPv4, or
 *	   over IPv6 without extension headers, and every header ends within
 *	   @len bytes; 0 otherwise
 */
size_t tap_frame_payload_off(const void *frame, size_t len, bool udp)
{
	const uint8_t *f = frame;
	uint8_t proto;
	bool mcast;
	size_t l4;

	if (!(l4 = tap_l4_at(f, len, &proto)))
		return 0;

	if (f[12] == 0x08)		/* IPv4: and 240.0.0.0/4 */
		mcast = f[ETH_HLEN + offsetof(struct iphdr, daddr)] >= 224;
	else
		mcast = f[ETH_HLEN + offsetof(struct ipv6hdr, daddr)] == 0xff;

	if (proto == IPPROTO_UDP && udp) {
		unsigned dport;

		/* Only what goes to a socket: not what tap_ip4() and
		 * tap_ip6() keep for us (DHCP, DHCPv6, multicast)
		 */
		if (l4 + sizeof(struct udphdr) > len || mcast)
			return 0;
		dport = f[l4 + 2] << 8 | f[l4 + 3];
		if (dport == 67 || dport == 547)
			return 0;
		return l4 + sizeof(struct udphdr);
	}
	if (proto != IPPROTO_TCP || l4 + sizeof(struct tcphdr) > len ||
	    (f[l4 + 12] >> 4) * 4U < sizeof(struct tcphdr))
		return 0;

	l4 += (f[l4 + 12] >> 4) * 4U;		/* Data offset */
	return l4 <= len ? l4 : 0;
}

/**
 * tap_rx_handle() - Handle the batch of frames from the guest, empty it
 * @c:		Execution context
 * @now:	Current time
 */
void tap_rx_handle(struct ctx *c, const struct timespec *now)
{
	tap_handle_batch(c, now);
}

/**
 * tap_writable() - The link can take frames again: resume what waited
 * @c:		Execution context
 * @now:	Current time
 */
void tap_writable(struct ctx *c, const struct timespec *now)
{
	tcp_tap_writable(c, now);
	udp_tap_writable(c);
}

/**
 * tap_guest_gone() - The guest left: forget it and its flows
 * @c:		Execution context
 *
 * Nothing more can come from it: every connection ends now, as it can
 * (tcp_flow_end()). With --one-off, we exit.
 */
void tap_guest_gone(struct ctx *c)
{
	pool_flush(&pool_tap);
	nseqs = 0;
	memset(c->run->guest_mac, 0xff, ETH_ALEN);
	memset(&c->run->addr6_ll_seen, 0, sizeof(c->run->addr6_ll_seen));

	tcp_tap_reset(c);
	udp_tap_reset(c);
	icmp_tap_reset(c);
	mcast_reset(c);

	if (c->one_off)
		passt_exit(c, EXIT_SUCCESS);
}

/**
 * tap_start() - The guest is there: make ourselves known to it
 * @c:		Execution context
 *
 * An ARP request and a neighbour solicitation for the guest's own addresses
 * make it answer, and we learn its MAC address without waiting for it to
 * talk first. A router advertisement saves it a solicitation.
 */
void tap_start(struct ctx *c)
{
	if (ipv4_enabled(c))
		arp_announce(c);
	if (ipv6_enabled(c))
		ndp_start(c);
	mcast_start(c);
}
