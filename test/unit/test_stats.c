// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * passt - user-mode networking for virtual machines and namespaces
 *
 * test/unit/test_stats.c - Text form of the global counters: every counter
 * has its line with its value, and what doesn't fit is left out, by lines
 */

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "stats.h"
#include "unit.h"
#include "util.h"

/* Every counter name, in the order stats_text() writes them */
static const char *const names[] = {
	"frames_in", "bytes_in", "frames_out", "bytes_out", "udp_runs_in",
	"udp_to_guest_lost",
	"drop_short", "drop_ethertype", "drop_disabled",
	"drop_malformed_ipv4", "drop_malformed_ipv6", "drop_fragment",
	"drop_loopback", "drop_multicast", "drop_proto", "drop_tail",
	"drop_malformed_l4", "drop_malformed_dhcp", "drop_no_flow",
	"flows_opened_tcp", "flows_opened_tcp_splice", "flows_opened_icmp",
	"flows_opened_icmp6", "flows_opened_udp",
	"flows_closed_tcp", "flows_closed_tcp_splice", "flows_closed_icmp",
	"flows_closed_icmp6", "flows_closed_udp",
};

/**
 * has_line() - Tell if a text has a given line
 * @text:	Text, lines ending with a newline
 * @name:	Counter name
 * @value:	Value expected
 *
 * Return: true if "name value" is a whole line of @text
 */
static bool has_line(const char *text, const char *name, uint64_t value)
{
	char line[128];
	const char *p;

	snprintf(line, sizeof(line), "%s %" PRIu64 "\n", name, value);
	for (p = text; (p = strstr(p, line)); p++) {
		if (p == text || p[-1] == '\n')
			return true;
	}

	return false;
}

/**
 * count_lines() - Count the newlines of a text
 * @text:	Text
 *
 * Return: number of newlines
 */
static size_t count_lines(const char *text)
{
	size_t n = 0;

	for (; *text; text++)
		n += *text == '\n';
	return n;
}

/**
 * set_all() - Give every counter a value of its own
 * @base:	Value of the first counter, the others follow
 */
static void set_all(uint64_t base)
{
	uint64_t *v = (uint64_t *)&stats;
	size_t i;

	for (i = 0; i < sizeof(stats) / sizeof(*v); i++)
		v[i] = base + i;
}

/**
 * main() - Run the checks
 *
 * Return: 0 if all passed
 */
int main(void)
{
	static char buf[8192];
	size_t len, i, n_lines = ARRAY_SIZE(names);
	bool all = true, ordered = true;
	const char *prev = buf;

	CHECK("stats_names_cover_struct",
	      n_lines == 6 + STATS_DROP_MAX + 2 * (FLOW_NUM_TYPES - 1));

	set_all(1000);
	stats.flows_opened[FLOW_TCP_SPLICE] = 424242;
	stats.drops[STATS_DROP_MALFORMED_IPV4] = 3;

	len = stats_text(buf, 4096);
	CHECK("stats_text_returns_length", len == strlen(buf));
	CHECK("stats_text_line_count", count_lines(buf) == n_lines);
	CHECK("stats_text_ends_with_newline", len && buf[len - 1] == '\n');
	CHECK("stats_text_frames_in", has_line(buf, "frames_in", 1000));
	CHECK("stats_text_bytes_in", has_line(buf, "bytes_in", 1001));
	CHECK("stats_text_frames_out", has_line(buf, "frames_out", 1002));
	CHECK("stats_text_bytes_out", has_line(buf, "bytes_out", 1003));
	CHECK("stats_text_drop_malformed_ipv4",
	      has_line(buf, "drop_malformed_ipv4", 3));
	CHECK("stats_text_drop_no_flow",
	      has_line(buf, "drop_no_flow", stats.drops[STATS_DROP_NO_FLOW]));
	CHECK("stats_text_flows_opened_tcp_splice",
	      has_line(buf, "flows_opened_tcp_splice", 424242));
	CHECK("stats_text_flows_closed_udp",
	      has_line(buf, "flows_closed_udp",
		       stats.flows_closed[FLOW_UDP]));

	for (i = 0; i < n_lines; i++) {
		char want[64];
		const char *p;

		snprintf(want, sizeof(want), "%s ", names[i]);
		p = strstr(buf, want);
		if (!p || (p != buf && p[-1] != '\n')) {
			CHECKF(false, "stats_text_has_%s", names[i]);
			all = false;
			continue;
		}
		if (p < prev)
			ordered = false;
		prev = p;
	}
	CHECK("stats_text_has_every_counter", all);
	CHECK("stats_text_in_order", ordered);

	/* Every value at its widest still fits in 4 KiB */
	set_all(UINT64_MAX - 100);
	len = stats_text(buf, 4096);
	CHECK("stats_text_widest_fits_4k",
	      count_lines(buf) == n_lines && len < 4096);
	CHECK("stats_text_widest_value",
	      has_line(buf, "frames_in", UINT64_MAX - 100));

	/* Small buffers: whole lines only, terminated */
	set_all(7);
	len = stats_text(buf, 30);
	CHECK("stats_text_small_whole_lines",
	      len == strlen(buf) && len < 30 &&
	      !strcmp(buf, "frames_in 7\nbytes_in 8\n"));
	memset(buf, 'x', 16);
	len = stats_text(buf, 5);
	CHECK("stats_text_tiny_empty", len == 0 && buf[0] == '\0');
	CHECK("stats_text_zero_size", stats_text(buf, 0) == 0);

	/* Exactly enough, and one byte short, for the whole text */
	len = stats_text(buf, sizeof(buf));
	CHECK("stats_text_exact_size", stats_text(buf, len + 1) == len);
	CHECK("stats_text_one_short",
	      stats_text(buf, len) < len && count_lines(buf) == n_lines - 1);

	return unit_exit();
}
