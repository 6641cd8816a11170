// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * passt - user-mode networking for virtual machines and namespaces
 *
 * virtio.c - Split virtqueues in guest memory shared with us (virtio 1.x)
 *
 * The guest's driver and we share three areas per queue, in its memory:
 * a table of descriptors (guest physical address, length, flags, next), a
 * ring of the chains it makes available to us, and a ring of the chains we
 * used, with how many bytes we wrote. Everything the driver wrote is
 * untrusted: an index past the table, a chain that loops or mixes readable
 * buffers after writable ones, an indirect table we never offered, an
 * available index that jumps ahead by more than the queue holds, an address
 * outside the memory regions we were given: any of those marks the queue
 * broken, and nothing more is read from it. A chain of more buffers than
 * we take is given back unused.
 *
 * Notifications: with VIRTIO_RING_F_EVENT_IDX, each side writes the index
 * at which it wants to hear from the other (virtio 1.x, 2.7.7 and 2.7.10),
 * otherwise a flag turns them on or off.
 */

#include <endian.h>
#include <errno.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>

#include "log.h"
#include "util.h"
#include "virtio.h"

/* Times we publish the available index to be kicked at, if the driver moves
 * it meanwhile
 */
#define VQ_EVENT_TRIES		8

/* #syscalls:passt write munmap */

/**
 * vu_find() - Find a span of guest memory in our mappings
 * @m:		Guest memory
 * @addr:	Address
 * @len:	Length of the span
 * @qva:	@addr is in the front end's address space, not guest physical
 *
 * Return: our address for @addr, NULL unless the whole span lies in a region
 */
static void *vu_find(const struct vu_mem *m, uint64_t addr, size_t len,
		     bool qva)
{
	unsigned i;

	for (i = 0; i < m->n; i++) {
		const struct vu_region *r = &m->r[i];
		uint64_t start = qva ? r->qva : r->gpa, off = addr - start;

		if (!r->map || addr < start || off >= r->size ||
		    len > r->size - off)
			continue;

		return (char *)r->map + r->map_off + off;
	}

	return NULL;
}

/**
 * vu_gpa() - Find a span of guest physical memory in our mappings
 * @m:		Guest memory
 * @gpa:	Guest physical address
 * @len:	Length of the span
 *
 * Return: our address for @gpa, NULL unless the whole span lies in a region
 */
void *vu_gpa(const struct vu_mem *m, uint64_t gpa, size_t len)
{
	return vu_find(m, gpa, len, false);
}

/**
 * vu_qva() - Find a span given in the front end's own addresses
 * @m:		Guest memory
 * @qva:	Address in the front end's address space
 * @len:	Length of the span
 *
 * The front end gives the rings' addresses this way (vhost-user
 * SET_VRING_ADDR), descriptors carry guest physical addresses.
 *
 * Return: our address for @qva, NULL unless the whole span lies in a region
 */
void *vu_qva(const struct vu_mem *m, uint64_t qva, size_t len)
{
	return vu_find(m, qva, len, true);
}

/**
 * vu_mem_unmap() - Unmap every region of guest memory
 * @m:		Guest memory
 */
void vu_mem_unmap(struct vu_mem *m)
{
	unsigned i;

	for (i = 0; i < m->n; i++) {
		if (m->r[i].map)
			munmap(m->r[i].map, m->r[i].map_len);
	}
	memset(m, 0, sizeof(*m));
}

/**
 * vq_setup() - Find the areas of a queue in guest memory
 * @vq:		Queue, with its size set
 * @m:		Guest memory
 * @desc_qva:	Descriptor table, front end address
 * @avail_qva:	Available ring, front end address
 * @used_qva:	Used ring, front end address
 *
 * Return: 0 on success, -1 if an area isn't in guest memory or misaligned
 */
int vq_setup(struct vu_vq *vq, const struct vu_mem *m, uint64_t desc_qva,
	     uint64_t avail_qva, uint64_t used_qva)
{
	size_t n = vq->num;

	if (!n)
		return -1;

	/* Rings end with the other side's event index (used/avail_event) */
	vq->desc = vu_qva(m, desc_qva, n * sizeof(struct vring_desc));
	vq->avail = vu_qva(m, avail_qva, sizeof(struct vring_avail) +
				       (n + 1) * sizeof(uint16_t));
	vq->used = vu_qva(m, used_qva, sizeof(struct vring_used) +
				     n * sizeof(struct vring_used_elem) +
				     sizeof(uint16_t));

	if (!vq->desc || !vq->avail || !vq->used ||
	    (uintptr_t)vq->desc % 16 || (uintptr_t)vq->avail % 2 ||
	    (uintptr_t)vq->used % 4) {
		vq->desc = NULL;
		vq->avail = NULL;
		vq->used = NULL;
		return -1;
	}

	return 0;
}

/**
 * vq_start() - Start using a queue: take the used index where it is
 * @vq:		Queue, set up
 */
void vq_start(struct vu_vq *vq)
{
	vq->used_idx = le16toh(__atomic_load_n(&vq->used->idx,
					       __ATOMIC_RELAXED));
	vq->signalled_valid = false;
	vq->broken = false;
	vq->started = true;
}

/**
 * vq_broken() - The driver broke the rules: stop using the queue
 * @vq:		Queue
 * @why:	What it did, for the log
 */
static void vq_broken(struct vu_vq *vq, const char *why)
{
	if (!vq->broken)
		err("vhost-user: queue unusable: %s", why);
	vq->broken = true;
}

/**
 * vq_avail() - Count the chains the driver made available to us
 * @vq:		Queue
 *
 * Return: number of chains, -1 if the queue isn't usable
 */
int vq_avail(struct vu_vq *vq)
{
	uint16_t idx, n;

	if (!vq->started || !vq->enabled || vq->broken || !vq->avail)
		return -1;

	idx = le16toh(__atomic_load_n(&vq->avail->idx, __ATOMIC_ACQUIRE));
	n = idx - vq->last_avail;
	if (n > vq->num) {
		vq_broken(vq, "available index moved past the queue size");
		return -1;
	}

	return n;
}

/**
 * vq_chain() - Map the buffers of a descriptor chain
 * @vq:		Queue
 * @m:		Guest memory
 * @e:		Element, with @head set, buffers filled
 *
 * Return: 0 on success, 1 if the chain has too many buffers (to be given
 *	   back unused), -1 if it's malformed (the queue is broken then)
 */
static int vq_chain(struct vu_vq *vq, const struct vu_mem *m,
		    struct vq_elem *e)
{
	unsigned i = e->head, steps = 0;
	bool too_long = false;

	e->n_out = e->n_in = 0;
	for (;;) {
		const struct vring_desc *d = &vq->desc[i];
		uint16_t flags = le16toh(d->flags);
		uint32_t len = le32toh(d->len);
		unsigned k = e->n_out + e->n_in;
		void *p;

		if (++steps > vq->num) {
			vq_broken(vq, "descriptor chain loops");
			return -1;
		}
		if (flags & VRING_DESC_F_INDIRECT) {
			vq_broken(vq, "indirect descriptors weren't offered");
			return -1;
		}

		p = vu_gpa(m, le64toh(d->addr), len);
		if (!p && len) {
			vq_broken(vq, "buffer outside guest memory");
			return -1;
		}

		if (flags & VRING_DESC_F_WRITE) {
			e->n_in++;
		} else if (e->n_in) {
			vq_broken(vq, "readable buffer after a writable one");
			return -1;
		} else {
			e->n_out++;
		}

		if (k < VQ_ELEM_IOV_MAX) {
			e->iov[k].iov_base = p;
			e->iov[k].iov_len = len;
		} else {
			too_long = true;
		}

		if (!(flags & VRING_DESC_F_NEXT))
			break;

		i = le16toh(d->next);
		if (i >= vq->num) {
			vq_broken(vq, "next descriptor past the table");
			return -1;
		}
	}

	return too_long ? 1 : 0;
}

/**
 * vq_pop() - Take the next available chain
 * @vq:		Queue
 * @m:		Guest memory
 * @e:		Element, filled
 *
 * Chains of more than VQ_ELEM_IOV_MAX buffers are given back unused, and
 * the next one is taken.
 *
 * Return: 1 if @e holds a chain, 0 if none is available, -1 if the queue
 *	   isn't usable
 */
int vq_pop(struct vu_vq *vq, const struct vu_mem *m, struct vq_elem *e)
{
	for (;;) {
		int n = vq_avail(vq), rc;
		uint16_t head;

		if (n <= 0)
			return n;

		head = le16toh(vq->avail->ring[vq->last_avail % vq->num]);
		if (head >= vq->num) {
			vq_broken(vq, "chain head past the table");
			return -1;
		}

		e->head = head;
		rc = vq_chain(vq, m, e);
		if (rc < 0)
			return -1;

		vq->last_avail++;
		if (!rc)
			return 1;

		trace("vhost-user: chain of too many buffers, given back");
		vq_fill(vq, head, 0, 0);
		vq_flush(vq, 1);
	}
}

/**
 * vq_unpop() - Give back the last chains taken, unused, to take them again
 * @vq:		Queue
 * @n:		How many
 */
void vq_unpop(struct vu_vq *vq, unsigned n)
{
	vq->last_avail -= n;
}

/**
 * vq_fill() - Put a chain in the used ring, not visible to the driver yet
 * @vq:		Queue
 * @head:	Head of the chain
 * @len:	Bytes we wrote into it
 * @i:		Position after the last one made visible, from 0
 */
void vq_fill(struct vu_vq *vq, uint16_t head, uint32_t len, unsigned i)
{
	struct vring_used_elem *u;

	if (vq->broken || !vq->used)
		return;

	u = &vq->used->ring[(uint16_t)(vq->used_idx + i) % vq->num];
	u->id = htole32(head);
	u->len = htole32(len);
}

/**
 * vq_flush() - Make chains put in the used ring visible to the driver
 * @vq:		Queue
 * @n:		How many
 */
void vq_flush(struct vu_vq *vq, unsigned n)
{
	if (vq->broken || !vq->used || !n)
		return;

	vq->used_idx += n;
	__atomic_store_n(&vq->used->idx, htole16(vq->used_idx),
			 __ATOMIC_RELEASE);
}

/**
 * vq_notify() - Tell the driver about used chains, unless it doesn't want to
 *		 hear about them yet
 * @vq:		Queue
 */
void vq_notify(struct vu_vq *vq)
{
	uint64_t one = 1;
	uint16_t new = vq->used_idx;

	if (vq->call_fd < 0 || vq->broken || !vq->avail)
		return;

	/* Our used index must be visible before we read theirs */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);

	if (vq->event_idx) {
		uint16_t event = le16toh(__atomic_load_n(
					&vq->avail->ring[vq->num],
					__ATOMIC_RELAXED));
		uint16_t old = vq->signalled_used;

		if (vq->signalled_valid && !vring_need_event(event, new, old))
			return;
	} else if (le16toh(vq->avail->flags) & VRING_AVAIL_F_NO_INTERRUPT) {
		return;
	}

	vq->signalled_used = new;
	vq->signalled_valid = true;
	if (write(vq->call_fd, &one, sizeof(one)) < 0)
		debug_perror("vhost-user: can't notify the guest");
}

/**
 * vq_avail_event() - Where we tell the driver which index to kick us at
 * @vq:		Queue, with its used ring mapped
 *
 * Return: the avail_event field, after the used ring's entries
 *	   (VIRTIO_RING_F_EVENT_IDX), in the driver's byte order
 */
static uint16_t *vq_avail_event(const struct vu_vq *vq)
{
	return (uint16_t *)((char *)vq->used + sizeof(struct vring_used) +
			    vq->num * sizeof(struct vring_used_elem));
}

/**
 * vq_kicks_at() - Ask the driver to kick us once @n chains are available
 * @vq:		Queue
 * @n:		Chains from the first one we didn't take, at least 1
 *
 * Without VIRTIO_RING_F_EVENT_IDX, the driver kicks for each new chain. The
 * caller looks at the available chains again afterwards: the driver may
 * have passed that index already.
 */
void vq_kicks_at(struct vu_vq *vq, unsigned n)
{
	if (vq->broken || !vq->used || !vq->avail || !n)
		return;

	if (!vq->event_idx) {
		vq_kicks_wanted(vq, true);
		return;
	}

	__atomic_store_n(vq_avail_event(vq),
			 htole16((uint16_t)(vq->last_avail + n - 1)),
			 __ATOMIC_RELAXED);
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
}

/**
 * vq_kicks_wanted() - Ask the driver to kick us, or not, about new chains
 * @vq:		Queue
 * @want:	Kicks wanted for chains the driver makes available from now on
 *
 * With VIRTIO_RING_F_EVENT_IDX, the driver kicks when its available index
 * moves past the one we publish. That is the index it has now, not the
 * first chain we didn't take: chains we left there (too few for a frame)
 * are already past that one, and the driver would never kick again. If the
 * driver moved its index while we published ours, we publish again: the
 * driver may have looked before we did.
 */
void vq_kicks_wanted(struct vu_vq *vq, bool want)
{
	uint16_t *avail_event, idx;
	int tries = VQ_EVENT_TRIES;

	if (vq->broken || !vq->used || !vq->avail)
		return;

	if (!vq->event_idx) {
		__atomic_store_n(&vq->used->flags,
				 htole16(want ? 0 : VRING_USED_F_NO_NOTIFY),
				 __ATOMIC_RELAXED);
		/* Seen by the driver before we look for new chains again */
		__atomic_thread_fence(__ATOMIC_SEQ_CST);
		return;
	}

	if (!want)
		return;

	/* Both in the driver's byte order: copied as they are. A driver that
	 * never stops moving its index gets no more tries than that: callers
	 * look for new chains once more anyway
	 */
	avail_event = vq_avail_event(vq);
	do {
		idx = __atomic_load_n(&vq->avail->idx, __ATOMIC_ACQUIRE);
		__atomic_store_n(avail_event, idx, __ATOMIC_RELAXED);
		__atomic_thread_fence(__ATOMIC_SEQ_CST);
	} while (__atomic_load_n(&vq->avail->idx, __ATOMIC_ACQUIRE) != idx &&
		 --tries);
}
