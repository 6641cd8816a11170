// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * passt - user-mode networking for virtual machines and namespaces
 *
 * follow.c - The host's addresses, as they change while we run
 *
 * The guest's view of the host is set at start: its address (often the
 * host's own), the gateway, the addresses that map to the host. What we
 * translate to on the host's side needn't stay as it was: unless
 * --no-follow-host is given, a routing netlink socket subscribed to address
 * changes (opened before the sandbox) tells us when the template
 * interface's addresses change, and we ask the kernel again, on a second
 * socket, which one is its main address now. Traffic the guest sends to
 * the --map-guest-addr address then goes to the host's new address, and
 * traffic from it is recognised as the host's.
 *
 * Neither socket can change anything: we hold no capability over the
 * host's network namespace by then.
 */

#include <errno.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <sys/epoll.h>
#include <sys/socket.h>

#include "follow.h"
#include "log.h"
#include "netlink.h"
#include "passt.h"
#include "util.h"

/* #syscalls recvfrom sendto */

/* Socket for our requests: the subscribed one only gets notifications */
static int follow_req_sock = -1;

/**
 * follow_init() - Subscribe to address changes of the host, before the sandbox
 * @c:		Execution context
 */
void follow_init(const struct ctx *c)
{
	union epoll_ref ref = { .type = EPOLL_TYPE_FOLLOW };
	bool v4 = ifi_on_host(c->ifi4), v6 = ifi_on_host(c->ifi6);
	int s;

	if (c->no_follow_host || (!v4 && !v6))
		return;

	s = nl_sock_open_groups((v4 ? RTMGRP_IPV4_IFADDR : 0) |
				(v6 ? RTMGRP_IPV6_IFADDR : 0));
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
 * follow_addr4() - Take the template interface's IPv4 address as it is now
 * @c:		Execution context
 */
static void follow_addr4(const struct ctx *c)
{
	struct in_addr a;
	int plen;

	if (nl_addr_get(follow_req_sock, c->ifi4, AF_INET, &a, &plen, NULL) ||
	    a.s_addr == c->run->host_addr4.s_addr)
		return;

	c->run->host_addr4 = a;
	info("The host's IPv4 address is now %s", addr_str(AF_INET, &a));
}

/**
 * follow_addr6() - Take the template interface's IPv6 address as it is now
 * @c:		Execution context
 */
static void follow_addr6(const struct ctx *c)
{
	struct in6_addr a;
	int plen;

	if (nl_addr_get(follow_req_sock, c->ifi6, AF_INET6, &a, &plen, NULL) ||
	    IN6_ARE_ADDR_EQUAL(&a, &c->run->host_addr6))
		return;

	c->run->host_addr6 = a;
	info("The host's IPv6 address is now %s", addr_str(AF_INET6, &a));
}

/**
 * follow_handler() - Address notifications: look again where they matter
 * @c:		Execution context
 * @ref:	epoll reference, with the subscribed socket
 *
 * A notification is only a hint: an address added may be a secondary one,
 * one removed may leave another. What the kernel reports as the main
 * address of the template interface, asked afterwards, is what we take.
 * If the socket overran (ENOBUFS), notifications were lost: look anyway.
 */
void follow_handler(const struct ctx *c, union epoll_ref ref)
{
	static char buf[8192] __attribute__((aligned(NLMSG_ALIGNTO)));
	bool v4 = false, v6 = false;
	ssize_t n;

	while ((n = recv(ref.fd, buf, sizeof(buf), MSG_DONTWAIT)) != 0) {
		const struct nlmsghdr *nh = (const struct nlmsghdr *)buf;
		size_t len = n;

		if (n < 0) {
			if (errno == ENOBUFS)
				v4 = v6 = true;
			if (errno == EINTR || errno == ENOBUFS)
				continue;
			break;
		}

		for (; NLMSG_OK(nh, len); nh = NLMSG_NEXT(nh, len)) {
			const struct ifaddrmsg *ifa = NLMSG_DATA(nh);

			if ((nh->nlmsg_type != RTM_NEWADDR &&
			     nh->nlmsg_type != RTM_DELADDR) ||
			    nh->nlmsg_len < NLMSG_LENGTH(sizeof(*ifa)))
				continue;

			if (ifa->ifa_family == AF_INET &&
			    ifa->ifa_index == c->ifi4)
				v4 = true;
			else if (ifa->ifa_family == AF_INET6 &&
				 ifa->ifa_index == c->ifi6)
				v6 = true;
		}
	}

	if (v4 && ifi_on_host(c->ifi4))
		follow_addr4(c);
	if (v6 && ifi_on_host(c->ifi6))
		follow_addr6(c);
}
