/* SPDX-License-Identifier: GPL-2.0-or-later
 *
 * passt - user-mode networking for virtual machines and namespaces
 *
 * tap.h - The guest's side, whatever the link: frames in, frames out
 */

#ifndef TAP_H
#define TAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <netinet/in.h>
#include <time.h>
#include <sys/uio.h>
#include <linux/if_ether.h>

#include "inany.h"

struct ctx;
struct link_lent;
struct pkt_tail;
struct iphdr;
struct ipv6hdr;
struct udphdr;
struct virtio_net_hdr;

/* Largest frame on the link: an IP packet of 64 KiB and its Ethernet header */
#define TAP_FRAME_MAX		(ETH_HLEN + 65535)
/* Largest IP packet in a frame: over IPv6, a bit less than the protocol's */
#define TAP_L3_MAX		(TAP_FRAME_MAX - ETH_HLEN)

/* Frames start two bytes into a four-byte word: IP headers are aligned */
#define TAP_IP_ALIGN		2

/* Input buffer for frames from the guest */
#define TAP_BUF_BYTES		(8 * 1024 * 1024)

bool tap_l4_csum(const struct ctx *c);
bool tap_gso_ok(const struct ctx *c);
bool tap_udp_gso_ok(const struct ctx *c);
bool tap_udp_runs_in(const struct ctx *c);
void tap_csum_udp4(const struct ctx *c, struct udphdr *uh, struct in_addr src,
		   struct in_addr dst, const void *payload, size_t len);
void tap_csum_udp6(const struct ctx *c, struct udphdr *uh,
		   const struct in6_addr *src, const struct in6_addr *dst,
		   const void *payload, size_t len);

void tap_vnet_hdr(const struct ctx *c, struct virtio_net_hdr *vh,
		  const struct iovec *iov, size_t n, uint16_t gso_size);
void *tap_push_l2h(const struct ctx *c, void *buf, uint16_t proto);
void *tap_push_ip4h(struct iphdr *ip4h, struct in_addr src,
		    struct in_addr dst, size_t l4len, uint8_t proto);
void *tap_push_ip6h(struct ipv6hdr *ip6h, const struct in6_addr *src,
		    const struct in6_addr *dst, size_t l4len, uint8_t proto,
		    uint32_t flow);
void tap_send_single(const struct ctx *c, const void *frame, size_t len);
size_t tap_send_frames_gso(struct ctx *c, const struct iovec *iov,
			   size_t bufs_per_frame, size_t nframes,
			   uint16_t gso_size);
int tap_send_udp_gso(struct ctx *c, const struct iovec *iov, size_t n,
		     uint16_t gso_size);
size_t tap_lend(struct ctx *c, struct link_lent *l, size_t nframes,
		size_t total);
size_t tap_lent_frame(const struct link_lent *l, size_t i,
		      const struct iovec *hdr, size_t len, struct iovec *iov,
		      size_t max);
size_t tap_commit(struct ctx *c, struct link_lent *l, const struct iovec *hdrs,
		  size_t nfilled, size_t lastlen, uint16_t gso_size);
bool tap_blocked(const struct ctx *c);
size_t tap_room(const struct ctx *c, size_t want);
size_t tap_send_frames(struct ctx *c, const struct iovec *iov,
		       size_t bufs_per_frame, size_t nframes);
void tap_udp4_send(const struct ctx *c, struct in_addr src, in_port_t sport,
		   struct in_addr dst, in_port_t dport, const void *in,
		   size_t len);
void tap_udp6_send(const struct ctx *c, const struct in6_addr *src,
		   in_port_t sport, const struct in6_addr *dst,
		   in_port_t dport, uint32_t flow, const void *in, size_t len);
void tap_udp_mcast_send(const struct ctx *c, const union inany_addr *src,
			in_port_t sport, const union inany_addr *group,
			in_port_t dport, const void *in, size_t len);
void tap_icmp4_send(const struct ctx *c, struct in_addr src,
		    struct in_addr dst, const void *in, size_t len);
void tap_icmp6_send(const struct ctx *c, const struct in6_addr *src,
		    const struct in6_addr *dst, const void *in, size_t len);

char *tap_rx_buf(size_t *size);
bool tap_rx_full(void);
int tap_rx_add(const char *frame, size_t len, uint16_t udp_gso);
int tap_rx_add_split(const char *head, size_t hlen, const char *rest,
		     size_t rlen);
size_t tap_frame_payload_off(const void *frame, size_t len, bool udp);
int tap_rx_add_tail(const char *frame, size_t len,
		    const struct pkt_tail *tail);
void tap_rx_handle(struct ctx *c, const struct timespec *now);
void tap_writable(struct ctx *c, const struct timespec *now);
void tap_guest_gone(struct ctx *c);
void tap_start(struct ctx *c);

#endif /* TAP_H */
