// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * passt - user-mode networking for virtual machines and namespaces
 *
 * conf.c - Command line, and the configuration derived from the host
 *
 * Options are parsed in one pass into the context; every error names the
 * option and the offending value, and exits with status 1. Whatever the
 * command line leaves open is then taken from the host: the template
 * interface of each address family (the one with the default route), its
 * address, prefix length, gateway, MTU and MAC address; and the name
 * servers and search domains of /etc/resolv.conf (resolv.c).
 */

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <grp.h>
#include <libgen.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <net/if.h>
#include <sys/stat.h>

#include "conf.h"
#include "dnsname.h"
#include "fwd.h"
#include "ip.h"
#include "log.h"
#include "netlink.h"
#include "passt.h"
#include "quit.h"
#include "util.h"
#include "vhost_user.h"

#define NOBODY_ID		65534

/* Local mode, with no interface of the host to copy from: see conf_local() */
#define LOCAL_ADDR4		"169.254.2.1"
#define LOCAL_GW4		"169.254.2.2"
#define LOCAL_PREFIX4		16
#define LOCAL_GW6		"fe80::1"

/* Fallback MAC address, locally administered: 02:"passt" */
static const unsigned char mac_fallback[ETH_ALEN] = {
	0x02, 0x70, 0x61, 0x73, 0x73, 0x74
};

/**
 * enum conf_opt - Identifiers of options without a short form
 */
enum conf_opt {
	OPT_TRACE = 256,
	OPT_LOG_SIZE,
	OPT_RUNAS,
	OPT_VERSION,
	OPT_OUTBOUND_IF4,
	OPT_OUTBOUND_IF6,
	OPT_DNS_FORWARD,
	OPT_DNS_HOST,
	OPT_NO_DHCP_DNS,
	OPT_DHCP_DNS,
	OPT_NO_DHCP_SEARCH,
	OPT_DHCP_SEARCH,
	OPT_NO_TCP,
	OPT_NO_UDP,
	OPT_NO_ICMP,
	OPT_NO_DHCP,
	OPT_NO_NDP,
	OPT_NO_DHCPV6,
	OPT_NO_RA,
	OPT_FREEBIND,
	OPT_NO_MAP_GW,
	OPT_MAP_HOST_LOOPBACK,
	OPT_MAP_GUEST_ADDR,
	OPT_FQDN,
	OPT_USERNS,
	OPT_NETNS,
	OPT_NETNS_ONLY,
	OPT_NO_NETNS_QUIT,
	OPT_CONFIG_NET,
	OPT_NS_MAC_ADDR,
	OPT_NO_SPLICE,
	OPT_HOST_LO_TO_NS_LO,
	OPT_NSRUN_DIR,
	OPT_NO_COPY_ROUTES,
	OPT_NO_COPY_ADDRS,
	OPT_EXIT_GRACE,
	OPT_CHROOT_FALLBACK,
	OPT_SPLICE_ONLY,
	OPT_VHOST_USER,
	OPT_PRINT_CAPABILITIES,
	OPT_REPAIR_PATH,
	OPT_STATS,
	OPT_NO_FOLLOW_HOST,
	OPT_NO_MCAST,
};

static const struct option options[] = {
	{ "debug",		no_argument,		NULL, 'd' },
	{ "trace",		no_argument,		NULL, OPT_TRACE },
	{ "quiet",		no_argument,		NULL, 'q' },
	{ "foreground",		no_argument,		NULL, 'f' },
	{ "stderr",		no_argument,		NULL, 'e' },
	{ "log-file",		required_argument,	NULL, 'l' },
	{ "log-size",		required_argument,	NULL, OPT_LOG_SIZE },
	{ "runas",		required_argument,	NULL, OPT_RUNAS },
	{ "help",		no_argument,		NULL, 'h' },
	{ "version",		no_argument,		NULL, OPT_VERSION },
	{ "pcap",		required_argument,	NULL, 'p' },
	{ "pid",		required_argument,	NULL, 'P' },
	{ "mtu",		required_argument,	NULL, 'm' },
	{ "address",		required_argument,	NULL, 'a' },
	{ "netmask",		required_argument,	NULL, 'n' },
	{ "mac-addr",		required_argument,	NULL, 'M' },
	{ "gateway",		required_argument,	NULL, 'g' },
	{ "interface",		required_argument,	NULL, 'i' },
	{ "outbound",		required_argument,	NULL, 'o' },
	{ "outbound-if4",	required_argument,	NULL, OPT_OUTBOUND_IF4 },
	{ "outbound-if6",	required_argument,	NULL, OPT_OUTBOUND_IF6 },
	{ "dns",		required_argument,	NULL, 'D' },
	{ "dns-forward",	required_argument,	NULL, OPT_DNS_FORWARD },
	{ "dns-host",		required_argument,	NULL, OPT_DNS_HOST },
	{ "search",		required_argument,	NULL, 'S' },
	{ "no-dhcp-dns",	no_argument,		NULL, OPT_NO_DHCP_DNS },
	{ "dhcp-dns",		no_argument,		NULL, OPT_DHCP_DNS },
	{ "no-dhcp-search",	no_argument,		NULL, OPT_NO_DHCP_SEARCH },
	{ "dhcp-search",	no_argument,		NULL, OPT_DHCP_SEARCH },
	{ "no-tcp",		no_argument,		NULL, OPT_NO_TCP },
	{ "no-udp",		no_argument,		NULL, OPT_NO_UDP },
	{ "no-icmp",		no_argument,		NULL, OPT_NO_ICMP },
	{ "no-dhcp",		no_argument,		NULL, OPT_NO_DHCP },
	{ "no-ndp",		no_argument,		NULL, OPT_NO_NDP },
	{ "no-dhcpv6",		no_argument,		NULL, OPT_NO_DHCPV6 },
	{ "no-ra",		no_argument,		NULL, OPT_NO_RA },
	{ "freebind",		no_argument,		NULL, OPT_FREEBIND },
	{ "no-map-gw",		no_argument,		NULL, OPT_NO_MAP_GW },
	{ "map-host-loopback",	required_argument,	NULL,
	  OPT_MAP_HOST_LOOPBACK },
	{ "map-guest-addr",	required_argument,	NULL, OPT_MAP_GUEST_ADDR },
	{ "ipv4-only",		no_argument,		NULL, '4' },
	{ "ipv6-only",		no_argument,		NULL, '6' },
	{ "hostname",		required_argument,	NULL, 'H' },
	{ "fqdn",		required_argument,	NULL, OPT_FQDN },
	{ "tcp-ports",		required_argument,	NULL, 't' },
	{ "udp-ports",		required_argument,	NULL, 'u' },
	{ "socket",		required_argument,	NULL, 's' },
	{ "socket-path",	required_argument,	NULL, 's' },
	{ "fd",			required_argument,	NULL, 'F' },
	{ "one-off",		no_argument,		NULL, '1' },
	{ "ns-ifname",		required_argument,	NULL, 'I' },
	{ "tcp-ns",		required_argument,	NULL, 'T' },
	{ "udp-ns",		required_argument,	NULL, 'U' },
	{ "userns",		required_argument,	NULL, OPT_USERNS },
	{ "netns",		required_argument,	NULL, OPT_NETNS },
	{ "netns-only",		no_argument,		NULL, OPT_NETNS_ONLY },
	{ "no-netns-quit",	no_argument,		NULL, OPT_NO_NETNS_QUIT },
	{ "no-follow-host",	no_argument,		NULL, OPT_NO_FOLLOW_HOST },
	{ "no-multicast",	no_argument,		NULL, OPT_NO_MCAST },
	{ "config-net",		no_argument,		NULL, OPT_CONFIG_NET },
	{ "ns-mac-addr",	required_argument,	NULL, OPT_NS_MAC_ADDR },
	{ "no-splice",		no_argument,		NULL, OPT_NO_SPLICE },
	{ "host-lo-to-ns-lo",	no_argument,		NULL,
	  OPT_HOST_LO_TO_NS_LO },
	{ "nsrun-dir",		required_argument,	NULL, OPT_NSRUN_DIR },
	{ "no-copy-routes",	no_argument,		NULL, OPT_NO_COPY_ROUTES },
	{ "no-copy-addrs",	no_argument,		NULL, OPT_NO_COPY_ADDRS },
	{ "exit-grace",		required_argument,	NULL, OPT_EXIT_GRACE },
	{ "chroot-fallback",	no_argument,		NULL,
	  OPT_CHROOT_FALLBACK },
	{ "splice-only",	no_argument,		NULL, OPT_SPLICE_ONLY },
	{ "vhost-user",		no_argument,		NULL, OPT_VHOST_USER },
	{ "print-capabilities",	no_argument,		NULL,
	  OPT_PRINT_CAPABILITIES },
	{ "repair-path",	required_argument,	NULL, OPT_REPAIR_PATH },
	{ "conf-path",		required_argument,	NULL, 'c' },
	{ "stats",		required_argument,	NULL, OPT_STATS },
	{ NULL, 0, NULL, 0 },
};

/**
 * opt_name() - Text naming an option as the user may have typed it
 * @name:	Option identifier, short option character or enum conf_opt
 *
 * Return: "-x/--long" or "--long", static storage
 */
static const char *opt_name(int name)
{
	static char buf[64];
	const struct option *o;

	for (o = options; o->name; o++) {
		if (o->val != name)
			continue;
		if (name < 256)
			snprintf(buf, sizeof(buf), "-%c/--%s", name, o->name);
		else
			snprintf(buf, sizeof(buf), "--%s", o->name);
		return buf;
	}

	return "?";
}

/**
 * opt_die() - Report an invalid option value and exit with status 1
 * @name:	Option identifier
 * @arg:	Value given, or NULL
 * @why:	What is wrong with it
 */
__attribute__((noreturn))
static void opt_die(int name, const char *arg, const char *why)
{
	if (arg)
		die("Invalid value '%s' for option %s: %s",
		    arg, opt_name(name), why);
	die("Option %s: %s", opt_name(name), why);
}

/**
 * usage() - Print the command line summary for the current mode
 * @name:	Program name
 * @pasta:	true for pasta's usage
 * @f:		Where to print it
 * @status:	Exit status
 */
__attribute__((noreturn))
static void usage(const char *name, bool pasta, FILE *f, int status)
{
	if (pasta) {
		fprintf(f,
"Usage: %s [OPTION]... [COMMAND [ARG]...]\n"
"       %s [OPTION]... PID|PATH|NAME\n"
"\n"
"Connect a network namespace to the host's network with a tap device.\n"
"Without a target, create a user and network namespace and run COMMAND in\n"
"it (default: the user's shell). With a PID, the path of a bound network\n"
"namespace, or its name in the namespace directory, join that namespace.\n"
"\n", name, name);
	} else {
		fprintf(f,
"Usage: %s [OPTION]...\n"
"\n"
"Connect a qemu guest to the host's network over a UNIX domain socket,\n"
"translating its traffic to ordinary host sockets.\n"
"\n", name);
	}

	fprintf(f,
"Logging and process:\n"
"  -d, --debug               Print debugging messages\n"
"      --trace               Also print a message for each packet\n"
"  -q, --quiet               Print errors only\n"
"  -f, --foreground          Don't detach, log to standard error\n"
"  -e, --stderr              Log to standard error even when detached\n"
"  -l, --log-file PATH       Log to PATH, kept below --log-size\n"
"      --log-size SIZE       Size limit of the log file, bytes\n"
"                            default: %i\n"
"      --runas UID|UID:GID|LOGIN|LOGIN:GROUP\n"
"                            User to run as when started as root\n"
"                            default: nobody\n"
"  -p, --pcap FILE           Capture every frame to a pcap FILE\n"
"  -P, --pid FILE            Write our process ID to FILE\n"
"  -c, --conf-path PATH      Control socket at PATH, mode 0600, for pesto:\n"
"                            change port forwarding, list flows, counters\n"
"      --stats DELAY         Log the counters every DELAY seconds\n"
"      --exit-grace SEC      When quitting, wait up to SEC seconds for\n"
"                            connections to finish sending; then reset\n"
"                            the rest. default: %g, 0: reset at once\n"
"      --chroot-fallback     Use chroot() where pivot_root() fails\n"
"  -h, --help                Print this help and exit\n"
"      --version             Print the version and exit\n"
"\n"
"Addresses and link:\n"
"  -m, --mtu MTU             MTU advertised to the guest, default: %i\n"
"  -a, --address ADDR[/PREFIX]\n"
"                            Address to assign, default: the host's\n"
"  -n, --netmask MASK|PREFIX IPv4 netmask, default: the host's\n"
"  -M, --mac-addr ADDR       Our MAC address on the link\n"
"                            default: the host interface's\n"
"  -g, --gateway ADDR        Gateway to advertise, default: the host's\n"
"  -i, --interface NAME      Host interface to copy the configuration of\n"
"                            default: the one with the default route;\n"
"                            with none, local mode (link-local addresses)\n"
"  -o, --outbound ADDR       Source address for outbound connections\n"
"      --outbound-if4 NAME   Bind outbound IPv4 sockets to interface NAME\n"
"      --outbound-if6 NAME   Bind outbound IPv6 sockets to interface NAME\n"
"  -4, --ipv4-only           Disable IPv6\n"
"  -6, --ipv6-only           Disable IPv4\n"
"\n"
"Name resolution:\n"
"  -D, --dns ADDR|none       DNS server to advertise, can be repeated\n"
"                            default: from /etc/resolv.conf\n"
"      --dns-forward ADDR    Forward DNS traffic sent to ADDR to the host's\n"
"                            resolver, and advertise ADDR\n"
"      --dns-host ADDR       Resolver --dns-forward traffic goes to\n"
"                            default: first one in /etc/resolv.conf\n"
"  -S, --search LIST|none    Search domains to advertise\n"
"                            default: from /etc/resolv.conf\n"
"      --no-follow-host      Don't follow changes of /etc/resolv.conf, of\n"
"                            the host's uplink, address and gateway (nor\n"
"                            move the guest's along) while running\n"
"      --no-dhcp-dns         Don't advertise DNS servers\n"
"      --dhcp-dns            Advertise DNS servers (pasta default: don't)\n"
"      --no-dhcp-search      Don't advertise search domains\n"
"      --dhcp-search         Advertise search domains (pasta default: don't)\n"
"  -H, --hostname NAME       Host name to send with DHCP\n"
"      --fqdn NAME           Fully qualified name to send with DHCP(v6)\n"
"\n"
"Services and mapping:\n"
"      --no-tcp              Disable TCP\n"
"      --no-udp              Disable UDP\n"
"      --no-icmp             Disable ICMP echo\n"
"      --no-multicast        Don't join the multicast groups the guest joins\n"
"      --no-dhcp             Disable the DHCP server\n"
"      --no-ndp              Disable NDP answers and router advertisements\n"
"      --no-dhcpv6           Disable the DHCPv6 server\n"
"      --no-ra               Disable router advertisements\n"
"      --freebind            Allow binding forwarded ports to non-local\n"
"                            addresses\n"
"      --no-map-gw           Don't map the gateway address to the host\n"
"      --map-host-loopback ADDR|none\n"
"                            Address that reaches the host's loopback\n"
"                            default: the gateway\n"
"      --map-guest-addr ADDR|none\n"
"                            Address that reaches the host's own address\n"
"\n"
"Port forwarding, SPEC is none, %s, or a comma-separated list of\n"
"[ADDR[%%IFACE]/]PORTS[:PORTS], PORTS being N, N-M, ~N or ~N-M (excluded):\n"
"  -t, --tcp-ports SPEC      TCP ports forwarded to the guest, default: %s\n"
"  -u, --udp-ports SPEC      UDP ports forwarded to the guest, default: %s\n",
		LOG_SIZE_DEFAULT, EXIT_GRACE_MS_DEFAULT / 1000.0, MTU_DEFAULT,
		pasta ? "auto" : "all",
		pasta ? "auto" : "none", pasta ? "auto" : "none");

	if (pasta) {
		fprintf(f,
"  -T, --tcp-ns SPEC         TCP ports forwarded from the namespace's\n"
"                            loopback to the host's, default: auto\n"
"  -U, --udp-ns SPEC         UDP ports forwarded from the namespace's\n"
"                            loopback to the host's, default: auto\n"
"\n"
"Namespace:\n"
"  -I, --ns-ifname NAME      Name of the tap device in the namespace\n"
"                            default: as the host's template interface\n"
"      --ns-mac-addr ADDR    MAC address of the tap device\n"
"      --config-net          Configure addresses and routes of the tap\n"
"                            device, instead of leaving it to DHCP\n"
"      --no-copy-routes      With --config-net, add the default route only\n"
"      --no-copy-addrs       With --config-net, add one address only\n"
"      --userns PATH|PID     User namespace to join\n"
"      --netns PATH|NAME     Network namespace to join\n"
"      --nsrun-dir DIR       Directory of namespace names, default: %s\n"
"      --netns-only          Don't join or create a user namespace\n"
"      --no-netns-quit       Don't quit when the namespace is deleted\n"
"      --no-splice           Don't splice loopback connections\n"
"      --splice-only         No tap device: forwarded connections are all\n"
"                            spliced to the namespace's loopback\n"
"      --host-lo-to-ns-lo    Host loopback traffic reaches the\n"
"                            namespace's loopback: always so, unless\n"
"                            --no-splice (accepted, no effect)\n",
			NETNS_RUN_DIR);
	} else {
		fprintf(f,
"\n"
"UNIX domain socket:\n"
"  -s, --socket, --socket-path PATH\n"
"                            Listen on PATH\n"
"                            default: first free of " SOCK_PATH_DEFAULT_FMT
"\n"
"  -F, --fd FD               Use FD, a connected stream socket (implies -1)\n"
"  -1, --one-off             Quit when the guest disconnects\n"
"      --vhost-user          Be a vhost-user back end on the socket: qemu's\n"
"                            -netdev vhost-user, guest memory shared\n"
"      --print-capabilities  Print the vhost-user back end capabilities\n"
"                            (JSON) and exit\n"
"      --repair-path PATH|none\n"
"                            Accepted, for live migration, not used yet\n", 1);
	}

	exit(status);
}

/**
 * conf_parse_mac() - Parse a MAC address in colon-separated hex form
 * @s:		Text
 * @mac:	Result, ETH_ALEN bytes
 *
 * Return: 0 on success, -1 if malformed, multicast, or all zeroes
 */
int conf_parse_mac(const char *s, unsigned char *mac)
{
	unsigned char m[ETH_ALEN];
	unsigned i;

	for (i = 0; i < ETH_ALEN; i++) {
		if (!isxdigit((unsigned char)s[0]) ||
		    !isxdigit((unsigned char)s[1]))
			return -1;
		m[i] = (unsigned char)strtoul((char[]){ s[0], s[1], 0 },
					      NULL, 16);
		s += 2;
		if (i < ETH_ALEN - 1 && *s++ != ':')
			return -1;
	}

	if (*s)
		return -1;
	if (m[0] & 1)
		return -1;
	if (!(m[0] | m[1] | m[2] | m[3] | m[4] | m[5]))
		return -1;

	memcpy(mac, m, ETH_ALEN);
	return 0;
}

/**
 * conf_parse_netmask() - Parse an IPv4 netmask or prefix length
 * @s:		Dotted-quad mask, or decimal prefix length
 * @prefix_len:	Result, 0 to 32
 *
 * Return: 0 on success, -1 if malformed, out of range or not contiguous
 */
int conf_parse_netmask(const char *s, int *prefix_len)
{
	struct in_addr mask;
	unsigned long v;
	uint32_t m;

	if (strchr(s, '.')) {
		if (inet_pton(AF_INET, s, &mask) != 1)
			return -1;
		m = ntohl(mask.s_addr);
		/* Contiguous: inverting gives 2^k - 1 */
		if ((~m & (~m + 1)) != 0)
			return -1;
		*prefix_len = __builtin_popcount(m);
		return 0;
	}

	if (parse_uint(s, 32, &v))
		return -1;

	*prefix_len = v;
	return 0;
}

/**
 * conf_parse_seconds_ms() - Parse a time in seconds, with up to three decimals
 * @s:		Text, e.g. "5", "0.25"
 * @max_ms:	Largest value accepted, milliseconds
 * @ms:		Result, milliseconds
 *
 * Return: 0 on success, -1 if malformed or out of range
 */
int conf_parse_seconds_ms(const char *s, long long max_ms, long long *ms)
{
	unsigned long whole, frac = 0;
	char buf[32], *dot;
	size_t digits = 0;

	if (str_copy(buf, sizeof(buf), s))
		return -1;

	dot = strchr(buf, '.');
	if (dot) {
		*dot++ = '\0';
		digits = strlen(dot);
		if (!digits || digits > 3 || parse_uint(dot, 999, &frac))
			return -1;
		while (digits++ < 3)
			frac *= 10;
	}

	if (parse_uint(buf, (unsigned long)(max_ms / MS_PER_SEC), &whole))
		return -1;
	if ((long long)whole * MS_PER_SEC + (long long)frac > max_ms)
		return -1;

	*ms = (long long)whole * MS_PER_SEC + frac;
	return 0;
}

/**
 * conf_parse_search() - Parse a list of domains separated by spaces or commas
 * @s:		List
 * @list:	Result, terminated by an empty name if shorter than @max
 * @max:	Capacity of @list
 *
 * Return: number of domains, -1 if one is invalid or there are too many
 */
int conf_parse_search(const char *s, struct dns_name *list, size_t max)
{
	size_t n = 0;

	while (*s) {
		size_t len = strcspn(s, " \t,");

		if (!len) {
			s++;
			continue;
		}
		if (n >= max || !dnsname_valid(s, len))
			return -1;
		memcpy(list[n].n, s, len);
		if (s[len - 1] == '.')
			len--;
		list[n].n[len] = '\0';
		n++;
		s += len;
		while (*s && !strchr(" \t,", *s))
			s++;
	}

	if (n < max)
		list[n].n[0] = '\0';

	return n;
}

/**
 * addr4_usable() - Check that an IPv4 address can be assigned or routed to
 * @a:		Address
 *
 * Return: true unless unspecified, loopback, multicast or broadcast
 */
static bool addr4_usable(struct in_addr a)
{
	uint32_t h = ntohl(a.s_addr);

	return h != INADDR_ANY && h != INADDR_BROADCAST &&
	       !IN_MULTICAST(h) && !ip4_is_loopback(a);
}

/**
 * addr6_usable() - Check that an IPv6 address can be assigned or routed to
 * @a:		Address
 *
 * Return: true unless unspecified, loopback, multicast or IPv4-mapped
 */
static bool addr6_usable(const struct in6_addr *a)
{
	return !IN6_IS_ADDR_UNSPECIFIED(a) && !IN6_IS_ADDR_LOOPBACK(a) &&
	       !IN6_IS_ADDR_MULTICAST(a) && !IN6_IS_ADDR_V4MAPPED(a);
}

/**
 * parse_addr() - Parse a usable address of either family
 * @name:	Option, for errors
 * @arg:	Text
 * @a4:		Result if IPv4
 * @a6:		Result if IPv6
 *
 * Return: AF_INET or AF_INET6; exits on invalid input
 */
static int parse_addr(int name, const char *arg, struct in_addr *a4,
		      struct in6_addr *a6)
{
	if (inet_pton(AF_INET, arg, a4) == 1) {
		if (!addr4_usable(*a4))
			opt_die(name, arg, "address not usable here");
		return AF_INET;
	}

	if (inet_pton(AF_INET6, arg, a6) == 1) {
		if (!addr6_usable(a6))
			opt_die(name, arg, "address not usable here");
		return AF_INET6;
	}

	opt_die(name, arg, "not an IPv4 or IPv6 address");
}

/**
 * struct conf_seen - Options given: for defaults, and for conflicts between
 *		      options (of one option given twice, the last one wins)
 * @addr4:	-a with an IPv4 address
 * @addr6:	-a with an IPv6 address
 * @prefix4:	IPv4 prefix length from -a or -n, or -1
 * @prefix4_opt:	Option that set @prefix4
 * @gw4:	-g IPv4
 * @gw6:	-g IPv6
 * @dns:	-D with an address
 * @dns_fwd4:	--dns-forward IPv4
 * @dns_fwd6:	--dns-forward IPv6
 * @dns_host4:	--dns-host IPv4
 * @dns_host6:	--dns-host IPv6
 * @out4:	-o IPv4
 * @out6:	-o IPv6
 * @mhl4:	--map-host-loopback IPv4 or none
 * @mhl6:	--map-host-loopback IPv6 or none
 * @mhl_none:	--map-host-loopback none
 * @mga4:	--map-guest-addr IPv4
 * @mga6:	--map-guest-addr IPv6
 * @mga_none:	--map-guest-addr none
 * @search:	-S
 * @mac:	-M
 * @mtu:	-m
 * @dhcp_dns:	--dhcp-dns or --no-dhcp-dns, by identifier
 * @dhcp_search:	--dhcp-search or --no-dhcp-search, by identifier
 */
struct conf_seen {
	bool addr4, addr6;
	int prefix4;
	int prefix4_opt;
	bool gw4, gw6;
	bool dns;
	bool dns_fwd4, dns_fwd6, dns_host4, dns_host6;
	bool out4, out6;
	bool mhl4, mhl6, mhl_none;
	bool mga4, mga6, mga_none;
	bool search;
	bool mac;
	bool mtu;
	int dhcp_dns;
	int dhcp_search;
};

/**
 * conf_path() - Store a path option: the last one given wins
 * @name:	Option
 * @dst:	Destination
 * @size:	Size of @dst
 * @arg:	Path
 */
static void conf_path(int name, char *dst, size_t size, const char *arg)
{
	if (!*arg)
		opt_die(name, arg, "empty path");
	if (str_copy(dst, size, arg))
		opt_die(name, arg, "path too long");
}

/**
 * conf_ifname() - Store an interface name option: the last one given wins
 * @name:	Option
 * @dst:	Destination, IFNAMSIZ bytes
 * @arg:	Interface name
 */
static void conf_ifname(int name, char *dst, const char *arg)
{
	if (!*arg || strlen(arg) >= IFNAMSIZ || strchr(arg, '/'))
		opt_die(name, arg, "invalid interface name");
	strcpy(dst, arg);
}

/**
 * conf_runas() - Parse --runas UID|UID:GID|LOGIN|LOGIN:GROUP
 * @c:		Execution context
 * @arg:	Value
 */
static void conf_runas(struct ctx *c, const char *arg)
{
	char user[LOGIN_NAME_MAX + 1] = { 0 }, *group;
	unsigned long v;

	if (str_copy(user, sizeof(user), arg) || !*user)
		opt_die(OPT_RUNAS, arg, "invalid user");

	group = strchr(user, ':');
	if (group)
		*group++ = '\0';

	if (!parse_uint(user, UINT32_MAX - 1, &v)) {
		struct passwd *pw = getpwuid(v);

		c->uid = v;
		c->gid = pw ? pw->pw_gid : (gid_t)v;
	} else {
		struct passwd *pw = getpwnam(user);

		if (!pw)
			opt_die(OPT_RUNAS, arg, "no such user");
		c->uid = pw->pw_uid;
		c->gid = pw->pw_gid;
	}

	if (group) {
		if (!parse_uint(group, UINT32_MAX - 1, &v)) {
			c->gid = v;
		} else {
			struct group *gr = getgrnam(group);

			if (!gr)
				opt_die(OPT_RUNAS, arg, "no such group");
			c->gid = gr->gr_gid;
		}
	}

	c->runas_given = true;
}

/**
 * conf_addr() - Parse -a ADDR[/PREFIX]
 * @c:		Execution context
 * @s:		Options already seen
 * @arg:	Value
 */
static void conf_addr(struct ctx *c, struct conf_seen *s, const char *arg)
{
	char buf[INET6_ADDRSTRLEN + 8], *slash;
	struct in6_addr a6;
	struct in_addr a4;
	unsigned long v;

	if (str_copy(buf, sizeof(buf), arg))
		opt_die('a', arg, "not an IPv4 or IPv6 address");

	slash = strchr(buf, '/');
	if (slash)
		*slash++ = '\0';

	if (parse_addr('a', buf, &a4, &a6) == AF_INET) {
		s->addr4 = true;
		c->ip4.addr = a4;
		if (!slash)
			return;
		if (parse_uint(slash, 32, &v))
			opt_die('a', arg, "prefix length must be 0 to 32");
		if (s->prefix4_opt == 'n' && s->prefix4 != (int)v)
			opt_die('a', arg, "prefix length conflicts with -n");
		s->prefix4 = v;
		s->prefix4_opt = 'a';
		return;
	}

	s->addr6 = true;
	c->ip6.addr = a6;
	if (!slash)
		return;
	if (parse_uint(slash, 128, &v))
		opt_die('a', arg, "prefix length must be 0 to 128");
	c->ip6.prefix_len = v;
}

/**
 * conf_dns() - Parse -D ADDR|none
 * @c:		Execution context
 * @s:		Options already seen
 * @arg:	Value
 */
static void conf_dns(struct ctx *c, struct conf_seen *s, const char *arg)
{
	struct in6_addr a6;
	struct in_addr a4;
	unsigned i;

	if (!strcmp(arg, "none")) {
		if (s->dns)
			opt_die('D', arg, "conflicts with addresses given");
		c->no_dns = true;
		return;
	}
	if (c->no_dns)
		opt_die('D', arg, "conflicts with 'none'");
	s->dns = true;

	if (inet_pton(AF_INET, arg, &a4) == 1) {
		if (a4.s_addr == INADDR_ANY || IN_MULTICAST(ntohl(a4.s_addr)))
			opt_die('D', arg, "address not usable here");
		for (i = 0; c->ip4.dns[i].s_addr; i++) {
			if (c->ip4.dns[i].s_addr == a4.s_addr)
				return;
		}
		if (i >= DNS_MAX_PER_FAMILY)
			opt_die('D', arg, "too many IPv4 DNS servers");
		c->ip4.dns[i] = a4;
		return;
	}

	if (inet_pton(AF_INET6, arg, &a6) == 1) {
		if (IN6_IS_ADDR_UNSPECIFIED(&a6) ||
		    IN6_IS_ADDR_MULTICAST(&a6))
			opt_die('D', arg, "address not usable here");
		for (i = 0; !IN6_IS_ADDR_UNSPECIFIED(&c->ip6.dns[i]); i++) {
			if (IN6_ARE_ADDR_EQUAL(&c->ip6.dns[i], &a6))
				return;
		}
		if (i >= DNS_MAX_PER_FAMILY)
			opt_die('D', arg, "too many IPv6 DNS servers");
		c->ip6.dns[i] = a6;
		return;
	}

	opt_die('D', arg, "not an IPv4 or IPv6 address");
}

/**
 * conf_addr_pair() - Parse an option taking one address of each family
 * @name:	Option
 * @arg:	Value
 * @seen4:	IPv4 address given before, updated
 * @seen6:	IPv6 address given before, updated
 * @a4:		IPv4 destination
 * @a6:		IPv6 destination
 * @any_ok:	Accept unspecified and loopback addresses too
 */
static void conf_addr_pair(int name, const char *arg, bool *seen4,
			   bool *seen6, struct in_addr *a4, struct in6_addr *a6,
			   bool any_ok)
{
	struct in6_addr n6;
	struct in_addr n4;

	if (inet_pton(AF_INET, arg, &n4) == 1) {
		if (!any_ok && !addr4_usable(n4))
			opt_die(name, arg, "address not usable here");
		*seen4 = true;
		*a4 = n4;
		return;
	}

	if (inet_pton(AF_INET6, arg, &n6) == 1) {
		if (!any_ok && !addr6_usable(&n6))
			opt_die(name, arg, "address not usable here");
		*seen6 = true;
		*a6 = n6;
		return;
	}

	opt_die(name, arg, "not an IPv4 or IPv6 address");
}

/**
 * conf_fwd() - Parse a port forwarding option
 * @c:		Execution context
 * @name:	Option: 't', 'u', 'T' or 'U'
 * @arg:	Specification
 */
static void conf_fwd(struct ctx *c, int name, const char *arg)
{
	struct fwd_ports *fwd;
	char err[256];

	switch (name) {
	case 't':
		fwd = &c->run->fwd[FWD_TCP_IN];
		break;
	case 'u':
		fwd = &c->run->fwd[FWD_UDP_IN];
		break;
	case 'T':
		fwd = &c->run->fwd[FWD_TCP_OUT];
		break;
	default:
		fwd = &c->run->fwd[FWD_UDP_OUT];
		break;
	}

	if (fwd_parse(fwd, arg, c->mode == MODE_PASTA, err, sizeof(err)))
		opt_die(name, arg, err);
}

/**
 * mode_only() - Refuse an option that doesn't belong to the current mode
 * @c:		Execution context
 * @name:	Option
 * @pasta:	Option is for pasta only (true) or passt only (false)
 */
static void mode_only(const struct ctx *c, int name, bool pasta)
{
	if ((c->mode == MODE_PASTA) != pasta)
		die("Option %s is for %s mode only", opt_name(name),
		    pasta ? "pasta" : "passt");
}

/**
 * conf_flag() - Handle an option without argument
 * @c:		Execution context
 * @name:	Option
 *
 * Return: true if @name was a flag and was handled
 */
static bool conf_flag(struct ctx *c, int name)
{
	switch (name) {
	case 'd':
		c->debug = true;
		break;
	case OPT_TRACE:
		c->debug = c->trace = true;
		break;
	case 'q':
		c->quiet = true;
		break;
	case 'f':
		c->foreground = true;
		break;
	case 'e':
		c->force_stderr = true;
		break;
	case OPT_NO_TCP:
		c->no_tcp = true;
		break;
	case OPT_NO_UDP:
		c->no_udp = true;
		break;
	case OPT_NO_ICMP:
		c->no_icmp = true;
		break;
	case OPT_NO_DHCP:
		c->no_dhcp = true;
		break;
	case OPT_NO_NDP:
		c->no_ndp = true;
		break;
	case OPT_NO_DHCPV6:
		c->no_dhcpv6 = true;
		break;
	case OPT_NO_RA:
		c->no_ra = true;
		break;
	case OPT_FREEBIND:
		c->freebind = true;
		break;
	case OPT_NO_MAP_GW:
		c->no_map_gw = true;
		break;
	case '4':
		c->v4_only = true;
		break;
	case '6':
		c->v6_only = true;
		break;
	case '1':
		mode_only(c, name, false);
		c->one_off = true;
		break;
	case OPT_NETNS_ONLY:
		mode_only(c, name, true);
		c->netns_only = true;
		break;
	case OPT_NO_NETNS_QUIT:
		mode_only(c, name, true);
		c->no_netns_quit = true;
		break;
	case OPT_NO_FOLLOW_HOST:
		c->no_follow_host = true;
		break;
	case OPT_NO_MCAST:
		c->no_mcast = true;
		break;
	case OPT_CONFIG_NET:
		mode_only(c, name, true);
		c->pasta_conf_ns = true;
		break;
	case OPT_NO_SPLICE:
		/* passt splices nothing: accepted for pasta's sake, no effect */
		c->no_splice = true;
		break;
	case OPT_SPLICE_ONLY:
		mode_only(c, name, true);
		c->splice_only = true;
		break;
	case OPT_CHROOT_FALLBACK:
		c->chroot_fallback = true;
		break;
	case OPT_VHOST_USER:
		mode_only(c, name, false);
		c->vhost_user = true;
		break;
	case OPT_HOST_LO_TO_NS_LO:
		mode_only(c, name, true);
		c->host_lo_to_ns_lo = true;
		break;
	case OPT_NO_COPY_ROUTES:
		mode_only(c, name, true);
		c->ip4.no_copy_routes = c->ip6.no_copy_routes = true;
		break;
	case OPT_NO_COPY_ADDRS:
		mode_only(c, name, true);
		c->ip4.no_copy_addrs = c->ip6.no_copy_addrs = true;
		break;
	default:
		return false;
	}

	return true;
}

/**
 * conf_dhcp_toggle() - Handle --[no-]dhcp-dns and --[no-]dhcp-search
 * @name:	Option
 * @seen:	Option of the same pair given before, or 0, updated
 * @flag:	Setting to change: true means "don't advertise"
 * @off:	Option turns advertising off
 */
static void conf_dhcp_toggle(int name, int *seen, bool *flag, bool off)
{
	if (*seen && *seen != name)
		die("Options %s and its opposite conflict", opt_name(name));
	*seen = name;
	*flag = off;
}

/**
 * conf_value() - Handle an option with an argument
 * @c:		Execution context
 * @s:		Options already seen
 * @name:	Option
 * @arg:	Value
 * @prog:	Program name, for usage
 */
static void conf_value(struct ctx *c, struct conf_seen *s, int name,
		       const char *arg, const char *prog)
{
	unsigned long v;

	switch (name) {
	case 'l':
		conf_path(name, c->log_file, sizeof(c->log_file), arg);
		break;
	case OPT_LOG_SIZE:
		if (parse_uint(arg, SIZE_MAX, &v) || v < LOG_SIZE_MIN)
			opt_die(name, arg, "must be a number of bytes, "
				"at least " STRINGIFY(LOG_SIZE_MIN));
		c->log_size = v;
		break;
	case OPT_RUNAS:
		conf_runas(c, arg);
		break;
	case 'p':
		conf_path(name, c->pcap, sizeof(c->pcap), arg);
		break;
	case 'P':
		conf_path(name, c->pid_file, sizeof(c->pid_file), arg);
		break;
	case 'c':
		conf_path(name, c->ctl_path, sizeof(c->ctl_path), arg);
		break;
	case OPT_STATS:
		if (parse_uint(arg, 86400, &v) || !v)
			opt_die(name, arg, "seconds, 1 to 86400");
		c->stats_delay = v;
		break;
	case 'm':
		if (parse_uint(arg, MTU_MAX, &v) || v < MTU_MIN)
			opt_die(name, arg, "must be between "
				STRINGIFY(MTU_MIN) " and " STRINGIFY(MTU_MAX));
		s->mtu = true;
		c->mtu = v;
		break;
	case 'a':
		conf_addr(c, s, arg);
		break;
	case 'n': {
		int prefix;

		if (conf_parse_netmask(arg, &prefix))
			opt_die(name, arg, "must be a contiguous netmask or "
				"a prefix length from 0 to 32");
		if (s->prefix4_opt == 'a' && s->prefix4 != prefix)
			opt_die(name, arg,
				"conflicts with the prefix length of -a");
		s->prefix4 = prefix;
		s->prefix4_opt = 'n';
		break;
	}
	case 'M': {
		unsigned char mac[ETH_ALEN];

		if (conf_parse_mac(arg, mac))
			opt_die(name, arg, "not a unicast MAC address");
		s->mac = true;
		memcpy(c->our_tap_mac, mac, ETH_ALEN);
		break;
	}
	case 'g':
		conf_addr_pair(name, arg, &s->gw4, &s->gw6, &c->ip4.guest_gw,
			       &c->ip6.guest_gw, false);
		break;
	case 'i':
		conf_ifname(name, c->ifname, arg);
		break;
	case 'o':
		conf_addr_pair(name, arg, &s->out4, &s->out6, &c->ip4.addr_out,
			       &c->ip6.addr_out, false);
		break;
	case OPT_OUTBOUND_IF4:
		conf_ifname(name, c->ip4.ifname_out, arg);
		break;
	case OPT_OUTBOUND_IF6:
		conf_ifname(name, c->ip6.ifname_out, arg);
		break;
	case 'D':
		conf_dns(c, s, arg);
		break;
	case OPT_DNS_FORWARD:
		conf_addr_pair(name, arg, &s->dns_fwd4, &s->dns_fwd6,
			       &c->ip4.dns_match, &c->ip6.dns_match, false);
		break;
	case OPT_DNS_HOST:
		conf_addr_pair(name, arg, &s->dns_host4, &s->dns_host6,
			       &c->ip4.dns_host, &c->ip6.dns_host, true);
		break;
	case 'S':
		s->search = true;
		c->no_dns_search = !strcmp(arg, "none");
		if (c->no_dns_search) {
			c->dns_search[0].n[0] = '\0';
			break;
		}
		if (conf_parse_search(arg, c->dns_search, DNS_SEARCH_MAX) <= 0)
			opt_die(name, arg, "must be up to "
				STRINGIFY(DNS_SEARCH_MAX) " valid domains");
		break;
	case OPT_NO_DHCP_DNS:
	case OPT_DHCP_DNS:
		conf_dhcp_toggle(name, &s->dhcp_dns, &c->no_dhcp_dns,
				 name == OPT_NO_DHCP_DNS);
		break;
	case OPT_NO_DHCP_SEARCH:
	case OPT_DHCP_SEARCH:
		conf_dhcp_toggle(name, &s->dhcp_search,
				 &c->no_dhcp_dns_search,
				 name == OPT_NO_DHCP_SEARCH);
		break;
	case OPT_MAP_HOST_LOOPBACK:
		if (!strcmp(arg, "none")) {
			s->mhl_none = true;
			break;
		}
		conf_addr_pair(name, arg, &s->mhl4, &s->mhl6,
			       &c->ip4.map_host_loopback,
			       &c->ip6.map_host_loopback, false);
		break;
	case OPT_MAP_GUEST_ADDR:
		if (!strcmp(arg, "none")) {
			s->mga_none = true;
			break;
		}
		conf_addr_pair(name, arg, &s->mga4, &s->mga6,
			       &c->ip4.map_guest_addr, &c->ip6.map_guest_addr,
			       false);
		break;
	case 'H':
		if (!dnsname_valid(arg, strlen(arg)))
			opt_die(name, arg, "not a valid host name");
		str_copy(c->hostname, sizeof(c->hostname), arg);
		break;
	case OPT_FQDN:
		if (!dnsname_valid(arg, strlen(arg)))
			opt_die(name, arg, "not a valid domain name");
		str_copy(c->fqdn, sizeof(c->fqdn), arg);
		break;
	case 't':
	case 'u':
		conf_fwd(c, name, arg);
		break;
	case 'T':
	case 'U':
		mode_only(c, name, true);
		conf_fwd(c, name, arg);
		break;
	case 's':
		mode_only(c, name, false);
		conf_path(name, c->sock_path, sizeof(c->sock_path), arg);
		break;
	case 'F':
		mode_only(c, name, false);
		if (parse_uint(arg, INT_MAX, &v))
			opt_die(name, arg, "not a file descriptor number");
		if (fcntl(v, F_GETFD) < 0)
			opt_die(name, arg, "not an open file descriptor");
		c->run->fd_tap = v;
		c->fd_given = true;
		c->one_off = true;
		break;
	case 'I':
		mode_only(c, name, true);
		conf_ifname(name, c->pasta_ifname, arg);
		break;
	case OPT_USERNS:
		mode_only(c, name, true);
		conf_path(name, c->userns_path, sizeof(c->userns_path), arg);
		break;
	case OPT_NETNS:
		mode_only(c, name, true);
		conf_path(name, c->netns_path, sizeof(c->netns_path), arg);
		break;
	case OPT_NSRUN_DIR:
		mode_only(c, name, true);
		conf_path(name, c->nsrun_dir, sizeof(c->nsrun_dir), arg);
		break;
	case OPT_REPAIR_PATH:
		mode_only(c, name, false);
		if (!strcmp(arg, "none")) {
			*c->repair_path = '\0';
			break;
		}
		conf_path(name, c->repair_path, sizeof(c->repair_path), arg);
		break;
	case OPT_EXIT_GRACE:
		if (conf_parse_seconds_ms(arg, EXIT_GRACE_MS_MAX,
					  &c->exit_grace_ms))
			opt_die(name, arg, "must be a number of seconds, "
				"from 0 to 3600, e.g. 5 or 0.5");
		break;
	case OPT_NS_MAC_ADDR:
		mode_only(c, name, true);
		if (conf_parse_mac(arg, c->pasta_mac))
			opt_die(name, arg, "not a unicast MAC address");
		c->pasta_mac_set = true;
		break;
	default:
		fprintf(stderr, "Try '%s --help' for more information.\n",
			prog);
		exit(EXIT_FAILURE);
	}
}

/**
 * conf_options() - Parse the command line into the context
 * @c:		Execution context, mode already set
 * @s:		Options seen, filled
 * @argc:	Argument count
 * @argv:	Arguments
 *
 * Return: index of the first non-option argument
 */
static int conf_options(struct ctx *c, struct conf_seen *s, int argc,
			char **argv)
{
	/* '+': stop at the first non-option, the start of pasta's command */
	static const char optstring[] =
		"+dqfel:hp:P:m:a:n:M:g:i:o:D:S:46H:t:u:s:F:1I:T:U:c:";
	const char *prog = basename(argv[0]);
	int name;

	optind = 1;
	while ((name = getopt_long(argc, argv, optstring, options,
				   NULL)) != -1) {
		if (name == 'h')
			usage(prog, c->mode == MODE_PASTA, stdout,
			      EXIT_SUCCESS);
		if (name == OPT_PRINT_CAPABILITIES)
			vu_print_capabilities();
		if (name == OPT_VERSION) {
			/* By mode, as the log file's first line: not argv[0] */
			printf("%s %s\n", c->mode == MODE_PASTA ? "pasta" :
			       "passt", passt_version());
			exit(EXIT_SUCCESS);
		}
		if (conf_flag(c, name))
			continue;
		conf_value(c, s, name, optarg, prog);
	}

	return optind;
}

/**
 * conf_check() - Check combinations of options
 * @c:		Execution context
 * @s:		Options seen
 */
static void conf_check(struct ctx *c, const struct conf_seen *s)
{
	if (c->v4_only && c->v6_only)
		die("Options -4/--ipv4-only and -6/--ipv6-only conflict");
	if (c->quiet && c->debug)
		die("Option -q/--quiet conflicts with -d/--debug and --trace");
	if (c->no_map_gw && (s->mhl4 || s->mhl6))
		die("Option --no-map-gw conflicts with --map-host-loopback");
	if (s->mhl_none && (s->mhl4 || s->mhl6))
		die("Option --map-host-loopback: 'none' conflicts with an "
		    "address");
	if (s->mga_none && (s->mga4 || s->mga6))
		die("Option --map-guest-addr: 'none' conflicts with an "
		    "address");
	if (s->mhl_none)
		c->no_map_gw = true;
	if (c->v4_only && (s->addr6 || s->gw6))
		die("Option -4/--ipv4-only conflicts with IPv6 addresses");
	if (c->v6_only && (s->addr4 || s->gw4 || s->prefix4 >= 0))
		die("Option -6/--ipv6-only conflicts with IPv4 addresses");
	if (c->fd_given && *c->sock_path)
		die("Options -F/--fd and -s/--socket conflict");

	if (*c->netns_path && c->pasta_argv)
		die("Option --netns conflicts with a command to run");
	if (c->splice_only && c->no_splice)
		die("Options --splice-only and --no-splice conflict");
}

/**
 * conf_pasta_target() - Sort out pasta's trailing arguments
 * @c:		Execution context
 * @argc:	Argument count
 * @argv:	Arguments
 * @first:	Index of the first non-option argument
 *
 * A single argument is a target namespace if it's a PID, the path of a
 * namespace file, or the name of one in the namespace directory; anything
 * else, or anything after "--", is a command to run.
 */
static void conf_pasta_target(struct ctx *c, int argc, char **argv,
			      int first)
{
	bool dashes = first > 1 && !strcmp(argv[first - 1], "--");
	const char *arg = argv[first];
	unsigned long pid;
	struct stat st;
	char path[PATH_MAX];

	if (first >= argc)
		return;

	if (!dashes && argc - first == 1) {
		if (!parse_uint(arg, INT_MAX, &pid) && pid) {
			if (*c->netns_path)
				die("A PID target conflicts with --netns");
			snprintf(c->netns_path, sizeof(c->netns_path),
				 "/proc/%lu/ns/net", pid);
			if (!*c->userns_path && !c->netns_only)
				snprintf(c->userns_path,
					 sizeof(c->userns_path),
					 "/proc/%lu/ns/user", pid);
			return;
		}
		if (strchr(arg, '/') && !stat(arg, &st) &&
		    !S_ISDIR(st.st_mode) && !(st.st_mode & S_IXUSR)) {
			if (*c->netns_path)
				die("A namespace target conflicts with "
				    "--netns");
			str_copy(c->netns_path, sizeof(c->netns_path), arg);
			return;
		}
		if (snprintf(path, sizeof(path), "%s/%s",
			     *c->nsrun_dir ? c->nsrun_dir : NETNS_RUN_DIR,
			     arg) < (int)sizeof(path) &&
		    !strchr(arg, '/') && !stat(path, &st) &&
		    !S_ISDIR(st.st_mode)) {
			if (*c->netns_path)
				die("A namespace target conflicts with "
				    "--netns");
			str_copy(c->netns_path, sizeof(c->netns_path), path);
			return;
		}
	}

	if (*c->netns_path)
		die("A command to run conflicts with --netns");
	c->pasta_argv = argv + first;
}

/**
 * conf_netns_name() - Turn a --netns NAME into a path in the run directory
 * @c:		Execution context
 */
static void conf_netns_name(struct ctx *c)
{
	char path[PATH_MAX];

	if (!*c->netns_path || strchr(c->netns_path, '/'))
		return;

	if (snprintf(path, sizeof(path), "%s/%s",
		     *c->nsrun_dir ? c->nsrun_dir : NETNS_RUN_DIR,
		     c->netns_path) >= (int)sizeof(path))
		die("Namespace path too long");
	strcpy(c->netns_path, path);
}

/**
 * conf_template_if() - Pick the template interface of a family
 * @c:		Execution context
 * @af:		AF_INET or AF_INET6
 *
 * Return: interface index, 0 if the family can't be used
 */
static unsigned conf_template_if(const struct ctx *c, sa_family_t af)
{
	const char *out = af == AF_INET ? c->ip4.ifname_out : c->ip6.ifname_out;
	const char *name = *c->ifname ? c->ifname : out;
	unsigned ifi;

	if (*name) {
		ifi = if_nametoindex(name);
		if (!ifi)
			die("No such interface: %s", name);
		return ifi;
	}

	return nl_get_ext_if(c->nl_sock, af);
}

/**
 * conf_ip4() - Derive the IPv4 configuration from the host and options
 * @c:		Execution context
 * @s:		Options seen
 *
 * Return: true if IPv4 is usable
 */
static bool conf_ip4(struct ctx *c, const struct conf_seen *s)
{
	struct ip4_ctx *ip4 = &c->ip4;

	if (ifi_on_host(c->ifi4)) {
		if (nl_addr_get(c->nl_sock, c->ifi4, AF_INET, &ip4->host_addr,
				&ip4->host_prefix_len, NULL))
			debug("No IPv4 address on the template interface");
		nl_route_get_def(c->nl_sock, c->ifi4, AF_INET, &ip4->host_gw);
	}

	if (!s->addr4)
		ip4->addr = ip4->host_addr;
	if (!ip4->addr.s_addr)
		return false;

	if (s->prefix4 >= 0)
		ip4->prefix_len = s->prefix4;
	else if (ip4->host_prefix_len &&
		 ip4->addr.s_addr == ip4->host_addr.s_addr)
		ip4->prefix_len = ip4->host_prefix_len;
	else
		ip4->prefix_len = 24;

	if (!s->gw4)
		ip4->guest_gw = ip4->host_gw;
	ip4->follow_addr = !c->no_follow_host && !s->addr4 && s->prefix4 < 0;
	ip4->follow_gw = !c->no_follow_host && !s->gw4;

	ip4->our_tap_addr = ip4->guest_gw;
	if (!ip4->our_tap_addr.s_addr) {
		/* No gateway: take the first other address of the subnet */
		uint32_t a = ntohl(ip4->addr.s_addr);
		uint32_t net = a & (ip4->prefix_len ?
				    ~0U << (32 - ip4->prefix_len) : 0);

		ip4->our_tap_addr.s_addr = htonl(net + 1 == a ? net + 2 :
						 net + 1);
	}
	if (c->no_map_gw)
		ip4->map_host_loopback.s_addr = INADDR_ANY;
	else if (!s->mhl4)
		ip4->map_host_loopback = ip4->guest_gw;
	c->run->addr4_seen = ip4->addr;

	return true;
}

/**
 * conf_ip6() - Derive the IPv6 configuration from the host and options
 * @c:		Execution context
 * @s:		Options seen
 *
 * Return: true if IPv6 is usable
 */
static bool conf_ip6(struct ctx *c, const struct conf_seen *s)
{
	struct ip6_ctx *ip6 = &c->ip6;

	if (ifi_on_host(c->ifi6)) {
		if (nl_addr_get(c->nl_sock, c->ifi6, AF_INET6, &ip6->host_addr,
				&ip6->host_prefix_len, &ip6->host_addr_ll))
			debug("No global IPv6 address on the template "
			      "interface");
		nl_route_get_def(c->nl_sock, c->ifi6, AF_INET6, &ip6->host_gw);
	}

	if (!s->addr6)
		ip6->addr = ip6->host_addr;
	if (IN6_IS_ADDR_UNSPECIFIED(&ip6->addr))
		return false;
	if (!ip6->prefix_len)
		ip6->prefix_len = ip6->host_prefix_len && !s->addr6 ?
				  ip6->host_prefix_len : 64;

	if (!s->gw6)
		ip6->guest_gw = ip6->host_gw;
	ip6->follow_addr = !c->no_follow_host && !s->addr6;
	ip6->follow_gw = !c->no_follow_host && !s->gw6;

	/* Router advertisements need a link-local source */
	if (IN6_IS_ADDR_LINKLOCAL(&ip6->guest_gw))
		ip6->our_tap_ll = ip6->guest_gw;
	else if (!IN6_IS_ADDR_UNSPECIFIED(&ip6->host_addr_ll))
		ip6->our_tap_ll = ip6->host_addr_ll;
	else
		inet_pton(AF_INET6, "fe80::1", &ip6->our_tap_ll);

	if (c->no_map_gw)
		ip6->map_host_loopback = in6addr_any;
	else if (!s->mhl6)
		ip6->map_host_loopback = ip6->guest_gw;
	c->run->addr6_seen = ip6->addr;

	return true;
}

/**
 * conf_local() - No interface of the host to copy from: local mode
 * @c:		Execution context
 * @s:		Options seen
 *
 * A host whose uplink isn't there yet (booted before its network came up,
 * say) has nothing for us to copy. The guest then gets link-local addresses
 * of our choosing: IPv4 169.254.2.1/16 with 169.254.2.2 as gateway, and an
 * IPv6 default route through fe80::1 (its own link-local address is the
 * only one). Its traffic still leaves through the host's sockets: once the
 * host has a route, connections from the guest go out, without a restart.
 */
static void conf_local(struct ctx *c, const struct conf_seen *s)
{
	if (!c->v6_only) {
		struct ip4_ctx *ip4 = &c->ip4;

		c->ifi4 = IFI_NONE;
		inet_pton(AF_INET, LOCAL_ADDR4, &ip4->addr);
		if (!s->gw4)
			inet_pton(AF_INET, LOCAL_GW4, &ip4->guest_gw);
		if (s->prefix4 < 0)
			ip4->prefix_len = LOCAL_PREFIX4;
		ip4->our_tap_addr = ip4->guest_gw;
		if (!c->no_map_gw && !s->mhl4)
			ip4->map_host_loopback = ip4->guest_gw;
		ip4->no_copy_addrs = ip4->no_copy_routes = true;
		ip4->follow_addr = !c->no_follow_host && !s->addr4 &&
				   s->prefix4 < 0;
		ip4->follow_gw = !c->no_follow_host && !s->gw4;
		c->run->addr4_seen = ip4->addr;
	}

	if (!c->v4_only) {
		struct ip6_ctx *ip6 = &c->ip6;

		c->ifi6 = IFI_NONE;
		if (!s->gw6)
			inet_pton(AF_INET6, LOCAL_GW6, &ip6->guest_gw);
		if (!ip6->prefix_len)
			ip6->prefix_len = 64;
		if (IN6_IS_ADDR_LINKLOCAL(&ip6->guest_gw))
			ip6->our_tap_ll = ip6->guest_gw;
		else
			inet_pton(AF_INET6, LOCAL_GW6, &ip6->our_tap_ll);
		if (!c->no_map_gw && !s->mhl6)
			ip6->map_host_loopback = ip6->guest_gw;
		ip6->no_copy_addrs = ip6->no_copy_routes = true;
		ip6->follow_addr = !c->no_follow_host && !s->addr6;
		ip6->follow_gw = !c->no_follow_host && !s->gw6;
	}

	info("No interface of the host has a route: local mode, link-local "
	     "addresses; connections go out once the host has a route");
}

/**
 * conf_append() - Append formatted text to a line, cut at the line's end
 * @line:	Line, terminated
 * @size:	Size of @line
 * @off:	Length of @line, updated: at most @size - 1
 * @fmt:	Format
 */
static void __attribute__((format(printf, 4, 5)))
conf_append(char *line, size_t size, size_t *off, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(line + *off, size - *off, fmt, ap);
	va_end(ap);
	if (n > 0)
		*off = MIN(*off + (size_t)n, size - 1);
}

/**
 * conf_print_fwd() - Print the port forwarding of one protocol and direction
 * @what:	Label
 * @fwd:	Forwarding table
 * @pri:	Log priority
 */
static void conf_print_fwd(const char *what, const struct fwd_ports *fwd,
			   int pri)
{
	char line[1024], spec[FWD_RULE_STRLEN];
	size_t off = 0;
	unsigned i;

	line[0] = '\0';
	conf_append(line, sizeof(line), &off, "%s: %s", what,
		    fwd_mode_str(fwd->mode));
	for (i = 0; i < fwd->nr_rules && off < sizeof(line) - 64; i++)
		conf_append(line, sizeof(line), &off, "%s%s", i ? ", " : " ",
			    fwd_rule_fmt(&fwd->rules[i], spec, sizeof(spec)));

	logmsg(pri, "%s", line);
}

/**
 * conf_print() - Print the configuration we derived
 * @c:		Execution context
 */
static void conf_print(const struct ctx *c)
{
	int pri = c->mode == MODE_PASST ? LOG_INFO : LOG_DEBUG;
	char name[IFNAMSIZ];

	if (pri > log_level)
		return;

	if (ipv4_enabled(c))
		logmsg(pri, "Template interface IPv4: %s",
		       if_indextoname(c->ifi4, name) ? name : "none");
	if (ipv6_enabled(c))
		logmsg(pri, "Template interface IPv6: %s",
		       if_indextoname(c->ifi6, name) ? name : "none");
	logmsg(pri, "MAC address: %02x:%02x:%02x:%02x:%02x:%02x",
	       c->our_tap_mac[0], c->our_tap_mac[1], c->our_tap_mac[2],
	       c->our_tap_mac[3], c->our_tap_mac[4], c->our_tap_mac[5]);
	logmsg(pri, "MTU: %i", c->mtu);

	if (ipv4_enabled(c)) {
		logmsg(pri, "IPv4 address: %s/%i",
		       addr_str(AF_INET, &c->ip4.addr), c->ip4.prefix_len);
		if (c->ip4.guest_gw.s_addr)
			logmsg(pri, "IPv4 gateway: %s",
			       addr_str(AF_INET, &c->ip4.guest_gw));
		if (c->ip4.map_host_loopback.s_addr)
			logmsg(pri, "IPv4 host loopback mapped from: %s",
			       addr_str(AF_INET, &c->ip4.map_host_loopback));
	}

	if (ipv6_enabled(c)) {
		if (IN6_IS_ADDR_UNSPECIFIED(&c->ip6.addr))
			logmsg(pri, "IPv6 address: none, link-local only");
		else
			logmsg(pri, "IPv6 address: %s/%i",
			       addr_str(AF_INET6, &c->ip6.addr),
			       c->ip6.prefix_len);
		if (!IN6_IS_ADDR_UNSPECIFIED(&c->ip6.guest_gw))
			logmsg(pri, "IPv6 gateway: %s",
			       addr_str(AF_INET6, &c->ip6.guest_gw));
		logmsg(pri, "IPv6 router link-local: %s",
		       addr_str(AF_INET6, &c->ip6.our_tap_ll));
		if (!IN6_IS_ADDR_UNSPECIFIED(&c->ip6.map_host_loopback))
			logmsg(pri, "IPv6 host loopback mapped from: %s",
			       addr_str(AF_INET6, &c->ip6.map_host_loopback));
	}

	resolv_log(c, pri);

	conf_print_fwd("TCP inbound", &c->run->fwd[FWD_TCP_IN], pri);
	conf_print_fwd("UDP inbound", &c->run->fwd[FWD_UDP_IN], pri);
	if (c->mode == MODE_PASTA) {
		conf_print_fwd("TCP outbound", &c->run->fwd[FWD_TCP_OUT], pri);
		conf_print_fwd("UDP outbound", &c->run->fwd[FWD_UDP_OUT], pri);
	}
}

/**
 * conf_defaults() - Set what must not be zero before parsing
 * @c:		Execution context, mode already set
 * @s:		Options seen
 */
static void conf_defaults(struct ctx *c, struct conf_seen *s)
{
	c->run->fd_tap = c->fd_tap_listen = -1;
	c->pidfile_fd = -1;
	c->pasta_netns_fd = c->pasta_userns_fd = -1;
	c->nl_sock = c->nl_sock_ns = -1;
	c->epollfd = -1;
	c->log_size = LOG_SIZE_DEFAULT;
	c->exit_grace_ms = EXIT_GRACE_MS_DEFAULT;
	c->uid = geteuid();
	c->gid = getegid();
	if (!c->uid) {
		/* Started as root: we'll run as nobody unless told otherwise */
		const struct passwd *pw = getpwnam("nobody");

		c->uid = pw ? pw->pw_uid : NOBODY_ID;
		c->gid = pw ? pw->pw_gid : NOBODY_ID;
	}
	s->prefix4 = -1;
}

/**
 * conf() - Parse the command line, probe the host, fill the context
 * @c:		Execution context, with @c->mode set
 * @argc:	Argument count
 * @argv:	Arguments
 */
void conf(struct ctx *c, int argc, char **argv)
{
	bool pasta = c->mode == MODE_PASTA;
	struct conf_seen s = { 0 };
	int first;

	conf_defaults(c, &s);
	first = conf_options(c, &s, argc, argv);

	if (pasta)
		conf_pasta_target(c, argc, argv, first);
	else if (first < argc)
		die("Unexpected argument '%s'; try '%s --help'", argv[first],
		    basename(argv[0]));

	conf_check(c, &s);
	conf_netns_name(c);

	log_set_level(c->quiet ? LOG_ERR : c->debug ? LOG_DEBUG : LOG_INFO,
		      c->trace);

	/* Only pasta has a namespace to splice loopback connections with */
	if (!pasta)
		c->no_splice = true;

	if (pasta) {
		if (!s.dhcp_dns)
			c->no_dhcp_dns = true;
		if (!s.dhcp_search)
			c->no_dhcp_dns_search = true;
	}

	fwd_finalise(&c->run->fwd[FWD_TCP_IN], pasta);
	fwd_finalise(&c->run->fwd[FWD_UDP_IN], pasta);
	fwd_finalise(&c->run->fwd[FWD_TCP_OUT], pasta);
	fwd_finalise(&c->run->fwd[FWD_UDP_OUT], pasta);
	if (!pasta)
		c->run->fwd[FWD_TCP_OUT].mode = c->run->fwd[FWD_UDP_OUT].mode = FWD_NONE;

	c->nl_sock = nl_sock_open();
	if (c->nl_sock < 0)
		die_perror("Can't open netlink socket");

	if (!c->v6_only) {
		c->ifi4 = conf_template_if(c, AF_INET);
		if (!c->ifi4 && s.addr4)
			c->ifi4 = IFI_NONE;
	}
	if (!c->v4_only) {
		c->ifi6 = conf_template_if(c, AF_INET6);
		if (!c->ifi6 && s.addr6)
			c->ifi6 = IFI_NONE;
	}

	if (c->ifi4 && !conf_ip4(c, &s)) {
		info("No usable IPv4 configuration on the host, IPv4 disabled");
		c->ifi4 = 0;
	}
	if (c->ifi6 && !conf_ip6(c, &s)) {
		info("No usable IPv6 configuration on the host, IPv6 disabled");
		c->ifi6 = 0;
	}
	if (!c->ifi4 && !c->ifi6)
		conf_local(c, &s);

	if (!s.mac) {
		unsigned ifi = c->ifi4 ? c->ifi4 : c->ifi6;

		if (!ifi_on_host(ifi) ||
		    nl_link_get_mac(c->nl_sock, ifi, c->our_tap_mac))
			memcpy(c->our_tap_mac, mac_fallback, ETH_ALEN);
	}
	memset(c->run->guest_mac, 0xff, ETH_ALEN);

	if (!s.mtu)
		c->mtu = MTU_DEFAULT;
	if (c->ifi6 && c->mtu < IPV6_MIN_MTU) {
		info("MTU %i is below the IPv6 minimum, IPv6 disabled", c->mtu);
		c->ifi6 = 0;
	}

	resolv_init(c);
	c->run->host_addr4 = c->ip4.host_addr;
	c->run->host_addr6 = c->ip6.host_addr;
	c->run->guest4 = (struct guest_net4){ c->ip4.addr, c->ip4.prefix_len,
					      c->ip4.guest_gw };
	c->run->guest6 = (struct guest_net6){ c->ip6.addr, c->ip6.prefix_len,
					      c->ip6.guest_gw };

	conf_print(c);
}
