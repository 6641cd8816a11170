// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * passt - user-mode networking for virtual machines and namespaces
 *
 * test/fuzz/fuzz_tap.c - libFuzzer harness for the stream from the guest
 *
 * The input is what a qemu guest writes on passt's UNIX domain socket: each
 * Ethernet frame preceded by its length, 32 bits, big endian. It goes
 * through a real stream socket (a socketpair) into link_stream_handler(), so
 * that framing, partial reads, ARP, IPv4 and IPv6, DHCP, DHCPv6, NDP, and
 * the TCP, UDP and ICMP translation all see it as they would from qemu.
 * Whatever passt writes back is read, and checked: the stream must stay
 * well framed, and the IP lengths and checksums of every frame right.
 *
 * The process first moves to new user and network namespaces, where the
 * only interface is loopback: nothing can leave the machine. Loopback is
 * brought up, and the harness serves a few ports there, as the host side
 * of the guest's connections: TCP port 80 (sends a greeting, then echoes),
 * TCP port 81 (its queue of connections is full: connecting hangs), TCP
 * port 82 (accepts, never reads, and advertises a small window: data waits
 * in passt's socket), UDP ports 7 and 53 (echo). The guest reaches them
 * through the gateway address (192.0.2.1, 2001:db8::1, mapped to the
 * host's loopback), and through 192.0.2.3 and 2001:db8::3 for DNS
 * (--dns-forward). Anything else is unreachable.
 *
 * The destination MAC address of frames from the guest means nothing to
 * passt. The harness takes the low bits of its last byte as directions:
 *
 *   FUZZ_CTL_RAW (0x01)	leave the frame as it is. Otherwise, before
 *				it's written, the harness sets the IP and UDP
 *				lengths to match the frame, makes IP, TCP, UDP,
 *				ICMP and ICMPv6 checksums valid, and adds the
 *				initial sequence number passt chose for the
 *				connection to the acknowledgement number of TCP
 *				segments: the input counts acknowledgements
 *				from zero, as the guest's "relative" numbers.
 *   FUZZ_CTL_FLUSH (0x02)	what comes before this frame is a batch of
 *				its own: it's written, handled, and socket
 *				events (connections completing, replies) are
 *				handled before this frame is written.
 *   FUZZ_CTL_HOST (0x04)	as FUZZ_CTL_FLUSH, then, before this frame,
 *				the host side connects to port 8080 and sends
 *				a datagram to port 5353, from loopback (IPv4
 *				for the first such frame, IPv6 for the second,
 *				and so on), from ports 41000 (TCP) and 42000
 *				(UDP) plus the number of earlier such frames.
 *				The guest sees them coming from the gateway.
 *   FUZZ_CTL_SMALL (0x08)	in the first frame only: passt's end of the
 *				socket gets a small send buffer, so that
 *				writes to the guest come up short.
 *   FUZZ_CTL_REVERSE (0x20)	in the first frame only: handle the events of
 *				each epoll_wait() in reverse order. The kernel
 *				lists them in the order they became ready:
 *				with other timings, any order is possible.
 *   FUZZ_CTL_BURST (0x40)	as FUZZ_CTL_FLUSH, but the batch before this
 *				frame gets a single round of events: what it
 *				causes (connections completing, replies,
 *				errors) is still pending as this frame is
 *				written, and passt sees it in the same
 *				epoll_wait() as the frames that follow, in
 *				any order with FUZZ_CTL_REVERSE. Likewise for
 *				what FUZZ_CTL_HOST and FUZZ_CTL_SPLIT write.
 *   FUZZ_CTL_SPLIT (0x80)	cut the stream inside this frame (or its
 *				length field): what comes before the cut is
 *				written and handled first, as a batch, so that
 *				passt reads part of a frame, then the rest.
 *				The byte before the one holding these bits
 *				gives the position, counted from the first
 *				byte of the length field, plus one, modulo the
 *				length of the frame with its length field.
 *
 * Frames from the guest reach passt as in its main loop: written to the
 * socket, then handled as an epoll event, in the same batch of events as
 * those of its other sockets.
 *
 * After the input, time moves forward in steps, up to a few minutes, to run
 * timers and expire flows; then the guest goes away (its end of the socket
 * is closed): passt must close every flow and every descriptor it opened.
 *
 * A custom mutator keeps the framing valid most of the time: it mutates,
 * duplicates, drops, swaps frames, and flips their direction bits.
 *
 * FUZZ_TAP_DEBUG=1 in the environment prints passt's debug and per-packet
 * messages, to follow what a reproducer does. FUZZ_TAP_NO_START=1 skips
 * what passt sends as a guest connects (tap_start(): ARP request, router
 * advertisement, neighbour solicitation), for reproducers of issues that
 * this would otherwise hide.
 */

#include <dirent.h>
#include <errno.h>
#include <sched.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <fcntl.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <linux/if_ether.h>

#include "flow.h"
#include "fwd.h"
#include "icmp.h"
#include "inany.h"
#include "log.h"
#include "ndp.h"
#include "passt.h"
#include "tap.h"
#include "tcp.h"
#include "udp.h"
#include "util.h"

/* Each frame on the stream is preceded by its length, 32 bits */
#define FUZZ_LEN_BYTES		sizeof(uint32_t)

#define FUZZ_CTL_RAW		0x01
#define FUZZ_CTL_FLUSH		0x02
#define FUZZ_CTL_HOST		0x04
#define FUZZ_CTL_SMALL		0x08
#define FUZZ_CTL_REVERSE	0x20
#define FUZZ_CTL_BURST		0x40
#define FUZZ_CTL_SPLIT		0x80

#define FUZZ_TCP_PORT		80
#define FUZZ_STUCK_PORT		81
#define FUZZ_SINK_PORT		82
#define FUZZ_STUCK_FROM_PORT	43000	/* Fills the queue of port 81 */
#define FUZZ_SINK_RCVBUF	1	/* Raised to the minimum */
#define FUZZ_ECHO_PORT		7
#define FUZZ_DNS_PORT		53
#define FUZZ_FWD_TCP_PORT	8080	/* -t */
#define FUZZ_FWD_UDP_PORT	5353	/* -u */
#define FUZZ_HOST_TCP_PORT	41000
#define FUZZ_HOST_UDP_PORT	42000
#define FUZZ_HOSTS_MAX		16
#define FUZZ_SMALL_SNDBUF	4096
#define FUZZ_GREETING_LEN	3000
#define FUZZ_CONNS_MAX		64
#define FUZZ_ISNS_MAX		64
#define FUZZ_ROUNDS_MAX		16
#define FUZZ_FEEDS_MAX		4096
#define FUZZ_FRAMES_MAX		512
#define FUZZ_MAC_CTL		5	/* Byte of the destination MAC */
#define FUZZ_MAC_CUT		4	/* Byte with the FUZZ_CTL_SPLIT offset */

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
size_t LLVMFuzzerMutate(uint8_t *data, size_t size, size_t max_size);
size_t LLVMFuzzerCustomMutator(uint8_t *data, size_t size, size_t max_size,
			       unsigned int seed);
size_t LLVMFuzzerCustomCrossOver(const uint8_t *d1, size_t s1,
				 const uint8_t *d2, size_t s2,
				 uint8_t *out, size_t max_size,
				 unsigned int seed);

/**
 * struct fuzz_isn - Initial sequence number passt chose for a connection
 * @guest:	Guest address
 * @peer:	Peer address, as the guest sees it
 * @gport:	Guest port, host order
 * @pport:	Peer port, host order
 * @isn:	Sequence number of passt's SYN
 */
struct fuzz_isn {
	union inany_addr guest;
	union inany_addr peer;
	in_port_t gport;
	in_port_t pport;
	uint32_t isn;
};

/**
 * struct fuzz_span - A frame of an input, for the mutator
 * @p:		Frame, from the Ethernet header on
 * @len:	Frame length
 */
struct fuzz_span {
	const uint8_t *p;
	size_t len;
};

static struct ctx fuzz_c;
static struct ctx_run fuzz_run;
static struct ip4_ctx fuzz_ip4;
static struct ip6_ctx fuzz_ip6;
static struct timespec fuzz_now;
static int fuzz_peer = -1;		/* Our end of the guest's socket */
static int fuzz_fds;			/* Open descriptors, between inputs */
static bool fuzz_no_start;		/* Skip tap_start(): FUZZ_TAP_NO_START */

/* Frames from passt, as they come out of the stream */
static uint8_t fuzz_out[2 * (FUZZ_LEN_BYTES + TAP_FRAME_MAX)];
static size_t fuzz_out_len;

static struct fuzz_isn fuzz_isns[FUZZ_ISNS_MAX];
static unsigned fuzz_n_isns;

/**
 * enum fuzz_kind - Descriptors of the harness in its own epoll set
 * @FUZZ_K_LISTEN:	Listening socket of the host side
 * @FUZZ_K_SINK_LISTEN:	Listening socket of the host side that never reads
 * @FUZZ_K_ECHO:	UDP echo socket of the host side
 * @FUZZ_K_CONN:	Connection of the host side, accepted or initiated
 * @FUZZ_K_PEER:	Our end of the guest's socket
 */
enum fuzz_kind {
	FUZZ_K_LISTEN = 1,
	FUZZ_K_SINK_LISTEN,
	FUZZ_K_ECHO,
	FUZZ_K_CONN,
	FUZZ_K_PEER,
};

/* Only what's ready is served: no system calls on idle sockets */
static int fuzz_ep = -1;

/* Host side: listening and echo sockets, accepted connections */
static int fuzz_listen[2] = { -1, -1 };
static int fuzz_stuck[2] = { -1, -1 };		/* Full queue, never accepts */
static int fuzz_stuck_fill[2] = { -1, -1 };	/* What fills the queues */
static int fuzz_sink_listen[2] = { -1, -1 };
static int fuzz_sinks[FUZZ_CONNS_MAX];		/* Accepted, never read */
static unsigned fuzz_n_sinks;
static int fuzz_echo[4] = { -1, -1, -1, -1 };
static int fuzz_conns[FUZZ_CONNS_MAX];
static unsigned fuzz_n_conns;
static unsigned fuzz_n_hosts;		/* Host connections in this input */
static bool fuzz_reverse;		/* Events in reverse order */
static char fuzz_greeting[FUZZ_GREETING_LEN];
static char fuzz_io[65536];

/**
 * fuzz_die() - Report a failed check of the harness, and abort
 * @what:	What went wrong
 */
static void fuzz_die(const char *what)
{
	fprintf(stderr, "fuzz_tap: %s\n", what);
	abort();
}

/**
 * fuzz_write_file() - Write a short string to a file
 * @path:	Path
 * @s:		String
 *
 * Return: 0 on success, -1 on failure
 */
static int fuzz_write_file(const char *path, const char *s)
{
	size_t len = strlen(s);
	int fd, ret = 0;

	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	if (write(fd, s, len) != (ssize_t)len)
		ret = -1;
	close(fd);

	return ret;
}

/**
 * fuzz_sandbox() - Move to empty user and network namespaces, loopback up
 *
 * Aborts if the network namespace can't be made, or if any interface other
 * than loopback is there: nothing may leave the machine.
 */
static void fuzz_sandbox(void)
{
	struct if_nameindex *ifs, *i;
	uid_t uid = geteuid();
	gid_t gid = getegid();
	struct ifreq ifr;
	char map[64];
	int s;

	if (unshare(CLONE_NEWUSER | CLONE_NEWNET)) {
		perror("fuzz_tap: unshare(CLONE_NEWUSER | CLONE_NEWNET)");
		fuzz_die("can't isolate the network, not running");
	}

	/* Root in the namespace: we may bring loopback up. Not essential */
	fuzz_write_file("/proc/self/setgroups", "deny");
	snprintf(map, sizeof(map), "0 %u 1", (unsigned)uid);
	fuzz_write_file("/proc/self/uid_map", map);
	snprintf(map, sizeof(map), "0 %u 1", (unsigned)gid);
	fuzz_write_file("/proc/self/gid_map", map);

	ifs = if_nameindex();
	if (!ifs)
		fuzz_die("can't list network interfaces");
	for (i = ifs; i->if_index; i++) {
		if (strcmp(i->if_name, "lo"))
			fuzz_die("interface other than loopback in namespace");
	}
	if_freenameindex(ifs);

	s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (s < 0)
		fuzz_die("can't open a socket");
	memset(&ifr, 0, sizeof(ifr));
	strncpy(ifr.ifr_name, "lo", IFNAMSIZ - 1);
	if (!ioctl(s, SIOCGIFFLAGS, &ifr)) {
		ifr.ifr_flags |= IFF_UP;
		if (ioctl(s, SIOCSIFFLAGS, &ifr))
			fprintf(stderr, "fuzz_tap: loopback stays down\n");
	}
	close(s);

	/* Ping sockets for our group, the only one mapped: 0 */
	fuzz_write_file("/proc/sys/net/ipv4/ping_group_range", "0 0");
}

/**
 * fuzz_sock() - Open a bound socket on loopback, for the host side
 * @af:		AF_INET or AF_INET6
 * @type:	SOCK_STREAM (listening) or SOCK_DGRAM
 * @port:	Port
 * @backlog:	Queue of connections, for SOCK_STREAM
 *
 * Return: socket, -1 on failure (the service is then missing, that's all)
 */
static int fuzz_sock(int af, int type, in_port_t port, int backlog)
{
	union {
		struct sockaddr sa;
		struct sockaddr_in sin;
		struct sockaddr_in6 sin6;
	} a;
	int s, one = 1;
	socklen_t sl;

	s = socket(af, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (s < 0)
		return -1;

	memset(&a, 0, sizeof(a));
	if (af == AF_INET) {
		a.sin.sin_family = AF_INET;
		a.sin.sin_port = htons(port);
		a.sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		sl = sizeof(a.sin);
	} else {
		a.sin6.sin6_family = AF_INET6;
		a.sin6.sin6_port = htons(port);
		a.sin6.sin6_addr = in6addr_loopback;
		sl = sizeof(a.sin6);
		setsockopt(s, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
	}
	setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));

	if (bind(s, &a.sa, sl) ||
	    (type == SOCK_STREAM && listen(s, backlog))) {
		close(s);
		return -1;
	}

	return s;
}

/**
 * fuzz_watch() - Add a descriptor of the harness to its epoll set
 * @fd:		Descriptor
 * @kind:	What it is
 */
static void fuzz_watch(int fd, enum fuzz_kind kind)
{
	struct epoll_event ev = {
		.events = EPOLLIN,
		.data.u64 = (uint64_t)kind << 32 | (uint32_t)fd,
	};

	if (epoll_ctl(fuzz_ep, EPOLL_CTL_ADD, fd, &ev))
		fuzz_die("can't watch a descriptor of the harness");
}

/**
 * fuzz_conn_add() - Keep a connection of the host side, send it something
 * @s:		Socket, closed if there's no room for it
 * @len:	Bytes of the greeting to send
 *
 * Return: true if the connection is kept
 */
static bool fuzz_conn_add(int s, size_t len)
{
	if (fuzz_n_conns >= FUZZ_CONNS_MAX) {
		close(s);
		return false;
	}

	send(s, fuzz_greeting, len, MSG_DONTWAIT | MSG_NOSIGNAL);
	fuzz_watch(s, FUZZ_K_CONN);
	fuzz_conns[fuzz_n_conns++] = s;

	return true;
}

/**
 * fuzz_conn_serve() - Echo what a connection of the host side received
 * @s:		Socket, closed at the end of data or on errors
 */
static void fuzz_conn_serve(int s)
{
	unsigned i;
	ssize_t n;

	n = recv(s, fuzz_io, sizeof(fuzz_io), MSG_DONTWAIT);
	if (n > 0) {
		send(s, fuzz_io, n, MSG_DONTWAIT | MSG_NOSIGNAL);
		return;
	}
	if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
		return;

	/* End of data or reset: close, which also takes it out of fuzz_ep */
	for (i = 0; i < fuzz_n_conns; i++) {
		if (fuzz_conns[i] == s) {
			fuzz_conns[i] = fuzz_conns[--fuzz_n_conns];
			break;
		}
	}
	close(s);
}

/**
 * fuzz_is_conn() - Tell if a descriptor is a connection of the host side
 * @s:		Descriptor
 *
 * Return: true if it's in fuzz_conns
 */
static bool fuzz_is_conn(int s)
{
	unsigned i;

	for (i = 0; i < fuzz_n_conns; i++) {
		if (fuzz_conns[i] == s)
			return true;
	}

	return false;
}

/**
 * fuzz_accept() - Accept connections to the host side, greet them
 * @l:		Listening socket
 */
static void fuzz_accept(int l)
{
	int s;

	while ((s = accept4(l, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC)) >= 0) {
		/* Data may be there already: serve it in this round */
		if (fuzz_conn_add(s, sizeof(fuzz_greeting)))
			fuzz_conn_serve(s);
	}
}

/**
 * fuzz_sink_accept() - Accept connections that are never read
 * @l:		Listening socket
 */
static void fuzz_sink_accept(int l)
{
	int s;

	while ((s = accept4(l, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC)) >= 0) {
		if (fuzz_n_sinks >= FUZZ_CONNS_MAX)
			close(s);
		else
			fuzz_sinks[fuzz_n_sinks++] = s;
	}
}

/**
 * fuzz_echo_serve() - Echo every datagram an echo socket received
 * @s:		UDP socket
 */
static void fuzz_echo_serve(int s)
{
	struct sockaddr_storage sa;
	socklen_t sl;
	ssize_t n;

	for (;;) {
		sl = sizeof(sa);
		n = recvfrom(s, fuzz_io, sizeof(fuzz_io), MSG_DONTWAIT,
			     (struct sockaddr *)&sa, &sl);
		if (n < 0)
			break;
		sendto(s, fuzz_io, n, MSG_DONTWAIT, (struct sockaddr *)&sa, sl);
	}
}

/**
 * fuzz_client() - Open a socket from a fixed loopback port to another one
 * @af:		AF_INET or AF_INET6
 * @type:	SOCK_STREAM or SOCK_DGRAM
 * @sport:	Source port
 * @dport:	Destination port
 *
 * Return: socket, connected or connecting, -1 on failure
 */
static int fuzz_client(int af, int type, in_port_t sport, in_port_t dport)
{
	struct linger lg = { .l_onoff = 1, .l_linger = 0 };
	union {
		struct sockaddr sa;
		struct sockaddr_in sin;
		struct sockaddr_in6 sin6;
	} a;
	int s, one = 1;
	socklen_t sl;

	s = socket(af, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (s < 0)
		return -1;

	/* Closed with a reset, no TIME_WAIT: the next input binds again */
	setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (type == SOCK_STREAM)
		setsockopt(s, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));

	memset(&a, 0, sizeof(a));
	if (af == AF_INET) {
		a.sin.sin_family = AF_INET;
		a.sin.sin_port = htons(sport);
		a.sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		sl = sizeof(a.sin);
	} else {
		a.sin6.sin6_family = AF_INET6;
		a.sin6.sin6_port = htons(sport);
		a.sin6.sin6_addr = in6addr_loopback;
		sl = sizeof(a.sin6);
	}
	if (bind(s, &a.sa, sl))
		goto fail;

	if (af == AF_INET)
		a.sin.sin_port = htons(dport);
	else
		a.sin6.sin6_port = htons(dport);
	if (connect(s, &a.sa, sl) && errno != EINPROGRESS)
		goto fail;

	return s;

fail:
	close(s);
	return -1;
}

/**
 * fuzz_stuck_init() - Port 81: a listening socket with a full queue
 * @i:		Index in fuzz_stuck and fuzz_stuck_fill
 * @af:		AF_INET or AF_INET6
 *
 * With a backlog of zero, one connection that's never accepted fills the
 * queue: the kernel drops further SYNs, and connecting hangs. Not watched.
 */
static void fuzz_stuck_init(int i, int af)
{
	fuzz_stuck[i] = fuzz_sock(af, SOCK_STREAM, FUZZ_STUCK_PORT, 0);
	if (fuzz_stuck[i] < 0)
		return;

	fuzz_stuck_fill[i] = fuzz_client(af, SOCK_STREAM,
					 FUZZ_STUCK_FROM_PORT + i,
					 FUZZ_STUCK_PORT);
}

/**
 * fuzz_services_init() - Open the host side: TCP 80, 81, 82, UDP 7 and 53
 */
static void fuzz_services_init(void)
{
	int rcvbuf = FUZZ_SINK_RCVBUF;
	size_t i;

	fuzz_ep = epoll_create1(EPOLL_CLOEXEC);
	if (fuzz_ep < 0)
		fuzz_die("can't create epoll descriptor of the harness");

	fuzz_listen[0] = fuzz_sock(AF_INET, SOCK_STREAM, FUZZ_TCP_PORT,
				   FUZZ_CONNS_MAX);
	fuzz_listen[1] = fuzz_sock(AF_INET6, SOCK_STREAM, FUZZ_TCP_PORT,
				   FUZZ_CONNS_MAX);
	fuzz_sink_listen[0] = fuzz_sock(AF_INET, SOCK_STREAM, FUZZ_SINK_PORT,
					FUZZ_CONNS_MAX);
	fuzz_sink_listen[1] = fuzz_sock(AF_INET6, SOCK_STREAM, FUZZ_SINK_PORT,
					FUZZ_CONNS_MAX);
	fuzz_echo[0] = fuzz_sock(AF_INET, SOCK_DGRAM, FUZZ_ECHO_PORT, 0);
	fuzz_echo[1] = fuzz_sock(AF_INET6, SOCK_DGRAM, FUZZ_ECHO_PORT, 0);
	fuzz_echo[2] = fuzz_sock(AF_INET, SOCK_DGRAM, FUZZ_DNS_PORT, 0);
	fuzz_echo[3] = fuzz_sock(AF_INET6, SOCK_DGRAM, FUZZ_DNS_PORT, 0);
	fuzz_stuck_init(0, AF_INET);
	fuzz_stuck_init(1, AF_INET6);

	for (i = 0; i < ARRAY_SIZE(fuzz_listen); i++) {
		if (fuzz_listen[i] >= 0)
			fuzz_watch(fuzz_listen[i], FUZZ_K_LISTEN);
	}
	for (i = 0; i < ARRAY_SIZE(fuzz_sink_listen); i++) {
		if (fuzz_sink_listen[i] < 0)
			continue;
		/* Inherited by accepted sockets, and sets their window */
		setsockopt(fuzz_sink_listen[i], SOL_SOCKET, SO_RCVBUF,
			   &rcvbuf, sizeof(rcvbuf));
		fuzz_watch(fuzz_sink_listen[i], FUZZ_K_SINK_LISTEN);
	}
	for (i = 0; i < ARRAY_SIZE(fuzz_echo); i++) {
		if (fuzz_echo[i] >= 0)
			fuzz_watch(fuzz_echo[i], FUZZ_K_ECHO);
	}

	for (i = 0; i < sizeof(fuzz_greeting); i++)
		fuzz_greeting[i] = 'a' + i % 26;
}

/**
 * fuzz_host_connect() - The host side connects to forwarded ports
 */
static void fuzz_host_connect(void)
{
	int af = fuzz_n_hosts % 2 ? AF_INET6 : AF_INET, s;
	unsigned k = fuzz_n_hosts;

	if (fuzz_n_hosts >= FUZZ_HOSTS_MAX)
		return;
	fuzz_n_hosts++;

	s = fuzz_client(af, SOCK_STREAM, FUZZ_HOST_TCP_PORT + k,
			FUZZ_FWD_TCP_PORT);
	if (s >= 0)
		fuzz_conn_add(s, 100);

	s = fuzz_client(af, SOCK_DGRAM, FUZZ_HOST_UDP_PORT + k,
			FUZZ_FWD_UDP_PORT);
	if (s >= 0)
		fuzz_conn_add(s, 200);
}

/**
 * fuzz_services_reset() - Close accepted connections, drop datagrams
 */
static void fuzz_services_reset(void)
{
	unsigned i;
	int s;

	for (i = 0; i < fuzz_n_conns; i++)
		close(fuzz_conns[i]);
	fuzz_n_conns = 0;
	for (i = 0; i < fuzz_n_sinks; i++)
		close(fuzz_sinks[i]);
	fuzz_n_sinks = 0;

	for (i = 0; i < ARRAY_SIZE(fuzz_listen); i++) {
		if (fuzz_listen[i] < 0)
			continue;
		while ((s = accept4(fuzz_listen[i], NULL, NULL,
				    SOCK_CLOEXEC)) >= 0)
			close(s);
	}
	for (i = 0; i < ARRAY_SIZE(fuzz_sink_listen); i++) {
		if (fuzz_sink_listen[i] < 0)
			continue;
		while ((s = accept4(fuzz_sink_listen[i], NULL, NULL,
				    SOCK_CLOEXEC)) >= 0)
			close(s);
	}

	for (i = 0; i < ARRAY_SIZE(fuzz_echo); i++) {
		if (fuzz_echo[i] < 0)
			continue;
		while (recv(fuzz_echo[i], fuzz_io, sizeof(fuzz_io),
			    MSG_DONTWAIT) >= 0)
			;
	}
}

/**
 * fuzz_addr() - Parse an address for the configuration
 * @af:		AF_INET or AF_INET6
 * @s:		Text form
 * @dst:	struct in_addr or struct in6_addr, set
 */
static void fuzz_addr(int af, const char *s, void *dst)
{
	if (inet_pton(af, s, dst) != 1)
		fuzz_die("bad address in the configuration");
}

/**
 * fuzz_ctx_init() - Configuration, as conf() would leave it
 * @c:		Execution context
 */
static void fuzz_ctx_init(struct ctx *c)
{
	static const unsigned char mac[ETH_ALEN] = {
		0x9a, 0x55, 0x9a, 0x55, 0x9a, 0x55
	};

	memset(c, 0, sizeof(*c));
	memset(&fuzz_run, 0, sizeof(fuzz_run));
	c->run = &fuzz_run;
	c->mode = MODE_PASST;
	c->link = &link_stream_ops;
	c->no_splice = true;
	c->mtu = MTU_DEFAULT;
	c->ifi4 = c->ifi6 = 1;
	c->quiet = c->foreground = true;
	c->run->fd_tap = c->fd_tap_listen = -1;
	c->nl_sock = c->nl_sock_ns = -1;
	c->pidfile_fd = -1;
	c->pasta_netns_fd = c->pasta_userns_fd = -1;
	memcpy(c->our_tap_mac, mac, ETH_ALEN);
	memset(c->run->guest_mac, 0xff, ETH_ALEN);

	fuzz_addr(AF_INET, "192.0.2.2", &c->ip4.addr);
	c->run->addr4_seen = c->ip4.addr;
	c->ip4.prefix_len = 24;
	fuzz_addr(AF_INET, "192.0.2.1", &c->ip4.guest_gw);
	c->ip4.our_tap_addr = c->ip4.map_host_loopback = c->ip4.guest_gw;
	c->ip4.dns[0] = c->ip4.guest_gw;
	fuzz_addr(AF_INET, "192.0.2.3", &c->ip4.dns_match);
	fuzz_addr(AF_INET, "127.0.0.1", &c->ip4.dns_host);
	c->ip4.host_addr = c->ip4.addr;
	c->ip4.host_prefix_len = 24;
	c->ip4.host_gw = c->ip4.guest_gw;

	fuzz_addr(AF_INET6, "2001:db8::2", &c->ip6.addr);
	c->run->addr6_seen = c->ip6.addr;
	c->ip6.prefix_len = 64;
	fuzz_addr(AF_INET6, "2001:db8::1", &c->ip6.guest_gw);
	c->ip6.map_host_loopback = c->ip6.guest_gw;
	c->ip6.dns[0] = c->ip6.guest_gw;
	fuzz_addr(AF_INET6, "2001:db8::3", &c->ip6.dns_match);
	c->ip6.dns_host = in6addr_loopback;
	fuzz_addr(AF_INET6, "fe80::1", &c->ip6.our_tap_ll);
	c->ip6.host_addr = c->ip6.addr;
	c->ip6.host_prefix_len = 64;
	fuzz_addr(AF_INET6, "fe80::2", &c->ip6.host_addr_ll);
	c->ip6.host_gw = c->ip6.our_tap_ll;

	str_copy(c->dns_search[0].n, DNS_NAME_MAX, "example.org");
	str_copy(c->dns_search[1].n, DNS_NAME_MAX, "lab.example.org");
	str_copy(c->dns_search[2].n, DNS_NAME_MAX, "example.com");
	str_copy(c->hostname, DNS_NAME_MAX, "guest");
	str_copy(c->fqdn, DNS_NAME_MAX, "guest.example.org");

	c->run->fwd[FWD_TCP_OUT].mode = c->run->fwd[FWD_UDP_OUT].mode = FWD_NONE;
}

/**
 * fuzz_fd_count() - Number of open descriptors
 *
 * libFuzzer may open files between inputs (merge control file, logs), not
 * while one runs: counts at the start and at the end of an input compare.
 *
 * Return: number of open descriptors
 */
static int fuzz_fd_count(void)
{
	struct dirent *d;
	int n = 0;
	DIR *dir;

	dir = opendir("/proc/self/fd");
	if (!dir)
		fuzz_die("can't list open descriptors");
	while ((d = readdir(dir)))
		n += d->d_name[0] != '.';
	closedir(dir);

	return n;
}

/**
 * LLVMFuzzerInitialize() - Isolate, configure, open what passt opens once
 * @argc:	Arguments of the fuzzer, unused
 * @argv:	Arguments of the fuzzer, unused
 *
 * Return: 0
 */
int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	struct ctx *c = &fuzz_c;
	const char *dbg = getenv("FUZZ_TAP_DEBUG");
	const char *nostart = getenv("FUZZ_TAP_NO_START");
	char err[BUFSIZ];

	(void)argc;
	(void)argv;

	fuzz_sandbox();

	if (dbg && *dbg && strcmp(dbg, "0")) {
		log_set_level(LOG_DEBUG, true);
		log_to_stderr(true);
	} else {
		log_set_level(LOG_ERR, false);
		log_to_stderr(false);
	}

	fuzz_no_start = nostart && *nostart && strcmp(nostart, "0");

	fuzz_ctx_init(c);
	fuzz_ip4 = c->ip4;
	fuzz_ip6 = c->ip6;

	c->epollfd = epoll_create1(EPOLL_CLOEXEC);
	if (c->epollfd < 0)
		fuzz_die("can't create epoll descriptor");

	if (fwd_parse(&c->run->fwd[FWD_TCP_IN], STRINGIFY(FUZZ_FWD_TCP_PORT), false,
		      err, sizeof(err)) ||
	    fwd_parse(&c->run->fwd[FWD_UDP_IN], STRINGIFY(FUZZ_FWD_UDP_PORT), false,
		      err, sizeof(err)))
		fuzz_die(err);

	flow_init(FLOW_MAX);
	tcp_init(c);
	fuzz_services_init();

	return 0;
}

/**
 * fuzz_sum() - Add bytes to a 16-bit one's complement sum, unfolded
 * @p:		Bytes
 * @len:	Length
 * @sum:	Sum so far
 *
 * Return: new sum
 */
static uint64_t fuzz_sum(const uint8_t *p, size_t len, uint64_t sum)
{
	for (; len > 1; p += 2, len -= 2)
		sum += (unsigned)p[0] << 8 | p[1];
	if (len)
		sum += (unsigned)p[0] << 8;

	return sum;
}

/**
 * fuzz_fold() - Fold a sum to a checksum
 * @sum:	Sum
 *
 * Return: one's complement of the folded sum
 */
static uint16_t fuzz_fold(uint64_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);

	return ~sum & 0xffff;
}

/**
 * fuzz_get16() - Read a big-endian 16-bit value
 * @p:		Bytes
 *
 * Return: value
 */
static uint16_t fuzz_get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

/**
 * fuzz_get32() - Read a big-endian 32-bit value
 * @p:		Bytes
 *
 * Return: value
 */
static uint32_t fuzz_get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	       (uint32_t)p[2] << 8 | p[3];
}

/**
 * fuzz_put16() - Write a big-endian 16-bit value
 * @p:		Destination
 * @v:		Value
 */
static void fuzz_put16(uint8_t *p, uint16_t v)
{
	p[0] = v >> 8;
	p[1] = v & 0xff;
}

/**
 * fuzz_put32() - Write a big-endian 32-bit value
 * @p:		Destination
 * @v:		Value
 */
static void fuzz_put32(uint8_t *p, uint32_t v)
{
	p[0] = v >> 24;
	p[1] = (v >> 16) & 0xff;
	p[2] = (v >> 8) & 0xff;
	p[3] = v & 0xff;
}

/**
 * fuzz_pseudo() - Sum of the pseudo-header for a transport checksum
 * @v4:		IPv4 (else IPv6)
 * @src:	Source address, 4 or 16 bytes
 * @dst:	Destination address, 4 or 16 bytes
 * @proto:	Protocol number
 * @len:	Transport length
 *
 * Return: unfolded sum
 */
static uint64_t fuzz_pseudo(bool v4, const uint8_t *src, const uint8_t *dst,
			    uint8_t proto, size_t len)
{
	size_t alen = v4 ? 4 : 16;
	uint64_t sum;

	sum = fuzz_sum(src, alen, 0);
	sum = fuzz_sum(dst, alen, sum);

	return sum + proto + (len & 0xffff) + (len >> 16);
}

/**
 * fuzz_inany() - Address of a frame as union inany_addr
 * @v4:		IPv4 (else IPv6)
 * @p:		Address, 4 or 16 bytes
 * @a:		Address, set
 */
static void fuzz_inany(bool v4, const uint8_t *p, union inany_addr *a)
{
	if (v4) {
		struct in_addr v;

		memcpy(&v, p, sizeof(v));
		inany_from_v4(a, v);
	} else {
		memcpy(&a->a6, p, sizeof(a->a6));
	}
}

/**
 * fuzz_isn_find() - Find the sequence number passt chose for a connection
 * @guest:	Guest address
 * @gport:	Guest port
 * @peer:	Peer address, as the guest sees it
 * @pport:	Peer port
 *
 * Return: entry, NULL if none
 */
static struct fuzz_isn *fuzz_isn_find(const union inany_addr *guest,
				      in_port_t gport,
				      const union inany_addr *peer,
				      in_port_t pport)
{
	unsigned i;

	for (i = 0; i < fuzz_n_isns && i < FUZZ_ISNS_MAX; i++) {
		struct fuzz_isn *e = &fuzz_isns[i];

		if (e->gport == gport && e->pport == pport &&
		    inany_equals(&e->guest, guest) &&
		    inany_equals(&e->peer, peer))
			return e;
	}

	return NULL;
}

/**
 * fuzz_fix_l4() - Fix up a transport header from the guest
 * @v4:		IPv4 (else IPv6)
 * @src:	Source address, 4 or 16 bytes
 * @dst:	Destination address, 4 or 16 bytes
 * @proto:	Protocol number
 * @l4:		Transport header and payload
 * @len:	Transport length
 */
static void fuzz_fix_l4(bool v4, const uint8_t *src, const uint8_t *dst,
			uint8_t proto, uint8_t *l4, size_t len)
{
	uint64_t sum = fuzz_pseudo(v4, src, dst, proto, len);
	uint16_t csum;

	if (proto == IPPROTO_TCP && len >= 20) {
		union inany_addr s, d;
		struct fuzz_isn *e;

		fuzz_inany(v4, src, &s);
		fuzz_inany(v4, dst, &d);
		e = fuzz_isn_find(&s, fuzz_get16(l4), &d, fuzz_get16(l4 + 2));
		if (e && (l4[13] & 0x10))
			fuzz_put32(l4 + 8, fuzz_get32(l4 + 8) + e->isn);

		fuzz_put16(l4 + 16, 0);
		fuzz_put16(l4 + 16, fuzz_fold(fuzz_sum(l4, len, sum)));
	} else if (proto == IPPROTO_UDP && len >= 8 && len <= UINT16_MAX) {
		fuzz_put16(l4 + 4, len);
		if (v4 && !fuzz_get16(l4 + 6))
			return;		/* No checksum: that's allowed */
		fuzz_put16(l4 + 6, 0);
		csum = fuzz_fold(fuzz_sum(l4, len, sum));
		fuzz_put16(l4 + 6, csum ? csum : 0xffff);
	} else if (proto == IPPROTO_ICMP && v4 && len >= 8) {
		fuzz_put16(l4 + 2, 0);
		fuzz_put16(l4 + 2, fuzz_fold(fuzz_sum(l4, len, 0)));
	} else if (proto == IPPROTO_ICMPV6 && !v4 && len >= 8) {
		fuzz_put16(l4 + 2, 0);
		fuzz_put16(l4 + 2, fuzz_fold(fuzz_sum(l4, len, sum)));
	}
}

/**
 * fuzz_fix4() - Fix up lengths and checksums of an IPv4 packet
 * @ip:		IPv4 header
 * @len:	Bytes after the Ethernet header
 */
static void fuzz_fix4(uint8_t *ip, size_t len)
{
	size_t hlen;

	if (len < 20 || len > UINT16_MAX || ip[0] >> 4 != 4)
		return;
	hlen = (ip[0] & 0x0f) * 4;
	if (hlen < 20 || hlen > len)
		return;

	fuzz_put16(ip + 2, len);
	if (!((ip[6] & 0x3f) | ip[7]))		/* Not a fragment */
		fuzz_fix_l4(true, ip + 12, ip + 16, ip[9], ip + hlen,
			    len - hlen);

	fuzz_put16(ip + 10, 0);
	fuzz_put16(ip + 10, fuzz_fold(fuzz_sum(ip, hlen, 0)));
}

/**
 * fuzz_fix6() - Fix up the length and checksums of an IPv6 packet
 * @ip:		IPv6 header
 * @len:	Bytes after the Ethernet header
 */
static void fuzz_fix6(uint8_t *ip, size_t len)
{
	size_t off = 40, elen;
	uint8_t nh;

	if (len < 40 || len - 40 > UINT16_MAX || ip[0] >> 4 != 6)
		return;

	fuzz_put16(ip + 4, len - 40);
	for (nh = ip[6]; ; nh = ip[off], off += elen) {
		if (nh != IPPROTO_HOPOPTS && nh != IPPROTO_ROUTING &&
		    nh != IPPROTO_DSTOPTS && nh != IPPROTO_AH)
			break;
		if (len - off < 2)
			return;
		if (nh == IPPROTO_AH)
			elen = (ip[off + 1] + 2) * 4;
		else
			elen = (ip[off + 1] + 1) * 8;
		if (elen > len - off)
			return;
	}
	if (nh == IPPROTO_FRAGMENT)
		return;

	fuzz_fix_l4(false, ip + 8, ip + 24, nh, ip + off, len - off);
}

/**
 * fuzz_fix() - Fix up a frame from the guest, unless it's to stay raw
 * @f:		Frame
 * @len:	Frame length, at least ETH_HLEN
 */
static void fuzz_fix(uint8_t *f, size_t len)
{
	uint16_t proto = fuzz_get16(f + 12);

	if (f[FUZZ_MAC_CTL] & FUZZ_CTL_RAW)
		return;

	if (proto == ETH_P_IP)
		fuzz_fix4(f + ETH_HLEN, len - ETH_HLEN);
	else if (proto == ETH_P_IPV6)
		fuzz_fix6(f + ETH_HLEN, len - ETH_HLEN);
}

/**
 * fuzz_check_l4() - Check the transport checksum of a frame from passt
 * @v4:		IPv4 (else IPv6)
 * @src:	Source address, 4 or 16 bytes
 * @dst:	Destination address, 4 or 16 bytes
 * @proto:	Protocol number
 * @l4:		Transport header and payload
 * @len:	Transport length
 */
static void fuzz_check_l4(bool v4, const uint8_t *src, const uint8_t *dst,
			  uint8_t proto, const uint8_t *l4, size_t len)
{
	uint64_t sum = fuzz_pseudo(v4, src, dst, proto, len);

	switch (proto) {
	case IPPROTO_TCP:
		if (len < 20 || (size_t)(l4[12] >> 4) * 4 > len)
			fuzz_die("passt sent a truncated TCP segment");
		if (fuzz_fold(fuzz_sum(l4, len, sum)))
			fuzz_die("passt sent a bad TCP checksum");
		if (l4[13] & 0x02) {	/* SYN: remember the sequence number */
			struct fuzz_isn *e;
			union inany_addr s, d;

			fuzz_inany(v4, src, &s);
			fuzz_inany(v4, dst, &d);
			e = fuzz_isn_find(&d, fuzz_get16(l4 + 2),
					  &s, fuzz_get16(l4));
			if (!e)
				e = &fuzz_isns[fuzz_n_isns++ % FUZZ_ISNS_MAX];
			e->guest = d;
			e->gport = fuzz_get16(l4 + 2);
			e->peer = s;
			e->pport = fuzz_get16(l4);
			e->isn = fuzz_get32(l4 + 4);
		}
		break;
	case IPPROTO_UDP:
		if (len < 8 || fuzz_get16(l4 + 4) != len)
			fuzz_die("passt sent a bad UDP length");
		if (v4 && !fuzz_get16(l4 + 6))
			break;
		if (fuzz_fold(fuzz_sum(l4, len, sum)))
			fuzz_die("passt sent a bad UDP checksum");
		break;
	case IPPROTO_ICMP:
		if (len < 8 || fuzz_fold(fuzz_sum(l4, len, 0)))
			fuzz_die("passt sent a bad ICMP message");
		break;
	case IPPROTO_IGMP:
		if (len < 12 || fuzz_fold(fuzz_sum(l4, len, 0)))
			fuzz_die("passt sent a bad IGMP query");
		break;
	case IPPROTO_ICMPV6:
		if (len < 8 || fuzz_fold(fuzz_sum(l4, len, sum)))
			fuzz_die("passt sent a bad ICMPv6 message");
		break;
	default:
		fuzz_die("passt sent an unexpected transport protocol");
	}
}

/**
 * fuzz_check_frame() - Check a frame passt sent to the guest
 * @f:		Frame
 * @len:	Frame length
 */
static void fuzz_check_frame(const uint8_t *f, size_t len)
{
	const uint8_t *ip = f + ETH_HLEN;
	size_t l3len = len - ETH_HLEN, hlen;
	uint8_t proto;

	if (memcmp(f + ETH_ALEN, fuzz_c.our_tap_mac, ETH_ALEN))
		fuzz_die("passt sent a frame from another MAC address");

	switch (fuzz_get16(f + 12)) {
	case ETH_P_ARP:
		if (len != ETH_HLEN + 28)
			fuzz_die("passt sent an ARP frame of the wrong size");
		break;
	case ETH_P_IP:
		hlen = (ip[0] & 0xf) * 4;
		if (l3len < 20 || ip[0] >> 4 != 4 || hlen < 20 || hlen > l3len)
			fuzz_die("passt sent a bad IPv4 header");
		/* Options: only the Router Alert of membership queries */
		if (hlen != 20 && (hlen != 24 || ip[9] != IPPROTO_IGMP ||
				   fuzz_get32(ip + 20) != 0x94040000))
			fuzz_die("passt sent IPv4 options");
		if (fuzz_get16(ip + 2) != l3len)
			fuzz_die("passt sent an IPv4 length that's not the "
				 "frame's");
		if (fuzz_fold(fuzz_sum(ip, hlen, 0)))
			fuzz_die("passt sent a bad IPv4 header checksum");
		fuzz_check_l4(true, ip + 12, ip + 16, ip[9], ip + hlen,
			      l3len - hlen);
		break;
	case ETH_P_IPV6:
		if (l3len < 40 || ip[0] >> 4 != 6)
			fuzz_die("passt sent a bad IPv6 header");
		if (fuzz_get16(ip + 4) != l3len - 40)
			fuzz_die("passt sent an IPv6 length that's not the "
				 "frame's");
		/* A hop-by-hop header: only before membership queries */
		hlen = 40;
		proto = ip[6];
		if (proto == 0) {
			if (l3len < 48 || ip[40] != IPPROTO_ICMPV6 || ip[41])
				fuzz_die("passt sent a bad hop-by-hop header");
			hlen = 48;
			proto = IPPROTO_ICMPV6;
		}
		fuzz_check_l4(false, ip + 8, ip + 24, proto, ip + hlen,
			      l3len - hlen);
		break;
	default:
		fuzz_die("passt sent an unexpected ethertype");
	}
}

/**
 * fuzz_drain() - Read what passt sent to the guest, check each frame
 */
static void fuzz_drain(void)
{
	while (fuzz_peer >= 0) {
		size_t off = 0;
		ssize_t n;

		n = recv(fuzz_peer, fuzz_out + fuzz_out_len,
			 sizeof(fuzz_out) - fuzz_out_len, MSG_DONTWAIT);
		if (n <= 0)
			return;
		fuzz_out_len += n;

		while (fuzz_out_len - off >= FUZZ_LEN_BYTES) {
			uint32_t len = fuzz_get32(fuzz_out + off);

			if (len < ETH_HLEN || len > TAP_FRAME_MAX)
				fuzz_die("passt sent a bad frame length");
			if (fuzz_out_len - off - FUZZ_LEN_BYTES < len)
				break;
			fuzz_check_frame(fuzz_out + off + FUZZ_LEN_BYTES, len);
			off += FUZZ_LEN_BYTES + len;
		}
		memmove(fuzz_out, fuzz_out + off, fuzz_out_len - off);
		fuzz_out_len -= off;
	}
}

/**
 * fuzz_services() - Serve the host side (accept, greet, echo), then read
 *		     what passt sent to the guest: whatever is ready
 */
static void fuzz_services(void)
{
	struct epoll_event ev[FUZZ_CONNS_MAX + 8];
	bool peer = false;
	int n, i;

	n = epoll_wait(fuzz_ep, ev, ARRAY_SIZE(ev), 0);
	for (i = 0; i < n; i++) {
		int fd = (int)(uint32_t)ev[i].data.u64;

		switch (ev[i].data.u64 >> 32) {
		case FUZZ_K_LISTEN:
			fuzz_accept(fd);
			break;
		case FUZZ_K_SINK_LISTEN:
			fuzz_sink_accept(fd);
			break;
		case FUZZ_K_ECHO:
			fuzz_echo_serve(fd);
			break;
		case FUZZ_K_CONN:
			/* Closed, maybe reused, earlier in this batch? */
			if (fuzz_is_conn(fd))
				fuzz_conn_serve(fd);
			break;
		case FUZZ_K_PEER:
			peer = fd == fuzz_peer;
			break;
		}
	}

	if (peer)
		fuzz_drain();
}

/**
 * fuzz_dispatch() - Handle socket events, as the main loop would
 * @c:		Execution context
 * @rounds:	Rounds of epoll_wait() at most, fewer if nothing is left
 */
static void fuzz_dispatch(struct ctx *c, int rounds)
{
	struct epoll_event ev[64];
	int round, n, i;

	for (round = 0; round < rounds; round++) {
		fuzz_services();

		n = epoll_wait(c->epollfd, ev, ARRAY_SIZE(ev), 0);
		if (n <= 0)
			break;

		for (i = 0; i < n; i++) {
			int k = fuzz_reverse ? n - 1 - i : i;
			union epoll_ref ref = { .u64 = ev[k].data.u64 };
			uint32_t e = ev[k].events;

			switch (ref.type) {
			case EPOLL_TYPE_TAP_PASST:
				if (c->run->fd_tap >= 0 && ref.fd == c->run->fd_tap)
					link_stream_handler(c, e, &fuzz_now);
				break;
			case EPOLL_TYPE_TCP:
				tcp_sock_handler(c, ref, e, &fuzz_now);
				break;
			case EPOLL_TYPE_TCP_LISTEN:
				tcp_listen_handler(c, ref, &fuzz_now);
				break;
			case EPOLL_TYPE_UDP_LISTEN:
				udp_listen_handler(c, ref, e, &fuzz_now);
				break;
			case EPOLL_TYPE_UDP_REPLY:
				udp_reply_handler(c, ref, e, &fuzz_now);
				break;
			case EPOLL_TYPE_PING:
				icmp_sock_handler(c, ref, &fuzz_now);
				break;
			default:
				break;
			}
		}

		tcp_defer_flush(c);
		flow_free_release();
	}

	fuzz_services();
}

/**
 * fuzz_tick() - Move time forward
 * @c:		Execution context
 * @ms:		Milliseconds
 */
static void fuzz_tick(struct ctx *c, long long ms)
{
	fuzz_now.tv_sec += ms / MS_PER_SEC;
	fuzz_now.tv_nsec += (ms % MS_PER_SEC) * 1000000;
	if (fuzz_now.tv_nsec >= NS_PER_SEC) {
		fuzz_now.tv_sec++;
		fuzz_now.tv_nsec -= NS_PER_SEC;
	}
	c->run->now = fuzz_now;
}

/**
 * fuzz_feed() - Write part of the stream, and let passt handle it
 * @c:		Execution context
 * @p:		Bytes of the stream
 * @len:	Length
 * @rounds:	Rounds of events to handle after each write, at most
 */
static void fuzz_feed(struct ctx *c, const uint8_t *p, size_t len,
		      int rounds)
{
	unsigned tries;

	for (tries = 0; len && c->run->fd_tap >= 0 && tries < FUZZ_FEEDS_MAX;
	     tries++) {
		ssize_t n = send(fuzz_peer, p, len,
				 MSG_DONTWAIT | MSG_NOSIGNAL);

		if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK)
			break;
		if (n > 0) {
			p += n;
			len -= n;
		}

		fuzz_tick(c, 1);
		fuzz_dispatch(c, rounds);
	}
}

/**
 * fuzz_start() - A guest connects: new socket, fresh state, passt says hi
 * @c:		Execution context
 * @ctl:	Directions in the first frame of the input, FUZZ_CTL_*
 */
static void fuzz_start(struct ctx *c, uint8_t ctl)
{
	bool small = ctl & FUZZ_CTL_SMALL;
	union epoll_ref ref = { .type = EPOLL_TYPE_TAP_PASST };
	int sv[2], v = FUZZ_SMALL_SNDBUF;

	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv))
		fuzz_die("can't create socket pair");
	if (small &&
	    setsockopt(sv[0], SOL_SOCKET, SO_SNDBUF, &v, sizeof(v)))
		fuzz_die("can't set send buffer size");
	if (fd_nonblock(sv[0]) || fd_nonblock(sv[1]))
		fuzz_die("can't make socket non-blocking");
	if (epoll_add(c, sv[0], EPOLLIN | EPOLLRDHUP, ref))
		fuzz_die("can't watch guest socket");

	c->run->fd_tap = sv[0];
	fuzz_peer = sv[1];
	fuzz_watch(fuzz_peer, FUZZ_K_PEER);
	fuzz_out_len = 0;
	fuzz_n_isns = 0;
	fuzz_n_hosts = 0;
	fuzz_reverse = ctl & FUZZ_CTL_REVERSE;

	c->ip4 = fuzz_ip4;
	c->ip6 = fuzz_ip6;
	memset(c->run->guest_mac, 0xff, ETH_ALEN);
	fuzz_now.tv_sec = 1000000;
	fuzz_now.tv_nsec = 0;
	c->run->now = fuzz_now;

	if (!fuzz_no_start)
		tap_start(c);
	fuzz_drain();
}

/**
 * fuzz_timers() - Let time pass: retransmissions, timeouts, expiry
 * @c:		Execution context
 */
static void fuzz_timers(struct ctx *c)
{
	/* Each step runs timers once: enough of them, with a maximum
	 * retransmission timeout of 8 s, to give up retransmitting */
	static const long long steps_ms[] = {
		10, 250, 1000, 3000, 8000, 8000, 8000, 8000, 8000, 11000,
		61000, 181000, 600000,
	};
	unsigned i;

	for (i = 0; i < ARRAY_SIZE(steps_ms) && c->run->fd_tap >= 0; i++) {
		/* Without flows, only the router advertisement timer is left */
		if (!flow_count() && i < ARRAY_SIZE(steps_ms) - 1)
			continue;
		fuzz_tick(c, steps_ms[i]);
		flow_timer(c, &fuzz_now);
		ndp_timer(c, &fuzz_now);
		tcp_defer_flush(c);
		flow_free_release();
		fuzz_dispatch(c, FUZZ_ROUNDS_MAX);
	}
}

/**
 * fuzz_tap_state() - Say what became of the guest's socket in passt's epoll
 *		      set, from /proc/self/fdinfo: is it still there, with our
 *		      reference and events?
 * @c:		Execution context
 */
static void fuzz_tap_state(const struct ctx *c)
{
	union epoll_ref ref = { .type = EPOLL_TYPE_TAP_PASST,
				.fd = c->run->fd_tap };
	char path[64], line[256];
	bool found = false;
	FILE *f;

	fprintf(stderr, "fuzz_tap: guest socket %i, reference %llx expected, "
		"%u flows\n", c->run->fd_tap, (unsigned long long)ref.u64,
		flow_count());

	snprintf(path, sizeof(path), "/proc/self/fdinfo/%i", c->epollfd);
	f = fopen(path, "re");
	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		int tfd;

		if (sscanf(line, "tfd: %i", &tfd) == 1 && tfd == c->run->fd_tap) {
			fprintf(stderr, "fuzz_tap: in epoll set: %s", line);
			found = true;
		}
	}
	fclose(f);
	if (!found)
		fprintf(stderr, "fuzz_tap: not in passt's epoll set\n");
}

/**
 * fuzz_stop() - The guest goes away: passt must clean up after it
 * @c:		Execution context
 */
static void fuzz_stop(struct ctx *c)
{
	close(fuzz_peer);
	fuzz_peer = -1;

	if (c->run->fd_tap >= 0)
		fuzz_dispatch(c, FUZZ_ROUNDS_MAX);
	if (c->run->fd_tap >= 0) {
		fuzz_tap_state(c);
		fuzz_die("passt didn't notice that the guest went away");
	}

	fuzz_services_reset();

	if (flow_count())
		fuzz_die("flows left after the guest went away");
	if (fuzz_fd_count() != fuzz_fds)
		fuzz_die("descriptors left open after the guest went away");
}

/**
 * LLVMFuzzerTestOneInput() - Feed one stream to passt
 * @data:	Stream: frames, each preceded by its 32-bit length
 * @size:	Length of the stream
 *
 * Return: 0
 */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ctx *c = &fuzz_c;
	size_t off = 0, start = 0;
	int rounds;
	uint8_t *in;
	uint8_t ctl;

	in = malloc(size ? size : 1);
	if (!in)
		fuzz_die("out of memory");
	memcpy(in, data, size);

	fuzz_fds = fuzz_fd_count();
	fuzz_start(c, size >= FUZZ_LEN_BYTES + ETH_HLEN ?
		      in[FUZZ_LEN_BYTES + FUZZ_MAC_CTL] : 0);

	while (size - off >= FUZZ_LEN_BYTES) {
		uint32_t len = fuzz_get32(in + off);
		uint8_t *f = in + off + FUZZ_LEN_BYTES;

		/* Bad lengths and a truncated frame go as they are */
		if (len < ETH_HLEN || len > TAP_FRAME_MAX ||
		    size - off - FUZZ_LEN_BYTES < len)
			break;

		ctl = f[FUZZ_MAC_CTL];
		rounds = ctl & FUZZ_CTL_BURST ? 1 : FUZZ_ROUNDS_MAX;

		if ((ctl & (FUZZ_CTL_FLUSH | FUZZ_CTL_HOST | FUZZ_CTL_BURST)) &&
		    off > start) {
			fuzz_feed(c, in + start, off - start, rounds);
			start = off;
		}
		if ((ctl & FUZZ_CTL_HOST) && c->run->fd_tap >= 0) {
			fuzz_host_connect();
			fuzz_dispatch(c, rounds);
		}
		fuzz_fix(f, len);
		if (ctl & FUZZ_CTL_SPLIT) {
			size_t cut = off + 1 + f[FUZZ_MAC_CUT] %
					       (FUZZ_LEN_BYTES + len - 1);

			fuzz_feed(c, in + start, cut - start, rounds);
			start = cut;
		}
		off += FUZZ_LEN_BYTES + len;
	}
	fuzz_feed(c, in + start, size - start, FUZZ_ROUNDS_MAX);

	fuzz_timers(c);
	fuzz_stop(c);

	free(in);
	return 0;
}

/**
 * fuzz_rand() - Next pseudo-random number of the mutator
 * @state:	State, updated
 *
 * Return: pseudo-random number
 */
static uint32_t fuzz_rand(uint64_t *state)
{
	*state = *state * 6364136223846793005ULL + 1442695040888963407ULL;

	return *state >> 33;
}

/**
 * fuzz_split() - Find the frames of an input
 * @d:		Input
 * @size:	Input length
 * @spans:	Frames, set
 * @tail:	Offset of what follows the last well-framed frame, set
 *
 * Return: number of frames, at most FUZZ_FRAMES_MAX
 */
static size_t fuzz_split(const uint8_t *d, size_t size,
			 struct fuzz_span *spans, size_t *tail)
{
	size_t off = 0, n = 0;

	while (n < FUZZ_FRAMES_MAX && size - off >= FUZZ_LEN_BYTES) {
		uint32_t len = fuzz_get32(d + off);

		if (len < ETH_HLEN || len > TAP_FRAME_MAX ||
		    size - off - FUZZ_LEN_BYTES < len)
			break;
		spans[n].p = d + off + FUZZ_LEN_BYTES;
		spans[n++].len = len;
		off += FUZZ_LEN_BYTES + len;
	}

	*tail = off;
	return n;
}

/**
 * fuzz_join() - Write frames back to back, each with its length
 * @out:	Destination
 * @max:	Room in @out
 * @spans:	Frames
 * @n:		Number of frames
 * @tail:	Bytes to append after the frames
 * @tail_len:	Length of @tail
 *
 * Return: bytes written, 0 if it doesn't fit
 */
static size_t fuzz_join(uint8_t *out, size_t max,
			const struct fuzz_span *spans, size_t n,
			const uint8_t *tail, size_t tail_len)
{
	size_t i, off = 0;

	for (i = 0; i < n; i++) {
		if (max - off < FUZZ_LEN_BYTES + spans[i].len)
			return 0;
		fuzz_put32(out + off, spans[i].len);
		memmove(out + off + FUZZ_LEN_BYTES, spans[i].p, spans[i].len);
		off += FUZZ_LEN_BYTES + spans[i].len;
	}

	if (max - off < tail_len)
		return 0;
	if (tail_len)
		memmove(out + off, tail, tail_len);

	return off + tail_len;
}

/**
 * fuzz_scratch() - A buffer of the mutator, grown as needed
 * @which:	0 or 1
 * @size:	Size needed
 *
 * Return: buffer
 */
static uint8_t *fuzz_scratch(int which, size_t size)
{
	static uint8_t *buf[2];
	static size_t len[2];

	if (len[which] < size) {
		free(buf[which]);
		buf[which] = malloc(size);
		if (!buf[which])
			fuzz_die("out of memory");
		len[which] = size;
	}

	return buf[which];
}

/**
 * LLVMFuzzerCustomMutator() - Mutate frames of a stream, keeping it framed
 * @data:	Input, mutated in place
 * @size:	Input length
 * @max_size:	Room in @data
 * @seed:	Seed for this mutation
 *
 * Return: new length
 */
size_t LLVMFuzzerCustomMutator(uint8_t *data, size_t size, size_t max_size,
			       unsigned int seed)
{
	static const uint8_t ctl_bits[] = {
		FUZZ_CTL_RAW, FUZZ_CTL_FLUSH, FUZZ_CTL_HOST, FUZZ_CTL_SMALL,
		FUZZ_CTL_REVERSE, FUZZ_CTL_BURST, FUZZ_CTL_SPLIT,
	};
	static struct fuzz_span spans[FUZZ_FRAMES_MAX + 1];
	uint64_t st = seed;
	uint8_t bit;
	size_t n, tail, i, j, len, room, frame_len;
	uint8_t *frame, *out;
	struct fuzz_span tmp;
	uint32_t op;

	n = fuzz_split(data, size, spans, &tail);
	op = fuzz_rand(&st) % 16;

	/* Now and then, or with nothing framed: bytes of the whole stream */
	if (!n || op == 0)
		return LLVMFuzzerMutate(data, size, max_size);

	i = fuzz_rand(&st) % n;
	out = fuzz_scratch(0, max_size);

	switch (op) {
	case 1:		/* Drop a frame */
		if (n < 2)
			return LLVMFuzzerMutate(data, size, max_size);
		memmove(&spans[i], &spans[i + 1], (n - i - 1) * sizeof(*spans));
		n--;
		break;
	case 2:		/* Duplicate a frame */
		if (n >= FUZZ_FRAMES_MAX)
			return LLVMFuzzerMutate(data, size, max_size);
		memmove(&spans[i + 1], &spans[i], (n - i) * sizeof(*spans));
		n++;
		break;
	case 3:		/* Swap two frames */
		j = fuzz_rand(&st) % n;
		tmp = spans[i];
		spans[i] = spans[j];
		spans[j] = tmp;
		break;
	case 4:		/* Flip the directions for the harness */
	case 5:
		frame = fuzz_scratch(1, spans[i].len);
		memcpy(frame, spans[i].p, spans[i].len);
		bit = ctl_bits[fuzz_rand(&st) % ARRAY_SIZE(ctl_bits)];
		frame[FUZZ_MAC_CTL] ^= bit;
		if (bit == FUZZ_CTL_SPLIT)
			frame[FUZZ_MAC_CUT] = fuzz_rand(&st);
		spans[i].p = frame;
		break;
	default:	/* Mutate the bytes of one frame */
		len = size - spans[i].len;
		room = max_size > len ? max_size - len : 0;
		room = MIN(room, (size_t)TAP_FRAME_MAX);
		if (room < spans[i].len)
			return LLVMFuzzerMutate(data, size, max_size);
		frame = fuzz_scratch(1, room);
		memcpy(frame, spans[i].p, spans[i].len);
		frame_len = LLVMFuzzerMutate(frame, spans[i].len, room);
		if (frame_len < ETH_HLEN) {
			memset(frame + frame_len, 0, ETH_HLEN - frame_len);
			frame_len = ETH_HLEN;
		}
		spans[i].p = frame;
		spans[i].len = frame_len;
		break;
	}

	len = fuzz_join(out, max_size, spans, n, data + tail, size - tail);
	if (!len)
		return LLVMFuzzerMutate(data, size, max_size);

	memcpy(data, out, len);
	return len;
}

/**
 * LLVMFuzzerCustomCrossOver() - Frames of one stream, then of another
 * @d1:		First stream
 * @s1:		Its length
 * @d2:		Second stream
 * @s2:		Its length
 * @out:	Result
 * @max_size:	Room in @out
 * @seed:	Seed for this cross-over
 *
 * Return: length of the result, 0 if there's nothing to combine
 */
size_t LLVMFuzzerCustomCrossOver(const uint8_t *d1, size_t s1,
				 const uint8_t *d2, size_t s2,
				 uint8_t *out, size_t max_size,
				 unsigned int seed)
{
	static struct fuzz_span a[FUZZ_FRAMES_MAX], b[FUZZ_FRAMES_MAX];
	static struct fuzz_span both[FUZZ_FRAMES_MAX];
	size_t na, nb, ta, tb, i, k, from_a, from_b, start_b;
	uint64_t st = seed;

	na = fuzz_split(d1, s1, a, &ta);
	nb = fuzz_split(d2, s2, b, &tb);
	if (!na || !nb)
		return 0;

	from_a = fuzz_rand(&st) % na + 1;
	start_b = fuzz_rand(&st) % nb;
	from_b = nb - start_b;

	for (i = k = 0; i < from_a && k < FUZZ_FRAMES_MAX; i++)
		both[k++] = a[i];
	for (i = 0; i < from_b && k < FUZZ_FRAMES_MAX; i++)
		both[k++] = b[start_b + i];

	return fuzz_join(out, max_size, both, k, NULL, 0);
}
