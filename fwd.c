// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * passt - user-mode networking for virtual machines and namespaces
 *
 * fwd.c - Port forwarding specifications: parsing and the resulting tables
 *
 * One occurrence of -t, -u, -T or -U carries a specification:
 *
 *   none | all[,~RANGE...] | auto[,ITEM...] | ITEM[,ITEM...]
 *
 *   ITEM  := [ADDR[%IFNAME]/]RANGE[:RANGE] | [%IFNAME/]RANGE[:RANGE] | ~RANGE
 *   RANGE := PORT | PORT-PORT
 *
 * "all" is for passt only, "auto" for pasta only. A mapped range must have
 * the same size as its source. Exclusions (~) apply to every other item of
 * the same protocol and direction; a specification made of exclusions only
 * forwards every other port. Several occurrences add up, except that "none"
 * stands alone.
 */

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <unistd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <netinet/in.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>

#include "fwd.h"
#include "log.h"
#include "passt.h"
#include "pasta.h"
#include "tcp.h"
#include "udp.h"
#include "util.h"

/* #syscalls:pasta pread64 socket bind listen setsockopt close epoll_ctl */

#define EPHEMERAL_FIRST_DEFAULT	32768
#define EPHEMERAL_LAST_DEFAULT	60999
#define FWD_LISTEN_BACKLOG	128

/**
 * fwd_err() - Format a parsing error
 * @errbuf:	Destination
 * @errlen:	Size of @errbuf
 * @fmt:	printf() format
 *
 * Return: -1, to be returned by the caller
 */
__attribute__((format(printf, 3, 4)))
static int fwd_err(char *errbuf, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(errbuf, errlen, fmt, ap);
	va_end(ap);

	return -1;
}

/**
 * parse_port() - Parse a port number, 1 to 65535
 * @s:		Start of the number
 * @end:	Set to the first character after the number
 * @port:	Parsed port
 *
 * Return: 0 on success, -1 if there's no valid port at @s
 */
static int parse_port(const char *s, const char **end, uint16_t *port)
{
	unsigned long v = 0;
	const char *p = s;

	for (; *p >= '0' && *p <= '9'; p++) {
		v = v * 10 + (*p - '0');
		if (v > 65535)
			return -1;
	}

	if (p == s || v == 0)
		return -1;

	*end = p;
	*port = v;
	return 0;
}

/**
 * parse_range() - Parse PORT or PORT-PORT
 * @s:		Start of the range
 * @end:	Set to the first character after the range
 * @first:	First port
 * @last:	Last port
 *
 * Return: 0 on success, -1 on a malformed or inverted range
 */
static int parse_range(const char *s, const char **end, uint16_t *first,
		       uint16_t *last)
{
	if (parse_port(s, &s, first))
		return -1;

	if (*s == '-') {
		if (parse_port(s + 1, &s, last))
			return -1;
		if (*last < *first)
			return -1;
	} else {
		*last = *first;
	}

	*end = s;
	return 0;
}

/**
 * rules_overlap() - Tell if two rules bind a common port on the same address
 * @a:		First rule
 * @b:		Second rule
 *
 * Return: true if they overlap
 */
static bool rules_overlap(const struct fwd_rule *a, const struct fwd_rule *b)
{
	if (a->last < b->first || b->last < a->first)
		return false;
	if (strcmp(a->ifname, b->ifname))
		return false;
	if (a->af != b->af)
		return false;

	return a->af == AF_UNSPEC || inany_equals(&a->addr, &b->addr);
}

/**
 * parse_bind() - Parse the ADDR[%IFNAME] part of an item
 * @s:		Text before the slash, terminated
 * @r:		Rule to fill
 * @errbuf:	Error message destination
 * @errlen:	Size of @errbuf
 *
 * Return: 0 on success, -1 on error
 */
static int parse_bind(char *s, struct fwd_rule *r, char *errbuf,
		      size_t errlen)
{
	char *pct = strchr(s, '%');

	if (pct) {
		*pct = '\0';
		if (!pct[1] || strlen(pct + 1) >= IFNAMSIZ)
			return fwd_err(errbuf, errlen,
				       "invalid interface name '%s'", pct + 1);
		strcpy(r->ifname, pct + 1);
	}

	if (!*s) {
		if (!pct)
			return fwd_err(errbuf, errlen,
				       "empty address before '/'");
		return 0;
	}

	r->af = inany_pton(s, &r->addr);
	if (!r->af)
		return fwd_err(errbuf, errlen, "invalid address '%s'", s);

	return 0;
}

/**
 * parse_item() - Parse one comma-separated item of a specification
 * @fwd:	Forwarding table to add to
 * @item:	Item text, terminated, modified in place
 * @errbuf:	Error message destination
 * @errlen:	Size of @errbuf
 *
 * Return: 1 if an exclusion was added, 0 for a rule, -1 on error
 */
static int parse_item(struct fwd_ports *fwd, char *item, char *errbuf,
		      size_t errlen)
{
	struct fwd_rule r = { .af = AF_UNSPEC };
	uint16_t to_first, to_last;
	const char *p;
	char *slash;
	unsigned i;

	if (*item == '~') {
		uint16_t first, last;

		if (parse_range(item + 1, &p, &first, &last) || *p)
			return fwd_err(errbuf, errlen,
				       "invalid excluded range '%s'", item);
		for (i = first; i <= last; i++)
			bitmap_set(fwd->excl, i);
		return 1;
	}

	slash = strchr(item, '/');
	if (slash) {
		*slash = '\0';
		if (parse_bind(item, &r, errbuf, errlen))
			return -1;
		item = slash + 1;
	}

	if (parse_range(item, &p, &r.first, &r.last))
		return fwd_err(errbuf, errlen, "invalid port range '%s'",
			       item);

	if (*p == ':') {
		const char *q;

		if (parse_range(p + 1, &q, &to_first, &to_last) || *q)
			return fwd_err(errbuf, errlen,
				       "invalid target range '%s'", p + 1);
		if (to_last - to_first != r.last - r.first)
			return fwd_err(errbuf, errlen,
				       "ranges '%s' of different sizes", item);
		r.to = to_first;
	} else if (*p) {
		return fwd_err(errbuf, errlen, "invalid port range '%s'",
			       item);
	} else {
		r.to = r.first;
	}

	for (i = 0; i < fwd->nr_rules; i++) {
		if (rules_overlap(&fwd->rules[i], &r))
			return fwd_err(errbuf, errlen,
				       "port %u given more than once",
				       MAX(r.first, fwd->rules[i].first));
	}

	if (fwd->nr_rules >= FWD_RULES_MAX)
		return fwd_err(errbuf, errlen, "too many port ranges");

	fwd->rules[fwd->nr_rules++] = r;
	return 0;
}

/**
 * fwd_parse() - Parse one occurrence of a port forwarding option
 * @fwd:	Forwarding table for that protocol and direction
 * @spec:	Specification text
 * @pasta:	true in pasta mode ("auto" allowed), false in passt ("all")
 * @errbuf:	Error message destination, set on failure
 * @errlen:	Size of @errbuf
 *
 * Return: 0 on success, -1 on error with @errbuf set
 */
int fwd_parse(struct fwd_ports *fwd, const char *spec, bool pasta,
	      char *errbuf, size_t errlen)
{
	bool excl_only = true, keyword = false;
	char buf[BUFSIZ], *item, *save;

	if (!strcmp(spec, "none")) {
		if (fwd->mode != FWD_UNSET && fwd->mode != FWD_NONE)
			return fwd_err(errbuf, errlen,
				       "'none' with other port specifications");
		fwd->mode = FWD_NONE;
		return 0;
	}

	if (fwd->mode == FWD_NONE)
		return fwd_err(errbuf, errlen,
			       "'%s' after 'none' for the same option", spec);

	if (!*spec)
		return fwd_err(errbuf, errlen, "empty port specification");
	if (str_copy(buf, sizeof(buf), spec))
		return fwd_err(errbuf, errlen, "port specification too long");

	/* strtok_r() would skip empty items silently: refuse them */
	if (strstr(spec, ",,") || spec[0] == ',' ||
	    spec[strlen(spec) - 1] == ',')
		return fwd_err(errbuf, errlen, "empty item in '%s'", spec);

	for (item = strtok_r(buf, ",", &save); item;
	     item = strtok_r(NULL, ",", &save)) {
		int ret;

		if (item == buf && (!strcmp(item, "all") ||
				    !strcmp(item, "auto"))) {
			bool all = !strcmp(item, "all");

			if (all == pasta)
				return fwd_err(errbuf, errlen,
					       "'%s' is not valid in %s mode",
					       item, pasta ? "pasta" : "passt");
			if (fwd->mode == FWD_ALL || fwd->mode == FWD_AUTO)
				return fwd_err(errbuf, errlen,
					       "'%s' given more than once",
					       item);
			fwd->mode = all ? FWD_ALL : FWD_AUTO;
			keyword = true;
			continue;
		}

		ret = parse_item(fwd, item, errbuf, errlen);
		if (ret < 0)
			return -1;
		if (ret == 0) {
			if (fwd->mode == FWD_ALL)
				return fwd_err(errbuf, errlen,
					       "'all' with explicit ports");
			excl_only = false;
		}
	}

	if (keyword)
		return 0;

	if (excl_only) {
		if (fwd->mode == FWD_UNSET || fwd->mode == FWD_SPEC)
			fwd->mode = fwd->nr_rules ? FWD_SPEC : FWD_ALL;
	} else if (fwd->mode == FWD_UNSET) {
		fwd->mode = FWD_SPEC;
	}

	return 0;
}

/**
 * fwd_finalise() - Apply the default mode if no option was given
 * @fwd:	Forwarding table
 * @pasta:	true in pasta mode: the default is "auto" there
 */
void fwd_finalise(struct fwd_ports *fwd, bool pasta)
{
	if (fwd->mode == FWD_UNSET)
		fwd->mode = pasta ? FWD_AUTO : FWD_NONE;
}

/**
 * fwd_rule_target() - Port that a given port of a rule maps to
 * @r:		Rule
 * @port:	Port within [@r->first, @r->last]
 *
 * Return: target port
 */
int fwd_rule_target(const struct fwd_rule *r, unsigned port)
{
	return r->to + (port - r->first);
}

/**
 * fwd_mode_str() - Name of a forwarding mode, for messages
 * @mode:	Mode
 *
 * Return: static string
 */
const char *fwd_mode_str(enum fwd_mode mode)
{
	switch (mode) {
	case FWD_NONE:
		return "none";
	case FWD_SPEC:
		return "ports";
	case FWD_AUTO:
		return "auto";
	case FWD_ALL:
		return "all";
	default:
		return "unset";
	}
}

/**
 * fwd_ephemeral_range() - Read the kernel's ephemeral port range
 * @first:	First ephemeral port
 * @last:	Last ephemeral port
 *
 * Return: 0 if read from procfs, -1 if the defaults were used
 */
int fwd_ephemeral_range(uint16_t *first, uint16_t *last)
{
	unsigned a, b;
	char buf[64];

	*first = EPHEMERAL_FIRST_DEFAULT;
	*last = EPHEMERAL_LAST_DEFAULT;

	if (read_file("/proc/sys/net/ipv4/ip_local_port_range",
		      buf, sizeof(buf)) < 0)
		return -1;
	if (sscanf(buf, "%u %u", &a, &b) != 2 || !a || a > b || b > 65535)
		return -1;

	*first = a;
	*last = b;
	return 0;
}

/**
 * fwd_is_dns4() - Tell if an address is an IPv4 name server we advertise
 * @c:		Execution context
 * @a:		Address
 *
 * Return: true if it is
 */
static bool fwd_is_dns4(const struct ctx *c, struct in_addr a)
{
	unsigned i;

	for (i = 0; c->ip4.dns[i].s_addr; i++) {
		if (c->ip4.dns[i].s_addr == a.s_addr)
			return true;
	}

	return false;
}

/**
 * fwd_is_dns6() - Tell if an address is an IPv6 name server we advertise
 * @c:		Execution context
 * @a:		Address
 *
 * Return: true if it is
 */
static bool fwd_is_dns6(const struct ctx *c, const struct in6_addr *a)
{
	unsigned i;

	for (i = 0; !IN6_IS_ADDR_UNSPECIFIED(&c->ip6.dns[i]); i++) {
		if (IN6_ARE_ADDR_EQUAL(&c->ip6.dns[i], a))
			return true;
	}

	return false;
}

/**
 * fwd_nat_from_tap() - Where traffic the guest sends to an address goes
 * @c:		Execution context
 * @proto:	IP protocol number
 * @dst:	Destination address as the guest sent it
 * @dport:	Destination port, host order (0 for ICMP)
 * @tgt:	Address to use on the host side, set
 *
 * The DNS forwarding address goes to the host's resolver (port 53 only),
 * name servers we advertise stay what they are for DNS even if they are
 * the gateway too, the gateway (or --map-host-loopback address) goes to the
 * host's loopback,
 * the --map-guest-addr address to the host's own address.
 */
void fwd_nat_from_tap(const struct ctx *c, uint8_t proto,
		      const union inany_addr *dst, in_port_t dport,
		      union inany_addr *tgt)
{
	const struct in_addr *v4 = inany_v4(dst);
	bool dns = dport == 53 && (proto == IPPROTO_TCP ||
				   proto == IPPROTO_UDP);

	*tgt = *dst;

	if (v4) {
		const struct ip4_ctx *ip4 = &c->ip4;

		if (dns && ip4->dns_match.s_addr == v4->s_addr &&
		    ip4->dns_host.s_addr)
			inany_from_v4(tgt, ip4->dns_host);
		else if (dns && fwd_is_dns4(c, *v4))
			return;
		else if (ip4->map_host_loopback.s_addr == v4->s_addr &&
			 v4->s_addr)
			inany_from_v4(tgt, (struct in_addr){
				htonl(INADDR_LOOPBACK) });
		else if (ip4->map_guest_addr.s_addr == v4->s_addr &&
			 v4->s_addr)
			inany_from_v4(tgt, ip4->host_addr);
		return;
	}

	if (IN6_IS_ADDR_UNSPECIFIED(&dst->a6))
		return;
	if (dns && IN6_ARE_ADDR_EQUAL(&c->ip6.dns_match, &dst->a6) &&
	    !IN6_IS_ADDR_UNSPECIFIED(&c->ip6.dns_host))
		tgt->a6 = c->ip6.dns_host;
	else if (dns && fwd_is_dns6(c, &dst->a6))
		return;
	else if (IN6_ARE_ADDR_EQUAL(&c->ip6.map_host_loopback, &dst->a6))
		tgt->a6 = in6addr_loopback;
	else if (IN6_ARE_ADDR_EQUAL(&c->ip6.map_guest_addr, &dst->a6))
		tgt->a6 = c->ip6.host_addr;
}

/**
 * fwd_nat_to_tap() - Source address the guest sees for a host-side peer
 * @c:		Execution context
 * @peer:	Address of the peer on the host side
 * @src:	Address to use towards the guest, set
 *
 * Return: 0 on success, -1 if the peer can't be represented to the guest
 */
int fwd_nat_to_tap(const struct ctx *c, const union inany_addr *peer,
		   union inany_addr *src)
{
	const struct in_addr *v4 = inany_v4(peer);

	*src = *peer;

	if (v4) {
		const struct ip4_ctx *ip4 = &c->ip4;

		if (inany_is_loopback(peer) ||
		    v4->s_addr == ip4->addr.s_addr ||
		    v4->s_addr == ip4->host_addr.s_addr) {
			struct in_addr m = ip4->map_host_loopback;

			if (v4->s_addr != htonl(INADDR_LOOPBACK) &&
			    ip4->map_guest_addr.s_addr)
				m = ip4->map_guest_addr;
			if (!m.s_addr)
				return -1;
			inany_from_v4(src, m);
		}
		return 0;
	}

	if (inany_is_loopback(peer) ||
	    IN6_ARE_ADDR_EQUAL(&peer->a6, &c->ip6.addr) ||
	    IN6_ARE_ADDR_EQUAL(&peer->a6, &c->ip6.host_addr)) {
		struct in6_addr m = c->ip6.map_host_loopback;

		if (!inany_is_loopback(peer) &&
		    !IN6_IS_ADDR_UNSPECIFIED(&c->ip6.map_guest_addr))
			m = c->ip6.map_guest_addr;
		if (IN6_IS_ADDR_UNSPECIFIED(&m))
			return -1;
		src->a6 = m;
	}

	return 0;
}

/**
 * fwd_table() - Forwarding table for a protocol and listening side
 * @c:		Execution context
 * @proto:	IPPROTO_TCP or IPPROTO_UDP
 * @pif:	PIF_HOST (-t, -u) or PIF_SPLICE (-T, -U, pasta only)
 *
 * Return: the table
 */
static const struct fwd_ports *fwd_table(const struct ctx *c, uint8_t proto,
					 uint8_t pif)
{
	if (proto == IPPROTO_TCP)
		return pif == PIF_HOST ? &c->tcp_fwd_in : &c->tcp_fwd_out;
	return pif == PIF_HOST ? &c->udp_fwd_in : &c->udp_fwd_out;
}

/**
 * fwd_sock() - Open a listening (TCP) or bound (UDP) socket for a port
 * @c:		Execution context
 * @proto:	IPPROTO_TCP or IPPROTO_UDP
 * @af:		AF_INET, AF_INET6, or AF_UNSPEC for dual stack
 * @addr:	Address to bind, NULL for any
 * @ifname:	Interface to bind to, or NULL
 * @port:	Port, host order
 * @ref:	epoll reference, type and data set
 *
 * Return: socket, -1 on failure
 */
static int fwd_sock(const struct ctx *c, uint8_t proto, int af,
		    const union inany_addr *addr, const char *ifname,
		    in_port_t port, union epoll_ref ref)
{
	int type = proto == IPPROTO_TCP ? SOCK_STREAM : SOCK_DGRAM;
	struct sockaddr_storage sa;
	int s, one = 1, zero = 0;
	socklen_t sl;

	s = socket(af == AF_INET ? AF_INET : AF_INET6,
		   type | SOCK_NONBLOCK | SOCK_CLOEXEC, proto);
	if (s < 0)
		return -1;

	setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (af == AF_INET6)
		setsockopt(s, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
	else if (af == AF_UNSPEC)
		setsockopt(s, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof(zero));
	if (c->freebind) {
		setsockopt(s, IPPROTO_IP, IP_FREEBIND, &one, sizeof(one));
		setsockopt(s, IPPROTO_IPV6, IPV6_FREEBIND, &one, sizeof(one));
	}
	if (ifname && *ifname &&
	    setsockopt(s, SOL_SOCKET, SO_BINDTODEVICE, ifname,
		       strlen(ifname)))
		goto fail;

	if (!addr)
		addr = af == AF_INET ? &inany_any4 : &inany_any6;
	sl = inany_to_sockaddr(&sa, addr, port, 0);
	if (bind(s, (struct sockaddr *)&sa, sl))
		goto fail;
	if (type == SOCK_STREAM && listen(s, FWD_LISTEN_BACKLOG))
		goto fail;

	ref.listen.port = port;
	if (epoll_add(c, s, EPOLLIN, ref))
		goto fail;

	return s;
fail:
	close(s);
	return -1;
}

/**
 * fwd_listen_port() - Listen on one forwarded port, in the current namespace
 * @c:		Execution context
 * @proto:	IPPROTO_TCP or IPPROTO_UDP
 * @rule:	Rule index, or -1 for "all" and "auto"
 * @port:	Port
 * @pif:	PIF_HOST for ports towards the guest, PIF_SPLICE for ports
 *		bound in pasta's namespace, on its loopback
 * @fds:	Sockets opened, -1 where none, two entries
 *
 * One dual-stack socket where both families are in use and nothing narrows
 * it down, else one per family.
 *
 * Return: number of sockets opened
 */
int fwd_listen_port(const struct ctx *c, uint8_t proto, int rule,
		    in_port_t port, uint8_t pif, int fds[2])
{
	const struct fwd_ports *fwd = fwd_table(c, proto, pif);
	const struct fwd_rule *r = rule >= 0 ? &fwd->rules[rule] : NULL;
	const char *ifname = r && *r->ifname ? r->ifname : NULL;
	union epoll_ref ref = { .listen = { .pif = pif } };
	bool v4 = ipv4_enabled(c), v6 = ipv6_enabled(c);
	union inany_addr lo4, lo6 = { .a6 = IN6ADDR_LOOPBACK_INIT };

	ref.type = proto == IPPROTO_TCP ? EPOLL_TYPE_TCP_LISTEN :
					  EPOLL_TYPE_UDP_LISTEN;
	ref.listen.rule = rule >= 0 ? rule : FWD_RULE_NONE;
	fds[0] = fds[1] = -1;
	inany_from_v4(&lo4, (struct in_addr){ htonl(INADDR_LOOPBACK) });

	if (r && r->af != AF_UNSPEC) {
		if ((r->af == AF_INET && !v4) || (r->af == AF_INET6 && !v6))
			return 0;
		ref.listen.v6 = r->af == AF_INET6;
		fds[0] = fwd_sock(c, proto, r->af, &r->addr, ifname, port,
				  ref);
		return fds[0] >= 0;
	}

	if (pif == PIF_SPLICE) {
		if (v4)
			fds[0] = fwd_sock(c, proto, AF_INET, &lo4, ifname,
					  port, ref);
		ref.listen.v6 = 1;
		if (v6)
			fds[1] = fwd_sock(c, proto, AF_INET6, &lo6, ifname,
					  port, ref);
		return (fds[0] >= 0) + (fds[1] >= 0);
	}

	if (v4 && v6) {
		ref.listen.v6 = 1;
		fds[0] = fwd_sock(c, proto, AF_UNSPEC, NULL, ifname, port,
				  ref);
		if (fds[0] >= 0)
			return 1;
	}
	if (v4)
		fds[0] = fwd_sock(c, proto, AF_INET, NULL, ifname, port, ref);
	ref.listen.v6 = 1;
	if (v6)
		fds[1] = fwd_sock(c, proto, AF_INET6, NULL, ifname, port, ref);

	return (fds[0] >= 0) + (fds[1] >= 0);
}

/**
 * struct fwd_listen_arg - Arguments of fwd_listen_init_here()
 * @c:		Execution context
 * @proto:	IPPROTO_TCP or IPPROTO_UDP
 * @pif:	PIF_HOST or PIF_SPLICE
 */
struct fwd_listen_arg {
	const struct ctx *c;
	uint8_t proto;
	uint8_t pif;
};

/**
 * fwd_fd_budget() - Highest descriptor "all" may take for listening sockets
 * @c:		Execution context
 * @proto:	IPPROTO_TCP or IPPROTO_UDP, the table being set up
 *
 * Forwarding "all" ports takes a socket or two each: a quarter of the limit
 * of open files stays for flows, and the rest is shared between the tables
 * still to set up (TCP's first, then UDP's).
 *
 * Return: descriptor number sockets of this table must stay below
 */
static int fwd_fd_budget(const struct ctx *c, uint8_t proto)
{
	int tables = 1, probe, top;
	struct rlimit lim;

	if (getrlimit(RLIMIT_NOFILE, &lim) || lim.rlim_cur > INT_MAX)
		return INT_MAX;

	if (proto == IPPROTO_TCP && c->udp_fwd_in.mode == FWD_ALL)
		tables = 2;

	/* The lowest free descriptor: what's in use up to now */
	probe = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (probe < 0)
		return 0;
	close(probe);

	top = lim.rlim_cur - lim.rlim_cur / 4;
	return top <= probe ? probe : probe + (top - probe) / tables;
}

/**
 * fwd_fds_close() - Close listening sockets opened for a port
 * @c:		Execution context
 * @fds:	Sockets, -1 where none
 */
static void fwd_fds_close(const struct ctx *c, const int fds[2])
{
	int i;

	for (i = 0; i < 2; i++) {
		if (fds[i] < 0)
			continue;
		epoll_del(c, fds[i]);
		close(fds[i]);
	}
}

/**
 * fwd_listen_init_here() - Open the sockets of a table, in this namespace
 * @arg:	struct fwd_listen_arg
 *
 * Return: 0
 */
static int fwd_listen_init_here(void *arg)
{
	const struct fwd_listen_arg *a = arg;
	const struct fwd_ports *fwd = fwd_table(a->c, a->proto, a->pif);
	uint16_t eph_first, eph_last;
	unsigned i, port;
	int fds[2], budget;

	for (i = 0; i < fwd->nr_rules; i++) {
		const struct fwd_rule *r = &fwd->rules[i];

		for (port = r->first; port <= r->last; port++) {
			if (bitmap_isset(fwd->excl, port))
				continue;
			if (!fwd_listen_port(a->c, a->proto, i, port, a->pif,
					     fds))
				warn("Can't listen on %s port %u",
				     a->proto == IPPROTO_TCP ? "TCP" : "UDP",
				     port);
		}
	}

	if (fwd->mode != FWD_ALL)
		return 0;

	budget = fwd_fd_budget(a->c, a->proto);
	fwd_ephemeral_range(&eph_first, &eph_last);
	for (port = 1; port < NUM_PORTS; port++) {
		if (bitmap_isset(fwd->excl, port) ||
		    (port >= eph_first && port <= eph_last))
			continue;
		if (!fwd_listen_port(a->c, a->proto, -1, port, a->pif, fds))
			continue;
		if (MAX(fds[0], fds[1]) < budget)
			continue;

		/* Flows need descriptors too: "all" stops here */
		fwd_fds_close(a->c, fds);
		warn("Not enough descriptors to forward every %s port: ports "
		     "from %u on aren't (raise the limit of open files)",
		     a->proto == IPPROTO_TCP ? "TCP" : "UDP", port);
		break;
	}

	return 0;
}

/**
 * fwd_listen_init() - Listen on every port of a forwarding table
 * @c:		Execution context
 * @proto:	IPPROTO_TCP or IPPROTO_UDP
 * @pif:	PIF_HOST (on the host), or PIF_SPLICE (in pasta's namespace)
 */
void fwd_listen_init(const struct ctx *c, uint8_t proto, uint8_t pif)
{
	struct fwd_listen_arg a = { c, proto, pif };

	if (pif == PIF_SPLICE)
		ns_call(c, fwd_listen_init_here, &a);
	else
		fwd_listen_init_here(&a);
}

/* Forwarding of ports found bound on the other side (pasta, "auto") */

#define FWD_PROC_BUF		(64 * 1024)

/* Sockets opened for ports found by scanning, descriptor plus one, or 0:
 * by protocol (TCP, UDP), listening side (host, namespace), port, family */
static int fwd_auto_fds[2][2][NUM_PORTS][2];

/* /proc/net/{tcp,tcp6,udp,udp6} of the host and of the namespace */
static int fwd_proc_fds[2][2][2] = { { { -1, -1 }, { -1, -1 } },
				     { { -1, -1 }, { -1, -1 } } };

static const char *const fwd_proc_names[2][2] = {
	{ "/proc/net/tcp", "/proc/net/tcp6" },
	{ "/proc/net/udp", "/proc/net/udp6" },
};

/**
 * fwd_proc_open() - Open the socket tables of the current namespace
 * @arg:	Array of four descriptors to fill, by protocol and family
 *
 * Return: 0
 */
static int fwd_proc_open(void *arg)
{
	int (*fds)[2] = arg;
	int p, f;

	for (p = 0; p < 2; p++) {
		for (f = 0; f < 2; f++)
			fds[p][f] = open(fwd_proc_names[p][f],
					 O_RDONLY | O_CLOEXEC);
	}

	return 0;
}

/**
 * fwd_proc_scan() - Find the ports bound in a socket table
 * @fd:		Descriptor of /proc/net/tcp{,6} or /proc/net/udp{,6}
 * @tcp:	TCP table: listening sockets count; UDP: unconnected ones
 * @map:	Bitmap of ports, bits set for what's found
 */
static void fwd_proc_scan(int fd, bool tcp, uint8_t *map)
{
	static char buf[FWD_PROC_BUF + 1];
	size_t have = 0;
	off_t off = 0;

	if (fd < 0)
		return;

	for (;;) {
		ssize_t n = pread(fd, buf + have, FWD_PROC_BUF - have, off);
		char *line = buf, *nl;

		if (n <= 0)
			break;
		off += n;
		have += n;
		buf[have] = '\0';

		while ((nl = strchr(line, '\n'))) {
			unsigned lport, rport, state;

			*nl = '\0';
			if (sscanf(line, "%*u: %*[0-9A-Fa-f]:%x %*[0-9A-Fa-f]:%x "
				   "%x", &lport, &rport, &state) == 3 &&
			    lport < NUM_PORTS &&
			    (tcp ? state == 0x0a : state == 0x07 && !rport))
				bitmap_set(map, lport);
			line = nl + 1;
		}

		have -= line - buf;
		memmove(buf, line, have);
	}
}

/**
 * fwd_rules_map() - Ports a table binds by its rules
 * @fwd:	Forwarding table
 * @map:	Bitmap, bits set for those ports
 */
static void fwd_rules_map(const struct fwd_ports *fwd, uint8_t *map)
{
	unsigned i, port;

	for (i = 0; i < fwd->nr_rules; i++) {
		for (port = fwd->rules[i].first; port <= fwd->rules[i].last;
		     port++)
			bitmap_set(map, port);
	}
}

/**
 * struct fwd_auto_arg - Listening sockets to open or close for a scan
 * @c:		Execution context
 * @proto:	IPPROTO_TCP or IPPROTO_UDP
 * @pif:	Side the sockets are on: PIF_HOST or PIF_SPLICE
 * @want:	Ports to forward
 */
struct fwd_auto_arg {
	struct ctx *c;
	uint8_t proto;
	uint8_t pif;
	const uint8_t *want;
};

/**
 * fwd_auto_update() - Open and close sockets to match a scan, here
 * @arg:	struct fwd_auto_arg
 *
 * Return: 0
 */
static int fwd_auto_update(void *arg)
{
	const struct fwd_auto_arg *a = arg;
	const struct fwd_ports *fwd = fwd_table(a->c, a->proto, a->pif);
	int (*fds)[2] = fwd_auto_fds[a->proto == IPPROTO_UDP]
				    [a->pif == PIF_SPLICE];
	uint8_t rules[BITMAP_BYTES(NUM_PORTS)] = { 0 };
	unsigned port;

	fwd_rules_map(fwd, rules);

	for (port = 1; port < NUM_PORTS; port++) {
		bool want = bitmap_isset(a->want, port) &&
			    !bitmap_isset(fwd->excl, port) &&
			    !bitmap_isset(rules, port);
		bool have = fds[port][0] || fds[port][1];
		int f, s[2];

		if (want == have)
			continue;

		if (want) {
			if (!fwd_listen_port(a->c, a->proto, -1, port, a->pif,
					     s))
				continue;
			fds[port][0] = s[0] + 1;
			fds[port][1] = s[1] + 1;
			debug("Forwarding %s port %u %s (found bound)",
			      a->proto == IPPROTO_TCP ? "TCP" : "UDP", port,
			      a->pif == PIF_HOST ? "to the namespace" :
						   "to the host");
			continue;
		}

		for (f = 0; f < 2; f++) {
			if (!fds[port][f])
				continue;
			if (a->proto == IPPROTO_UDP)
				udp_listen_closing(a->c, fds[port][f] - 1);
			epoll_del(a->c, fds[port][f] - 1);
			close(fds[port][f] - 1);
			fds[port][f] = 0;
		}
		debug("No longer forwarding %s port %u",
		      a->proto == IPPROTO_TCP ? "TCP" : "UDP", port);
	}

	return 0;
}

/**
 * fwd_auto_ours() - Ports we have listening sockets for, on one side
 * @c:		Execution context
 * @proto:	IPPROTO_TCP or IPPROTO_UDP
 * @pif:	Side: PIF_HOST or PIF_SPLICE
 * @map:	Bitmap, bits set for those ports
 */
static void fwd_auto_ours(const struct ctx *c, uint8_t proto, uint8_t pif,
			  uint8_t *map)
{
	int (*fds)[2] = fwd_auto_fds[proto == IPPROTO_UDP][pif == PIF_SPLICE];
	unsigned port;

	fwd_rules_map(fwd_table(c, proto, pif), map);
	for (port = 1; port < NUM_PORTS; port++) {
		if (fds[port][0] || fds[port][1])
			bitmap_set(map, port);
	}
}

/**
 * fwd_scan_one() - Scan one side, forward what's found from the other
 * @c:		Execution context
 * @proto:	IPPROTO_TCP or IPPROTO_UDP
 * @pif:	Side to listen on: PIF_HOST scans the namespace, PIF_SPLICE
 *		scans the host
 */
static void fwd_scan_one(struct ctx *c, uint8_t proto, uint8_t pif)
{
	static uint8_t found[BITMAP_BYTES(NUM_PORTS)];
	static uint8_t ours[BITMAP_BYTES(NUM_PORTS)];
	struct fwd_auto_arg a = { c, proto, pif, found };
	int scanned = pif == PIF_HOST ? 1 : 0, p = proto == IPPROTO_UDP, i;

	if (fwd_table(c, proto, pif)->mode != FWD_AUTO)
		return;

	memset(found, 0, sizeof(found));
	fwd_proc_scan(fwd_proc_fds[scanned][p][0], !p, found);
	fwd_proc_scan(fwd_proc_fds[scanned][p][1], !p, found);

	/* What we listen on there ourselves isn't to be forwarded back */
	memset(ours, 0, sizeof(ours));
	fwd_auto_ours(c, proto, pif == PIF_HOST ? PIF_SPLICE : PIF_HOST, ours);
	for (i = 0; i < (int)sizeof(found); i++)
		found[i] &= ~ours[i];

	if (pif == PIF_SPLICE)
		ns_call(c, fwd_auto_update, &a);
	else
		fwd_auto_update(&a);
}

/**
 * fwd_scan() - Once a second: follow the ports bound on the other side
 * @c:		Execution context
 * @now:	Current time, unused
 */
void fwd_scan(struct ctx *c, const struct timespec *now)
{
	(void)now;

	if (c->mode != MODE_PASTA)
		return;

	if (!c->no_tcp) {
		fwd_scan_one(c, IPPROTO_TCP, PIF_HOST);
		if (!c->no_splice)
			fwd_scan_one(c, IPPROTO_TCP, PIF_SPLICE);
	}
	if (!c->no_udp) {
		fwd_scan_one(c, IPPROTO_UDP, PIF_HOST);
		if (!c->no_splice)
			fwd_scan_one(c, IPPROTO_UDP, PIF_SPLICE);
	}
}

/**
 * fwd_scan_init() - Open the socket tables of both sides, scan once
 * @c:		Execution context
 */
void fwd_scan_init(struct ctx *c)
{
	if (c->mode != MODE_PASTA)
		return;

	if (c->tcp_fwd_in.mode != FWD_AUTO && c->tcp_fwd_out.mode != FWD_AUTO &&
	    c->udp_fwd_in.mode != FWD_AUTO && c->udp_fwd_out.mode != FWD_AUTO)
		return;

	fwd_proc_open(fwd_proc_fds[0]);
	ns_call(c, fwd_proc_open, fwd_proc_fds[1]);

	fwd_scan(c, &c->now);
}
