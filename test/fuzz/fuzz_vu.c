// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * passt - user-mode networking for virtual machines and namespaces
 *
 * test/fuzz/fuzz_vu.c - libFuzzer harness for the vhost-user back end: the
 * front end's messages, and the queues in guest memory
 *
 * The input is a sequence of records, each a 4-byte header (kind, argument,
 * length, little endian, 16 bits) and that many bytes of data:
 *
 *   0  data goes to passt's vhost-user socket, as the front end sends it
 *   1  the same, with the guest memory's memfd attached (SET_MEM_TABLE)
 *   2  the same, with an eventfd attached (SET_VRING_KICK, _CALL, _ERR)
 *   3  data is written into guest memory, at argument * 4 KiB
 *   4  queue (argument & 1) is kicked
 *   5  data is sent to the guest as a frame, through the receive queue
 *   6  frames are lent (tap_lend()), filled with data, and handed back
 *      (tap_commit()): the argument picks how many, their segment size,
 *      how much of them is filled
 *
 * Guest memory is 1 MiB; seeds (test/fuzz/corpus_vu/, written by
 * test/fuzz/mkcorpus_vu.py) give it at guest physical address 0x100000,
 * and at 0x7f0000000000 in the front end's own address space, which passt
 * only uses to find the rings. After each input, the front end hangs up,
 * and passt forgets it, as it would between two guests.
 *
 * The harness runs in new user and network namespaces of its own, with
 * nothing but loopback: frames from the guest may make passt open sockets.
 */

#include <errno.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/socket.h>

#include "flow.h"
#include "link.h"
#include "log.h"
#include "passt.h"
#include "tap.h"
#include "tcp.h"
#include "udp.h"
#include "util.h"
#include "vhost_user.h"

#define FUZZ_MEM_SIZE		(1 << 20)
#define FUZZ_REC_HDR		4

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct ctx fuzz_c;
static struct ctx_run fuzz_run;
static int fuzz_memfd = -1;
static char *fuzz_mem;

/**
 * fuzz_die() - Give up: the harness itself can't run
 * @why:	What failed
 */
__attribute__((noreturn))
static void fuzz_die(const char *why)
{
	fprintf(stderr, "fuzz_vu: %s: %s\n", why, strerror(errno));
	exit(EXIT_FAILURE);
}

/**
 * fuzz_send() - Send bytes to passt's socket, maybe with a descriptor, and
 *		 let passt read them
 * @c:		Execution context
 * @peer:	Front end's end of the socket pair
 * @data:	Bytes
 * @len:	Length
 * @fd:		Descriptor to attach, or -1
 */
static void fuzz_send(struct ctx *c, int peer, const uint8_t *data,
		      size_t len, int fd)
{
	union {
		char buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} u;
	struct iovec iov = { .iov_base = (void *)data, .iov_len = len };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };

	if (fd >= 0) {
		struct cmsghdr *cm;

		mh.msg_control = u.buf;
		mh.msg_controllen = sizeof(u.buf);
		cm = CMSG_FIRSTHDR(&mh);
		cm->cmsg_level = SOL_SOCKET;
		cm->cmsg_type = SCM_RIGHTS;
		cm->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(cm), &fd, sizeof(fd));
	}

	if (len && sendmsg(peer, &mh, MSG_DONTWAIT | MSG_NOSIGNAL) < 0)
		return;
	if (vu_dev.fd >= 0)
		vu_cmd_handler(c, EPOLLIN);
}

/**
 * fuzz_kick() - Kick a queue, as the guest's driver would
 * @c:		Execution context
 * @q:		Queue index
 */
static void fuzz_kick(struct ctx *c, unsigned q)
{
	union epoll_ref ref = { .type = EPOLL_TYPE_VU_KICK, .data = q };
	uint64_t one = 1;

	if (vu_dev.fd < 0 || vu_dev.vq[q].kick_fd < 0)
		return;

	ref.fd = vu_dev.vq[q].kick_fd;
	if (write(ref.fd, &one, sizeof(one)) < 0)
		return;
	link_vu_kick_handler(c, ref, &c->run->now);
}

/**
 * fuzz_lend() - Read "payload" into lent frames, as TCP does, hand them over
 * @c:		Execution context
 * @arg:	Bits 0-2: segment size, 3-6: frames, 7: fill half of them
 * @data:	Payload, repeated as needed
 * @len:	Its length
 */
static void fuzz_lend(struct ctx *c, uint8_t arg, const uint8_t *data,
		      size_t len)
{
	static uint8_t hdr[ETH_HLEN + 20 + 20 + 12];
	struct iovec hdrs[LINK_LEND_FRAMES];
	static struct link_lent l;
	size_t i, k, cap = 0, fill, nfilled, last, n;

	l.hdrlen = ETH_HLEN + 20 + 20 + (arg & 1 ? 12 : 0);
	l.seg = MIN((size_t)300 << (arg & 7), 65000);
	n = tap_lend(c, &l, 1 + ((arg >> 3) & 15), l.seg * 16);
	if (!n)
		return;

	for (i = 0; i < l.niov; i++) {
		for (k = 0; len && k < l.iov[i].iov_len; k++)
			((uint8_t *)l.iov[i].iov_base)[k] = data[k % len];
		cap += l.iov[i].iov_len;
	}
	fill = arg & 0x80 ? cap / 2 + 1 : cap;

	/* An Ethernet, IPv4 and TCP header, not much more than a shape */
	memset(hdr, 0, sizeof(hdr));
	hdr[12] = 0x08;
	hdr[ETH_HLEN] = 0x45;
	hdr[ETH_HLEN + 9] = IPPROTO_TCP;
	hdr[ETH_HLEN + 20 + 12] = (l.hdrlen - ETH_HLEN - 20) / 4 << 4;
	for (i = 0; i < n; i++) {
		hdrs[i].iov_base = hdr;
		hdrs[i].iov_len = l.hdrlen;
	}

	nfilled = DIV_ROUND_UP(fill, l.seg);
	last = fill - (nfilled - 1) * l.seg;
	tap_commit(c, &l, hdrs, nfilled, last, 1400);
}

/**
 * LLVMFuzzerInitialize() - Isolate, configure, create guest memory
 * @argc:	Arguments of the fuzzer, unused
 * @argv:	Arguments of the fuzzer, unused
 *
 * Return: 0
 */
int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	struct ctx *c = &fuzz_c;

	(void)argc;
	(void)argv;

	if (unshare(CLONE_NEWUSER | CLONE_NEWNET)) {
		perror("fuzz_vu: can't isolate the network: unshare()");
		exit(EXIT_FAILURE);
	}

	log_set_level(getenv("FUZZ_VU_DEBUG") ? LOG_DEBUG : LOG_ERR,
		      !!getenv("FUZZ_VU_DEBUG"));

	memset(c, 0, sizeof(*c));
	memset(&fuzz_run, 0, sizeof(fuzz_run));
	c->run = &fuzz_run;
	c->mode = MODE_PASST;
	c->vhost_user = true;
	c->link = &link_vu_ops;
	c->no_splice = true;
	c->mtu = MTU_DEFAULT;
	c->ifi4 = c->ifi6 = 1;
	c->run->fd_tap = c->fd_tap_listen = -1;
	c->nl_sock = c->nl_sock_ns = -1;
	c->pidfile_fd = -1;
	c->pasta_netns_fd = c->pasta_userns_fd = -1;
	c->exit_grace_ms = 0;
	memset(c->run->guest_mac, 0xff, ETH_ALEN);
	inet_pton(AF_INET, "192.0.2.2", &c->ip4.addr);
	c->run->addr4_seen = c->ip4.addr;
	c->ip4.prefix_len = 24;
	inet_pton(AF_INET, "192.0.2.1", &c->ip4.guest_gw);
	c->ip4.our_tap_addr = c->ip4.guest_gw;
	inet_pton(AF_INET6, "2001:db8::2", &c->ip6.addr);
	c->run->addr6_seen = c->ip6.addr;
	c->ip6.prefix_len = 64;
	inet_pton(AF_INET6, "fe80::1", &c->ip6.our_tap_ll);
	c->ip6.guest_gw = c->ip6.our_tap_ll;
	c->run->fwd[FWD_TCP_IN].mode = c->run->fwd[FWD_UDP_IN].mode = FWD_NONE;
	c->run->fwd[FWD_TCP_OUT].mode = c->run->fwd[FWD_UDP_OUT].mode = FWD_NONE;

	c->epollfd = epoll_create1(EPOLL_CLOEXEC);
	if (c->epollfd < 0)
		fuzz_die("epoll_create1()");
	flow_init(FLOW_MAX);
	tcp_init(c);

	fuzz_memfd = memfd_create("fuzz_vu", MFD_CLOEXEC);
	if (fuzz_memfd < 0 || ftruncate(fuzz_memfd, FUZZ_MEM_SIZE))
		fuzz_die("guest memory");
	fuzz_mem = mmap(NULL, FUZZ_MEM_SIZE, PROT_READ | PROT_WRITE,
			MAP_SHARED, fuzz_memfd, 0);
	if (fuzz_mem == MAP_FAILED)
		fuzz_die("mapping guest memory");

	return 0;
}

/**
 * LLVMFuzzerTestOneInput() - Play one front end and its guest
 * @data:	Records
 * @size:	Length of @data
 *
 * Return: 0
 */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ctx *c = &fuzz_c;
	int sv[2];

	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv))
		fuzz_die("socketpair()");
	memset(fuzz_mem, 0, FUZZ_MEM_SIZE);
	fd_nonblock(sv[0]);
	vu_accept(c, sv[0]);

	while (size >= FUZZ_REC_HDR && vu_dev.fd >= 0) {
		uint8_t kind = data[0], arg = data[1];
		size_t len = data[2] | (data[3] << 8);
		const uint8_t *d = data + FUZZ_REC_HDR;
		int efd;

		size -= FUZZ_REC_HDR;
		data += FUZZ_REC_HDR;
		len = MIN(len, size);
		size -= len;
		data += len;

		switch (kind % 7) {
		case 0:
			fuzz_send(c, sv[1], d, len, -1);
			break;
		case 1:
			fuzz_send(c, sv[1], d, len, fuzz_memfd);
			break;
		case 2:
			efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
			if (efd < 0)
				fuzz_die("eventfd()");
			fuzz_send(c, sv[1], d, len, efd);
			close(efd);
			break;
		case 3:
			if ((size_t)arg * 4096 < FUZZ_MEM_SIZE)
				memcpy(fuzz_mem + arg * 4096, d,
				       MIN(len, FUZZ_MEM_SIZE -
						(size_t)arg * 4096));
			break;
		case 4:
			fuzz_kick(c, arg & 1);
			break;
		case 5:
			if (len >= ETH_HLEN && c->run->fd_tap >= 0)
				tap_send_single(c, d, len);
			break;
		default:
			fuzz_lend(c, arg, d, len);
			break;
		}
		tcp_defer_flush(c);
		flow_free_release();
	}

	/* The front end goes away: passt forgets it, and its flows */
	close(sv[1]);
	if (vu_dev.fd >= 0)
		vu_cmd_handler(c, EPOLLHUP);
	flow_free_release();

	return 0;
}
