// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * passt - user-mode networking for virtual machines and namespaces
 *
 * netlink.c - Read and change links, addresses and routes over rtnetlink;
 * list bound sockets over socket diagnostics (NETLINK_SOCK_DIAG)
 *
 * Every request is sent on a socket opened in the namespace it's about (the
 * caller picks the socket), with a sequence number of its own; replies are
 * read until the matching NLMSG_DONE or acknowledgement. Attribute walking
 * uses the RTA_* and IFLA_* macros from the kernel headers, which check each
 * attribute's length against what's left of the message.
 */

#include <errno.h>
#include <stddef.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <net/if.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <linux/if_ether.h>
#include <linux/if_link.h>
#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/sock_diag.h>

#include "netlink.h"
#include "log.h"
#include "util.h"

#define NL_BUFSIZE		(64 * 1024)
#define NL_REQ_MAX		512

/* Room for a request: header, family header and a few attributes */
struct nl_req {
	struct nlmsghdr nlh;
	char data[NL_REQ_MAX];
};

static uint32_t nl_seq = 1;
static char nl_buf[NL_BUFSIZE] __attribute__((aligned(NLMSG_ALIGNTO)));

/**
 * nl_sock_bind() - Open and bind a netlink socket
 * @proto:	Netlink protocol: NETLINK_ROUTE or NETLINK_SOCK_DIAG
 * @flags:	Extra socket type flags (SOCK_NONBLOCK)
 * @groups:	Multicast groups to join, RTMGRP_* flags, 0 for none
 *
 * Return: socket descriptor, -1 on failure
 */
static int nl_sock_bind(int proto, int flags, uint32_t groups)
{
	struct sockaddr_nl addr = { .nl_family = AF_NETLINK,
				    .nl_groups = groups };
	int s;

	s = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC | flags, proto);
	if (s < 0)
		return -1;

	if (bind(s, (struct sockaddr *)&addr, sizeof(addr))) {
		close(s);
		return -1;
	}

	return s;
}

/**
 * nl_sock_open() - Open a routing netlink socket in the current namespace
 *
 * Return: socket descriptor, -1 on failure
 */
int nl_sock_open(void)
{
	int s = nl_sock_bind(NETLINK_ROUTE, 0, 0), one = 1;

	/* Strict checking makes the kernel filter dumps by our headers */
	if (s >= 0)
		setsockopt(s, SOL_NETLINK, NETLINK_GET_STRICT_CHK, &one,
			   sizeof(one));

	return s;
}

/**
 * nl_sock_open_groups() - Open a routing netlink socket for notifications
 * @groups:	Multicast groups to join, RTMGRP_* flags
 *
 * Return: non-blocking socket descriptor, -1 on failure
 */
int nl_sock_open_groups(uint32_t groups)
{
	return nl_sock_bind(NETLINK_ROUTE, SOCK_NONBLOCK, groups);
}

/**
 * nl_req_init() - Start a request of a given type and family header size
 * @req:	Request buffer
 * @type:	Message type
 * @flags:	Extra flags, NLM_F_REQUEST is always set
 * @hdr_len:	Length of the family header following the netlink header
 *
 * Return: pointer to the (zeroed) family header
 */
static void *nl_req_init(struct nl_req *req, uint16_t type, uint16_t flags,
			 size_t hdr_len)
{
	memset(req, 0, sizeof(*req));
	req->nlh.nlmsg_type = type;
	req->nlh.nlmsg_flags = NLM_F_REQUEST | flags;
	req->nlh.nlmsg_len = NLMSG_LENGTH(hdr_len);
	req->nlh.nlmsg_seq = nl_seq++;

	return NLMSG_DATA(&req->nlh);
}

/**
 * nl_attr_put() - Append an attribute to a request
 * @req:	Request
 * @type:	Attribute type
 * @data:	Payload
 * @len:	Payload length
 *
 * Return: 0 on success, -1 if the request buffer is full
 */
static int nl_attr_put(struct nl_req *req, unsigned short type,
		       const void *data, size_t len)
{
	size_t off = NLMSG_ALIGN(req->nlh.nlmsg_len);
	struct rtattr *rta;

	if (off + RTA_SPACE(len) > sizeof(*req))
		return -1;

	rta = (struct rtattr *)((char *)req + off);
	rta->rta_type = type;
	rta->rta_len = RTA_LENGTH(len);
	memcpy(RTA_DATA(rta), data, len);
	req->nlh.nlmsg_len = off + RTA_SPACE(len);

	return 0;
}

/**
 * nl_send() - Send a request
 * @s:		Netlink socket
 * @req:	Request
 *
 * Return: 0 on success, -1 on error
 */
static int nl_send(int s, const struct nl_req *req)
{
	ssize_t n = send(s, req, req->nlh.nlmsg_len, 0);

	return n == (ssize_t)req->nlh.nlmsg_len ? 0 : -1;
}

/**
 * typedef nl_cb_t - Called for each message of a dump
 * @nh:		Message
 * @arg:	Caller's data
 *
 * Return: 0 to continue, non-zero to stop processing further messages
 */
typedef int (*nl_cb_t)(const struct nlmsghdr *nh, void *arg);

/**
 * nl_dump() - Send a dump request and pass each reply message to a callback
 * @s:		Netlink socket
 * @req:	Request, with NLM_F_DUMP set
 * @type:	Message type of the replies we want
 * @cb:		Callback
 * @arg:	Data for @cb
 *
 * The whole dump is always read, even after @cb asked to stop, so that the
 * next request on the socket doesn't see stale replies.
 *
 * Return: 0 on success, -errno from the kernel, or -EIO
 */
static int nl_dump(int s, const struct nl_req *req, uint16_t type,
		   nl_cb_t cb, void *arg)
{
	uint32_t seq = req->nlh.nlmsg_seq;
	bool stop = false;

	if (nl_send(s, req))
		return -EIO;

	for (;;) {
		ssize_t n = recv(s, nl_buf, sizeof(nl_buf), 0);
		struct nlmsghdr *nh;
		size_t left;

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		left = n;

		for (nh = (struct nlmsghdr *)nl_buf; NLMSG_OK(nh, left);
		     nh = NLMSG_NEXT(nh, left)) {
			if (nh->nlmsg_seq != seq)
				continue;
			if (nh->nlmsg_type == NLMSG_DONE)
				return 0;
			if (nh->nlmsg_type == NLMSG_ERROR) {
				const struct nlmsgerr *e = NLMSG_DATA(nh);

				if (nh->nlmsg_len < NLMSG_LENGTH(sizeof(*e)))
					return -EIO;
				return e->error;
			}
			if (nh->nlmsg_type != type || stop || !cb)
				continue;
			if (cb(nh, arg))
				stop = true;
		}

		if (!n)
			return -EIO;
	}
}

/**
 * nl_do() - Send a request that changes something and wait for its ack
 * @s:		Netlink socket
 * @req:	Request, NLM_F_ACK is added
 *
 * Return: 0 on success, -errno from the kernel, or -EIO
 */
static int nl_do(int s, struct nl_req *req)
{
	req->nlh.nlmsg_flags |= NLM_F_ACK;

	return nl_dump(s, req, NLMSG_NOOP, NULL, NULL);
}

/**
 * nl_diag_open() - Open a socket diagnostics socket in the current namespace
 *
 * Return: socket descriptor, -1 on failure
 */
int nl_diag_open(void)
{
	return nl_sock_bind(NETLINK_SOCK_DIAG, 0, 0);
}

/**
 * struct diag_bound - What nl_diag_cb() looks for, and where it notes it
 * @state:	Socket state wanted (TCP_LISTEN, or TCP_CLOSE for UDP)
 * @map:	Bitmap of ports, 65536 bits
 */
struct diag_bound {
	uint8_t state;
	uint8_t *map;
};

/**
 * nl_diag_cb() - Note the local port of a socket of a diagnostics dump
 * @nh:		SOCK_DIAG_BY_FAMILY message
 * @arg:	struct diag_bound
 *
 * Return: 0, to go on
 */
static int nl_diag_cb(const struct nlmsghdr *nh, void *arg)
{
	const struct diag_bound *b = arg;
	const struct inet_diag_msg *m = NLMSG_DATA(nh);

	if (nh->nlmsg_len < NLMSG_LENGTH(sizeof(*m)) ||
	    m->idiag_state != b->state || m->id.idiag_dport)
		return 0;

	bitmap_set(b->map, ntohs(m->id.idiag_sport));
	return 0;
}

/**
 * nl_diag_bound() - Find the ports of listening or unconnected sockets
 * @s:		Socket diagnostics socket, of the namespace to look at
 * @proto:	IPPROTO_TCP (listening sockets) or IPPROTO_UDP (unconnected)
 * @map:	Bitmap of ports, 65536 bits: set for those found, IPv4 and IPv6
 *
 * The kernel filters by state: for TCP, it walks its table of listening
 * sockets only, however many connections there are.
 *
 * Return: 0 on success, -errno from the kernel, or -EIO
 */
int nl_diag_bound(int s, uint8_t proto, uint8_t *map)
{
	struct diag_bound b = { proto == IPPROTO_TCP ? TCP_LISTEN : TCP_CLOSE,
				map };
	const sa_family_t afs[] = { AF_INET, AF_INET6 };
	unsigned i;

	for (i = 0; i < ARRAY_SIZE(afs); i++) {
		struct inet_diag_req_v2 *r;
		struct nl_req req;
		int rc;

		r = nl_req_init(&req, SOCK_DIAG_BY_FAMILY, NLM_F_DUMP,
				sizeof(*r));
		r->sdiag_family = afs[i];
		r->sdiag_protocol = proto;
		r->idiag_states = 1U << b.state;

		rc = nl_dump(s, &req, SOCK_DIAG_BY_FAMILY, nl_diag_cb, &b);
		if (rc)
			return rc;
	}

	return 0;
}

/**
 * struct route_info - A route found in a dump
 * @ifi:	Output interface index
 * @metric:	Priority
 * @gw:		Gateway address, if @has_gw
 * @has_gw:	Route has a gateway
 * @found:	Some matching route was found
 */
struct route_info {
	unsigned ifi;
	uint32_t metric;
	unsigned char gw[16];
	bool has_gw;
	bool found;
};

/**
 * struct route_filter - What nl_route_cb() looks for, and what it found
 * @af:		Address family
 * @ifi:	Only routes via this interface, 0 for any
 * @best:	Default route with the lowest metric so far
 * @ifaces:	Interfaces with any non-loopback, non-default route, 0 ends
 * @multi:	More than one interface has a default route
 */
struct route_filter {
	sa_family_t af;
	unsigned ifi;
	struct route_info best;
	unsigned ifaces[8];
	bool multi;
};

/**
 * route_parse() - Extract interface, metric and gateway from a route
 * @nh:		RTM_NEWROUTE message
 * @r:		Route information, filled
 *
 * Return: length of the destination prefix, -1 if the route isn't usable
 */
static int route_parse(const struct nlmsghdr *nh, struct route_info *r)
{
	const struct rtmsg *rtm = NLMSG_DATA(nh);
	const struct rtattr *rta;
	size_t alen, glen;

	if (nh->nlmsg_len < NLMSG_LENGTH(sizeof(*rtm)))
		return -1;
	if (rtm->rtm_table != RT_TABLE_MAIN || rtm->rtm_type != RTN_UNICAST)
		return -1;

	glen = rtm->rtm_family == AF_INET ? 4 : 16;
	memset(r, 0, sizeof(*r));
	alen = RTM_PAYLOAD(nh);
	for (rta = RTM_RTA(rtm); RTA_OK(rta, alen);
	     rta = RTA_NEXT(rta, alen)) {
		const void *d = RTA_DATA(rta);
		size_t dlen = RTA_PAYLOAD(rta);

		if (rta->rta_type == RTA_OIF && dlen >= 4) {
			memcpy(&r->ifi, d, 4);
		} else if (rta->rta_type == RTA_PRIORITY && dlen >= 4) {
			memcpy(&r->metric, d, 4);
		} else if (rta->rta_type == RTA_GATEWAY && dlen >= glen) {
			memcpy(r->gw, d, glen);
			r->has_gw = true;
		} else if (rta->rta_type == RTA_MULTIPATH &&
			   dlen >= sizeof(struct rtnexthop) && !r->ifi) {
			/* Take the first next hop of a multipath route */
			const struct rtnexthop *nhop = d;
			const struct rtattr *na;
			size_t nlen;

			r->ifi = nhop->rtnh_ifindex;
			if (nhop->rtnh_len > dlen ||
			    nhop->rtnh_len < sizeof(*nhop))
				continue;
			nlen = nhop->rtnh_len - sizeof(*nhop);
			for (na = RTNH_DATA(nhop); RTA_OK(na, nlen);
			     na = RTA_NEXT(na, nlen)) {
				if (na->rta_type == RTA_GATEWAY &&
				    RTA_PAYLOAD(na) >= glen) {
					memcpy(r->gw, RTA_DATA(na), glen);
					r->has_gw = true;
				}
			}
		}
	}

	return r->ifi ? rtm->rtm_dst_len : -1;
}

/**
 * nl_route_cb() - Look at one route for nl_get_ext_if() or nl_route_get_def()
 * @nh:		RTM_NEWROUTE message
 * @arg:	struct route_filter
 *
 * Return: 0, to see every route
 */
static int nl_route_cb(const struct nlmsghdr *nh, void *arg)
{
	struct route_filter *f = arg;
	struct route_info r;
	int dst_len = route_parse(nh, &r);
	unsigned i;

	if (dst_len < 0 || (f->ifi && r.ifi != f->ifi))
		return 0;

	if (dst_len) {
		for (i = 0; i < ARRAY_SIZE(f->ifaces) - 1; i++) {
			if (f->ifaces[i] == r.ifi)
				break;
			if (!f->ifaces[i]) {
				f->ifaces[i] = r.ifi;
				break;
			}
		}
		return 0;
	}

	if (f->best.found && f->best.ifi != r.ifi)
		f->multi = true;

	if (!f->best.found || r.metric < f->best.metric) {
		f->best = r;
		f->best.found = true;
	}

	return 0;
}

/**
 * nl_route_dump() - Dump the main routing table of a family through a filter
 * @s:		Netlink socket
 * @f:		Filter, with @af and @ifi set
 *
 * Return: 0 on success, negative error code on failure
 */
static int nl_route_dump(int s, struct route_filter *f)
{
	struct nl_req req;
	struct rtmsg *rtm;

	rtm = nl_req_init(&req, RTM_GETROUTE, NLM_F_DUMP, sizeof(*rtm));
	rtm->rtm_family = f->af;
	rtm->rtm_table = RT_TABLE_MAIN;

	return nl_dump(s, &req, RTM_NEWROUTE, nl_route_cb, f);
}

/**
 * nl_get_ext_if() - Find the template interface for an address family
 * @s:		Netlink socket
 * @af:		AF_INET or AF_INET6
 *
 * The interface of the default route with the lowest metric wins. With no
 * default route, an interface is still picked if it's the only one with
 * routes of that family (other than loopback).
 *
 * Return: interface index, 0 if none could be found
 */
unsigned nl_get_ext_if(int s, sa_family_t af)
{
	struct route_filter f = { .af = af };
	unsigned i, n = 0, ifi = 0;
	char name[IFNAMSIZ];

	if (nl_route_dump(s, &f))
		return 0;

	if (f.best.found) {
		if (f.multi)
			info("Several default routes for %s, using %s",
			     af == AF_INET ? "IPv4" : "IPv6",
			     nl_link_get_name(s, f.best.ifi, name));
		return f.best.ifi;
	}

	for (i = 0; i < ARRAY_SIZE(f.ifaces) && f.ifaces[i]; i++) {
		if (!strcmp(nl_link_get_name(s, f.ifaces[i], name), "?") ||
		    !strcmp(name, "lo"))
			continue;
		if (af == AF_INET6 && n && ifi != f.ifaces[i])
			continue;
		ifi = f.ifaces[i];
		n++;
	}

	return n == 1 ? ifi : 0;
}

/**
 * nl_route_get_def() - Gateway of the default route through an interface
 * @s:		Netlink socket
 * @ifi:	Interface index
 * @af:		AF_INET or AF_INET6
 * @gw:		Gateway address, struct in_addr or struct in6_addr, set
 *
 * Return: 0 if a default route with a gateway was found, -1 otherwise
 */
int nl_route_get_def(int s, unsigned ifi, sa_family_t af, void *gw)
{
	struct route_filter f = { .af = af, .ifi = ifi };

	if (nl_route_dump(s, &f) || !f.best.found || !f.best.has_gw)
		return -1;

	memcpy(gw, f.best.gw, af == AF_INET ? 4 : 16);
	return 0;
}

/**
 * struct addr_filter - What nl_addr_cb() looks for, and what it found
 * @ifi:	Interface index
 * @af:		Address family
 * @addr:	First usable global (or host-scope, as fallback) address
 * @prefix_len:	Its prefix length
 * @found:	@addr is set
 * @addr_ll:	IPv6 link-local address
 * @found_ll:	@addr_ll is set
 */
struct addr_filter {
	unsigned ifi;
	sa_family_t af;
	unsigned char addr[16];
	int prefix_len;
	bool found;
	unsigned char addr_ll[16];
	bool found_ll;
};

/**
 * nl_ifa_local() - Our address, and flags, in an address message
 * @nh:		RTM_NEWADDR or RTM_DELADDR message, length checked for its
 *		struct ifaddrmsg
 * @flags:	Flags, set: IFA_FLAGS if present, ifa_flags otherwise
 *
 * Return: the address, 4 or 16 bytes by ifa_family, NULL if there's none
 */
const void *nl_ifa_local(const struct nlmsghdr *nh, uint32_t *flags)
{
	const struct ifaddrmsg *ifa = NLMSG_DATA(nh);
	size_t len = ifa->ifa_family == AF_INET ? 4 : 16, alen;
	const unsigned char *a = NULL;
	const struct rtattr *rta;

	*flags = ifa->ifa_flags;
	alen = IFA_PAYLOAD(nh);
	for (rta = IFA_RTA(ifa); RTA_OK(rta, alen);
	     rta = RTA_NEXT(rta, alen)) {
		if (RTA_PAYLOAD(rta) < len &&
		    (rta->rta_type == IFA_LOCAL ||
		     rta->rta_type == IFA_ADDRESS))
			continue;
		/* IFA_LOCAL is our side of a point-to-point link */
		if (rta->rta_type == IFA_LOCAL ||
		    (rta->rta_type == IFA_ADDRESS && !a))
			a = RTA_DATA(rta);
		else if (rta->rta_type == IFA_FLAGS && RTA_PAYLOAD(rta) >= 4)
			memcpy(flags, RTA_DATA(rta), 4);
	}

	return a;
}

/**
 * nl_addr_cb() - Look at one address for nl_addr_get()
 * @nh:		RTM_NEWADDR message
 * @arg:	struct addr_filter
 *
 * Return: 0, to see every address
 */
static int nl_addr_cb(const struct nlmsghdr *nh, void *arg)
{
	const struct ifaddrmsg *ifa = NLMSG_DATA(nh);
	struct addr_filter *f = arg;
	const unsigned char *a;
	uint32_t flags;
	size_t len;

	if (nh->nlmsg_len < NLMSG_LENGTH(sizeof(*ifa)))
		return 0;
	if (ifa->ifa_index != f->ifi || ifa->ifa_family != f->af)
		return 0;

	len = f->af == AF_INET ? 4 : 16;
	a = nl_ifa_local(nh, &flags);
	if (!a)
		return 0;

	if (f->af == AF_INET6 && ifa->ifa_scope == RT_SCOPE_LINK) {
		if (!f->found_ll) {
			memcpy(f->addr_ll, a, len);
			f->found_ll = true;
		}
		return 0;
	}

	if (flags & (IFA_F_SECONDARY | IFA_F_TEMPORARY | IFA_F_DEPRECATED))
		return 0;

	if (!f->found) {
		memcpy(f->addr, a, len);
		f->prefix_len = ifa->ifa_prefixlen;
		f->found = true;
	}

	return 0;
}

/**
 * nl_addr_get() - Get the main address of an interface
 * @s:		Netlink socket
 * @ifi:	Interface index
 * @af:		AF_INET or AF_INET6
 * @addr:	Address, set if found (struct in_addr or struct in6_addr)
 * @prefix_len:	Prefix length, set if found
 * @addr_ll:	IPv6 only: link-local address, set if found; may be NULL
 *
 * Return: 0 if an address was found, -1 otherwise
 */
int nl_addr_get(int s, unsigned ifi, sa_family_t af, void *addr,
		int *prefix_len, void *addr_ll)
{
	struct addr_filter f = { .ifi = ifi, .af = af };
	struct ifaddrmsg *ifa;
	struct nl_req req;

	ifa = nl_req_init(&req, RTM_GETADDR, NLM_F_DUMP, sizeof(*ifa));
	ifa->ifa_family = af;
	ifa->ifa_index = ifi;

	if (nl_dump(s, &req, RTM_NEWADDR, nl_addr_cb, &f))
		return -1;

	if (addr_ll && f.found_ll)
		memcpy(addr_ll, f.addr_ll, 16);
	if (!f.found)
		return -1;

	memcpy(addr, f.addr, af == AF_INET ? 4 : 16);
	*prefix_len = f.prefix_len;
	return 0;
}

/**
 * struct present_filter - What nl_present_cb() looks for, and found
 * @af:		AF_INET or AF_INET6
 * @addr:	Address, 4 or 16 bytes
 * @found:	Some interface has it
 */
struct present_filter {
	sa_family_t af;
	const void *addr;
	bool found;
};

/**
 * nl_present_cb() - Look at one address for nl_addr_present()
 * @nh:		RTM_NEWADDR message
 * @arg:	struct present_filter
 *
 * Return: 0, to see every address
 */
static int nl_present_cb(const struct nlmsghdr *nh, void *arg)
{
	const struct ifaddrmsg *ifa = NLMSG_DATA(nh);
	struct present_filter *f = arg;
	const void *a;
	uint32_t flags;

	if (nh->nlmsg_len < NLMSG_LENGTH(sizeof(*ifa)) ||
	    ifa->ifa_family != f->af)
		return 0;

	a = nl_ifa_local(nh, &flags);
	if (a && !memcmp(a, f->addr, f->af == AF_INET ? 4 : 16))
		f->found = true;

	return 0;
}

/**
 * nl_addr_present() - Tell if any interface has an address
 * @s:		Netlink socket
 * @af:		AF_INET or AF_INET6
 * @addr:	Address, struct in_addr or struct in6_addr
 *
 * Return: 1 if it's there, 0 if not, -1 if we couldn't tell
 */
int nl_addr_present(int s, sa_family_t af, const void *addr)
{
	struct present_filter f = { .af = af, .addr = addr };
	struct ifaddrmsg *ifa;
	struct nl_req req;

	ifa = nl_req_init(&req, RTM_GETADDR, NLM_F_DUMP, sizeof(*ifa));
	ifa->ifa_family = af;

	if (nl_dump(s, &req, RTM_NEWADDR, nl_present_cb, &f))
		return -1;

	return f.found;
}

/**
 * struct link_info - What nl_link_cb() found
 * @ifi:	Interface index looked for
 * @mac:	Hardware address
 * @has_mac:	@mac is set
 * @mtu:	MTU, 0 if not found
 * @name:	Name, empty if not found
 */
struct link_info {
	unsigned ifi;
	unsigned char mac[ETH_ALEN];
	bool has_mac;
	int mtu;
	char name[IFNAMSIZ];
};

/**
 * nl_link_cb() - Read hardware address, MTU and name from a link message
 * @nh:		RTM_NEWLINK message
 * @arg:	struct link_info
 *
 * Return: 0
 */
static int nl_link_cb(const struct nlmsghdr *nh, void *arg)
{
	const struct ifinfomsg *ifm = NLMSG_DATA(nh);
	struct link_info *l = arg;
	const struct rtattr *rta;
	size_t alen;

	if (nh->nlmsg_len < NLMSG_LENGTH(sizeof(*ifm)) ||
	    (unsigned)ifm->ifi_index != l->ifi)
		return 0;

	alen = IFLA_PAYLOAD(nh);
	for (rta = IFLA_RTA(ifm); RTA_OK(rta, alen);
	     rta = RTA_NEXT(rta, alen)) {
		if (rta->rta_type == IFLA_ADDRESS &&
		    RTA_PAYLOAD(rta) == ETH_ALEN) {
			memcpy(l->mac, RTA_DATA(rta), ETH_ALEN);
			l->has_mac = true;
		} else if (rta->rta_type == IFLA_MTU &&
			   RTA_PAYLOAD(rta) >= 4) {
			uint32_t mtu;

			memcpy(&mtu, RTA_DATA(rta), 4);
			l->mtu = mtu;
		} else if (rta->rta_type == IFLA_IFNAME) {
			size_t n = MIN(RTA_PAYLOAD(rta), IFNAMSIZ - 1);

			memcpy(l->name, RTA_DATA(rta), n);
			l->name[n] = '\0';
		}
	}

	return 0;
}

/**
 * nl_link_get() - Fetch the attributes of one link
 * @s:		Netlink socket
 * @ifi:	Interface index
 * @l:		Link information, filled
 *
 * Return: 0 on success, -1 on failure
 */
static int nl_link_get(int s, unsigned ifi, struct link_info *l)
{
	struct ifinfomsg *ifm;
	struct nl_req req;

	memset(l, 0, sizeof(*l));
	l->ifi = ifi;

	ifm = nl_req_init(&req, RTM_GETLINK, NLM_F_ACK, sizeof(*ifm));
	ifm->ifi_family = AF_UNSPEC;
	ifm->ifi_index = ifi;

	return nl_dump(s, &req, RTM_NEWLINK, nl_link_cb, l) ? -1 : 0;
}

/**
 * nl_link_get_mac() - Get the hardware address of an interface
 * @s:		Netlink socket
 * @ifi:	Interface index
 * @mac:	Address, ETH_ALEN bytes, set on success
 *
 * Return: 0 on success, -1 if the link has no Ethernet address
 */
int nl_link_get_mac(int s, unsigned ifi, void *mac)
{
	struct link_info l;

	if (nl_link_get(s, ifi, &l) || !l.has_mac)
		return -1;

	memcpy(mac, l.mac, ETH_ALEN);
	return 0;
}

/**
 * nl_link_get_name() - Get the name of an interface, without ioctl()s (as
 *			if_indextoname() makes): this works in the sandbox
 * @s:		Netlink socket
 * @ifi:	Interface index
 * @name:	Name, IFNAMSIZ bytes, set: "?" if unknown
 *
 * Return: @name
 */
const char *nl_link_get_name(int s, unsigned ifi, char *name)
{
	struct link_info l;

	if (nl_link_get(s, ifi, &l) || !*l.name)
		str_copy(name, IFNAMSIZ, "?");
	else
		str_copy(name, IFNAMSIZ, l.name);

	return name;
}

/**
 * nl_link_get_mtu() - Get the MTU of an interface
 * @s:		Netlink socket
 * @ifi:	Interface index
 *
 * Return: MTU, -1 on failure
 */
int nl_link_get_mtu(int s, unsigned ifi)
{
	struct link_info l;

	if (nl_link_get(s, ifi, &l) || !l.mtu)
		return -1;

	return l.mtu;
}

/**
 * nl_link_set() - Change flags or one attribute of a link
 * @s:		Netlink socket
 * @ifi:	Interface index
 * @up:		Set IFF_UP
 * @type:	Attribute type to set, or IFLA_UNSPEC
 * @data:	Attribute payload
 * @len:	Payload length
 *
 * Return: 0 on success, negative error code on failure
 */
static int nl_link_set(int s, unsigned ifi, bool up, unsigned short type,
		       const void *data, size_t len)
{
	struct ifinfomsg *ifm;
	struct nl_req req;

	ifm = nl_req_init(&req, RTM_NEWLINK, 0, sizeof(*ifm));
	ifm->ifi_family = AF_UNSPEC;
	ifm->ifi_index = ifi;
	if (up) {
		ifm->ifi_flags = IFF_UP;
		ifm->ifi_change = IFF_UP;
	}
	if (type != IFLA_UNSPEC && nl_attr_put(&req, type, data, len))
		return -ENOBUFS;

	return nl_do(s, &req);
}

/**
 * nl_link_set_mac() - Set the hardware address of an interface
 * @s:		Netlink socket
 * @ifi:	Interface index
 * @mac:	Address, ETH_ALEN bytes
 *
 * Return: 0 on success, negative error code on failure
 */
int nl_link_set_mac(int s, unsigned ifi, const void *mac)
{
	return nl_link_set(s, ifi, false, IFLA_ADDRESS, mac, ETH_ALEN);
}

/**
 * nl_link_set_mtu() - Set the MTU of an interface
 * @s:		Netlink socket
 * @ifi:	Interface index
 * @mtu:	MTU
 *
 * Return: 0 on success, negative error code on failure
 */
int nl_link_set_mtu(int s, unsigned ifi, int mtu)
{
	uint32_t m = mtu;

	return nl_link_set(s, ifi, false, IFLA_MTU, &m, sizeof(m));
}

/**
 * nl_link_up() - Bring an interface up
 * @s:		Netlink socket
 * @ifi:	Interface index
 *
 * Return: 0 on success, negative error code on failure
 */
int nl_link_up(int s, unsigned ifi)
{
	return nl_link_set(s, ifi, true, IFLA_UNSPEC, NULL, 0);
}

/**
 * nl_addr_req() - Add an address to an interface, or change its lifetimes
 * @s:		Netlink socket
 * @flags:	NLM_F_CREATE | NLM_F_EXCL to add one, NLM_F_CREATE |
 *		NLM_F_REPLACE to add or update one, NLM_F_REPLACE to update
 * @ifi:	Interface index
 * @af:		AF_INET or AF_INET6
 * @addr:	Address
 * @prefix_len:	Prefix length
 * @valid_s:	Valid lifetime in seconds, deprecated at once, or 0 for an
 *		address that stays and is preferred
 *
 * IPv6 addresses are added without duplicate address detection: the link is
 * ours alone.
 *
 * Return: 0 on success, negative error code on failure
 */
static int nl_addr_req(int s, uint16_t flags, unsigned ifi, sa_family_t af,
		       const void *addr, int prefix_len, uint32_t valid_s)
{
	struct ifa_cacheinfo ci = { .ifa_prefered = 0, .ifa_valid = valid_s };
	size_t len = af == AF_INET ? 4 : 16;
	uint32_t ifa_flags = IFA_F_NODAD;
	struct ifaddrmsg *ifa;
	struct nl_req req;

	ifa = nl_req_init(&req, RTM_NEWADDR, flags, sizeof(*ifa));
	ifa->ifa_family = af;
	ifa->ifa_prefixlen = prefix_len;
	ifa->ifa_index = ifi;
	ifa->ifa_scope = RT_SCOPE_UNIVERSE;

	if (nl_attr_put(&req, IFA_LOCAL, addr, len) ||
	    nl_attr_put(&req, IFA_ADDRESS, addr, len) ||
	    (valid_s && nl_attr_put(&req, IFA_CACHEINFO, &ci, sizeof(ci))))
		return -ENOBUFS;
	if (af == AF_INET6) {
		ifa->ifa_flags = IFA_F_NODAD;
		if (nl_attr_put(&req, IFA_FLAGS, &ifa_flags,
				sizeof(ifa_flags)))
			return -ENOBUFS;
	}

	return nl_do(s, &req);
}

/**
 * nl_addr_set() - Add an address to an interface
 * @s:		Netlink socket
 * @ifi:	Interface index
 * @af:		AF_INET or AF_INET6
 * @addr:	Address
 * @prefix_len:	Prefix length
 *
 * Return: 0 on success, negative error code on failure
 */
int nl_addr_set(int s, unsigned ifi, sa_family_t af, const void *addr,
		int prefix_len)
{
	return nl_addr_req(s, NLM_F_CREATE | NLM_F_EXCL, ifi, af, addr,
			   prefix_len, 0);
}

/**
 * nl_addr_keep() - Add an address, or make one there stay for good
 * @s:		Netlink socket
 * @ifi:	Interface index
 * @af:		AF_INET or AF_INET6
 * @addr:	Address
 * @prefix_len:	Prefix length
 *
 * Return: 0 on success, negative error code on failure
 */
int nl_addr_keep(int s, unsigned ifi, sa_family_t af, const void *addr,
		 int prefix_len)
{
	return nl_addr_req(s, NLM_F_CREATE | NLM_F_REPLACE, ifi, af, addr,
			   prefix_len, 0);
}

/**
 * nl_addr_expire() - Deprecate an address, and have the kernel remove it
 * @s:		Netlink socket
 * @ifi:	Interface index
 * @af:		AF_INET or AF_INET6
 * @addr:	Address
 * @prefix_len:	Prefix length
 * @valid_s:	Seconds until it's removed
 *
 * Return: 0 on success, negative error code on failure (-ENOENT or
 *	   -EADDRNOTAVAIL if there's no such address)
 */
int nl_addr_expire(int s, unsigned ifi, sa_family_t af, const void *addr,
		   int prefix_len, uint32_t valid_s)
{
	return nl_addr_req(s, NLM_F_REPLACE, ifi, af, addr, prefix_len,
			   valid_s);
}

/**
 * nl_route_req() - Add or remove a default route via a gateway
 * @s:		Netlink socket
 * @type:	RTM_NEWROUTE or RTM_DELROUTE
 * @flags:	NLM_F_* flags for RTM_NEWROUTE
 * @ifi:	Interface index
 * @af:		AF_INET or AF_INET6
 * @gw:		Gateway address
 * @src:	Preferred source address, or NULL
 *
 * Return: 0 on success, negative error code on failure
 */
static int nl_route_req(int s, uint16_t type, uint16_t flags, unsigned ifi,
			sa_family_t af, const void *gw, const void *src)
{
	size_t len = af == AF_INET ? 4 : 16;
	struct nl_req req;
	struct rtmsg *rtm;
	uint32_t oif = ifi;

	rtm = nl_req_init(&req, type, flags, sizeof(*rtm));
	rtm->rtm_family = af;
	rtm->rtm_table = RT_TABLE_MAIN;
	rtm->rtm_scope = type == RTM_NEWROUTE ? RT_SCOPE_UNIVERSE :
						RT_SCOPE_NOWHERE;
	rtm->rtm_protocol = type == RTM_NEWROUTE ? RTPROT_BOOT : 0;
	rtm->rtm_type = RTN_UNICAST;

	if (nl_attr_put(&req, RTA_OIF, &oif, sizeof(oif)) ||
	    nl_attr_put(&req, RTA_GATEWAY, gw, len) ||
	    (src && nl_attr_put(&req, RTA_PREFSRC, src, len)))
		return -ENOBUFS;

	return nl_do(s, &req);
}

/**
 * nl_route_set_def() - Add a default route via a gateway
 * @s:		Netlink socket
 * @ifi:	Interface index
 * @af:		AF_INET or AF_INET6
 * @gw:		Gateway address
 *
 * Return: 0 on success, negative error code on failure
 */
int nl_route_set_def(int s, unsigned ifi, sa_family_t af, const void *gw)
{
	return nl_route_req(s, RTM_NEWROUTE, NLM_F_CREATE | NLM_F_EXCL, ifi,
			    af, gw, NULL);
}

/**
 * nl_route_replace_def() - Set the default route of the lowest metric: via a
 *			    gateway, from a source address
 * @s:		Netlink socket
 * @ifi:	Interface index
 * @af:		AF_INET or AF_INET6
 * @gw:		Gateway address
 * @src:	Preferred source address
 *
 * Return: 0 on success, negative error code on failure
 */
int nl_route_replace_def(int s, unsigned ifi, sa_family_t af, const void *gw,
			 const void *src)
{
	return nl_route_req(s, RTM_NEWROUTE, NLM_F_CREATE | NLM_F_REPLACE, ifi,
			    af, gw, src);
}

/**
 * nl_route_del_def() - Remove the default route via a gateway, any metric
 * @s:		Netlink socket
 * @ifi:	Interface index
 * @af:		AF_INET or AF_INET6
 * @gw:		Gateway address
 *
 * Return: 0 on success, negative error code on failure
 */
int nl_route_del_def(int s, unsigned ifi, sa_family_t af, const void *gw)
{
	return nl_route_req(s, RTM_DELROUTE, 0, ifi, af, gw, NULL);
}

/**
 * struct dup_ctx - State for copying routes or addresses between links
 * @s_dst:	Netlink socket of the destination namespace
 * @ifi_src:	Source interface index
 * @ifi_dst:	Destination interface index
 * @msgs:	Copies of the messages to replay, back to back
 * @len:	Bytes used in @msgs
 * @full:	Some messages didn't fit
 */
struct dup_ctx {
	int s_dst;
	unsigned ifi_src;
	unsigned ifi_dst;
	char msgs[NL_BUFSIZE];
	size_t len;
	bool full;
};

static struct dup_ctx dup_state;

/**
 * dup_save() - Keep a copy of a message for later replay
 * @d:		Copy state
 * @nh:		Message
 */
static void dup_save(struct dup_ctx *d, const struct nlmsghdr *nh)
{
	size_t len = NLMSG_ALIGN(nh->nlmsg_len);

	if (d->len + len > sizeof(d->msgs)) {
		d->full = true;
		return;
	}

	memcpy(d->msgs + d->len, nh, nh->nlmsg_len);
	d->len += len;
}

/**
 * dup_route_cb() - Keep routes via the source interface, for nl_route_dup()
 * @nh:		RTM_NEWROUTE message
 * @arg:	struct dup_ctx
 *
 * Return: 0
 */
static int dup_route_cb(const struct nlmsghdr *nh, void *arg)
{
	const struct rtmsg *rtm = NLMSG_DATA(nh);
	struct dup_ctx *d = arg;
	struct route_info r;

	if (route_parse(nh, &r) < 0 || r.ifi != d->ifi_src)
		return 0;
	/* Link-local and kernel-made routes come with the addresses */
	if (rtm->rtm_protocol == RTPROT_KERNEL)
		return 0;

	dup_save(d, nh);
	return 0;
}

/**
 * dup_rewrite() - Build a request for the destination from a saved message
 * @d:		Copy state
 * @nh:		Saved RTM_NEWROUTE or RTM_NEWADDR message
 * @req:	Request to fill
 *
 * Only attributes that describe the route or address are kept; interface
 * indices are replaced by the destination's, multipath routes become single
 * routes through their first next hop, addresses become permanent and skip
 * duplicate address detection.
 *
 * Return: 0 on success, -1 if the message can't be copied
 */
static int dup_rewrite(const struct dup_ctx *d, const struct nlmsghdr *nh,
		       struct nl_req *req)
{
	bool route = nh->nlmsg_type == RTM_NEWROUTE;
	size_t hlen = route ? sizeof(struct rtmsg) : sizeof(struct ifaddrmsg);
	const struct rtattr *rta;
	uint32_t oif = d->ifi_dst;
	struct route_info r;
	size_t alen;
	void *h;

	h = nl_req_init(req, nh->nlmsg_type, NLM_F_CREATE | NLM_F_EXCL, hlen);
	memcpy(h, NLMSG_DATA(nh), hlen);

	if (route) {
		struct rtmsg *rtm = h;

		rtm->rtm_flags = 0;
		rta = RTM_RTA((const struct rtmsg *)NLMSG_DATA(nh));
		alen = RTM_PAYLOAD(nh);
		if (route_parse(nh, &r) < 0)
			return -1;
		if (nl_attr_put(req, RTA_OIF, &oif, sizeof(oif)))
			return -1;
		if (r.has_gw && nl_attr_put(req, RTA_GATEWAY, r.gw,
					    rtm->rtm_family == AF_INET ? 4 : 16))
			return -1;
	} else {
		struct ifaddrmsg *ifa = h;

		ifa->ifa_index = d->ifi_dst;
		ifa->ifa_flags = IFA_F_NODAD;
		rta = IFA_RTA((const struct ifaddrmsg *)NLMSG_DATA(nh));
		alen = IFA_PAYLOAD(nh);
	}

	for (; RTA_OK(rta, alen); rta = RTA_NEXT(rta, alen)) {
		unsigned short t = rta->rta_type;
		bool keep;

		if (route)
			keep = t == RTA_DST || t == RTA_PRIORITY ||
			       t == RTA_PREFSRC || t == RTA_METRICS ||
			       t == RTA_PREF;
		else
			keep = t == IFA_ADDRESS || t == IFA_LOCAL ||
			       t == IFA_BROADCAST;

		if (keep && nl_attr_put(req, t, RTA_DATA(rta),
					RTA_PAYLOAD(rta)))
			return -1;
	}

	if (!route) {
		uint32_t flags = IFA_F_NODAD;

		if (nl_attr_put(req, IFA_FLAGS, &flags, sizeof(flags)))
			return -1;
	}

	return 0;
}

/**
 * dup_replay() - Apply the saved messages in the destination namespace
 * @d:		Copy state
 *
 * Routes with a gateway can only be added once the route to the gateway
 * exists: replay in passes until a pass adds nothing new.
 *
 * Return: 0 if every message was applied, negative error code otherwise
 */
static int dup_replay(struct dup_ctx *d)
{
	static bool done[NL_BUFSIZE / NLMSG_LENGTH(sizeof(struct rtmsg))];
	bool progress = true;
	int ret = 0;

	memset(done, 0, sizeof(done));

	while (progress) {
		size_t off = 0, i = 0;

		progress = false;
		ret = 0;
		for (; off < d->len && i < ARRAY_SIZE(done); i++) {
			const struct nlmsghdr *nh;
			struct nl_req req;
			int rc;

			nh = (const struct nlmsghdr *)(d->msgs + off);
			off += NLMSG_ALIGN(nh->nlmsg_len);
			if (done[i])
				continue;

			if (dup_rewrite(d, nh, &req)) {
				done[i] = true;
				continue;
			}

			rc = nl_do(d->s_dst, &req);
			if (!rc || rc == -EEXIST) {
				done[i] = true;
				progress = true;
			} else {
				ret = rc;
			}
		}
	}

	return ret;
}

/**
 * nl_route_dup() - Copy the routes via one interface to another namespace
 * @s_src:	Netlink socket of the source namespace
 * @ifi_src:	Source interface index
 * @s_dst:	Netlink socket of the destination namespace
 * @ifi_dst:	Destination interface index
 * @af:		AF_INET or AF_INET6
 *
 * Return: 0 on success, negative error code if some route couldn't be added
 */
int nl_route_dup(int s_src, unsigned ifi_src, int s_dst, unsigned ifi_dst,
		 sa_family_t af)
{
	struct dup_ctx *d = &dup_state;
	struct nl_req req;
	struct rtmsg *rtm;
	int rc;

	d->s_dst = s_dst;
	d->ifi_src = ifi_src;
	d->ifi_dst = ifi_dst;
	d->len = 0;
	d->full = false;

	rtm = nl_req_init(&req, RTM_GETROUTE, NLM_F_DUMP, sizeof(*rtm));
	rtm->rtm_family = af;
	rtm->rtm_table = RT_TABLE_MAIN;

	rc = nl_dump(s_src, &req, RTM_NEWROUTE, dup_route_cb, d);
	if (rc)
		return rc;
	if (d->full)
		warn("Too many routes to copy, some were left out");

	return dup_replay(d);
}

/**
 * dup_addr_cb() - Keep addresses of the source interface, for nl_addr_dup()
 * @nh:		RTM_NEWADDR message
 * @arg:	struct dup_ctx
 *
 * Return: 0
 */
static int dup_addr_cb(const struct nlmsghdr *nh, void *arg)
{
	const struct ifaddrmsg *ifa = NLMSG_DATA(nh);
	struct dup_ctx *d = arg;

	if (nh->nlmsg_len < NLMSG_LENGTH(sizeof(*ifa)) ||
	    ifa->ifa_index != d->ifi_src)
		return 0;
	/* The namespace makes its own link-local addresses */
	if (ifa->ifa_family == AF_INET6 && ifa->ifa_scope == RT_SCOPE_LINK)
		return 0;

	dup_save(d, nh);
	return 0;
}

/**
 * nl_addr_dup() - Copy the addresses of one interface to another namespace
 * @s_src:	Netlink socket of the source namespace
 * @ifi_src:	Source interface index
 * @s_dst:	Netlink socket of the destination namespace
 * @ifi_dst:	Destination interface index
 * @af:		AF_INET or AF_INET6
 *
 * Return: 0 on success, negative error code if some address couldn't be added
 */
int nl_addr_dup(int s_src, unsigned ifi_src, int s_dst, unsigned ifi_dst,
		sa_family_t af)
{
	struct dup_ctx *d = &dup_state;
	struct ifaddrmsg *ifa;
	struct nl_req req;
	int rc;

	d->s_dst = s_dst;
	d->ifi_src = ifi_src;
	d->ifi_dst = ifi_dst;
	d->len = 0;
	d->full = false;

	ifa = nl_req_init(&req, RTM_GETADDR, NLM_F_DUMP, sizeof(*ifa));
	ifa->ifa_family = af;
	ifa->ifa_index = ifi_src;

	rc = nl_dump(s_src, &req, RTM_NEWADDR, dup_addr_cb, d);
	if (rc)
		return rc;

	return dup_replay(d);
}
