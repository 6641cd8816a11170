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
#include <string.h>
#include <unistd.h>
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
 * flow_timer() - Run the timer of every flow, by type
 * @c:		Execution context
 * @now:	Current time
 */
void flow_timer(struct ctx *c, const struct timespec *now)
{
	unsigned i;

	for (i = 0; i < flow_hwm; i++) {
		union flow *flow = &flowtab[i];

		switch (flow->f.type) {
		case FLOW_PING4:
		case FLOW_PING6:
			icmp_flow_timer(c, &flow->ping, now);
			break;
		case FLOW_TCP:
			tcp_flow_timer(c, &flow->tcp, now);
			break;
		case FLOW_TCP_SPLICE:
			tcp_splice_flow_timer(c, &flow->tcp_splice, now);
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
			tcp_flow_end(c, &flow->tcp, c->fd_tap >= 0);
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
