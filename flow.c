// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * passt - user-mode networking for virtual machines and namespaces
 *
 * flow.c - The table of flows (connections, ping and UDP flows) and its index
 *
 * Every flow we translate has one entry in a fixed-size table. Entries are
 * handed out from a free list, or past the highest entry used so far, so
 * that the table's memory is only touched as far as it was ever filled.
 * Descriptors registered with epoll carry the index of their flow: events
 * need no lookup. Frames from the guest, and datagrams arriving on shared
 * sockets, do: an open-addressing hash table, keyed with SipHash and a
 * random secret, maps the addresses and ports of one side of a flow to the
 * flow and that side.
 */

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <sys/epoll.h>

#include "flow.h"
#include "flow_table.h"
#include "icmp.h"
#include "log.h"
#include "passt.h"
#include "siphash.h"
#include "stats.h"
#include "tcp.h"
#include "tcp_splice.h"
#include "udp.h"
#include "util.h"

#define FLOW_HASH_SIZE		(FLOW_MAX * 2)	/* Power of two */

static union flow flowtab[FLOW_MAX];

/* Hash buckets hold flow index * 2 + side, plus one: zero is empty */
static uint32_t flow_hashtab[FLOW_HASH_SIZE];

static unsigned flow_hwm;		/* Entries ever used */
static long long flow_deadline_ms;	/* Earliest timer of a flow, 0: none */
static unsigned flow_free_head = FLOW_MAX;
static unsigned flow_freed_head = FLOW_MAX;	/* Freed, not yet to take */
static unsigned flow_limit = FLOW_MAX;
static unsigned flow_nr;
static bool flow_refusing;		/* Quitting: no new flows */
static struct siphash_key flow_key;

/**
 * struct flow_hkey - What the index hashes: one side of a flow
 * @eaddr:	Endpoint address
 * @oaddr:	Our address
 * @eport:	Endpoint port
 * @oport:	Our port
 * @proto:	IP protocol number
 * @pif:	Interface
 * @pad:	Zero
 */
struct flow_hkey {
	union inany_addr eaddr;
	union inany_addr oaddr;
	in_port_t eport;
	in_port_t oport;
	uint8_t proto;
	uint8_t pif;
	uint8_t pad[2];
};

/**
 * flow_init() - Set up the table
 * @max:	Largest number of flows at once, at most FLOW_MAX
 */
void flow_init(unsigned max)
{
	flow_limit = MIN(max, (unsigned)FLOW_MAX);
	if (raw_random(&flow_key, sizeof(flow_key)))
		die("Can't get random bytes for the flow hash key");
}

/**
 * flow_idx() - Index of a flow table entry
 * @flow:	Entry
 *
 * Return: index
 */
unsigned flow_idx(const union flow *flow)
{
	return flow - flowtab;
}

/**
 * flow_at() - Flow table entry at an index
 * @idx:	Index, below FLOW_MAX
 *
 * Return: entry
 */
union flow *flow_at(unsigned idx)
{
	return &flowtab[idx];
}

/**
 * flow_count() - Number of flows in use
 *
 * Return: count
 */
unsigned flow_count(void)
{
	return flow_nr;
}

/**
 * flow_span() - Number of entries that were ever used, for iteration
 *
 * Return: one past the highest index ever handed out
 */
unsigned flow_span(void)
{
	return flow_hwm;
}

/**
 * flow_alloc() - Take a free entry
 *
 * Return: zeroed entry, NULL if the table is at its limit, or if we're
 *	   quitting and refuse new flows
 */
union flow *flow_alloc(void)
{
	union flow *flow;

	if (flow_nr >= flow_limit || flow_refusing)
		return NULL;

	if (flow_free_head < FLOW_MAX) {
		flow = &flowtab[flow_free_head];
		flow_free_head = flow->free.next;
	} else if (flow_hwm < FLOW_MAX) {
		flow = &flowtab[flow_hwm++];
	} else {
		return NULL;
	}

	memset(flow, 0, sizeof(*flow));
	flow_nr++;
	return flow;
}

/**
 * flow_free() - Take an entry out of the index, free it after this batch
 * @flow:	Entry
 *
 * Events already fetched for the flow still carry its index, and its
 * descriptor number may be reused at once: until flow_free_release(), the
 * entry stays of type FLOW_TYPE_NONE, so that they find it gone, not a new
 * flow in its place.
 */
void flow_free(union flow *flow)
{
	/* Entries freed before they got a type were never counted opened */
	if (flow->f.type != FLOW_TYPE_NONE && flow->f.type < FLOW_NUM_TYPES)
		stats.flows_closed[flow->f.type]++;

	if (flow->f.hashed[INISIDE])
		flow_hash_remove(flow, INISIDE);
	if (flow->f.hashed[TGTSIDE])
		flow_hash_remove(flow, TGTSIDE);

	memset(flow, 0, sizeof(flow->free));
	flow->f.type = FLOW_TYPE_NONE;
	flow->free.next = flow_freed_head;
	flow_freed_head = flow_idx(flow);
	flow_nr--;
}

/**
 * flow_free_release() - Entries freed since the last call go to the free list
 *
 * Called once the events of a batch are handled.
 */
void flow_free_release(void)
{
	while (flow_freed_head < FLOW_MAX) {
		union flow *flow = &flowtab[flow_freed_head];

		flow_freed_head = flow->free.next;
		flow->free.next = flow_free_head;
		flow_free_head = flow_idx(flow);
	}
}

/**
 * flow_start() - Give a new entry its type: it's a flow from now on
 * @flow:	Entry, just allocated
 * @type:	enum flow_type, not FLOW_TYPE_NONE
 * @proto:	IP protocol number
 * @now:	Current time, the flow's start
 */
void flow_start(union flow *flow, uint8_t type, uint8_t proto,
		const struct timespec *now)
{
	flow->f.type = type;
	flow->f.proto = proto;
	flow->f.start_ms = timespec_ms(now);
	stats.flows_opened[type]++;
}

/**
 * flow_from_tap() - Fill in a flow the guest starts, towards the host
 * @flow:	Entry, just allocated
 * @type:	enum flow_type
 * @proto:	IP protocol number
 * @saddr:	Guest's (source) address
 * @sport:	Guest's port, or ICMP echo identifier, host order
 * @daddr:	Destination address, as the guest sent to it
 * @dport:	Destination port, host order, 0 for ICMP
 * @tgt:	Where the host sends to: @daddr after fwd_nat_from_tap()
 * @now:	Current time
 */
void flow_from_tap(union flow *flow, uint8_t type, uint8_t proto,
		   const union inany_addr *saddr, in_port_t sport,
		   const union inany_addr *daddr, in_port_t dport,
		   const union inany_addr *tgt, const struct timespec *now)
{
	struct flow_common *f = &flow->f;

	flow_start(flow, type, proto, now);
	f->pif[INISIDE] = PIF_TAP;
	f->pif[TGTSIDE] = PIF_HOST;
	f->side[INISIDE].eaddr = *saddr;
	f->side[INISIDE].eport = sport;
	f->side[INISIDE].oaddr = *daddr;
	f->side[INISIDE].oport = dport;
	f->side[TGTSIDE].eaddr = *tgt;
	f->side[TGTSIDE].eport = dport;
}

/**
 * flow_sock_watch() - Add the socket of a new flow to epoll, or drop both
 * @c:		Execution context
 * @flow:	Entry
 * @s:		Socket
 * @type:	enum epoll_type of the socket
 *
 * Return: 0 on success; -1 if it couldn't be added: socket closed, entry freed
 */
int flow_sock_watch(const struct ctx *c, union flow *flow, int s,
		    uint8_t type)
{
	union epoll_ref ref = { .type = type, .flow = flow_idx(flow) };

	if (!epoll_add(c, s, EPOLLIN, ref))
		return 0;

	close(s);
	flow_free(flow);
	return -1;
}

/**
 * flow_hash() - Hash of one side of a flow
 * @proto:	IP protocol number
 * @pif:	Interface
 * @eaddr:	Endpoint address
 * @eport:	Endpoint port
 * @oaddr:	Our address
 * @oport:	Our port
 *
 * Return: bucket index
 */
static unsigned flow_hash(uint8_t proto, uint8_t pif,
			  const union inany_addr *eaddr, in_port_t eport,
			  const union inany_addr *oaddr, in_port_t oport)
{
	struct flow_hkey k;

	memset(&k, 0, sizeof(k));
	k.eaddr = *eaddr;
	k.oaddr = *oaddr;
	k.eport = eport;
	k.oport = oport;
	k.proto = proto;
	k.pif = pif;

	return siphash(&flow_key, &k, sizeof(k)) & (FLOW_HASH_SIZE - 1);
}

/**
 * flow_side_hash() - Hash of a side of a flow table entry
 * @flow:	Entry
 * @side:	INISIDE or TGTSIDE
 *
 * Return: bucket index
 */
static unsigned flow_side_hash(const union flow *flow, int side)
{
	const struct flowside *s = &flow->f.side[side];

	return flow_hash(flow->f.proto, flow->f.pif[side], &s->eaddr,
			 s->eport, &s->oaddr, s->oport);
}

/**
 * flow_hash_insert() - Add one side of a flow to the index
 * @flow:	Entry, with proto, pif and side filled
 * @side:	INISIDE or TGTSIDE
 */
void flow_hash_insert(union flow *flow, int side)
{
	unsigned b = flow_side_hash(flow, side);

	while (flow_hashtab[b])
		b = (b + 1) & (FLOW_HASH_SIZE - 1);

	flow_hashtab[b] = flow_idx(flow) * 2 + side + 1;
	flow->f.hashed[side] = true;
}

/**
 * flow_hash_remove() - Take one side of a flow out of the index
 * @flow:	Entry
 * @side:	INISIDE or TGTSIDE
 *
 * Linear probing: entries after the removed one that would now be cut off
 * from their home bucket move back into the hole.
 */
void flow_hash_remove(union flow *flow, int side)
{
	uint32_t v = flow_idx(flow) * 2 + side + 1;
	unsigned b = flow_side_hash(flow, side), hole, i;

	while (flow_hashtab[b] && flow_hashtab[b] != v)
		b = (b + 1) & (FLOW_HASH_SIZE - 1);
	if (!flow_hashtab[b])
		return;

	flow->f.hashed[side] = false;
	flow_hashtab[b] = 0;
	hole = b;

	for (i = (b + 1) & (FLOW_HASH_SIZE - 1); flow_hashtab[i];
	     i = (i + 1) & (FLOW_HASH_SIZE - 1)) {
		uint32_t e = flow_hashtab[i] - 1;
		unsigned home = flow_side_hash(&flowtab[e / 2], e % 2);

		/* Can the entry at i stay, given the hole? Only if its home
		 * is cyclically in (hole, i] */
		if (((i - home) & (FLOW_HASH_SIZE - 1)) <
		    ((i - hole) & (FLOW_HASH_SIZE - 1)))
			continue;

		flow_hashtab[hole] = flow_hashtab[i];
		flow_hashtab[i] = 0;
		hole = i;
	}
}

/**
 * flow_lookup() - Find a flow by the addresses and ports of one side
 * @proto:	IP protocol number
 * @pif:	Interface
 * @eaddr:	Endpoint address
 * @eport:	Endpoint port
 * @oaddr:	Our address
 * @oport:	Our port
 * @side:	Side found, set if not NULL
 *
 * Return: entry, NULL if no flow matches
 */
union flow *flow_lookup(uint8_t proto, uint8_t pif,
			const union inany_addr *eaddr, in_port_t eport,
			const union inany_addr *oaddr, in_port_t oport,
			int *side)
{
	unsigned b = flow_hash(proto, pif, eaddr, eport, oaddr, oport);

	for (; flow_hashtab[b]; b = (b + 1) & (FLOW_HASH_SIZE - 1)) {
		uint32_t e = flow_hashtab[b] - 1;
		union flow *flow = &flowtab[e / 2];
		const struct flowside *s = &flow->f.side[e % 2];

		if (flow->f.proto != proto || flow->f.pif[e % 2] != pif ||
		    s->eport != eport || s->oport != oport ||
		    !inany_equals(&s->eaddr, eaddr) ||
		    !inany_equals(&s->oaddr, oaddr))
			continue;

		if (side)
			*side = e % 2;
		return flow;
	}

	return NULL;
}

/**
 * flow_timer_at() - Have flow_timer() run at a given time, or before
 * @ms:		Time, milliseconds on the clock of timespec_ms()
 */
void flow_timer_at(long long ms)
{
	if (!flow_deadline_ms || ms < flow_deadline_ms)
		flow_deadline_ms = ms;
}

/**
 * flow_timer_left() - Time until flow_timer() is due for a flow's timer
 * @now:	Current time
 *
 * Timers of TCP connections (retransmission, connection set-up) are due at
 * their time; the idle timeouts of UDP and ping flows, minutes long, are
 * checked with every run, and it runs once a second anyway.
 *
 * Return: milliseconds, 0 if due now, -1 if no flow timer is armed
 */
long long flow_timer_left(const struct timespec *now)
{
	if (!flow_deadline_ms)
		return -1;

	return MAX(flow_deadline_ms - timespec_ms(now), 0LL);
}

/**
 * flow_timer() - Run the timer of every flow, by type
 * @c:		Execution context
 * @now:	Current time
 *
 * Also finds the earliest timer still armed, for flow_timer_left(): timers
 * armed later, as events come, move it with flow_timer_at().
 */
void flow_timer(struct ctx *c, const struct timespec *now)
{
	unsigned i;

	flow_deadline_ms = 0;

	for (i = 0; i < flow_hwm; i++) {
		union flow *flow = &flowtab[i];

		switch (flow->f.type) {
		case FLOW_PING4:
		case FLOW_PING6:
			icmp_flow_timer(c, &flow->ping, now);
			break;
		case FLOW_TCP:
			tcp_flow_timer(c, &flow->tcp, now);
			if (flow->f.type == FLOW_TCP && flow->tcp.timer_ms)
				flow_timer_at(flow->tcp.timer_ms);
			break;
		case FLOW_TCP_SPLICE:
			tcp_splice_flow_timer(c, &flow->tcp_splice, now);
			if (flow->f.type == FLOW_TCP_SPLICE &&
			    flow->tcp_splice.timer_ms)
				flow_timer_at(flow->tcp_splice.timer_ms);
			break;
		case FLOW_UDP:
			udp_flow_timer(c, &flow->udp, now);
			break;
		default:
			break;
		}
	}
}

/**
 * flow_refuse_new() - Quitting: refuse every new flow from now on
 */
void flow_refuse_new(void)
{
	flow_refusing = true;
}

/**
 * flow_pending() - Count flows whose guest side hasn't finished sending
 *
 * Return: number of TCP connections, translated or spliced, with data or a
 *	   FIN from the guest (or pasta's namespace) still to pass on
 */
unsigned flow_pending(void)
{
	unsigned i, n = 0;

	for (i = 0; i < flow_hwm; i++) {
		const union flow *flow = &flowtab[i];

		switch (flow->f.type) {
		case FLOW_TCP:
			n += tcp_flow_pending(&flow->tcp);
			break;
		case FLOW_TCP_SPLICE:
			n += tcp_splice_flow_pending(&flow->tcp_splice);
			break;
		default:
			break;
		}
	}

	return n;
}

/**
 * flow_addr_gone() - An address of the host went away: end the flows whose
 *		      socket on the host's side is bound to it
 * @c:		Execution context
 * @addr:	Address
 *
 * Spliced connections are on loopback, whose addresses stay.
 */
void flow_addr_gone(struct ctx *c, const union inany_addr *addr)
{
	unsigned i;

	for (i = 0; i < flow_hwm; i++) {
		union flow *flow = &flowtab[i];

		switch (flow->f.type) {
		case FLOW_TCP:
			if (sock_bound_to(flow->tcp.sock, addr))
				tcp_addr_gone(c, &flow->tcp);
			break;
		case FLOW_UDP:
			if (sock_bound_to(flow->udp.sock, addr))
				udp_addr_gone(c, &flow->udp);
			break;
		case FLOW_PING4:
		case FLOW_PING6:
			if (sock_bound_to(flow->ping.sock, addr))
				icmp_addr_gone(c, &flow->ping);
			break;
		default:
			break;
		}
	}
}

/**
 * flow_end_all() - Before exiting: end every connection as its state allows
 * @c:		Execution context
 *
 * Datagram flows need nothing: their sockets just close.
 */
void flow_end_all(struct ctx *c)
{
	unsigned i;

	for (i = 0; i < flow_hwm; i++) {
		union flow *flow = &flowtab[i];

		switch (flow->f.type) {
		case FLOW_TCP:
			tcp_flow_end(c, &flow->tcp, c->run->fd_tap >= 0);
			break;
		case FLOW_TCP_SPLICE:
			tcp_splice_flow_end(c, &flow->tcp_splice);
			break;
		default:
			break;
		}
	}

	tcp_defer_flush(c);
}

/* Longest line of flow_list_text(), newline included */
#define FLOW_LINE_MAX		255

/* Columns of flow_list_text(), header and lines alike; the same without
 * padding, for lines that would be too long with it (long IPv6 addresses)
 */
#define FLOW_LINE_FMT							\
	"%-6s %-10s %-7s %-22s %-22s %-7s %-22s %-22s %-11s %12s %12s %6s\n"
#define FLOW_LINE_FMT_COMPACT						\
	"%s %s %s %s %s %s %s %s %s %s %s %s\n"

/* Names of the flow types in the listing */
static const char *const flow_type_str[FLOW_NUM_TYPES] = {
	[FLOW_TYPE_NONE]	= "none",
	[FLOW_TCP]		= "tcp",
	[FLOW_TCP_SPLICE]	= "tcp-splice",
	[FLOW_PING4]		= "icmp",
	[FLOW_PING6]		= "icmp6",
	[FLOW_UDP]		= "udp",
};

/**
 * flow_pif_str() - Name of the interface of a side, for the listing
 * @pif:	enum pif
 *
 * Return: "host", "tap" (the guest), "ns" (pasta's namespace, spliced), "-"
 */
static const char *flow_pif_str(uint8_t pif)
{
	switch (pif) {
	case PIF_HOST:
		return "host";
	case PIF_TAP:
		return "tap";
	case PIF_SPLICE:
		return "ns";
	default:
		return "-";
	}
}

/**
 * flow_addr_str() - Text form of an address and port, for the listing
 * @a:		Address
 * @port:	Port (or ICMP echo identifier), host order
 * @buf:	Destination
 * @size:	Size of @buf, at least INET6_ADDRSTRLEN + 8
 *
 * Return: @buf: "addr:port" for IPv4, "[addr]:port" for IPv6, "*:port" if the
 *	   address is unspecified (not known, or any), "*" if the port is 0 too
 */
static const char *flow_addr_str(const union inany_addr *a, in_port_t port,
				 char *buf, size_t size)
{
	char addr[INET6_ADDRSTRLEN];

	if (inany_is_unspecified(a)) {
		if (port)
			snprintf(buf, size, "*:%u", (unsigned)port);
		else
			snprintf(buf, size, "*");
	} else if (inany_v4(a)) {
		snprintf(buf, size, "%s:%u",
			 inany_ntop(a, addr, sizeof(addr)), (unsigned)port);
	} else {
		snprintf(buf, size, "[%s]:%u",
			 inany_ntop(a, addr, sizeof(addr)), (unsigned)port);
	}

	return buf;
}

/**
 * flow_tcp_state_str() - State of a TCP connection through the tap
 * @conn:	Connection
 *
 * Return: "syn_rcvd" (the guest's SYN, connecting to the host),
 *	   "syn_ack_sent" (our SYN-ACK to the guest), "syn_sent" (our SYN to
 *	   the guest, for an inbound connection), "established", or "closing"
 *	   once a FIN went either way
 */
static const char *flow_tcp_state_str(const struct tcp_tap_conn *conn)
{
	if (conn->events & (CONN_SOCK_FIN_RCVD | CONN_TAP_FIN_SENT |
			    CONN_TAP_FIN_ACKED | CONN_TAP_FIN_RCVD))
		return "closing";
	if (conn->events & CONN_ESTABLISHED)
		return "established";
	if (conn->events & CONN_TAP_SYN_ACK_SENT)
		return "syn_ack_sent";
	if (conn->events & CONN_SOCK_ACCEPTED)
		return "syn_sent";
	return "syn_rcvd";
}

/**
 * flow_splice_state_str() - State of a spliced TCP connection
 * @conn:	Connection
 *
 * Return: "connecting", "established", or "closing" once a side sent its FIN
 */
static const char *flow_splice_state_str(const struct tcp_splice_conn *conn)
{
	if (conn->events & (SPLICE_FIN_FROM(0) | SPLICE_FIN_FROM(1) |
			    SPLICE_FIN_SENT(0) | SPLICE_FIN_SENT(1)))
		return "closing";
	if (conn->events & SPLICE_CONNECT)
		return "connecting";
	return "established";
}

/**
 * flow_line() - Describe one flow, in one line
 * @flow:	Entry, not free
 * @now:	Current time
 * @line:	Destination, FLOW_LINE_MAX + 1 bytes
 *
 * Return: length of the line, newline included, NUL not counted
 */
static size_t flow_line(const union flow *flow, const struct timespec *now,
			char *line)
{
	char ep[2][INET6_ADDRSTRLEN + 8], our[2][INET6_ADDRSTRLEN + 8];
	char idx[12], bytes[2][24], age[24];
	const struct flow_common *f = &flow->f;
	const char *state = "active", *type;
	long long age_ms;
	int side, n;

	for (side = INISIDE; side <= TGTSIDE; side++) {
		const struct flowside *s = &f->side[side];

		flow_addr_str(&s->eaddr, s->eport, ep[side], sizeof(ep[0]));
		flow_addr_str(&s->oaddr, s->oport, our[side], sizeof(our[0]));
		snprintf(bytes[side], sizeof(bytes[side]), "%llu",
			 (unsigned long long)f->bytes[side]);
	}

	if (f->type == FLOW_TCP)
		state = flow_tcp_state_str(&flow->tcp);
	else if (f->type == FLOW_TCP_SPLICE)
		state = flow_splice_state_str(&flow->tcp_splice);

	age_ms = timespec_ms(now) - f->start_ms;
	snprintf(age, sizeof(age), "%lld", age_ms > 0 ? age_ms / 1000 : 0);
	snprintf(idx, sizeof(idx), "%u", flow_idx(flow));
	type = f->type < FLOW_NUM_TYPES ? flow_type_str[f->type] : "?";

	n = snprintf(line, FLOW_LINE_MAX + 1, FLOW_LINE_FMT, idx, type,
		     flow_pif_str(f->pif[INISIDE]), ep[INISIDE], our[INISIDE],
		     flow_pif_str(f->pif[TGTSIDE]), ep[TGTSIDE], our[TGTSIDE],
		     state, bytes[INISIDE], bytes[TGTSIDE], age);
	if (n > FLOW_LINE_MAX) {
		n = snprintf(line, FLOW_LINE_MAX + 1, FLOW_LINE_FMT_COMPACT,
			     idx, type, flow_pif_str(f->pif[INISIDE]),
			     ep[INISIDE], our[INISIDE],
			     flow_pif_str(f->pif[TGTSIDE]), ep[TGTSIDE],
			     our[TGTSIDE], state, bytes[INISIDE],
			     bytes[TGTSIDE], age);
	}
	if (n < 0)
		return 0;

	/* Only four long IPv6 addresses and huge counters get here: cut */
	if (n > FLOW_LINE_MAX) {
		line[FLOW_LINE_MAX - 1] = '\n';
		line[FLOW_LINE_MAX] = '\0';
		n = FLOW_LINE_MAX;
	}

	return n;
}

/**
 * flow_list_text() - Describe live flows as text, one line each
 * @buf:	Buffer
 * @size:	Its size: 512 bytes or more always make progress
 * @cursor:	Flow index to start from, updated: where to go on from
 * @now:	Current time, for the age of flows
 *
 * When *@cursor is 0 on entry, a header line comes first (only together
 * with the first flow's line, if there's one, so that it's never repeated).
 * Each line has: flow index; type (tcp, tcp-splice, udp, icmp, icmp6); for
 * the initiating side, then the target side: interface (host, tap, ns),
 * endpoint and our address and port; state (TCP: syn_rcvd, syn_ack_sent,
 * syn_sent, established, closing; spliced TCP: connecting, established,
 * closing; UDP and ICMP: active); payload bytes received from the initiating
 * side and from the target side, and passed on; age in seconds. Lines are
 * shorter than 256 bytes. Free entries are skipped. Writing stops before a
 * line that doesn't fit (with the terminating NUL).
 *
 * Return: bytes written, not counting the NUL, always written if @size is
 *	   not zero; *@cursor >= flow_span() when the table is done
 */
size_t flow_list_text(char *buf, size_t size, unsigned *cursor,
		      const struct timespec *now)
{
	char line[FLOW_LINE_MAX + 1];
	size_t off = 0, len;
	bool header = false;
	unsigned i;

	if (!size)
		return 0;
	buf[0] = '\0';

	if (*cursor == 0) {
		len = snprintf(line, sizeof(line), FLOW_LINE_FMT, "flow",
			       "type", "ini_pif", "ini_endpoint", "ini_ours",
			       "tgt_pif", "tgt_endpoint", "tgt_ours", "state",
			       "from_ini", "from_tgt", "age_s");
		if (len + 1 > size)
			return 0;
		memcpy(buf, line, len + 1);
		off = len;
		header = true;
	}

	for (i = *cursor; i < flow_hwm; i++) {
		const union flow *flow = &flowtab[i];

		if (flow->f.type == FLOW_TYPE_NONE)
			continue;

		len = flow_line(flow, now, line);
		if (off + len + 1 > size)
			break;
		memcpy(buf + off, line, len + 1);
		off += len;
	}

	/* Nothing but the header, and a line to come: it comes with it */
	if (header && i == *cursor && i < flow_hwm) {
		buf[0] = '\0';
		return 0;
	}

	*cursor = i;
	return off;
}
