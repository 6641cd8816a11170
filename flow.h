/* SPDX-License-Identifier: GPL-2.0-or-later
 *
 * passt - user-mode networking for virtual machines and namespaces
 *
 * flow.h - The table of flows (connections, ping and UDP flows) and its index
 */

#ifndef FLOW_H
#define FLOW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>
#include <netinet/in.h>

#include "inany.h"

/* Largest number of flows: the table is sized at build time and only touched
 * as it fills, the actual limit is set at start from RLIMIT_NOFILE */
#define FLOW_MAX		(1 << 17)

/**
 * enum flow_type - What a flow table entry is
 * @FLOW_TYPE_NONE:	Free entry
 * @FLOW_TCP:		TCP connection between the guest and a host socket
 * @FLOW_TCP_SPLICE:	TCP connection spliced between two loopback sockets
 * @FLOW_PING4:		ICMP echo flow
 * @FLOW_PING6:		ICMPv6 echo flow
 * @FLOW_UDP:		UDP flow
 * @FLOW_NUM_TYPES:	Number of types
 */
enum flow_type {
	FLOW_TYPE_NONE = 0,
	FLOW_TCP,
	FLOW_TCP_SPLICE,
	FLOW_PING4,
	FLOW_PING6,
	FLOW_UDP,
	FLOW_NUM_TYPES,
};

/* Sides of a flow: the one that started it, and the other one */
#define INISIDE			0
#define TGTSIDE			1

/**
 * struct flowside - Addresses and ports of a flow, as one interface sees them
 * @eaddr:	Endpoint: the peer's address
 * @oaddr:	Our address, the one the peer talks to
 * @eport:	Endpoint port (or ICMP echo identifier), host order
 * @oport:	Our port, host order
 */
struct flowside {
	union inany_addr eaddr;
	union inany_addr oaddr;
	in_port_t eport;
	in_port_t oport;
};

/**
 * struct flow_common - Start of every flow table entry
 * @type:	enum flow_type
 * @proto:	IP protocol number, for the index
 * @pif:	Interface of each side (enum pif)
 * @hashed:	Side is in the index
 * @side:	Addresses and ports of each side
 * @bytes:	Payload bytes received from each side (INISIDE, TGTSIDE) and
 *		passed on to the other one
 * @start_ms:	When the flow got its type, CLOCK_MONOTONIC milliseconds
 */
struct flow_common {
	uint8_t type;
	uint8_t proto;
	uint8_t pif[2];
	bool hashed[2];
	struct flowside side[2];
	uint64_t bytes[2];
	long long start_ms;
};

/**
 * struct flow_free - A free entry, on the free list
 * @f:		Common part, type is FLOW_TYPE_NONE
 * @next:	Index of the next free entry, or FLOW_MAX
 */
struct flow_free {
	struct flow_common f;
	unsigned next;
};

struct ctx;
union flow;

void flow_init(unsigned max);
union flow *flow_alloc(void);
void flow_free(union flow *flow);
void flow_free_release(void);
unsigned flow_idx(const union flow *flow);
union flow *flow_at(unsigned idx);
unsigned flow_count(void);
unsigned flow_span(void);
void flow_hash_insert(union flow *flow, int side);
void flow_hash_remove(union flow *flow, int side);
union flow *flow_lookup(uint8_t proto, uint8_t pif,
			const union inany_addr *eaddr, in_port_t eport,
			const union inany_addr *oaddr, in_port_t oport,
			int *side);
void flow_timer_at(long long ms);
long long flow_timer_left(const struct timespec *now);
void flow_timer(struct ctx *c, const struct timespec *now);
void flow_start(union flow *flow, uint8_t type, uint8_t proto,
		const struct timespec *now);
void flow_from_tap(union flow *flow, uint8_t type, uint8_t proto,
		   const union inany_addr *saddr, in_port_t sport,
		   const union inany_addr *daddr, in_port_t dport,
		   const union inany_addr *tgt, const struct timespec *now);
void flow_refuse_new(void);
unsigned flow_pending(void);
void flow_end_all(struct ctx *c);
void flow_addr_gone(struct ctx *c, const union inany_addr *addr);
int flow_sock_watch(const struct ctx *c, union flow *flow, int s,
		    uint8_t type);
size_t flow_list_text(char *buf, size_t size, unsigned *cursor,
		      const struct timespec *now);

#endif /* FLOW_H */
