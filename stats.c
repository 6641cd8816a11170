// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * passt - user-mode networking for virtual machines and namespaces
 *
 * stats.c - Global traffic counters, and their text form
 *
 * The counters are plain increments where things happen: frames in and out
 * and drops in tap.c (and the protocol handlers it passes frames to), flows
 * opened and closed in flow.c. Nothing here runs on the data path but
 * stats_drop(); stats_text() is for whoever asks.
 */

#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <syslog.h>

#include "log.h"
#include "stats.h"

struct stats stats;

/* Names of the drop reasons, without the "drop_" prefix */
static const char *const stats_drop_str[STATS_DROP_MAX] = {
	[STATS_DROP_SHORT]		= "short",
	[STATS_DROP_ETHERTYPE]		= "ethertype",
	[STATS_DROP_DISABLED]		= "disabled",
	[STATS_DROP_MALFORMED_IPV4]	= "malformed_ipv4",
	[STATS_DROP_MALFORMED_IPV6]	= "malformed_ipv6",
	[STATS_DROP_FRAGMENT]		= "fragment",
	[STATS_DROP_LOOPBACK]		= "loopback",
	[STATS_DROP_MULTICAST]		= "multicast",
	[STATS_DROP_PROTO]		= "proto",
	[STATS_DROP_TAIL]		= "tail",
	[STATS_DROP_MALFORMED_L4]	= "malformed_l4",
	[STATS_DROP_MALFORMED_DHCP]	= "malformed_dhcp",
	[STATS_DROP_NO_FLOW]		= "no_flow",
};

/* Names of the flow types, in counter names (snake case) */
static const char *const stats_flow_str[FLOW_NUM_TYPES] = {
	[FLOW_TYPE_NONE]	= NULL,		/* Never counted */
	[FLOW_TCP]		= "tcp",
	[FLOW_TCP_SPLICE]	= "tcp_splice",
	[FLOW_PING4]		= "icmp",
	[FLOW_PING6]		= "icmp6",
	[FLOW_UDP]		= "udp",
};

/**
 * stats_line() - Append one "name value" line, if it fits with the NUL
 * @buf:	Buffer
 * @size:	Size of @buf, non-zero
 * @off:	Bytes of @buf used so far (not counting the NUL), updated
 * @prefix:	First part of the name
 * @name:	Rest of the name, may be empty
 * @value:	Value
 *
 * Return: 0 if the line was added, -1 if it didn't fit (nothing added)
 */
static int stats_line(char *buf, size_t size, size_t *off, const char *prefix,
		      const char *name, uint64_t value)
{
	size_t room = size - *off;
	int n;

	n = snprintf(buf + *off, room, "%s%s %" PRIu64 "\n", prefix, name,
		     value);
	if (n < 0 || (size_t)n >= room) {
		buf[*off] = '\0';
		return -1;
	}

	*off += n;
	return 0;
}

/**
 * stats_text() - Write all counters as text, one "name value" per line
 * @buf:	Buffer
 * @size:	Its size: 4 KiB always takes every counter
 *
 * Lines: frames_in, bytes_in, frames_out, bytes_out, udp_runs_in,
 * udp_to_guest_lost, drop_<reason> for each
 * enum stats_drop, flows_opened_<type> and flows_closed_<type> for each flow
 * type. Lines that don't fit are left out, from the first one on.
 *
 * Return: bytes written, not counting the terminating NUL, always written
 *	   if @size is not zero
 */
size_t stats_text(char *buf, size_t size)
{
	size_t off = 0;
	unsigned i;

	if (!size)
		return 0;
	buf[0] = '\0';

	if (stats_line(buf, size, &off, "frames_in", "", stats.frames_in) ||
	    stats_line(buf, size, &off, "bytes_in", "", stats.bytes_in) ||
	    stats_line(buf, size, &off, "frames_out", "", stats.frames_out) ||
	    stats_line(buf, size, &off, "bytes_out", "", stats.bytes_out) ||
	    stats_line(buf, size, &off, "udp_runs_in", "", stats.udp_runs_in) ||
	    stats_line(buf, size, &off, "udp_to_guest_lost", "",
		       stats.udp_to_guest_lost))
		return off;

	for (i = 0; i < STATS_DROP_MAX; i++) {
		if (stats_line(buf, size, &off, "drop_", stats_drop_str[i],
			       stats.drops[i]))
			return off;
	}

	for (i = 0; i < FLOW_NUM_TYPES; i++) {
		if (!stats_flow_str[i])
			continue;
		if (stats_line(buf, size, &off, "flows_opened_",
			       stats_flow_str[i], stats.flows_opened[i]))
			return off;
	}

	for (i = 0; i < FLOW_NUM_TYPES; i++) {
		if (!stats_flow_str[i])
			continue;
		if (stats_line(buf, size, &off, "flows_closed_",
			       stats_flow_str[i], stats.flows_closed[i]))
			return off;
	}

	return off;
}

/**
 * stats_report() - Log the counters that moved, every --stats DELAY seconds
 * @c:		Execution context, unused
 * @now:	Current time, unused
 *
 * One message: traffic counters always, the others if not zero.
 */
void stats_report(struct ctx *c, const struct timespec *now)
{
	static char text[4096];
	char line[1024], *p, *nl;
	size_t off = 0;
	int n;

	(void)c;
	(void)now;

	stats_text(text, sizeof(text));
	line[0] = '\0';
	for (p = text; (nl = strchr(p, '\n')); p = nl + 1) {
		bool traffic = !strncmp(p, "frames_", 7) ||
			       !strncmp(p, "bytes_", 6);
		const char *v = strchr(p, ' ');

		*nl = '\0';
		if (!traffic && v && v < nl && !strcmp(v, " 0"))
			continue;
		n = snprintf(line + off, sizeof(line) - off, "%s%s",
			     off ? ", " : "", p);
		if (n < 0 || (size_t)n >= sizeof(line) - off)
			break;
		off += n;
	}

	logmsg(LOG_NOTICE, "Counters: %s", line);
}
