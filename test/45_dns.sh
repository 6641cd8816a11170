#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# passt - user-mode networking for virtual machines and namespaces
#
# test/45_dns.sh - Name resolution for the guest: through the advertised
# server, through --dns-forward, and with the host's resolver on loopback

. "$(dirname "$0")/lib.sh"

need_tools dns dnsmasq dig
if ! tb_setup; then
	fail dns_testbed "could not build the test namespaces"
	exit 1
fi

# dnsmasq_start() - A name server answering for example.test
# $1:	Namespace role
# $2:	IPv4 answer
# $3:	IPv6 answer
# $@:	Addresses to listen on
dnsmasq_start() {
	local ns="$1" a4="$2" a6="$3" addrs
	shift 3
	addrs=$(IFS=,; echo "$*")
	bg "${ns}" dnsmasq -k -C /dev/null -u root --no-resolv --no-hosts \
		--bind-interfaces --listen-address="${addrs}" --port 53 \
		--pid-file="${TMP}/dnsmasq-${ns}.pid" \
		--address=/example.test/"${a4}" --address=/example.test/"${a6}"
	wait_bound_udp "${ns}" 53
}

# resolve() - Ask a server for an address, print the first answer
# $1:	Server
# $2:	Record type
# $@:	Extra dig options
resolve() {
	local server="$1" type="$2"
	shift 2
	in_gst dig +short +time=2 +tries=2 "$@" @"${server}" www.example.test \
		"${type}" 2>&1 | head -1
}

dnsmasq_start out 203.0.113.5 2001:db8:1::5 192.0.2.1 2001:db8::1

# 1. The advertised servers, reached through passt as they are
tb_guest || { fail dns_guest "could not start passt"; exit 1; }
expect_eq dns_advertised_v4_udp "$(resolve 192.0.2.1 A)" 203.0.113.5
expect_eq dns_advertised_v4_tcp "$(resolve 192.0.2.1 A +tcp)" 203.0.113.5
expect_eq dns_advertised_v6_udp "$(resolve 2001:db8::1 AAAA)" 2001:db8:1::5
expect_eq dns_advertised_v6_tcp "$(resolve 2001:db8::1 AAAA +tcp)" \
	  2001:db8:1::5
tb_guest_stop

# 2. --dns-forward: what goes to that address goes to the host's resolver
tb_guest --dns-forward 169.254.0.1 --dns-forward 2001:db8:ff::53 ||
	{ fail dns_guest "could not start passt"; exit 1; }
expect_eq dns_forward_advertised \
	  "$(grep -c "IPv4 DNS: 169.254.0.1$" "${TMP}/passt.log")" 1
expect_eq dns_forward_v4_udp "$(resolve 169.254.0.1 A)" 203.0.113.5
expect_eq dns_forward_v4_tcp "$(resolve 169.254.0.1 A +tcp)" 203.0.113.5
expect_eq dns_forward_v6_udp "$(resolve 2001:db8:ff::53 AAAA)" 2001:db8:1::5
expect_eq dns_forward_v6_tcp "$(resolve 2001:db8:ff::53 AAAA +tcp)" \
	  2001:db8:1::5
tb_guest_stop

# 3. The host's resolver is on its loopback, like systemd-resolved: the
# guest is told the gateway, and what it sends there reaches the resolver
dnsmasq_start hst 203.0.113.53 2001:db8:1::53 127.0.0.53
cat > "/etc/netns/${NS_HST}/resolv.conf" <<-EOF
	nameserver 127.0.0.53
	options edns0 trust-ad
	search example.test
EOF
export TB_GUEST_NOCONF=1
tb_guest || { fail dns_guest "could not start passt"; exit 1; }
mkdir -p "/etc/netns/${NS_GST}"
at_exit "rm -rf /etc/netns/${NS_GST}"
: > "/etc/netns/${NS_GST}/resolv.conf"
if command -v dhclient >/dev/null; then
	in_gst timeout 20 dhclient -4 -1 -pf "${TMP}/dh.pid" \
		-lf "${TMP}/dh.leases" eth0 >/dev/null 2>&1
	in_gst dhclient -4 -x -pf "${TMP}/dh.pid" >/dev/null 2>&1
	ns=$(sed -n 's/^nameserver //p' "/etc/netns/${NS_GST}/resolv.conf")
	expect_eq dns_loopback_resolver_not_advertised "${ns}" 192.0.2.1
else
	ip -n "${NS_GST}" addr add 192.0.2.2/24 dev eth0
	ip -n "${NS_GST}" route add default via 192.0.2.1
fi
expect_eq dns_loopback_resolver_reached_via_gateway_udp \
	  "$(resolve 192.0.2.1 A)" 203.0.113.53
expect_eq dns_loopback_resolver_reached_via_gateway_tcp \
	  "$(resolve 192.0.2.1 A +tcp)" 203.0.113.53
