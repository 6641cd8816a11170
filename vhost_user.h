/* SPDX-License-Identifier: GPL-2.0-or-later
 *
 * passt - user-mode networking for virtual machines and namespaces
 *
 * vhost_user.h - vhost-user back end: the front end's messages, the device
 */

#ifndef VHOST_USER_H
#define VHOST_USER_H

#include <stdbool.h>
#include <stdint.h>

#include "virtio.h"

struct ctx;

#define VU_RX_Q			0	/* Queue of frames to the guest */
#define VU_TX_Q			1	/* Queue of frames from the guest */
#define VU_QUEUES		2

/**
 * struct vu_dev - The virtio-net device we are for the front end
 * @fd:			Connection to the front end, or -1
 * @features:		Virtio features negotiated
 * @protocol_features:	vhost-user protocol features negotiated
 * @hdr_len:		Length of the virtio-net header of each frame
 * @mem:		Guest memory
 * @vq:			Queues, VU_RX_Q and VU_TX_Q
 */
struct vu_dev {
	int fd;
	uint64_t features;
	uint64_t protocol_features;
	size_t hdr_len;
	struct vu_mem mem;
	struct vu_vq vq[VU_QUEUES];
};

extern struct vu_dev vu_dev;

void vu_print_capabilities(void) __attribute__((noreturn));
void vu_accept(struct ctx *c, int fd);
void vu_cmd_handler(struct ctx *c, uint32_t events);
bool vu_feature(const struct vu_dev *dev, unsigned bit);
void vu_guard_init(void);

#endif /* VHOST_USER_H */
