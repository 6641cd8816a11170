/* SPDX-License-Identifier: GPL-2.0-or-later
 *
 * passt - user-mode networking for virtual machines and namespaces
 *
 * nshelper.h - pasta: the process that changes the namespace's addresses
 * and default routes once we're sandboxed
 */

#ifndef NSHELPER_H
#define NSHELPER_H

#include <stdbool.h>
#include <stdint.h>

struct ctx;

/**
 * struct nshelper_req - Replace the address, prefix and gateway of a family
 * @af:			AF_INET or AF_INET6
 * @prefix_len:		Prefix length of @addr
 * @old_prefix_len:	Prefix length of @old
 * @pad:		Zero
 * @addr:		New address (IPv4: first 4 bytes), not unspecified
 * @old:		Address it replaces, unspecified if none
 * @gw:			New default gateway, unspecified if none
 * @old_gw:		Gateway it replaces, unspecified if none
 */
struct nshelper_req {
	uint8_t af;
	uint8_t prefix_len;
	uint8_t old_prefix_len;
	uint8_t pad;
	uint8_t addr[16];
	uint8_t old[16];
	uint8_t gw[16];
	uint8_t old_gw[16];
};

bool nshelper_wanted(const struct ctx *c);
void nshelper_init(const struct ctx *c);
void nshelper_start(const struct ctx *c);
void nshelper_net4(const struct ctx *c);
void nshelper_net6(const struct ctx *c);
bool nshelper_valid(const struct nshelper_req *r);

#endif /* NSHELPER_H */
