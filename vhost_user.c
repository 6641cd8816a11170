// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * passt - user-mode networking for virtual machines and namespaces
 *
 * vhost_user.c - vhost-user back end: the front end's messages, the device
 *
 * With --vhost-user, qemu (the front end) connects to our socket and drives
 * a virtio-net device of its guest whose queues we serve (see link_vu.c):
 * it tells us which features to use, where the guest's memory is (as file
 * descriptors to map), where each queue's rings are, and which eventfds
 * carry notifications each way.
 *
 * Each message is a 12-byte header (request, flags, payload size) and its
 * payload, with descriptors passed alongside. We read whatever has arrived,
 * and act on a message once all of it is there. The front end is as
 * untrusted as the guest: a message too long, of the wrong size for its
 * request, or with more descriptors than it may carry closes the
 * connection; descriptors we don't keep are closed.
 *
 * Written from the vhost-user protocol specification (qemu's
 * docs/interop/vhost-user.rst) and virtio 1.x.
 */

#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/epoll.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <linux/virtio_config.h>
#include <linux/virtio_net.h>
#include <linux/virtio_ring.h>

#include "link.h"
#include "log.h"
#include "passt.h"
#include "tap.h"
#include "util.h"
#include "vhost_user.h"
#include "virtio.h"

/* #syscalls:passt recvmsg sendmsg mmap munmap close epoll_ctl */
/* #syscalls:passt fstat newfstatat */
/* #syscalls:passt shutdown rt_sigreturn */

/* Requests of the front end */
#define VHOST_USER_GET_FEATURES			1
#define VHOST_USER_SET_FEATURES			2
#define VHOST_USER_SET_OWNER			3
#define VHOST_USER_RESET_OWNER			4
#define VHOST_USER_SET_MEM_TABLE		5
#define VHOST_USER_SET_VRING_NUM		8
#define VHOST_USER_SET_VRING_ADDR		9
#define VHOST_USER_SET_VRING_BASE		10
#define VHOST_USER_GET_VRING_BASE		11
#define VHOST_USER_SET_VRING_KICK		12
#define VHOST_USER_SET_VRING_CALL		13
#define VHOST_USER_SET_VRING_ERR		14
#define VHOST_USER_GET_PROTOCOL_FEATURES	15
#define VHOST_USER_SET_PROTOCOL_FEATURES	16
#define VHOST_USER_GET_QUEUE_NUM		17
#define VHOST_USER_SET_VRING_ENABLE		18
#define VHOST_USER_SEND_RARP			19
#define VHOST_USER_NET_SET_MTU			20

/* Header flags */
#define VHOST_USER_VERSION			1
#define VHOST_USER_VERSION_MASK			0x3
#define VHOST_USER_REPLY			(1U << 2)
#define VHOST_USER_NEED_REPLY			(1U << 3)

/* Protocol features */
#define VHOST_USER_PROTOCOL_F_REPLY_ACK		3

/* Virtio feature bit telling that protocol features can be negotiated */
#define VHOST_USER_F_PROTOCOL_FEATURES		30

/* Payload of SET_VRING_KICK, _CALL, _ERR: queue index, and no descriptor */
#define VHOST_USER_VRING_IDX_MASK		0xff
#define VHOST_USER_VRING_NOFD			(1ULL << 8)

#define VU_MSG_PAYLOAD_MAX	4096
#define VU_MSG_FDS_MAX		VU_REGIONS_MAX

/* Not in the kernel headers before Linux 6.2 */
#ifndef VIRTIO_NET_F_GUEST_USO4
#define VIRTIO_NET_F_GUEST_USO4	54
#define VIRTIO_NET_F_GUEST_USO6	55
#endif

/* What we offer: virtio 1.x, merged receive buffers, event indices, and the
 * checksum and segmentation offloads both ways that let TCP data cross in
 * frames of up to 64 KiB; runs of UDP datagrams to the guest in one frame
 */
#define VU_FEATURES							\
	((1ULL << VIRTIO_F_VERSION_1) |					\
	 (1ULL << VIRTIO_NET_F_MRG_RXBUF) |				\
	 (1ULL << VIRTIO_RING_F_EVENT_IDX) |				\
	 (1ULL << VIRTIO_NET_F_CSUM) |					\
	 (1ULL << VIRTIO_NET_F_GUEST_CSUM) |				\
	 (1ULL << VIRTIO_NET_F_HOST_TSO4) |				\
	 (1ULL << VIRTIO_NET_F_HOST_TSO6) |				\
	 (1ULL << VIRTIO_NET_F_GUEST_TSO4) |				\
	 (1ULL << VIRTIO_NET_F_GUEST_TSO6) |				\
	 (1ULL << VIRTIO_NET_F_GUEST_USO4) |				\
	 (1ULL << VIRTIO_NET_F_GUEST_USO6) |				\
	 (1ULL << VHOST_USER_F_PROTOCOL_FEATURES))

#define VU_PROTOCOL_FEATURES	(1ULL << VHOST_USER_PROTOCOL_F_REPLY_ACK)

/**
 * struct vu_msg_hdr - Header of a vhost-user message
 * @request:	Request
 * @flags:	Version, reply flags
 * @size:	Size of the payload
 */
struct vu_msg_hdr {
	uint32_t request;
	uint32_t flags;
	uint32_t size;
} __attribute__((packed));

/**
 * struct vu_msg_state - Payload with a queue index and a number
 * @index:	Queue
 * @num:	Number: queue size, base index, enabled
 */
struct vu_msg_state {
	uint32_t index;
	uint32_t num;
};

/**
 * struct vu_msg_addr - Payload of SET_VRING_ADDR
 * @index:	Queue
 * @flags:	Logging flag, unused
 * @desc:	Descriptor table, front end address
 * @used:	Used ring, front end address
 * @avail:	Available ring, front end address
 * @log:	Logging address, unused
 */
struct vu_msg_addr {
	uint32_t index;
	uint32_t flags;
	uint64_t desc;
	uint64_t used;
	uint64_t avail;
	uint64_t log;
};

/**
 * struct vu_msg_region - One region of SET_MEM_TABLE
 * @gpa:	Guest physical address
 * @size:	Size
 * @qva:	Front end address
 * @mmap_off:	Where the region starts in its file
 */
struct vu_msg_region {
	uint64_t gpa;
	uint64_t size;
	uint64_t qva;
	uint64_t mmap_off;
};

/**
 * struct vu_msg_mem - Payload of SET_MEM_TABLE
 * @nregions:	Number of regions, one descriptor each
 * @padding:	Unused
 * @r:		Regions
 */
struct vu_msg_mem {
	uint32_t nregions;
	uint32_t padding;
	struct vu_msg_region r[VU_REGIONS_MAX];
};

/**
 * struct vu_msg - A message being read, and the descriptors that came with
 * @hdr:	Header
 * @payload:	Payload
 * @have:	Bytes of header and payload read so far
 * @fds:	Descriptors received with it
 * @nfds:	Number of descriptors
 */
static struct vu_msg {
	struct vu_msg_hdr hdr;
	union {
		uint64_t u64;
		struct vu_msg_state state;
		struct vu_msg_addr addr;
		struct vu_msg_mem mem;
		char raw[VU_MSG_PAYLOAD_MAX];
	} payload;
	size_t have;
	int fds[VU_MSG_FDS_MAX];
	unsigned nfds;
} vu_msg;

struct vu_dev vu_dev = {
	.fd = -1,
	.vq = {
		{ .kick_fd = -1, .call_fd = -1, .err_fd = -1 },
		{ .kick_fd = -1, .call_fd = -1, .err_fd = -1 },
	},
};

/**
 * vu_feature() - Tell if a virtio feature was negotiated
 * @dev:	Device
 * @bit:	Feature bit
 *
 * Return: true if it was
 */
bool vu_feature(const struct vu_dev *dev, unsigned bit)
{
	return dev->features & (1ULL << bit);
}

/**
 * vu_print_capabilities() - Print the back-end capabilities, for --print-
 *			     capabilities, and exit
 *
 * The format is the vhost-user specification's "backend program
 * conventions": a JSON object with the device type.
 */
void vu_print_capabilities(void)
{
	printf("{\n  \"type\": \"net\"\n}\n");
	exit(EXIT_SUCCESS);
}

/**
 * vu_msg_fds_close() - Close the descriptors of a message we didn't keep
 */
static void vu_msg_fds_close(void)
{
	unsigned i;

	for (i = 0; i < vu_msg.nfds; i++) {
		if (vu_msg.fds[i] >= 0)
			close(vu_msg.fds[i]);
	}
	vu_msg.nfds = 0;
}

/**
 * vu_vq_fd_set() - Replace a descriptor of a queue
 * @fdp:	Descriptor to replace, closed if open
 * @fd:		New one, or -1
 */
static void vu_vq_fd_set(int *fdp, int fd)
{
	if (*fdp >= 0)
		close(*fdp);
	*fdp = fd;
}

/**
 * vu_vq_stop() - Stop a queue, forget its notification descriptors
 * @c:		Execution context
 * @vq:		Queue
 */
static void vu_vq_stop(const struct ctx *c, struct vu_vq *vq)
{
	if (vq->kick_fd >= 0)
		epoll_del(c, vq->kick_fd);
	vu_vq_fd_set(&vq->kick_fd, -1);
	vq->started = false;
}

/**
 * vu_reset() - Forget everything the front end told us
 * @c:		Execution context
 */
static void vu_reset(struct ctx *c)
{
	struct vu_dev *dev = &vu_dev;
	unsigned i;

	for (i = 0; i < VU_QUEUES; i++) {
		struct vu_vq *vq = &dev->vq[i];

		vu_vq_stop(c, vq);
		vu_vq_fd_set(&vq->call_fd, -1);
		vu_vq_fd_set(&vq->err_fd, -1);
		memset(vq, 0, sizeof(*vq));
		vq->kick_fd = vq->call_fd = vq->err_fd = -1;
	}
	vu_mem_unmap(&dev->mem);
	dev->features = dev->protocol_features = 0;
	dev->hdr_len = 0;
	c->run->link_offload = 0;
}

/**
 * vu_sigbus() - A page of guest memory we mapped is gone
 * @sig:	SIGBUS
 * @si:		Where it happened
 * @uc:		Unused
 *
 * The front end can shrink the file behind a region once we mapped it (qemu
 * seals its memfd against that, nothing makes every front end do so), and
 * then our next access to a page past the file's new end faults. Put
 * anonymous memory in place of the whole region, so that the faulting
 * access, and any after it, read zeroes, and shut the connection down: the
 * main loop sees it hang up and drops the front end as if it had left (and
 * exits with --one-off). Kernel accesses (a recvmsg() into the guest's
 * buffers) fail with EFAULT instead, and the flow concerned is reset.
 *
 * Only system calls safe in a signal handler are made here. A fault
 * anywhere else is a bug of ours: trap, which dumps core.
 */
static void vu_sigbus(int sig, siginfo_t *si, void *uc)
{
	const struct vu_mem *m = &vu_dev.mem;
	uintptr_t a = (uintptr_t)si->si_addr;
	unsigned i;

	(void)sig;
	(void)uc;

	for (i = 0; i < m->n && i < VU_REGIONS_MAX; i++) {
		uintptr_t base = (uintptr_t)m->r[i].map;

		if (!base || a < base || a - base >= m->r[i].map_len)
			continue;

		if (mmap(m->r[i].map, m->r[i].map_len, PROT_READ | PROT_WRITE,
			 MAP_FIXED | MAP_PRIVATE | MAP_ANONYMOUS |
			 MAP_NORESERVE, -1, 0) == MAP_FAILED)
			break;

		if (vu_dev.fd >= 0)
			shutdown(vu_dev.fd, SHUT_RDWR);
		return;
	}

	__builtin_trap();
}

/**
 * vu_guard_init() - Survive guest memory shrinking under us (see vu_sigbus())
 */
void vu_guard_init(void)
{
	struct sigaction sa = { .sa_flags = SA_SIGINFO };

	sa.sa_sigaction = vu_sigbus;
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGBUS, &sa, NULL))
		die_perror("Can't handle SIGBUS for guest memory");
}

/**
 * vu_close() - The front end left, or broke the protocol: drop it
 * @c:		Execution context
 */
static void vu_close(struct ctx *c)
{
	if (c->one_off)
		info("vhost-user front end disconnected, exiting (--one-off)");
	else
		info("vhost-user front end disconnected, waiting for another");

	vu_msg_fds_close();
	vu_msg.have = 0;
	vu_reset(c);

	epoll_del(c, vu_dev.fd);
	close(vu_dev.fd);
	vu_dev.fd = c->run->fd_tap = -1;

	tap_guest_gone(c);
}

/**
 * vu_reply() - Send a reply to the message being handled
 * @payload:	Payload
 * @size:	Its size
 *
 * Return: 0 on success, -1 if it couldn't be sent whole
 */
static int vu_reply(const void *payload, size_t size)
{
	struct vu_msg_hdr hdr = {
		.request = vu_msg.hdr.request,
		.flags = VHOST_USER_VERSION | VHOST_USER_REPLY,
		.size = size,
	};
	struct iovec iov[2] = {
		{ .iov_base = &hdr, .iov_len = sizeof(hdr) },
		{ .iov_base = (void *)payload, .iov_len = size },
	};
	struct msghdr mh = { .msg_iov = iov, .msg_iovlen = 2 };

	if (sendmsg(vu_dev.fd, &mh, MSG_DONTWAIT | MSG_NOSIGNAL) !=
	    (ssize_t)(sizeof(hdr) + size))
		return -1;

	return 0;
}

/**
 * vu_reply_u64() - Send a reply of one 64-bit number
 * @v:		Number
 *
 * Return: 0 on success, -1 on failure
 */
static int vu_reply_u64(uint64_t v)
{
	return vu_reply(&v, sizeof(v));
}

/**
 * vu_vq_of() - Queue a message is about
 * @index:	Index from the payload
 *
 * Return: the queue, NULL if there's no such queue
 */
static struct vu_vq *vu_vq_of(uint64_t index)
{
	if (index >= VU_QUEUES) {
		err("vhost-user: no queue %llu", (unsigned long long)index);
		return NULL;
	}
	return &vu_dev.vq[index];
}

/**
 * vu_set_mem_table() - Map the regions of guest memory we were given
 * @c:		Execution context
 *
 * Return: 0 on success, -1 on a malformed table (the connection closes)
 */
static int vu_set_mem_table(struct ctx *c)
{
	const struct vu_msg_mem *m = &vu_msg.payload.mem;
	struct vu_mem *mem = &vu_dev.mem;
	unsigned i;

	if (vu_msg.hdr.size < offsetof(struct vu_msg_mem, r) ||
	    m->nregions > VU_REGIONS_MAX || m->nregions != vu_msg.nfds ||
	    vu_msg.hdr.size < offsetof(struct vu_msg_mem, r) +
			      m->nregions * sizeof(m->r[0])) {
		err("vhost-user: malformed memory table");
		return -1;
	}

	/* The rings are somewhere in the old regions: stop using them */
	for (i = 0; i < VU_QUEUES; i++) {
		vu_dev.vq[i].desc = NULL;
		vu_dev.vq[i].avail = NULL;
		vu_dev.vq[i].used = NULL;
	}
	vu_mem_unmap(mem);
	(void)c;

	for (i = 0; i < m->nregions; i++) {
		const struct vu_msg_region *r = &m->r[i];
		struct vu_region *v = &mem->r[i];
		struct stat st;
		size_t len;
		void *map;

		if (!r->size || r->mmap_off > SIZE_MAX - r->size ||
		    r->gpa + r->size < r->gpa || r->qva + r->size < r->qva) {
			err("vhost-user: memory region %u out of range", i);
			goto fail;
		}

		len = r->mmap_off + r->size;

		/* Pages past the end of the file would fault: no such region */
		if (fstat(vu_msg.fds[i], &st) ||
		    (S_ISREG(st.st_mode) && (uint64_t)st.st_size < len)) {
			err("vhost-user: memory region %u past its file", i);
			goto fail;
		}

		map = mmap(NULL, len, PROT_READ | PROT_WRITE,
			   MAP_SHARED | MAP_NORESERVE, vu_msg.fds[i], 0);
		if (map == MAP_FAILED) {
			err_perror("vhost-user: can't map memory region %u", i);
			goto fail;
		}
		close(vu_msg.fds[i]);
		vu_msg.fds[i] = -1;

		v->gpa = r->gpa;
		v->size = r->size;
		v->qva = r->qva;
		v->map = map;
		v->map_len = len;
		v->map_off = r->mmap_off;
		mem->n = i + 1;

		debug("vhost-user: region %u: guest 0x%llx, %llu bytes", i,
		      (unsigned long long)r->gpa, (unsigned long long)r->size);
	}

	return 0;

fail:
	vu_mem_unmap(mem);
	return -1;
}

/**
 * vu_set_vring_fd() - SET_VRING_KICK, _CALL or _ERR: a queue's eventfd
 * @c:		Execution context
 * @request:	Which one
 *
 * Return: 0 on success, -1 on a malformed message
 */
static int vu_set_vring_fd(struct ctx *c, uint32_t request)
{
	uint64_t v = vu_msg.payload.u64;
	struct vu_vq *vq = vu_vq_of(v & VHOST_USER_VRING_IDX_MASK);
	bool nofd = v & VHOST_USER_VRING_NOFD;
	int fd;

	if (!vq || vu_msg.hdr.size != sizeof(uint64_t) ||
	    vu_msg.nfds != (nofd ? 0U : 1U))
		return -1;

	fd = nofd ? -1 : vu_msg.fds[0];
	vu_msg.nfds = 0;

	switch (request) {
	case VHOST_USER_SET_VRING_KICK: {
		union epoll_ref ref = { .type = EPOLL_TYPE_VU_KICK,
					.data = vq - vu_dev.vq };

		vu_vq_stop(c, vq);
		if (fd < 0) {
			err("vhost-user: polling queues isn't supported");
			return -1;
		}
		vq->kick_fd = fd;
		if (epoll_add(c, fd, EPOLLIN, ref))
			return -1;
		if (!vq->desc) {
			err("vhost-user: kick for a queue without rings");
			return -1;
		}
		vq_start(vq);
		/* Without protocol features, a queue is on once started */
		if (!vu_feature(&vu_dev, VHOST_USER_F_PROTOCOL_FEATURES))
			vq->enabled = true;
		debug("vhost-user: queue %td started", vq - vu_dev.vq);
		link_vu_queue_ready(c, vq - vu_dev.vq);
		break;
	}
	case VHOST_USER_SET_VRING_CALL:
		vu_vq_fd_set(&vq->call_fd, fd);
		break;
	default:
		vu_vq_fd_set(&vq->err_fd, fd);
		break;
	}

	return 0;
}

/**
 * vu_set_features() - SET_FEATURES: what the driver accepted
 * @c:		Execution context
 *
 * Return: 0 on success, -1 if it accepted what we didn't offer
 */
static int vu_set_features(struct ctx *c)
{
	uint64_t f = vu_msg.payload.u64;
	unsigned i;

	if (f & ~VU_FEATURES) {
		err("vhost-user: features 0x%llx weren't offered",
		    (unsigned long long)(f & ~VU_FEATURES));
		return -1;
	}

	vu_dev.features = f;
	/* Virtio 1.x: the header always has the number of buffers */
	vu_dev.hdr_len = (vu_feature(&vu_dev, VIRTIO_F_VERSION_1) ||
			  vu_feature(&vu_dev, VIRTIO_NET_F_MRG_RXBUF)) ?
			 sizeof(struct virtio_net_hdr_mrg_rxbuf) :
			 sizeof(struct virtio_net_hdr);
	for (i = 0; i < VU_QUEUES; i++)
		vu_dev.vq[i].event_idx = vu_feature(&vu_dev,
						    VIRTIO_RING_F_EVENT_IDX);

	c->run->link_offload = 0;
	if (vu_feature(&vu_dev, VIRTIO_NET_F_GUEST_CSUM))
		c->run->link_offload |= LINK_OFFLOAD_CSUM;
	if (vu_feature(&vu_dev, VIRTIO_NET_F_GUEST_TSO4) &&
	    vu_feature(&vu_dev, VIRTIO_NET_F_GUEST_TSO6))
		c->run->link_offload |= LINK_OFFLOAD_TSO;
	if (vu_feature(&vu_dev, VIRTIO_NET_F_GUEST_USO4) &&
	    vu_feature(&vu_dev, VIRTIO_NET_F_GUEST_USO6))
		c->run->link_offload |= LINK_OFFLOAD_USO;

	debug("vhost-user: features 0x%llx", (unsigned long long)f);
	return 0;
}

/**
 * vu_handle() - Act on a complete message
 * @c:		Execution context
 *
 * Return: 0 on success, -1 to close the connection
 */
static int vu_handle(struct ctx *c)
{
	uint32_t req = vu_msg.hdr.request, size = vu_msg.hdr.size;
	bool ack = (vu_dev.protocol_features &
		    (1ULL << VHOST_USER_PROTOCOL_F_REPLY_ACK)) &&
		   (vu_msg.hdr.flags & VHOST_USER_NEED_REPLY);
	const struct vu_msg_state *st = &vu_msg.payload.state;
	struct vu_vq *vq;
	int rc = 0;

	trace("vhost-user: request %u, %u bytes, %u descriptors", req, size,
	      vu_msg.nfds);

	switch (req) {
	case VHOST_USER_GET_FEATURES:
		return vu_reply_u64(VU_FEATURES);
	case VHOST_USER_SET_FEATURES:
		if (size != sizeof(uint64_t))
			return -1;
		rc = vu_set_features(c);
		break;
	case VHOST_USER_GET_PROTOCOL_FEATURES:
		return vu_reply_u64(VU_PROTOCOL_FEATURES);
	case VHOST_USER_SET_PROTOCOL_FEATURES:
		if (size != sizeof(uint64_t))
			return -1;
		vu_dev.protocol_features = vu_msg.payload.u64 &
					   VU_PROTOCOL_FEATURES;
		/* The flag of this very message only counts from now on */
		ack = false;
		break;
	case VHOST_USER_GET_QUEUE_NUM:
		return vu_reply_u64(VU_QUEUES / 2);
	case VHOST_USER_SET_OWNER:
		break;
	case VHOST_USER_RESET_OWNER:
		vu_reset(c);
		break;
	case VHOST_USER_SET_MEM_TABLE:
		rc = vu_set_mem_table(c);
		break;
	case VHOST_USER_SET_VRING_NUM:
		if (size != sizeof(*st) || !(vq = vu_vq_of(st->index)))
			return -1;
		if (!st->num || st->num > VQ_SIZE_MAX ||
		    (st->num & (st->num - 1))) {
			err("vhost-user: queue size %u", st->num);
			return -1;
		}
		vq->num = st->num;
		break;
	case VHOST_USER_SET_VRING_ADDR: {
		const struct vu_msg_addr *a = &vu_msg.payload.addr;

		if (size != sizeof(*a) || !(vq = vu_vq_of(a->index)))
			return -1;
		if (vq_setup(vq, &vu_dev.mem, a->desc, a->avail, a->used)) {
			err("vhost-user: rings of queue %u outside guest "
			    "memory", a->index);
			return -1;
		}
		break;
	}
	case VHOST_USER_SET_VRING_BASE:
		if (size != sizeof(*st) || !(vq = vu_vq_of(st->index)))
			return -1;
		vq->last_avail = st->num;
		break;
	case VHOST_USER_GET_VRING_BASE: {
		struct vu_msg_state r;

		if (size != sizeof(*st) || !(vq = vu_vq_of(st->index)))
			return -1;
		vu_vq_stop(c, vq);
		r.index = st->index;
		r.num = vq->last_avail;
		return vu_reply(&r, sizeof(r));
	}
	case VHOST_USER_SET_VRING_KICK:
	case VHOST_USER_SET_VRING_CALL:
	case VHOST_USER_SET_VRING_ERR:
		if (vu_set_vring_fd(c, req))
			return -1;
		break;
	case VHOST_USER_SET_VRING_ENABLE:
		if (size != sizeof(*st) || !(vq = vu_vq_of(st->index)))
			return -1;
		vq->enabled = !!st->num;
		debug("vhost-user: queue %u %s", st->index,
		      vq->enabled ? "enabled" : "disabled");
		if (vq->enabled)
			link_vu_queue_ready(c, st->index);
		break;
	case VHOST_USER_SEND_RARP:
	case VHOST_USER_NET_SET_MTU:
		break;
	default:
		/* Descriptors that came with it are closed */
		debug("vhost-user: request %u not supported", req);
		if (ack)
			return vu_reply_u64(1) ? -1 : 0;
		break;
	}

	if (ack)
		return vu_reply_u64(rc ? 1 : 0) ? -1 : 0;

	return rc;
}

/**
 * vu_recv_fds() - Keep the descriptors that came with what we read
 * @mh:		Message header of the read
 *
 * Return: 0 on success, -1 if there were more than a message carries
 */
static int vu_recv_fds(struct msghdr *mh)
{
	struct cmsghdr *cmsg;

	for (cmsg = CMSG_FIRSTHDR(mh); cmsg; cmsg = CMSG_NXTHDR(mh, cmsg)) {
		size_t nfds, i;

		if (cmsg->cmsg_level != SOL_SOCKET ||
		    cmsg->cmsg_type != SCM_RIGHTS)
			continue;

		nfds = (cmsg->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		for (i = 0; i < nfds; i++) {
			int fd;

			memcpy(&fd, CMSG_DATA(cmsg) + i * sizeof(int),
			       sizeof(fd));
			if (vu_msg.nfds < VU_MSG_FDS_MAX)
				vu_msg.fds[vu_msg.nfds++] = fd;
			else
				close(fd);
		}
	}

	if (mh->msg_flags & MSG_CTRUNC) {
		err("vhost-user: too many descriptors with a message");
		return -1;
	}

	return 0;
}

/**
 * vu_recv() - Read what the front end sent, up to the end of one message
 *
 * Return: 1 if a whole message is there, 0 if not yet, -1 on end of file,
 *	   error or malformed message
 */
static int vu_recv(void)
{
	const size_t hlen = sizeof(vu_msg.hdr);

	for (;;) {
		union {
			char buf[CMSG_SPACE(sizeof(int) * VU_MSG_FDS_MAX)];
			struct cmsghdr align;
		} u;
		struct iovec iov;
		struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1,
				     .msg_control = u.buf,
				     .msg_controllen = sizeof(u.buf) };
		size_t want = hlen;
		ssize_t n;

		if (vu_msg.have >= hlen)
			want += vu_msg.hdr.size;
		if (vu_msg.have == want)
			return 1;

		if (vu_msg.have >= hlen)
			iov.iov_base = vu_msg.payload.raw +
				       (vu_msg.have - hlen);
		else
			iov.iov_base = (char *)&vu_msg.hdr + vu_msg.have;
		iov.iov_len = want - vu_msg.have;

		n = recvmsg(vu_dev.fd, &mh, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return 0;
		if (n <= 0)
			return -1;

		if (vu_recv_fds(&mh))
			return -1;

		vu_msg.have += n;
		if (vu_msg.have != hlen)
			continue;

		/* A whole header: check it before reading on */
		if ((vu_msg.hdr.flags & VHOST_USER_VERSION_MASK) !=
		    VHOST_USER_VERSION) {
			err("vhost-user: protocol version %u",
			    vu_msg.hdr.flags & VHOST_USER_VERSION_MASK);
			return -1;
		}
		if (vu_msg.hdr.size > VU_MSG_PAYLOAD_MAX) {
			err("vhost-user: message of %u bytes",
			    vu_msg.hdr.size);
			return -1;
		}
	}
}

/**
 * vu_cmd_handler() - Messages from the front end
 * @c:		Execution context
 * @events:	epoll events
 */
void vu_cmd_handler(struct ctx *c, uint32_t events)
{
	int rc;

	if (events & EPOLLIN) {
		while ((rc = vu_recv()) > 0) {
			rc = vu_handle(c);
			vu_msg_fds_close();
			vu_msg.have = 0;
			if (rc) {
				err("vhost-user: request %u failed, closing",
				    vu_msg.hdr.request);
				vu_close(c);
				return;
			}
		}
		if (rc < 0) {
			vu_close(c);
			return;
		}
	}

	if (events & (EPOLLRDHUP | EPOLLHUP | EPOLLERR))
		vu_close(c);
}

/**
 * vu_accept() - A front end connected: serve it, refuse any further one
 * @c:		Execution context
 * @fd:		Its socket
 */
void vu_accept(struct ctx *c, int fd)
{
	union epoll_ref ref = { .type = EPOLL_TYPE_VU_CMD };

	if (vu_dev.fd >= 0) {
		info("Refusing a second vhost-user front end");
		close(fd);
		return;
	}

	info("vhost-user front end connected");
	vu_dev.fd = fd;
	vu_msg.have = 0;
	if (epoll_add(c, fd, EPOLLIN | EPOLLRDHUP, ref))
		die_perror("Can't watch the vhost-user connection");
}
