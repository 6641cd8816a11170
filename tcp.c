// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * passt - user-mode networking for virtual machines and namespaces
 *
 * tcp.c - TCP translation between the guest and host sockets
 *
 * There is no TCP stack here: each connection of the guest is a stream
 * socket of the host, and the host kernel does congestion control,
 * retransmission to the far end and buffering. What we keep per connection
 * is what it takes to look like a coherent TCP peer to the guest: sequence
 * numbers both ways, windows, and a few state bits.
 *
 * Guest to host: in-order payload of a batch of segments is written to the
 * socket with one sendmsg(); we acknowledge what the socket took. The window
 * we advertise is the room left in the socket's send buffer (after a small
 * write, an estimate of it: see tcp_wnd_update()): the guest never
 * sends more than the socket takes, and when the room is short the socket
 * wakes us (EPOLLOUT) once it's back, and we send a window update. Should a
 * write still come up short, the rest is dropped and, once the socket has
 * room, duplicate ACKs make the guest retransmit it at once.
 *
 * Host to guest: data is read with MSG_PEEK into the payload of prepared
 * frames, as much as the guest's window allows, and stays in the socket
 * until the guest acknowledges it; then it's discarded with MSG_TRUNC. The
 * peek offset (SO_PEEK_OFF) skips data already sent; on kernels without it,
 * that data is read into a scratch buffer again. A retransmission is a
 * rewind of our sequence number and of the peek offset. Sockets are watched
 * edge-triggered: once a peek came up short of what the guest could take,
 * the socket is drained and isn't read again until epoll reports new data
 * or the peer's FIN (after which reads go on until they find the end).
 *
 * Urgent data (RFC 9293, 3.8.5) is carried as ordinary bytes of the stream,
 * both ways: host sockets keep it inline (SO_OOBINLINE), and the urgent
 * pointer of segments from the guest is ignored. Only the notification is
 * lost, never a byte. A read stops short at an urgent mark, so once epoll
 * reported one (EPOLLPRI), short reads no longer mean the socket is drained.
 *
 * Connections are found by the flow index for frames from the guest, and by
 * the epoll reference for socket events.
 */

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <net/if.h>
#include <netinet/in.h>
#include <netinet/ip.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <linux/ipv6.h>
#include <linux/sockios.h>
#include <linux/sock_diag.h>

#include "checksum.h"
#include "fdlimit.h"
#include "flow.h"
#include "flow_table.h"
#include "fwd.h"
#include "ip.h"
#include "log.h"
#include "packet.h"
#include "passt.h"
#include "siphash.h"
#include "stats.h"
#include "tap.h"
#include "tcp.h"
#include "tcp_splice.h"
#include "util.h"

/* #syscalls socket connect bind listen accept4 setsockopt getsockopt */
/* #syscalls recvmsg sendmsg recvfrom shutdown close epoll_ctl */

#define TCP_FRAMES		128	/* Data frames per batch to the guest */
#define TCP_CTL_FRAMES		256	/* Control frames per batch */
#define TCP_PAYLOAD_MAX		65536
#define TCP_OPT_MAX		20	/* MSS, window scale, timestamps */
/* Largest payload of a frame of several segments: what IPv4 can carry */
#define TCP_GSO_PAYLOAD_MAX	(65535 - sizeof(struct iphdr) -		\
				 sizeof(struct tcphdr) - TCP_OPT_MAX)
#define TCP_OPT_TS_LEN		12	/* Timestamps, with two NOPs */
#define TCP_WS_TO_TAP		8	/* Window scale we announce */
#define TCP_WND_MAX		(65535U << TCP_WS_TO_TAP)
#define TCP_MSS_FALLBACK		536	/* RFC 9293, 3.7.1 */
#define TCP_SYN_TIMEOUT_MS	(10 * MS_PER_SEC)
#define TCP_RTO_MIN_MS		200
#define TCP_RTO_MAX_MS		(8 * MS_PER_SEC)
#define TCP_MAX_RETRIES		8
#define TCP_DUP_ACKS		3	/* Fast retransmit, RFC 5681 */
#define TCP_WND_MARGIN_DIV	16	/* Data takes more memory than bytes */
#define TCP_WND_SMALL_WRITE	4096	/* Window estimated after writes ... */
#define TCP_WND_BUF_COST	2048	/* ... at this much memory each, more */
#define TCP_SEGS_MAX		256	/* Segments of a flow in one batch */
#define TCP_WRITE_IOV		4096	/* Payload pieces written in a batch */
#define TCP_IOV_PER_CALL	1024	/* ... in one sendmsg(): UIO_MAXIOV */
#define TCP_READS_PER_EVENT	4	/* Fairness between connections */

/* Sequence number comparisons, modulo 2^32 (RFC 9293, 3.4) */
#define SEQ_LT(a, b)		((int32_t)((a) - (b)) < 0)
#define SEQ_LE(a, b)		((int32_t)((a) - (b)) <= 0)
#define SEQ_GT(a, b)		((int32_t)((a) - (b)) > 0)
#define SEQ_GE(a, b)		((int32_t)((a) - (b)) >= 0)

#define FLAG_FIN		0x01
#define FLAG_SYN		0x02
#define FLAG_RST		0x04
#define FLAG_PSH		0x08
#define FLAG_ACK		0x10

/**
 * struct tcp_frame_hdrs - Headers of one frame to the guest
 * @pad:	Aligns the IP header to four bytes
 * @eh:		Ethernet header
 * @v4:		IPv4 and TCP headers, options
 * @v4.iph:	IPv4 header
 * @v4.th:	TCP header
 * @v4.opts:	TCP options
 * @v6:		IPv6 and TCP headers, options
 * @v6.ip6h:	IPv6 header
 * @v6.th:	TCP header
 * @v6.opts:	TCP options
 */
struct tcp_frame_hdrs {
	uint8_t pad[2];
	struct ethhdr eh;
	union {
		struct {
			struct iphdr iph;
			struct tcphdr th;
			uint8_t opts[TCP_OPT_MAX];
		} v4;
		struct {
			struct ipv6hdr ip6h;
			struct tcphdr th;
			uint8_t opts[TCP_OPT_MAX];
		} v6;
	};
} __attribute__((aligned(4)));

/* Data frames: headers here, payload read into buffers the link lends */
static struct tcp_frame_hdrs tcp_hdrs[TCP_FRAMES];
static struct iovec tcp_hdr_iov[TCP_FRAMES];
static struct link_lent tcp_lent;

static struct tcp_frame_hdrs tcp_ctl_hdrs[TCP_CTL_FRAMES];
static struct iovec tcp_ctl_iov[TCP_CTL_FRAMES];
static unsigned tcp_ctl_n;

/* Connections with an ACK to send at the next flush */
static unsigned tcp_ack_list[TCP_CTL_FRAMES];
static unsigned tcp_ack_n;

/* Scratch for data already sent, without SO_PEEK_OFF, and for discards */
static char tcp_discard[TCP_PAYLOAD_MAX * 16];
static bool tcp_peek_off_ok;

static struct siphash_key tcp_isn_key;

/**
 * conn_at() - Connection at a flow index
 * @idx:	Flow index
 *
 * Return: the connection
 */
static inline struct tcp_tap_conn *conn_at(unsigned idx)
{
	return &flow_at(idx)->tcp;
}

/**
 * conn_idx() - Flow index of a connection
 * @conn:	Connection
 *
 * Return: index
 */
static inline unsigned conn_idx(const struct tcp_tap_conn *conn)
{
	return flow_idx((const union flow *)conn);
}

/**
 * conn_tap() - The guest's side of a connection
 * @conn:	Connection
 *
 * Return: flowside with the guest as endpoint
 */
static inline const struct flowside *conn_tap(const struct tcp_tap_conn *conn)
{
	return &conn->f.side[conn->tapside];
}

/**
 * conn_v4() - Tell if a connection is over IPv4
 * @conn:	Connection
 *
 * Return: true for IPv4
 */
static inline bool conn_v4(const struct tcp_tap_conn *conn)
{
	return inany_v4(&conn_tap(conn)->eaddr) != NULL;
}

/**
 * tcp_isn() - Initial sequence number for a connection (RFC 6528)
 * @conn:	Connection, with addresses and ports set
 * @now:	Current time
 *
 * Return: keyed hash of the tuple plus a clock ticking every 4 us
 */
static uint32_t tcp_isn(const struct tcp_tap_conn *conn,
			const struct timespec *now)
{
	const struct flowside *tap = conn_tap(conn);
	struct {
		union inany_addr a, b;
		in_port_t pa, pb;
	} t = { tap->eaddr, tap->oaddr, tap->eport, tap->oport };
	uint64_t us4 = (now->tv_sec * 1000000ULL + now->tv_nsec / 1000) / 4;

	return (uint32_t)siphash(&tcp_isn_key, &t, sizeof(t)) + (uint32_t)us4;
}

/**
 * tcp_conn_epoll() - Set the events we wait for on a connection's socket
 * @c:		Execution context
 * @conn:	Connection
 * @op:		EPOLL_CTL_ADD or EPOLL_CTL_MOD
 *
 * Return: 0 on success, -1 on failure
 */
static int tcp_conn_epoll(const struct ctx *c, struct tcp_tap_conn *conn,
			  int op)
{
	union epoll_ref ref = { .type = EPOLL_TYPE_TCP, .fd = conn->sock,
				.flow = conn_idx(conn) };
	struct epoll_event ev = { .data.u64 = ref.u64 };

	/* The same events from connect() on: its end is an EPOLLOUT edge.
	 * EPOLLPRI: urgent data, which stops reads at its mark
	 */
	ev.events = EPOLLIN | EPOLLPRI | EPOLLOUT | EPOLLRDHUP | EPOLLET;

	return epoll_ctl(c->epollfd, op, conn->sock, &ev);
}

/**
 * tcp_wnd_room() - Room in the socket's send buffer
 * @conn:	Connection
 * @queued:	Memory already taken by queued data, set
 *
 * The kernel takes more data while the memory of queued data is below the
 * send buffer size; data takes a little more memory than its length, so
 * the difference is a safe estimate of the bytes the socket takes now.
 *
 * Return: bytes the guest may send us now
 */
static uint32_t tcp_wnd_room(const struct tcp_tap_conn *conn,
			     uint32_t *queued)
{
	uint32_t mem[SK_MEMINFO_VARS];
	socklen_t sl = sizeof(mem);

	*queued = 0;
	if (!(conn->events & CONN_ESTABLISHED) ||
	    (conn->events & CONN_TAP_FIN_RCVD))
		return TCP_WND_MAX;

	if (getsockopt(conn->sock, SOL_SOCKET, SO_MEMINFO, mem, &sl))
		return 0;

	*queued = mem[SK_MEMINFO_WMEM_QUEUED];
	if (*queued >= mem[SK_MEMINFO_SNDBUF])
		return 0;

	return mem[SK_MEMINFO_SNDBUF] - *queued;
}

/**
 * tcp_wnd_update() - Compute the window to advertise, watch for room
 * @c:		Execution context
 * @conn:	Connection
 * @written:	Bytes just written to the socket, 0 if none
 *
 * A sixteenth of the room is kept back: queued data takes a little more
 * memory than its length. The socket is writable for the kernel, and wakes
 * up waiters, once the
 * free space is at least half the memory queued. If it's below that now,
 * re-arming the events makes the kernel note that we wait: an EPOLLOUT
 * will come when room is back, and we'll send a window update then.
 *
 * A small write (a request, a keystroke) takes at most its length and the
 * memory of one buffer from the room: the window shrinks by that, without
 * asking the socket, until it's below half of what was last measured. The
 * first few KiB of a connection aren't measured at all: a request and its
 * close then cost no query of the socket.
 */
static void tcp_wnd_update(const struct ctx *c, struct tcp_tap_conn *conn,
			   size_t written)
{
	uint32_t queued, room, cost = written + TCP_WND_BUF_COST;

	/* Duplicate ACKs only count with the same window (RFC 5681, 2) */
	if (conn->flags & TCP_RECOVERY)
		return;

	if (written && written <= TCP_WND_SMALL_WRITE &&
	    (conn->events & CONN_ESTABLISHED) &&
	    !(conn->events & CONN_TAP_FIN_RCVD) &&
	    conn->wnd_measured && conn->wnd_to_tap <= conn->wnd_measured &&
	    conn->wnd_to_tap >= cost &&
	    conn->wnd_to_tap - cost >= conn->wnd_measured / 2) {
		conn->wnd_to_tap -= cost;
		return;
	}

	/* Nothing measured yet, and only a request's worth written: any
	 * buffer takes that, the window stays what it was
	 */
	if (written && !conn->wnd_measured &&
	    conn->f.bytes[conn->tapside] <= TCP_WND_SMALL_WRITE &&
	    (conn->events & CONN_ESTABLISHED))
		return;

	room = tcp_wnd_room(conn, &queued);
	conn->wnd_to_tap = MIN(room - room / TCP_WND_MARGIN_DIV, TCP_WND_MAX);
	conn->wnd_measured = conn->wnd_to_tap;

	if (room < queued / 2 && !(conn->flags & TCP_WND_LOW) &&
	    (conn->events & CONN_ESTABLISHED)) {
		conn->flags |= TCP_WND_LOW;
		tcp_conn_epoll(c, conn, EPOLL_CTL_MOD);
	}
}

/**
 * tcp_opts_fill() - Build the TCP options of a segment to the guest
 * @c:		Execution context
 * @conn:	Connection
 * @flags:	TCP flags of the segment
 * @o:		Options buffer, TCP_OPT_MAX bytes
 *
 * SYN segments carry our MSS, window scale and timestamps if the guest
 * offered them; every other segment carries timestamps if in use, with our
 * clock in milliseconds and the guest's latest value echoed (RFC 7323).
 *
 * Return: length of the options, a multiple of 4
 */
static size_t tcp_opts_fill(const struct ctx *c,
			    const struct tcp_tap_conn *conn, uint8_t flags,
			    uint8_t *o)
{
	size_t len = 0;

	if (flags & FLAG_SYN) {
		size_t hdrs = sizeof(struct tcphdr) +
			      (conn_v4(conn) ? sizeof(struct iphdr) :
					       sizeof(struct ipv6hdr));
		uint16_t mss = MIN(c->mtu - (int)hdrs, 65535 - (int)hdrs);

		o[len++] = TCPOPT_MAXSEG;
		o[len++] = TCPOLEN_MAXSEG;
		o[len++] = mss >> 8;
		o[len++] = mss & 0xff;
		if (conn->ws_to_tap) {
			o[len++] = TCPOPT_NOP;
			o[len++] = TCPOPT_WINDOW;
			o[len++] = TCPOLEN_WINDOW;
			o[len++] = conn->ws_to_tap;
		}
	}

	if (conn->ts_ok) {
		uint32_t tsval = htonl((uint32_t)timespec_ms(&c->run->now));
		uint32_t tsecr = htonl(conn->ts_recent);

		o[len++] = TCPOPT_NOP;
		o[len++] = TCPOPT_NOP;
		o[len++] = TCPOPT_TIMESTAMP;
		o[len++] = TCPOLEN_TIMESTAMP;
		memcpy(o + len, &tsval, 4);
		memcpy(o + len + 4, &tsecr, 4);
		len += 8;
	}

	return len;
}

/**
 * tcp_frame_fill() - Build the headers of a frame to the guest
 * @c:		Execution context
 * @conn:	Connection
 * @h:		Header buffer
 * @iov:	Set to the headers built
 * @flags:	TCP flags
 * @seq:	Sequence number
 * @pl:		Payload, @plen bytes in all, or NULL
 * @npl:	Entries in @pl
 * @plen:	Payload length
 */
static void tcp_frame_fill(const struct ctx *c,
			   const struct tcp_tap_conn *conn,
			   struct tcp_frame_hdrs *h, struct iovec *iov,
			   uint8_t flags, uint32_t seq, const struct iovec *pl,
			   size_t npl, size_t plen)
{
	const struct flowside *tap = conn_tap(conn);
	size_t l4len, l3len, optlen;
	struct tcphdr *th;
	uint32_t wnd, sum;
	uint8_t *o;

	o = conn_v4(conn) ? h->v4.opts : h->v6.opts;
	optlen = tcp_opts_fill(c, conn, flags, o);
	l4len = sizeof(struct tcphdr) + optlen + plen;

	if (conn_v4(conn)) {
		struct in_addr src = *inany_v4(&tap->oaddr);
		struct in_addr dst = *inany_v4(&tap->eaddr);

		tap_push_l2h(c, &h->eh, ETH_P_IP);
		th = tap_push_ip4h(&h->v4.iph, src, dst, l4len, IPPROTO_TCP);
		sum = psum_ip4(l4len, IPPROTO_TCP, src, dst);
		l3len = sizeof(struct iphdr) + l4len;
	} else {
		tap_push_l2h(c, &h->eh, ETH_P_IPV6);
		th = tap_push_ip6h(&h->v6.ip6h, &tap->oaddr.a6, &tap->eaddr.a6,
				   l4len, IPPROTO_TCP, 0);
		sum = psum_ip6(l4len, IPPROTO_TCP, &tap->oaddr.a6,
			       &tap->eaddr.a6);
		l3len = sizeof(struct ipv6hdr) + l4len;
	}

	/* Windows in SYN segments are never scaled (RFC 7323, 2.2) */
	wnd = conn->wnd_to_tap >> ((flags & FLAG_SYN) ? 0 : conn->ws_to_tap);

	memset(th, 0, sizeof(*th));
	th->source = htons(tap->oport);
	th->dest = htons(tap->eport);
	th->seq = htonl(seq);
	th->doff = (sizeof(*th) + optlen) / 4;
	th->fin = !!(flags & FLAG_FIN);
	th->syn = !!(flags & FLAG_SYN);
	th->rst = !!(flags & FLAG_RST);
	th->psh = !!(flags & FLAG_PSH);
	th->ack = !!(flags & FLAG_ACK);
	if (flags & FLAG_ACK)
		th->ack_seq = htonl(conn->seq_from_tap);
	th->window = htons(MIN(wnd, 65535U));

	if (tap_l4_csum(c)) {
		sum = csum_unfolded(th, sizeof(*th) + optlen, sum);
		th->check = ~csum_fold(csum_iov(pl, npl, 0, sum));
	} else {
		th->check = csum_fold(sum);	/* Completed by the tap device */
	}

	iov->iov_base = &h->eh;
	iov->iov_len = ETH_HLEN + (l3len - l4len) + sizeof(*th) + optlen;
}

/**
 * tcp_data_hdrlen() - Length of the headers of a data frame to the guest
 * @conn:	Connection
 *
 * Return: bytes from the Ethernet header to the end of the TCP options, as
 *	   tcp_frame_fill() builds them for a segment without SYN
 */
static size_t tcp_data_hdrlen(const struct tcp_tap_conn *conn)
{
	return ETH_HLEN + sizeof(struct tcphdr) + (conn->ts_ok ? 12 : 0) +
	       (conn_v4(conn) ? sizeof(struct iphdr) : sizeof(struct ipv6hdr));
}

/**
 * tcp_defer_flush() - Send queued control frames, and pending ACKs
 * @c:		Execution context
 *
 * ACKs the guest's socket couldn't take stay pending, to be sent once it's
 * writable again: a lost ACK could stall the guest until it retransmits.
 */
void tcp_defer_flush(struct ctx *c)
{
	unsigned i, first_ack, n_ack = 0, sent;

	if (tcp_ctl_n + tcp_ack_n > TCP_CTL_FRAMES) {
		tap_send_frames(c, tcp_ctl_iov, 1, tcp_ctl_n);
		tcp_ctl_n = 0;
	}

	first_ack = tcp_ctl_n;
	for (i = 0; i < tcp_ack_n; i++) {
		struct tcp_tap_conn *conn = conn_at(tcp_ack_list[i]);

		if (conn->f.type != FLOW_TCP || !(conn->flags & TCP_ACK_PENDING))
			continue;

		tcp_frame_fill(c, conn, &tcp_ctl_hdrs[tcp_ctl_n],
			       &tcp_ctl_iov[tcp_ctl_n], FLAG_ACK,
			       conn->seq_to_tap, NULL, 0, 0);
		tcp_ack_list[n_ack++] = tcp_ack_list[i];
		tcp_ctl_n++;
	}

	sent = tcp_ctl_n ? tap_send_frames(c, tcp_ctl_iov, 1, tcp_ctl_n) : 0;
	tcp_ctl_n = 0;

	/* Keep the ACKs that didn't go out in the list, still pending */
	tcp_ack_n = 0;
	for (i = 0; i < n_ack; i++) {
		struct tcp_tap_conn *conn = conn_at(tcp_ack_list[i]);

		if (first_ack + i < sent)
			conn->flags &= ~TCP_ACK_PENDING;
		else
			tcp_ack_list[tcp_ack_n++] = tcp_ack_list[i];
	}
}

/**
 * tcp_ack_defer() - Send an ACK to the guest at the next flush
 * @c:		Execution context
 * @conn:	Connection
 */
static void tcp_ack_defer(struct ctx *c, struct tcp_tap_conn *conn)
{
	if (conn->flags & TCP_ACK_PENDING)
		return;

	if (tcp_ack_n >= TCP_CTL_FRAMES / 2)
		tcp_defer_flush(c);
	if (tcp_ack_n >= TCP_CTL_FRAMES / 2)
		return;		/* The guest can't take more now anyway */

	conn->flags |= TCP_ACK_PENDING;
	tcp_ack_list[tcp_ack_n++] = conn_idx(conn);
}

/**
 * tcp_send_ctl() - Queue a control segment for the guest
 * @c:		Execution context
 * @conn:	Connection
 * @flags:	TCP flags
 *
 * SYN segments carry our MSS and window scale; FIN and SYN take a sequence
 * number.
 */
static void tcp_send_ctl(struct ctx *c, struct tcp_tap_conn *conn,
			 uint8_t flags)
{
	if (tcp_ctl_n + tcp_ack_n >= TCP_CTL_FRAMES)
		tcp_defer_flush(c);

	tcp_frame_fill(c, conn, &tcp_ctl_hdrs[tcp_ctl_n],
		       &tcp_ctl_iov[tcp_ctl_n], flags, conn->seq_to_tap,
		       NULL, 0, 0);
	tcp_ctl_n++;

	if (flags & (FLAG_SYN | FLAG_FIN))
		conn->seq_to_tap++;
	if (flags & FLAG_ACK)
		conn->flags &= ~TCP_ACK_PENDING;
}

/**
 * tcp_timer_set() - Arm the retransmission (or connection) timer
 * @conn:	Connection
 * @now:	Current time
 * @ms:		Timeout
 */
static void tcp_timer_set(struct tcp_tap_conn *conn,
			  const struct timespec *now, long long ms)
{
	conn->timer_ms = timespec_ms(now) + ms;
	flow_timer_at(conn->timer_ms);
}

/**
 * tcp_conn_close() - Close a connection's socket and free its entry
 * @c:		Execution context
 * @conn:	Connection
 * @reset:	Reset the host side instead of a clean close
 */
static void tcp_conn_close(struct ctx *c, struct tcp_tap_conn *conn,
			   bool reset)
{
	if (conn->sock >= 0) {
		/* Closing the only reference takes it out of epoll */
		if (reset)
			sock_close_reset(conn->sock);
		else
			close(conn->sock);
	}

	(void)c;
	debug("TCP flow %u: closed%s", conn_idx(conn), reset ? " (reset)" : "");

	conn->flags &= ~TCP_ACK_PENDING;
	flow_free((union flow *)conn);
}

/**
 * tcp_rst() - Reset a connection on both sides
 * @c:		Execution context
 * @conn:	Connection
 */
static void tcp_rst(struct ctx *c, struct tcp_tap_conn *conn)
{
	tcp_send_ctl(c, conn, FLAG_RST | FLAG_ACK);
	tcp_defer_flush(c);
	tcp_conn_close(c, conn, true);
}

/**
 * tcp_rst_unknown() - Reset a segment of no known connection (RFC 9293 3.10.7.1)
 * @c:		Execution context
 * @saddr:	Source of the segment (the guest)
 * @daddr:	Destination of the segment
 * @th:		TCP header of the segment
 * @dlen:	Payload length
 */
static void tcp_rst_unknown(struct ctx *c, const union inany_addr *saddr,
			    const union inany_addr *daddr,
			    const struct tcphdr *th, size_t dlen)
{
	struct tcp_tap_conn tmp = { .sock = -1 };
	uint8_t flags = FLAG_RST;

	tmp.f.side[0].eaddr = *saddr;
	tmp.f.side[0].eport = ntohs(th->source);
	tmp.f.side[0].oaddr = *daddr;
	tmp.f.side[0].oport = ntohs(th->dest);

	if (th->ack) {
		tmp.seq_to_tap = ntohl(th->ack_seq);
	} else {
		tmp.seq_from_tap = ntohl(th->seq) + dlen + th->syn + th->fin;
		flags |= FLAG_ACK;
	}

	if (tcp_ctl_n + tcp_ack_n >= TCP_CTL_FRAMES)
		tcp_defer_flush(c);
	tcp_frame_fill(c, &tmp, &tcp_ctl_hdrs[tcp_ctl_n],
		       &tcp_ctl_iov[tcp_ctl_n], flags, tmp.seq_to_tap,
		       NULL, 0, 0);
	tcp_ctl_n++;
}

/**
 * tcp_opt_get() - Find a TCP option in a header
 * @th:		TCP header, options included (doff checked by the caller)
 * @kind:	Option kind
 * @len:	Expected option length
 *
 * Return: pointer to the option's data, NULL if absent or malformed
 */
static const uint8_t *tcp_opt_get(const struct tcphdr *th, uint8_t kind,
				  uint8_t len)
{
	const uint8_t *o = (const uint8_t *)(th + 1);
	size_t left = th->doff * 4 - sizeof(*th);

	while (left) {
		if (*o == TCPOPT_EOL)
			return NULL;
		if (*o == TCPOPT_NOP) {
			o++;
			left--;
			continue;
		}
		if (left < 2 || o[1] < 2 || o[1] > left)
			return NULL;
		if (*o == kind)
			return o[1] == len ? o + 2 : NULL;
		left -= o[1];
		o += o[1];
	}

	return NULL;
}

/**
 * tcp_syn_opts() - Take MSS and window scale from the guest's SYN
 * @c:		Execution context
 * @conn:	Connection
 * @th:		SYN or SYN-ACK from the guest
 */
static void tcp_syn_opts(const struct ctx *c, struct tcp_tap_conn *conn,
			 const struct tcphdr *th)
{
	size_t hdrs = sizeof(struct tcphdr) + (conn_v4(conn) ?
		sizeof(struct iphdr) : sizeof(struct ipv6hdr));
	const uint8_t *mss = tcp_opt_get(th, TCPOPT_MAXSEG, TCPOLEN_MAXSEG);
	const uint8_t *ws = tcp_opt_get(th, TCPOPT_WINDOW, TCPOLEN_WINDOW);
	const uint8_t *ts = tcp_opt_get(th, TCPOPT_TIMESTAMP,
					TCPOLEN_TIMESTAMP);
	unsigned m = mss ? (mss[0] << 8 | mss[1]) : TCP_MSS_FALLBACK;

	conn->ts_ok = !!ts;
	if (ts) {
		uint32_t v;

		memcpy(&v, ts, sizeof(v));
		conn->ts_recent = ntohl(v);
	}

	/* The MSS doesn't count options (RFC 6691) */
	if ((size_t)c->mtu > hdrs)
		m = MIN(m, (unsigned)c->mtu - hdrs);
	if (ts)
		m = m > TCP_OPT_TS_LEN ? m - TCP_OPT_TS_LEN : 0;
	m = MIN(m, (unsigned)UINT16_MAX);
	conn->mss_to_tap = MAX(m, 64U);

	if (ws) {
		conn->ws_from_tap = MIN(*ws, 14);
		conn->ws_to_tap = TCP_WS_TO_TAP;
	} else {
		conn->ws_from_tap = conn->ws_to_tap = 0;
	}

	conn->wnd_from_tap = ntohs(th->window);
}

/**
 * tcp_sock_new() - Open a non-blocking stream socket for a connection
 * @c:		Execution context
 * @af:		AF_INET or AF_INET6
 *
 * Return: socket, -1 on failure
 */
static int tcp_sock_new(const struct ctx *c, int af)
{
	const char *ifname = af == AF_INET ? c->ip4.ifname_out :
					     c->ip6.ifname_out;
	int s = sock_tcp_new(af);

	if (s < 0)
		return -1;

	if (*ifname)
		setsockopt(s, SOL_SOCKET, SO_BINDTODEVICE, ifname,
			   strlen(ifname));

	if (af == AF_INET && c->ip4.addr_out.s_addr) {
		struct sockaddr_in a = { .sin_family = AF_INET,
					 .sin_addr = c->ip4.addr_out };

		if (bind(s, (struct sockaddr *)&a, sizeof(a)))
			debug_perror("TCP: can't bind to the outbound address");
	} else if (af == AF_INET6 &&
		   !IN6_IS_ADDR_UNSPECIFIED(&c->ip6.addr_out)) {
		struct sockaddr_in6 a = { .sin6_family = AF_INET6,
					  .sin6_addr = c->ip6.addr_out };

		if (bind(s, (struct sockaddr *)&a, sizeof(a)))
			debug_perror("TCP: can't bind to the outbound address");
	}

	return s;
}

/**
 * tcp_peek_off() - Set where the next peek at the socket's data starts
 * @conn:	Connection
 * @off:	Bytes past the first one not acknowledged by the guest
 *
 * Without SO_PEEK_OFF (tcp_peek_off_ok false), peeks always start at the
 * first byte not acknowledged, and tcp_sock_peek() skips what was sent.
 *
 * A socket peeks from its first byte until the offset is set, and then moves
 * the offset along with each peek: it's only set once data is in flight at a
 * peek, or a peek has to be partly taken back, which many connections never
 * see (a reply acknowledged before the next one comes): a system call less.
 *
 * Return: 0 on success, -1 if the offset couldn't be set: data would then
 *	   go to the guest twice, or not at all, and the caller resets
 */
static int tcp_peek_off(struct tcp_tap_conn *conn, int off)
{
	if (!tcp_peek_off_ok || (!off && !conn->peek_off_set))
		return 0;

	if (!setsockopt(conn->sock, SOL_SOCKET, SO_PEEK_OFF, &off,
			sizeof(off))) {
		conn->peek_off_set = true;
		return 0;
	}

	debug_perror("TCP flow %u: can't set the peek offset", conn_idx(conn));
	return -1;
}

/**
 * tcp_conn_from_tap() - A SYN from the guest: open and connect a socket
 * @c:		Execution context
 * @saddr:	Guest address
 * @daddr:	Destination, as the guest sees it
 * @th:		SYN segment
 * @now:	Current time
 */
static void tcp_conn_from_tap(struct ctx *c, const union inany_addr *saddr,
			      const union inany_addr *daddr,
			      const struct tcphdr *th,
			      const struct timespec *now)
{
	struct sockaddr_storage sa;
	struct tcp_tap_conn *conn;
	union inany_addr tgt;
	union flow *flow;
	socklen_t sl;
	int s;

	if (inany_is_unspecified(daddr) || inany_is_loopback(daddr))
		goto rst;

	fwd_nat_from_tap(c, IPPROTO_TCP, daddr, ntohs(th->dest), &tgt);

	flow = flow_alloc();
	if (!flow) {
		debug("TCP: flow table full, refusing connection");
		goto rst;
	}

	s = tcp_sock_new(c, inany_v4(&tgt) ? AF_INET : AF_INET6);
	if (s < 0) {
		if (fd_is_short(errno))
			fd_short("connections", 1);
		else
			debug_perror("TCP: can't open socket, refusing");
		flow_free(flow);
		goto rst;
	}
	fd_short_over();

	conn = &flow->tcp;
	flow_from_tap(flow, FLOW_TCP, IPPROTO_TCP, saddr, ntohs(th->source),
		      daddr, ntohs(th->dest), &tgt, now);
	conn->tapside = INISIDE;
	conn->sock = s;
	conn->events = CONN_TAP_SYN_RCVD;
	conn->seq_init_from_tap = ntohl(th->seq);
	conn->seq_from_tap = conn->seq_init_from_tap + 1;
	conn->seq_to_tap = tcp_isn(conn, now);
	conn->seq_ack_from_tap = conn->seq_to_tap;
	conn->rto_ms = TCP_RTO_MIN_MS;
	tcp_syn_opts(c, conn, th);
	flow_hash_insert(flow, INISIDE);

	sl = inany_to_sockaddr(&sa, &tgt, ntohs(th->dest), c->ifi6);
	if (connect(s, (struct sockaddr *)&sa, sl) && errno != EINPROGRESS) {
		debug_perror("TCP flow %u: connect failed", conn_idx(conn));
		tcp_rst(c, conn);
		return;
	}

	if (tcp_conn_epoll(c, conn, EPOLL_CTL_ADD)) {
		tcp_rst(c, conn);
		return;
	}

	tcp_timer_set(conn, now, TCP_SYN_TIMEOUT_MS);
	debug("TCP flow %u: connecting to port %u", conn_idx(conn),
	      ntohs(th->dest));
	return;

rst:
	tcp_rst_unknown(c, saddr, daddr, th, 0);
}

/**
 * tcp_connect_finish() - The socket of an outbound connection is connected,
 *			  or failed to
 * @c:		Execution context
 * @conn:	Connection
 * @now:	Current time
 */
static void tcp_connect_finish(struct ctx *c, struct tcp_tap_conn *conn,
			       uint32_t events, const struct timespec *now)
{
	int err = 0;
	socklen_t sl = sizeof(err);

	/* A failed connect() reports an error or a hang-up besides EPOLLOUT */
	if ((events & (EPOLLERR | EPOLLHUP)) &&
	    (getsockopt(conn->sock, SOL_SOCKET, SO_ERROR, &err, &sl) || err ||
	     (events & EPOLLHUP))) {
		debug("TCP flow %u: connect failed: %s", conn_idx(conn),
		      err ? strerror(err) : "hang-up");
		tcp_rst(c, conn);
		return;
	}

	conn->events = CONN_TAP_SYN_ACK_SENT;
	conn->wnd_to_tap = TCP_WND_MAX;
	tcp_send_ctl(c, conn, FLAG_SYN | FLAG_ACK);
	conn->rto_ms = TCP_RTO_MIN_MS;
	tcp_timer_set(conn, now, conn->rto_ms);
}

/**
 * tcp_frame_payload() - Payload of each data frame to the guest
 * @c:		Execution context
 * @conn:	Connection
 *
 * Where the guest takes TCP frames longer than a segment, as many segments as
 * an IP packet holds go in one frame: its kernel takes it as received, merged.
 *
 * Return: the guest's MSS, or a multiple of it
 */
static size_t tcp_frame_payload(const struct ctx *c,
				const struct tcp_tap_conn *conn)
{
	size_t mss = conn->mss_to_tap;

	if (!tap_gso_ok(c) || mss * 2 > TCP_GSO_PAYLOAD_MAX)
		return mss;

	return TCP_GSO_PAYLOAD_MAX / mss * mss;
}

/**
 * tcp_sock_fin_rcvd() - Tell if the socket's peer closed its sending side
 * @conn:	Connection
 *
 * Return: true once the kernel got the peer's FIN (or the socket is closed)
 */
static bool tcp_sock_fin_rcvd(const struct tcp_tap_conn *conn)
{
	struct tcp_info ti;
	socklen_t sl = sizeof(ti);

	if (getsockopt(conn->sock, IPPROTO_TCP, TCP_INFO, &ti, &sl))
		return false;

	switch (ti.tcpi_state) {
	case TCP_CLOSE_WAIT:
	case TCP_LAST_ACK:
	case TCP_CLOSING:
	case TCP_TIME_WAIT:
	case TCP_CLOSE:
		return true;
	default:
		return false;
	}
}

/**
 * tcp_sock_peek() - Read new data from the socket into frames, send them
 * @c:		Execution context
 * @conn:	Connection
 * @now:	Current time
 *
 * Return: bytes sent to the guest, -1 if the connection was closed
 */
static ssize_t tcp_sock_peek(struct ctx *c, struct tcp_tap_conn *conn,
			     const struct timespec *now)
{
	uint32_t sent = conn->seq_to_tap - conn->seq_ack_from_tap;
	uint32_t wnd = conn->wnd_from_tap, avail, last;
	size_t seg = tcp_frame_payload(c, conn), cap = 0;
	struct iovec iov[LINK_LEND_IOV + 1], fiov[LINK_LEND_IOV + 1];
	struct msghdr mh = { .msg_iov = iov };
	struct link_lent *l = &tcp_lent;
	size_t nframes, want, i, k = 0, done;
	bool ack;
	ssize_t n;

	if (conn->events & (CONN_SOCK_FIN_RCVD | CONN_TAP_FIN_SENT))
		return 0;
	if (wnd <= sent) {
		/* Window full: if an update gets lost, only probes find out */
		if (!conn->timer_ms)
			tcp_timer_set(conn, now, conn->rto_ms);
		return 0;
	}
	avail = wnd - sent;

	if (!tcp_peek_off_ok) {
		if (sent > sizeof(tcp_discard))
			return 0;
		iov[k].iov_base = tcp_discard;
		iov[k++].iov_len = sent;
	} else if (sent && !conn->peek_off_set && tcp_peek_off(conn, sent)) {
		tcp_rst(c, conn);
		return -1;
	}

	/* Pending control frames (the SYN-ACK, say) go first: no frame may
	 * go out while buffers are lent. Our own ACK rides on the data.
	 */
	ack = conn->flags & TCP_ACK_PENDING;
	conn->flags &= ~TCP_ACK_PENDING;
	tcp_defer_flush(c);

	want = MIN((size_t)TCP_FRAMES, DIV_ROUND_UP(avail, seg));
	l->hdrlen = tcp_data_hdrlen(conn);
	l->seg = seg;
	if (!tap_lend(c, l, want, avail)) {
		conn->flags |= TCP_TAP_BLOCKED;
		goto nothing;
	}
	seg = l->seg;
	for (i = 0; i < l->niov; i++) {
		iov[k++] = l->iov[i];
		cap += l->iov[i].iov_len;
	}
	mh.msg_iovlen = k;

	n = recvmsg(conn->sock, &mh, MSG_PEEK | MSG_DONTWAIT);
	if (n < 0) {
		tap_commit(c, l, NULL, 0, 0, 0);
		if (errno == EAGAIN || errno == EWOULDBLOCK) {
			conn->flags |= TCP_SOCK_DRAINED;
			goto nothing;
		}
		if (errno == EINTR)
			goto nothing;
		debug_perror("TCP flow %u: read failed", conn_idx(conn));
		tcp_rst(c, conn);
		return -1;
	}

	if (!tcp_peek_off_ok) {
		/* The data already sent came again: past it, only a FIN
		 * from the peer ends the stream, no new data isn't the end
		 */
		if ((size_t)n <= sent && sent && !tcp_sock_fin_rcvd(conn)) {
			tap_commit(c, l, NULL, 0, 0, 0);
			goto nothing;
		}
		n = (size_t)n < sent ? 0 : n - sent;
	}

	if (!n) {
		/* End of data: FIN, once the guest has the rest */
		tap_commit(c, l, NULL, 0, 0, 0);
		conn->events |= CONN_SOCK_FIN_RCVD;
		conn->events |= CONN_TAP_FIN_SENT;
		tcp_send_ctl(c, conn, FLAG_FIN | FLAG_ACK);
		tcp_timer_set(conn, now, conn->rto_ms);
		return 0;
	}

	nframes = DIV_ROUND_UP((size_t)n, seg);
	last = n - (nframes - 1) * seg;
	for (i = 0; i < nframes; i++) {
		size_t plen = i == nframes - 1 ? last : seg, npl = 0;

		/* A full checksum, only over our own buffers (tap_lend()) */
		if (tap_l4_csum(c)) {
			npl = tap_lent_frame(l, i, &tcp_hdr_iov[i], plen, fiov,
					     ARRAY_SIZE(fiov)) - 1;
		}
		tcp_frame_fill(c, conn, &tcp_hdrs[i], &tcp_hdr_iov[i],
			       FLAG_ACK | (i == nframes - 1 ? FLAG_PSH : 0),
			       conn->seq_to_tap + i * seg, fiov + 1, npl, plen);
	}

	done = tap_commit(c, l, tcp_hdr_iov, nframes, last,
			  seg > conn->mss_to_tap ? conn->mss_to_tap : 0);

	if (done < nframes) {
		size_t ok = done ? MIN((size_t)n, done * seg) : 0;
		int off = sent + ok;

		conn->flags |= TCP_TAP_BLOCKED;
		if (tcp_peek_off(conn, off)) {
			tcp_rst(c, conn);
			return -1;
		}
		n = ok;
	} else if (l->n < want && (size_t)n == cap) {
		/* The guest had buffers for less: more when it has more */
		conn->flags |= TCP_TAP_BLOCKED;
	} else if ((size_t)n < cap && !(conn->flags & TCP_SOCK_REREAD)) {
		/* All there was: new data, or the end of it, comes with an
		 * edge. Once the peer's FIN came, though, a read past the data
		 * is what finds the end, and reads stop at an urgent mark (the
		 * next one goes on past it): keep reading
		 */
		conn->flags |= TCP_SOCK_DRAINED;
	}

	if (!n && ack)
		tcp_ack_defer(c, conn);
	if (!sent && n)
		tcp_timer_set(conn, now, conn->rto_ms);
	conn->seq_to_tap += n;

	return n;

nothing:
	if (ack)
		tcp_ack_defer(c, conn);
	return 0;
}

/**
 * tcp_data_from_sock() - Send what the socket has, as the window allows
 * @c:		Execution context
 * @conn:	Connection
 * @now:	Current time
 */
static void tcp_data_from_sock(struct ctx *c, struct tcp_tap_conn *conn,
			       const struct timespec *now)
{
	int i;

	if (!(conn->events & CONN_ESTABLISHED) ||
	    (conn->flags & TCP_SOCK_DRAINED))
		return;

	for (i = 0; i < TCP_READS_PER_EVENT; i++) {
		ssize_t n = tcp_sock_peek(c, conn, now);

		if (n <= 0 || (n < (ssize_t)(TCP_FRAMES *
					     tcp_frame_payload(c, conn)) &&
			       !(conn->flags & TCP_SOCK_REREAD)))
			break;
	}
}

/**
 * tcp_rewind() - Go back to the last acknowledged byte, to resend from there
 * @conn:	Connection
 *
 * Return: 0 on success, -1 if the connection has to be reset
 */
static int tcp_rewind(struct tcp_tap_conn *conn)
{
	conn->seq_to_tap = conn->seq_ack_from_tap;
	conn->events &= ~(CONN_TAP_FIN_SENT | CONN_SOCK_FIN_RCVD);
	conn->flags &= ~TCP_SOCK_DRAINED;
	return tcp_peek_off(conn, 0);
}

/**
 * tcp_check_close() - Close a connection that's finished in both directions
 * @c:		Execution context
 * @conn:	Connection
 *
 * Return: true if it was closed
 */
static bool tcp_check_close(struct ctx *c, struct tcp_tap_conn *conn)
{
	if ((conn->events & CONN_TAP_FIN_ACKED) &&
	    (conn->events & CONN_TAP_FIN_RCVD)) {
		/* The ACK of the guest's FIN, built now, goes with the batch */
		if (conn->flags & TCP_ACK_PENDING)
			tcp_send_ctl(c, conn, FLAG_ACK);
		tcp_conn_close(c, conn, false);
		return true;
	}

	return false;
}

/**
 * tcp_ack_from_tap() - Process the acknowledgement and window from the guest
 * @conn:	Connection
 * @ack:	Highest acknowledgement number of the batch
 * @wnd:	Window of the last segment, scaled
 * @dup:	Number of duplicate ACKs in the batch
 * @now:	Current time
 *
 * Return: 0 on success, -1 if the socket is out of step with the guest:
 *	   the caller resets the connection
 */
static int tcp_ack_from_tap(struct tcp_tap_conn *conn, uint32_t ack,
			    uint32_t wnd, unsigned dup,
			    const struct timespec *now)
{
	uint32_t acked = ack - conn->seq_ack_from_tap;
	uint32_t end = conn->seq_to_tap;

	conn->wnd_from_tap = wnd;

	/* Any answer to a window probe: the guest is there */
	if (conn->flags & TCP_PERSIST) {
		conn->flags &= ~TCP_PERSIST;
		conn->retries = 0;
		conn->rto_ms = TCP_RTO_MIN_MS;
		conn->timer_ms = 0;
	}

	if (SEQ_GT(ack, conn->seq_ack_from_tap) && SEQ_LE(ack, end)) {
		uint32_t data = acked;

		/* A FIN takes a sequence number, not a byte of data */
		if ((conn->events & CONN_TAP_FIN_SENT) && ack == end) {
			data--;
			conn->events |= CONN_TAP_FIN_ACKED;
		}
		/* Counted once acknowledged: retransmissions don't add up */
		conn->f.bytes[!conn->tapside] += data;
		while (data) {
			ssize_t n = recv(conn->sock, NULL, data,
					 MSG_TRUNC | MSG_DONTWAIT);

			if (n <= 0) {
				/* What was sent and acknowledged is in the
				 * socket: not taking it out would misplace
				 * every byte after it
				 */
				debug_perror("TCP flow %u: discarding acknowledged "
					     "data", conn_idx(conn));
				return -1;
			}
			data -= n;
		}
		conn->seq_ack_from_tap = ack;
		conn->retries = 0;
		conn->dup_acks = 0;
		conn->rto_ms = TCP_RTO_MIN_MS;
		conn->flags &= ~TCP_TAP_BLOCKED;
		if (ack == end)
			conn->timer_ms = 0;
		else
			tcp_timer_set(conn, now, conn->rto_ms);
		return 0;
	}

	if (!dup || conn->seq_ack_from_tap == end)
		return 0;

	conn->dup_acks += dup;
	if (conn->dup_acks >= TCP_DUP_ACKS) {
		debug("TCP flow %u: fast retransmit", conn_idx(conn));
		conn->dup_acks = 0;
		return tcp_rewind(conn);
	}

	return 0;
}

/**
 * struct tcp_seg - A segment of a batch, parsed
 * @th:		TCP header
 * @data:	Payload, or its first part: the rest is in @tail
 * @dlen:	Length of @data
 * @tail:	Rest of the payload, elsewhere (length 0 if none)
 * @len:	Payload length
 * @seq:	Sequence number, host order
 */
struct tcp_seg {
	const struct tcphdr *th;
	const char *data;
	size_t dlen;
	struct pkt_tail tail;
	size_t len;
	uint32_t seq;
};

/**
 * tcp_segs_parse() - Check and parse the segments of a batch
 * @p:		Pool of segments
 * @segs:	Parsed segments, filled
 *
 * Return: number of well-formed segments
 */
static size_t tcp_segs_parse(const struct pool *p, struct tcp_seg *segs)
{
	size_t i, n = 0;

	for (i = 0; i < p->count && n < TCP_SEGS_MAX; i++) {
		const struct tcphdr *th;
		size_t len = packet_len(p, i), hlen;

		th = packet_get(p, i, 0, sizeof(*th), NULL);
		if (!th) {
			stats_drop(STATS_DROP_MALFORMED_L4);
			continue;
		}
		hlen = th->doff * 4;
		if (hlen < sizeof(*th) || hlen > len ||
		    !packet_get(p, i, 0, hlen, NULL)) {
			trace("TCP: dropping segment with bad data offset");
			stats_drop(STATS_DROP_MALFORMED_L4);
			continue;
		}

		segs[n].th = th;
		segs[n].data = packet_slice(p, i, hlen, len - hlen,
					    &segs[n].dlen, &segs[n].tail);
		if (!segs[n].data) {
			stats_drop(STATS_DROP_MALFORMED_L4);
			continue;
		}
		segs[n].len = len - hlen;
		segs[n].seq = ntohl(th->seq);
		n++;
	}

	return n;
}

/**
 * tcp_seg_iov() - Buffers of the payload of a segment, from an offset on
 * @seg:	Segment
 * @skip:	Bytes of its payload to leave out, at the start
 * @iov:	Buffers, set
 * @max:	Room in @iov
 *
 * Return: entries of @iov set, 0 if they don't fit
 */
static size_t tcp_seg_iov(const struct tcp_seg *seg, size_t skip,
			  struct iovec *iov, size_t max)
{
	size_t n = 0, m;

	if (skip < seg->dlen) {
		if (!max)
			return 0;
		iov[n].iov_base = (char *)seg->data + skip;
		iov[n++].iov_len = seg->dlen - skip;
		skip = 0;
	} else {
		skip -= seg->dlen;
	}

	if (skip >= seg->tail.len)
		return n;		/* Nothing from the tail */

	m = packet_tail_iov(&seg->tail, skip, iov + n, max - n);
	return m ? n + m : 0;
}

/**
 * tcp_segs_sort() - Sort segments by sequence number, keeping ties in order
 * @segs:	Segments
 * @n:		Number of segments
 */
static void tcp_segs_sort(struct tcp_seg *segs, size_t n)
{
	size_t i, j;

	for (i = 1; i < n; i++) {
		struct tcp_seg s = segs[i];

		for (j = i; j > 0 && SEQ_GT(segs[j - 1].seq, s.seq); j--)
			segs[j] = segs[j - 1];
		segs[j] = s;
	}
}

/**
 * tcp_ts_update() - Take the timestamp of an in-order segment, to echo it
 * @conn:	Connection, with timestamps in use
 * @th:		TCP header of the segment
 */
static void tcp_ts_update(struct tcp_tap_conn *conn, const struct tcphdr *th)
{
	const uint8_t *ts = tcp_opt_get(th, TCPOPT_TIMESTAMP,
					TCPOLEN_TIMESTAMP);
	uint32_t v;

	if (!ts)
		return;

	memcpy(&v, ts, sizeof(v));
	if (SEQ_GE(ntohl(v), conn->ts_recent))
		conn->ts_recent = ntohl(v);
}

/**
 * tcp_dup_acks() - Send duplicate ACKs, so that the guest resends lost data
 * @c:		Execution context
 * @conn:	Connection, in recovery: the window stays the same
 * @n:		How many
 */
static void tcp_dup_acks(struct ctx *c, struct tcp_tap_conn *conn, unsigned n)
{
	while (n--)
		tcp_send_ctl(c, conn, FLAG_ACK);
}

/**
 * tcp_data_from_tap() - Write the guest's in-order data, take its ACKs
 * @c:		Execution context
 * @conn:	Established connection
 * @segs:	Segments of the batch
 * @n:		Number of segments
 * @now:	Current time
 *
 * Data the socket doesn't take, or that comes after a hole, is dropped and
 * the window frozen: each segment past the hole is answered by a duplicate
 * ACK, at once, or once the socket has room again if it was full, and the
 * guest retransmits from the hole (RFC 5681, 3.2).
 */
static void tcp_data_from_tap(struct ctx *c, struct tcp_tap_conn *conn,
			      struct tcp_seg *segs, size_t n,
			      const struct timespec *now)
{
	uint32_t next = conn->seq_from_tap, ack = conn->seq_ack_from_tap;
	uint32_t wnd = conn->wnd_from_tap, start = conn->seq_from_tap;
	bool fin = false, data = false, probe = false;
	static struct iovec iov[TCP_WRITE_IOV];
	struct msghdr mh = { 0 };
	size_t i, k = 0, total = 0;
	unsigned dup = 0, past_hole = 0;
	ssize_t written = 0;
	uint32_t skip;

	tcp_segs_sort(segs, n);

	for (i = 0; i < n; i++) {
		const struct tcphdr *th = segs[i].th;
		uint32_t seq = segs[i].seq, len = segs[i].len;

		if (th->ack) {
			uint32_t a = ntohl(th->ack_seq);

			if (SEQ_GE(a, ack))
				wnd = (uint32_t)ntohs(th->window) <<
				      conn->ws_from_tap;
			if (SEQ_GT(a, ack))
				ack = a;
			else if (!len && !th->fin && !th->syn &&
				 a == conn->seq_ack_from_tap)
				dup++;
		}

		if (!len && !th->fin) {
			/* Below what we expect, as keepalive probes are: not
			 * acceptable, answer with an ACK (RFC 9293, 3.10.7.4)
			 */
			if (SEQ_LT(seq, start))
				probe = true;
			continue;
		}
		data = true;

		if (SEQ_LT(seq, next)) {
			skip = next - seq;

			if (skip >= len && !(th->fin && skip == len))
				continue;	/* Old data */
			if (skip > len)
				continue;	/* The FIN again */
			len -= skip;
		} else if (SEQ_GT(seq, next)) {
			past_hole++;
			continue;
		} else {
			skip = 0;
		}

		if (len) {
			size_t m = tcp_seg_iov(&segs[i], skip, iov + k,
					       ARRAY_SIZE(iov) - k);

			if (!m) {
				/* No room this time: as if it was lost */
				past_hole++;
				continue;
			}
			k += m;
			total += len;
			next += len;
		}
		if (th->fin && !(conn->events & CONN_TAP_FIN_RCVD))
			fin = true;
		if (conn->ts_ok)
			tcp_ts_update(conn, th);
	}

	if (conn->events & CONN_TAP_FIN_RCVD) {
		/* Nothing more can be written: acknowledge, don't write */
		k = 0;
		total = 0;
	}

	for (i = 0; i < k; ) {
		size_t want = 0, niov = MIN(k - i, (size_t)TCP_IOV_PER_CALL), j;
		ssize_t w;

		mh.msg_iov = iov + i;
		mh.msg_iovlen = niov;
		for (j = 0; j < niov; j++)
			want += iov[i + j].iov_len;

		w = sendmsg(conn->sock, &mh, MSG_DONTWAIT | MSG_NOSIGNAL);
		if (w < 0) {
			if (errno != EAGAIN && errno != EWOULDBLOCK) {
				debug_perror("TCP flow %u: write failed",
					     conn_idx(conn));
				tcp_rst(c, conn);
				return;
			}
			break;
		}
		written += w;
		if ((size_t)w < want)
			break;
		i += niov;
	}

	if (k) {
		conn->seq_from_tap += written;
		conn->f.bytes[conn->tapside] += written;
		if ((size_t)written < total) {
			debug("TCP flow %u: socket took %zi of %zu bytes",
			      conn_idx(conn), written, total);
			fin = false;
			conn->flags |= TCP_RECOVERY | TCP_WRITE_SHORT;
			if (!(conn->flags & TCP_WND_LOW)) {
				conn->flags |= TCP_WND_LOW;
				tcp_conn_epoll(c, conn, EPOLL_CTL_MOD);
			}
		}
	}

	if (fin) {
		sock_shut_wr(conn->sock);
		conn->seq_from_tap++;
		conn->events |= CONN_TAP_FIN_RCVD;
		debug("TCP flow %u: FIN from guest", conn_idx(conn));
	}

	if (tcp_ack_from_tap(conn, ack, wnd, dup, now)) {
		tcp_rst(c, conn);
		return;
	}

	/* Past the hole and written in full: recovery is over */
	if (conn->seq_from_tap != start && !past_hole &&
	    !(conn->flags & TCP_WRITE_SHORT))
		conn->flags &= ~TCP_RECOVERY;

	if (past_hole) {
		trace("TCP flow %u: %u segments past a hole", conn_idx(conn),
		      past_hole);
		/* Small windows leave few segments past a hole: make each
		 * batch past it count as enough for a fast retransmit */
		conn->flags |= TCP_RECOVERY;
		if (!(conn->flags & TCP_WRITE_SHORT))
			tcp_dup_acks(c, conn, TCP_DUP_ACKS);
	} else if (data || probe) {
		tcp_wnd_update(c, conn, written);
		tcp_ack_defer(c, conn);
	}

	if (tcp_check_close(c, conn))
		return;

	tcp_data_from_sock(c, conn, now);
}

/**
 * tcp_tap_syn_ack() - The guest answers our SYN (inbound connection)
 * @c:		Execution context
 * @conn:	Connection
 * @th:		Segment from the guest
 * @now:	Current time
 */
static void tcp_tap_syn_ack(struct ctx *c, struct tcp_tap_conn *conn,
			    const struct tcphdr *th, const struct timespec *now)
{
	if (!th->syn || !th->ack || ntohl(th->ack_seq) != conn->seq_to_tap) {
		if (!th->rst)
			tcp_rst(c, conn);
		else
			tcp_conn_close(c, conn, true);
		return;
	}

	tcp_syn_opts(c, conn, th);
	conn->seq_init_from_tap = ntohl(th->seq);
	conn->seq_from_tap = conn->seq_init_from_tap + 1;
	conn->seq_ack_from_tap = conn->seq_to_tap;
	conn->events = CONN_ESTABLISHED;
	conn->timer_ms = 0;
	conn->retries = 0;
	tcp_wnd_update(c, conn, 0);
	tcp_send_ctl(c, conn, FLAG_ACK);
	tcp_conn_epoll(c, conn, EPOLL_CTL_MOD);

	debug("TCP flow %u: established (inbound)", conn_idx(conn));
	tcp_data_from_sock(c, conn, now);
}

/**
 * tcp_tap_handler() - Segments of one flow from the guest
 * @c:		Execution context
 * @saddr:	Source address
 * @daddr:	Destination address
 * @p:		Pool of segments, TCP header and payload each
 * @now:	Current time
 */
void tcp_tap_handler(struct ctx *c, const union inany_addr *saddr,
		     const union inany_addr *daddr, const struct pool *p,
		     const struct timespec *now)
{
	static struct tcp_seg segs[TCP_SEGS_MAX];
	struct tcp_tap_conn *conn;
	const struct tcphdr *th;
	union flow *flow;
	size_t n, i;

	n = tcp_segs_parse(p, segs);
	if (!n)
		return;
	th = segs[0].th;

	flow = flow_lookup(IPPROTO_TCP, PIF_TAP, saddr, ntohs(th->source),
			   daddr, ntohs(th->dest), NULL);
	if (!flow) {
		if (th->syn && !th->ack && !th->rst && !th->fin)
			tcp_conn_from_tap(c, saddr, daddr, th, now);
		else if (!th->rst)
			tcp_rst_unknown(c, saddr, daddr, th, segs[0].len);
		return;
	}
	conn = &flow->tcp;

	for (i = 0; i < n; i++) {
		if (segs[i].th->rst) {
			debug("TCP flow %u: reset by guest", conn_idx(conn));
			tcp_conn_close(c, conn, true);
			return;
		}
	}

	if (conn->events & CONN_TAP_SYN_RCVD)
		return;		/* Still connecting: the SYN again */

	if (conn->events & CONN_SOCK_ACCEPTED) {
		tcp_tap_syn_ack(c, conn, th, now);
		return;
	}

	if (conn->events & CONN_TAP_SYN_ACK_SENT) {
		if (th->syn && !th->ack) {
			/* Our SYN-ACK got lost: send it again */
			conn->seq_to_tap--;
			tcp_send_ctl(c, conn, FLAG_SYN | FLAG_ACK);
			return;
		}
		if (!th->ack || ntohl(th->ack_seq) != conn->seq_to_tap) {
			tcp_rst(c, conn);
			return;
		}
		conn->events = CONN_ESTABLISHED;
		conn->seq_ack_from_tap = conn->seq_to_tap;
		conn->timer_ms = 0;
		conn->retries = 0;
		debug("TCP flow %u: established", conn_idx(conn));
	}

	tcp_data_from_tap(c, conn, segs, n, now);
}

/**
 * tcp_conn_from_sock() - An accepted connection: send a SYN to the guest
 * @c:		Execution context
 * @ref:	epoll reference of the listening socket
 * @s:		Accepted socket
 * @sa:		Peer address
 * @now:	Current time
 */
static void tcp_conn_from_sock(struct ctx *c, union epoll_ref ref, int s,
			       const struct sockaddr_storage *sa,
			       const struct timespec *now)
{
	const struct fwd_ports *fwd = &c->run->fwd[FWD_TCP_IN];
	union inany_addr peer, src;
	struct tcp_tap_conn *conn;
	in_port_t pport, dport;
	union flow *flow;

	inany_from_sockaddr(sa, &peer, &pport);

	dport = ref.listen.rule < fwd->nr_rules ?
		fwd_rule_target(&fwd->rules[ref.listen.rule],
				ref.listen.port) : ref.listen.port;

	if (fwd_nat_to_tap(c, &peer, &src) ||
	    (inany_v4(&src) ? !ipv4_enabled(c) : !ipv6_enabled(c))) {
		debug("TCP: no way to show this peer to the guest, resetting");
		sock_close_reset(s);
		return;
	}

	flow = flow_alloc();
	if (!flow) {
		sock_close_reset(s);
		return;
	}

	conn = &flow->tcp;
	flow_start(flow, FLOW_TCP, IPPROTO_TCP, now);
	conn->f.pif[INISIDE] = PIF_HOST;
	conn->f.pif[TGTSIDE] = PIF_TAP;
	conn->f.side[INISIDE].eaddr = peer;
	conn->f.side[INISIDE].eport = pport;
	conn->f.side[INISIDE].oport = ref.listen.port;
	conn->f.side[TGTSIDE].oaddr = src;
	conn->f.side[TGTSIDE].oport = pport;
	conn->f.side[TGTSIDE].eport = dport;
	if (inany_v4(&src))
		inany_from_v4(&conn->f.side[TGTSIDE].eaddr, c->run->addr4_seen);
	else
		conn->f.side[TGTSIDE].eaddr.a6 = *guest_addr6(c);
	conn->tapside = TGTSIDE;
	conn->sock = s;
	conn->events = CONN_SOCK_ACCEPTED;
	conn->seq_to_tap = tcp_isn(conn, now);
	conn->seq_ack_from_tap = conn->seq_to_tap;
	conn->ws_to_tap = TCP_WS_TO_TAP;
	conn->wnd_to_tap = TCP_WND_MAX;
	conn->mss_to_tap = TCP_MSS_FALLBACK;
	conn->ts_ok = true;	/* Offered in our SYN, kept if the guest agrees */
	conn->rto_ms = TCP_RTO_MIN_MS;
	flow_hash_insert(flow, TGTSIDE);

	if (tcp_conn_epoll(c, conn, EPOLL_CTL_ADD)) {
		tcp_conn_close(c, conn, true);
		return;
	}

	tcp_send_ctl(c, conn, FLAG_SYN);
	tcp_timer_set(conn, now, conn->rto_ms);
	fd_short_over();
	debug("TCP flow %u: inbound connection to guest port %u",
	      conn_idx(conn), dport);
}

/**
 * tcp_listen_handler() - Accept connections on a forwarded port
 * @c:		Execution context
 * @ref:	epoll reference of the listening socket
 * @now:	Current time
 */
void tcp_listen_handler(struct ctx *c, union epoll_ref ref,
			const struct timespec *now)
{
	struct sockaddr_storage sa = { 0 };
	socklen_t sl;
	int s;

	for (;;) {
		sl = sizeof(sa);
		s = accept4(ref.fd, (struct sockaddr *)&sa, &sl,
			    SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (s < 0) {
			/* Left waiting, they'd wake us up again at once */
			if (fd_is_short(errno))
				fd_refuse_backlog(ref.fd);
			break;
		}

		if (!c->no_splice &&
		    tcp_splice_conn_from_sock(c, ref, s, &sa, now))
			continue;

		if (c->run->fd_tap < 0) {
			sock_close_reset(s);	/* No guest to forward to */
			continue;
		}

		tcp_conn_from_sock(c, ref, s, &sa, now);
	}
}

/**
 * tcp_sock_handler() - Events on the socket of a connection
 * @c:		Execution context
 * @ref:	epoll reference
 * @events:	epoll events
 * @now:	Current time
 */
void tcp_sock_handler(struct ctx *c, union epoll_ref ref, uint32_t events,
		      const struct timespec *now)
{
	struct tcp_tap_conn *conn = conn_at(ref.flow);

	/* Closed, or closed and reused, earlier in the same batch of events */
	if (conn->f.type != FLOW_TCP || conn->sock != ref.fd)
		return;

	/* In any state: the edge doesn't come again (see tcp_sock_peek()) */
	if (events & (EPOLLRDHUP | EPOLLHUP | EPOLLPRI))
		conn->flags |= TCP_SOCK_REREAD;

	if (conn->events & CONN_TAP_SYN_RCVD) {
		if (events & (EPOLLOUT | EPOLLERR | EPOLLHUP))
			tcp_connect_finish(c, conn, events, now);
		return;
	}

	if (events & EPOLLERR) {
		int err = 0;
		socklen_t sl = sizeof(err);

		getsockopt(conn->sock, SOL_SOCKET, SO_ERROR, &err, &sl);
		debug("TCP flow %u: socket error: %s", conn_idx(conn),
		      strerror(err));
		tcp_rst(c, conn);
		return;
	}

	if (!(conn->events & CONN_ESTABLISHED))
		return;

	if (events & EPOLLOUT) {
		if (conn->flags & TCP_WRITE_SHORT) {
			/* A write came up short: have the guest resend */
			conn->flags &= ~(TCP_WRITE_SHORT | TCP_WND_LOW);
			tcp_dup_acks(c, conn, TCP_DUP_ACKS);
		} else if (conn->flags & TCP_WND_LOW) {
			conn->flags &= ~TCP_WND_LOW;
			tcp_wnd_update(c, conn, 0);
			tcp_ack_defer(c, conn);
		}
	}

	if (events & (EPOLLIN | EPOLLPRI | EPOLLRDHUP | EPOLLHUP)) {
		conn->flags &= ~TCP_SOCK_DRAINED;
		tcp_data_from_sock(c, conn, now);
	}
}

/**
 * tcp_flow_timer() - Timer for one connection: retransmission, timeouts
 * @c:		Execution context
 * @conn:	Connection
 * @now:	Current time
 */
void tcp_flow_timer(struct ctx *c, struct tcp_tap_conn *conn,
		    const struct timespec *now)
{
	if (!conn->timer_ms || timespec_ms(now) < conn->timer_ms)
		return;
	conn->timer_ms = 0;

	if (conn->events & CONN_TAP_SYN_RCVD) {
		debug("TCP flow %u: connect timed out", conn_idx(conn));
		tcp_rst(c, conn);
		return;
	}

	if (++conn->retries > TCP_MAX_RETRIES) {
		debug("TCP flow %u: no progress, resetting", conn_idx(conn));
		tcp_rst(c, conn);
		return;
	}
	conn->rto_ms = MIN(conn->rto_ms * 2, (uint32_t)TCP_RTO_MAX_MS);

	if (conn->events & (CONN_SOCK_ACCEPTED | CONN_TAP_SYN_ACK_SENT)) {
		bool syn_ack = conn->events & CONN_TAP_SYN_ACK_SENT;

		conn->seq_to_tap--;
		tcp_send_ctl(c, conn, FLAG_SYN | (syn_ack ? FLAG_ACK : 0));
		tcp_timer_set(conn, now, conn->rto_ms);
		tcp_defer_flush(c);
		return;
	}

	if (conn->seq_to_tap == conn->seq_ack_from_tap &&
	    !(conn->flags & TCP_TAP_BLOCKED)) {
		if (conn->wnd_from_tap >= conn->mss_to_tap) {
			/* Window open, nothing in flight: nothing to wait for */
			conn->retries = 0;
			tcp_data_from_sock(c, conn, now);
			tcp_defer_flush(c);
			return;
		}

		/* Zero window probe: an old sequence number, the guest
		 * answers with an ACK and its current window (RFC 9293) */
		trace("TCP flow %u: window probe", conn_idx(conn));
		conn->flags |= TCP_PERSIST;
		conn->seq_to_tap--;
		tcp_send_ctl(c, conn, FLAG_ACK);
		conn->seq_to_tap++;
		tcp_timer_set(conn, now, conn->rto_ms);
		tcp_defer_flush(c);
		return;
	}

	trace("TCP flow %u: retransmission timeout", conn_idx(conn));
	conn->flags &= ~TCP_TAP_BLOCKED;
	if (tcp_rewind(conn)) {
		tcp_rst(c, conn);
		return;
	}
	tcp_timer_set(conn, now, conn->rto_ms);
	tcp_data_from_sock(c, conn, now);
	tcp_defer_flush(c);
}

/**
 * tcp_tap_writable() - The guest's socket can take frames again
 * @c:		Execution context
 * @now:	Current time
 */
void tcp_tap_writable(struct ctx *c, const struct timespec *now)
{
	unsigned i;

	for (i = 0; i < flow_span(); i++) {
		struct tcp_tap_conn *conn = conn_at(i);

		if (conn->f.type != FLOW_TCP ||
		    !(conn->flags & TCP_TAP_BLOCKED))
			continue;
		conn->flags &= ~TCP_TAP_BLOCKED;
		tcp_data_from_sock(c, conn, now);
	}
}

/**
 * tcp_flow_pending() - Tell if the guest has yet to finish sending
 * @conn:	Connection
 *
 * Return: true until the guest's FIN, and all its data before it, went to
 *	   the socket
 */
bool tcp_flow_pending(const struct tcp_tap_conn *conn)
{
	return !(conn->events & CONN_TAP_FIN_RCVD);
}

/**
 * tcp_flow_end() - End a connection for good: we exit, or the guest left
 * @c:		Execution context
 * @conn:	Connection
 * @tap_up:	The guest is still there: reset its side too
 *
 * Once the guest sent its FIN, everything it sent is in the socket, with a
 * FIN queued behind: the socket closes as usual, and the kernel delivers what
 * it still holds. What the peer sent that nobody will read is dropped first,
 * or the close would turn into a reset. Without the guest's FIN, the stream
 * is cut: reset it, the peer mustn't take it for a whole one.
 */
void tcp_flow_end(struct ctx *c, struct tcp_tap_conn *conn, bool tap_up)
{
	bool whole = !tcp_flow_pending(conn);

	if (tap_up && !(whole && (conn->events & CONN_TAP_FIN_ACKED)))
		tcp_send_ctl(c, conn, FLAG_RST | FLAG_ACK);

	if (whole && conn->sock >= 0)
		sock_discard(conn->sock);
	else if (conn->sock >= 0)
		debug("TCP flow %u: the guest's side didn't finish",
		      conn_idx(conn));

	tcp_conn_close(c, conn, !whole);
}

/**
 * tcp_addr_gone() - The host's address of a connection went away: reset it
 * @c:		Execution context
 * @conn:	Connection
 *
 * Nothing sent from that address can be answered any longer: the guest
 * learns now that the connection is cut, instead of after retransmitting
 * for minutes.
 */
void tcp_addr_gone(struct ctx *c, struct tcp_tap_conn *conn)
{
	debug("TCP flow %u: the host's address of it is gone, resetting",
	      conn_idx(conn));
	tcp_rst(c, conn);
}

/**
 * tcp_tap_reset() - The guest went away: end its connections
 * @c:		Execution context
 */
void tcp_tap_reset(struct ctx *c)
{
	unsigned i;

	tcp_ctl_n = 0;
	tcp_ack_n = 0;

	for (i = 0; i < flow_span(); i++) {
		struct tcp_tap_conn *conn = conn_at(i);

		if (conn->f.type == FLOW_TCP)
			tcp_flow_end(c, conn, false);
	}
}

/**
 * tcp_init() - Check kernel features TCP relies on
 * @c:		Execution context
 *
 * Return: 0
 */
int tcp_init(struct ctx *c)
{
	int s, zero = 0;

	(void)c;
	if (raw_random(&tcp_isn_key, sizeof(tcp_isn_key)))
		die("Can't get random bytes for sequence numbers");

	s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, IPPROTO_TCP);
	if (s >= 0) {
		tcp_peek_off_ok = !setsockopt(s, SOL_SOCKET, SO_PEEK_OFF,
					      &zero, sizeof(zero));
		close(s);
	}
	debug("TCP: SO_PEEK_OFF %ssupported", tcp_peek_off_ok ? "" : "not ");

	return 0;
}
