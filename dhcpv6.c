// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * passt - user-mode networking for virtual machines and namespaces
 *
 * dhcpv6.c - DHCPv6 server for the guest's one address (RFC 8415)
 *
 * The guest gets the address we were configured with (the host's, by
 * default, as it is now where we follow the host) in an IA_NA, plus name
 * servers (RFC 3646), the domain search list and the FQDN (RFC 4704) where
 * configured. SOLICIT gets an ADVERTISE, or a REPLY with Rapid Commit;
 * REQUEST, RENEW, REBIND, CONFIRM, INFORMATION-REQUEST, RELEASE and DECLINE
 * get a REPLY. Our DUID is a DUID-LL from our MAC address.
 */

#include <string.h>
#include <arpa/inet.h>
#include <netinet/udp.h>

#include "dhcpv6.h"
#include "dnsname.h"
#include "ip.h"
#include "log.h"
#include "passt.h"
#include "stats.h"
#include "tap.h"
#include "util.h"

#define DHCPV6_CLIENT_PORT	546
#define DHCPV6_SERVER_PORT	547
#define DHCPV6_MSG_MAX		1500

/* Message types, RFC 8415, 7.3 */
#define SOLICIT			1
#define ADVERTISE		2
#define REQUEST			3
#define CONFIRM			4
#define RENEW			5
#define REBIND			6
#define REPLY			7
#define RELEASE			8
#define DECLINE			9
#define INFORMATION_REQUEST	11

/* Options, RFC 8415, 21, and others */
#define OPT_CLIENTID		1
#define OPT_SERVERID		2
#define OPT_IA_NA		3
#define OPT_IAADDR		5
#define OPT_STATUS_CODE		13
#define OPT_RAPID_COMMIT	14
#define OPT_DNS_SERVERS		23	/* RFC 3646 */
#define OPT_DOMAIN_LIST		24	/* RFC 3646 */
#define OPT_CLIENT_FQDN		39	/* RFC 4704 */

#define STATUS_SUCCESS		0
#define STATUS_NOADDRSAVAIL	2
#define STATUS_NOTONLINK	4

#define DUID_LL			3
#define LIFETIME_INFINITE	0xffffffff
#define IA_NA_FIXED_LEN		12	/* IAID, T1, T2 */
#define IA_OLD_MAX		4	/* Addresses we withdraw in one reply */
#define LEASE_S			3600	/* Following the host, see dhcp.c */

/**
 * struct dhcpv6_opt - Where an option of the request is, if present
 * @data:	Option payload
 * @len:	Payload length
 * @seen:	The option is present
 */
struct dhcpv6_opt {
	const uint8_t *data;
	uint16_t len;
	bool seen;
};

/**
 * struct dhcpv6_reply - A reply being built
 * @b:		Message bytes
 * @len:	Bytes used
 */
struct dhcpv6_reply {
	uint8_t b[DHCPV6_MSG_MAX];
	size_t len;
};

/**
 * dhcpv6_opts_find() - Find the top-level options we care about
 * @o:		Options area
 * @len:	Length of the options area
 * @opts:	Options by code, for codes below 64, filled
 *
 * Return: 0 on success, -1 if an option runs past the end of the message
 */
static int dhcpv6_opts_find(const uint8_t *o, size_t len,
			    struct dhcpv6_opt opts[64])
{
	size_t off = 0;

	memset(opts, 0, sizeof(struct dhcpv6_opt) * 64);

	while (off < len) {
		uint16_t code, olen;

		if (len - off < 4)
			return -1;
		code = o[off] << 8 | o[off + 1];
		olen = o[off + 2] << 8 | o[off + 3];
		if (len - off - 4 < olen)
			return -1;

		if (code < 64 && !opts[code].seen) {
			opts[code].data = o + off + 4;
			opts[code].len = olen;
			opts[code].seen = true;
		}
		off += 4 + olen;
	}

	return 0;
}

/**
 * dhcpv6_put() - Append an option
 * @r:		Reply
 * @code:	Option code
 * @data:	Payload, may be NULL to reserve zeroed room
 * @len:	Payload length
 *
 * Return: pointer to the payload in the reply, NULL if it doesn't fit
 */
static uint8_t *dhcpv6_put(struct dhcpv6_reply *r, uint16_t code,
			   const void *data, size_t len)
{
	uint8_t *o;

	if (len > UINT16_MAX || r->len + 4 + len > sizeof(r->b))
		return NULL;

	o = r->b + r->len;
	o[0] = code >> 8;
	o[1] = code & 0xff;
	o[2] = len >> 8;
	o[3] = len & 0xff;
	if (data)
		memcpy(o + 4, data, len);
	else
		memset(o + 4, 0, len);
	r->len += 4 + len;

	return o + 4;
}

/**
 * dhcpv6_put_status() - Append a status code option
 * @r:		Reply
 * @status:	Status code
 */
static void dhcpv6_put_status(struct dhcpv6_reply *r, uint16_t status)
{
	uint8_t s[2] = { status >> 8, status & 0xff };

	dhcpv6_put(r, OPT_STATUS_CODE, s, sizeof(s));
}

/**
 * dhcpv6_duid() - Our server DUID, link-layer type (RFC 8415, 11.4)
 * @c:		Execution context
 * @duid:	Destination, 10 bytes
 *
 * Return: length of the DUID
 */
static size_t dhcpv6_duid(const struct ctx *c, uint8_t *duid)
{
	duid[0] = 0;
	duid[1] = DUID_LL;
	duid[2] = 0;
	duid[3] = 1;		/* Ethernet */
	memcpy(duid + 4, c->our_tap_mac, ETH_ALEN);

	return 4 + ETH_ALEN;
}

/**
 * dhcpv6_iaaddr() - Write an IA Address option (RFC 8415, 21.6)
 * @a:		Where, 28 bytes
 * @addr:	Address
 * @lifetime:	Preferred and valid lifetime, seconds
 */
static void dhcpv6_iaaddr(uint8_t *a, const void *addr, uint32_t lifetime)
{
	lifetime = htonl(lifetime);
	a[0] = OPT_IAADDR >> 8;
	a[1] = OPT_IAADDR & 0xff;
	a[2] = 0;
	a[3] = 24;
	memcpy(a + 4, addr, 16);
	memcpy(a + 20, &lifetime, 4);
	memcpy(a + 24, &lifetime, 4);
}

/**
 * dhcpv6_put_ia_na() - Append an IA_NA with the guest's address
 * @c:		Execution context
 * @r:		Reply
 * @req:	The client's IA_NA, at least IA_NA_FIXED_LEN long
 *
 * Without an address to give (local mode: link-local only), the IA_NA
 * holds a NoAddrsAvail status instead (RFC 8415, 18.3.9). Addresses the
 * client names that aren't the guest's any longer (the host renumbered) are
 * listed with lifetimes of zero, which makes it drop them (18.3.4, 18.3.5).
 * Following the host, lifetimes are an hour and the client renews at half
 * of it, as for DHCPv4 (see dhcp.c); otherwise, they're infinite.
 */
static void dhcpv6_put_ia_na(const struct ctx *c, struct dhcpv6_reply *r,
			     const struct dhcpv6_opt *req)
{
	const struct in6_addr *addr = &c->run->guest6.addr;
	uint32_t life = c->no_follow_host ? LIFETIME_INFINITE : LEASE_S;
	uint32_t t1 = htonl(c->no_follow_host ? LIFETIME_INFINITE : LEASE_S / 2);
	uint32_t t2 = htonl(c->no_follow_host ? LIFETIME_INFINITE :
						LEASE_S / 5 * 4);
	const uint8_t *old[IA_OLD_MAX];
	size_t n = 0, off, i;
	uint8_t *ia, *a;

	if (IN6_IS_ADDR_UNSPECIFIED(addr)) {
		ia = dhcpv6_put(r, OPT_IA_NA, NULL, IA_NA_FIXED_LEN + 4 + 2);
		if (!ia)
			return;

		memcpy(ia, req->data, 4);
		a = ia + IA_NA_FIXED_LEN;
		a[1] = OPT_STATUS_CODE;
		a[3] = 2;
		a[5] = STATUS_NOADDRSAVAIL;
		return;
	}

	for (off = IA_NA_FIXED_LEN; req->len >= off + 4 && n < IA_OLD_MAX;) {
		const uint8_t *o = req->data + off;
		uint16_t code = o[0] << 8 | o[1], len = o[2] << 8 | o[3];

		if (req->len - off - 4 < len)
			break;
		if (code == OPT_IAADDR && len >= 24 && memcmp(o + 4, addr, 16))
			old[n++] = o + 4;
		off += 4 + len;
	}

	ia = dhcpv6_put(r, OPT_IA_NA, NULL, IA_NA_FIXED_LEN + 28 * (1 + n));
	if (!ia)
		return;

	memcpy(ia, req->data, 4);
	memcpy(ia + 4, &t1, 4);
	memcpy(ia + 8, &t2, 4);

	a = ia + IA_NA_FIXED_LEN;
	dhcpv6_iaaddr(a, addr, life);
	for (i = 0; i < n; i++)
		dhcpv6_iaaddr(a + 28 * (i + 1), old[i], 0);
}

/**
 * dhcpv6_put_dns() - Append name servers, search domains and FQDN
 * @c:		Execution context
 * @r:		Reply
 */
static void dhcpv6_put_dns(const struct ctx *c, struct dhcpv6_reply *r)
{
	const struct dns_run *d = &c->run->dns;
	uint8_t buf[DHCPV6_MSG_MAX / 2];
	size_t n, len;

	if (!c->no_dhcp_dns) {
		for (n = 0; !IN6_IS_ADDR_UNSPECIFIED(&d->dns6[n]); n++)
			;
		if (n)
			dhcpv6_put(r, OPT_DNS_SERVERS, d->dns6, n * 16);
	}

	if (!c->no_dhcp_dns_search && d->search[0].n[0]) {
		/* No compression in DHCPv6, RFC 8415, 10 */
		len = dnsname_list_encode(buf, sizeof(buf), d->search, false);
		if (len)
			dhcpv6_put(r, OPT_DOMAIN_LIST, buf, len);
	}

	if (*c->fqdn) {
		buf[0] = 0;	/* Flags, RFC 4704, 4.1 */
		len = dnsname_encode(buf + 1, sizeof(buf) - 1, c->fqdn);
		if (len)
			dhcpv6_put(r, OPT_CLIENT_FQDN, buf, len + 1);
	}
}

/**
 * dhcpv6_confirm_onlink() - Check the addresses of a CONFIRM's IA_NA
 * @c:		Execution context
 * @ia:		IA_NA option
 *
 * Return: true if every address in it is on our link
 */
static bool dhcpv6_confirm_onlink(const struct ctx *c,
				  const struct dhcpv6_opt *ia)
{
	size_t off = IA_NA_FIXED_LEN;

	while (ia->len >= off + 4) {
		uint16_t code = ia->data[off] << 8 | ia->data[off + 1];
		uint16_t len = ia->data[off + 2] << 8 | ia->data[off + 3];
		struct in6_addr a;

		if (ia->len - off - 4 < len)
			return false;
		if (code == OPT_IAADDR && len >= 16) {
			memcpy(&a, ia->data + off + 4, sizeof(a));
			if (!ip6_same_prefix(&a, &c->run->guest6.addr,
					     c->run->guest6.prefix_len))
				return false;
		}
		off += 4 + len;
	}

	return true;
}

/**
 * dhcpv6_check() - Check the identifiers a message type requires
 * @c:		Execution context
 * @type:	Message type
 * @opts:	Options of the request
 *
 * Return: true if the message is for us and well-formed (RFC 8415, 16)
 */
static bool dhcpv6_check(const struct ctx *c, uint8_t type,
			 const struct dhcpv6_opt *opts)
{
	const struct dhcpv6_opt *sid = &opts[OPT_SERVERID];
	uint8_t duid[16];
	size_t len = dhcpv6_duid(c, duid);
	bool ours = sid->seen && sid->len == len &&
		    !memcmp(sid->data, duid, len);

	if (type != INFORMATION_REQUEST && !opts[OPT_CLIENTID].seen)
		return false;

	switch (type) {
	case SOLICIT:
	case CONFIRM:
	case REBIND:
		return !sid->seen;
	case REQUEST:
	case RENEW:
	case RELEASE:
	case DECLINE:
		return ours;
	case INFORMATION_REQUEST:
		return !sid->seen || ours;
	default:
		return false;
	}
}

/**
 * dhcpv6() - Handle a DHCPv6 message from the guest, if that's what it is
 * @c:		Execution context
 * @saddr:	Source address
 * @daddr:	Destination address
 * @l4:		UDP header and payload
 * @len:	Length of @l4
 *
 * Return: 1 if the datagram was for the DHCPv6 server, 0 otherwise
 */
int dhcpv6(const struct ctx *c, const struct in6_addr *saddr,
	   const struct in6_addr *daddr, const void *l4, size_t len)
{
	static struct dhcpv6_reply r;
	struct dhcpv6_opt opts[64];
	const struct udphdr *uh = l4;
	const uint8_t *msg;
	uint8_t duid[16], type;
	size_t ulen, mlen;

	(void)daddr;

	if (len < sizeof(*uh) || uh->dest != htons(DHCPV6_SERVER_PORT))
		return 0;
	if (c->no_dhcpv6) {
		stats_drop(STATS_DROP_DISABLED);
		return 1;
	}

	ulen = ntohs(uh->len);
	if (ulen < sizeof(*uh) + 4 || ulen > len ||
	    uh->source != htons(DHCPV6_CLIENT_PORT))
		goto bad;
	mlen = ulen - sizeof(*uh);
	msg = (const uint8_t *)(uh + 1);
	type = msg[0];

	if (dhcpv6_opts_find(msg + 4, mlen - 4, opts))
		goto bad;
	if (!dhcpv6_check(c, type, opts))
		goto ignore;	/* Not ours to answer (RFC 8415, 16) */

	debug("DHCPv6: message type %u", type);

	r.len = 0;
	r.b[r.len++] = REPLY;
	memcpy(r.b + r.len, msg + 1, 3);	/* Transaction ID */
	r.len += 3;

	if (type == SOLICIT && !opts[OPT_RAPID_COMMIT].seen)
		r.b[0] = ADVERTISE;

	dhcpv6_put(&r, OPT_SERVERID, duid, dhcpv6_duid(c, duid));
	if (opts[OPT_CLIENTID].seen)
		dhcpv6_put(&r, OPT_CLIENTID, opts[OPT_CLIENTID].data,
			   opts[OPT_CLIENTID].len);

	switch (type) {
	case SOLICIT:
		if (opts[OPT_RAPID_COMMIT].seen)
			dhcpv6_put(&r, OPT_RAPID_COMMIT, NULL, 0);
		/* fall through */
	case REQUEST:
	case RENEW:
	case REBIND:
		if (opts[OPT_IA_NA].seen &&
		    opts[OPT_IA_NA].len >= IA_NA_FIXED_LEN)
			dhcpv6_put_ia_na(c, &r, &opts[OPT_IA_NA]);
		break;
	case CONFIRM:
		if (opts[OPT_IA_NA].seen &&
		    opts[OPT_IA_NA].len >= IA_NA_FIXED_LEN &&
		    !dhcpv6_confirm_onlink(c, &opts[OPT_IA_NA])) {
			dhcpv6_put_status(&r, STATUS_NOTONLINK);
			goto send;
		}
		dhcpv6_put_status(&r, STATUS_SUCCESS);
		goto send;
	case RELEASE:
	case DECLINE:
		dhcpv6_put_status(&r, STATUS_SUCCESS);
		goto send;
	default:
		break;
	}

	dhcpv6_put_dns(c, &r);

send:
	tap_udp6_send(c, &c->ip6.our_tap_ll, DHCPV6_SERVER_PORT, saddr,
		      DHCPV6_CLIENT_PORT, 0, r.b, r.len);
	return 1;

bad:
	stats_drop(STATS_DROP_MALFORMED_DHCP);
ignore:
	debug("DHCPv6: ignoring message");
	return 1;
}
