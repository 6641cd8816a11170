/* SPDX-License-Identifier: GPL-2.0-or-later
 *
 * passt - user-mode networking for virtual machines and namespaces
 *
 * pcap.h - Capture of every frame on the tap link to a pcap file
 */

#ifndef PCAP_H
#define PCAP_H

#include <stddef.h>
#include <sys/uio.h>

struct ctx;

void pcap_init(const struct ctx *c);
void pcap_frame(const void *frame, size_t len);
void pcap_iov(const struct iovec *iov, size_t n, size_t offset);
int pcap_fd(void);

#endif /* PCAP_H */
