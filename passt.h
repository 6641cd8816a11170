/* SPDX-License-Identifier: GPL-2.0-or-later
 *
 * passt - user-mode networking for virtual machines and namespaces
 *
 * passt.h - Execution context and epoll reference shared by every part
 */

#ifndef PASST_H
#define PASST_H

#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <time.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sys/types.h>
#include <sys/un.h>
#include <linux/if_ether.h>

#include "fwd.h"
#include "inany.h"
#include "link.h"

#define DNS_MAX_PER_FAMILY	3	/* Servers we advertise, as MAXNS */
#define DNS_SEARCH_MAX		6	/* Search domains, as MAXDNSRCH */
#define DNS_NAME_MAX		254	/* Text form, with terminator */

#define MTU_DEFAULT		65520
#define MTU_MIN			68
#define MTU_MAX			65520
#define IPV6_MIN_MTU		1280

#define SOCK_PATH_DEFAULT_FMT	"/tmp/passt_%i.socket"
#define SOCK_PATH_MAX_TRIES	128

#define NETNS_RUN_DIR		"/run/netns"

/**
 * enum passt_mode - What we are: a daemon for qemu, or a namespace helper
 * @MODE_PASST:	Guest is a qemu instance on a UNIX domain socket
 * @MODE_PASTA:	Guest is a network namespace with a tap device
 */
enum passt_mode {
	MODE_PASST,
	MODE_PASTA,
};

/* Template interface of a family that's on, but not copied from the host */
#define IFI_NONE		(-1U)

/**
 * enum epoll_type - Kind of descriptor an epoll event is about
 * @EPOLL_TYPE_NONE:		Not used
 * @EPOLL_TYPE_TAP_LISTEN:	passt: listening UNIX socket
 * @EPOLL_TYPE_TAP_PASST:	passt: connected UNIX socket to qemu
 * @EPOLL_TYPE_TAP_PASTA:	pasta: tap device
 * @EPOLL_TYPE_TCP:		Connected TCP socket, translated to the tap
 * @EPOLL_TYPE_TCP_SPLICE:	Connected TCP socket of a spliced pair
 * @EPOLL_TYPE_TCP_LISTEN:	Listening TCP socket, port forwarding
 * @EPOLL_TYPE_UDP_LISTEN:	Bound UDP socket, port forwarding
 * @EPOLL_TYPE_UDP_REPLY:	UDP socket of a flow started by the guest
 * @EPOLL_TYPE_PING:		ICMP/ICMPv6 echo ("ping") socket
 * @EPOLL_TYPE_NSQUIT_INOTIFY:	pasta: inotify on the namespace directory
 * @EPOLL_TYPE_NSQUIT_TIMER:	pasta: timer polling the namespace file
 * @EPOLL_TYPE_NSQUIT_PIDFD:	pasta: pidfd of the namespace's process
 * @EPOLL_TYPE_SIGNAL:		signalfd, for SIGCHLD and termination
 * @EPOLL_TYPE_VU_CMD:		passt: vhost-user connection to the front end
 * @EPOLL_TYPE_VU_KICK:		passt: kick eventfd of a vhost-user queue
 * @EPOLL_TYPE_CTL_LISTEN:	Listening control socket (-c)
 * @EPOLL_TYPE_CTL:		Connection of a control client
 * @EPOLL_TYPE_RESOLV:		inotify on the directory of resolv.conf
 * @EPOLL_TYPE_FOLLOW:		Netlink: the host's address changes
 * @EPOLL_TYPE_MCAST:		UDP socket of a multicast group the guest joined
 * @EPOLL_NUM_TYPES:		Number of types
 */
enum epoll_type {
	EPOLL_TYPE_NONE = 0,
	EPOLL_TYPE_TAP_LISTEN,
	EPOLL_TYPE_TAP_PASST,
	EPOLL_TYPE_TAP_PASTA,
	EPOLL_TYPE_TCP,
	EPOLL_TYPE_TCP_SPLICE,
	EPOLL_TYPE_TCP_LISTEN,
	EPOLL_TYPE_UDP_LISTEN,
	EPOLL_TYPE_UDP_REPLY,
	EPOLL_TYPE_PING,
	EPOLL_TYPE_NSQUIT_INOTIFY,
	EPOLL_TYPE_NSQUIT_TIMER,
	EPOLL_TYPE_NSQUIT_PIDFD,
	EPOLL_TYPE_SIGNAL,
	EPOLL_TYPE_VU_CMD,
	EPOLL_TYPE_VU_KICK,
	EPOLL_TYPE_CTL_LISTEN,
	EPOLL_TYPE_CTL,
	EPOLL_TYPE_RESOLV,
	EPOLL_TYPE_FOLLOW,
	EPOLL_TYPE_MCAST,
	EPOLL_NUM_TYPES,
};

/**
 * union epoll_ref - The 64 bits stored with each descriptor in epoll
 * @type:	Kind of descriptor, enum epoll_type
 * @fd:		Descriptor number
 * @flow:	Index in the flow table (TCP, TCP_SPLICE, UDP_REPLY, PING)
 * @flowside:	Which side of the flow the descriptor is for
 * @listen:	Listening or bound socket for port forwarding
 * @listen.port:	Port bound, host order
 * @listen.rule:	Rule index in the forwarding table, or FWD_RULE_NONE
 * @listen.pif:		Interface the socket is on (host side, namespace side)
 * @listen.v6:		Socket is IPv6 (possibly dual-stack)
 * @data:	Raw handler data
 * @u64:	Whole reference, as stored in epoll_data
 */
union epoll_ref {
	struct {
		uint8_t type;
		int32_t fd:24;
		union {
			struct {
				uint32_t flow:24;
				uint32_t flowside:8;
			};
			struct {
				uint16_t port;
				uint8_t rule;
				uint8_t pif:4;
				uint8_t v6:4;
			} listen;
			uint32_t data;
		};
	};
	uint64_t u64;
};

/**
 * enum pif - Interfaces a flow can have a side on
 * @PIF_NONE:	None
 * @PIF_HOST:	Sockets in the host (init) namespace
 * @PIF_TAP:	The guest, through the tap device or UNIX socket
 * @PIF_SPLICE:	Sockets in the pasta namespace, loopback splicing
 */
enum pif {
	PIF_NONE = 0,
	PIF_HOST,
	PIF_TAP,
	PIF_SPLICE,
};

/**
 * struct ip4_ctx - IPv4 configuration
 * @addr:		Address assigned to the guest
 * @prefix_len:		Prefix length of @addr
 * @guest_gw:		Gateway advertised to the guest
 * @map_host_loopback:	Address that reaches the host's loopback, or any
 * @map_guest_addr:	Address that reaches the host's own address, or any
 * @dns:		DNS servers given with -D, ends at INADDR_ANY
 * @dns_match:		Address whose DNS traffic we forward (--dns-forward)
 * @dns_host:		Resolver such traffic goes to, if given (--dns-host)
 * @addr_out:		Source address for outbound sockets, or any
 * @ifname_out:		Interface outbound sockets bind to, or empty
 * @our_tap_addr:	Our source address for messages we originate
 * @host_addr:		Host's address on the template interface, at start
 * @host_prefix_len:	Prefix length of @host_addr
 * @host_gw:		Host's default gateway
 * @no_copy_routes:	pasta: don't copy routes to the namespace
 * @no_copy_addrs:	pasta: don't copy addresses to the namespace
 * @follow_addr:	@addr and @prefix_len are the host's, not given: they
 *			follow the host's as it renumbers (see follow.c)
 * @follow_gw:		@guest_gw is the host's gateway, not given: it follows
 */
struct ip4_ctx {
	struct in_addr addr;
	int prefix_len;
	struct in_addr guest_gw;
	struct in_addr map_host_loopback;
	struct in_addr map_guest_addr;
	struct in_addr dns[DNS_MAX_PER_FAMILY + 1];
	struct in_addr dns_match;
	struct in_addr dns_host;
	struct in_addr addr_out;
	char ifname_out[IFNAMSIZ];
	struct in_addr our_tap_addr;
	struct in_addr host_addr;
	int host_prefix_len;
	struct in_addr host_gw;
	bool no_copy_routes;
	bool no_copy_addrs;
	bool follow_addr;
	bool follow_gw;
};

/**
 * struct ip6_ctx - IPv6 configuration
 * @addr:		Address assigned to the guest
 * @prefix_len:		Prefix length of @addr
 * @guest_gw:		Gateway advertised to the guest (our router address)
 * @map_host_loopback:	Address that reaches the host's loopback, or any
 * @map_guest_addr:	Address that reaches the host's own address, or any
 * @dns:		DNS servers given with -D, ends at ::
 * @dns_match:		Address whose DNS traffic we forward (--dns-forward)
 * @dns_host:		Resolver such traffic goes to, if given (--dns-host)
 * @addr_out:		Source address for outbound sockets, or any
 * @ifname_out:		Interface outbound sockets bind to, or empty
 * @our_tap_ll:		Our link-local address on the tap link
 * @host_addr:		Host's global address on the template interface, at
 *			start
 * @host_prefix_len:	Prefix length of @host_addr
 * @host_addr_ll:	Host's link-local address on the template interface
 * @host_gw:		Host's default gateway
 * @no_copy_routes:	pasta: don't copy routes to the namespace
 * @no_copy_addrs:	pasta: don't copy addresses to the namespace
 * @follow_addr:	@addr and @prefix_len are the host's, not given: they
 *			follow the host's as it renumbers (see follow.c)
 * @follow_gw:		@guest_gw is the host's gateway, not given: it follows
 */
struct ip6_ctx {
	struct in6_addr addr;
	int prefix_len;
	struct in6_addr guest_gw;
	struct in6_addr map_host_loopback;
	struct in6_addr map_guest_addr;
	struct in6_addr dns[DNS_MAX_PER_FAMILY + 1];
	struct in6_addr dns_match;
	struct in6_addr dns_host;
	struct in6_addr addr_out;
	char ifname_out[IFNAMSIZ];
	struct in6_addr our_tap_ll;
	struct in6_addr host_addr;
	int host_prefix_len;
	struct in6_addr host_addr_ll;
	struct in6_addr host_gw;
	bool no_copy_routes;
	bool no_copy_addrs;
	bool follow_addr;
	bool follow_gw;
};

/**
 * struct dns_name - A domain name in text form
 * @n:		Name, terminated
 */
struct dns_name {
	char n[DNS_NAME_MAX];
};

/**
 * struct dns_run - Name servers and search domains in effect: from the
 *		    command line, else from the host's resolv.conf, as it is now
 * @dns4:	IPv4 servers advertised to the guest, ends at INADDR_ANY
 * @match4:	IPv4 address whose DNS traffic goes to @host4, or INADDR_ANY
 * @host4:	IPv4 resolver of forwarded DNS traffic, or INADDR_ANY
 * @dns6:	IPv6 servers advertised to the guest, ends at ::
 * @match6:	IPv6 address whose DNS traffic goes to @host6, or ::
 * @host6:	IPv6 resolver of forwarded DNS traffic, or ::
 * @search:	Search domains advertised, ends with an empty name
 */
struct dns_run {
	struct in_addr dns4[DNS_MAX_PER_FAMILY + 1];
	struct in_addr match4;
	struct in_addr host4;
	struct in6_addr dns6[DNS_MAX_PER_FAMILY + 1];
	struct in6_addr match6;
	struct in6_addr host6;
	struct dns_name search[DNS_SEARCH_MAX + 1];
};

/**
 * struct guest_net4 - The guest's IPv4 address, as we give it now
 * @addr:		Address, INADDR_ANY if none
 * @prefix_len:		Its prefix length
 * @gw:			Default gateway
 */
struct guest_net4 {
	struct in_addr addr;
	int prefix_len;
	struct in_addr gw;
};

/**
 * struct guest_net6 - The guest's global IPv6 address, as we give it now
 * @addr:		Address, :: if none (link-local only)
 * @prefix_len:		Its prefix length
 * @gw:			Default gateway (pasta's namespace: for passt's guest,
 *			router advertisements come from @our_tap_ll)
 */
struct guest_net6 {
	struct in6_addr addr;
	int prefix_len;
	struct in6_addr gw;
};

/**
 * struct ctx_run - What changes while we run
 * @now:		Time of the current wake-up of the main loop
 * @fd_tap:		Connected socket (passt), vhost-user connection, or tap
 *			device (pasta), or -1
 * @link_offload:	What the guest's end of the link takes, LINK_OFFLOAD_*
 * @guest_mac:		MAC address of the guest, learnt, or broadcast
 * @addr4_seen:		Last IPv4 source address seen from the guest
 * @addr6_seen:		Last global IPv6 source address seen from the guest
 * @addr6_ll_seen:	Last link-local IPv6 source address from the guest
 * @fwd:		Forwarding tables, by enum fwd_table_id: -t, -u, -T,
 *			-U, as the command line and the control socket set them
 * @dns:		Name servers and search domains in effect
 * @host_addr4:		Host's IPv4 address on the template interface, as now
 * @host_addr6:		Host's global IPv6 address there, as now
 * @guest4:		What DHCP gives the guest: the configured address, or
 *			the host's as it is now where it follows the host
 * @guest6:		What DHCPv6 and router advertisements give, the same way
 */
struct ctx_run {
	struct timespec now;
	int fd_tap;
	unsigned link_offload;
	unsigned char guest_mac[ETH_ALEN];
	struct in_addr addr4_seen;
	struct in6_addr addr6_seen;
	struct in6_addr addr6_ll_seen;
	struct fwd_ports fwd[FWD_TABLES];
	struct dns_run dns;
	struct in_addr host_addr4;
	struct in6_addr host_addr6;
	struct guest_net4 guest4;
	struct guest_net6 guest6;
};

/**
 * struct ctx - Configuration: read-only once start-up is done, see ctx_seal()
 * @mode:		passt or pasta
 * @pid_file:		Path of the PID file, empty for none
 * @pidfile_fd:		Open PID file, or -1
 * @pcap:		Path of the capture file, empty for none
 * @log_file:		Path of the log file, empty for none
 * @log_size:		Size limit of the log file
 * @debug:		-d given
 * @trace:		--trace given
 * @quiet:		-q given
 * @foreground:		Stay in the foreground
 * @force_stderr:	Log to standard error even in the background
 * @uid:		User to run as, after --runas or default
 * @gid:		Group to run as
 * @runas_given:	--runas was on the command line
 * @chroot_fallback:	chroot() into the empty root where pivot_root() fails
 * @epollfd:		epoll descriptor of the main loop
 * @sock_path:		passt: path of the UNIX domain socket
 * @fd_tap_listen:	passt: listening socket, or -1
 * @link:		Back end of the link to the guest
 * @one_off:		passt: quit when the guest disconnects
 * @exit_grace_ms:	At exit, how long flows may take to finish sending
 * @fd_given:		passt: -F given
 * @vhost_user:		passt: vhost-user back end (--vhost-user)
 * @repair_path:	passt: --repair-path, empty for none (unused so far)
 * @ctl_path:		Path of the control socket (-c), empty for none
 * @stats_delay:	--stats: seconds between counter reports, 0 for none
 * @our_tap_mac:	MAC address we use on the tap link
 * @mtu:		MTU of the tap link, 0 if not to be advertised
 * @ifi4:		Template interface index for IPv4, 0 if IPv4 is off,
 *			IFI_NONE if on without one (see ifi_on_host())
 * @ifi6:		Template interface index for IPv6, the same way
 * @ifname:		Template interface given with -i, empty otherwise
 * @ip4:		IPv4 configuration
 * @ip6:		IPv6 configuration
 * @v4_only:		-4 given
 * @v6_only:		-6 given
 * @dns_search:		Search domains given with -S, ends with an empty name
 * @hostname:		Host name for DHCP (option 12), empty for none
 * @fqdn:		FQDN for DHCP (option 81) and DHCPv6, empty for none
 * @no_dns:		-D none: advertise no DNS server
 * @no_dns_search:	-S none: advertise no search domain
 * @no_tcp:		--no-tcp
 * @no_udp:		--no-udp
 * @no_icmp:		--no-icmp
 * @no_dhcp:		--no-dhcp
 * @no_ndp:		--no-ndp
 * @no_dhcpv6:		--no-dhcpv6
 * @no_ra:		--no-ra
 * @no_dhcp_dns:	Don't advertise DNS servers via DHCP, NDP, DHCPv6
 * @no_dhcp_dns_search:	Don't advertise search domains
 * @no_map_gw:		--no-map-gw
 * @freebind:		--freebind: bind to non-local addresses
 * @pasta_ifname:	pasta: name of the tap device in the namespace
 * @pasta_ifi:		pasta: its index
 * @pasta_mac:		pasta: MAC address of the tap device (--ns-mac-addr)
 * @pasta_mac_set:	pasta: --ns-mac-addr given
 * @netns_path:		pasta: path of the target network namespace
 * @userns_path:	pasta: path of the target user namespace
 * @nsrun_dir:		pasta: directory for namespace names
 * @netns_only:		pasta: don't join or create a user namespace
 * @no_netns_quit:	pasta: don't quit when the namespace goes away
 * @no_follow_host:	Don't follow changes of the host's resolv.conf, address
 * @no_mcast:		--no-multicast: don't join groups for the guest
 * @pasta_conf_ns:	pasta: configure the namespace (--config-net)
 * @no_splice:		Don't splice loopback connections (always for passt)
 * @splice_only:	pasta: no tap device, every forwarded connection is
 *			spliced to the namespace's loopback
 * @host_lo_to_ns_lo:	pasta: host loopback traffic reaches ns loopback
 * @pasta_netns_fd:	pasta: open namespace descriptor, or -1
 * @pasta_userns_fd:	pasta: open user namespace descriptor, or -1
 * @pasta_child_pid:	pasta: PID of the command we started, or 0
 * @pasta_argv:		pasta: command to run, NULL for the shell
 * @nl_sock:		Netlink socket in the init namespace
 * @nl_sock_ns:		pasta: netlink socket in the target namespace
 * @run:		What changes while we run
 */
struct ctx {
	enum passt_mode mode;

	char pid_file[PATH_MAX];
	int pidfile_fd;
	char pcap[PATH_MAX];
	char log_file[PATH_MAX];
	size_t log_size;
	bool debug;
	bool trace;
	bool quiet;
	bool foreground;
	bool force_stderr;
	uid_t uid;
	gid_t gid;
	bool runas_given;
	bool chroot_fallback;

	int epollfd;
	char sock_path[sizeof(((struct sockaddr_un *)0)->sun_path)];
	int fd_tap_listen;
	const struct link_ops *link;
	bool one_off;
	bool fd_given;
	bool vhost_user;
	char repair_path[PATH_MAX];
	char ctl_path[sizeof(((struct sockaddr_un *)0)->sun_path)];
	unsigned stats_delay;
	long long exit_grace_ms;

	unsigned char our_tap_mac[ETH_ALEN];
	int mtu;

	unsigned ifi4;
	unsigned ifi6;
	char ifname[IFNAMSIZ];
	struct ip4_ctx ip4;
	struct ip6_ctx ip6;
	bool v4_only;
	bool v6_only;

	struct dns_name dns_search[DNS_SEARCH_MAX + 1];
	char hostname[DNS_NAME_MAX];
	char fqdn[DNS_NAME_MAX];
	bool no_dns;
	bool no_dns_search;

	bool no_tcp;
	bool no_udp;
	bool no_icmp;
	bool no_dhcp;
	bool no_ndp;
	bool no_dhcpv6;
	bool no_ra;
	bool no_dhcp_dns;
	bool no_dhcp_dns_search;
	bool no_map_gw;
	bool freebind;


	char pasta_ifname[IFNAMSIZ];
	unsigned pasta_ifi;
	unsigned char pasta_mac[ETH_ALEN];
	bool pasta_mac_set;
	char netns_path[PATH_MAX];
	char userns_path[PATH_MAX];
	char nsrun_dir[PATH_MAX];
	bool netns_only;
	bool no_netns_quit;
	bool no_follow_host;
	bool no_mcast;
	bool pasta_conf_ns;
	bool no_splice;
	bool splice_only;
	bool host_lo_to_ns_lo;
	int pasta_netns_fd;
	int pasta_userns_fd;
	pid_t pasta_child_pid;
	char **pasta_argv;

	int nl_sock;
	int nl_sock_ns;

	struct ctx_run *run;
};

/**
 * ifi_on_host() - Tell if a template interface index is one of the host's
 * @ifi:	Index, 0 if the family is off, IFI_NONE if it's on with no
 *		interface of the host to copy from (addresses given with -a)
 *
 * Return: true if @ifi is a real interface index
 */
static inline bool ifi_on_host(unsigned ifi)
{
	return ifi && ifi != IFI_NONE;
}

/**
 * guest_addr6() - The guest's IPv6 address we send new flows to
 * @c:		Execution context
 *
 * Return: its global address, the link-local one if it has none (local mode)
 */
static inline const struct in6_addr *guest_addr6(const struct ctx *c)
{
	if (IN6_IS_ADDR_UNSPECIFIED(&c->run->addr6_seen))
		return &c->run->addr6_ll_seen;
	return &c->run->addr6_seen;
}

/**
 * ipv4_enabled() - Tell if IPv4 is in use
 * @c:		Execution context
 *
 * Return: true if IPv4 is on
 */
static inline bool ipv4_enabled(const struct ctx *c)
{
	return c->ifi4 != 0;
}

/**
 * ipv6_enabled() - Tell if IPv6 is in use
 * @c:		Execution context
 *
 * Return: true if IPv6 is on
 */
static inline bool ipv6_enabled(const struct ctx *c)
{
	return c->ifi6 != 0;
}

#endif /* PASST_H */
