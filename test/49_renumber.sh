#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# passt - user-mode networking for virtual machines and namespaces
#
# test/49_renumber.sh - The host moves to another subnet, with another
# gateway, while we run: pasta's namespace (--config-net) gets the new
# address and default route from pasta's helper, passt's guest through its
# DHCP renewal (a NAK, then the new lease), a router advertisement (the new
# prefix, the old one deprecated) and DHCPv6. Connections from the old
# address are reset, in the namespace and the guest too; new ones work both
# ways, files compared. Without following, or with a fixed address, nothing
# moves. Then rootless, as podman runs pasta: its command waits for the new
# address, uploads, and exits right after its last write.

. "$(dirname "$0")/lib.sh"

PASTA="${TMP}/pasta"
ln -s "${PASST}" "${PASTA}"
NS_PST="pt-pst-${TB_ID}"
NS_FIX="pt-fix-${TB_ID}"

need_tools renumber socat busybox
if ! tb_setup; then
	fail renumber_testbed "could not build the test namespaces"
	exit 1
fi

# The second subnet, on the network's side of the link
ip -n "${NS_OUT}" addr add 198.51.100.1/24 dev veth-o
ip -n "${NS_OUT}" addr add 2001:db8:2::1/64 dev veth-o nodad

# On the remote side: an echo server, one telling where connections come
# from, and one storing what it gets
bg out socat TCP6-LISTEN:7081,ipv6only=0,fork,reuseaddr EXEC:cat
at_exit "pkill -f TCP6-LISTEN:7081"
bg out socat TCP6-LISTEN:7082,ipv6only=0,fork,reuseaddr \
	SYSTEM:'echo ${SOCAT_PEERADDR}'
wait_listen out 7081
wait_listen out 7082

# renumber() - Move the host to the second subnet, the way a DHCP client
# renews to a new lease: new address, new default route, old address gone
renumber() {
	ip -n "${NS_HST}" addr add 198.51.100.2/24 dev eth0
	ip -n "${NS_HST}" route replace default via 198.51.100.1
	ip -n "${NS_HST}" addr del 192.0.2.2/24 dev eth0
	ip -n "${NS_HST}" addr add 2001:db8:2::2/64 dev eth0 nodad
	ip -n "${NS_HST}" -6 route replace default via 2001:db8:2::1
	ip -n "${NS_HST}" addr del 2001:db8::2/64 dev eth0
}

# renumber_back() - The host as tb_setup() made it
renumber_back() {
	ip -n "${NS_HST}" addr add 192.0.2.2/24 dev eth0
	ip -n "${NS_HST}" route replace default via 192.0.2.1
	ip -n "${NS_HST}" addr del 198.51.100.2/24 dev eth0
	ip -n "${NS_HST}" addr add 2001:db8::2/64 dev eth0 nodad
	ip -n "${NS_HST}" -6 route replace default via 2001:db8::1
	ip -n "${NS_HST}" addr del 2001:db8:2::2/64 dev eth0
}

# source_of() - The local address of a connection from a namespace to the
# remote side, and the address the remote side saw it come from
# $1:	Namespace
# $2:	Remote address
source_of() {
	ip netns exec "$1" python3 - "$2" <<'EOF'
import ipaddress, socket, sys
s = socket.create_connection((sys.argv[1], 7082), timeout=5)
seen = s.makefile().readline().strip().strip("[]")
a = ipaddress.ip_address(seen)
print(s.getsockname()[0], a.ipv4_mapped or a)
EOF
}

# inbound() - Send 2 MiB from the remote side to a forwarded port, compare
# what a server in a namespace stored
# $1:	Namespace of the server
# $2:	Address to send to, as socat takes it
# $3:	Name of the files
inbound() {
	rm -f "${TMP}/$3.in"
	ip netns exec "$1" socat -u TCP6-LISTEN:7083,ipv6only=0,reuseaddr \
		CREATE:"${TMP}/$3.in" &
	local p=$!
	wait_for 5 sh -c "ip netns exec $1 ss -Htln sport = :7083 | grep -q ."
	head -c 2M /dev/urandom > "${TMP}/$3.src"
	ip netns exec "${NS_OUT}" timeout 10 socat -u \
		FILE:"${TMP}/$3.src" "TCP:$2:7083" 2>/dev/null
	wait_for 10 sh -c "! kill -0 ${p} 2>/dev/null"
	kill "${p}" 2>/dev/null
	cmp -s "${TMP}/$3.src" "${TMP}/$3.in" && echo same || echo differ
}

# new_addresses_work() - Connections out come from the new addresses, and
# forwarded connections in reach the new addresses, 2 MiB compared
# $1:	Prefix of the check names
# $2:	Namespace
# $3:	Its new IPv6 address
new_addresses_work() {
	expect_eq "$1_new_source_v4" "$(source_of "$2" 203.0.113.1)" \
		  "198.51.100.2 198.51.100.2"
	expect_eq "$1_new_source_v6" "$(source_of "$2" 2001:db8:1::1)" \
		  "$3 2001:db8:2::2"
	expect_eq "$1_inbound_v4" "$(inbound "$2" 198.51.100.2 "$1in4")" same
	expect_eq "$1_inbound_v6" "$(inbound "$2" '[2001:db8:2::2]' "$1in6")" \
		  same
}

# addrs() - Global addresses of an interface in a namespace, one line each
# $1:	Namespace
# $2:	Interface
addrs() {
	ip -n "$1" -br addr show dev "$2" | awk '{ $1 = $2 = ""; print }' |
		tr ' ' '\n' | grep -v '^fe80::\|^$'
}

# 1. pasta --config-net, following, and two that don't: --no-follow-host,
# and a fixed address (-a)
ip netns add "${NS_PST}"
at_exit "ip netns del ${NS_PST}"
ip netns add "${NS_FIX}"
at_exit "ip netns del ${NS_FIX}"
ip netns exec "${NS_HST}" "${PASTA}" --config-net --netns "${NS_PST}" \
	-t 7083 -u none -T none -U none -P "${TMP}/pasta.pid" \
	-l "${TMP}/pasta.log" 2>/dev/null
expect_eq pasta_starts $? 0
at_exit "kill $(cat "${TMP}/pasta.pid" 2>/dev/null)"
ip netns exec "${NS_HST}" "${PASTA}" --config-net --netns "${NS_FIX}" \
	--no-follow-host -t none -u none -T none -U none \
	-P "${TMP}/pasta-fix.pid" 2>/dev/null
expect_eq pasta_no_follow_starts $? 0
at_exit "kill $(cat "${TMP}/pasta-fix.pid" 2>/dev/null)"
NS_FIXED_A="pt-fxa-${TB_ID}"
ip netns add "${NS_FIXED_A}"
at_exit "ip netns del ${NS_FIXED_A}"
ip netns exec "${NS_HST}" "${PASTA}" --config-net --netns "${NS_FIXED_A}" \
	-a 192.0.2.2 -n 24 -g 192.0.2.1 -4 -t none -u none -T none -U none \
	-P "${TMP}/pasta-fxa.pid" 2>/dev/null
expect_eq pasta_fixed_addr_starts $? 0
at_exit "kill $(cat "${TMP}/pasta-fxa.pid" 2>/dev/null)"

expect_eq pasta_addrs_first "$(addrs "${NS_PST}" eth0 | sort)" \
	  "192.0.2.2/24
2001:db8::2/64"

# Its helper: CAP_NET_ADMIN alone (bit 12), under a seccomp filter; the
# process that moves traffic holds no such capability
helper_caps() {
	local p
	for p in $(pgrep -f -- "--netns ${NS_PST} "); do
		awk '/^CapEff|^Seccomp:/ { printf "%s ", $2 } END { print "" }' \
			"/proc/${p}/status"
	done | sort
}
expect_eq pasta_helper_caps "$(helper_caps)" \
	  "0000000000001000 2 
0000000000200400 2 "
expect_eq pasta_no_follow_no_helper \
	  "$(pgrep -c -f -- "--netns ${NS_FIX} ")" 1

held_conn "${NS_PST}" 203.0.113.1 7081 p4 > "${TMP}/p4.out" &
P4=$!
held_conn "${NS_PST}" 2001:db8:1::1 7081 p6 > "${TMP}/p6.out" &
P6=$!
wait_for 5 test -f "${TMP}/p4.ready" -a -f "${TMP}/p6.ready"

renumber
# Connections from the old addresses: reset when the grace ends (10 s), and
# the namespace moves then
wait_for 20 sh -c "grep -q 'Namespace: IPv4 address 198.51.100.2/24' \
		   ${TMP}/pasta.log && \
		   grep -q 'Namespace: IPv6 address 2001:db8:2::2/64' \
		   ${TMP}/pasta.log"
touch "${TMP}/p4.go" "${TMP}/p6.go"
wait "${P4}" "${P6}"
expect_eq pasta_old_v4_reset "$(cat "${TMP}/p4.out")" reset
expect_eq pasta_old_v6_reset "$(cat "${TMP}/p6.out")" reset

# The old addresses leave a few seconds later
wait_for 10 sh -c "[ \$(ip -n ${NS_PST} -br addr show dev eth0 | \
		   grep -c '192.0.2.2\\|2001:db8::2/') = 0 ]"
expect_eq pasta_addrs_moved "$(addrs "${NS_PST}" eth0 | sort)" \
	  "198.51.100.2/24
2001:db8:2::2/64"
expect_eq pasta_routes_moved "$(ip -n "${NS_PST}" route show default |
				awk '{ print $1, $2, $3 }'
				ip -n "${NS_PST}" -6 route show default |
				awk '{ print $1, $2, $3 }')" \
	  "default via 198.51.100.1
default via 2001:db8:2::1"
new_addresses_work pasta "${NS_PST}" 2001:db8:2::2

# Not following, and fixed: the namespaces keep what they had, and still
# connect out
expect_eq pasta_no_follow_kept "$(addrs "${NS_FIX}" eth0 | sort)" \
	  "192.0.2.2/24
2001:db8::2/64"
expect_eq pasta_fixed_addr_kept "$(addrs "${NS_FIXED_A}" eth0)" \
	  "192.0.2.2/24"
expect_eq pasta_no_follow_connects \
	  "$(source_of "${NS_FIX}" 203.0.113.1)" "192.0.2.2 198.51.100.2"
expect_eq pasta_fixed_addr_connects \
	  "$(source_of "${NS_FIXED_A}" 203.0.113.1)" "192.0.2.2 198.51.100.2"

# Back: the namespace follows again, its helper is still there; when pasta
# ends, so does the helper
renumber_back
wait_for 20 sh -c "grep -q 'Namespace: IPv4 address 192.0.2.2/24' \
		   ${TMP}/pasta.log"
wait_for 10 sh -c "[ \$(ip -n ${NS_PST} -br addr show dev eth0 | \
		   grep -c '198.51.100.2\\|2001:db8:2::2/') = 0 ]"
expect_eq pasta_addrs_back "$(addrs "${NS_PST}" eth0 | sort)" \
	  "192.0.2.2/24
2001:db8::2/64"
expect_eq pasta_source_back "$(source_of "${NS_PST}" 203.0.113.1)" \
	  "192.0.2.2 192.0.2.2"
for f in pasta pasta-fix pasta-fxa; do
	kill "$(cat "${TMP}/${f}.pid")"
done
wait_for 5 sh -c "! pgrep -f -- '--netns ${NS_PST} ' >/dev/null"
expect_eq pasta_helper_gone "$(pgrep -c -f -- "--netns ${NS_PST} ")" 0

# 2. passt: the guest learns by DHCP (its renewal is refused, it starts
# again and gets the new lease), by a router advertisement and by DHCPv6
TB_GUEST_NOCONF=1 tb_guest -t 7083 -p "${TMP}/renumber.pcap" ||
	{ fail passt_guest "could not start passt"; exit 1; }
cat > "${TMP}/udhcpc.sh" <<'EOF'
#!/bin/sh
case "$1" in
deconfig)
	ip -4 addr flush dev "${interface}"
	;;
bound|renew)
	ip -4 addr flush dev "${interface}"
	ip addr add "${ip}/${mask}" dev "${interface}"
	ip route replace default via "${router}"
	echo "$1 ${ip}/${mask} ${router} ${lease}"
	;;
nak)
	echo "nak"
	;;
esac
exit 0
EOF
chmod +x "${TMP}/udhcpc.sh"
in_gst busybox udhcpc -i eth0 -f -t 5 -T 1 -s "${TMP}/udhcpc.sh" \
	-p "${TMP}/udhcpc.pid" > "${TMP}/udhcpc.log" 2>/dev/null &
at_exit "kill \$(cat ${TMP}/udhcpc.pid)"
wait_for 10 grep -q "^bound" "${TMP}/udhcpc.log"
expect_eq passt_dhcp_first "$(grep '^bound' "${TMP}/udhcpc.log")" \
	  "bound 192.0.2.2/24 192.0.2.1 3600"
# SLAAC from the advertised prefix
GUEST6_OLD=2001:db8::5054:ff:fe12:3456
GUEST6_NEW=2001:db8:2:0:5054:ff:fe12:3456
wait_for 10 sh -c "ip -n ${NS_GST} -6 addr show dev eth0 | \
		   grep -q '${GUEST6_OLD}/64.*global'"
wait_for 5 sh -c "! ip -n ${NS_GST} -6 addr show dev eth0 | \
		  grep -q tentative"

held_conn "${NS_GST}" 203.0.113.1 7081 g4 > "${TMP}/g4.out" &
P4=$!
wait_for 5 test -f "${TMP}/g4.ready"

renumber
wait_for 20 grep -q "guest's IPv4 address is now 198.51.100.2/24" \
	"${TMP}/passt.log"
touch "${TMP}/g4.go"
wait "${P4}"
expect_eq passt_old_v4_reset "$(cat "${TMP}/g4.out")" reset

# The renewal: a NAK, then the new lease
kill -USR1 "$(cat "${TMP}/udhcpc.pid")"
wait_for 15 grep -q "^bound 198.51.100.2" "${TMP}/udhcpc.log"
expect_eq passt_dhcp_nak "$(grep -c '^nak' "${TMP}/udhcpc.log")" 1
expect_eq passt_dhcp_new "$(grep '^bound' "${TMP}/udhcpc.log" | tail -1)" \
	  "bound 198.51.100.2/24 198.51.100.1 3600"

# IPv6: the new prefix at once, the old one deprecated
wait_for 10 sh -c "ip -n ${NS_GST} -6 addr show dev eth0 | \
		   grep -q '${GUEST6_NEW}/64'"
expect_eq passt_slaac_new "$(ip -n "${NS_GST}" -6 addr show dev eth0 |
			     grep -c "${GUEST6_NEW}/64 scope global dynamic")" 1
expect_eq passt_slaac_old_deprecated \
	  "$(ip -n "${NS_GST}" -6 addr show dev eth0 |
	     grep -c "${GUEST6_OLD}/64 scope global deprecated")" 1

# The advertisement: new prefix for good, old one at lifetime zero
expect_eq passt_ra_renumbered "$(ra_options "${TMP}/renumber.pcap" P |
	  grep -c -x '2001:db8:2::/64:4294967295:4294967295 2001:db8::/64:0:0')" 1

# DHCPv6: a client extending the lease of the old address (a Rebind, which
# names no server) gets the new one, and the old one with lifetimes of zero
dhcpv6_renew() {
	in_gst python3 - "${GUEST6_NEW}" <<'EOF'
import socket, struct, sys
s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_BINDTODEVICE, b"eth0")
s.bind(("::", 546))
s.settimeout(3)
duid = struct.pack(">HH", 3, 1) + bytes.fromhex("525400123456")
old = socket.inet_pton(socket.AF_INET6, "2001:db8::2")
ia = struct.pack(">III", 1, 0, 0) + struct.pack(">HH", 5, 24) + old + \
     struct.pack(">II", 3600, 3600)
msg = bytes([6, 1, 2, 3]) + struct.pack(">HH", 1, len(duid)) + duid + \
      struct.pack(">HH", 3, len(ia)) + ia
s.sendto(msg, ("ff02::1:2", 547, 0, socket.if_nametoindex("eth0")))
r, o, out = s.recv(1500), 4, []
while o + 4 <= len(r):
    code, ln = struct.unpack(">HH", r[o:o + 4])
    if code == 3:
        out.append("T1 %d T2 %d" % struct.unpack(">II", r[o + 8:o + 16]))
        i = o + 16
        while i + 4 <= o + 4 + ln:
            c2, l2 = struct.unpack(">HH", r[i:i + 4])
            if c2 == 5:
                out.append("%s/%d" % (socket.inet_ntop(socket.AF_INET6,
                           r[i + 4:i + 20]),
                           struct.unpack(">I", r[i + 24:i + 28])[0]))
            i += 4 + l2
    o += 4 + ln
print(" ".join(out))
EOF
}
expect_eq passt_dhcpv6_renew "$(dhcpv6_renew)" \
	  "T1 1800 T2 2880 2001:db8:2::2/3600 2001:db8::2/0"

# The guest on its new addresses: out, and in through the forwarded port
new_addresses_work passt "${NS_GST}" "${GUEST6_NEW}"
kill "$(cat "${TMP}/udhcpc.pid")" 2>/dev/null
tb_guest_stop
renumber_back

# 3. Rootless, as podman runs pasta: uid 0 of a user namespace the test user
# made, on the host's network namespace. The command waits for its new
# address, then uploads 4 MiB to the remote side and exits right after its
# last write: every byte arrives, from the new address
tb_user || { fail rootless_user "no test user"; exit 0; }
LDIR=$(mktemp -d)
chmod 777 "${LDIR}"
at_exit "rm -rf ${LDIR}"
head -c $((4 * 1024 * 1024)) /dev/urandom > "${LDIR}/f4m"
chmod 644 "${LDIR}/f4m"
cp "${PASST}" "${LDIR}/pasta"
chmod 755 "${LDIR}/pasta"
cat > "${LDIR}/cmd.sh" <<EOF
#!/bin/sh
for _ in \$(seq 300); do
	ip -br addr show | grep -q 198.51.100.2/24 && break
	sleep 0.1
done
ip -br addr show | grep -o '198.51.100.2/24' > ${LDIR}/seen
exec socat -u OPEN:${LDIR}/f4m TCP:203.0.113.1:7084
EOF
chmod 755 "${LDIR}/cmd.sh"

bg out socat -u TCP-LISTEN:7084,reuseaddr,fork \
	SYSTEM:"cat > ${LDIR}/got.\${SOCAT_PEERADDR}"
wait_listen out 7084
ip netns exec "${NS_HST}" runuser -u "${TEST_USER}" -- unshare -Ur \
	"${LDIR}/pasta" --config-net -l "${LDIR}/pasta.log" -- \
	"${LDIR}/cmd.sh" 2>"${LDIR}/pasta.err" &
RL=$!
wait_for 10 pgrep -f "${LDIR}/cmd.sh" >/dev/null
renumber
wait_for 30 sh -c "! kill -0 ${RL} 2>/dev/null"
wait "${RL}"
expect_eq rootless_exit $? 0
expect_eq rootless_saw_new_addr "$(cat "${LDIR}/seen" 2>/dev/null)" \
	  198.51.100.2/24
wait_for 5 test -s "${LDIR}/got.198.51.100.2"
check rootless_upload_whole cmp -s "${LDIR}/f4m" "${LDIR}/got.198.51.100.2"
renumber_back
