/* SPDX-License-Identifier: GPL-2.0-or-later
 *
 * passt - user-mode networking for virtual machines and namespaces
 *
 * packet.h - Pools of packet descriptors over a buffer, bounds-checked access
 */

#ifndef PACKET_H
#define PACKET_H

#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>

#define PKT_TAIL_IOV_MAX	64	/* Pieces of a tail, at most */

/**
 * struct pkt_tail - Bytes of a packet past the part in the pool's buffer
 * @iov:	Where they are: memory we never parse (the guest's, shared),
 *		only ever handed to the kernel to send
 * @n:		Entries of @iov
 * @len:	Bytes of the packet there, at most the sum of @iov's lengths
 */
struct pkt_tail {
	const struct iovec *iov;
	unsigned n;
	size_t len;
};

/**
 * struct pool - A set of packets held in one buffer
 * @buf:	Buffer every packet of the pool must lie in (its head, at least)
 * @buf_size:	Size of @buf
 * @size:	Capacity: number of descriptors in @pkt
 * @count:	Descriptors in use
 * @pkt:	Descriptors: start and length of each packet (of its head)
 * @tail:	Tail of each packet, if the pool takes packets with tails
 */
struct pool {
	const char *buf;
	size_t buf_size;
	size_t size;
	size_t count;
	struct iovec *pkt;
	struct pkt_tail *tail;
};

/**
 * PACKET_POOL() - Define a static pool with its descriptor array
 * @name:	Name of the pool variable
 * @n:		Capacity in packets
 * @b:		Buffer
 * @bsize:	Size of the buffer
 */
#define PACKET_POOL(name, n, b, bsize)					\
	static struct iovec name##_pkt_[n];				\
	static struct pool name = {					\
		.buf = (const char *)(b), .buf_size = (bsize),		\
		.size = (n), .count = 0, .pkt = name##_pkt_,		\
	}

/**
 * PACKET_POOL_TAILS() - Define a static pool of packets that may have tails
 * @name:	Name of the pool variable
 * @n:		Capacity in packets
 * @b:		Buffer
 * @bsize:	Size of the buffer
 */
#define PACKET_POOL_TAILS(name, n, b, bsize)				\
	static struct iovec name##_pkt_[n];				\
	static struct pkt_tail name##_tail_[n];				\
	static struct pool name = {					\
		.buf = (const char *)(b), .buf_size = (bsize),		\
		.size = (n), .count = 0, .pkt = name##_pkt_,		\
		.tail = name##_tail_,					\
	}

int packet_add(struct pool *p, const void *start, size_t len);
int packet_add_tail(struct pool *p, const void *start, size_t len,
		    const struct pkt_tail *tail);
void *packet_get(const struct pool *p, size_t idx, size_t offset, size_t len,
		 size_t *left);
const void *packet_slice(const struct pool *p, size_t idx, size_t offset,
			 size_t len, size_t *head, struct pkt_tail *tail);
size_t packet_tail_iov(const struct pkt_tail *t, size_t skip,
		       struct iovec *iov, size_t max);
size_t packet_len(const struct pool *p, size_t idx);

/**
 * pool_flush() - Forget every packet in a pool
 * @p:		Pool
 */
static inline void pool_flush(struct pool *p)
{
	p->count = 0;
}

/**
 * pool_full() - Tell whether a pool has no free descriptor left
 * @p:		Pool
 *
 * Return: non-zero if full
 */
static inline int pool_full(const struct pool *p)
{
	return p->count >= p->size;
}

#endif /* PACKET_H */
