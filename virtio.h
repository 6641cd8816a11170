/* SPDX-License-Identifier: GPL-2.0-or-later
 *
 * passt - user-mode networking for virtual machines and namespaces
 *
 * virtio.h - Split virtqueues in guest memory shared with us (virtio 1.x)
 */

#ifndef VIRTIO_H
#define VIRTIO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>
#include <linux/virtio_ring.h>

#define VU_REGIONS_MAX		8	/* Memory regions a table may have */
#define VQ_SIZE_MAX		32768	/* Largest queue, virtio 1.x */
#define VQ_ELEM_IOV_MAX		64	/* Buffers of a descriptor chain */

/**
 * struct vu_region - A region of guest memory, mapped here
 * @gpa:	Guest physical address of its start
 * @size:	Size
 * @qva:	Its address in the front end's own address space
 * @map:	Start of our mapping, whose first @map_off bytes aren't guest
 *		memory, or NULL for an empty slot
 * @map_len:	Length of our mapping
 * @map_off:	Where the region starts in the mapping
 */
struct vu_region {
	uint64_t gpa;
	uint64_t size;
	uint64_t qva;
	void *map;
	size_t map_len;
	uint64_t map_off;
};

/**
 * struct vu_mem - The guest's memory, as regions
 * @n:		Regions in use
 * @r:		Regions
 */
struct vu_mem {
	unsigned n;
	struct vu_region r[VU_REGIONS_MAX];
};

/**
 * struct vu_vq - One split virtqueue
 * @num:		Size, a power of two, 0 if not set up
 * @desc:		Descriptor table
 * @avail:		Driver (available) ring
 * @used:		Device (used) ring
 * @last_avail:		Next index of the available ring we take
 * @used_idx:		Our copy of the used ring's index
 * @signalled_used:	Used index at our last notification (event index)
 * @signalled_valid:	@signalled_used is meaningful
 * @event_idx:		VIRTIO_RING_F_EVENT_IDX is in use
 * @kick_fd:		eventfd the driver kicks, or -1
 * @call_fd:		eventfd we notify the driver on, or -1
 * @err_fd:		eventfd for errors, or -1
 * @enabled:		Enabled by the front end
 * @started:		Kick descriptor given, rings valid: in use
 * @broken:		The driver broke the rules: we stop looking
 */
struct vu_vq {
	unsigned num;
	struct vring_desc *desc;
	struct vring_avail *avail;
	struct vring_used *used;
	uint16_t last_avail;
	uint16_t used_idx;
	uint16_t signalled_used;
	bool signalled_valid;
	bool event_idx;
	int kick_fd;
	int call_fd;
	int err_fd;
	bool enabled;
	bool started;
	bool broken;
};

/**
 * struct vq_elem - A descriptor chain taken from the available ring
 * @head:	Index of its first descriptor, to return it with
 * @n_out:	Buffers the device reads (first in @iov)
 * @n_in:	Buffers the device writes (after the others in @iov)
 * @iov:	The buffers, mapped here
 */
struct vq_elem {
	uint16_t head;
	unsigned n_out;
	unsigned n_in;
	struct iovec iov[VQ_ELEM_IOV_MAX];
};

void *vu_gpa(const struct vu_mem *m, uint64_t gpa, size_t len);
void *vu_qva(const struct vu_mem *m, uint64_t qva, size_t len);
void vu_mem_unmap(struct vu_mem *m);

int vq_setup(struct vu_vq *vq, const struct vu_mem *m, uint64_t desc_qva,
	     uint64_t avail_qva, uint64_t used_qva);
void vq_start(struct vu_vq *vq);
int vq_avail(struct vu_vq *vq);
int vq_pop(struct vu_vq *vq, const struct vu_mem *m, struct vq_elem *e);
void vq_unpop(struct vu_vq *vq, unsigned n);
void vq_fill(struct vu_vq *vq, uint16_t head, uint32_t len, unsigned i);
void vq_flush(struct vu_vq *vq, unsigned n);
void vq_notify(struct vu_vq *vq);
void vq_kicks_wanted(struct vu_vq *vq, bool want);
void vq_kicks_at(struct vu_vq *vq, unsigned n);

#endif /* VIRTIO_H */
