// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * passt - user-mode networking for virtual machines and namespaces
 *
 * dhcp.c - DHCP server for the guest's one address (RFC 2131, RFC 2132)
 *
 * There's one client and one address to give: the guest gets the address
 * we were configured with or, where that is the host's and we follow the
 * host (follow.c), the host's address as it is now. DISCOVER gets an OFFER,
 * REQUEST an ACK, or a NAK if it asks for another address: a client renewing
 * the lease of an address the host gave up is told so, starts again, and is
 * offered the new one (RFC 2131, 3.2 and 4.3.2). Leases are of an hour for
 * that reason, so that clients ask again, and learn new name servers too;
 * with --no-follow-host nothing we give changes, and leases are infinite
 * (one-shot clients that set their address to expire with the lease keep
 * it). INFORM gets an ACK without address. Replies carry the netmask, router, name servers,
 * search domains (option 119, compressed, RFC 3397), MTU, host name and
 * FQDN where configured.
 *
 * Requests are parsed from the guest's frame, which we don't trust: every
 * option must fit in the message, or the whole request is ignored.
 */

#include <string.h>
#include <arpa/inet.h>
#include <netinet/udp.h>
#include <linux/if_ether.h>

#include "dhcp.h"
#include "dnsname.h"
#include "log.h"
#include "passt.h"
#include "stats.h"
#include "tap.h"
#include "util.h"

#define DHCP_SERVER_PORT	67
#define DHCP_CLIENT_PORT	68
#define DHCP_MAGIC		0x63825363
#define DHCP_OPTS_MAX		1200	/* Options area of a reply */
#define DHCP_MIN_LEN		300	/* BOOTP message size, RFC 1542 */
#define DHCP_DEF_MAX_MSG	576	/* RFC 2131, 2 */
#define DHCP_FLAG_BROADCAST	0x8000
#define DHCP_LEASE_S		3600	/* Following the host, see above */
#define DHCP_LEASE_INFINITE	0xffffffff

/* Option codes, RFC 2132 and others */
#define OPT_PAD			0
#define OPT_MASK		1
#define OPT_ROUTER		3
#define OPT_DNS			6
#define OPT_HOSTNAME		12
#define OPT_DOMAIN		15
#define OPT_MTU			26
#define OPT_REQ_ADDR		50
#define OPT_LEASE		51
#define OPT_TYPE		53
#define OPT_SERVER_ID		54
#define OPT_MAX_MSG		57
#define OPT_FQDN		81	/* RFC 4702 */
#define OPT_SEARCH		119	/* RFC 3397 */
#define OPT_END			255

/* Message types, option 53 */
#define DHCPDISCOVER		1
#define DHCPOFFER		2
#define DHCPREQUEST		3
#define DHCPDECLINE		4
#define DHCPACK			5
#define DHCPNAK			6
#define DHCPRELEASE		7
#define DHCPINFORM		8

#define FQDN_FLAG_E		0x04	/* Canonical wire format, RFC 4702 */

/**
 * struct dhcp_msg - BOOTP message with DHCP options (RFC 2131, 2)
 * @op:		1: request, 2: reply
 * @htype:	Hardware address type, 1 for Ethernet
 * @hlen:	Hardware address length
 * @hops:	Relay hops
 * @xid:	Transaction ID
 * @secs:	Seconds since the client started
 * @flags:	Broadcast flag
 * @ciaddr:	Client's current address
 * @yiaddr:	Address given to the client
 * @siaddr:	Next server
 * @giaddr:	Relay agent
 * @chaddr:	Client hardware address
 * @sname:	Server host name
 * @file:	Boot file name
 * @magic:	Magic cookie
 * @o:		Options
 */
struct dhcp_msg {
	uint8_t op;
	uint8_t htype;
	uint8_t hlen;
	uint8_t hops;
	uint32_t xid;
	uint16_t secs;
	uint16_t flags;
	uint32_t ciaddr;
	uint32_t yiaddr;
	uint32_t siaddr;
	uint32_t giaddr;
	uint8_t chaddr[16];
	uint8_t sname[64];
	uint8_t file[128];
	uint32_t magic;
	uint8_t o[DHCP_OPTS_MAX];
} __attribute__((packed));

#define DHCP_FIXED_LEN		offsetof(struct dhcp_msg, o)

/**
 * struct dhcp_opt - Where an option of the request is, if present
 * @data:	Option payload
 * @len:	Payload length
 * @seen:	The option is present
 */
struct dhcp_opt {
	const uint8_t *data;
	uint8_t len;
	bool seen;
};

/**
 * struct dhcp_reply - A reply being built
 * @m:		Message
 * @off:	Bytes of @m->o in use
 * @max:	Largest size the options area may take
 */
struct dhcp_reply {
	struct dhcp_msg m;
	size_t off;
	size_t max;
};

/**
 * dhcp_opts_parse() - Find the options of a request
 * @o:		Options area
 * @len:	Length of the options area
 * @opts:	Table indexed by option code, filled
 *
 * Return: 0 on success, -1 if an option runs past the end of the message
 */
static int dhcp_opts_parse(const uint8_t *o, size_t len,
			   struct dhcp_opt opts[256])
{
	size_t off = 0;

	memset(opts, 0, sizeof(struct dhcp_opt) * 256);

	while (off < len) {
		uint8_t code = o[off], olen;

		if (code == OPT_PAD) {
			off++;
			continue;
		}
		if (code == OPT_END)
			return 0;
		if (len - off < 2)
			return -1;
		olen = o[off + 1];
		if (len - off - 2 < olen)
			return -1;

		if (!opts[code].seen) {
			opts[code].data = o + off + 2;
			opts[code].len = olen;
			opts[code].seen = true;
		}
		off += 2 + olen;
	}

	/* No end option: accept it as long as everything fit */
	return 0;
}

/**
 * dhcp_put() - Append an option to a reply
 * @r:		Reply
 * @code:	Option code
 * @data:	Payload
 * @len:	Payload length, at most 255
 *
 * Return: 0 on success, -1 if it doesn't fit (nothing is written then)
 */
static int dhcp_put(struct dhcp_reply *r, uint8_t code, const void *data,
		    size_t len)
{
	if (len > UINT8_MAX || r->off + 2 + len + 1 > r->max)
		return -1;

	r->m.o[r->off++] = code;
	r->m.o[r->off++] = len;
	memcpy(r->m.o + r->off, data, len);
	r->off += len;

	return 0;
}

/**
 * dhcp_put_long() - Append an option longer than 255 bytes, split (RFC 3396)
 * @r:		Reply
 * @code:	Option code
 * @data:	Payload
 * @len:	Payload length
 *
 * Return: 0 on success, -1 if it doesn't fit (nothing is written then)
 */
static int dhcp_put_long(struct dhcp_reply *r, uint8_t code, const void *data,
			 size_t len)
{
	size_t pieces = DIV_ROUND_UP(len, UINT8_MAX), done = 0;
	const uint8_t *d = data;

	if (r->off + pieces * 2 + len + 1 > r->max)
		return -1;

	while (done < len) {
		size_t n = MIN(len - done, (size_t)UINT8_MAX);

		dhcp_put(r, code, d + done, n);
		done += n;
	}

	return 0;
}

/**
 * dhcp_put_dns() - Append name servers, and search domains, as configured
 * @c:		Execution context
 * @r:		Reply
 */
static void dhcp_put_dns(const struct ctx *c, struct dhcp_reply *r)
{
	const struct dns_run *d = &c->run->dns;
	unsigned char list[DHCP_OPTS_MAX];
	size_t n, len;

	if (!c->no_dhcp_dns) {
		for (n = 0; d->dns4[n].s_addr; n++)
			;
		if (n)
			dhcp_put(r, OPT_DNS, d->dns4, n * sizeof(d->dns4[0]));
	}

	if (c->no_dhcp_dns_search || !d->search[0].n[0])
		return;

	/* The first domain as domain name, for clients without option 119 */
	dhcp_put(r, OPT_DOMAIN, d->search[0].n, strlen(d->search[0].n));

	len = dnsname_list_encode(list, sizeof(list), d->search, true);
	if (len && dhcp_put_long(r, OPT_SEARCH, list, len))
		debug("DHCP: search list doesn't fit the client's size limit");
}

/**
 * dhcp_put_names() - Append host name and FQDN options, if configured
 * @c:		Execution context
 * @r:		Reply
 */
static void dhcp_put_names(const struct ctx *c, struct dhcp_reply *r)
{
	unsigned char fqdn[3 + DNS_NAME_MAX + 2];
	size_t len;

	if (*c->hostname)
		dhcp_put(r, OPT_HOSTNAME, c->hostname, strlen(c->hostname));

	if (!*c->fqdn)
		return;

	fqdn[0] = FQDN_FLAG_E;
	fqdn[1] = fqdn[2] = 255;	/* RCODE fields, RFC 4702, 2.2 */
	len = dnsname_encode(fqdn + 3, sizeof(fqdn) - 3, c->fqdn);
	if (len)
		dhcp_put(r, OPT_FQDN, fqdn, 3 + len);
}

/**
 * dhcp_reply_init() - Start a reply to a request
 * @r:		Reply
 * @req:	Request
 * @opts:	Options of the request
 * @type:	Message type of the reply
 * @server:	Our server identifier
 */
static void dhcp_reply_init(struct dhcp_reply *r, const struct dhcp_msg *req,
			    const struct dhcp_opt *opts, uint8_t type,
			    struct in_addr server)
{
	size_t max_msg = DHCP_DEF_MAX_MSG;

	memset(&r->m, 0, DHCP_FIXED_LEN);
	r->m.op = 2;
	r->m.htype = req->htype;
	r->m.hlen = req->hlen;
	r->m.xid = req->xid;
	r->m.flags = req->flags;
	r->m.giaddr = req->giaddr;
	memcpy(r->m.chaddr, req->chaddr, sizeof(r->m.chaddr));
	r->m.magic = htonl(DHCP_MAGIC);

	/* Option 57 counts the IP and UDP headers too */
	if (opts[OPT_MAX_MSG].seen && opts[OPT_MAX_MSG].len == 2) {
		uint16_t v;

		memcpy(&v, opts[OPT_MAX_MSG].data, sizeof(v));
		max_msg = MAX(ntohs(v), DHCP_DEF_MAX_MSG);
	}
	r->max = MIN(max_msg - 28 - DHCP_FIXED_LEN, sizeof(r->m.o));
	r->off = 0;

	dhcp_put(r, OPT_TYPE, &type, 1);
	dhcp_put(r, OPT_SERVER_ID, &server, sizeof(server));
}

/**
 * dhcp_reply_send() - Terminate, pad and send a reply
 * @c:		Execution context
 * @r:		Reply
 * @broadcast:	Send to the broadcast address instead of the client's
 */
static void dhcp_reply_send(const struct ctx *c, struct dhcp_reply *r,
			    bool broadcast)
{
	struct in_addr dst = { .s_addr = r->m.yiaddr ? r->m.yiaddr :
						       r->m.ciaddr };
	size_t len;

	r->m.o[r->off++] = OPT_END;
	len = DHCP_FIXED_LEN + r->off;
	if (len < DHCP_MIN_LEN) {
		memset((uint8_t *)&r->m + len, 0, DHCP_MIN_LEN - len);
		len = DHCP_MIN_LEN;
	}

	if (broadcast || !dst.s_addr)
		dst.s_addr = INADDR_BROADCAST;

	tap_udp4_send(c, c->ip4.our_tap_addr, DHCP_SERVER_PORT, dst,
		      DHCP_CLIENT_PORT, &r->m, len);
}

/**
 * dhcp_type_str() - Name of a DHCP message type, for messages
 * @type:	Message type
 *
 * Return: static string
 */
static const char *dhcp_type_str(uint8_t type)
{
	static const char *const names[] = {
		"?", "DISCOVER", "OFFER", "REQUEST", "DECLINE", "ACK", "NAK",
		"RELEASE", "INFORM",
	};

	return type < ARRAY_SIZE(names) ? names[type] : "?";
}

/**
 * dhcp() - Handle a DHCP request from the guest, if that's what it is
 * @c:		Execution context
 * @l4:		UDP header and payload
 * @len:	Length of @l4
 *
 * Return: 1 if the datagram was for the DHCP server (answered or not),
 *	   0 if it's for someone else
 */
int dhcp(const struct ctx *c, const void *l4, size_t len)
{
	const struct guest_net4 *g = &c->run->guest4;
	static struct dhcp_reply r;
	struct dhcp_opt opts[256];
	const struct dhcp_msg *req;
	const struct udphdr *uh = l4;
	size_t ulen, mlen;
	uint32_t mask;
	uint8_t type;

	if (len < sizeof(*uh) || uh->dest != htons(DHCP_SERVER_PORT))
		return 0;
	if (c->no_dhcp) {
		stats_drop(STATS_DROP_DISABLED);
		return 1;
	}

	ulen = ntohs(uh->len);
	if (ulen < sizeof(*uh) || ulen > len)
		goto bad;
	mlen = ulen - sizeof(*uh);
	if (mlen < DHCP_FIXED_LEN)
		goto bad;

	req = (const struct dhcp_msg *)(uh + 1);
	if (req->op != 1 || req->htype != 1 || req->hlen != ETH_ALEN ||
	    req->magic != htonl(DHCP_MAGIC))
		goto bad;

	if (dhcp_opts_parse(req->o, mlen - DHCP_FIXED_LEN, opts))
		goto bad;
	if (!opts[OPT_TYPE].seen || opts[OPT_TYPE].len != 1)
		goto bad;
	type = *opts[OPT_TYPE].data;

	debug("DHCP: %s from %02x:%02x:%02x:%02x:%02x:%02x",
	      dhcp_type_str(type), req->chaddr[0], req->chaddr[1],
	      req->chaddr[2], req->chaddr[3], req->chaddr[4], req->chaddr[5]);

	switch (type) {
	case DHCPDISCOVER:
		dhcp_reply_init(&r, req, opts, DHCPOFFER,
				c->ip4.our_tap_addr);
		break;
	case DHCPREQUEST: {
		struct in_addr want = { .s_addr = req->ciaddr };

		if (opts[OPT_SERVER_ID].seen &&
		    (opts[OPT_SERVER_ID].len != 4 ||
		     memcmp(opts[OPT_SERVER_ID].data, &c->ip4.our_tap_addr, 4)))
			return 1;	/* The client picked another server */

		if (opts[OPT_REQ_ADDR].seen && opts[OPT_REQ_ADDR].len == 4)
			memcpy(&want, opts[OPT_REQ_ADDR].data, 4);

		if (want.s_addr && want.s_addr != g->addr.s_addr) {
			dhcp_reply_init(&r, req, opts, DHCPNAK,
					c->ip4.our_tap_addr);
			debug("DHCP: NAK, not the guest's address");
			dhcp_reply_send(c, &r, true);
			return 1;
		}
		dhcp_reply_init(&r, req, opts, DHCPACK, c->ip4.our_tap_addr);
		break;
	}
	case DHCPINFORM:
		dhcp_reply_init(&r, req, opts, DHCPACK, c->ip4.our_tap_addr);
		r.m.ciaddr = req->ciaddr;
		goto options;
	default:
		return 1;
	}

	r.m.yiaddr = g->addr.s_addr;
	{
		uint32_t lease = htonl(c->no_follow_host ? DHCP_LEASE_INFINITE :
							   DHCP_LEASE_S);

		dhcp_put(&r, OPT_LEASE, &lease, sizeof(lease));
	}

options:
	mask = htonl(g->prefix_len ? ~0U << (32 - g->prefix_len) : 0);
	dhcp_put(&r, OPT_MASK, &mask, sizeof(mask));
	if (g->gw.s_addr)
		dhcp_put(&r, OPT_ROUTER, &g->gw, sizeof(g->gw));
	if (c->mtu && c->mtu != ETH_DATA_LEN) {
		uint16_t mtu = htons(c->mtu);

		dhcp_put(&r, OPT_MTU, &mtu, sizeof(mtu));
	}
	dhcp_put_names(c, &r);
	dhcp_put_dns(c, &r);

	dhcp_reply_send(c, &r, !!(ntohs(req->flags) & DHCP_FLAG_BROADCAST));
	return 1;

bad:
	debug("DHCP: ignoring malformed request");
	stats_drop(STATS_DROP_MALFORMED_DHCP);
	return 1;
}
