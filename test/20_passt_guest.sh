#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# passt - user-mode networking for virtual machines and namespaces
#
# test/20_passt_guest.sh - A real qemu guest on passt: DHCP, SLAAC, ping,
# libvirt's command line, qrap

. "$(dirname "$0")/lib.sh"
. "${TOP}/test/guest/run.sh"

if ! command -v qemu-system-x86_64 >/dev/null; then
	skip passt_guest "qemu-system-x86_64 not installed"
	exit 0
fi
if ! tb_setup || ! tb_user; then
	fail passt_guest_testbed "could not build the test namespaces"
	exit 1
fi

# The guest's part: DHCP, then IPv6 autoconfiguration, then ping both ways
cat > "${TMP}/guest.sh" <<'EOF'
udhcpc -i eth0 -q -n -t 5 -T 1 2>&1
echo "MTU $(cat /sys/class/net/eth0/mtu)"
echo "ROUTE4 $(ip -4 route show default)"
ping -c 2 -W 2 203.0.113.1 >/dev/null && echo PING4-OK
i=0
while ! ip -6 route show default | grep -q via && [ $i -lt 100 ]; do
	sleep 0.1; i=$((i + 1))
done
i=0
while ip -6 addr show dev eth0 | grep -q tentative && [ $i -lt 100 ]; do
	sleep 0.1; i=$((i + 1))
done
echo "ROUTE6 $(ip -6 route show default | cut -d' ' -f1-5)"
echo "ADDR6 $(ip -6 addr show dev eth0 scope global | \
	      sed -n 's/.*inet6 \([^ ]*\) .*/\1/p')"
ping6 -c 2 -W 2 2001:db8:1::1 >/dev/null && echo PING6-OK
ping -c 1 -W 2 192.0.2.1 >/dev/null && echo PING-GW-OK
EOF

# 1. Defaults, as an unprivileged user, with a capture file
mkdir "${TMP}/user" && chown "${TEST_USER}" "${TMP}/user"
sock="${TMP}/user/passt.sock"
ip netns exec "${NS_HST}" runuser -u "${TEST_USER}" -- \
	"${PASST}" -f -d -s "${sock}" \
	-p "${TMP}/user/cap.pcap" > "${TMP}/passt1.log" 2>&1 &
pid=$!
at_exit "kill ${pid}"
wait_for 5 test -S "${sock}"
check passt_listens_as_user test -S "${sock}"

guest_run "${TMP}/guest.sh" "${TMP}/guest1.log" 90 -- \
	-netdev stream,id=n0,server=off,addr.type=unix,addr.path="${sock}" \
	-device virtio-net-pci,netdev=n0,mac=52:54:00:12:34:56
expect_eq guest_default_exit "$(guest_exit_status "${TMP}/guest1.log")" 0

g="${TMP}/guest1.log"
guest_has dhcp_address_is_host_address	"$g" "DHCP bound ip=192.0.2.2"
guest_has dhcp_prefix_is_host_prefix	"$g" "DHCP bound mask=24"
guest_has dhcp_router_is_host_gateway	"$g" "DHCP bound router=192.0.2.1"
guest_has dhcp_dns_from_host_resolv	"$g" "DHCP bound dns=192.0.2.1"
guest_has dhcp_search_from_host_resolv	"$g" \
	"DHCP bound search=example.test lab.test"
guest_has dhcp_mtu_option		"$g" "DHCP bound mtu=65520"
guest_has dhcp_lease_an_hour		"$g" "DHCP bound lease=3600"
guest_has guest_mtu_applied		"$g" "MTU 65520"
guest_has guest_default_route4		"$g" "ROUTE4 default via 192.0.2.1 dev eth0.*"
guest_has guest_ping4_remote		"$g" "PING4-OK"
guest_has guest_ping4_gateway_mapped	"$g" "PING-GW-OK"
guest_has slaac_prefix_from_host	"$g" "ADDR6 2001:db8::5054:ff:fe12:3456/64"
ll=$(sed -n 's/.*IPv6 router link-local: //p' "${TMP}/passt1.log")
guest_has ra_default_route6_via_us	"$g" "ROUTE6 default via ${ll} dev eth0"
guest_has guest_ping6_remote		"$g" "PING6-OK"

if grep -q "Guest disconnected, waiting" "${TMP}/passt1.log" &&
   kill -0 "${pid}" 2>/dev/null; then
	pass passt_survives_guest_disconnect
else
	fail passt_survives_guest_disconnect "passt exited or didn't notice"
fi

# The capture: nanosecond pcap magic, Ethernet, and frames both ways
magic=$(od -An -tx4 -N4 "${TMP}/user/cap.pcap" | tr -d ' ')
linktype=$(od -An -tu4 -j20 -N4 "${TMP}/user/cap.pcap" | tr -d ' ')
size=$(stat -c %s "${TMP}/user/cap.pcap")
if [ "${magic}" = a1b23c4d ] && [ "${linktype}" = 1 ] &&
   [ "${size}" -gt 2000 ]; then
	pass pcap_file_written
else
	fail pcap_file_written "magic ${magic}, link type ${linktype}," \
			       "${size} bytes"
fi
kill "${pid}"
wait "${pid}" 2>/dev/null

# 2. libvirt's command line: daemon, PID file, one guest, then exit
cat > "${TMP}/guest2.sh" <<'EOF'
udhcpc -i eth0 -q -n -t 5 -T 1 2>&1
ping -c 1 -W 2 203.0.113.1 >/dev/null && echo PING4-OK
EOF
sock="${TMP}/libvirt.sock"
in_hst "${PASST}" --one-off --socket "${sock}" --pid "${TMP}/passt.pid" \
	--mac-addr 52:54:00:aa:bb:cc --interface eth0 \
	--address 192.0.2.77 --netmask 16 --gateway 192.0.2.1 \
	--tcp-ports 2222:22 --udp-ports 5353 --log-file "${TMP}/libvirt.log" \
	-D 198.51.100.53 -S corp.test -m 9000 2>/dev/null
rc=$?
expect_eq libvirt_cmdline_parent_exits_0 "${rc}" 0
dpid=$(cat "${TMP}/passt.pid" 2>/dev/null)
if [ -n "${dpid}" ] && kill -0 "${dpid}" 2>/dev/null && test -S "${sock}"
then
	pass libvirt_daemon_pidfile_and_socket
else
	fail libvirt_daemon_pidfile_and_socket "PID '${dpid}' not running" \
					       "or no socket"
fi
at_exit "kill ${dpid}"

guest_run "${TMP}/guest2.sh" "${TMP}/guest2.log" 90 -- \
	-netdev stream,id=n0,server=off,addr.type=unix,addr.path="${sock}" \
	-device virtio-net-pci,netdev=n0,mac=52:54:00:12:34:56
g="${TMP}/guest2.log"
guest_has dhcp_opt_address		"$g" "DHCP bound ip=192.0.2.77"
guest_has dhcp_opt_netmask		"$g" "DHCP bound mask=16"
guest_has dhcp_opt_gateway		"$g" "DHCP bound router=192.0.2.1"
guest_has dhcp_opt_dns			"$g" "DHCP bound dns=198.51.100.53"
guest_has dhcp_opt_search		"$g" "DHCP bound search=corp.test"
guest_has dhcp_opt_mtu			"$g" "DHCP bound mtu=9000"
guest_has dhcp_opt_server_mac		"$g" "DHCP bound serverid=192.0.2.1"
guest_has libvirt_guest_ping		"$g" "PING4-OK"

if wait_for 5 sh -c "! kill -0 ${dpid}"; then
	pass libvirt_one_off_exits_after_guest
else
	fail libvirt_one_off_exits_after_guest "PID ${dpid} still running"
fi
if grep -q "Guest connected" "${TMP}/libvirt.log"; then
	pass libvirt_log_file_written
else
	fail libvirt_log_file_written "$(head -3 "${TMP}/libvirt.log")"
fi

# 3. The same guest through qrap: qemu gets the connected socket as a file
# descriptor (-netdev socket,fd=N), its own network options replaced
sock="${TMP}/qrap.sock"
ip netns exec "${NS_HST}" "${PASST}" -f -1 -s "${sock}" \
	> "${TMP}/passt3.log" 2>&1 &
pid=$!
at_exit "kill ${pid}"
wait_for 5 test -S "${sock}"

guest_qemu_cmd "${TMP}/guest2.sh" "${TMP}/qrap-initrd" >/dev/null
timeout 90 "${QRAP}" -s "${sock}" 5 "${GUEST_QEMU[@]}" \
	-netdev user,id=u0 -device virtio-net-pci,netdev=u0,mac=52:54:00:12:34:57 \
	< /dev/null > "${TMP}/guest3.log" 2>&1
sed -i 's/\r$//' "${TMP}/guest3.log"
g="${TMP}/guest3.log"
guest_has qrap_guest_dhcp		"$g" "DHCP bound ip=192.0.2.2"
guest_has qrap_guest_ping		"$g" "PING4-OK"
if grep -q "52:54:00:12:34:57" "${TMP}/passt3.log" ||
   wait_for 5 sh -c "! kill -0 ${pid}"; then
	pass qrap_one_off_passt_exits
else
	fail qrap_one_off_passt_exits "passt still running after the guest"
fi
