#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# passt - user-mode networking for virtual machines and namespaces
#
# test/47_follow_host.sh - The host changes while we run. Its resolv.conf:
# replaced by rename, written in place, behind a symbolic link; what
# --dns-forward traffic reaches, what DHCP and router advertisements give, and
# --no-follow-host. Its address: where --map-guest-addr leads.
#
# The "host" namespace gets a mount namespace of its own where /etc is an
# overlay on the real one, so that its resolv.conf can be replaced without
# touching this machine's.

. "$(dirname "$0")/lib.sh"

PASTA="${TMP}/pasta"
ln -s "${PASST}" "${PASTA}"
NS_PST="pt-pst-${TB_ID}"

need_tools follow_host dnsmasq dig
if ! tb_setup; then
	fail follow_host_testbed "could not build the test namespaces"
	exit 1
fi

# in_etc() - Run a command in the mount namespace with our own /etc
# $@:	Command
in_etc() {
	nsenter -t "${ETC_PID}" -m "$@"
}

# resolv_set() - Write resolv.conf there
# $1:	How: "rename" (a new file over it) or "inplace"
# $2:	Path, default /etc/resolv.conf
# $@:	Lines
resolv_set() {
	local how="$1" path="$2"
	shift 2
	if [ "${how}" = rename ]; then
		printf '%s\n' "$@" | in_etc sh -c "cat > ${path}.new &&
						   mv ${path}.new ${path}"
	else
		printf '%s\n' "$@" | in_etc sh -c "cat > ${path}"
	fi
}

# ask() - Resolve www.example.test from a namespace, print the first answer
# $1:	Namespace role
# $2:	Server
# $3:	Record type
ask() {
	ip netns exec "$(ns_of "$1")" dig +short +time=1 +tries=2 @"$2" \
		www.example.test "$3" 2>&1 | head -1
}

# ask_until() - Ask until the answer is the expected one, or 5 s passed
# $1:	Namespace role
# $2:	Server
# $3:	Record type
# $4:	Expected answer
ask_until() {
	local a
	for _ in $(seq 10); do
		a=$(ask "$1" "$2" "$3")
		[ "${a}" = "$4" ] && break
		sleep 0.5
	done
	echo "${a}"
}

# Two name servers in the network namespace, telling apart who answered:
# A on the gateway's addresses, B on the remote ones
for srv in "A 192.0.2.1 2001:db8::1 5" "B 203.0.113.1 2001:db8:1::1 6"; do
	# shellcheck disable=SC2086
	set -- ${srv}
	bg out dnsmasq -k -C /dev/null -u root --no-resolv --no-hosts \
		--bind-interfaces --listen-address="$2,$3" --port 53 \
		--pid-file="${TMP}/dnsmasq-$1.pid" \
		--address=/example.test/203.0.113."$4" \
		--address=/example.test/2001:db8:1::"$4"
done
wait_for 5 sh -c "ip netns exec ${NS_OUT} ss -Huln sport = :53 | \
		  grep -c . | grep -q 4"

# /etc of our own: an overlay, in a mount namespace held by a sleeping
# process in the host's network namespace
mkdir -p "${TMP}/etc-up" "${TMP}/etc-work"
# Where a link points, as /run/systemd/resolve: anybody may look in
RUN_RESOLV=$(mktemp -d /tmp/passt-resolv.XXXXXX)
chmod 755 "${RUN_RESOLV}"
at_exit "rm -rf ${RUN_RESOLV}"
nsenter --net="/run/netns/${NS_HST}" unshare -m --propagation slave \
	sh -c "mount -t overlay overlay -o lowerdir=/etc,upperdir=${TMP}/etc-up,workdir=${TMP}/etc-work /etc &&
	       touch ${TMP}/etc-ready && exec sleep 600" &
ETC_PID=$!
at_exit "kill ${ETC_PID}"
if ! wait_for 5 test -e "${TMP}/etc-ready"; then
	if ! grep -qw overlay /proc/filesystems; then
		skip follow_host "no overlayfs in this kernel for a private /etc"
		exit 0
	fi
	fail follow_host_overlay "no overlay on /etc"
	exit 1
fi
in_etc rm -f /etc/resolv.conf
resolv_set inplace /etc/resolv.conf "nameserver 192.0.2.1" \
	   "nameserver 2001:db8::1" "search a.test"

# 1. pasta, --dns-forward: the resolver it forwards to follows the file
ip netns add "${NS_PST}"
at_exit "ip netns del ${NS_PST}"
nsenter -t "${ETC_PID}" -m -n "${PASTA}" --config-net \
	--netns "${NS_PST}" -t none -u none -T none -U none \
	--dns-forward 169.254.0.1 --dns-forward 2001:db8:ff::53 \
	-P "${TMP}/pasta.pid" -l "${TMP}/pasta.log" 2>/dev/null
expect_eq follow_pasta_starts $? 0
at_exit "kill $(cat "${TMP}/pasta.pid" 2>/dev/null)"

expect_eq follow_pasta_v4_first "$(ask pst 169.254.0.1 A)" 203.0.113.5
expect_eq follow_pasta_v6_first "$(ask pst 2001:db8:ff::53 AAAA)" \
	  2001:db8:1::5

resolv_set rename /etc/resolv.conf "nameserver 203.0.113.1" \
	   "nameserver 2001:db8:1::1"
expect_eq follow_pasta_v4_replaced \
	  "$(ask_until pst 169.254.0.1 A 203.0.113.6)" 203.0.113.6
expect_eq follow_pasta_v6_replaced \
	  "$(ask_until pst 2001:db8:ff::53 AAAA 2001:db8:1::6)" 2001:db8:1::6
expect_eq follow_pasta_logged \
	  "$(grep -c 'IPv4 DNS forward: 169.254.0.1 to 203.0.113.1$' \
	     "${TMP}/pasta.log")" 1

resolv_set inplace /etc/resolv.conf "nameserver 192.0.2.1"
expect_eq follow_pasta_v4_written_in_place \
	  "$(ask_until pst 169.254.0.1 A 203.0.113.5)" 203.0.113.5

# Gone for a moment: what was there stays in use
in_etc rm /etc/resolv.conf
sleep 0.5
expect_eq follow_pasta_removed_keeps_last "$(ask pst 169.254.0.1 A)" \
	  203.0.113.5
kill "$(cat "${TMP}/pasta.pid")"
ip netns del "${NS_PST}"

# 2. Behind a symbolic link, as resolvconf and systemd-resolved have it:
# the target is replaced in its own directory
resolv_set inplace "${RUN_RESOLV}/resolv.conf" "nameserver 192.0.2.1"
in_etc ln -sf "${RUN_RESOLV}/resolv.conf" /etc/resolv.conf
ip netns add "${NS_PST}"
nsenter -t "${ETC_PID}" -m -n "${PASTA}" --config-net \
	--netns "${NS_PST}" -t none -u none -T none -U none -4 \
	--dns-forward 169.254.0.1 -P "${TMP}/pasta.pid" \
	-l "${TMP}/pasta2.log" 2>/dev/null
expect_eq follow_link_pasta_starts $? 0
expect_eq follow_link_first "$(ask pst 169.254.0.1 A)" 203.0.113.5
resolv_set rename "${RUN_RESOLV}/resolv.conf" "nameserver 203.0.113.1"
expect_eq follow_link_target_replaced \
	  "$(ask_until pst 169.254.0.1 A 203.0.113.6)" 203.0.113.6

# The link itself pointed elsewhere: that isn't followed, and we say so
resolv_set inplace "${RUN_RESOLV}/other.conf" "nameserver 192.0.2.1"
in_etc sh -c "ln -s ${RUN_RESOLV}/other.conf /etc/resolv.conf.new &&
	      mv -T /etc/resolv.conf.new /etc/resolv.conf"
sleep 0.5
expect_eq follow_link_repointed_kept "$(ask pst 169.254.0.1 A)" 203.0.113.6
expect_eq follow_link_repointed_warned \
	  "$(grep -c "now links to ${RUN_RESOLV}/other.conf: not followed" \
	     "${TMP}/pasta2.log")" 1
kill "$(cat "${TMP}/pasta.pid")"
ip netns del "${NS_PST}"

# 3. --no-follow-host: the file is read at start only
in_etc rm -f /etc/resolv.conf
resolv_set inplace /etc/resolv.conf "nameserver 192.0.2.1"
ip netns add "${NS_PST}"
nsenter -t "${ETC_PID}" -m -n "${PASTA}" --config-net \
	--netns "${NS_PST}" -t none -u none -T none -U none -4 \
	--dns-forward 169.254.0.1 --no-follow-host -P "${TMP}/pasta.pid" \
	2>/dev/null
expect_eq follow_off_pasta_starts $? 0
resolv_set rename /etc/resolv.conf "nameserver 203.0.113.1"
sleep 0.5
expect_eq follow_off_kept "$(ask pst 169.254.0.1 A)" 203.0.113.5
kill "$(cat "${TMP}/pasta.pid")"
ip netns del "${NS_PST}"

# 4. passt: DHCP gives the new servers, and a router advertisement tells the
# guest at once, withdrawing the server that went away
resolv_set inplace /etc/resolv.conf "nameserver 192.0.2.1" \
	   "nameserver 2001:db8::1" "search a.test"
PASST_WRAP="nsenter -t ${ETC_PID} -m" tb_guest -p "${TMP}/follow.pcap" ||
	{ fail follow_passt_guest "could not start passt"; exit 1; }

cat > "${TMP}/udhcpc.sh" <<'EOF'
#!/bin/sh
[ "$1" = bound ] && echo "DNS ${dns} DOMAIN ${domain}"
exit 0
EOF
chmod +x "${TMP}/udhcpc.sh"

# dhcp_dns() - Ask passt's DHCP server, print the name servers it gives
dhcp_dns() {
	in_gst busybox udhcpc -i eth0 -q -n -f -t 3 -T 1 \
		-s "${TMP}/udhcpc.sh" 2>/dev/null | grep '^DNS' | tail -1
}

expect_eq follow_passt_dhcp_first "$(dhcp_dns)" "DNS 192.0.2.1 DOMAIN a.test"
expect_eq follow_passt_ra_first \
	  "$(ra_options "${TMP}/follow.pcap" R | tail -1)" \
	  "2001:db8::1/4294967295"

resolv_set rename /etc/resolv.conf "nameserver 203.0.113.1" \
	   "nameserver 2001:db8:1::1" "search b.test"
wait_for 5 sh -c "grep -q 'IPv4 DNS: 203.0.113.1$' ${TMP}/passt.log"
expect_eq follow_passt_dhcp_replaced "$(dhcp_dns)" \
	  "DNS 203.0.113.1 DOMAIN b.test"
# The advertisement sent at once: later periodic ones have the new server only
ra="2001:db8:1::1/4294967295 2001:db8::1/0"
for _ in $(seq 10); do
	ra_options "${TMP}/follow.pcap" R | grep -qx "${ra}" && break
	sleep 0.5
done
expect_eq follow_passt_ra_replaced \
	  "$(ra_options "${TMP}/follow.pcap" R | grep -x "${ra}")" "${ra}"
expect_eq follow_passt_guest_resolves \
	  "$(ask gst 203.0.113.1 A)" 203.0.113.6
tb_guest_stop

# 5. The host's address changes: --map-guest-addr reaches it where it is now
ip netns add "${NS_PST}"
ip netns exec "${NS_HST}" "${PASTA}" --config-net --netns "${NS_PST}" \
	-t none -u none -T none -U none --map-guest-addr 169.254.1.2 \
	--map-guest-addr fd00::2 -P "${TMP}/pasta.pid" -l "${TMP}/pasta5.log" \
	2>/dev/null
expect_eq follow_addr_pasta_starts $? 0
at_exit "kill $(cat "${TMP}/pasta.pid" 2>/dev/null)"
# What address of the host a connection reached
bg hst socat TCP6-LISTEN:7070,ipv6only=0,fork,reuseaddr \
	SYSTEM:'echo ${SOCAT_SOCKADDR}'
wait_listen hst 7070

# reached() - The host's address a connection to an address reached
# $1:	Address the namespace connects to
reached() {
	local a="$1"
	[ "${a#*:}" != "${a}" ] && a="[${a}]"
	ip netns exec "${NS_PST}" timeout 3 socat -u "TCP:${a}:7070" - \
		2>/dev/null | python3 -c '
import ipaddress, sys
t = sys.stdin.read().strip().strip("[]")
a = ipaddress.ip_address(t) if t else None
print(a and (a.ipv4_mapped or a) or "")'
}

expect_eq follow_addr_v4_first "$(reached 169.254.1.2)" 192.0.2.2
expect_eq follow_addr_v6_first "$(reached fd00::2)" 2001:db8::2
ip -n "${NS_HST}" addr del 192.0.2.2/24 dev eth0
ip -n "${NS_HST}" addr add 192.0.2.3/24 dev eth0
ip -n "${NS_HST}" route add default via 192.0.2.1
ip -n "${NS_HST}" addr add 2001:db8::3/64 dev eth0 nodad
ip -n "${NS_HST}" addr del 2001:db8::2/64 dev eth0
wait_for 5 sh -c "grep -q 'IPv6 address is now 2001:db8::3' \
		  ${TMP}/pasta5.log"
expect_eq follow_addr_v4_changed "$(reached 169.254.1.2)" 192.0.2.3
expect_eq follow_addr_v6_changed "$(reached fd00::2)" 2001:db8::3
expect_eq follow_addr_logged "$(grep -c 'address is now' \
				"${TMP}/pasta5.log")" 2

# 6. No route at start (booted before the network came up): pasta starts in
# local mode, and the namespace connects out once the host has a route
kill "$(cat "${TMP}/pasta.pid")"
wait_for 5 sh -c "! kill -0 $(cat "${TMP}/pasta.pid") 2>/dev/null"
ip netns del "${NS_PST}"
ip -n "${NS_HST}" addr flush dev eth0
ip -n "${NS_HST}" -6 route flush dev eth0
ip netns add "${NS_PST}"
ip netns exec "${NS_HST}" "${PASTA}" --config-net --netns "${NS_PST}" \
	-t 7071 -u none -T none -U none --map-guest-addr 169.254.1.2 \
	--map-guest-addr fd00::2 -P "${TMP}/pasta.pid" \
	-l "${TMP}/pasta6.log" 2>"${TMP}/pasta6.err"
expect_eq local_pasta_starts $? 0
check local_said grep -q "local mode" "${TMP}/pasta6.err"
expect_eq local_ns_addr4 "$(ip -n "${NS_PST}" -4 -br addr show | \
			    awk '$1 != "lo" { print $3 }')" 169.254.2.1/16
expect_eq local_ns_routes "$(ip -n "${NS_PST}" route show default; \
			     ip -n "${NS_PST}" -6 route show default | \
			     awk '{ print $1, $2, $3 }')" \
	  "default via 169.254.2.2 dev tap0 
default via fe80::1"

# A server on the remote side, echoing where the connection came from
bg out socat TCP6-LISTEN:7072,ipv6only=0,fork,reuseaddr \
	SYSTEM:'echo ${SOCAT_PEERADDR}'
wait_listen out 7072

# connect_out() - Connect from the namespace to the remote server, retrying
# for 5 s (the namespace's link-local address may still be tentative)
# $1:	Address
connect_out() {
	local a
	for _ in $(seq 10); do
		a=$(ip netns exec "${NS_PST}" timeout 2 socat -u \
			"TCP:$1:7072" - 2>/dev/null)
		[ -n "${a}" ] && break
		sleep 0.5
	done
	python3 -c '
import ipaddress, sys
t = sys.argv[1].strip("[]")
a = ipaddress.ip_address(t) if t else None
print(a and (a.ipv4_mapped or a) or "")' "${a}"
}

ip netns exec "${NS_PST}" timeout 2 socat -u TCP:203.0.113.1:7072 - \
	> "${TMP}/local-before.out" 2>/dev/null
expect_eq local_no_route_yet "$(cat "${TMP}/local-before.out")" ""

# The uplink comes up: addresses, then default routes
ip -n "${NS_HST}" addr add 192.0.2.2/24 dev eth0
ip -n "${NS_HST}" route add default via 192.0.2.1
ip -n "${NS_HST}" addr add 2001:db8::2/64 dev eth0 nodad
ip -n "${NS_HST}" -6 route add default via 2001:db8::1
expect_eq local_connects_out_v4 "$(connect_out 203.0.113.1)" 192.0.2.2
expect_eq local_connects_out_v6 "$(connect_out '[2001:db8:1::1]')" \
	  2001:db8::2

# The namespace had link-local addresses only: it gets the host's at once,
# and default routes through its gateways (test/49_renumber.sh has more)
wait_for 10 sh -c "[ \"\$(ip -n ${NS_PST} -4 -br addr show dev tap0 | \
		   awk '{ print \$3, \$4 }')\" = '192.0.2.2/24 ' ]"
expect_eq local_ns_addr4_moved "$(ip -n "${NS_PST}" -4 -br addr show dev tap0 |
				  awk '{ print $3, $4 }')" "192.0.2.2/24 "
expect_eq local_ns_routes_moved "$(ip -n "${NS_PST}" route show default |
				   awk '{ print $1, $2, $3 }'
				   ip -n "${NS_PST}" -6 route show default |
				   awk '{ print $1, $2, $3 }')" \
	  "default via 192.0.2.1
default via 2001:db8::1"
check local_ns_addr6_moved sh -c "ip -n ${NS_PST} -6 addr show dev tap0 | \
				  grep -q 'inet6 2001:db8::2/64 scope global'"

# The host's uplink, found then: --map-guest-addr leads to its address
wait_for 5 sh -c "grep -q 'IPv6 address is now 2001:db8::2' \
		  ${TMP}/pasta6.log"
check local_uplink_logged grep -q "IPv4 uplink is now eth0" \
	"${TMP}/pasta6.log"
expect_eq local_map_guest_addr_v4 "$(reached 169.254.1.2)" 192.0.2.2
expect_eq local_map_guest_addr_v6 "$(reached fd00::2)" 2001:db8::2

# Inbound, through the tap device to the namespace's link-local address:
# a file, compared
bg pst socat -u TCP6-LISTEN:7071,ipv6only=0,reuseaddr \
	CREATE:"${TMP}/local-in.bin"
wait_listen pst 7071
head -c 2M /dev/urandom > "${TMP}/local-src.bin"
ip netns exec "${NS_OUT}" socat -u FILE:"${TMP}/local-src.bin" \
	"TCP:[2001:db8::2]:7071" 2>/dev/null
wait_for 5 cmp -s "${TMP}/local-src.bin" "${TMP}/local-in.bin"
check local_inbound_v6_link_local cmp -s "${TMP}/local-src.bin" \
	"${TMP}/local-in.bin"

# 7. passt in local mode: what the guest learns by DHCP, router advertisements
# and DHCPv6
kill "$(cat "${TMP}/pasta.pid")"
ip -n "${NS_HST}" addr flush dev eth0
ip -n "${NS_HST}" -6 route flush dev eth0
TB_GUEST_NOCONF=1 tb_guest || { fail local_passt_guest "no passt"; exit 1; }
check local_passt_said grep -q "local mode" "${TMP}/passt.log"

cat > "${TMP}/udhcpc-local.sh" <<'EOF2'
#!/bin/sh
[ "$1" = bound ] && echo "IP ${ip}/${mask} ROUTER ${router}"
exit 0
EOF2
chmod +x "${TMP}/udhcpc-local.sh"
expect_eq local_passt_dhcp "$(in_gst busybox udhcpc -i eth0 -q -n -f -t 3 \
	-T 1 -s "${TMP}/udhcpc-local.sh" 2>/dev/null | grep '^IP')" \
	"IP 169.254.2.1/16 ROUTER 169.254.2.2"

# A route through fe80::1, and no prefix to make an address from
wait_for 5 sh -c "ip -n ${NS_GST} -6 route show default | grep -q fe80::1"
expect_eq local_passt_ra_route "$(ip -n "${NS_GST}" -6 route show default | \
				  awk '{ print $1, $2, $3 }')" \
	  "default via fe80::1"
expect_eq local_passt_no_global_v6 \
	  "$(ip -n "${NS_GST}" -6 addr show scope global)" ""

# DHCPv6: a solicitation gets an IA_NA with the NoAddrsAvail status (2)
wait_for 5 sh -c "! ip -n ${NS_GST} -6 addr show dev eth0 | grep -q tentative"
expect_eq local_passt_dhcpv6_no_addrs "$(in_gst python3 - <<'EOF2'
import socket, struct
s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_BINDTODEVICE, b"eth0")
s.bind(("::", 546))
s.settimeout(3)
duid = struct.pack(">HH", 3, 1) + bytes.fromhex("525400123456")
msg = bytes([1, 1, 2, 3]) + struct.pack(">HH", 1, len(duid)) + duid + \
      struct.pack(">HHIII", 3, 12, 1, 0, 0)
s.sendto(msg, ("ff02::1:2", 547, 0, socket.if_nametoindex("eth0")))
r, o, status = s.recv(1500), 4, "none"
while o + 4 <= len(r):
    code, ln = struct.unpack(">HH", r[o:o + 4])
    if code == 3:
        i = o + 16
        while i + 4 <= o + 4 + ln:
            c2, l2 = struct.unpack(">HH", r[i:i + 4])
            if c2 == 13:
                status = str(struct.unpack(">H", r[i + 4:i + 6])[0])
            i += 4 + l2
    o += 4 + ln
print(status)
EOF2
)" 2
tb_guest_stop

# 8. Connections from an address the host loses are reset at once; those of
# an address removed and added back at once (as some DHCP clients renew)
# aren't
ip -n "${NS_HST}" addr add 192.0.2.2/24 dev eth0
ip -n "${NS_HST}" route add default via 192.0.2.1
ip -n "${NS_HST}" addr add 2001:db8::2/64 dev eth0 nodad
ip -n "${NS_HST}" -6 route add default via 2001:db8::1
ip netns del "${NS_PST}"
ip netns add "${NS_PST}"
ip netns exec "${NS_HST}" "${PASTA}" --config-net --netns "${NS_PST}" \
	-t none -u none -T none -U none -P "${TMP}/pasta.pid" \
	-l "${TMP}/pasta8.log" 2>/dev/null
expect_eq gone_pasta_starts $? 0
# Its connections from the lost address never end: none may hold our output
bg out socat TCP6-LISTEN:7073,ipv6only=0,fork,reuseaddr EXEC:cat \
	> /dev/null 2>&1
at_exit "pkill -f TCP6-LISTEN:7073"
wait_listen out 7073

# held_pair() - Hold a connection of each family, named ${1}4 and ${1}6
# $1:	Prefix of the names
held_pair() {
	held_conn "${NS_PST}" 203.0.113.1 7073 "${1}4" > "${TMP}/${1}4.out" &
	P4=$!
	held_conn "${NS_PST}" 2001:db8:1::1 7073 "${1}6" \
		> "${TMP}/${1}6.out" &
	P6=$!
	wait_for 5 test -f "${TMP}/${1}4.ready" -a -f "${TMP}/${1}6.ready"
}

# held_pair_end() - Try both held connections again, wait for their verdicts
# $1:	Prefix of the names
held_pair_end() {
	touch "${TMP}/${1}4.go" "${TMP}/${1}6.go"
	wait "${P4}" "${P6}"
}

# readdress() - Move the host's addresses, and put its default routes back
# $1:	IPv4 address removed
# $2:	IPv4 address added (the same: added back)
# $3:	IPv6 address removed
# $4:	IPv6 address added
readdress() {
	ip -n "${NS_HST}" addr del "$1"/24 dev eth0
	ip -n "${NS_HST}" addr add "$2"/24 dev eth0
	ip -n "${NS_HST}" route add default via 192.0.2.1
	ip -n "${NS_HST}" addr del "$3"/64 dev eth0
	ip -n "${NS_HST}" addr add "$4"/64 dev eth0 nodad
	ip -n "${NS_HST}" -6 route replace default via 2001:db8::1
}

# Removed and added back: both connections go on
held_pair back
readdress 192.0.2.2 192.0.2.2 2001:db8::2 2001:db8::2
sleep 12
held_pair_end back
expect_eq gone_back_v4_alive "$(cat "${TMP}/back4.out")" alive
expect_eq gone_back_v6_alive "$(cat "${TMP}/back6.out")" alive

# Replaced by other addresses: both are reset, and say so within seconds
held_pair gone
readdress 192.0.2.2 192.0.2.3 2001:db8::2 2001:db8::3
wait_for 15 sh -c "[ \$(grep -c 'is gone from the host' \
		  ${TMP}/pasta8.log) -ge 2 ]"
held_pair_end gone
expect_eq gone_replaced_v4_reset "$(cat "${TMP}/gone4.out")" reset
expect_eq gone_replaced_v6_reset "$(cat "${TMP}/gone6.out")" reset
expect_eq gone_new_connection_v4 "$(connect_out 203.0.113.1)" 192.0.2.3

# 9. Rootless pasta, as podman runs it, on a host without a network: uid 0
# of a user namespace the test user made, whose network namespace has
# loopback only. The command uploads to the host's loopback through the
# local mode gateway addresses and exits right after its last write: every
# byte arrives, with a clean end, 5 times per family
tb_user || { fail local_rootless_user "no test user"; exit 0; }
LDIR=$(mktemp -d)
chmod 777 "${LDIR}"
at_exit "rm -rf ${LDIR}"
head -c $((8 * 1024 * 1024)) /dev/urandom > "${LDIR}/f8m"
chmod 644 "${LDIR}/f8m"
cp "${PASST}" "${LDIR}/pasta"
chmod 755 "${LDIR}/pasta"
whole=0
for gw in 169.254.2.2 "[fe80::1%tap0]"; do
	for i in 1 2 3 4 5; do
		rm -f "${LDIR}/sink.data" "${LDIR}/sink.res"
		timeout 60 runuser -u "${TEST_USER}" -- unshare -Urn sh -c "
			ip link set lo up
			python3 ${TOP}/test/tcp_tool.py sink 10090 \
				${LDIR}/sink.data 0 0 > ${LDIR}/sink.res 2>&1 &
			for _ in \$(seq 50); do
				ss -Htln sport = :10090 | grep -q . && break
				sleep 0.1
			done
			${LDIR}/pasta --config-net -- socat -u \
				OPEN:${LDIR}/f8m TCP:${gw}:10090
			wait" 2>/dev/null
		if [ "$(cat "${LDIR}/sink.res")" = "EOF $((8 * 1024 * 1024))" ] &&
		   cmp -s "${LDIR}/f8m" "${LDIR}/sink.data"; then
			whole=$((whole + 1))
		else
			echo "${gw} run ${i}: $(cat "${LDIR}/sink.res")"
		fi
	done
done
expect_eq local_rootless_uploads_whole "${whole}" 10
