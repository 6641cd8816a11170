// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * passt - user-mode networking for virtual machines and namespaces
 *
 * test/unit/test_conf.c - resolv.conf, netmask, MAC and search list parsing
 */

#include <string.h>
#include <arpa/inet.h>

#include "conf.h"
#include "unit.h"

static struct resolv_conf r;

/**
 * ns_is() - Compare a parsed name server with an address
 * @i:		Index
 * @text:	Expected address
 *
 * Return: true if equal
 */
static bool ns_is(unsigned i, const char *text)
{
	union inany_addr a;

	if (i >= r.nr_ns || !inany_pton(text, &a))
		return false;
	return inany_equals(&a, &r.ns[i]);
}

/**
 * check_resolv() - resolv.conf parsing
 */
static void check_resolv(void)
{
	resolv_parse("# comment nameserver 192.0.2.9\n"
		     "; another comment\n"
		     "nameserver 192.0.2.1\n"
		     "  nameserver\t192.0.2.2  # trailing\n"
		     "options edns0 trust-ad ndots:2\n"
		     "nameserver 2001:db8::53\n", &r);
	CHECK("resolv_comments_and_options", r.nr_ns == 3 &&
	      ns_is(0, "192.0.2.1") && ns_is(1, "192.0.2.2") &&
	      ns_is(2, "2001:db8::53") && !r.nr_search);

	resolv_parse("nameserver 192.0.2.1\nnameserver 192.0.2.2\n"
		     "nameserver 192.0.2.3\nnameserver 192.0.2.4\n"
		     "nameserver 192.0.2.5\n", &r);
	CHECK("resolv_more_than_three", r.nr_ns == 5 &&
	      ns_is(3, "192.0.2.4") && ns_is(4, "192.0.2.5"));

	resolv_parse("nameserver fe80::1%eth0\nnameserver 2001:db8::1%2\n",
		     &r);
	CHECK("resolv_ipv6_zone", r.nr_ns == 2 && ns_is(0, "fe80::1") &&
	      r.ns_ll[0] && ns_is(1, "2001:db8::1") && r.ns_ll[1]);

	resolv_parse("nameserver 127.0.0.53\r\nsearch a.test b.test.\r\n", &r);
	CHECK("resolv_crlf_trailing_dot", r.nr_ns == 1 &&
	      ns_is(0, "127.0.0.53") && r.nr_search == 2 &&
	      !strcmp(r.search[0].n, "a.test") &&
	      !strcmp(r.search[1].n, "b.test"));

	resolv_parse("search one.test two.test three.test four.test "
		     "five.test six.test seven.test eight.test\n", &r);
	CHECK("resolv_long_search_list", r.nr_search == DNS_SEARCH_MAX &&
	      !strcmp(r.search[5].n, "six.test"));

	resolv_parse("search a.test\ndomain d.test\n", &r);
	CHECK("resolv_domain_overrides_search", r.nr_search == 1 &&
	      !strcmp(r.search[0].n, "d.test"));
	resolv_parse("domain d.test\nsearch s1.test s2.test\n", &r);
	CHECK("resolv_search_overrides_domain", r.nr_search == 2 &&
	      !strcmp(r.search[0].n, "s1.test"));

	resolv_parse("nameserver not-an-address\nnameserver\n"
		     "nameserver 999.1.1.1\nnameserver 192.0.2.7", &r);
	CHECK("resolv_garbage_skipped_last_line_unterminated",
	      r.nr_ns == 1 && ns_is(0, "192.0.2.7"));

	resolv_parse("", &r);
	CHECK("resolv_empty", !r.nr_ns && !r.nr_search);
}

/**
 * check_netmask() - Netmask and prefix length parsing
 */
static void check_netmask(void)
{
	int p = -1;

	CHECK("netmask_dotted", !conf_parse_netmask("255.255.255.0", &p) &&
	      p == 24);
	CHECK("netmask_dotted_zero", !conf_parse_netmask("0.0.0.0", &p) &&
	      p == 0);
	CHECK("netmask_dotted_full",
	      !conf_parse_netmask("255.255.255.255", &p) && p == 32);
	CHECK("netmask_prefix", !conf_parse_netmask("16", &p) && p == 16);
	CHECK("netmask_non_contiguous",
	      conf_parse_netmask("0.255.0.255", &p) == -1);
	CHECK("netmask_hole", conf_parse_netmask("255.0.255.0", &p) == -1);
	CHECK("netmask_prefix_33", conf_parse_netmask("33", &p) == -1);
	CHECK("netmask_prefix_overflow",
	      conf_parse_netmask("4294967320", &p) == -1);
	CHECK("netmask_prefix_negative", conf_parse_netmask("-1", &p) == -1);
	CHECK("netmask_empty", conf_parse_netmask("", &p) == -1);
	CHECK("netmask_garbage", conf_parse_netmask("24x", &p) == -1);
}

/**
 * check_mac() - MAC address parsing
 */
static void check_mac(void)
{
	unsigned char m[6];

	CHECK("mac_valid", !conf_parse_mac("52:54:00:12:34:5a", m) &&
	      m[0] == 0x52 && m[5] == 0x5a);
	CHECK("mac_short", conf_parse_mac("52:54:00:12:34", m) == -1);
	CHECK("mac_long", conf_parse_mac("52:54:00:12:34:56:78", m) == -1);
	CHECK("mac_not_hex", conf_parse_mac("zz:54:00:12:34:56", m) == -1);
	CHECK("mac_multicast", conf_parse_mac("01:00:5e:00:00:01", m) == -1);
	CHECK("mac_zero", conf_parse_mac("00:00:00:00:00:00", m) == -1);
	CHECK("mac_separator", conf_parse_mac("52-54-00-12-34-56", m) == -1);
}

/**
 * check_search() - Search list parsing for -S
 */
static void check_search(void)
{
	struct dns_name l[DNS_SEARCH_MAX];

	CHECK("search_spaces_commas",
	      conf_parse_search("a.test, b.test c.test.", l,
				DNS_SEARCH_MAX) == 3 &&
	      !strcmp(l[2].n, "c.test") && !l[3].n[0]);
	CHECK("search_too_many", conf_parse_search("a b c d e f g", l,
						   DNS_SEARCH_MAX) == -1);
	CHECK("search_bad_label", conf_parse_search("a..b", l,
						    DNS_SEARCH_MAX) == -1);
	CHECK("search_bad_char", conf_parse_search("a!b", l,
						   DNS_SEARCH_MAX) == -1);
}

/**
 * main() - Run the checks
 *
 * Return: 0 if all passed
 */
int main(void)
{
	check_resolv();
	check_netmask();
	check_mac();
	check_search();

	return unit_exit();
}
