// SPDX-License-Identifier: GPL-2.0-or-later

/* vubridge - A vhost-user front end relaying frames between a tap device and
 * a vhost-user back end's queues
 *
 * Plays qemu's part towards passt --vhost-user: it creates "guest memory"
 * (a memfd), lays out the two queues of a virtio-net device and their
 * buffers in it, connects to the back end's socket, negotiates features and
 * hands over the memory, the rings and the eventfds. Then it relays: frames
 * the tap device gives go into transmit buffers, frames the back end writes
 * into receive buffers go to the tap device. Run in a namespace, that
 * namespace's own network stack is the guest, at full speed, for tests and
 * benchmarks of the vhost-user path.
 *
 * The tap device uses a 12-byte virtio-net header, the one of virtio 1.x:
 * headers pass through unchanged both ways, offloads included.
 *
 * Written from the vhost-user protocol specification and virtio 1.x.
 *
 * Example:
 *	ip netns exec ns1 vubridge -s /tmp/passt.sock -i eth0 --up
 */

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <net/if.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <sys/un.h>

#include <linux/if_tun.h>
#include <linux/virtio_config.h>
#include <linux/virtio_net.h>
#include <linux/virtio_ring.h>

#define QSIZE			256
#define BUF_SIZE		(65536 + 64)
#define RING_AREA		(16 * 1024)	/* Rings of one queue */
#define GPA_BASE		0x100000ULL	/* Where "guest memory" starts */
#define HDR_LEN			12		/* struct virtio_net_hdr_v1 */
#define MEM_SIZE		(2 * RING_AREA + 2ULL * QSIZE * BUF_SIZE)
#define TX_BATCH		64
#define CONNECT_TIMEOUT_MS	10000

#define RXQ			0
#define TXQ			1

/* vhost-user requests */
#define GET_FEATURES		1
#define SET_FEATURES		2
#define SET_OWNER		3
#define SET_MEM_TABLE		5
#define SET_VRING_NUM		8
#define SET_VRING_ADDR		9
#define SET_VRING_BASE		10
#define SET_VRING_KICK		12
#define SET_VRING_CALL		13
#define GET_PROTOCOL_FEATURES	15
#define SET_PROTOCOL_FEATURES	16
#define SET_VRING_ENABLE	18
#define F_PROTOCOL_FEATURES	30
#define PROTOCOL_F_REPLY_ACK	3
#define FLAG_VERSION		1
#define FLAG_REPLY		(1U << 2)
#define FLAG_NEED_REPLY		(1U << 3)

#ifndef VIRTIO_NET_F_GUEST_USO4
#define VIRTIO_NET_F_GUEST_USO4	54
#define VIRTIO_NET_F_GUEST_USO6	55
#endif

/* Runs of UDP datagrams to the guest (GUEST_USO4/6) go to the tap device as
 * they come, for the namespace's kernel to split, as a guest's would
 */
#define WANT_FEATURES							\
	((1ULL << VIRTIO_F_VERSION_1) | (1ULL << VIRTIO_NET_F_MRG_RXBUF) | \
	 (1ULL << VIRTIO_RING_F_EVENT_IDX) | (1ULL << VIRTIO_NET_F_CSUM) | \
	 (1ULL << VIRTIO_NET_F_GUEST_CSUM) |				\
	 (1ULL << VIRTIO_NET_F_HOST_TSO4) |				\
	 (1ULL << VIRTIO_NET_F_HOST_TSO6) |				\
	 (1ULL << VIRTIO_NET_F_GUEST_TSO4) |				\
	 (1ULL << VIRTIO_NET_F_GUEST_TSO6) |				\
	 (1ULL << VIRTIO_NET_F_GUEST_USO4) |				\
	 (1ULL << VIRTIO_NET_F_GUEST_USO6) | (1ULL << F_PROTOCOL_FEATURES))

static volatile sig_atomic_t quit;

/**
 * struct msg - A vhost-user message
 * @req:	Request
 * @flags:	Flags
 * @size:	Payload size
 * @u:		Payload
 */
struct msg {
	uint32_t req;
	uint32_t flags;
	uint32_t size;
	union {
		uint64_t u64;
		struct { uint32_t index, num; } state;
		struct {
			uint32_t index, flags;
			uint64_t desc, used, avail, log;
		} addr;
		struct {
			uint32_t n, pad;
			uint64_t gpa, size, qva, off;
		} mem;
	} u;
} __attribute__((packed));

/**
 * struct queue - One queue, as its driver sees it
 * @desc:	Descriptor table
 * @avail:	Available ring
 * @used:	Used ring
 * @avail_idx:	Next index of the available ring we write
 * @last_used:	Next index of the used ring we read
 * @kick:	eventfd we kick the device with
 * @call:	eventfd the device notifies us on
 * @buf:	Buffer of each descriptor
 * @free:	Free descriptors (transmit queue), a stack
 * @nfree:	Number of free descriptors
 */
struct queue {
	struct vring_desc *desc;
	struct vring_avail *avail;
	struct vring_used *used;
	uint16_t avail_idx;
	uint16_t last_used;
	int kick;
	int call;
	unsigned char *buf[QSIZE];
	uint16_t free[QSIZE];
	unsigned nfree;
};

static unsigned char *mem;
static struct queue q[2];
static int sock = -1, tapfd = -1;
static bool quiet, event_idx, ack;
static unsigned rx_buf_len = BUF_SIZE;	/* Length of each receive buffer */
static unsigned tx_seg;			/* Bytes a transmit descriptor, or 0 */
static unsigned long long frames_in, frames_out;

/**
 * die() - Print an error and exit
 * @fmt:	printf() format
 */
__attribute__((noreturn, format(printf, 1, 2)))
static void die(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fprintf(stderr, "vubridge: ");
	vfprintf(stderr, fmt, ap);
	fprintf(stderr, "\n");
	va_end(ap);
	exit(EXIT_FAILURE);
}

/**
 * gpa() - Guest physical address of a place in our "guest memory"
 * @p:		Place
 *
 * Return: its address for the device
 */
static uint64_t gpa(const void *p)
{
	return GPA_BASE + (uint64_t)((const unsigned char *)p - mem);
}

/**
 * msg_send() - Send a message, maybe with a descriptor, maybe wait for the
 *		reply
 * @m:		Message, with request, size and payload set; reply on return
 * @fd:		Descriptor to pass, or -1
 * @reply:	Wait for a reply (a value, or an acknowledgement)
 */
static void msg_send(struct msg *m, int fd, bool reply)
{
	union {
		char buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} u;
	struct iovec iov = { .iov_base = m, .iov_len = 12 + m->size };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };
	bool want_ack = !reply && ack;
	uint32_t req = m->req;

	m->flags = FLAG_VERSION | (want_ack ? FLAG_NEED_REPLY : 0);
	if (fd >= 0) {
		struct cmsghdr *c;

		mh.msg_control = u.buf;
		mh.msg_controllen = sizeof(u.buf);
		c = CMSG_FIRSTHDR(&mh);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(c), &fd, sizeof(fd));
	}
	if (sendmsg(sock, &mh, MSG_NOSIGNAL) != (ssize_t)iov.iov_len)
		die("sending request %u: %s", req, strerror(errno));

	if (!reply && !want_ack)
		return;

	if (recv(sock, m, 12, MSG_WAITALL) != 12 ||
	    !(m->flags & FLAG_REPLY) || m->req != req ||
	    m->size > sizeof(m->u) ||
	    (m->size && recv(sock, &m->u, m->size, MSG_WAITALL) !=
			(ssize_t)m->size))
		die("no reply to request %u", req);

	if (want_ack && m->u.u64)
		die("request %u failed", req);
}

/**
 * req_u64() - Send a request with a 64-bit payload
 * @req:	Request
 * @v:		Payload
 * @fd:		Descriptor to pass, or -1
 */
static void req_u64(uint32_t req, uint64_t v, int fd)
{
	struct msg m = { .req = req, .size = 8, .u.u64 = v };

	msg_send(&m, fd, false);
}

/**
 * req_state() - Send a request with a queue index and a number
 * @req:	Request
 * @index:	Queue
 * @num:	Number
 */
static void req_state(uint32_t req, uint32_t index, uint32_t num)
{
	struct msg m = { .req = req, .size = 8 };

	m.u.state.index = index;
	m.u.state.num = num;
	msg_send(&m, -1, false);
}

/**
 * get_u64() - Send a request that has a 64-bit value as reply
 * @req:	Request
 *
 * Return: the value
 */
static uint64_t get_u64(uint32_t req)
{
	struct msg m = { .req = req, .size = 0 };

	msg_send(&m, -1, true);
	return m.u.u64;
}

/**
 * mem_setup() - Create the guest memory, lay out queues and buffers
 *
 * Return: memfd
 */
static int mem_setup(void)
{
	unsigned char *bufs;
	int fd, i, k;

	fd = memfd_create("vubridge", MFD_CLOEXEC);
	if (fd < 0 || ftruncate(fd, MEM_SIZE))
		die("can't create guest memory: %s", strerror(errno));
	mem = mmap(NULL, MEM_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (mem == MAP_FAILED)
		die("can't map guest memory: %s", strerror(errno));

	bufs = mem + 2 * RING_AREA;
	for (i = 0; i < 2; i++) {
		unsigned char *r = mem + i * RING_AREA;

		q[i].desc = (struct vring_desc *)r;
		q[i].avail = (struct vring_avail *)(r + 4096);
		q[i].used = (struct vring_used *)(r + 8192);
		for (k = 0; k < QSIZE; k++)
			q[i].buf[k] = bufs + ((size_t)i * QSIZE + k) * BUF_SIZE;
		q[i].kick = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
		q[i].call = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
		if (q[i].kick < 0 || q[i].call < 0)
			die("can't create eventfds");
	}

	/* Transmit descriptors are all free to begin with */
	for (k = 0; k < QSIZE; k++)
		q[TXQ].free[q[TXQ].nfree++] = QSIZE - 1 - k;

	return fd;
}

/**
 * kick_maybe() - Kick a queue if the device wants to hear about new chains
 * @qu:		Queue
 * @old:	Available index before the ones just made available
 */
static void kick_maybe(struct queue *qu, uint16_t old)
{
	uint64_t one = 1;

	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	if (event_idx) {
		uint16_t *avail_event = (uint16_t *)((char *)qu->used + 4 +
						     QSIZE * 8);
		uint16_t ev = __atomic_load_n(avail_event, __ATOMIC_ACQUIRE);

		if (!vring_need_event(ev, qu->avail_idx, old))
			return;
	} else if (qu->used->flags & VRING_USED_F_NO_NOTIFY) {
		return;
	}

	if (write(qu->kick, &one, sizeof(one)) < 0 && errno != EAGAIN)
		die("kick: %s", strerror(errno));
}

/**
 * make_avail() - Put a descriptor in the available ring
 * @qu:		Queue
 * @id:		Descriptor
 */
static void make_avail(struct queue *qu, uint16_t id)
{
	qu->avail->ring[qu->avail_idx % QSIZE] = id;
	qu->avail_idx++;
}

/**
 * publish() - Let the device see the chains made available
 * @qu:		Queue
 */
static void publish(struct queue *qu)
{
	__atomic_store_n(&qu->avail->idx, qu->avail_idx, __ATOMIC_RELEASE);
}

/**
 * want_calls() - Ask to be notified once the device uses what's next
 * @qu:		Queue
 */
static void want_calls(struct queue *qu)
{
	if (event_idx)
		__atomic_store_n(&qu->avail->ring[QSIZE], qu->last_used,
				 __ATOMIC_RELEASE);
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
}

/**
 * negotiate() - Tell the back end everything about the device
 * @memfd:	Guest memory
 */
static void negotiate(int memfd)
{
	uint64_t f = get_u64(GET_FEATURES);
	struct msg m;
	int i;

	if (f & (1ULL << F_PROTOCOL_FEATURES)) {
		uint64_t p = get_u64(GET_PROTOCOL_FEATURES);

		p &= 1ULL << PROTOCOL_F_REPLY_ACK;
		req_u64(SET_PROTOCOL_FEATURES, p, -1);
		ack = p;
	}

	f &= WANT_FEATURES;
	event_idx = f & (1ULL << VIRTIO_RING_F_EVENT_IDX);
	if (!(f & (1ULL << VIRTIO_F_VERSION_1)) ||
	    !(f & (1ULL << VIRTIO_NET_F_MRG_RXBUF)))
		die("back end lacks virtio 1.x or merged receive buffers");

	m = (struct msg){ .req = SET_OWNER };
	msg_send(&m, -1, false);
	req_u64(SET_FEATURES, f, -1);

	m = (struct msg){ .req = SET_MEM_TABLE, .size = 8 + 32 };
	m.u.mem.n = 1;
	m.u.mem.gpa = GPA_BASE;
	m.u.mem.size = MEM_SIZE;
	m.u.mem.qva = (uint64_t)(uintptr_t)mem;
	m.u.mem.off = 0;
	msg_send(&m, memfd, false);

	for (i = 0; i < 2; i++) {
		req_state(SET_VRING_NUM, i, QSIZE);
		req_state(SET_VRING_BASE, i, 0);
		m = (struct msg){ .req = SET_VRING_ADDR, .size = 40 };
		m.u.addr.index = i;
		m.u.addr.desc = (uint64_t)(uintptr_t)q[i].desc;
		m.u.addr.used = (uint64_t)(uintptr_t)q[i].used;
		m.u.addr.avail = (uint64_t)(uintptr_t)q[i].avail;
		msg_send(&m, -1, false);
		req_u64(SET_VRING_CALL, i, q[i].call);
		req_u64(SET_VRING_KICK, i, q[i].kick);
		if (f & (1ULL << F_PROTOCOL_FEATURES))
			req_state(SET_VRING_ENABLE, i, 1);
	}
}

/**
 * rx_post_all() - Give every receive buffer to the device
 */
static void rx_post_all(void)
{
	struct queue *qu = &q[RXQ];
	uint16_t old = qu->avail_idx;
	int k;

	for (k = 0; k < QSIZE; k++) {
		qu->desc[k].addr = gpa(qu->buf[k]);
		qu->desc[k].len = rx_buf_len;
		qu->desc[k].flags = VRING_DESC_F_WRITE;
		qu->desc[k].next = 0;
		make_avail(qu, k);
	}
	publish(qu);
	want_calls(qu);
	kick_maybe(qu, old);
}

/**
 * rx_drain() - Frames the device wrote: to the tap device, buffers back
 */
static void rx_drain(void)
{
	struct queue *qu = &q[RXQ];
	uint16_t old = qu->avail_idx;
	bool posted = false;

	for (;;) {
		uint16_t used = __atomic_load_n(&qu->used->idx,
						__ATOMIC_ACQUIRE);
		struct iovec iov[QSIZE];
		struct virtio_net_hdr_mrg_rxbuf *vh;
		struct vring_used_elem *e;
		unsigned n, k;

		if (used == qu->last_used) {
			want_calls(qu);
			used = __atomic_load_n(&qu->used->idx,
					       __ATOMIC_ACQUIRE);
			if (used == qu->last_used)
				break;
		}

		e = &qu->used->ring[qu->last_used % QSIZE];
		if (e->id >= QSIZE)
			die("used descriptor %u out of range", e->id);
		vh = (struct virtio_net_hdr_mrg_rxbuf *)qu->buf[e->id];
		n = vh->num_buffers;
		if (!n || n > (uint16_t)(used - qu->last_used))
			die("frame of %u buffers, %u used", n,
			    (uint16_t)(used - qu->last_used));

		for (k = 0; k < n; k++) {
			e = &qu->used->ring[(uint16_t)(qu->last_used + k) %
					    QSIZE];
			if (e->id >= QSIZE || e->len > rx_buf_len)
				die("bad used element");
			iov[k].iov_base = qu->buf[e->id];
			iov[k].iov_len = e->len;
		}
		if (writev(tapfd, iov, n) < 0 && errno != EAGAIN &&
		    errno != EINVAL && errno != EIO)
			die("writing to tap: %s", strerror(errno));
		frames_out++;

		for (k = 0; k < n; k++) {
			e = &qu->used->ring[(uint16_t)(qu->last_used + k) %
					    QSIZE];
			make_avail(qu, e->id);
		}
		qu->last_used += n;
		posted = true;
	}

	if (posted) {
		publish(qu);
		kick_maybe(qu, old);
	}
}

/**
 * tx_reclaim() - Take back transmit buffers the device used
 */
static void tx_reclaim(void)
{
	struct queue *qu = &q[TXQ];
	uint16_t used = __atomic_load_n(&qu->used->idx, __ATOMIC_ACQUIRE);

	while (qu->last_used != used) {
		struct vring_used_elem *e;
		uint16_t id;

		e = &qu->used->ring[qu->last_used % QSIZE];
		if (e->id >= QSIZE)
			die("used descriptor %u out of range", e->id);
		id = e->id;
		/* Every descriptor of the chain (tx_chain()) */
		for (;;) {
			qu->free[qu->nfree++] = id;
			if (!(qu->desc[id].flags & VRING_DESC_F_NEXT))
				break;
			id = qu->desc[id].next;
		}
		qu->last_used++;
	}
}

/**
 * tx_chain() - Describe a frame in a transmit buffer as a chain of
 *		descriptors of tx_seg bytes each (the last one shorter), as
 *		a guest's kernel gives a frame in pieces: its virtio-net
 *		header, its headers, pages of payload
 * @head:	Descriptor whose buffer has the frame, already taken
 * @len:	Length of the frame
 */
static void tx_chain(uint16_t head, size_t len)
{
	struct queue *qu = &q[TXQ];
	uint64_t addr = gpa(qu->buf[head]);
	uint16_t id = head;

	for (;;) {
		size_t n = tx_seg && len > tx_seg ? tx_seg : len;

		qu->desc[id].addr = addr;
		qu->desc[id].len = n;
		qu->desc[id].flags = 0;
		qu->desc[id].next = 0;
		addr += n;
		len -= n;
		if (!len)
			break;
		/* tx_fill() made sure there are enough */
		qu->desc[id].flags = VRING_DESC_F_NEXT;
		qu->desc[id].next = qu->free[--qu->nfree];
		id = qu->desc[id].next;
	}
}

/**
 * tx_fill() - Frames from the tap device into transmit buffers
 *
 * Return: true if it stopped for lack of buffers
 */
static bool tx_fill(void)
{
	unsigned need = tx_seg ? (BUF_SIZE + tx_seg - 1) / tx_seg : 1;
	struct queue *qu = &q[TXQ];
	uint16_t old = qu->avail_idx;
	bool full = false;
	int n = 0;

	for (;;) {
		uint16_t id;
		ssize_t len;

		if (qu->nfree < need)
			tx_reclaim();
		/* Ask for a call after what we took back, then look once more:
		 * no race, and the call comes for the next one used
		 */
		while (qu->nfree < need) {
			uint16_t seen = qu->last_used;

			want_calls(qu);
			tx_reclaim();
			if (qu->last_used == seen)
				break;
		}
		if (qu->nfree < need) {
			full = true;
			break;
		}
		id = qu->free[qu->nfree - 1];

		len = read(tapfd, qu->buf[id], BUF_SIZE);
		if (len < 0) {
			if (errno == EAGAIN || errno == EINTR)
				break;
			die("reading from tap: %s", strerror(errno));
		}
		if (len < HDR_LEN + 14)
			continue;

		qu->nfree--;
		tx_chain(id, len);
		make_avail(qu, id);
		frames_in++;

		if (++n % TX_BATCH == 0) {
			publish(qu);
			kick_maybe(qu, old);
			old = qu->avail_idx;
		}
	}

	publish(qu);
	kick_maybe(qu, old);
	return full;
}

/**
 * tap_open() - Create the tap device, 12-byte virtio-net headers, offloads
 * @name:	Interface name
 * @mac:	MAC address, or NULL
 * @mtu:	MTU, or 0
 * @up:		Bring it up
 *
 * Return: descriptor
 */
static int tap_open(const char *name, const char *mac, int mtu, bool up)
{
	struct ifreq ifr = { .ifr_flags = IFF_TAP | IFF_NO_PI | IFF_VNET_HDR };
	int fd, s, hdr = HDR_LEN;

	fd = open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0)
		die("can't open /dev/net/tun: %s", strerror(errno));
	snprintf(ifr.ifr_name, IFNAMSIZ, "%s", name);
	if (ioctl(fd, TUNSETIFF, &ifr) || ioctl(fd, TUNSETVNETHDRSZ, &hdr) ||
	    ioctl(fd, TUNSETOFFLOAD, TUN_F_CSUM | TUN_F_TSO4 | TUN_F_TSO6))
		die("can't set up tap device %s: %s", name, strerror(errno));

	s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (s < 0)
		die("socket: %s", strerror(errno));
	if (mac) {
		unsigned v[6], i;
		struct ifreq r = { 0 };

		if (sscanf(mac, "%x:%x:%x:%x:%x:%x", &v[0], &v[1], &v[2],
			   &v[3], &v[4], &v[5]) != 6)
			die("bad MAC address %s", mac);
		snprintf(r.ifr_name, IFNAMSIZ, "%s", ifr.ifr_name);
		r.ifr_hwaddr.sa_family = 1;	/* ARPHRD_ETHER */
		for (i = 0; i < 6; i++)
			r.ifr_hwaddr.sa_data[i] = v[i];
		if (ioctl(s, SIOCSIFHWADDR, &r))
			die("can't set MAC address: %s", strerror(errno));
	}
	if (mtu) {
		struct ifreq r = { .ifr_mtu = mtu };

		snprintf(r.ifr_name, IFNAMSIZ, "%s", ifr.ifr_name);
		if (ioctl(s, SIOCSIFMTU, &r))
			die("can't set MTU: %s", strerror(errno));
	}
	if (up) {
		struct ifreq r = { 0 };

		snprintf(r.ifr_name, IFNAMSIZ, "%s", ifr.ifr_name);
		if (ioctl(s, SIOCGIFFLAGS, &r))
			die("can't get flags: %s", strerror(errno));
		r.ifr_flags |= IFF_UP;
		if (ioctl(s, SIOCSIFFLAGS, &r))
			die("can't bring up: %s", strerror(errno));
	}
	close(s);

	return fd;
}

/**
 * sock_connect() - Connect to the back end, waiting for its socket
 * @path:	Socket path
 *
 * Return: socket
 */
static int sock_connect(const char *path)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	struct timespec ts = { 0, 20 * 1000 * 1000 };
	int s, waited;

	snprintf(a.sun_path, sizeof(a.sun_path), "%s", path);
	for (waited = 0; waited < CONNECT_TIMEOUT_MS; waited += 20) {
		s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (s < 0)
			die("socket: %s", strerror(errno));
		if (!connect(s, (struct sockaddr *)&a, sizeof(a)))
			return s;
		close(s);
		nanosleep(&ts, NULL);
	}
	die("can't connect to %s", path);
}

/**
 * on_signal() - Termination signals: end the relay
 * @sig:	Signal
 */
static void on_signal(int sig)
{
	(void)sig;
	quit = 1;
}

/**
 * usage() - Print the command line summary and exit
 * @name:	Program name
 * @status:	Exit status
 */
__attribute__((noreturn))
static void usage(const char *name, int status)
{
	fprintf(status ? stderr : stdout,
		"Usage: %s -s PATH [-i IFNAME] [-M MAC] [-m MTU] [--up] [-q]\n"
		"       [-b BYTES] [-t BYTES]\n"
		"MTU defaults to 65520. Receive buffers are of BYTES each\n"
		"(--rx-buf, 64 to 65600, default 65600): a frame longer than\n"
		"one takes several (mergeable buffers), as Linux guests post\n"
		"buffers of 1.5 to 4 KiB. Frames sent are in one descriptor\n"
		"each, or in chains of descriptors of BYTES each (--tx-seg,\n"
		"513 to 65600), as a guest's kernel hands a frame in pieces\n"
		"(passt takes chains of up to 64: 1100 bytes or more).\n"
		"Relay frames between a tap device and the queues of a\n"
		"vhost-user back end listening on PATH.\n", name);
	exit(status);
}

/**
 * main() - Entry point
 * @argc:	Argument count
 * @argv:	Arguments
 *
 * Return: 0 once terminated by a signal, 1 on errors (also if the back end
 *	   closes the connection)
 */
int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "socket",	required_argument,	NULL,	's' },
		{ "ifname",	required_argument,	NULL,	'i' },
		{ "mac",	required_argument,	NULL,	'M' },
		{ "mtu",	required_argument,	NULL,	'm' },
		{ "up",		no_argument,		NULL,	'u' },
		{ "rx-buf",	required_argument,	NULL,	'b' },
		{ "tx-seg",	required_argument,	NULL,	't' },
		{ "quiet",	no_argument,		NULL,	'q' },
		{ "help",	no_argument,		NULL,	'h' },
		{ NULL,		0,			NULL,	0 },
	};
	const char *path = NULL, *ifname = "tap0", *mac = NULL;
	struct epoll_event ev = { 0 }, evs[8];
	bool up = false, tx_full = false;
	struct sigaction sa = { 0 };
	int mtu = 65520, o, ep, memfd;

	while ((o = getopt_long(argc, argv, "s:i:M:m:b:t:qh", opts, NULL)) != -1) {
		switch (o) {
		case 's': path = optarg; break;
		case 'i': ifname = optarg; break;
		case 'M': mac = optarg; break;
		case 'm': mtu = atoi(optarg); break;
		case 'u': up = true; break;
		case 'b': rx_buf_len = atoi(optarg); break;
		case 't': tx_seg = atoi(optarg); break;
		case 'q': quiet = true; break;
		case 'h': usage(argv[0], EXIT_SUCCESS);
		default: usage(argv[0], EXIT_FAILURE);
		}
	}
	if (!path || rx_buf_len < 64 || rx_buf_len > BUF_SIZE ||
	    tx_seg > BUF_SIZE || (tx_seg && (BUF_SIZE + tx_seg - 1) / tx_seg >
					    QSIZE / 2))
		usage(argv[0], EXIT_FAILURE);

	sa.sa_handler = on_signal;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);

	tapfd = tap_open(ifname, mac, mtu, up);
	memfd = mem_setup();
	sock = sock_connect(path);
	negotiate(memfd);
	close(memfd);
	rx_post_all();
	want_calls(&q[TXQ]);

	ep = epoll_create1(EPOLL_CLOEXEC);
	ev.events = EPOLLIN;
	ev.data.u32 = 0;
	epoll_ctl(ep, EPOLL_CTL_ADD, tapfd, &ev);
	ev.data.u32 = 1;
	epoll_ctl(ep, EPOLL_CTL_ADD, q[RXQ].call, &ev);
	ev.data.u32 = 2;
	epoll_ctl(ep, EPOLL_CTL_ADD, q[TXQ].call, &ev);
	ev.events = EPOLLRDHUP;
	ev.data.u32 = 3;
	epoll_ctl(ep, EPOLL_CTL_ADD, sock, &ev);

	while (!quit) {
		bool was_full = tx_full;
		int n = epoll_wait(ep, evs, 8, 1000), i;
		uint64_t v;

		if (n < 0 && errno != EINTR)
			die("epoll_wait: %s", strerror(errno));

		for (i = 0; i < n; i++) {
			switch (evs[i].data.u32) {
			case 0:
				tx_full = tx_fill();
				break;
			case 1:
				if (read(q[RXQ].call, &v, sizeof(v)) < 0 &&
				    errno != EAGAIN)
					die("call: %s", strerror(errno));
				rx_drain();
				break;
			case 2:
				if (read(q[TXQ].call, &v, sizeof(v)) < 0 &&
				    errno != EAGAIN)
					die("call: %s", strerror(errno));
				tx_reclaim();
				if (tx_full)
					tx_full = tx_fill();
				break;
			default:
				if (!quiet)
					fprintf(stderr, "vubridge: back end "
						"closed the connection\n");
				return EXIT_FAILURE;
			}
		}
		/* Catch what came without a notification we waited for */
		rx_drain();

		/* Out of transmit buffers: the tap device waits meanwhile */
		if (tx_full != was_full) {
			ev.events = tx_full ? 0 : EPOLLIN;
			ev.data.u32 = 0;
			epoll_ctl(ep, EPOLL_CTL_MOD, tapfd, &ev);
		}
	}

	if (!quiet)
		fprintf(stderr, "vubridge: %llu frames in, %llu out\n",
			frames_in, frames_out);
	return EXIT_SUCCESS;
}
