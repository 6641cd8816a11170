// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * passt - user-mode networking for virtual machines and namespaces
 *
 * test/unit/test_fwd.c - Port forwarding specification parsing
 */

#include <stdio.h>
#include <string.h>
#include <arpa/inet.h>

#include "fwd.h"
#include "unit.h"

static struct fwd_ports f;
static char err[256];

/**
 * parse() - Parse a specification into a fresh table
 * @spec:	Specification
 * @pasta:	pasta mode
 *
 * Return: fwd_parse() result
 */
static int parse(const char *spec, bool pasta)
{
	memset(&f, 0, sizeof(f));
	err[0] = '\0';
	return fwd_parse(&f, spec, pasta, err, sizeof(err));
}

/**
 * rule_is() - Compare a rule with expected values
 * @i:		Rule index
 * @first:	First port
 * @last:	Last port
 * @to:		Target of first port
 * @af:		Address family
 * @addr:	Address text, or NULL
 * @ifname:	Interface name
 *
 * Return: true if the rule matches
 */
static bool rule_is(unsigned i, unsigned first, unsigned last, unsigned to,
		    int af, const char *addr, const char *ifname)
{
	const struct fwd_rule *r = &f.rules[i];
	union inany_addr a;

	if (i >= f.nr_rules)
		return false;
	if (r->first != first || r->last != last || r->to != to ||
	    r->af != af || strcmp(r->ifname, ifname))
		return false;
	if (!addr)
		return true;
	inany_pton(addr, &a);
	return inany_equals(&a, &r->addr);
}

/**
 * check_rules_max() - As many rules as epoll references can tell from none
 */
static void check_rules_max(void)
{
	char spec[16];
	unsigned i;
	int ret = 0;

	memset(&f, 0, sizeof(f));
	for (i = 0; i < FWD_RULES_MAX && !ret; i++) {
		snprintf(spec, sizeof(spec), "%u", 1000 + i);
		ret = fwd_parse(&f, spec, true, err, sizeof(err));
	}
	CHECK("spec_rules_max_fit", !ret && f.nr_rules == FWD_RULES_MAX &&
	      f.nr_rules - 1 < FWD_RULE_NONE);
	CHECK("spec_rules_max_one_more_refused",
	      fwd_parse(&f, "2000", true, err, sizeof(err)) &&
	      f.nr_rules == FWD_RULES_MAX);
}

/**
 * check_valid() - Forms that must parse, with their parsed result
 */
static void check_valid(void)
{
	CHECK("spec_single_port", !parse("22", false) && f.mode == FWD_SPEC &&
	      f.nr_rules == 1 && rule_is(0, 22, 22, 22, AF_UNSPEC, NULL, ""));
	CHECK("spec_range", !parse("8000-8010", false) &&
	      rule_is(0, 8000, 8010, 8000, AF_UNSPEC, NULL, ""));
	CHECK("spec_map_single", !parse("8080:80", false) &&
	      rule_is(0, 8080, 8080, 80, AF_UNSPEC, NULL, "") &&
	      fwd_rule_target(&f.rules[0], 8080) == 80);
	CHECK("spec_map_range", !parse("1000-1010:2000-2010", false) &&
	      rule_is(0, 1000, 1010, 2000, AF_UNSPEC, NULL, "") &&
	      fwd_rule_target(&f.rules[0], 1005) == 2005);
	CHECK("spec_max_port", !parse("65535", false) &&
	      rule_is(0, 65535, 65535, 65535, AF_UNSPEC, NULL, ""));
	CHECK("spec_addr4", !parse("192.0.2.1/80", false) &&
	      rule_is(0, 80, 80, 80, AF_INET, "192.0.2.1", ""));
	CHECK("spec_addr6", !parse("2001:db8::1/80-81:90-91", false) &&
	      rule_is(0, 80, 81, 90, AF_INET6, "2001:db8::1", ""));
	CHECK("spec_addr_ifname", !parse("192.0.2.1%eth0/22", false) &&
	      rule_is(0, 22, 22, 22, AF_INET, "192.0.2.1", "eth0"));
	CHECK("spec_ifname_only", !parse("%lo/22", false) &&
	      rule_is(0, 22, 22, 22, AF_UNSPEC, NULL, "lo"));
	CHECK("spec_list_with_exclusion", !parse("22,80-90,~85", false) &&
	      f.mode == FWD_SPEC && f.nr_rules == 2 &&
	      rule_is(0, 22, 22, 22, AF_UNSPEC, NULL, "") &&
	      rule_is(1, 80, 90, 80, AF_UNSPEC, NULL, "") &&
	      bitmap_isset(f.excl, 85) && !bitmap_isset(f.excl, 84) &&
	      !bitmap_isset(f.excl, 86));
	CHECK("spec_exclusion_only_means_all", !parse("~22", false) &&
	      f.mode == FWD_ALL && !f.nr_rules && bitmap_isset(f.excl, 22));
	CHECK("spec_exclusion_range", !parse("~100-200", false) &&
	      bitmap_isset(f.excl, 100) && bitmap_isset(f.excl, 200) &&
	      !bitmap_isset(f.excl, 99) && !bitmap_isset(f.excl, 201));
	CHECK("spec_none", !parse("none", false) && f.mode == FWD_NONE);
	CHECK("spec_none_twice", !parse("none", true) &&
	      !fwd_parse(&f, "none", true, err, sizeof(err)) &&
	      f.mode == FWD_NONE);
	CHECK("spec_all_passt", !parse("all", false) && f.mode == FWD_ALL);
	CHECK("spec_all_with_exclusion", !parse("all,~22", false) &&
	      f.mode == FWD_ALL && bitmap_isset(f.excl, 22));
	CHECK("spec_auto_pasta", !parse("auto", true) && f.mode == FWD_AUTO);
	CHECK("spec_auto_with_items", !parse("auto,~22,8080", true) &&
	      f.mode == FWD_AUTO && bitmap_isset(f.excl, 22) &&
	      rule_is(0, 8080, 8080, 8080, AF_UNSPEC, NULL, ""));
	CHECK("spec_repeated_options_add_up", !parse("22", false) &&
	      !fwd_parse(&f, "80:8080", false, err, sizeof(err)) &&
	      f.nr_rules == 2 && rule_is(1, 80, 80, 8080, AF_UNSPEC, NULL, ""));
	CHECK("spec_same_port_other_addresses",
	      !parse("192.0.2.1/80,192.0.2.2/80", false) && f.nr_rules == 2);
	CHECK("spec_podman_style",
	      !parse("127.0.0.1/8080-8081:80-81", true) &&
	      rule_is(0, 8080, 8081, 80, AF_INET, "127.0.0.1", ""));

	check_rules_max();

	memset(&f, 0, sizeof(f));
	fwd_finalise(&f, true);
	CHECK("spec_default_pasta_auto", f.mode == FWD_AUTO);
	memset(&f, 0, sizeof(f));
	fwd_finalise(&f, false);
	CHECK("spec_default_passt_none", f.mode == FWD_NONE);
}

/**
 * check_invalid() - Forms that must be refused with a message
 */
static void check_invalid(void)
{
	static const struct {
		const char *name, *spec;
		bool pasta;
	} bad[] = {
		{ "spec_port_zero", "0", false },
		{ "spec_port_65536", "65536", false },
		{ "spec_port_huge", "4294967376", false },
		{ "spec_range_inverted", "90-80", false },
		{ "spec_range_mismatched", "80-90:100-105", false },
		{ "spec_range_to_single", "80-90:100", false },
		{ "spec_target_zero", "80:0", false },
		{ "spec_target_missing", "80:", false },
		{ "spec_range_open_end", "5-", false },
		{ "spec_range_open_start", "-5", false },
		{ "spec_not_a_number", "http", false },
		{ "spec_trailing_garbage", "80x", false },
		{ "spec_empty", "", false },
		{ "spec_empty_item", "22,,23", false },
		{ "spec_trailing_comma", "22,", false },
		{ "spec_exclusion_empty", "~", false },
		{ "spec_exclusion_zero", "~0", false },
		{ "spec_exclusion_mapped", "~80:90", false },
		{ "spec_bad_address", "1.2.3/80", false },
		{ "spec_empty_address", "/80", false },
		{ "spec_ifname_too_long", "%abcdefghijklmnopq/80", false },
		{ "spec_overlap", "22,20-25", false },
		{ "spec_duplicate", "22,22", false },
		{ "spec_all_in_pasta", "all", true },
		{ "spec_auto_in_passt", "auto", false },
		{ "spec_all_with_ports", "all,80", false },
		{ "spec_keyword_not_first", "80,all", false },
	};
	unsigned i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		CHECKF(parse(bad[i].spec, bad[i].pasta) == -1 && *err,
		       "%s ('%s')", bad[i].name, bad[i].spec);

	CHECK("spec_none_after_ports", !parse("22", false) &&
	      fwd_parse(&f, "none", false, err, sizeof(err)) == -1);
	CHECK("spec_ports_after_none", !parse("none", false) &&
	      fwd_parse(&f, "22", false, err, sizeof(err)) == -1);
	CHECK("spec_overlap_across_options", !parse("22", false) &&
	      fwd_parse(&f, "20-30", false, err, sizeof(err)) == -1);
	CHECK("spec_error_names_value", !parse("90-80", false) ||
	      strstr(err, "90-80"));
}

/**
 * main() - Run the checks
 *
 * Return: 0 if all passed
 */
int main(void)
{
	check_valid();
	check_invalid();

	return unit_exit();
}
