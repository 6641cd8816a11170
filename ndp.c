// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * passt - user-mode networking for virtual machines and namespaces
 *
 * ndp.c - Neighbour discovery and router advertisements (RFC 4861)
 *
 * As with ARP, every address on the link but the guest's is ours: neighbour
 * solicitations for any of them get an advertisement with our MAC address,
 * and we are the router. Router advertisements, solicited or sent every few
 * minutes, carry the host's prefix (on-link, for autoconfiguration), the
 * MTU, our link-layer address, and name servers (RFC 8106 RDNSS) and search
 * domains (DNSSL). When the host renumbers (follow.c), an advertisement goes
 * out at once with the new prefix, and the old one at lifetime zero.
 */

#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/icmp6.h>

#include "dnsname.h"
#include "ip.h"
#include "log.h"
#include "ndp.h"
#include "passt.h"
#include "tap.h"
#include "util.h"

#define RA_ROUTER_LIFETIME_S	9000
#define RA_INTERVAL_MIN_S	200
#define RA_INTERVAL_MAX_S	600
#define ND_OPT_RDNSS		25	/* RFC 8106 */
#define ND_OPT_DNSSL		31	/* RFC 8106 */
#define NDP_LIFETIME_INFINITE	0xffffffff
#define NDP_MSG_MAX		1024

static const struct in6_addr in6addr_allnodes = IN6_ALLNODES_INIT;
static long long ndp_next_ra_ms = -1;

/**
 * struct ndp_buf - An NDP message being built
 * @b:		Message bytes
 * @len:	Bytes used
 */
struct ndp_buf {
	unsigned char b[NDP_MSG_MAX];
	size_t len;
};

/**
 * ndp_opt() - Reserve an option of a given length, zeroed
 * @m:		Message
 * @type:	Option type
 * @units:	Length in units of 8 bytes, header included
 *
 * Return: pointer to the option, NULL if the message is full
 */
static unsigned char *ndp_opt(struct ndp_buf *m, uint8_t type, size_t units)
{
	unsigned char *o;

	if (!units || units > 255 || m->len + units * 8 > sizeof(m->b))
		return NULL;

	o = m->b + m->len;
	memset(o, 0, units * 8);
	o[0] = type;
	o[1] = units;
	m->len += units * 8;

	return o;
}

/**
 * ndp_opt_lladdr() - Append a source or target link-layer address option
 * @c:		Execution context
 * @m:		Message
 * @type:	ND_OPT_SOURCE_LINKADDR or ND_OPT_TARGET_LINKADDR
 */
static void ndp_opt_lladdr(const struct ctx *c, struct ndp_buf *m,
			   uint8_t type)
{
	unsigned char *o = ndp_opt(m, type, 1);

	if (o)
		memcpy(o + 2, c->our_tap_mac, ETH_ALEN);
}

/**
 * ndp_opt_rdnss() - Append an RDNSS option (RFC 8106, 5.1)
 * @m:		Message
 * @a:		Servers
 * @n:		Number of servers
 * @lifetime:	Lifetime, seconds: 0 withdraws them
 */
static void ndp_opt_rdnss(struct ndp_buf *m, const struct in6_addr *a,
			  size_t n, uint32_t lifetime)
{
	unsigned char *o;

	if (!n || !(o = ndp_opt(m, ND_OPT_RDNSS, 1 + 2 * n)))
		return;

	lifetime = htonl(lifetime);
	memcpy(o + 4, &lifetime, sizeof(lifetime));
	memcpy(o + 8, a, n * sizeof(*a));
}

/**
 * ndp_opt_dnssl() - Append a DNSSL option (RFC 8106, 5.2)
 * @m:		Message
 * @list:	Domains, ending with an empty name
 * @lifetime:	Lifetime, seconds: 0 withdraws them
 */
static void ndp_opt_dnssl(struct ndp_buf *m, const struct dns_name *list,
			  uint32_t lifetime)
{
	unsigned char names[NDP_MSG_MAX / 2], *o;
	size_t len = 0, i;

	for (i = 0; list[i].n[0]; i++) {
		size_t l = dnsname_encode(names + len, sizeof(names) - len,
					  list[i].n);
		if (!l)
			break;
		len += l;
	}
	if (!len || !(o = ndp_opt(m, ND_OPT_DNSSL, DIV_ROUND_UP(8 + len, 8))))
		return;

	lifetime = htonl(lifetime);
	memcpy(o + 4, &lifetime, sizeof(lifetime));
	memcpy(o + 8, names, len);
}

/**
 * ndp_opt_dns() - Append RDNSS and DNSSL options (RFC 8106)
 * @c:		Execution context
 * @m:		Message
 * @old:	What we advertised before a change, withdrawn where it's gone,
 *		or NULL
 */
static void ndp_opt_dns(const struct ctx *c, struct ndp_buf *m,
			const struct dns_run *old)
{
	const struct dns_run *d = &c->run->dns;
	struct dns_name names[DNS_SEARCH_MAX + 1] = { 0 };
	struct in6_addr gone[DNS_MAX_PER_FAMILY];
	size_t n, k = 0, i, j;

	if (c->no_dhcp_dns)
		goto search;

	for (n = 0; !IN6_IS_ADDR_UNSPECIFIED(&d->dns6[n]); n++)
		;
	ndp_opt_rdnss(m, d->dns6, n, NDP_LIFETIME_INFINITE);

	for (i = 0; old && !IN6_IS_ADDR_UNSPECIFIED(&old->dns6[i]); i++) {
		for (j = 0; j < n; j++) {
			if (IN6_ARE_ADDR_EQUAL(&old->dns6[i], &d->dns6[j]))
				break;
		}
		if (j == n)
			gone[k++] = old->dns6[i];
	}
	ndp_opt_rdnss(m, gone, k, 0);

search:
	if (c->no_dhcp_dns_search)
		return;

	ndp_opt_dnssl(m, d->search, NDP_LIFETIME_INFINITE);

	for (i = k = 0; old && old->search[i].n[0]; i++) {
		for (j = 0; d->search[j].n[0]; j++) {
			if (!strcmp(old->search[i].n, d->search[j].n))
				break;
		}
		if (!d->search[j].n[0])
			names[k++] = old->search[i];
	}
	ndp_opt_dnssl(m, names, 0);
}

/**
 * ndp_opt_prefix() - Append a prefix information option (RFC 4861, 4.6.2)
 * @m:		Message being built
 * @addr:	Address in the prefix
 * @prefix_len:	Prefix length
 * @lifetime:	Valid and preferred lifetime, seconds: 0 deprecates it
 */
static void ndp_opt_prefix(struct ndp_buf *m, const struct in6_addr *addr,
			   int prefix_len, uint32_t lifetime)
{
	unsigned char *o = ndp_opt(m, ND_OPT_PREFIX_INFORMATION, 4);
	struct nd_opt_prefix_info *pi = (struct nd_opt_prefix_info *)o;
	int i;

	if (!o)
		return;

	pi->nd_opt_pi_prefix_len = prefix_len;
	pi->nd_opt_pi_flags_reserved = ND_OPT_PI_FLAG_ONLINK |
				       ND_OPT_PI_FLAG_AUTO;
	pi->nd_opt_pi_valid_time = htonl(lifetime);
	pi->nd_opt_pi_preferred_time = htonl(lifetime);
	pi->nd_opt_pi_prefix = *addr;
	for (i = 0; i < 16; i++) {
		int bits = prefix_len - i * 8;

		if (bits >= 8)
			continue;
		pi->nd_opt_pi_prefix.s6_addr[i] &=
			bits <= 0 ? 0 : (uint8_t)(0xff << (8 - bits));
	}
}

/**
 * ndp_ra() - Send a router advertisement
 * @c:		Execution context
 * @dst:	Destination: the soliciting guest address, or all nodes
 * @old:	Name servers and domains advertised before a change, or NULL
 * @old_net:	Address advertised before the host renumbered, or NULL
 *
 * A prefix given up is advertised once more with lifetimes of zero: the
 * guest stops using its addresses there for new connections at once, and
 * drops them two hours later (RFC 4862, 5.5.3 e).
 */
static void ndp_ra(const struct ctx *c, const struct in6_addr *dst,
		   const struct dns_run *old, const struct guest_net6 *old_net)
{
	const struct guest_net6 *g = &c->run->guest6;
	bool have_addr = !IN6_IS_ADDR_UNSPECIFIED(&g->addr);
	struct ndp_buf m = { .len = sizeof(struct nd_router_advert) };
	struct nd_router_advert *ra;
	unsigned char *o;

	memset(m.b, 0, sizeof(*ra));
	ra = (struct nd_router_advert *)m.b;
	ra->nd_ra_type = ND_ROUTER_ADVERT;
	ra->nd_ra_curhoplimit = IP_TTL_DEFAULT;
	/* Without an address (local mode), we advertise a route only */
	if (!c->no_dhcpv6)
		ra->nd_ra_flags_reserved = ND_RA_FLAG_OTHER |
			(have_addr ? ND_RA_FLAG_MANAGED : 0);
	ra->nd_ra_router_lifetime = htons(RA_ROUTER_LIFETIME_S);

	if (have_addr)
		ndp_opt_prefix(&m, &g->addr, g->prefix_len,
			       NDP_LIFETIME_INFINITE);
	if (old_net && !IN6_IS_ADDR_UNSPECIFIED(&old_net->addr) &&
	    (!have_addr || old_net->prefix_len != g->prefix_len ||
	     !ip6_same_prefix(&old_net->addr, &g->addr, g->prefix_len)))
		ndp_opt_prefix(&m, &old_net->addr, old_net->prefix_len, 0);

	if (c->mtu) {
		uint32_t mtu = htonl(c->mtu);

		o = ndp_opt(&m, ND_OPT_MTU, 1);
		if (o)
			memcpy(o + 4, &mtu, sizeof(mtu));
	}

	ndp_opt_dns(c, &m, old);
	ndp_opt_lladdr(c, &m, ND_OPT_SOURCE_LINKADDR);

	debug("Sending router advertisement");
	tap_icmp6_send(c, &c->ip6.our_tap_ll, dst, m.b, m.len);
}

/**
 * ndp_is_guest() - Tell if an address is one the guest uses
 * @c:		Execution context
 * @a:		Address
 *
 * Return: true for the guest's assigned and seen addresses
 */
static bool ndp_is_guest(const struct ctx *c, const struct in6_addr *a)
{
	return IN6_ARE_ADDR_EQUAL(a, &c->run->guest6.addr) ||
	       IN6_ARE_ADDR_EQUAL(a, &c->run->addr6_seen) ||
	       IN6_ARE_ADDR_EQUAL(a, &c->run->addr6_ll_seen);
}

/**
 * ndp_na() - Answer a neighbour solicitation for one of our addresses
 * @c:		Execution context
 * @saddr:	Source of the solicitation
 * @target:	Target address
 */
static void ndp_na(const struct ctx *c, const struct in6_addr *saddr,
		   const struct in6_addr *target)
{
	struct nd_neighbor_advert *na;
	struct ndp_buf m = { .len = sizeof(*na) };

	memset(m.b, 0, sizeof(*na));
	na = (struct nd_neighbor_advert *)m.b;
	na->nd_na_type = ND_NEIGHBOR_ADVERT;
	na->nd_na_flags_reserved = ND_NA_FLAG_ROUTER | ND_NA_FLAG_SOLICITED |
				   ND_NA_FLAG_OVERRIDE;
	na->nd_na_target = *target;
	ndp_opt_lladdr(c, &m, ND_OPT_TARGET_LINKADDR);

	tap_icmp6_send(c, target, saddr, m.b, m.len);
}

/**
 * ndp() - Handle a neighbour discovery message from the guest
 * @c:		Execution context
 * @saddr:	Source address
 * @daddr:	Destination address
 * @l4:		ICMPv6 message
 * @len:	Length of @l4, at least the ICMPv6 header
 *
 * Return: 1 if the message was an NDP one (handled or dropped), 0 otherwise
 */
int ndp(struct ctx *c, const struct in6_addr *saddr,
	const struct in6_addr *daddr, const void *l4, size_t len)
{
	const struct icmp6_hdr *ih = l4;
	const struct nd_neighbor_solicit *ns;

	(void)daddr;

	switch (ih->icmp6_type) {
	case ND_ROUTER_SOLICIT:
		if (c->no_ndp || c->no_ra)
			return 1;
		debug("Router solicitation from the guest");
		ndp_ra(c, IN6_IS_ADDR_UNSPECIFIED(saddr) ? &in6addr_allnodes :
							   saddr, NULL, NULL);
		return 1;
	case ND_NEIGHBOR_SOLICIT:
		if (c->no_ndp || len < sizeof(*ns))
			return 1;
		ns = l4;
		/* Duplicate address detection is about the guest's own */
		if (IN6_IS_ADDR_UNSPECIFIED(saddr))
			return 1;
		if (ndp_is_guest(c, &ns->nd_ns_target) ||
		    IN6_IS_ADDR_MULTICAST(&ns->nd_ns_target) ||
		    IN6_IS_ADDR_UNSPECIFIED(&ns->nd_ns_target))
			return 1;
		ndp_na(c, saddr, &ns->nd_ns_target);
		return 1;
	case ND_ROUTER_ADVERT:
	case ND_NEIGHBOR_ADVERT:
	case ND_REDIRECT:
	case MLD_LISTENER_QUERY:
		return 1;
	default:
		return 0;
	}
}

/**
 * ndp_schedule() - Pick the time of the next unsolicited advertisement
 * @now_ms:	Current time, milliseconds
 */
static void ndp_schedule(long long now_ms)
{
	long long span = (RA_INTERVAL_MAX_S - RA_INTERVAL_MIN_S) * MS_PER_SEC;
	unsigned r;

	raw_random(&r, sizeof(r));
	ndp_next_ra_ms = now_ms + RA_INTERVAL_MIN_S * MS_PER_SEC + r % span;
}

/**
 * ndp_start() - The guest is there: advertise, and solicit its address
 * @c:		Execution context
 */
void ndp_start(struct ctx *c)
{
	struct nd_neighbor_solicit *ns;
	struct ndp_buf m = { .len = sizeof(*ns) };
	struct in6_addr sn;

	if (c->no_ndp)
		return;

	if (!c->no_ra) {
		ndp_ra(c, &in6addr_allnodes, NULL, NULL);
		ndp_schedule(timespec_ms(&c->run->now));
	}

	if (IN6_IS_ADDR_UNSPECIFIED(&c->run->guest6.addr))
		return;

	memset(m.b, 0, sizeof(*ns));
	ns = (struct nd_neighbor_solicit *)m.b;
	ns->nd_ns_type = ND_NEIGHBOR_SOLICIT;
	ns->nd_ns_target = c->run->guest6.addr;
	ndp_opt_lladdr(c, &m, ND_OPT_SOURCE_LINKADDR);

	/* Solicited-node multicast address of the target, RFC 4291 2.7.1 */
	inet_pton(AF_INET6, "ff02::1:ff00:0", &sn);
	memcpy(sn.s6_addr + 13, c->run->guest6.addr.s6_addr + 13, 3);
	tap_icmp6_send(c, &c->ip6.our_tap_ll, &sn, m.b, m.len);
}

/**
 * ndp_ra_due() - Tell if unsolicited advertisements go out: they're on, and
 *		  the guest is there (ndp_start() ran)
 * @c:		Execution context
 *
 * Return: true if they do
 */
static bool ndp_ra_due(const struct ctx *c)
{
	return ipv6_enabled(c) && !c->no_ndp && !c->no_ra &&
	       c->run->fd_tap >= 0 && ndp_next_ra_ms >= 0;
}

/**
 * ndp_timer() - Send unsolicited router advertisements now and then
 * @c:		Execution context
 * @now:	Current time
 */
void ndp_timer(struct ctx *c, const struct timespec *now)
{
	if (!ndp_ra_due(c) || timespec_ms(now) < ndp_next_ra_ms)
		return;

	ndp_ra(c, &in6addr_allnodes, NULL, NULL);
	ndp_schedule(timespec_ms(now));
}

/**
 * ndp_dns_changed() - Name servers or domains changed: advertise them now
 * @c:		Execution context
 * @old:	What was advertised until now, withdrawn where it's gone
 */
void ndp_dns_changed(const struct ctx *c, const struct dns_run *old)
{
	if (ndp_ra_due(c))
		ndp_ra(c, &in6addr_allnodes, old, NULL);
}

/**
 * ndp_net_changed() - The guest's address moved to another prefix: advertise
 *		       the new one now, and deprecate the old one
 * @c:		Execution context
 * @old:	What was advertised until now
 */
void ndp_net_changed(const struct ctx *c, const struct guest_net6 *old)
{
	if (ndp_ra_due(c))
		ndp_ra(c, &in6addr_allnodes, NULL, old);
}
