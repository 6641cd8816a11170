// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * passt - user-mode networking for virtual machines and namespaces
 *
 * mcast.c - Multicast groups of the guest, joined on the host for it
 *
 * A membership proxy (in the spirit of RFC 4605, with the guest as the only
 * downstream host): the guest's IGMP (RFC 2236, RFC 3376) and MLD (RFC 2710,
 * RFC 3810) reports say which groups it listens to. Each group is joined on
 * the host's uplink, the interface of its default route, on a UDP socket
 * bound to the group and to one port: multicast is delivered per port, and
 * reports don't tell ports. The ports are those of well-known discovery
 * protocols for their groups (mDNS, LLMNR, SSDP, WS-Discovery), and any the
 * guest sends to in that group. What arrives goes to the guest as a
 * multicast frame, from the sender's address as the guest sees it.
 *
 * Datagrams the guest sends to a group leave from a socket per source port
 * of the guest, bound to that port where it's free, with the guest's TTL
 * (hop limit) and the uplink as the outgoing interface. That socket isn't
 * connected: answers to a query sent to a group come from anywhere, unicast,
 * and each sender becomes a UDP flow as if the socket were a forwarded port.
 * What the guest sends loops back to the host's own listeners, and so to
 * our sockets of the same group: those copies are recognised and dropped, or
 * the guest would see its own announcements from another address (and name
 * conflicts where there are none).
 *
 * Leaving: on a leave report (an IGMPv2 leave, an MLDv1 done, an IGMPv3 or
 * MLDv2 record of "include nothing"); the guest is the only member on its
 * link, its kernel leaves when its last listener does. As a querier would,
 * we send general queries every MCAST_QUERY_MS while the guest has groups,
 * and a group not reported again within two of those intervals (and the
 * time to answer) is left. A query also goes to a guest that connects, so
 * that groups it joined before (passt restarted, say) are reported again.
 *
 * Groups that only make sense on the guest's own link (all-hosts and the
 * routers' groups, solicited-node groups, IPv6 interface-local scope) are not
 * joined. Link-local groups are joined on the uplink alone, which is the only
 * interface any group is joined on.
 */

#include <errno.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <net/ethernet.h>
#include <netinet/icmp6.h>
#include <netinet/in.h>
#include <netinet/ip.h>
#include <netinet/udp.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <linux/ipv6.h>

#include "checksum.h"
#include "follow.h"
#include "fwd.h"
#include "inany.h"
#include "ip.h"
#include "log.h"
#include "mcast.h"
#include "passt.h"
#include "stats.h"
#include "tap.h"
#include "udp.h"
#include "util.h"

/* #syscalls socket bind setsockopt getsockname recvmmsg sendto close */
/* #syscalls epoll_ctl */

#define MCAST_GROUPS		32	/* Groups of the guest, both families */
#define MCAST_PORTS		4	/* Ports we receive on, per group */
#define MCAST_OUT		16	/* Sockets for what the guest sends */
#define MCAST_BATCH		8	/* Datagrams per recvmmsg() */
#define MCAST_ECHO		16	/* Datagrams sent, kept to spot echoes */
#define MCAST_ECHO_MS		2000	/* ...for that long */

#define MCAST_QUERY_MS		(60 * MS_PER_SEC)	/* Query interval */
#define MCAST_RESPONSE_MS	(10 * MS_PER_SEC)	/* Max response time */
/* RFC 3376, 8.4, with a robustness variable of 2 */
#define MCAST_MEMBER_MS		(2 * MCAST_QUERY_MS + MCAST_RESPONSE_MS)
#define MCAST_OUT_IDLE_MS	(180 * MS_PER_SEC)

/* IGMP message types, RFC 2236, 2.1 and RFC 3376, 4 */
#define IGMP_QUERY		0x11
#define IGMP_V1_REPORT		0x12
#define IGMP_V2_REPORT		0x16
#define IGMP_V2_LEAVE		0x17
#define IGMP_V3_REPORT		0x22

/* Group record types, RFC 3376, 4.2.12 (the same for MLDv2, RFC 3810, 5.2.12)
 */
#define MCAST_MODE_IS_INCLUDE	1
#define MCAST_MODE_IS_EXCLUDE	2
#define MCAST_TO_INCLUDE	3
#define MCAST_TO_EXCLUDE	4
#define MCAST_ALLOW_NEW		5

#define MLD_V2_REPORT		143	/* RFC 3810, 5.2 */

/**
 * struct mcast_group - A group the guest joined
 * @addr:	Group address, IPv4-mapped for IPv4
 * @port:	Ports we receive it on
 * @sock:	Socket of each port, bound to the group and joined, or -1
 * @nports:	Number of ports
 * @ifi:	Interface the sockets joined the group on, 0 if none
 * @expires_ms:	Leave it if not reported again by then, 0 for a free entry
 */
struct mcast_group {
	union inany_addr addr;
	in_port_t port[MCAST_PORTS];
	int sock[MCAST_PORTS];
	unsigned nports;
	unsigned ifi;
	long long expires_ms;
};

/**
 * struct mcast_out - Socket for the datagrams of one guest port to groups
 * @sock:	Socket, -1 for a free entry
 * @v6:		IPv6 socket
 * @gport:	Guest's source port
 * @lport:	Port the socket is bound to
 * @ifi:	Outgoing interface set on it
 * @ttl:	TTL (hop limit) set on it, -1 for the default
 * @last_ms:	Last datagram sent
 */
struct mcast_out {
	int sock;
	bool v6;
	in_port_t gport;
	in_port_t lport;
	unsigned ifi;
	int ttl;
	long long last_ms;
};

/**
 * struct mcast_echo - A datagram the guest sent to a group, that the host
 *		       may give back to us
 * @group:	Group
 * @dport:	Destination port
 * @lport:	Source port, ours
 * @len:	Payload length
 * @hash:	Hash of the payload
 * @ms:		When it was sent, 0 for a free entry
 */
struct mcast_echo {
	union inany_addr group;
	in_port_t dport;
	in_port_t lport;
	size_t len;
	uint64_t hash;
	long long ms;
};

static struct mcast_group mcast_groups[MCAST_GROUPS];
static struct mcast_out mcast_out[MCAST_OUT] = {
	[0 ... MCAST_OUT - 1] = { .sock = -1 },
};
static struct mcast_echo mcast_echoes[MCAST_ECHO];
static unsigned mcast_echo_next;

/* Next general query, per family (IPv4, IPv6), 0 if none is due */
static long long mcast_query_ms[2];

static char mcast_buf[MCAST_BATCH][65536];
static struct iovec mcast_iov[MCAST_BATCH];
static struct mmsghdr mcast_mh[MCAST_BATCH];
static struct sockaddr_storage mcast_names[MCAST_BATCH];

/**
 * struct mcast_known - Port of a discovery protocol on its group
 * @group:	Group address
 * @port:	UDP port
 */
static const struct mcast_known {
	const char *group;
	in_port_t port;
} mcast_known[] = {
	{ "224.0.0.251",	5353 },	/* mDNS, RFC 6762 */
	{ "ff02::fb",		5353 },
	{ "224.0.0.252",	5355 },	/* LLMNR, RFC 4795 */
	{ "ff02::1:3",		5355 },
	{ "239.255.255.250",	1900 },	/* SSDP (UPnP device architecture) */
	{ "ff02::c",		1900 },
	{ "ff05::c",		1900 },
	{ "239.255.255.250",	3702 },	/* WS-Discovery */
	{ "ff02::c",		3702 },
};

/**
 * mcast_on() - Tell if we proxy multicast at all
 * @c:		Execution context
 *
 * Return: true unless disabled, or UDP is
 */
static bool mcast_on(const struct ctx *c)
{
	return !c->no_mcast && !c->no_udp && !c->splice_only;
}

/**
 * mcast_fam() - Family index of an address
 * @a:		Address
 *
 * Return: 0 for IPv4, 1 for IPv6
 */
static int mcast_fam(const union inany_addr *a)
{
	return inany_v4(a) ? 0 : 1;
}

/**
 * mcast_wanted() - Tell if a group is one to join on the host for the guest
 * @c:		Execution context
 * @g:		Group
 *
 * Return: true for a group of an enabled family, of more than the guest's
 *	   link (or the uplink's) alone
 */
static bool mcast_wanted(const struct ctx *c, const union inany_addr *g)
{
	const struct in_addr *v4 = inany_v4(g);

	if (v4) {
		uint32_t h = ntohl(v4->s_addr);

		/* All-hosts, all-routers, IGMPv3 routers (RFC 3376, 4.2.14) */
		return ipv4_enabled(c) && IN_MULTICAST(h) &&
		       h != 0xe0000000 && h != 0xe0000001 &&
		       h != 0xe0000002 && h != 0xe0000016;
	}

	if (!ipv6_enabled(c) || !IN6_IS_ADDR_MULTICAST(&g->a6))
		return false;
	/* Reserved and interface-local scopes (RFC 4291, 2.7) */
	if ((g->a6.s6_addr[1] & 0xf) < 2)
		return false;
	if (IN6_IS_ADDR_MC_LINKLOCAL(&g->a6)) {
		static const uint8_t snm[13] = { 0xff, 0x02, [11] = 0x01,
						 [12] = 0xff };
		static const uint8_t zero[10];
		uint32_t last;

		if (!memcmp(g->a6.s6_addr, snm, sizeof(snm)))
			return false;	/* Solicited-node */
		if (memcmp(g->a6.s6_addr + 2, zero, sizeof(zero)))
			return true;
		memcpy(&last, g->a6.s6_addr + 12, sizeof(last));
		last = ntohl(last);
		/* All-nodes, all-routers, MLDv2 routers, DHCPv6 agents */
		return last != 1 && last != 2 && last != 0x16 &&
		       last != 0x10002;
	}

	return true;
}

/**
 * mcast_sockaddr() - Socket address of a group and port
 * @sa:		Socket address, set
 * @g:		Group
 * @port:	Port, host order
 * @ifi:	Interface, for the scope of IPv6 link-local groups
 *
 * Return: length of the socket address
 */
static socklen_t mcast_sockaddr(struct sockaddr_storage *sa,
				const union inany_addr *g, in_port_t port,
				unsigned ifi)
{
	socklen_t sl = inany_to_sockaddr(sa, g, port, 0);

	if (!inany_v4(g) && IN6_IS_ADDR_MC_LINKLOCAL(&g->a6))
		((struct sockaddr_in6 *)sa)->sin6_scope_id = ifi;

	return sl;
}

/**
 * mcast_port_open() - Open the socket of a group's port, joined on the uplink
 * @c:		Execution context
 * @g:		Group
 * @i:		Index of the port
 *
 * Return: 0 on success, -1 on failure (logged)
 */
static int mcast_port_open(const struct ctx *c, struct mcast_group *g,
			   unsigned i)
{
	union epoll_ref ref = { .type = EPOLL_TYPE_MCAST };
	const struct in_addr *v4 = inany_v4(&g->addr);
	char buf[INET6_ADDRSTRLEN];
	struct sockaddr_storage sa;
	int s, one = 1, rc;
	socklen_t sl;

	g->sock[i] = -1;
	if (!g->ifi)
		return -1;

	s = socket(v4 ? AF_INET : AF_INET6,
		   SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, IPPROTO_UDP);
	if (s < 0)
		goto fail;

	/* Others on the host (an mDNS responder, say) share these ports */
	if (setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) ||
	    (!v4 && setsockopt(s, IPPROTO_IPV6, IPV6_V6ONLY, &one,
			       sizeof(one))))
		goto fail;

	sl = mcast_sockaddr(&sa, &g->addr, g->port[i], g->ifi);
	if (bind(s, (struct sockaddr *)&sa, sl))
		goto fail;

	if (v4) {
		struct ip_mreqn mr = { .imr_multiaddr = *v4,
				       .imr_ifindex = (int)g->ifi };

		rc = setsockopt(s, IPPROTO_IP, IP_ADD_MEMBERSHIP, &mr,
				sizeof(mr));
	} else {
		struct ipv6_mreq mr = { .ipv6mr_multiaddr = g->addr.a6,
					.ipv6mr_interface = g->ifi };

		rc = setsockopt(s, IPPROTO_IPV6, IPV6_ADD_MEMBERSHIP, &mr,
				sizeof(mr));
	}
	if (rc)
		goto fail;

	ref.fd = s;
	ref.data = (unsigned)(g - mcast_groups) << 8 | i;
	if (epoll_add(c, s, EPOLLIN, ref))
		goto fail;

	g->sock[i] = s;
	debug("Multicast: receiving %s port %u for the guest",
	      inany_ntop(&g->addr, buf, sizeof(buf)), g->port[i]);
	return 0;

fail:
	warn_perror("Multicast: can't receive %s port %u for the guest",
		    inany_ntop(&g->addr, buf, sizeof(buf)), g->port[i]);
	if (s >= 0)
		close(s);
	return -1;
}

/**
 * mcast_ports_close() - Close the sockets of a group: it's left on the host
 * @c:		Execution context
 * @g:		Group
 */
static void mcast_ports_close(const struct ctx *c, struct mcast_group *g)
{
	unsigned i;

	for (i = 0; i < g->nports; i++) {
		if (g->sock[i] < 0)
			continue;
		epoll_del(c, g->sock[i]);
		close(g->sock[i]);
		g->sock[i] = -1;
	}
}

/**
 * mcast_port_add() - Receive a group on one more port
 * @c:		Execution context
 * @g:		Group
 * @port:	Port, host order
 */
static void mcast_port_add(const struct ctx *c, struct mcast_group *g,
			   in_port_t port)
{
	char buf[INET6_ADDRSTRLEN];
	unsigned i;

	if (!port)
		return;
	for (i = 0; i < g->nports; i++) {
		if (g->port[i] == port)
			return;
	}
	if (g->nports == MCAST_PORTS) {
		debug("Multicast: no room for port %u of %s", port,
		      inany_ntop(&g->addr, buf, sizeof(buf)));
		return;
	}

	g->port[g->nports] = port;
	mcast_port_open(c, g, g->nports++);
}

/**
 * mcast_find() - Find a group the guest joined
 * @a:		Group address
 *
 * Return: the group, NULL if the guest isn't a member
 */
static struct mcast_group *mcast_find(const union inany_addr *a)
{
	unsigned i;

	for (i = 0; i < MCAST_GROUPS; i++) {
		if (mcast_groups[i].expires_ms &&
		    inany_equals(&mcast_groups[i].addr, a))
			return &mcast_groups[i];
	}

	return NULL;
}

/**
 * mcast_join() - The guest reported membership of a group
 * @c:		Execution context
 * @a:		Group address
 * @now_ms:	Current time, milliseconds
 */
static void mcast_join(const struct ctx *c, const union inany_addr *a,
		       long long now_ms)
{
	struct mcast_group *g = mcast_find(a);
	char buf[INET6_ADDRSTRLEN];
	unsigned i;

	if (!mcast_wanted(c, a))
		return;

	if (!g) {
		for (i = 0; i < MCAST_GROUPS && !g; i++) {
			if (!mcast_groups[i].expires_ms)
				g = &mcast_groups[i];
		}
		if (!g) {
			warn_once("Multicast: the guest joined more than %u "
				  "groups, not joining %s", MCAST_GROUPS,
				  inany_ntop(a, buf, sizeof(buf)));
			return;
		}

		g->addr = *a;
		g->nports = 0;
		g->ifi = follow_uplink(c, inany_v4(a) ? AF_INET : AF_INET6);
		g->expires_ms = now_ms + MCAST_MEMBER_MS;	/* In use */
		info("Multicast: the guest joined %s",
		     inany_ntop(a, buf, sizeof(buf)));

		for (i = 0; i < ARRAY_SIZE(mcast_known); i++) {
			union inany_addr k;

			if (inany_pton(mcast_known[i].group, &k) &&
			    inany_equals(&k, a))
				mcast_port_add(c, g, mcast_known[i].port);
		}
	}

	g->expires_ms = now_ms + MCAST_MEMBER_MS;
	if (!mcast_query_ms[mcast_fam(a)])
		mcast_query_ms[mcast_fam(a)] = now_ms + MCAST_QUERY_MS;
}

/**
 * mcast_leave() - Leave a group on the host, as the guest did
 * @c:		Execution context
 * @g:		Group
 * @why:	What happened, for the log
 */
static void mcast_leave(const struct ctx *c, struct mcast_group *g,
			const char *why)
{
	char buf[INET6_ADDRSTRLEN];

	info("Multicast: left %s (%s)", inany_ntop(&g->addr, buf, sizeof(buf)),
	     why);
	mcast_ports_close(c, g);
	g->nports = 0;
	g->expires_ms = 0;
}

/**
 * mcast_record() - Act on one group record of a report
 * @c:		Execution context
 * @type:	Record type, MCAST_MODE_IS_INCLUDE...
 * @nsrcs:	Number of sources in the record
 * @a:		Group address
 * @now_ms:	Current time, milliseconds
 *
 * Any record that leaves the guest listening to some source joins the whole
 * group on the host: the guest's kernel filters sources itself. Include
 * records without sources leave it.
 */
static void mcast_record(const struct ctx *c, uint8_t type, size_t nsrcs,
			 const union inany_addr *a, long long now_ms)
{
	struct mcast_group *g;

	switch (type) {
	case MCAST_MODE_IS_INCLUDE:
	case MCAST_TO_INCLUDE:
		if (nsrcs) {
			mcast_join(c, a, now_ms);
		} else if ((g = mcast_find(a))) {
			mcast_leave(c, g, "the guest left it");
		}
		break;
	case MCAST_MODE_IS_EXCLUDE:
	case MCAST_TO_EXCLUDE:
	case MCAST_ALLOW_NEW:
		mcast_join(c, a, now_ms);
		break;
	default:	/* Block old sources: still a member of the rest */
		break;
	}
}

/**
 * mcast_records() - Act on the group records of an IGMPv3 or MLDv2 report
 * @c:		Execution context
 * @msg:	Report, from its type on
 * @len:	Length of @msg
 * @alen:	Length of an address: 4 for IGMPv3, 16 for MLDv2
 * @now_ms:	Current time, milliseconds
 *
 * Both have the number of records at offset 6, records from offset 8: type,
 * length of auxiliary data (32-bit words), number of sources, group, sources,
 * auxiliary data (RFC 3376, 4.2; RFC 3810, 5.2).
 *
 * Return: 0 on success, -1 if the records run past the end (those before
 *	   were acted on)
 */
static int mcast_records(const struct ctx *c, const uint8_t *msg, size_t len,
			 size_t alen, long long now_ms)
{
	uint16_t nrec, nsrcs;
	union inany_addr a = { .a6 = IN6ADDR_ANY_INIT };
	struct in_addr a4;
	size_t off, n, i;

	if (len < 8)
		return -1;

	memcpy(&nrec, msg + 6, sizeof(nrec));
	for (off = 8, i = 0; i < ntohs(nrec); i++, off += n) {
		if (len - off < 4 + alen)
			return -1;
		memcpy(&nsrcs, msg + off + 2, sizeof(nsrcs));
		n = 4 + alen + ntohs(nsrcs) * alen + msg[off + 1] * 4;
		if (len - off < n)
			return -1;

		if (alen == sizeof(a4)) {
			memcpy(&a4, msg + off + 4, sizeof(a4));
			inany_from_v4(&a, a4);
		} else {
			memcpy(&a.a6, msg + off + 4, sizeof(a.a6));
		}
		mcast_record(c, msg[off], ntohs(nsrcs), &a, now_ms);
	}

	return 0;
}

/**
 * mcast_igmp() - An IGMP message from the guest
 * @c:		Execution context
 * @msg:	Message
 * @len:	Length of @msg
 * @now_ms:	Current time, milliseconds
 */
static void mcast_igmp(const struct ctx *c, const uint8_t *msg, size_t len,
		       long long now_ms)
{
	union inany_addr a = { .a6 = IN6ADDR_ANY_INIT };
	struct in_addr g;

	if (len < 8 || csum(msg, len, 0))
		goto bad;

	memcpy(&g, msg + 4, sizeof(g));
	inany_from_v4(&a, g);

	switch (msg[0]) {
	case IGMP_V1_REPORT:
	case IGMP_V2_REPORT:
		mcast_join(c, &a, now_ms);
		return;
	case IGMP_V2_LEAVE: {
		struct mcast_group *grp = mcast_find(&a);

		if (grp)
			mcast_leave(c, grp, "the guest left it");
		return;
	}
	case IGMP_V3_REPORT:
		break;
	default:	/* Queries: we're the only querier on the link */
		return;
	}

	if (!mcast_records(c, msg, len, sizeof(struct in_addr), now_ms))
		return;

bad:
	trace("Multicast: dropping malformed IGMP message from the guest");
	stats_drop(STATS_DROP_MALFORMED_L4);
}

/**
 * mcast_mld() - An MLD message from the guest
 * @c:		Execution context
 * @msg:	Message, from the ICMPv6 header on
 * @len:	Length of @msg
 * @now_ms:	Current time, milliseconds
 */
static void mcast_mld(const struct ctx *c, const uint8_t *msg, size_t len,
		      long long now_ms)
{
	struct mcast_group *g;
	union inany_addr a = { .a6 = IN6ADDR_ANY_INIT };

	switch (msg[0]) {
	case MLD_LISTENER_REPORT:
	case MLD_LISTENER_REDUCTION:
		if (len < 24)
			goto bad;
		memcpy(&a.a6, msg + 8, sizeof(a.a6));
		if (msg[0] == MLD_LISTENER_REPORT)
			mcast_join(c, &a, now_ms);
		else if ((g = mcast_find(&a)))
			mcast_leave(c, g, "the guest left it");
		return;
	case MLD_V2_REPORT:
		break;
	default:
		return;
	}

	if (!mcast_records(c, msg, len, sizeof(struct in6_addr), now_ms))
		return;

bad:
	trace("Multicast: dropping malformed MLD message from the guest");
	stats_drop(STATS_DROP_MALFORMED_L4);
}

/**
 * mcast_hash() - Hash of a payload, to recognise it when it comes back
 * @p:		Payload
 * @len:	Length
 *
 * Return: 64-bit FNV-1a hash
 */
static uint64_t mcast_hash(const uint8_t *p, size_t len)
{
	uint64_t h = 0xcbf29ce484222325ULL;
	size_t i;

	for (i = 0; i < len; i++)
		h = (h ^ p[i]) * 0x100000001b3ULL;

	return h;
}

/**
 * mcast_is_echo() - Tell if a datagram is one the guest sent, looped back
 * @g:		Group it arrived on
 * @dport:	Port it arrived on
 * @pport:	Sender's port
 * @p:		Payload
 * @len:	Payload length
 * @now_ms:	Current time, milliseconds
 *
 * Return: true if it is, and forget it was sent: it comes back once
 */
static bool mcast_is_echo(const union inany_addr *g, in_port_t dport,
			  in_port_t pport, const uint8_t *p, size_t len,
			  long long now_ms)
{
	uint64_t h = 0;
	unsigned i;

	for (i = 0; i < MCAST_ECHO; i++) {
		struct mcast_echo *e = &mcast_echoes[i];

		if (!e->ms || now_ms - e->ms > MCAST_ECHO_MS ||
		    e->len != len || e->dport != dport || e->lport != pport ||
		    !inany_equals(&e->group, g))
			continue;
		if (!h)
			h = mcast_hash(p, len);
		if (e->hash == h) {
			e->ms = 0;
			return true;
		}
	}

	return false;
}

/**
 * mcast_sock_handler() - Datagrams for a group the guest joined
 * @c:		Execution context
 * @ref:	epoll reference: group and port index
 */
void mcast_sock_handler(struct ctx *c, union epoll_ref ref)
{
	unsigned gi = ref.data >> 8, pi = ref.data & 0xff, round;
	long long now_ms = timespec_ms(&c->run->now);
	struct mcast_group *g;
	int n, i;

	if (gi >= MCAST_GROUPS)
		return;
	g = &mcast_groups[gi];
	if (!g->expires_ms || pi >= g->nports || g->sock[pi] != ref.fd)
		return;

	for (i = 0; i < MCAST_BATCH; i++) {
		mcast_iov[i].iov_base = mcast_buf[i];
		mcast_iov[i].iov_len = sizeof(mcast_buf[i]);
		mcast_mh[i].msg_hdr = (struct msghdr){
			.msg_name = &mcast_names[i],
			.msg_namelen = sizeof(mcast_names[i]),
			.msg_iov = &mcast_iov[i],
			.msg_iovlen = 1,
		};
	}

	/* Bounded: a flood doesn't keep us here, epoll brings us back */
	for (round = 0; round < 8; round++) {
		n = recvmmsg(ref.fd, mcast_mh, MCAST_BATCH, MSG_DONTWAIT,
			     NULL);
		if (n <= 0)
			return;

		for (i = 0; i < n; i++) {
			size_t len = mcast_mh[i].msg_len;
			union inany_addr peer, src;
			in_port_t pport;

			mcast_mh[i].msg_hdr.msg_namelen =
				sizeof(mcast_names[i]);
			inany_from_sockaddr(&mcast_names[i], &peer, &pport);
			if (mcast_is_echo(&g->addr, g->port[pi], pport,
					  (uint8_t *)mcast_buf[i], len,
					  now_ms))
				continue;
			if (c->run->fd_tap < 0 ||
			    fwd_nat_to_tap(c, &peer, &src) ||
			    (c->mtu && len + sizeof(struct udphdr) +
			     (inany_v4(&src) ? sizeof(struct iphdr) :
					       sizeof(struct ipv6hdr)) >
			     (size_t)c->mtu))
				continue;

			tap_udp_mcast_send(c, &src, pport, &g->addr,
					   g->port[pi], mcast_buf[i], len);
		}

		if (n < MCAST_BATCH)
			return;
	}
}

/**
 * mcast_out_close() - Close a socket for the guest's datagrams to groups
 * @c:		Execution context
 * @o:		Socket entry
 */
static void mcast_out_close(struct ctx *c, struct mcast_out *o)
{
	udp_listen_closing(c, o->sock);
	epoll_del(c, o->sock);
	close(o->sock);
	o->sock = -1;
}

/**
 * mcast_out_get() - Socket for a guest port's datagrams to groups
 * @c:		Execution context
 * @v6:		IPv6
 * @gport:	Guest's source port
 * @now_ms:	Current time, milliseconds
 *
 * Return: entry of the socket, NULL if none could be opened
 */
static struct mcast_out *mcast_out_get(struct ctx *c, bool v6,
				       in_port_t gport, long long now_ms)
{
	union epoll_ref ref = { .type = EPOLL_TYPE_UDP_LISTEN };
	struct mcast_out *o = NULL, *oldest = &mcast_out[0];
	struct sockaddr_storage sa;
	int s, one = 1, zero = 0;
	union inany_addr any;
	socklen_t sl;
	unsigned i;

	for (i = 0; i < MCAST_OUT; i++) {
		struct mcast_out *e = &mcast_out[i];

		if (e->sock >= 0 && e->v6 == v6 && e->gport == gport)
			return e;
		if (e->sock < 0 && !o)
			o = e;
		if (e->last_ms < oldest->last_ms)
			oldest = e;
	}
	if (!o) {
		mcast_out_close(c, oldest);
		o = oldest;
	}

	s = socket(v6 ? AF_INET6 : AF_INET,
		   SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, IPPROTO_UDP);
	if (s < 0) {
		debug_perror("Multicast: can't open a socket to send");
		return NULL;
	}

	/* Unicast answers only: no group traffic joined by others */
	if (v6) {
		any.a6 = c->ip6.addr_out;
		setsockopt(s, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
		setsockopt(s, IPPROTO_IPV6, IPV6_MULTICAST_ALL, &zero,
			   sizeof(zero));
	} else {
		inany_from_v4(&any, c->ip4.addr_out);
		setsockopt(s, IPPROTO_IP, IP_MULTICAST_ALL, &zero,
			   sizeof(zero));
	}

	/* Our own receiving sockets share the port of a discovery protocol,
	 * as other responders on the host do: the guest's own port if free
	 */
	for (i = 0; i < ARRAY_SIZE(mcast_known); i++) {
		if (mcast_known[i].port == gport) {
			setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one,
				   sizeof(one));
			break;
		}
	}
	sl = inany_to_sockaddr(&sa, &any, gport, 0);
	if (bind(s, (struct sockaddr *)&sa, sl)) {
		sl = inany_to_sockaddr(&sa, &any, 0, 0);
		if (bind(s, (struct sockaddr *)&sa, sl))
			goto fail;
	}
	sl = sizeof(sa);
	if (getsockname(s, (struct sockaddr *)&sa, &sl))
		goto fail;
	inany_from_sockaddr(&sa, &any, &o->lport);

	/* Answers come as to a forwarded port: to the guest's port */
	ref.fd = s;
	ref.listen.port = gport;
	ref.listen.rule = FWD_RULE_NONE;
	ref.listen.pif = PIF_HOST;
	ref.listen.v6 = v6;
	if (epoll_add(c, s, EPOLLIN, ref))
		goto fail;

	o->sock = s;
	o->v6 = v6;
	o->gport = gport;
	o->ifi = 0;
	o->ttl = -1;
	o->last_ms = now_ms;
	debug("Multicast: guest port %u sends to groups from port %u", gport,
	      o->lport);
	return o;

fail:
	debug_perror("Multicast: can't bind a socket to send");
	close(s);
	return NULL;
}

/**
 * mcast_send() - Send a datagram of the guest to a group
 * @c:		Execution context
 * @ttl:	TTL or hop limit the guest sent it with
 * @group:	Group
 * @l4:		UDP header and payload
 * @len:	Length of @l4
 * @now_ms:	Current time, milliseconds
 */
static void mcast_send(struct ctx *c, uint8_t ttl,
		       const union inany_addr *group, const uint8_t *l4,
		       size_t len, long long now_ms)
{
	bool v6 = !inany_v4(group);
	struct sockaddr_storage sa;
	struct mcast_group *g;
	struct mcast_echo *e;
	struct mcast_out *o;
	struct udphdr uh;
	unsigned ifi;
	socklen_t sl;
	int rc;

	if (len < sizeof(uh))
		goto bad;
	memcpy(&uh, l4, sizeof(uh));
	if (ntohs(uh.len) != len || !uh.source || !uh.dest ||
	    (v6 && !uh.check))
		goto bad;

	ifi = follow_uplink(c, v6 ? AF_INET6 : AF_INET);
	if (!mcast_wanted(c, group) || !ifi) {
		trace("Multicast: not sending to a group of the guest's link, "
		      "or with no uplink");
		stats_drop(STATS_DROP_MULTICAST);
		return;
	}

	/* Traffic to a group the guest is in: it listens on that port */
	if ((g = mcast_find(group)))
		mcast_port_add(c, g, ntohs(uh.dest));

	o = mcast_out_get(c, v6, ntohs(uh.source), now_ms);
	if (!o) {
		stats_drop(STATS_DROP_NO_FLOW);
		return;
	}
	o->last_ms = now_ms;

	if (o->ifi != ifi) {
		if (v6) {
			rc = setsockopt(o->sock, IPPROTO_IPV6,
					IPV6_MULTICAST_IF, &ifi, sizeof(ifi));
		} else {
			struct ip_mreqn mr = { .imr_ifindex = (int)ifi };

			rc = setsockopt(o->sock, IPPROTO_IP, IP_MULTICAST_IF,
					&mr, sizeof(mr));
		}
		if (rc)
			debug_perror("Multicast: can't set the interface");
		else
			o->ifi = ifi;
	}
	if (o->ttl != ttl) {
		int t = ttl;

		if (!setsockopt(o->sock, v6 ? IPPROTO_IPV6 : IPPROTO_IP,
				v6 ? IPV6_MULTICAST_HOPS : IP_MULTICAST_TTL,
				&t, sizeof(t)))
			o->ttl = ttl;
	}

	l4 += sizeof(uh);
	len -= sizeof(uh);
	sl = mcast_sockaddr(&sa, group, ntohs(uh.dest), ifi);
	if (sendto(o->sock, l4, len, MSG_DONTWAIT | MSG_NOSIGNAL,
		   (struct sockaddr *)&sa, sl) < 0) {
		trace("Multicast: send failed: %s", strerror(errno));
		return;
	}

	e = &mcast_echoes[mcast_echo_next++ % MCAST_ECHO];
	e->group = *group;
	e->dport = ntohs(uh.dest);
	e->lport = o->lport;
	e->len = len;
	e->hash = mcast_hash(l4, len);
	e->ms = now_ms;
	return;

bad:
	trace("Multicast: dropping malformed datagram from the guest");
	stats_drop(STATS_DROP_MALFORMED_L4);
}

/**
 * mcast_tap() - A packet from the guest to a multicast address
 * @c:		Execution context
 * @proto:	IP protocol (upper layer)
 * @ttl:	TTL or hop limit
 * @saddr:	Source address
 * @daddr:	Destination address, multicast
 * @l4:		Upper layer header and payload
 * @len:	Length of @l4
 * @now:	Current time
 *
 * Return: true if handled here (membership reports, datagrams to groups),
 *	   false if it's to be dropped as any other multicast
 */
bool mcast_tap(struct ctx *c, uint8_t proto, uint8_t ttl,
	       const union inany_addr *saddr, const union inany_addr *daddr,
	       const void *l4, size_t len, const struct timespec *now)
{
	long long now_ms = timespec_ms(now);

	if (!mcast_on(c))
		return false;

	if (proto == IPPROTO_IGMP && inany_v4(daddr)) {
		mcast_igmp(c, l4, len, now_ms);
		return true;
	}
	if (proto == IPPROTO_ICMPV6 && !inany_v4(daddr) && len >= 4) {
		mcast_mld(c, l4, len, now_ms);
		return true;
	}
	if (proto == IPPROTO_UDP && !inany_is_unspecified(saddr) &&
	    (inany_v4(daddr) ?
	     IN_MULTICAST(ntohl(inany_v4(daddr)->s_addr)) :
	     IN6_IS_ADDR_MULTICAST(&daddr->a6))) {
		mcast_send(c, ttl, daddr, l4, len, now_ms);
		return true;
	}

	return false;
}

/**
 * mcast_query4() - Send an IGMPv3 general query to the guest
 * @c:		Execution context
 */
static void mcast_query4(const struct ctx *c)
{
	/* Two bytes first: the IP header lands four-byte aligned */
	uint8_t buf[2 + ETH_HLEN + 24 + 12] __attribute__((aligned(4)));
	uint8_t *frame = buf + 2, *q = frame + ETH_HLEN + 24;
	struct iphdr *iph = (struct iphdr *)(frame + ETH_HLEN);
	union inany_addr all;
	uint16_t sum;

	memset(buf, 0, sizeof(buf));
	inany_from_v4(&all, (struct in_addr){ htonl(0xe0000001) });
	tap_push_l2h(c, frame, ETH_P_IP);
	ip_mcast_mac(&all.a6, frame);

	/* RFC 3376, 4: TTL 1, IP Router Alert option (RFC 2113) */
	iph->version = 4;
	iph->ihl = 6;
	iph->tos = 0xc0;
	iph->tot_len = htons(24 + 12);
	iph->ttl = 1;
	iph->protocol = IPPROTO_IGMP;
	iph->saddr = c->ip4.our_tap_addr.s_addr;
	iph->daddr = htonl(0xe0000001);
	frame[ETH_HLEN + 20] = 0x94;
	frame[ETH_HLEN + 21] = 0x04;
	iph->check = csum(iph, 24, 0);

	q[0] = IGMP_QUERY;
	q[1] = MCAST_RESPONSE_MS / 100;		/* Tenths of a second */
	q[8] = 2;				/* Robustness variable */
	q[9] = MCAST_QUERY_MS / MS_PER_SEC;	/* Query interval, s */
	sum = csum(q, 12, 0);
	memcpy(q + 2, &sum, sizeof(sum));

	tap_send_single(c, frame, sizeof(buf) - 2);
}

/**
 * mcast_query6() - Send an MLDv2 general query to the guest
 * @c:		Execution context
 */
static void mcast_query6(const struct ctx *c)
{
	uint8_t buf[2 + ETH_HLEN + sizeof(struct ipv6hdr) + 8 + 28]
		__attribute__((aligned(4)));
	uint8_t *frame = buf + 2, *hbh, *q;
	const struct in6_addr all = IN6_ALLNODES_INIT;
	struct ipv6hdr *ip6h;

	memset(buf, 0, sizeof(buf));
	ip6h = tap_push_l2h(c, frame, ETH_P_IPV6);
	ip_mcast_mac(&all, frame);

	/* RFC 3810, 5: link-local source, hop limit 1, Router Alert */
	hbh = tap_push_ip6h(ip6h, &c->ip6.our_tap_ll, &all, 8 + 28,
			    IPPROTO_HOPOPTS, 0);
	ip6h->hop_limit = 1;
	hbh[0] = IPPROTO_ICMPV6;
	hbh[2] = 5;		/* Router Alert, RFC 2711 */
	hbh[3] = 2;		/* value 0: MLD */
	hbh[6] = 1;		/* PadN, two bytes */

	q = hbh + 8;
	q[0] = MLD_LISTENER_QUERY;
	q[4] = (MCAST_RESPONSE_MS >> 8) & 0xff;	/* Milliseconds */
	q[5] = MCAST_RESPONSE_MS & 0xff;
	q[24] = 2;				/* Robustness variable */
	q[25] = MCAST_QUERY_MS / MS_PER_SEC;
	csum_icmp6((struct icmp6_hdr *)q, &c->ip6.our_tap_ll, &all, q + 8,
		   28 - 8);

	tap_send_single(c, frame, sizeof(buf) - 2);
}

/**
 * mcast_start() - A guest is there: ask which groups it listens to
 * @c:		Execution context
 */
void mcast_start(const struct ctx *c)
{
	if (!mcast_on(c))
		return;

	if (ipv4_enabled(c))
		mcast_query4(c);
	if (ipv6_enabled(c))
		mcast_query6(c);
}

/**
 * mcast_timer() - Groups not reported any longer, queries, idle sockets,
 *		   and the uplink
 * @c:		Execution context
 * @now:	Current time
 */
void mcast_timer(struct ctx *c, const struct timespec *now)
{
	long long now_ms = timespec_ms(now);
	bool any[2] = { false, false };
	unsigned i, j;

	for (i = 0; i < MCAST_GROUPS; i++) {
		struct mcast_group *g = &mcast_groups[i];
		unsigned ifi;

		if (!g->expires_ms)
			continue;
		if (now_ms >= g->expires_ms) {
			mcast_leave(c, g, "no report from the guest");
			continue;
		}
		any[mcast_fam(&g->addr)] = true;

		/* The uplink changed: join the group there instead */
		ifi = follow_uplink(c, inany_v4(&g->addr) ? AF_INET : AF_INET6);
		if (ifi == g->ifi)
			continue;
		mcast_ports_close(c, g);
		g->ifi = ifi;
		for (j = 0; j < g->nports; j++)
			mcast_port_open(c, g, j);
	}

	for (i = 0; i < 2; i++) {
		if (!any[i]) {
			mcast_query_ms[i] = 0;
		} else if (mcast_query_ms[i] && now_ms >= mcast_query_ms[i] &&
			   c->run->fd_tap >= 0) {
			if (i)
				mcast_query6(c);
			else
				mcast_query4(c);
			mcast_query_ms[i] = now_ms + MCAST_QUERY_MS;
		}
	}

	for (i = 0; i < MCAST_OUT; i++) {
		struct mcast_out *o = &mcast_out[i];

		if (o->sock >= 0 && now_ms - o->last_ms > MCAST_OUT_IDLE_MS)
			mcast_out_close(c, o);
	}
}

/**
 * mcast_reset() - The guest went away: leave its groups, close its sockets
 * @c:		Execution context
 */
void mcast_reset(struct ctx *c)
{
	unsigned i;

	for (i = 0; i < MCAST_GROUPS; i++) {
		if (mcast_groups[i].expires_ms)
			mcast_leave(c, &mcast_groups[i], "the guest went away");
	}
	for (i = 0; i < MCAST_OUT; i++) {
		if (mcast_out[i].sock >= 0)
			mcast_out_close(c, &mcast_out[i]);
	}
	mcast_query_ms[0] = mcast_query_ms[1] = 0;
}
