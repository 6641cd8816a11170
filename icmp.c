// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * passt - user-mode networking for virtual machines and namespaces
 *
 * icmp.c - ICMP and ICMPv6 echo over unprivileged ping sockets
 *
 * An echo request from the guest is sent from a ping socket (SOCK_DGRAM,
 * IPPROTO_ICMP or IPPROTO_ICMPV6), which needs no privileges as long as
 * net.ipv4.ping_group_range includes our group. Each identifier and
 * destination of the guest gets a socket of its own, bound to the guest's
 * identifier where that's free: the kernel puts the socket's identifier in
 * requests and only gives the socket replies carrying it. Replies go back to
 * the guest with its identifier and sequence number, from the address it
 * sent the request to. Flows idle for a minute are closed.
 */

#include <errno.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <net/if.h>
#include <netinet/icmp6.h>
#include <netinet/ip.h>
#include <netinet/ip_icmp.h>
#include <sys/epoll.h>
#include <sys/socket.h>

#include <linux/ipv6.h>

#include "fdlimit.h"
#include "flow.h"
#include "flow_table.h"
#include "fwd.h"
#include "icmp.h"
#include "log.h"
#include "passt.h"
#include "stats.h"
#include "tap.h"
#include "util.h"

/* #syscalls socket setsockopt bind getsockname sendto recvfrom close */

#define ICMP_TIMEOUT_MS		(60 * MS_PER_SEC)
#define ICMP_BUF_SIZE		(65536)

static char icmp_buf[ICMP_BUF_SIZE];

/**
 * icmp_sock_open() - Open a ping socket, bound to an identifier if free
 * @c:		Execution context
 * @af:		AF_INET or AF_INET6
 * @id:		Echo identifier wanted, host order
 * @bound_id:	Identifier actually bound, host order, set
 *
 * Return: socket, -1 on failure
 */
static int icmp_sock_open(const struct ctx *c, int af, uint16_t id,
			  uint16_t *bound_id)
{
	int proto = af == AF_INET ? IPPROTO_ICMP : IPPROTO_ICMPV6;
	const char *ifname = af == AF_INET ? c->ip4.ifname_out :
					     c->ip6.ifname_out;
	union {
		struct sockaddr sa;
		struct sockaddr_in sin;
		struct sockaddr_in6 sin6;
	} a = { 0 };
	socklen_t sl;
	int s;

	s = socket(af, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, proto);
	if (s < 0) {
		if (errno == EACCES || errno == EPERM)
			warn_once("Ping sockets not permitted: add our group "
				  "to net.ipv4.ping_group_range to let the "
				  "guest ping; ICMP echo requests are dropped");
		else if (fd_is_short(errno))
			fd_short("ping flows", 1);
		else
			warn_perror("Can't open ping socket");
		return -1;
	}

	if (*ifname &&
	    setsockopt(s, SOL_SOCKET, SO_BINDTODEVICE, ifname,
		       strlen(ifname)))
		debug_perror("Can't bind ping socket to %s", ifname);

	if (af == AF_INET) {
		a.sin.sin_family = AF_INET;
		a.sin.sin_addr = c->ip4.addr_out;
		a.sin.sin_port = htons(id);
		sl = sizeof(a.sin);
	} else {
		a.sin6.sin6_family = AF_INET6;
		a.sin6.sin6_addr = c->ip6.addr_out;
		a.sin6.sin6_port = htons(id);
		sl = sizeof(a.sin6);
	}

	if (bind(s, &a.sa, sl)) {
		/* Identifier taken: let the kernel pick one */
		a.sin.sin_port = 0;
		if (af == AF_INET6)
			a.sin6.sin6_port = 0;
		if (bind(s, &a.sa, sl)) {
			close(s);
			return -1;
		}
	}

	sl = sizeof(a);
	if (getsockname(s, &a.sa, &sl)) {
		close(s);
		return -1;
	}
	*bound_id = ntohs(af == AF_INET ? a.sin.sin_port : a.sin6.sin6_port);

	return s;
}

/**
 * icmp_flow_new() - Create a flow for an identifier and destination
 * @c:		Execution context
 * @af:		AF_INET or AF_INET6
 * @saddr:	Guest address
 * @daddr:	Destination, as the guest sees it
 * @id:		Guest's echo identifier, host order
 * @now:	Current time
 *
 * Return: new flow, NULL on failure
 */
static struct icmp_ping_flow *icmp_flow_new(struct ctx *c, int af,
					    const union inany_addr *saddr,
					    const union inany_addr *daddr,
					    uint16_t id,
					    const struct timespec *now)
{
	uint8_t proto = af == AF_INET ? IPPROTO_ICMP : IPPROTO_ICMPV6;
	struct icmp_ping_flow *pf;
	union inany_addr tgt;
	union flow *flow;
	uint16_t bound;
	int s;

	flow = flow_alloc();
	if (!flow) {
		debug("Flow table full, dropping echo request");
		return NULL;
	}

	s = icmp_sock_open(c, af, id, &bound);
	if (s < 0) {
		flow_free(flow);
		return NULL;
	}

	pf = &flow->ping;
	fwd_nat_from_tap(c, proto, daddr, 0, &tgt);
	flow_from_tap(flow, af == AF_INET ? FLOW_PING4 : FLOW_PING6, proto,
		      saddr, id, daddr, 0, &tgt, now);
	pf->f.side[TGTSIDE].oport = bound;
	pf->sock = s;

	if (flow_sock_watch(c, flow, s, EPOLL_TYPE_PING))
		return NULL;

	flow_hash_insert(flow, INISIDE);
	debug("Ping flow %u: identifier %u, socket identifier %u",
	      flow_idx(flow), id, bound);

	return pf;
}

/**
 * icmp_flow_close() - Close a flow and its socket
 * @c:		Execution context
 * @pf:		Flow
 */
static void icmp_flow_close(struct ctx *c, struct icmp_ping_flow *pf)
{
	epoll_del(c, pf->sock);
	close(pf->sock);
	flow_free((union flow *)pf);
}

/**
 * icmp_send() - Send an echo request from the guest through its flow
 * @c:		Execution context
 * @af:		AF_INET or AF_INET6
 * @saddr:	Guest address
 * @daddr:	Destination, as the guest sees it
 * @req:	ICMP or ICMPv6 message, header included
 * @len:	Message length
 * @now:	Current time
 */
static void icmp_send(struct ctx *c, int af, const union inany_addr *saddr,
		      const union inany_addr *daddr, const void *req,
		      size_t len, const struct timespec *now)
{
	uint8_t proto = af == AF_INET ? IPPROTO_ICMP : IPPROTO_ICMPV6;
	const struct icmphdr *ih = req;	/* Same layout for echo in ICMPv6 */
	uint16_t id = ntohs(ih->un.echo.id);
	struct icmp_ping_flow *pf;
	union flow *flow;
	union {
		struct sockaddr sa;
		struct sockaddr_in sin;
		struct sockaddr_in6 sin6;
	} a = { 0 };
	socklen_t sl;

	if (c->no_icmp) {
		stats_drop(STATS_DROP_DISABLED);
		return;
	}

	flow = flow_lookup(proto, PIF_TAP, saddr, id, daddr, 0, NULL);
	pf = flow ? &flow->ping : icmp_flow_new(c, af, saddr, daddr, id, now);
	if (!pf) {
		stats_drop(STATS_DROP_NO_FLOW);
		return;
	}

	if (af == AF_INET) {
		a.sin.sin_family = AF_INET;
		a.sin.sin_addr = *inany_v4(&pf->f.side[TGTSIDE].eaddr);
		sl = sizeof(a.sin);
	} else {
		a.sin6.sin6_family = AF_INET6;
		a.sin6.sin6_addr = pf->f.side[TGTSIDE].eaddr.a6;
		if (IN6_IS_ADDR_LINKLOCAL(&a.sin6.sin6_addr))
			a.sin6.sin6_scope_id = c->ifi6;
		sl = sizeof(a.sin6);
	}

	pf->seq = ntohs(ih->un.echo.sequence);
	pf->last_ms = timespec_ms(now);

	if (sendto(pf->sock, req, len, MSG_NOSIGNAL, &a.sa, sl) < 0) {
		debug_perror("Ping flow %u: sendto failed",
			     flow_idx((union flow *)pf));
		return;
	}

	/* Echo data only, as ping(8) counts it: not the 8-byte header */
	pf->f.bytes[INISIDE] += len - sizeof(*ih);
	trace("Ping flow %u: echo request, sequence %u",
	      flow_idx((union flow *)pf), pf->seq);
}

/**
 * icmp_tap_handler4() - ICMP message from the guest
 * @c:		Execution context
 * @saddr:	Source address
 * @daddr:	Destination address
 * @l4:		ICMP header and data
 * @len:	Length of @l4
 * @now:	Current time
 */
void icmp_tap_handler4(struct ctx *c, struct in_addr saddr,
		       struct in_addr daddr, const void *l4, size_t len,
		       const struct timespec *now)
{
	const struct icmphdr *ih = l4;
	union inany_addr s, d;

	if (len < sizeof(*ih) || ih->type != ICMP_ECHO || ih->code) {
		stats_drop(STATS_DROP_PROTO);
		return;
	}

	inany_from_v4(&s, saddr);
	inany_from_v4(&d, daddr);
	icmp_send(c, AF_INET, &s, &d, l4, len, now);
}

/**
 * icmp_tap_handler6() - ICMPv6 message from the guest (other than NDP)
 * @c:		Execution context
 * @saddr:	Source address
 * @daddr:	Destination address
 * @l4:		ICMPv6 header and data
 * @len:	Length of @l4
 * @now:	Current time
 */
void icmp_tap_handler6(struct ctx *c, const struct in6_addr *saddr,
		       const struct in6_addr *daddr, const void *l4,
		       size_t len, const struct timespec *now)
{
	const struct icmp6_hdr *ih = l4;
	union inany_addr s, d;

	if (len < sizeof(*ih) || ih->icmp6_type != ICMP6_ECHO_REQUEST ||
	    ih->icmp6_code) {
		stats_drop(STATS_DROP_PROTO);
		return;
	}

	s.a6 = *saddr;
	d.a6 = *daddr;
	icmp_send(c, AF_INET6, &s, &d, l4, len, now);
}

/**
 * icmp_sock_handler() - Echo replies on a ping socket: relay to the guest
 * @c:		Execution context
 * @ref:	epoll reference, with the flow index
 * @now:	Current time
 */
void icmp_sock_handler(struct ctx *c, union epoll_ref ref,
		       const struct timespec *now)
{
	struct icmp_ping_flow *pf = &flow_at(ref.flow)->ping;
	const struct flowside *tap = &pf->f.side[INISIDE];
	struct icmphdr *ih = (struct icmphdr *)icmp_buf;
	ssize_t n;

	/* Closed, or closed and reused, earlier in the same batch of events */
	if ((pf->f.type != FLOW_PING4 && pf->f.type != FLOW_PING6) ||
	    pf->sock != ref.fd)
		return;

	while ((n = recv(pf->sock, icmp_buf, sizeof(icmp_buf),
			 MSG_DONTWAIT)) >= (ssize_t)sizeof(*ih)) {
		pf->last_ms = timespec_ms(now);

		/* The kernel checked the identifier, we restore the guest's */
		ih->un.echo.id = htons(tap->eport);

		if ((size_t)n + (pf->f.type == FLOW_PING4 ?
				 sizeof(struct iphdr) :
				 sizeof(struct ipv6hdr)) > (size_t)c->mtu) {
			trace("Ping flow %u: reply of %zi bytes over the MTU",
			      ref.flow, n);
			continue;
		}

		if (pf->f.type == FLOW_PING4) {
			if (ih->type != ICMP_ECHOREPLY)
				continue;
			tap_icmp4_send(c, *inany_v4(&tap->oaddr),
				       *inany_v4(&tap->eaddr), icmp_buf, n);
		} else {
			struct icmp6_hdr *ih6 = (struct icmp6_hdr *)icmp_buf;

			if (ih6->icmp6_type != ICMP6_ECHO_REPLY)
				continue;
			tap_icmp6_send(c, &tap->oaddr.a6, &tap->eaddr.a6,
				       icmp_buf, n);
		}
		pf->f.bytes[TGTSIDE] += n - sizeof(*ih);
		trace("Ping flow %u: echo reply, sequence %u", ref.flow,
		      ntohs(ih->un.echo.sequence));
	}
}

/**
 * icmp_flow_timer() - Close a flow idle for too long
 * @c:		Execution context
 * @pf:		Flow
 * @now:	Current time
 */
void icmp_flow_timer(struct ctx *c, struct icmp_ping_flow *pf,
		     const struct timespec *now)
{
	if (timespec_ms(now) - pf->last_ms < ICMP_TIMEOUT_MS)
		return;

	debug("Ping flow %u: idle, closing", flow_idx((union flow *)pf));
	icmp_flow_close(c, pf);
}

/**
 * icmp_addr_gone() - The host's address of a flow went away: close it
 * @c:		Execution context
 * @pf:		Flow
 */
void icmp_addr_gone(struct ctx *c, struct icmp_ping_flow *pf)
{
	icmp_flow_close(c, pf);
}

/**
 * icmp_tap_reset() - The guest went away: close every echo flow
 * @c:		Execution context
 */
void icmp_tap_reset(struct ctx *c)
{
	unsigned i;

	for (i = 0; i < flow_span(); i++) {
		union flow *flow = flow_at(i);

		if (flow->f.type == FLOW_PING4 || flow->f.type == FLOW_PING6)
			icmp_flow_close(c, &flow->ping);
	}
}
