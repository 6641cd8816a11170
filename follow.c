// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * passt - user-mode networking for virtual machines and namespaces
 *
 * follow.c - The host's addresses and uplink, as they change while we run
 *
 * The guest's view of the host is set at start: its address (often the
 * host's own), the gateway, the addresses that map to the host. What we
 * translate to on the host's side needn't stay as it was: unless
 * --no-follow-host is given, a routing netlink socket subscribed to address
 * and route changes (opened before the sandbox) tells us when the host's
 * default route moves to another interface (a VPN comes up, Wi-Fi takes over
 * from a cable, an uplink appears after we started in local mode) or when
 * that interface's addresses change; we then ask the kernel again, on a
 * second socket, which interface has the default route and which address is
 * its main one. Traffic the guest sends to the --map-guest-addr address goes
 * to the host's address as it is now, and traffic from it is recognised as
 * the host's. An interface given with -i or --outbound-if4/6 stays.
 *
 * The guest's own address, prefix length and IPv4 gateway are the host's
 * unless given (-a, -n, -g): those follow the host's too. The guest learns
 * through its own protocols: an IPv6 guest from a router advertisement sent
 * at once (the new prefix, the old one deprecated), DHCPv6 and DHCP clients
 * when they renew their lease (a DHCP client renewing the old address gets
 * a NAK and starts again). For pasta's namespace configured with
 * --config-net, nshelper.c changes the tap device's address and default
 * route there.
 *
 * Neither socket can change anything: we hold no capability over the
 * host's network namespace by then.
 */

#include <errno.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <net/if.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <sys/epoll.h>
#include <sys/socket.h>

#include "flow.h"
#include "follow.h"
#include "inany.h"
#include "ip.h"
#include "log.h"
#include "ndp.h"
#include "netlink.h"
#include "nshelper.h"
#include "passt.h"
#include "util.h"

/* #syscalls recvfrom sendto */

/* Socket for our requests: the subscribed one only gets notifications */
static int follow_req_sock = -1;

/* Interface whose addresses we follow, per family: 0 if none (yet) */
static unsigned follow_ifi4, follow_ifi6;

/* The interface of a family was given: it doesn't move with routes */
static bool follow_fixed4, follow_fixed6;

/* An address removed is given this long to come back (a DHCP client may
 * remove and add the same one as it renews, a network manager on a short
 * loss of carrier) before its flows are reset
 */
#define FOLLOW_GONE_GRACE_MS	10000
#define FOLLOW_GONE_MAX		8

/**
 * struct follow_gone - An address of the host removed, flows not reset yet
 * @addr:	Address
 * @due_ms:	When to look if it's still gone, 0 for a free slot
 */
static struct follow_gone {
	union inany_addr addr;
	long long due_ms;
} follow_gone[FOLLOW_GONE_MAX];

/**
 * follow_init() - Subscribe to changes of the host's network, before the
 *		   sandbox
 * @c:		Execution context
 */
void follow_init(const struct ctx *c)
{
	union epoll_ref ref = { .type = EPOLL_TYPE_FOLLOW };
	bool v4 = !!c->ifi4, v6 = !!c->ifi6;
	int s;

	if (c->no_follow_host || (!v4 && !v6))
		return;

	follow_ifi4 = ifi_on_host(c->ifi4) ? c->ifi4 : 0;
	follow_ifi6 = ifi_on_host(c->ifi6) ? c->ifi6 : 0;
	follow_fixed4 = *c->ifname || *c->ip4.ifname_out;
	follow_fixed6 = *c->ifname || *c->ip6.ifname_out;

	s = nl_sock_open_groups((v4 ? RTMGRP_IPV4_IFADDR | RTMGRP_IPV4_ROUTE :
				      0) |
				(v6 ? RTMGRP_IPV6_IFADDR | RTMGRP_IPV6_ROUTE :
				      0));
	follow_req_sock = nl_sock_open();
	ref.fd = s;
	if (s < 0 || follow_req_sock < 0 || epoll_add(c, s, EPOLLIN, ref)) {
		warn_perror("Can't watch the host's addresses: changes to them "
			    "aren't followed");
		if (s >= 0)
			close(s);
		if (follow_req_sock >= 0)
			close(follow_req_sock);
		follow_req_sock = -1;
	}
}

/**
 * follow_uplink() - Interface of the host that a family's traffic leaves by
 * @c:		Execution context
 * @af:		AF_INET or AF_INET6
 *
 * Return: interface index, as followed if we follow the host, 0 if none
 */
unsigned follow_uplink(const struct ctx *c, sa_family_t af)
{
	unsigned ifi = af == AF_INET ? c->ifi4 : c->ifi6;

	if (follow_req_sock >= 0)
		return af == AF_INET ? follow_ifi4 : follow_ifi6;

	return ifi_on_host(ifi) ? ifi : 0;
}

/**
 * follow_route() - Take the interface of the default route, as it is now
 * @af:		AF_INET or AF_INET6
 * @ifi:	Interface we follow, updated
 *
 * With no default route left, the last interface stays: its address is
 * still the best guess of where the host is.
 */
static void follow_route(sa_family_t af, unsigned *ifi)
{
	unsigned now = nl_get_ext_if(follow_req_sock, af);
	char name[IFNAMSIZ];

	if (!now || now == *ifi)
		return;

	*ifi = now;
	info("The host's %s uplink is now %s", af == AF_INET ? "IPv4" : "IPv6",
	     nl_link_get_name(follow_req_sock, now, name));
}

/**
 * follow_gone_find() - Find an address removed from the host, in its grace
 * @a:		Address
 *
 * Return: its entry, NULL if none
 */
static struct follow_gone *follow_gone_find(const union inany_addr *a)
{
	unsigned i;

	for (i = 0; i < FOLLOW_GONE_MAX; i++) {
		if (follow_gone[i].due_ms &&
		    inany_equals(&follow_gone[i].addr, a))
			return &follow_gone[i];
	}

	return NULL;
}

/**
 * follow_guest_stays() - Tell if the guest keeps an address the host's main
 *			  address isn't any longer
 * @af:		AF_INET or AF_INET6
 * @cur:	The guest's address now
 *
 * It keeps it while the host still has it (as another address, or back
 * already), and while it's in its grace: the flows of the address are
 * reset first, in the guest too, and then the guest moves (follow_timer()).
 * An address the host never had (local mode) is left at once.
 *
 * Return: true if it stays
 */
static bool follow_guest_stays(sa_family_t af, const void *cur)
{
	union inany_addr a = { 0 };

	inany_from_af(&a, af, cur);
	if (inany_is_unspecified(&a))
		return false;

	return follow_gone_find(&a) || nl_addr_present(follow_req_sock, af, cur);
}

/**
 * follow_addr4() - Take the template interface's IPv4 address and gateway as
 *		    they are now, for the host and, where it follows, the guest
 * @c:		Execution context
 */
static void follow_addr4(const struct ctx *c)
{
	struct guest_net4 *g = &c->run->guest4, old = *g;
	struct in_addr a, gw;
	int plen;

	if (!follow_ifi4 ||
	    nl_addr_get(follow_req_sock, follow_ifi4, AF_INET, &a, &plen, NULL))
		return;

	if (a.s_addr != c->run->host_addr4.s_addr) {
		c->run->host_addr4 = a;
		info("The host's IPv4 address is now %s",
		     addr_str(AF_INET, &a));
	}

	if (c->ip4.follow_addr && a.s_addr != g->addr.s_addr) {
		if (follow_guest_stays(AF_INET, &g->addr))
			return;	/* Gateway too: it may need the new address */
		g->addr = a;
	}
	if (c->ip4.follow_addr)
		g->prefix_len = plen;
	/* A gateway the guest can't reach yet waits for its address */
	if (c->ip4.follow_gw &&
	    !nl_route_get_def(follow_req_sock, follow_ifi4, AF_INET, &gw) &&
	    ip4_same_subnet(gw, g->addr, g->prefix_len))
		g->gw = gw;

	if (!memcmp(g, &old, sizeof(old)))
		return;

	info("The guest's IPv4 address is now %s/%i, gateway %s",
	     addr_str(AF_INET, &g->addr), g->prefix_len,
	     addr_str(AF_INET, &g->gw));
	nshelper_net4(c);
}

/**
 * follow_addr6() - Take the template interface's IPv6 address and gateway as
 *		    they are now, for the host and, where it follows, the guest
 * @c:		Execution context
 */
static void follow_addr6(const struct ctx *c)
{
	struct guest_net6 *g = &c->run->guest6, old = *g;
	struct in6_addr a, gw;
	int plen;

	if (!follow_ifi6 ||
	    nl_addr_get(follow_req_sock, follow_ifi6, AF_INET6, &a, &plen,
			NULL))
		return;

	if (!IN6_ARE_ADDR_EQUAL(&a, &c->run->host_addr6)) {
		c->run->host_addr6 = a;
		info("The host's IPv6 address is now %s",
		     addr_str(AF_INET6, &a));
	}

	if (c->ip6.follow_addr && !IN6_ARE_ADDR_EQUAL(&a, &g->addr)) {
		if (follow_guest_stays(AF_INET6, &g->addr))
			return;
		g->addr = a;
	}
	if (c->ip6.follow_addr)
		g->prefix_len = plen;
	if (c->ip6.follow_gw &&
	    !nl_route_get_def(follow_req_sock, follow_ifi6, AF_INET6, &gw) &&
	    (IN6_IS_ADDR_LINKLOCAL(&gw) ||
	     ip6_same_prefix(&gw, &g->addr, g->prefix_len)))
		g->gw = gw;

	if (!memcmp(g, &old, sizeof(old)))
		return;

	info("The guest's IPv6 address is now %s/%i, gateway %s",
	     addr_str(AF_INET6, &g->addr), g->prefix_len,
	     addr_str(AF_INET6, &g->gw));
	if (!IN6_ARE_ADDR_EQUAL(&g->addr, &old.addr) ||
	    g->prefix_len != old.prefix_len)
		ndp_net_changed(c, &old);
	nshelper_net6(c);
}

/**
 * follow_gone_note() - An address of the host was removed, or added again
 * @c:		Execution context
 * @nh:		RTM_NEWADDR or RTM_DELADDR message, length checked for its
 *		struct ifaddrmsg
 */
static void follow_gone_note(struct ctx *c, const struct nlmsghdr *nh)
{
	const struct ifaddrmsg *ifa = NLMSG_DATA(nh);
	long long now = timespec_ms(&c->run->now);
	struct follow_gone *free = NULL;
	union inany_addr a = { 0 };
	const void *local;
	uint32_t flags;
	unsigned i;

	local = nl_ifa_local(nh, &flags);
	if (!local || (ifa->ifa_family != AF_INET &&
		       ifa->ifa_family != AF_INET6))
		return;
	inany_from_af(&a, ifa->ifa_family, local);

	if ((free = follow_gone_find(&a))) {
		if (nh->nlmsg_type == RTM_NEWADDR)
			free->due_ms = 0;		/* Back already */
		return;
	}
	for (i = 0; i < FOLLOW_GONE_MAX && !free; i++) {
		if (!follow_gone[i].due_ms)
			free = &follow_gone[i];
	}

	if (nh->nlmsg_type != RTM_DELADDR)
		return;
	if (!free) {
		/* Full: the oldest is looked at now */
		for (i = 1, free = follow_gone; i < FOLLOW_GONE_MAX; i++) {
			if (follow_gone[i].due_ms < free->due_ms)
				free = &follow_gone[i];
		}
		free->due_ms = now;
		follow_timer(c, &c->run->now);
	}
	free->addr = a;
	free->due_ms = now + FOLLOW_GONE_GRACE_MS;
}

/**
 * follow_timer() - Reset the flows of addresses that stayed gone
 * @c:		Execution context
 * @now:	Current time
 */
void follow_timer(struct ctx *c, const struct timespec *now)
{
	unsigned i;

	for (i = 0; i < FOLLOW_GONE_MAX; i++) {
		struct follow_gone *g = &follow_gone[i];
		char buf[INET6_ADDRSTRLEN];
		const struct in_addr *v4;
		int present;

		if (!g->due_ms || timespec_ms(now) < g->due_ms)
			continue;
		g->due_ms = 0;

		if ((v4 = inany_v4(&g->addr)))
			present = nl_addr_present(follow_req_sock, AF_INET, v4);
		else
			present = nl_addr_present(follow_req_sock, AF_INET6,
						  &g->addr.a6);
		if (present)
			continue;	/* Back, or we can't tell: keep flows */

		info("Address %s is gone from the host: resetting its flows",
		     inany_ntop(&g->addr, buf, sizeof(buf)));
		flow_addr_gone(c, &g->addr);

		/* The guest may have had it: now it can move */
		if (v4 && c->ifi4)
			follow_addr4(c);
		else if (!v4 && c->ifi6)
			follow_addr6(c);
	}
}

/**
 * follow_handler() - Address and route notifications: look again where they
 *		      matter
 * @c:		Execution context
 * @ref:	epoll reference, with the subscribed socket
 *
 * A notification is only a hint: an address added may be a secondary one,
 * one removed may leave another; a default route added may not be the best.
 * What the kernel reports, asked afterwards, is what we take: the interface
 * of the best default route, then its main address. Routes other than
 * default ones don't matter. If the socket overran (ENOBUFS), notifications
 * were lost: look anyway.
 */
void follow_handler(struct ctx *c, union epoll_ref ref)
{
	static char buf[8192] __attribute__((aligned(NLMSG_ALIGNTO)));
	bool v4 = false, v6 = false, r4 = false, r6 = false;
	ssize_t n;

	while ((n = recv(ref.fd, buf, sizeof(buf), MSG_DONTWAIT)) != 0) {
		const struct nlmsghdr *nh = (const struct nlmsghdr *)buf;
		size_t len = n;

		if (n < 0) {
			if (errno == ENOBUFS)
				v4 = v6 = r4 = r6 = true;
			if (errno == EINTR || errno == ENOBUFS)
				continue;
			break;
		}

		for (; NLMSG_OK(nh, len); nh = NLMSG_NEXT(nh, len)) {
			const struct ifaddrmsg *ifa = NLMSG_DATA(nh);
			const struct rtmsg *rtm = NLMSG_DATA(nh);

			if ((nh->nlmsg_type == RTM_NEWROUTE ||
			     nh->nlmsg_type == RTM_DELROUTE) &&
			    nh->nlmsg_len >= NLMSG_LENGTH(sizeof(*rtm))) {
				if (rtm->rtm_dst_len ||
				    rtm->rtm_table != RT_TABLE_MAIN)
					continue;
				r4 |= rtm->rtm_family == AF_INET;
				r6 |= rtm->rtm_family == AF_INET6;
				continue;
			}

			if ((nh->nlmsg_type != RTM_NEWADDR &&
			     nh->nlmsg_type != RTM_DELADDR) ||
			    nh->nlmsg_len < NLMSG_LENGTH(sizeof(*ifa)))
				continue;

			follow_gone_note(c, nh);

			if (ifa->ifa_family == AF_INET &&
			    ifa->ifa_index == follow_ifi4)
				v4 = true;
			else if (ifa->ifa_family == AF_INET6 &&
				 ifa->ifa_index == follow_ifi6)
				v6 = true;
		}
	}

	if (r4 && c->ifi4 && !follow_fixed4)
		follow_route(AF_INET, &follow_ifi4);
	if (r6 && c->ifi6 && !follow_fixed6)
		follow_route(AF_INET6, &follow_ifi6);

	/* A default route changing may change the gateway alone */
	v4 |= r4;
	v6 |= r6;

	if (v4 && c->ifi4)
		follow_addr4(c);
	if (v6 && c->ifi6)
		follow_addr6(c);
}
