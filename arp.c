// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * passt - user-mode networking for virtual machines and namespaces
 *
 * arp.c - Answers to the guest's ARP requests (RFC 826)
 *
 * Every address on the link but the guest's own is ours: a request for any
 * of them gets our MAC address. Requests for the guest's address (duplicate
 * address detection, RFC 5227) and gratuitous announcements get nothing.
 */

#include <string.h>
#include <arpa/inet.h>
#include <net/if_arp.h>
#include <linux/if_ether.h>

#include "arp.h"
#include "log.h"
#include "packet.h"
#include "passt.h"
#include "tap.h"

/**
 * struct arp_msg - ARP message for Ethernet and IPv4
 * @h:		Fixed header
 * @sha:	Sender hardware address
 * @sip:	Sender protocol address
 * @tha:	Target hardware address
 * @tip:	Target protocol address
 */
struct arp_msg {
	struct arphdr h;
	unsigned char sha[ETH_ALEN];
	unsigned char sip[4];
	unsigned char tha[ETH_ALEN];
	unsigned char tip[4];
} __attribute__((packed));

/**
 * struct arp_frame - ARP message in its Ethernet frame
 * @eh:		Ethernet header
 * @am:		ARP message
 */
struct arp_frame {
	struct ethhdr eh;
	struct arp_msg am;
} __attribute__((packed));

/**
 * arp() - Answer one ARP request from the guest, if it deserves an answer
 * @c:		Execution context
 * @p:		Pool with the frame
 * @idx:	Index of the frame
 *
 * Return: 1 if a reply was sent, 0 otherwise
 */
int arp(const struct ctx *c, const struct pool *p, size_t idx)
{
	const struct arp_msg *req;
	struct arp_frame reply;
	struct in_addr tip, sip;

	req = packet_get(p, idx, ETH_HLEN, sizeof(*req), NULL);
	if (!req)
		return 0;

	if (req->h.ar_hrd != htons(ARPHRD_ETHER) ||
	    req->h.ar_pro != htons(ETH_P_IP) || req->h.ar_hln != ETH_ALEN ||
	    req->h.ar_pln != 4 || req->h.ar_op != htons(ARPOP_REQUEST))
		return 0;

	memcpy(&tip, req->tip, sizeof(tip));
	memcpy(&sip, req->sip, sizeof(sip));

	/* Probes and announcements about the guest's own address */
	if (tip.s_addr == sip.s_addr || tip.s_addr == c->run->guest4.addr.s_addr ||
	    tip.s_addr == INADDR_ANY)
		return 0;

	tap_push_l2h(c, &reply, ETH_P_ARP);
	memcpy(reply.eh.h_dest, req->sha, ETH_ALEN);
	reply.am.h = req->h;
	reply.am.h.ar_op = htons(ARPOP_REPLY);
	memcpy(reply.am.sha, c->our_tap_mac, ETH_ALEN);
	memcpy(reply.am.sip, req->tip, sizeof(reply.am.sip));
	memcpy(reply.am.tha, req->sha, ETH_ALEN);
	memcpy(reply.am.tip, req->sip, sizeof(reply.am.tip));

	tap_send_single(c, &reply, sizeof(reply));
	return 1;
}

/**
 * arp_announce() - Ask the guest for its MAC address
 * @c:		Execution context
 *
 * A request for the guest's address, from our address: the guest answers
 * with its MAC address, which we learn from the reply like from any frame.
 */
void arp_announce(const struct ctx *c)
{
	struct arp_frame req;

	tap_push_l2h(c, &req, ETH_P_ARP);
	memset(req.eh.h_dest, 0xff, ETH_ALEN);
	req.am.h.ar_hrd = htons(ARPHRD_ETHER);
	req.am.h.ar_pro = htons(ETH_P_IP);
	req.am.h.ar_hln = ETH_ALEN;
	req.am.h.ar_pln = 4;
	req.am.h.ar_op = htons(ARPOP_REQUEST);
	memcpy(req.am.sha, c->our_tap_mac, ETH_ALEN);
	memcpy(req.am.sip, &c->ip4.our_tap_addr, sizeof(req.am.sip));
	memset(req.am.tha, 0, ETH_ALEN);
	memcpy(req.am.tip, &c->run->guest4.addr, sizeof(req.am.tip));

	debug("Sending ARP request for the guest's address");
	tap_send_single(c, &req, sizeof(req));
}
