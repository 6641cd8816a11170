// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * passt - user-mode networking for virtual machines and namespaces
 *
 * test/unit/test_flow_list.c - The listing of live flows: endpoints, states,
 * byte counts and ages are there; a small buffer stops it at a line, and
 * going on from the cursor loses no line and repeats none. Flows opened and
 * closed are counted by type.
 */

#include <stdio.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>

#include "flow.h"
#include "flow_table.h"
#include "passt.h"
#include "stats.h"
#include "unit.h"

/**
 * addr() - Parse an address, for the test's own use
 * @s:		Text
 *
 * Return: the address
 */
static union inany_addr addr(const char *s)
{
	union inany_addr a;

	inany_pton(s, &a);
	return a;
}

/**
 * side_set() - Fill in one side of a flow
 * @flow:	Entry
 * @side:	INISIDE or TGTSIDE
 * @pif:	Interface
 * @ea:		Endpoint address
 * @ep:		Endpoint port
 * @oa:		Our address
 * @op:		Our port
 */
static void side_set(union flow *flow, int side, uint8_t pif, const char *ea,
		     in_port_t ep, const char *oa, in_port_t op)
{
	flow->f.pif[side] = pif;
	flow->f.side[side].eaddr = addr(ea);
	flow->f.side[side].eport = ep;
	flow->f.side[side].oaddr = addr(oa);
	flow->f.side[side].oport = op;
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
 * longest_line() - Length of the longest line of a text, newline included
 * @text:	Text
 *
 * Return: length
 */
static size_t longest_line(const char *text)
{
	size_t max = 0, cur = 0;

	for (; *text; text++) {
		cur++;
		if (*text == '\n') {
			max = cur > max ? cur : max;
			cur = 0;
		}
	}
	return cur > max ? cur : max;
}

/**
 * line_of() - The line of the listing for a flow index
 * @text:	Listing
 * @idx:	Flow index
 * @line:	Line, copied without its newline
 * @size:	Size of @line
 *
 * Return: true if found
 */
static bool line_of(const char *text, unsigned idx, char *line, size_t size)
{
	const char *p, *end;
	char want[16];

	snprintf(want, sizeof(want), "%u ", idx);
	for (p = text; *p; p = end + 1) {
		end = strchr(p, '\n');
		if (!end)
			return false;
		if (!strncmp(p, want, strlen(want))) {
			snprintf(line, size, "%.*s", (int)(end - p), p);
			return true;
		}
	}
	return false;
}

/**
 * list_all() - The whole listing, in pieces of at most @size bytes
 * @out:	Concatenation of the pieces, set
 * @out_size:	Size of @out
 * @size:	Size of the buffer handed to each call
 * @now:	Current time
 * @calls:	Number of calls it took, set
 *
 * Return: true if the listing completed with progress at every call
 */
static bool list_all(char *out, size_t out_size, size_t size,
		     const struct timespec *now, unsigned *calls)
{
	unsigned cursor = 0, last = 0;
	char piece[4096];
	size_t off = 0;

	*calls = 0;
	out[0] = '\0';
	while (cursor < flow_span()) {
		size_t len = flow_list_text(piece, size, &cursor, now);

		(*calls)++;
		if (len != strlen(piece) || len >= size ||
		    off + len >= out_size)
			return false;
		if (*calls > 1 && cursor <= last)
			return false;		/* No progress */
		if (len && piece[len - 1] != '\n')
			return false;		/* Not a whole line */
		memcpy(out + off, piece, len + 1);
		off += len;
		last = cursor;
	}

	return true;
}

/**
 * main() - Run the checks
 *
 * Return: 0 if all passed
 */
int main(void)
{
	struct timespec t0 = { .tv_sec = 1000, .tv_nsec = 0 };
	struct timespec now = { .tv_sec = 1042, .tv_nsec = 500000000 };
	static char full[65536], pieces[65536], buf[4096];
	union inany_addr gsrc = addr("192.0.2.15"), gdst = addr("203.0.113.34");
	union flow *tcp, *freed, *udp, *splice, *ping, *wide;
	size_t len, header_len, first_len;
	unsigned cursor, calls, i;
	char line[512];
	bool ok;

	flow_init(FLOW_MAX);

	/* 0: TCP from the guest, established, some data each way */
	tcp = flow_alloc();
	flow_from_tap(tcp, FLOW_TCP, IPPROTO_TCP, &gsrc, 40000, &gdst, 80,
		      &gdst, &t0);
	tcp->tcp.events = CONN_ESTABLISHED;
	tcp->f.bytes[INISIDE] = 1234;
	tcp->f.bytes[TGTSIDE] = 5678901;
	CHECK("flow_opened_counted_tcp", stats.flows_opened[FLOW_TCP] == 1);

	/* 1: freed before the listing, never typed: not counted either way */
	freed = flow_alloc();
	flow_free(freed);
	CHECK("flow_untyped_free_not_counted",
	      stats.flows_closed[FLOW_TYPE_NONE] == 0 &&
	      stats.flows_closed[FLOW_TCP] == 0);

	/* 2: UDP over IPv6, forwarded from the host to the guest */
	udp = flow_alloc();
	flow_start(udp, FLOW_UDP, IPPROTO_UDP, &t0);
	side_set(udp, INISIDE, PIF_HOST, "2001:db8::1", 5353, "::", 53);
	side_set(udp, TGTSIDE, PIF_TAP, "fe80::2", 53, "2001:db8::1", 5353);
	udp->f.bytes[INISIDE] = 77;

	/* 3: spliced TCP, still connecting */
	splice = flow_alloc();
	flow_start(splice, FLOW_TCP_SPLICE, IPPROTO_TCP, &now);
	side_set(splice, INISIDE, PIF_HOST, "127.0.0.1", 33333, "127.0.0.1",
		 8080);
	side_set(splice, TGTSIDE, PIF_SPLICE, "127.0.0.1", 80, "0.0.0.0", 0);
	splice->tcp_splice.events = SPLICE_CONNECT;

	/* 4: ICMPv6 echo */
	ping = flow_alloc();
	flow_start(ping, FLOW_PING6, IPPROTO_ICMPV6, &t0);
	side_set(ping, INISIDE, PIF_TAP, "fd00::2", 7, "2001:db8::ff", 0);
	side_set(ping, TGTSIDE, PIF_HOST, "2001:db8::ff", 0, "::", 9);

	CHECK("flow_opened_counted_by_type",
	      stats.flows_opened[FLOW_TCP] == 1 &&
	      stats.flows_opened[FLOW_UDP] == 1 &&
	      stats.flows_opened[FLOW_TCP_SPLICE] == 1 &&
	      stats.flows_opened[FLOW_PING6] == 1 &&
	      stats.flows_opened[FLOW_PING4] == 0);
	CHECK("flow_start_time", tcp->f.start_ms == 1000000 &&
	      splice->f.start_ms == 1042500);

	/* The whole listing at once */
	cursor = 0;
	len = flow_list_text(full, sizeof(full), &cursor, &now);
	CHECK("flow_list_length", len == strlen(full));
	CHECK("flow_list_done", cursor >= flow_span());
	CHECK("flow_list_header_first", !strncmp(full, "flow ", 5));
	CHECK("flow_list_line_count", count_lines(full) == 1 + 4);
	CHECK("flow_list_lines_short", longest_line(full) < 256);

	ok = line_of(full, 0, line, sizeof(line));
	CHECK("flow_list_tcp_line", ok);
	CHECK("flow_list_tcp_type", ok && strstr(line, " tcp "));
	CHECK("flow_list_tcp_guest",
	      ok && strstr(line, " tap ") && strstr(line, "192.0.2.15:40000"));
	CHECK("flow_list_tcp_remote",
	      ok && strstr(line, " host ") && strstr(line, "203.0.113.34:80"));
	CHECK("flow_list_tcp_state", ok && strstr(line, " established "));
	CHECK("flow_list_tcp_bytes",
	      ok && strstr(line, " 1234 ") && strstr(line, " 5678901 "));
	CHECK("flow_list_tcp_age", ok && !strcmp(line + strlen(line) - 3, " 42"));
	CHECK("flow_list_freed_skipped", !line_of(full, 1, line, sizeof(line)));

	ok = line_of(full, 2, line, sizeof(line));
	CHECK("flow_list_udp_line", ok && strstr(line, " udp ") &&
	      strstr(line, "[2001:db8::1]:5353") &&
	      strstr(line, "[fe80::2]:53") && strstr(line, "*:53") &&
	      strstr(line, " active ") && strstr(line, " 77 "));

	ok = line_of(full, 3, line, sizeof(line));
	CHECK("flow_list_splice_line", ok && strstr(line, " tcp-splice ") &&
	      strstr(line, "127.0.0.1:33333") && strstr(line, " ns ") &&
	      strstr(line, " connecting ") && strstr(line, " * "));
	CHECK("flow_list_splice_age_zero", ok &&
	      !strcmp(line + strlen(line) - 2, " 0"));

	ok = line_of(full, 4, line, sizeof(line));
	CHECK("flow_list_ping_line", ok && strstr(line, " icmp6 ") &&
	      strstr(line, "[fd00::2]:7") && strstr(line, "[2001:db8::ff]:0"));

	/* In pieces: the same text, whatever the piece size, from 512 bytes
	 * (the header and a line together, at most), one line a piece at
	 * first, then more
	 */
	for (i = 512; i <= strlen(full); i += 23) {
		ok = list_all(pieces, sizeof(pieces), i, &now, &calls);
		CHECKF(ok && !strcmp(pieces, full) && calls > 1,
		       "flow_list_pieces_%u_bytes_same_text", i);
	}
	ok = list_all(pieces, sizeof(pieces), sizeof(full), &now, &calls);
	CHECK("flow_list_one_piece", ok && calls == 1 && !strcmp(pieces, full));

	/* Header and first line: exactly enough room, then one byte less */
	header_len = strchr(full, '\n') + 1 - full;
	first_len = strchr(full + header_len, '\n') + 1 - full;
	cursor = 0;
	len = flow_list_text(buf, first_len + 1, &cursor, &now);
	CHECK("flow_list_exact_room", len == first_len &&
	      !strncmp(buf, full, len));
	CHECK("flow_list_cursor_past_free", cursor == 2);
	len = flow_list_text(buf, sizeof(buf), &cursor, &now);
	CHECK("flow_list_resume_no_header", len && strncmp(buf, "flow ", 5) &&
	      !strcmp(buf, full + first_len));

	cursor = 0;
	len = flow_list_text(buf, first_len, &cursor, &now);
	CHECK("flow_list_header_not_alone", len == 0 && cursor == 0 &&
	      buf[0] == '\0');

	cursor = 0;
	len = flow_list_text(buf, 10, &cursor, &now);
	CHECK("flow_list_tiny_buffer", len == 0 && cursor == 0 && !buf[0]);
	CHECK("flow_list_zero_size",
	      flow_list_text(buf, 0, &cursor, &now) == 0 && cursor == 0);

	/* From the middle: the flow at the cursor first, no header */
	cursor = 3;
	len = flow_list_text(buf, sizeof(buf), &cursor, &now);
	CHECK("flow_list_from_cursor", !strncmp(buf, "3 ", 2) &&
	      count_lines(buf) == 2 && cursor >= flow_span());

	/* Long IPv6 addresses: no padding then, the line stays whole */
	wide = flow_alloc();
	flow_start(wide, FLOW_UDP, IPPROTO_UDP, &t0);
	side_set(wide, INISIDE, PIF_SPLICE,
		 "2001:db8:1111:2222:3333:4444:5555:6666", 65535,
		 "2001:db8:aaaa:bbbb:cccc:dddd:eeee:ffff", 65535);
	side_set(wide, TGTSIDE, PIF_SPLICE,
		 "2001:db8:1111:2222:3333:4444:5555:7777", 65535,
		 "2001:db8:aaaa:bbbb:cccc:dddd:eeee:fffe", 65535);
	wide->f.bytes[INISIDE] = 123456789;
	cursor = flow_idx(wide);
	len = flow_list_text(buf, sizeof(buf), &cursor, &now);
	CHECK("flow_list_long_ipv6_line_whole",
	      len && len < 256 && count_lines(buf) == 1 &&
	      strstr(buf, " 123456789 0 42\n"));
	flow_free(wide);

	/* The widest line there can be is still cut below 256 bytes */
	wide = flow_alloc();
	flow_start(wide, FLOW_UDP, IPPROTO_UDP, &t0);
	side_set(wide, INISIDE, PIF_SPLICE,
		 "2001:db8:1111:2222:3333:4444:5555:6666", 65535,
		 "2001:db8:aaaa:bbbb:cccc:dddd:eeee:ffff", 65535);
	side_set(wide, TGTSIDE, PIF_SPLICE,
		 "2001:db8:1111:2222:3333:4444:5555:7777", 65535,
		 "2001:db8:aaaa:bbbb:cccc:dddd:eeee:fffe", 65535);
	wide->f.bytes[INISIDE] = wide->f.bytes[TGTSIDE] = UINT64_MAX;
	cursor = flow_idx(wide);
	len = flow_list_text(buf, sizeof(buf), &cursor, &now);
	CHECK("flow_list_widest_line_cut",
	      len && len < 256 && buf[len - 1] == '\n' &&
	      count_lines(buf) == 1);

	/* Closed, by type */
	flow_free(tcp);
	flow_free(splice);
	CHECK("flow_closed_counted_by_type",
	      stats.flows_closed[FLOW_TCP] == 1 &&
	      stats.flows_closed[FLOW_TCP_SPLICE] == 1 &&
	      stats.flows_closed[FLOW_UDP] == 1);
	cursor = 0;
	flow_list_text(full, sizeof(full), &cursor, &now);
	CHECK("flow_list_closed_gone", count_lines(full) == 1 + 3 &&
	      !line_of(full, 0, line, sizeof(line)) &&
	      !line_of(full, 3, line, sizeof(line)));

	return unit_exit();
}
