#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# passt - user-mode networking for virtual machines and namespaces
#
# test/26_dhcp_clients.sh - Real DHCP and DHCPv6 clients (ISC dhclient) in a
# guest namespace get the host's addresses, routes and name servers

. "$(dirname "$0")/lib.sh"

if ! command -v dhclient >/dev/null; then
	skip dhcp_clients "dhclient (isc-dhcp-client) not installed"
	exit 0
fi

export TB_GUEST_NOCONF=1
if ! tb_setup || ! tb_guest; then
	fail dhcp_clients_testbed "could not start passt and the guest"
	exit 1
fi

# dhclient's script writes resolv.conf: give the guest one of its own
mkdir -p "/etc/netns/${NS_GST}"
at_exit "rm -rf /etc/netns/${NS_GST}"
: > "/etc/netns/${NS_GST}/resolv.conf"

in_gst timeout 20 dhclient -4 -1 -v -pf "${TMP}/dh4.pid" \
	-lf "${TMP}/dh4.leases" eth0 > "${TMP}/dh4.log" 2>&1
in_gst dhclient -4 -x -pf "${TMP}/dh4.pid" >/dev/null 2>&1

addr=$(ip -n "${NS_GST}" -4 -br addr show eth0 | awk '{ print $3 }')
expect_eq dhclient4_address_is_host_address "${addr}" "192.0.2.2/24"
route=$(ip -n "${NS_GST}" -4 route show default | cut -d' ' -f1-3)
expect_eq dhclient4_default_route "${route}" "default via 192.0.2.1"
if grep -q "nameserver 192.0.2.1" "/etc/netns/${NS_GST}/resolv.conf" &&
   grep -qE "search example.test\.? lab.test\.?$" \
	"/etc/netns/${NS_GST}/resolv.conf"; then
	pass dhclient4_dns_and_search
else
	fail dhclient4_dns_and_search \
	     "$(tr '\n' '|' < "/etc/netns/${NS_GST}/resolv.conf")"
fi

# DHCPv6 needs a usable link-local address first
wait_for 5 sh -c "! ip -n ${NS_GST} -6 addr show dev eth0 | grep -q tentative"
in_gst timeout 20 dhclient -6 -1 -v -pf "${TMP}/dh6.pid" \
	-lf "${TMP}/dh6.leases" eth0 > "${TMP}/dh6.log" 2>&1
in_gst dhclient -6 -x -pf "${TMP}/dh6.pid" >/dev/null 2>&1

if ip -n "${NS_GST}" -6 addr show dev eth0 | grep -q "inet6 2001:db8::2/"
then
	pass dhclient6_address_is_host_address
else
	fail dhclient6_address_is_host_address \
	     "$(ip -n "${NS_GST}" -6 -br addr show eth0); $(tail -3 \
		"${TMP}/dh6.log")"
fi
route=$(ip -n "${NS_GST}" -6 route show default | cut -d' ' -f1-2)
expect_eq ra_default_route6 "${route}" "default via"
if grep -q "nameserver 2001:db8::1" "/etc/netns/${NS_GST}/resolv.conf"
then
	pass dhclient6_dns
else
	fail dhclient6_dns "$(tr '\n' '|' < "/etc/netns/${NS_GST}/resolv.conf")"
fi
if grep -q "fixed-address6 2001:db8::2" "${TMP}/dh6.leases" ||
   grep -q "iaaddr 2001:db8::2" "${TMP}/dh6.leases"; then
	pass dhclient6_lease_recorded
else
	fail dhclient6_lease_recorded "$(head -c 300 "${TMP}/dh6.leases")"
fi
