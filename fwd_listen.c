// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * passt - user-mode networking for virtual machines and namespaces
 *
 * fwd_listen.c - Listening sockets of the forwarding tables
 *
 * Every listening (TCP) or bound (UDP) socket opened for port forwarding is
 * recorded here, by table and port, with the rule it serves: FWD_RULE_NONE
 * for the sockets of "all" and of "auto" (ports found by scanning, pasta).
 *
 * A table changes through fwd_sync(): what the new table needs is worked
 * out against what's open, in two steps. The first one claims the sockets
 * that can stay (same table, same port, bound the same way: a rule that
 * changes its target port, or moves to another index, keeps its sockets)
 * and opens the missing ones; if a port can't be bound, everything opened
 * is closed again and the table stays as it was. The second one points the
 * claimed sockets at their new rule (the rule index travels in the epoll
 * reference), closes what nobody claimed, and the new table takes effect.
 * Connections accepted from a socket that's closed keep running; UDP flows
 * replying through it end with it.
 */

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <netinet/in.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>

#include "fwd.h"
#include "ip.h"
#include "log.h"
#include "netlink.h"
#include "passt.h"
#include "pasta.h"
#include "udp.h"
#include "util.h"

/* #syscalls:pasta pread64 */
/* #syscalls socket bind listen setsockopt close epoll_ctl prlimit64|getrlimit */

#define FWD_LISTEN_BACKLOG	128
#define FWD_SOCKS_MAX		(1U << 18)

/* States of a recorded socket during fwd_sync() */
#define FWD_SOCK_OPEN		0	/* Open, in use by the current table */
#define FWD_SOCK_KEEP		1	/* Claimed by the new table */
#define FWD_SOCK_NEW		2	/* Opened for the new table */

/**
 * struct fwd_sock - A listening or bound socket of a forwarding table
 * @fd:		Descriptor
 * @next:	Next socket of the same table and port, index plus one, or 0;
 *		next free entry, likewise, if this one is free
 * @port:	Port bound, host order
 * @table:	Table, enum fwd_table_id
 * @rule:	Rule index in the table, or FWD_RULE_NONE ("all", "auto")
 * @new_rule:	Rule index in the new table, if claimed
 * @v6:		IPv6 (possibly dual-stack) socket, as in the epoll reference
 * @state:	FWD_SOCK_OPEN, FWD_SOCK_KEEP or FWD_SOCK_NEW
 */
struct fwd_sock {
	int fd;
	uint32_t next;
	uint16_t port;
	uint8_t table;
	uint8_t rule;
	uint8_t new_rule;
	uint8_t v6;
	uint8_t state;
};

static struct fwd_sock fwd_socks[FWD_SOCKS_MAX];
/* First socket by table and port, index plus one, or 0 */
static uint32_t fwd_sock_head[FWD_TABLES][NUM_PORTS];
static uint32_t fwd_sock_free;		/* Free list, index plus one */
static uint32_t fwd_sock_hwm;		/* Entries ever used */
static unsigned fwd_sock_count;		/* Entries in use */

/**
 * fwd_table_proto() - Protocol of a table
 * @t:		Table, enum fwd_table_id
 *
 * Return: IPPROTO_TCP or IPPROTO_UDP
 */
uint8_t fwd_table_proto(unsigned t)
{
	return t == FWD_TCP_IN || t == FWD_TCP_OUT ? IPPROTO_TCP :
						     IPPROTO_UDP;
}

/**
 * fwd_table_pif() - Side a table listens on
 * @t:		Table, enum fwd_table_id
 *
 * Return: PIF_HOST (-t, -u) or PIF_SPLICE (-T, -U)
 */
uint8_t fwd_table_pif(unsigned t)
{
	return t == FWD_TCP_IN || t == FWD_UDP_IN ? PIF_HOST : PIF_SPLICE;
}

/**
 * fwd_table_id() - Table of a protocol and listening side
 * @proto:	IPPROTO_TCP or IPPROTO_UDP
 * @pif:	PIF_HOST or PIF_SPLICE
 *
 * Return: enum fwd_table_id
 */
unsigned fwd_table_id(uint8_t proto, uint8_t pif)
{
	if (proto == IPPROTO_TCP)
		return pif == PIF_HOST ? FWD_TCP_IN : FWD_TCP_OUT;
	return pif == PIF_HOST ? FWD_UDP_IN : FWD_UDP_OUT;
}

/**
 * fwd_table() - Forwarding table in the execution context
 * @c:		Execution context
 * @t:		Table, enum fwd_table_id
 *
 * Return: the table
 */
struct fwd_ports *fwd_table(struct ctx *c, unsigned t)
{
	return &c->run->fwd[t];
}

/**
 * fwd_table_const() - Forwarding table in a read-only execution context
 * @c:		Execution context
 * @t:		Table, enum fwd_table_id
 *
 * Return: the table
 */
const struct fwd_ports *fwd_table_const(const struct ctx *c, unsigned t)
{
	return fwd_table((struct ctx *)c, t);
}

/**
 * fwd_sock_add() - Record a socket
 * @t:		Table
 * @port:	Port
 * @rule:	Rule index, or FWD_RULE_NONE
 * @fd:		Descriptor
 * @v6:		IPv6 socket
 * @state:	Initial state
 *
 * Return: 0 on success, -1 if the record is full
 */
static int fwd_sock_add(unsigned t, in_port_t port, unsigned rule, int fd,
			bool v6, uint8_t state)
{
	struct fwd_sock *s;
	uint32_t i;

	if (fwd_sock_free) {
		i = fwd_sock_free - 1;
		fwd_sock_free = fwd_socks[i].next;
	} else if (fwd_sock_hwm < FWD_SOCKS_MAX) {
		i = fwd_sock_hwm++;
	} else {
		return -1;
	}

	s = &fwd_socks[i];
	s->fd = fd;
	s->port = port;
	s->table = t;
	s->rule = s->new_rule = rule;
	s->v6 = v6;
	s->state = state;
	s->next = fwd_sock_head[t][port];
	fwd_sock_head[t][port] = i + 1;
	fwd_sock_count++;

	return 0;
}

/**
 * fwd_sock_close() - Close a recorded socket and forget it
 * @c:		Execution context
 * @i:		Index of the record
 */
static void fwd_sock_close(struct ctx *c, uint32_t i)
{
	struct fwd_sock *s = &fwd_socks[i];
	uint32_t *link = &fwd_sock_head[s->table][s->port];

	while (*link != i + 1)
		link = &fwd_socks[*link - 1].next;
	*link = s->next;

	if (fwd_table_proto(s->table) == IPPROTO_UDP)
		udp_listen_closing(c, s->fd);
	epoll_del(c, s->fd);
	close(s->fd);

	s->fd = -1;
	s->next = fwd_sock_free;
	fwd_sock_free = i + 1;
	fwd_sock_count--;
}

/**
 * fwd_sock_ref() - epoll reference of a forwarding socket
 * @t:		Table
 * @port:	Port
 * @rule:	Rule index, or FWD_RULE_NONE
 * @v6:		IPv6 socket
 *
 * Return: the reference, without the descriptor
 */
static union epoll_ref fwd_sock_ref(unsigned t, in_port_t port, unsigned rule,
				    bool v6)
{
	union epoll_ref ref = { .listen = { .port = port, .rule = rule,
					    .pif = fwd_table_pif(t),
					    .v6 = v6 } };

	ref.type = fwd_table_proto(t) == IPPROTO_TCP ? EPOLL_TYPE_TCP_LISTEN :
						       EPOLL_TYPE_UDP_LISTEN;
	return ref;
}

/**
 * fwd_sock_open() - Open one listening (TCP) or bound (UDP) socket
 * @c:		Execution context
 * @t:		Table
 * @af:		AF_INET, AF_INET6, or AF_UNSPEC for dual stack
 * @addr:	Address to bind, NULL for any
 * @ifname:	Interface to bind to, or NULL
 * @port:	Port, host order
 * @rule:	Rule index, or FWD_RULE_NONE
 * @state:	State to record it with
 *
 * Return: descriptor, -1 on failure with errno set
 */
static int fwd_sock_open(const struct ctx *c, unsigned t, int af,
			 const union inany_addr *addr, const char *ifname,
			 in_port_t port, unsigned rule, uint8_t state)
{
	bool tcp = fwd_table_proto(t) == IPPROTO_TCP;
	union epoll_ref ref = fwd_sock_ref(t, port, rule, af != AF_INET);
	struct sockaddr_storage sa;
	int s, one = 1, zero = 0, err;
	socklen_t sl;

	s = socket(af == AF_INET ? AF_INET : AF_INET6,
		   (tcp ? SOCK_STREAM : SOCK_DGRAM) | SOCK_NONBLOCK |
		   SOCK_CLOEXEC, tcp ? IPPROTO_TCP : IPPROTO_UDP);
	if (s < 0)
		return -1;

	setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (af == AF_INET6)
		setsockopt(s, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
	else if (af == AF_UNSPEC)
		setsockopt(s, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof(zero));
	if (tcp) {
		sock_tcp_opts(s);	/* Accepted connections inherit them */
	} else {
		/* Groups the guest joined come through their own sockets:
		 * not here too, as if sent to this port (Linux 2.6.31, 4.20)
		 */
		setsockopt(s, IPPROTO_IP, IP_MULTICAST_ALL, &zero,
			   sizeof(zero));
		if (af != AF_INET)
			setsockopt(s, IPPROTO_IPV6, IPV6_MULTICAST_ALL, &zero,
				   sizeof(zero));
		udp_sock_runs(c, s);
	}
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
	if (tcp && listen(s, FWD_LISTEN_BACKLOG))
		goto fail;

	if (epoll_add(c, s, EPOLLIN, ref))
		goto fail;

	if (fwd_sock_add(t, port, rule, s, af != AF_INET, state)) {
		epoll_del(c, s);
		errno = EMFILE;
		goto fail;
	}

	return s;
fail:
	err = errno;
	close(s);
	errno = err;
	return -1;
}

/**
 * fwd_port_open() - Open the sockets for one port of a rule, or of "all"
 * @c:		Execution context
 * @t:		Table
 * @r:		Rule, NULL for "all" and "auto"
 * @rule:	Rule index, or FWD_RULE_NONE
 * @port:	Port
 * @state:	State to record the sockets with
 *
 * One dual-stack socket where both families are in use and nothing narrows
 * it down, else one per family; on the namespace side, one per loopback
 * address. To be called in the namespace the table listens in.
 *
 * Return: number of sockets opened, errno set if none
 */
static int fwd_port_open(const struct ctx *c, unsigned t,
			 const struct fwd_rule *r, unsigned rule,
			 in_port_t port, uint8_t state)
{
	const char *ifname = r && *r->ifname ? r->ifname : NULL;
	bool v4 = ipv4_enabled(c), v6 = ipv6_enabled(c);
	union inany_addr lo4, lo6 = { .a6 = IN6ADDR_LOOPBACK_INIT };
	int n = 0, err = EAFNOSUPPORT;

	inany_from_v4(&lo4, (struct in_addr){ htonl(INADDR_LOOPBACK) });

	if (r && r->af != AF_UNSPEC) {
		if ((r->af == AF_INET && !v4) || (r->af == AF_INET6 && !v6)) {
			errno = EAFNOSUPPORT;
			return 0;
		}
		return fwd_sock_open(c, t, r->af, &r->addr, ifname, port,
				     rule, state) >= 0;
	}

	if (fwd_table_pif(t) == PIF_SPLICE) {
		if (v4 && fwd_sock_open(c, t, AF_INET, &lo4, ifname, port,
					rule, state) >= 0)
			n++;
		else if (v4)
			err = errno;
		if (v6 && fwd_sock_open(c, t, AF_INET6, &lo6, ifname, port,
					rule, state) >= 0)
			n++;
		else if (v6)
			err = errno;
		errno = err;
		return n;
	}

	if (v4 && v6 && fwd_sock_open(c, t, AF_UNSPEC, NULL, ifname, port,
				      rule, state) >= 0)
		return 1;

	if (v4 && fwd_sock_open(c, t, AF_INET, NULL, ifname, port, rule,
				state) >= 0)
		n++;
	else if (v4)
		err = errno;
	if (v6 && fwd_sock_open(c, t, AF_INET6, NULL, ifname, port, rule,
				state) >= 0)
		n++;
	else if (v6)
		err = errno;

	errno = err;
	return n;
}

/**
 * fwd_same_bind() - Tell if two rules bind their ports the same way
 * @a:		Rule, NULL for any address on any interface
 * @b:		Rule, likewise
 *
 * Return: true if a socket opened for one fits the other
 */
static bool fwd_same_bind(const struct fwd_rule *a, const struct fwd_rule *b)
{
	static const struct fwd_rule any = { .af = AF_UNSPEC };

	a = a ? a : &any;
	b = b ? b : &any;

	if (a->af != b->af || strcmp(a->ifname, b->ifname))
		return false;

	return a->af == AF_UNSPEC || inany_equals(&a->addr, &b->addr);
}

/**
 * fwd_claim() - Claim the open sockets of a port for a rule of a new table
 * @old:	Table the sockets were opened for
 * @t:		Table
 * @port:	Port
 * @r:		Rule of the new table, NULL for "all" and "auto"
 * @rule:	Its index, or FWD_RULE_NONE
 *
 * Return: true if sockets bound the same way were there, now claimed
 */
static bool fwd_claim(const struct fwd_ports *old, unsigned t, in_port_t port,
		      const struct fwd_rule *r, unsigned rule)
{
	uint32_t i = fwd_sock_head[t][port];
	bool found = false;

	for (; i; i = fwd_socks[i - 1].next) {
		struct fwd_sock *s = &fwd_socks[i - 1];
		const struct fwd_rule *was;

		if (s->state != FWD_SOCK_OPEN)
			continue;
		was = s->rule < old->nr_rules ? &old->rules[s->rule] : NULL;
		if (!fwd_same_bind(was, r))
			continue;

		s->state = FWD_SOCK_KEEP;
		s->new_rule = rule;
		found = true;
	}

	return found;
}

/**
 * fwd_has_socks() - Tell if a port of a table has sockets of a rule
 * @t:		Table
 * @port:	Port
 * @rule:	Rule index, or FWD_RULE_NONE, or -1 for any
 * @state:	State they must be in, or -1 for any
 *
 * Return: true if there's one
 */
static bool fwd_has_socks(unsigned t, in_port_t port, int rule, int state)
{
	uint32_t i;

	for (i = fwd_sock_head[t][port]; i; i = fwd_socks[i - 1].next) {
		const struct fwd_sock *s = &fwd_socks[i - 1];

		if ((rule < 0 || s->rule == rule) &&
		    (state < 0 || s->state == state))
			return true;
	}

	return false;
}

/**
 * fwd_fd_budget() - Highest descriptor "all" may take for listening sockets
 * @c:		Execution context
 * @t:		Table being set up
 *
 * Forwarding "all" ports takes a socket or two each: a quarter of the limit
 * of open files stays for flows, and the rest is shared between the tables
 * still to set up (TCP's first, then UDP's).
 *
 * Return: descriptor number sockets of this table must stay below
 */
static int fwd_fd_budget(const struct ctx *c, unsigned t)
{
	int tables = 1, probe, top;
	struct rlimit lim;

	if (getrlimit(RLIMIT_NOFILE, &lim) || lim.rlim_cur > INT_MAX)
		return INT_MAX;

	if (t == FWD_TCP_IN && c->run->fwd[FWD_UDP_IN].mode == FWD_ALL)
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
 * struct fwd_sync_arg - What fwd_sync_prepare() works on
 * @c:		Execution context
 * @t:		Table
 * @old:	Table as it is, whose sockets are open
 * @new:	Table as it's going to be
 * @strict:	A rule's port that can't be bound is an error (else a warning)
 * @err:	Error message, set on failure
 * @errlen:	Size of @err
 */
struct fwd_sync_arg {
	const struct ctx *c;
	unsigned t;
	const struct fwd_ports *old;
	const struct fwd_ports *new;
	bool strict;
	char *err;
	size_t errlen;
};

/**
 * fwd_rules_map() - Ports the rules of a table take
 * @fwd:	Table
 * @map:	Bitmap, set to those ports (excluded ones included)
 *
 * Once per pass over the ports, rather than a walk of the rules per port.
 */
static void fwd_rules_map(const struct fwd_ports *fwd, uint8_t *map)
{
	unsigned i, port;

	memset(map, 0, BITMAP_BYTES(NUM_PORTS));
	for (i = 0; i < fwd->nr_rules; i++) {
		for (port = fwd->rules[i].first; port <= fwd->rules[i].last;
		     port++)
			bitmap_set(map, port);
	}
}

/* Ports taken by rules, for the pass being made (fwd_rules_map()) */
static uint8_t fwd_ruled[BITMAP_BYTES(NUM_PORTS)];

/**
 * fwd_sync_prepare() - Claim or open the sockets a new table needs
 * @arg:	struct fwd_sync_arg
 *
 * Runs in the namespace the table listens in.
 *
 * Return: 0 on success, -1 with the error message set
 */
static int fwd_sync_prepare(void *arg)
{
	const struct fwd_sync_arg *a = arg;
	const struct fwd_ports *new = a->new;
	const char *proto = fwd_table_proto(a->t) == IPPROTO_TCP ? "TCP" :
								   "UDP";
	uint16_t eph_first, eph_last;
	unsigned i, port;
	int budget;

	for (i = 0; i < new->nr_rules; i++) {
		const struct fwd_rule *r = &new->rules[i];

		for (port = r->first; port <= r->last; port++) {
			if (bitmap_isset(new->excl, port) ||
			    fwd_claim(a->old, a->t, port, r, i))
				continue;
			if (fwd_port_open(a->c, a->t, r, i, port,
					  FWD_SOCK_NEW))
				continue;

			if (a->strict) {
				char spec[FWD_RULE_STRLEN];

				fwd_rule_fmt(r, spec, sizeof(spec));
				snprintf(a->err, a->errlen,
					 "Can't bind %s port %u of '%s': %s",
					 proto, port, spec, strerror(errno));
				return -1;
			}
			warn("Can't listen on %s port %u: %s", proto, port,
			     strerror(errno));
		}
	}

	if (new->mode == FWD_AUTO) {
		/* Ports found by the last scan stay, until the next one */
		fwd_rules_map(new, fwd_ruled);
		for (port = 1; port < NUM_PORTS; port++) {
			if (!bitmap_isset(new->excl, port) &&
			    !bitmap_isset(fwd_ruled, port) &&
			    fwd_has_socks(a->t, port, FWD_RULE_NONE,
					  FWD_SOCK_OPEN))
				fwd_claim(a->old, a->t, port, NULL,
					  FWD_RULE_NONE);
		}
	}

	if (new->mode != FWD_ALL)
		return 0;

	budget = fwd_fd_budget(a->c, a->t);
	fwd_ephemeral_range(&eph_first, &eph_last);
	for (port = 1; port < NUM_PORTS; port++) {
		uint32_t s;

		if (bitmap_isset(new->excl, port) ||
		    (port >= eph_first && port <= eph_last) ||
		    fwd_claim(a->old, a->t, port, NULL, FWD_RULE_NONE))
			continue;
		if (!fwd_port_open(a->c, a->t, NULL, FWD_RULE_NONE, port,
				   FWD_SOCK_NEW))
			continue;

		for (s = fwd_sock_head[a->t][port]; s;
		     s = fwd_socks[s - 1].next) {
			if (fwd_socks[s - 1].fd >= budget)
				break;
		}
		if (!s)
			continue;

		/* Flows need descriptors too: "all" stops here */
		for (s = fwd_sock_head[a->t][port]; s;) {
			uint32_t next = fwd_socks[s - 1].next;

			if (fwd_socks[s - 1].state == FWD_SOCK_NEW)
				fwd_sock_close((struct ctx *)a->c, s - 1);
			s = next;
		}
		warn("Not enough descriptors to forward every %s port: ports "
		     "from %u on aren't (raise the limit of open files)",
		     proto, port);
		break;
	}

	return 0;
}

/**
 * fwd_sync_finish() - Commit or roll back what fwd_sync_prepare() did
 * @c:		Execution context
 * @t:		Table
 * @commit:	true to commit: claimed sockets point to their new rule,
 *		unclaimed ones are closed; false to roll back: new sockets
 *		are closed, claims dropped
 */
static void fwd_sync_finish(struct ctx *c, unsigned t, bool commit)
{
	uint32_t i;

	for (i = 0; i < fwd_sock_hwm; i++) {
		struct fwd_sock *s = &fwd_socks[i];

		if (s->fd < 0 || s->table != t)
			continue;

		if (!commit) {
			if (s->state == FWD_SOCK_NEW)
				fwd_sock_close(c, i);
			else
				s->state = FWD_SOCK_OPEN;
			continue;
		}

		if (s->state == FWD_SOCK_OPEN) {
			fwd_sock_close(c, i);
			continue;
		}

		if (s->state == FWD_SOCK_KEEP && s->new_rule != s->rule) {
			union epoll_ref ref = fwd_sock_ref(t, s->port,
							   s->new_rule,
							   s->v6);
			struct epoll_event ev = { .events = EPOLLIN };

			ref.fd = s->fd;
			ev.data.u64 = ref.u64;
			if (epoll_ctl(c->epollfd, EPOLL_CTL_MOD, s->fd, &ev)) {
				/* Can't point it elsewhere: close it */
				warn("Can't update listening socket of port "
				     "%u: %s", s->port, strerror(errno));
				fwd_sock_close(c, i);
				continue;
			}
			s->rule = s->new_rule;
		}
		s->state = FWD_SOCK_OPEN;
	}
}

/**
 * fwd_sync() - Make the open sockets of tables match new tables
 * @c:		Execution context
 * @new:	New tables, by enum fwd_table_id; entries equal to the
 *		context's own tables (same pointer) are set up from nothing
 * @strict:	A rule's port that can't be bound fails the whole change
 * @err:	Error message, set on failure
 * @errlen:	Size of @err
 *
 * All tables change, or none.
 *
 * Return: 0 on success, -1 on failure: nothing changed
 */
int fwd_sync(struct ctx *c, const struct fwd_ports *const new[FWD_TABLES],
	     bool strict, char *err, size_t errlen)
{
	static const struct fwd_ports empty;
	unsigned t, done;
	int ret = 0;

	snprintf(err, errlen, "Can't enter the namespace");
	for (t = 0; t < FWD_TABLES && !ret; t++) {
		const struct fwd_ports *cur = fwd_table(c, t);
		struct fwd_sync_arg a = {
			.c = c, .t = t, .new = new[t], .strict = strict,
			.err = err, .errlen = errlen,
			.old = new[t] == cur ? &empty : cur,
		};

		if (!new[t])
			continue;
		if (fwd_table_pif(t) == PIF_SPLICE && c->mode != MODE_PASTA)
			continue;

		if (fwd_table_pif(t) == PIF_SPLICE)
			ret = ns_call(c, fwd_sync_prepare, &a);
		else
			ret = fwd_sync_prepare(&a);

		if (ret < -1)
			snprintf(err, errlen, "Can't enter the namespace: %s",
				 strerror(-ret));
	}

	done = t;
	for (t = 0; t < done; t++) {
		if (!new[t])
			continue;
		fwd_sync_finish(c, t, !ret);
		if (!ret && new[t] != fwd_table(c, t))
			*fwd_table(c, t) = *new[t];
	}

	return ret ? -1 : 0;
}

/**
 * fwd_listen_init() - Listen on every port of the forwarding tables
 * @c:		Execution context
 *
 * A port that can't be bound is a warning, not a failure.
 */
void fwd_listen_init(struct ctx *c)
{
	const struct fwd_ports *new[FWD_TABLES] = { 0 };
	uint16_t eph_first, eph_last;
	char err[256];
	unsigned t;

	/* Read now, while /proc can be read */
	fwd_ephemeral_range(&eph_first, &eph_last);

	for (t = 0; t < FWD_TABLES; t++) {
		bool tcp = fwd_table_proto(t) == IPPROTO_TCP;

		if ((tcp && c->no_tcp) || (!tcp && c->no_udp))
			continue;
		if (fwd_table_pif(t) == PIF_SPLICE &&
		    (c->mode != MODE_PASTA || c->no_splice))
			continue;
		new[t] = fwd_table(c, t);
	}

	if (fwd_sync(c, new, false, err, sizeof(err)))
		die("%s", err);
}

/**
 * fwd_listen_count() - Count the ports of a rule that have sockets
 * @t:		Table
 * @fwd:	The table
 * @rule:	Rule index, or FWD_RULE_NONE for "all" or "auto"
 *
 * Return: number of ports with at least one socket open
 */
unsigned fwd_listen_count(unsigned t, const struct fwd_ports *fwd,
			  unsigned rule)
{
	unsigned port, first = 1, last = NUM_PORTS - 1, n = 0;

	if (rule < fwd->nr_rules) {
		first = fwd->rules[rule].first;
		last = fwd->rules[rule].last;
	}

	for (port = first; port <= last; port++)
		n += fwd_has_socks(t, port, rule, -1);

	return n;
}

/**
 * fwd_listen_ports() - Ports of a table with sockets of "all" or "auto"
 * @t:		Table
 * @map:	Bitmap, bits set for those ports
 */
void fwd_listen_ports(unsigned t, uint8_t *map)
{
	unsigned port;

	for (port = 1; port < NUM_PORTS; port++) {
		if (fwd_has_socks(t, port, FWD_RULE_NONE, -1))
			bitmap_set(map, port);
	}
}

/* Forwarding of ports found bound on the other side (pasta, "auto") */

#define FWD_PROC_BUF		(64 * 1024)

/* Socket tables of the host (0) and of the namespace (1): a socket
 * diagnostics socket, or where the kernel has none, the /proc/net files */
static int fwd_diag_s[2] = { -1, -1 };

/* /proc/net/{tcp,tcp6,udp,udp6} by side, protocol and family */
static int fwd_proc_fds[2][2][2] = { { { -1, -1 }, { -1, -1 } },
				     { { -1, -1 }, { -1, -1 } } };

static const char *const fwd_proc_names[2][2] = {
	{ "/proc/net/tcp", "/proc/net/tcp6" },
	{ "/proc/net/udp", "/proc/net/udp6" },
};

/**
 * fwd_tables_open() - Open the socket tables of the current namespace
 * @arg:	Side: pointer to 0 (host) or 1 (namespace)
 *
 * Socket diagnostics list what's bound without walking connections; a
 * kernel without them (CONFIG_INET_DIAG) has /proc/net.
 *
 * Return: 0
 */
static int fwd_tables_open(void *arg)
{
	static uint8_t probe[BITMAP_BYTES(NUM_PORTS)];
	const int side = *(const int *)arg;
	int s = nl_diag_open(), p, f, rc = -EIO;

	if (s >= 0 && !(rc = nl_diag_bound(s, IPPROTO_TCP, probe))) {
		fwd_diag_s[side] = s;
		return 0;
	}

	if (s >= 0)
		close(s);
	debug("No socket diagnostics on the %s side (%s): reading /proc/net",
	      side ? "namespace" : "host",
	      s < 0 ? strerror(errno) : strerror(-rc));

	for (p = 0; p < 2; p++) {
		for (f = 0; f < 2; f++)
			fwd_proc_fds[side][p][f] = open(fwd_proc_names[p][f],
							O_RDONLY | O_CLOEXEC);
	}

	return 0;
}

/**
 * fwd_proc_scan() - Find the ports bound in a /proc/net socket table
 * @fd:		Descriptor of /proc/net/tcp{,6} or /proc/net/udp{,6}, -1 if
 *		there's no such file (the IPv6 ones, IPv6 disabled at boot)
 * @tcp:	TCP table: listening sockets count; UDP: unconnected ones
 * @map:	Bitmap of ports, bits set for what's found
 *
 * Return: 0 on success, -EIO if the table couldn't be read
 */
static int fwd_proc_scan(int fd, bool tcp, uint8_t *map)
{
	static char buf[FWD_PROC_BUF + 1];
	size_t have = 0;
	off_t off = 0;

	if (fd < 0)
		return 0;

	for (;;) {
		ssize_t n = pread(fd, buf + have, FWD_PROC_BUF - have, off);
		char *line = buf, *nl;

		if (n < 0)
			return -EIO;
		if (!n)
			return 0;
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
 * fwd_bound() - Find the ports bound on one side
 * @side:	0 for the host, 1 for the namespace
 * @udp:	Unconnected UDP sockets if set, listening TCP ones if not
 * @map:	Bitmap of ports, bits set for what's found
 *
 * Return: 0 on success, negative error code if the tables couldn't be read
 */
static int fwd_bound(int side, bool udp, uint8_t *map)
{
	int rc;

	if (fwd_diag_s[side] >= 0)
		return nl_diag_bound(fwd_diag_s[side],
				     udp ? IPPROTO_UDP : IPPROTO_TCP, map);

	if ((rc = fwd_proc_scan(fwd_proc_fds[side][udp][0], !udp, map)))
		return rc;
	return fwd_proc_scan(fwd_proc_fds[side][udp][1], !udp, map);
}

/**
 * struct fwd_auto_arg - Listening sockets to open or close for a scan
 * @c:		Execution context
 * @t:		Table
 * @want:	Ports to forward: found, not excluded, not taken by a rule
 */
struct fwd_auto_arg {
	struct ctx *c;
	unsigned t;
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
	const char *proto = fwd_table_proto(a->t) == IPPROTO_TCP ? "TCP" :
								   "UDP";
	unsigned port;

	for (port = 1; port < NUM_PORTS; port++) {
		bool want = bitmap_isset(a->want, port);
		bool have = fwd_has_socks(a->t, port, FWD_RULE_NONE, -1);
		uint32_t s;

		if (want == have)
			continue;

		if (want) {
			if (!fwd_port_open(a->c, a->t, NULL, FWD_RULE_NONE,
					   port, FWD_SOCK_OPEN))
				continue;
			debug("Forwarding %s port %u %s (found bound)", proto,
			      port, fwd_table_pif(a->t) == PIF_HOST ?
			      "to the namespace" : "to the host");
			continue;
		}

		for (s = fwd_sock_head[a->t][port]; s;) {
			uint32_t next = fwd_socks[s - 1].next;

			if (fwd_socks[s - 1].rule == FWD_RULE_NONE)
				fwd_sock_close(a->c, s - 1);
			s = next;
		}
		debug("No longer forwarding %s port %u", proto, port);
	}

	return 0;
}

/**
 * fwd_scan_one() - Scan one side, forward what's found from the other
 * @c:		Execution context
 * @t:		Table: one listening on the host scans the namespace, and
 *		the other way around
 *
 * A scan that fails changes nothing. Sockets are only opened or closed,
 * in the namespace if that's where the table listens, if the scan found a
 * difference.
 */
static void fwd_scan_one(struct ctx *c, unsigned t)
{
	static uint8_t found[BITMAP_BYTES(NUM_PORTS)];
	const struct fwd_ports *fwd = fwd_table(c, t);
	unsigned other = fwd_table_id(fwd_table_proto(t),
				      fwd_table_pif(t) == PIF_HOST ?
				      PIF_SPLICE : PIF_HOST), port;
	int scanned = fwd_table_pif(t) == PIF_HOST ? 1 : 0, rc;
	bool udp = fwd_table_proto(t) == IPPROTO_UDP, change = false;
	struct fwd_auto_arg a = { c, t, found };

	if (fwd->mode != FWD_AUTO)
		return;

	memset(found, 0, sizeof(found));
	if ((rc = fwd_bound(scanned, udp, found))) {
		debug("Can't scan the %s for bound %s ports: %s",
		      scanned ? "namespace" : "host", udp ? "UDP" : "TCP",
		      strerror(-rc));
		return;
	}

	/* What we listen on there ourselves isn't to be forwarded back, nor
	 * is what's excluded or taken by a rule */
	fwd_rules_map(fwd, fwd_ruled);
	for (port = 1; port < NUM_PORTS; port++) {
		if (fwd_has_socks(other, port, -1, -1) ||
		    bitmap_isset(fwd->excl, port) ||
		    bitmap_isset(fwd_ruled, port))
			bitmap_clear(found, port);

		if (bitmap_isset(found, port) !=
		    fwd_has_socks(t, port, FWD_RULE_NONE, -1))
			change = true;
	}

	if (!change)
		return;

	if (fwd_table_pif(t) == PIF_SPLICE)
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
		fwd_scan_one(c, FWD_TCP_IN);
		if (!c->no_splice)
			fwd_scan_one(c, FWD_TCP_OUT);
	}
	if (!c->no_udp) {
		fwd_scan_one(c, FWD_UDP_IN);
		if (!c->no_splice)
			fwd_scan_one(c, FWD_UDP_OUT);
	}
}

/**
 * fwd_scan_init() - Open the socket tables of both sides, scan once
 * @c:		Execution context
 *
 * In pasta mode, whether or not a table is "auto" now: a table can become
 * one at run time, and /proc is out of reach once the sandbox is up.
 */
void fwd_scan_init(struct ctx *c)
{
	if (c->mode != MODE_PASTA)
		return;

	int side = 0;

	fwd_tables_open(&side);
	side = 1;
	ns_call(c, fwd_tables_open, &side);

	fwd_scan(c, &c->run->now);
}
