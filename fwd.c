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
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include "fwd.h"
#include "log.h"
#include "passt.h"
#include "util.h"

#define EPHEMERAL_FIRST_DEFAULT	32768
#define EPHEMERAL_LAST_DEFAULT	60999

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
 * fwd_parse_kw() - Parse one specification, telling if it had a keyword
 * @fwd:	Forwarding table for that protocol and direction
 * @spec:	Specification text
 * @pasta:	true in pasta mode ("auto" allowed), false in passt ("all")
 * @keyword:	Set if the specification starts with "all" or "auto"
 * @errbuf:	Error message destination, set on failure
 * @errlen:	Size of @errbuf
 *
 * Return: 0 on success, -1 on error with @errbuf set
 */
static int fwd_parse_kw(struct fwd_ports *fwd, const char *spec, bool pasta,
			bool *keyword, char *errbuf, size_t errlen)
{
	bool excl_only = true;
	char buf[BUFSIZ], *item, *save;

	*keyword = false;

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
			*keyword = true;
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

	if (*keyword)
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
	bool keyword;

	return fwd_parse_kw(fwd, spec, pasta, &keyword, errbuf, errlen);
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
 * fwd_ephemeral_range() - The kernel's ephemeral port range
 * @first:	First ephemeral port
 * @last:	Last ephemeral port
 *
 * Read from procfs the first time, at start: the same range is used when
 * tables change later, with /proc out of reach.
 *
 * Return: 0 if read from procfs, -1 if the defaults were used
 */
int fwd_ephemeral_range(uint16_t *first, uint16_t *last)
{
	static uint16_t eph_first, eph_last;
	static int ret = 1;
	unsigned a, b;
	char buf[64];

	if (ret <= 0)
		goto out;

	eph_first = EPHEMERAL_FIRST_DEFAULT;
	eph_last = EPHEMERAL_LAST_DEFAULT;
	ret = -1;

	if (read_file("/proc/sys/net/ipv4/ip_local_port_range",
		      buf, sizeof(buf)) < 0)
		goto out;
	if (sscanf(buf, "%u %u", &a, &b) != 2 || !a || a > b || b > 65535)
		goto out;

	eph_first = a;
	eph_last = b;
	ret = 0;
out:
	*first = eph_first;
	*last = eph_last;
	return ret;
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

	for (i = 0; c->run->dns.dns4[i].s_addr; i++) {
		if (c->run->dns.dns4[i].s_addr == a.s_addr)
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

	for (i = 0; !IN6_IS_ADDR_UNSPECIFIED(&c->run->dns.dns6[i]); i++) {
		if (IN6_ARE_ADDR_EQUAL(&c->run->dns.dns6[i], a))
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
	const struct dns_run *d = &c->run->dns;

	*tgt = *dst;

	if (v4) {
		const struct ip4_ctx *ip4 = &c->ip4;

		if (dns && d->match4.s_addr == v4->s_addr && d->host4.s_addr)
			inany_from_v4(tgt, d->host4);
		else if (dns && fwd_is_dns4(c, *v4))
			return;
		else if (ip4->map_host_loopback.s_addr == v4->s_addr &&
			 v4->s_addr)
			inany_from_v4(tgt, (struct in_addr){
				htonl(INADDR_LOOPBACK) });
		else if (ip4->map_guest_addr.s_addr == v4->s_addr &&
			 v4->s_addr)
			inany_from_v4(tgt, c->run->host_addr4);
		return;
	}

	if (IN6_IS_ADDR_UNSPECIFIED(&dst->a6))
		return;
	if (dns && IN6_ARE_ADDR_EQUAL(&d->match6, &dst->a6) &&
	    !IN6_IS_ADDR_UNSPECIFIED(&d->host6))
		tgt->a6 = d->host6;
	else if (dns && fwd_is_dns6(c, &dst->a6))
		return;
	else if (IN6_ARE_ADDR_EQUAL(&c->ip6.map_host_loopback, &dst->a6))
		tgt->a6 = in6addr_loopback;
	else if (IN6_ARE_ADDR_EQUAL(&c->ip6.map_guest_addr, &dst->a6))
		tgt->a6 = c->run->host_addr6;
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
		    v4->s_addr == c->run->guest4.addr.s_addr ||
		    v4->s_addr == c->run->host_addr4.s_addr) {
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
	    IN6_ARE_ADDR_EQUAL(&peer->a6, &c->run->guest6.addr) ||
	    IN6_ARE_ADDR_EQUAL(&peer->a6, &c->run->host_addr6)) {
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
 * fwd_rule_fmt() - Write a rule in the syntax of the command line
 * @r:		Rule
 * @buf:	Destination
 * @size:	Size of @buf, FWD_RULE_STRLEN is always enough
 *
 * Return: @buf
 */
const char *fwd_rule_fmt(const struct fwd_rule *r, char *buf, size_t size)
{
	char addr[INET6_ADDRSTRLEN] = "";
	char range[sizeof("65535-65535")], to[sizeof(":65535-65535")] = "";

	if (r->af != AF_UNSPEC)
		inany_ntop(&r->addr, addr, sizeof(addr));

	if (r->last != r->first)
		snprintf(range, sizeof(range), "%u-%u", r->first, r->last);
	else
		snprintf(range, sizeof(range), "%u", r->first);

	if (r->to != r->first && r->last != r->first)
		snprintf(to, sizeof(to), ":%u-%u", r->to,
			 (unsigned)(r->to + (r->last - r->first)));
	else if (r->to != r->first)
		snprintf(to, sizeof(to), ":%u", r->to);

	snprintf(buf, size, "%s%s%s%s%s", addr, *r->ifname ? "%" : "",
		 r->ifname, *addr || *r->ifname ? "/" : "", range);
	strncat(buf, to, size - strlen(buf) - 1);

	return buf;
}

/**
 * fwd_rules_equal() - Tell if two rules are the same rule
 * @a:		Rule
 * @b:		Rule
 *
 * Return: true if they bind the same ports the same way, to the same target
 */
static bool fwd_rules_equal(const struct fwd_rule *a, const struct fwd_rule *b)
{
	return a->first == b->first && a->last == b->last && a->to == b->to &&
	       a->af == b->af && !strcmp(a->ifname, b->ifname) &&
	       (a->af == AF_UNSPEC || inany_equals(&a->addr, &b->addr));
}

/* A specification of a change, parsed on its own */
static struct fwd_ports fwd_spec;

/**
 * fwd_add() - Add what a specification gives to a table
 * @fwd:	Table
 * @spec:	Specification
 * @pasta:	pasta mode
 * @err:	Error message, set on failure
 * @errlen:	Size of @err
 *
 * Return: 0 on success, -1 on failure
 */
static int fwd_add(struct fwd_ports *fwd, const char *spec, bool pasta,
		   char *err, size_t errlen)
{
	char a[FWD_RULE_STRLEN], b[FWD_RULE_STRLEN];
	bool keyword;
	unsigned i, j;

	memset(&fwd_spec, 0, sizeof(fwd_spec));
	if (fwd_parse_kw(&fwd_spec, spec, pasta, &keyword, err, errlen))
		return -1;

	if (fwd_spec.mode == FWD_NONE)
		return fwd_err(err, errlen, "'none' can't be added: replace "
			       "the table with it, or clear it");

	if (keyword) {
		if (fwd->mode == fwd_spec.mode)
			return fwd_err(err, errlen, "'%s' is in use already",
				       fwd_mode_str(fwd->mode));
		fwd->mode = fwd_spec.mode;
	}

	for (i = 0; i < fwd_spec.nr_rules; i++) {
		const struct fwd_rule *r = &fwd_spec.rules[i];

		for (j = 0; j < fwd->nr_rules; j++) {
			const struct fwd_rule *o = &fwd->rules[j];

			if (fwd_rules_equal(o, r))
				return fwd_err(err, errlen, "'%s' is there "
					       "already",
					       fwd_rule_fmt(r, a, sizeof(a)));
			if (rules_overlap(o, r))
				return fwd_err(err, errlen, "'%s' overlaps "
					       "'%s', there already",
					       fwd_rule_fmt(r, a, sizeof(a)),
					       fwd_rule_fmt(o, b, sizeof(b)));
		}
		if (fwd->nr_rules >= FWD_RULES_MAX)
			return fwd_err(err, errlen, "too many port ranges");
		fwd->rules[fwd->nr_rules++] = *r;
	}

	if (fwd->mode == FWD_ALL && fwd->nr_rules)
		return fwd_err(err, errlen, "'all' with explicit ports");
	if (fwd_spec.nr_rules &&
	    (fwd->mode == FWD_UNSET || fwd->mode == FWD_NONE))
		fwd->mode = FWD_SPEC;

	for (i = 0; i < sizeof(fwd->excl); i++)
		fwd->excl[i] |= fwd_spec.excl[i];

	return 0;
}

/**
 * fwd_del() - Take what a specification gives out of a table
 * @fwd:	Table
 * @spec:	Specification: rules as they were given, exclusions, a keyword
 * @pasta:	pasta mode
 * @err:	Error message, set on failure
 * @errlen:	Size of @err
 *
 * Return: 0 on success, -1 on failure
 */
static int fwd_del(struct fwd_ports *fwd, const char *spec, bool pasta,
		   char *err, size_t errlen)
{
	char a[FWD_RULE_STRLEN];
	unsigned i, j, port;
	bool keyword;

	memset(&fwd_spec, 0, sizeof(fwd_spec));
	if (fwd_parse_kw(&fwd_spec, spec, pasta, &keyword, err, errlen))
		return -1;

	if (fwd_spec.mode == FWD_NONE)
		return fwd_err(err, errlen, "'none' can't be deleted: clear "
			       "the table instead");

	if (keyword) {
		if (fwd->mode != fwd_spec.mode)
			return fwd_err(err, errlen, "'%s' isn't in use",
				       fwd_mode_str(fwd_spec.mode));
		fwd->mode = FWD_SPEC;
	}

	for (i = 0; i < fwd_spec.nr_rules; i++) {
		const struct fwd_rule *r = &fwd_spec.rules[i];

		for (j = 0; j < fwd->nr_rules; j++) {
			if (fwd_rules_equal(&fwd->rules[j], r))
				break;
		}
		if (j == fwd->nr_rules)
			return fwd_err(err, errlen, "no rule '%s' to delete",
				       fwd_rule_fmt(r, a, sizeof(a)));

		memmove(&fwd->rules[j], &fwd->rules[j + 1],
			(fwd->nr_rules - j - 1) * sizeof(fwd->rules[0]));
		fwd->nr_rules--;
	}

	for (port = 1; port < NUM_PORTS; port++) {
		if (!bitmap_isset(fwd_spec.excl, port))
			continue;
		if (!bitmap_isset(fwd->excl, port))
			return fwd_err(err, errlen, "port %u isn't excluded",
				       port);
		bitmap_clear(fwd->excl, port);
	}

	if (fwd->mode == FWD_SPEC && !fwd->nr_rules)
		fwd->mode = FWD_NONE;

	return 0;
}

/**
 * fwd_opt_table() - Table of an option letter, if it can change here
 * @c:		Execution context
 * @opt:	't', 'u', 'T' or 'U'
 * @err:	Error message, set on failure
 * @errlen:	Size of @err
 *
 * Return: enum fwd_table_id, or -1 on failure
 */
static int fwd_opt_table(const struct ctx *c, char opt, char *err,
			 size_t errlen)
{
	bool tcp = opt == 't' || opt == 'T', out = opt == 'T' || opt == 'U';

	if (opt != 't' && opt != 'u' && opt != 'T' && opt != 'U')
		return fwd_err(err, errlen, "unknown table '%c'", opt);
	if (out && c->mode != MODE_PASTA)
		return fwd_err(err, errlen, "-%c is for pasta only", opt);
	if (out && c->no_splice)
		return fwd_err(err, errlen, "-%c: no forwarding from the "
			       "namespace with --no-splice", opt);
	if (tcp && c->no_tcp)
		return fwd_err(err, errlen, "-%c: TCP is disabled (--no-tcp)",
			       opt);
	if (!tcp && c->no_udp)
		return fwd_err(err, errlen, "-%c: UDP is disabled (--no-udp)",
			       opt);

	return fwd_table_id(tcp ? IPPROTO_TCP : IPPROTO_UDP,
			    out ? PIF_SPLICE : PIF_HOST);
}

/* Tables as a change makes them, before they take effect */
static struct fwd_ports fwd_next[FWD_TABLES];

/**
 * fwd_change() - Change forwarding tables at run time, all or nothing
 * @c:		Execution context
 * @ops:	Changes, in order
 * @n:		Number of changes
 * @err:	Error message, set on failure
 * @errlen:	Size of @err
 *
 * A table given specifications without add or delete is replaced by what
 * they say together, as on the command line. Listening sockets are opened
 * and closed to match; if anything fails, nothing changes.
 *
 * Return: 0 on success, -1 on failure
 */
int fwd_change(struct ctx *c, const struct fwd_op *ops, unsigned n,
	       char *err, size_t errlen)
{
	const struct fwd_ports *new[FWD_TABLES] = { 0 };
	bool pasta = c->mode == MODE_PASTA, replaced[FWD_TABLES] = { 0 };
	unsigned i, t;

	for (i = 0; i < n; i++) {
		const struct fwd_op *op = &ops[i];
		char msg[256];
		int ret = 0;

		if (op->type == FWD_OP_CLEAR) {
			bool host = !strcasecmp(op->arg, "host");

			if (!host && strcasecmp(op->arg, "splice") &&
			    strcasecmp(op->arg, "ns") &&
			    strcasecmp(op->arg, "namespace"))
				return fwd_err(err, errlen, "-C %s: unknown "
					       "interface, 'host' or 'splice'",
					       op->arg);
			if (!host && !pasta)
				return fwd_err(err, errlen, "-C %s: for pasta "
					       "only", op->arg);

			for (t = 0; t < FWD_TABLES; t++) {
				if ((fwd_table_pif(t) == PIF_HOST) != host)
					continue;
				memset(&fwd_next[t], 0, sizeof(fwd_next[t]));
				fwd_next[t].mode = FWD_NONE;
				new[t] = &fwd_next[t];
				replaced[t] = false;
			}
			continue;
		}

		ret = fwd_opt_table(c, op->opt, err, errlen);
		if (ret < 0)
			return -1;
		t = ret;

		if (!new[t]) {
			fwd_next[t] = *fwd_table(c, t);
			new[t] = &fwd_next[t];
		}

		switch (op->type) {
		case FWD_OP_ADD:
			ret = fwd_add(&fwd_next[t], op->arg, pasta,
				      msg, sizeof(msg));
			break;
		case FWD_OP_DEL:
			ret = fwd_del(&fwd_next[t], op->arg, pasta,
				      msg, sizeof(msg));
			break;
		case FWD_OP_REPLACE:
			if (!replaced[t]) {
				memset(&fwd_next[t], 0, sizeof(fwd_next[t]));
				replaced[t] = true;
			}
			ret = fwd_parse(&fwd_next[t], op->arg, pasta,
					msg, sizeof(msg));
			break;
		default:
			return fwd_err(err, errlen, "unknown change %u",
				       op->type);
		}

		if (ret)
			return fwd_err(err, errlen, "%s-%c %s: %s",
				       op->type == FWD_OP_ADD ? "-A " :
				       op->type == FWD_OP_DEL ? "-D " : "",
				       op->opt, op->arg, msg);
	}

	for (t = 0; t < FWD_TABLES; t++) {
		if (new[t] && fwd_next[t].mode == FWD_UNSET)
			fwd_next[t].mode = FWD_NONE;
	}

	if (fwd_sync(c, new, true, err, errlen))
		return -1;

	for (t = 0; t < FWD_TABLES; t++) {
		if (new[t])
			info("Forwarding of %s changed: %s",
			     fwd_table_name(c, t), fwd_mode_str(new[t]->mode));
	}

	return 0;
}

/**
 * fwd_table_name() - Describe a table: protocol, direction, option
 * @c:		Execution context
 * @t:		Table
 *
 * Return: static string
 */
const char *fwd_table_name(const struct ctx *c, unsigned t)
{
	bool pasta = c->mode == MODE_PASTA;

	switch (t) {
	case FWD_TCP_IN:
		return pasta ? "TCP, host to namespace (-t)" :
			       "TCP, host to guest (-t)";
	case FWD_UDP_IN:
		return pasta ? "UDP, host to namespace (-u)" :
			       "UDP, host to guest (-u)";
	case FWD_TCP_OUT:
		return "TCP, namespace to host (-T)";
	default:
		return "UDP, namespace to host (-U)";
	}
}

/**
 * fwd_append() - Append formatted text to a buffer, as far as it fits
 * @buf:	Buffer
 * @size:	Size of @buf
 * @off:	Offset of the terminator, updated
 * @fmt:	printf() format
 */
__attribute__((format(printf, 4, 5)))
static void fwd_append(char *buf, size_t size, size_t *off,
		       const char *fmt, ...)
{
	va_list ap;
	int n;

	if (*off + 1 >= size)
		return;

	va_start(ap, fmt);
	n = vsnprintf(buf + *off, size - *off, fmt, ap);
	va_end(ap);

	if (n > 0)
		*off = MIN(*off + n, size - 1);
}

/**
 * fwd_ports_text() - Append a list of ports as ranges, within a budget
 * @map:	Bitmap of ports
 * @buf:	Buffer
 * @size:	Size of @buf
 * @off:	Offset of the terminator, updated
 */
static void fwd_ports_text(const uint8_t *map, char *buf, size_t size,
			   size_t *off)
{
	unsigned port, first, n = 0, left = 0;

	for (port = 1; port < NUM_PORTS; port++) {
		if (!bitmap_isset(map, port))
			continue;

		first = port;
		while (port + 1 < NUM_PORTS && bitmap_isset(map, port + 1))
			port++;

		if (*off + 64 >= size) {
			left += port - first + 1;
			continue;
		}

		fwd_append(buf, size, off, "%s%u", n++ ? ", " : "", first);
		if (port != first)
			fwd_append(buf, size, off, "-%u", port);
	}

	if (left)
		fwd_append(buf, size, off, ", and %u more", left);
}

/**
 * fwd_show_text() - Describe one forwarding table, for the control socket
 * @c:		Execution context
 * @buf:	Destination
 * @size:	Size of @buf, at least 4 KiB
 * @cursor:	Table to describe, advanced; FWD_TABLES once all are done
 *
 * Tables that don't exist in this mode are skipped.
 *
 * Return: bytes written
 */
size_t fwd_show_text(const struct ctx *c, char *buf, size_t size,
		     unsigned *cursor)
{
	static uint8_t map[BITMAP_BYTES(NUM_PORTS)];
	const struct fwd_ports *fwd;
	char spec[FWD_RULE_STRLEN];
	unsigned t = *cursor, i;
	size_t off = 0;
	bool tcp;

	buf[0] = '\0';
	while (t < FWD_TABLES && fwd_table_pif(t) == PIF_SPLICE &&
	       c->mode != MODE_PASTA)
		t++;
	if (t >= FWD_TABLES) {
		*cursor = FWD_TABLES;
		return 0;
	}
	*cursor = t + 1;

	fwd = fwd_table_const(c, t);
	tcp = fwd_table_proto(t) == IPPROTO_TCP;
	fwd_append(buf, size, &off, "%s: %s\n", fwd_table_name(c, t),
		   (tcp && c->no_tcp) || (!tcp && c->no_udp) ||
		   (fwd_table_pif(t) == PIF_SPLICE && c->no_splice) ?
		   "disabled" : fwd_mode_str(fwd->mode));

	for (i = 0; i < fwd->nr_rules; i++) {
		const struct fwd_rule *r = &fwd->rules[i];
		unsigned ports = r->last - r->first + 1, port, excl = 0;
		unsigned on = fwd_listen_count(t, fwd, i);

		for (port = r->first; port <= r->last; port++)
			excl += bitmap_isset(fwd->excl, port);

		fwd_append(buf, size, &off, "    %-40s ",
			   fwd_rule_fmt(r, spec, sizeof(spec)));
		if (on == ports - excl)
			fwd_append(buf, size, &off, "listening\n");
		else
			fwd_append(buf, size, &off, "listening on %u of %u "
				   "ports\n", on, ports - excl);
	}

	if (fwd->mode == FWD_ALL || fwd->mode == FWD_AUTO) {
		memset(map, 0, sizeof(map));
		fwd_listen_ports(t, map);
		fwd_append(buf, size, &off, "    %s: ",
			   fwd->mode == FWD_ALL ? "all, listening on" :
			   "found bound on the other side, listening on");
		if (fwd_listen_count(t, fwd, FWD_RULE_NONE))
			fwd_ports_text(map, buf, size, &off);
		else
			fwd_append(buf, size, &off, "none");
		fwd_append(buf, size, &off, "\n");
	}

	for (i = 0; i < sizeof(fwd->excl) && !fwd->excl[i]; i++)
		;
	if (i < sizeof(fwd->excl)) {
		fwd_append(buf, size, &off, "    excluded: ");
		fwd_ports_text(fwd->excl, buf, size, &off);
		fwd_append(buf, size, &off, "\n");
	}

	return off;
}
