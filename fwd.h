/* SPDX-License-Identifier: GPL-2.0-or-later
 *
 * passt - user-mode networking for virtual machines and namespaces
 *
 * fwd.h - Port forwarding specifications: parsing and the resulting tables
 */

#ifndef FWD_H
#define FWD_H

#include <stdbool.h>
#include <stdint.h>
#include <time.h>
#include <net/if.h>
#include <netinet/in.h>

#include "inany.h"
#include "util.h"

#define NUM_PORTS		(1U << 16)
/* Rule indices fit the 8 bits of epoll references, with one left for none */
#define FWD_RULE_NONE		0xff
#define FWD_RULES_MAX		FWD_RULE_NONE

/**
 * enum fwd_mode - How ports of one protocol and direction are forwarded
 * @FWD_UNSET:	Not given on the command line (yet)
 * @FWD_NONE:	Nothing is forwarded
 * @FWD_SPEC:	Ports listed by rules
 * @FWD_AUTO:	Ports bound on the other side, found by scanning (pasta)
 * @FWD_ALL:	Every port not excluded, outside the ephemeral range (passt)
 */
enum fwd_mode {
	FWD_UNSET = 0,
	FWD_NONE,
	FWD_SPEC,
	FWD_AUTO,
	FWD_ALL,
};

/**
 * struct fwd_rule - A range of ports bound on one address, and its target
 * @addr:	Address to bind, meaningful if @af is not AF_UNSPEC
 * @af:		AF_INET, AF_INET6, or AF_UNSPEC for any address of any family
 * @ifname:	Interface to bind to, empty for any
 * @first:	First port of the range, host order
 * @last:	Last port of the range, host order
 * @to:		Port the first port maps to on the other side, host order
 */
struct fwd_rule {
	union inany_addr addr;
	int af;
	char ifname[IFNAMSIZ];
	uint16_t first;
	uint16_t last;
	uint16_t to;
};

/**
 * struct fwd_ports - Forwarding for one protocol in one direction
 * @mode:	Forwarding mode
 * @nr_rules:	Number of rules in use
 * @rules:	Explicit port ranges, in the order given
 * @excl:	Bitmap of excluded ports
 */
struct fwd_ports {
	enum fwd_mode mode;
	unsigned nr_rules;
	struct fwd_rule rules[FWD_RULES_MAX];
	uint8_t excl[BITMAP_BYTES(NUM_PORTS)];
};

/**
 * enum fwd_table_id - The forwarding tables, by protocol and listening side
 * @FWD_TCP_IN:		TCP, listening on the host (-t)
 * @FWD_UDP_IN:		UDP, bound on the host (-u)
 * @FWD_TCP_OUT:	TCP, listening in pasta's namespace (-T)
 * @FWD_UDP_OUT:	UDP, bound in pasta's namespace (-U)
 * @FWD_TABLES:		Number of tables
 */
enum fwd_table_id {
	FWD_TCP_IN,
	FWD_UDP_IN,
	FWD_TCP_OUT,
	FWD_UDP_OUT,
	FWD_TABLES,
};

/* Longest rule as fwd_rule_fmt() writes it, with terminator */
#define FWD_RULE_STRLEN		(INET6_ADDRSTRLEN + IFNAMSIZ + 32)

/**
 * enum fwd_op_type - Kind of change to a table at run time
 * @FWD_OP_ADD:		Add rules, exclusions or a keyword
 * @FWD_OP_DEL:		Delete rules (given as they were added), exclusions
 *			or a keyword
 * @FWD_OP_REPLACE:	Replace the table, as the command line would set it
 * @FWD_OP_CLEAR:	Clear the tables of one side ("host" or "splice")
 */
enum fwd_op_type {
	FWD_OP_ADD = 1,
	FWD_OP_DEL,
	FWD_OP_REPLACE,
	FWD_OP_CLEAR,
};

/**
 * struct fwd_op - One change to the forwarding tables
 * @type:	enum fwd_op_type
 * @opt:	Option of the table: 't', 'u', 'T' or 'U' (not for clear)
 * @arg:	Specification, or for clear, the side
 */
struct fwd_op {
	uint8_t type;
	char opt;
	const char *arg;
};

int fwd_parse(struct fwd_ports *fwd, const char *spec, bool pasta,
	      char *errbuf, size_t errlen);
void fwd_finalise(struct fwd_ports *fwd, bool pasta);
int fwd_rule_target(const struct fwd_rule *r, unsigned port);
const char *fwd_rule_fmt(const struct fwd_rule *r, char *buf, size_t size);
const char *fwd_mode_str(enum fwd_mode mode);
int fwd_ephemeral_range(uint16_t *first, uint16_t *last);

struct ctx;
void fwd_nat_from_tap(const struct ctx *c, uint8_t proto,
		      const union inany_addr *dst, in_port_t dport,
		      union inany_addr *tgt);
int fwd_nat_to_tap(const struct ctx *c, const union inany_addr *peer,
		   union inany_addr *src);
int fwd_change(struct ctx *c, const struct fwd_op *ops, unsigned n,
	       char *err, size_t errlen);
const char *fwd_table_name(const struct ctx *c, unsigned t);
size_t fwd_show_text(const struct ctx *c, char *buf, size_t size,
		     unsigned *cursor);

/* fwd_listen.c */
uint8_t fwd_table_proto(unsigned t);
uint8_t fwd_table_pif(unsigned t);
unsigned fwd_table_id(uint8_t proto, uint8_t pif);
struct fwd_ports *fwd_table(struct ctx *c, unsigned t);
const struct fwd_ports *fwd_table_const(const struct ctx *c, unsigned t);
int fwd_sync(struct ctx *c, const struct fwd_ports *const new[FWD_TABLES],
	     bool strict, char *err, size_t errlen);
void fwd_listen_init(struct ctx *c);
unsigned fwd_listen_count(unsigned t, const struct fwd_ports *fwd,
			  unsigned rule);
void fwd_listen_ports(unsigned t, uint8_t *map);
void fwd_scan(struct ctx *c, const struct timespec *now);
void fwd_scan_init(struct ctx *c);

#endif /* FWD_H */
