// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * passt - user-mode networking for virtual machines and namespaces
 *
 * packet.c - Pools of packet descriptors over a buffer, bounds-checked access
 *
 * Frames from the guest are stored in a buffer and described by (start,
 * length) pairs in a pool. Protocol handlers never dereference guest data
 * through raw pointer arithmetic: they ask packet_get() for a span at an
 * offset within a packet, and get NULL if that span isn't entirely inside
 * both the packet and the pool's buffer. Offsets are compared with
 * subtraction, so that no sum can wrap around.
 */

#include <stdint.h>

#include "packet.h"
#include "iov.h"
#include "log.h"
#include "util.h"

/**
 * span_in_buf() - Check that a span lies within the buffer of a pool
 * @p:		Pool
 * @start:	Start of the span
 * @len:	Length of the span
 *
 * Return: non-zero if [@start, @start + @len) is inside @p->buf
 */
static int span_in_buf(const struct pool *p, const void *start, size_t len)
{
	uintptr_t s = (uintptr_t)start, b = (uintptr_t)p->buf;

	if (s < b)
		return 0;
	if (s - b > p->buf_size)
		return 0;

	return len <= p->buf_size - (s - b);
}

/**
 * packet_add_tail() - Append a packet descriptor to a pool, with a tail
 * @p:		Pool
 * @start:	Start of the packet (its head), within the pool's buffer
 * @len:	Length of the head
 * @tail:	Bytes after the head, elsewhere, or NULL: none
 *
 * Return: 0 on success, -1 if the pool is full, the head out of bounds, or
 *	   the pool doesn't take tails
 */
int packet_add_tail(struct pool *p, const void *start, size_t len,
		    const struct pkt_tail *tail)
{
	if (pool_full(p)) {
		trace("packet pool full, dropping packet");
		return -1;
	}

	if (!span_in_buf(p, start, len)) {
		trace("packet out of pool buffer bounds, dropping it");
		return -1;
	}

	if (tail && tail->len && !p->tail) {
		trace("packet with a tail in a pool without, dropping it");
		return -1;
	}

	p->pkt[p->count].iov_base = (void *)start;
	p->pkt[p->count].iov_len = len;
	if (p->tail) {
		if (tail && tail->len)
			p->tail[p->count] = *tail;
		else
			p->tail[p->count].len = 0;
	}
	p->count++;

	return 0;
}

/**
 * packet_add() - Append a packet descriptor to a pool
 * @p:		Pool
 * @start:	Start of the packet, within the pool's buffer
 * @len:	Length of the packet
 *
 * Return: 0 on success, -1 if the pool is full or the packet is out of bounds
 */
int packet_add(struct pool *p, const void *start, size_t len)
{
	return packet_add_tail(p, start, len, NULL);
}

/**
 * packet_tail_len() - Length of the tail of a packet
 * @p:		Pool
 * @idx:	Index of the packet, valid
 *
 * Return: bytes in the tail, 0 if none
 */
static size_t packet_tail_len(const struct pool *p, size_t idx)
{
	return p->tail ? p->tail[idx].len : 0;
}

/**
 * packet_get() - Get a bounds-checked pointer to bytes within a packet
 * @p:		Pool
 * @idx:	Index of the packet in the pool
 * @offset:	Offset of the wanted span from the start of the packet
 * @len:	Length of the wanted span
 * @left:	Bytes of the packet after the span, set if not NULL
 *
 * Only the head of a packet is ever read: a span reaching into its tail is
 * refused like one past its end.
 *
 * Return: pointer to the span, or NULL if any part of it falls outside the
 *	   packet's head or the pool's buffer
 */
void *packet_get(const struct pool *p, size_t idx, size_t offset, size_t len,
		 size_t *left)
{
	const struct iovec *v;

	if (idx >= p->count)
		return NULL;

	v = &p->pkt[idx];
	if (len > v->iov_len || offset > v->iov_len - len)
		return NULL;

	if (!span_in_buf(p, v->iov_base, v->iov_len))
		return NULL;

	if (left)
		*left = v->iov_len - offset - len + packet_tail_len(p, idx);

	return (char *)v->iov_base + offset;
}

/**
 * packet_slice() - A span of a packet: its part in the head, and the tail
 * @p:		Pool
 * @idx:	Index of the packet in the pool
 * @offset:	Offset of the span, which must start in the head
 * @len:	Length of the span, which may go on into the tail
 * @head:	Bytes of the span in the head, set
 * @tail:	The rest of the span, set (length 0 if none)
 *
 * Return: pointer to the start of the span, NULL if it's not in the packet
 */
const void *packet_slice(const struct pool *p, size_t idx, size_t offset,
			 size_t len, size_t *head, struct pkt_tail *tail)
{
	size_t hlen, tlen;
	const char *start;

	if (idx >= p->count)
		return NULL;

	hlen = p->pkt[idx].iov_len;
	tlen = packet_tail_len(p, idx);
	if (offset > hlen || len > hlen - offset + tlen)
		return NULL;

	start = packet_get(p, idx, offset, MIN(len, hlen - offset), NULL);
	if (!start)
		return NULL;

	*head = MIN(len, hlen - offset);
	if (len > *head) {
		*tail = p->tail[idx];
		tail->len = len - *head;
	} else {
		tail->iov = NULL;
		tail->n = 0;
		tail->len = 0;
	}

	return start;
}

/**
 * packet_tail_iov() - Buffers of a tail, from an offset in it on
 * @t:		Tail
 * @skip:	Bytes of it to leave out, at the start
 * @iov:	Buffers, set
 * @max:	Room in @iov
 *
 * Return: entries of @iov set, 0 if nothing is left past @skip or the rest
 *	   doesn't fit in @max entries
 */
size_t packet_tail_iov(const struct pkt_tail *t, size_t skip,
		       struct iovec *iov, size_t max)
{
	size_t left = skip < t->len ? t->len - skip : 0, took, n;
	struct iov_cur cur;

	iov_cur_init(&cur, t->iov, t->n);
	iov_cur_skip(&cur, skip);
	n = iov_cur_slice(&cur, left, iov, max, &took);

	return took < left ? 0 : n;
}

/**
 * packet_len() - Length of a packet in a pool
 * @p:		Pool
 * @idx:	Index of the packet
 *
 * Return: length, its tail included, 0 if @idx is not a packet of the pool
 */
size_t packet_len(const struct pool *p, size_t idx)
{
	if (idx >= p->count)
		return 0;

	return p->pkt[idx].iov_len + packet_tail_len(p, idx);
}
