#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# passt - user-mode networking for virtual machines and namespaces
#
# test/50_pasta.sh - pasta: a command in a new namespace, as root and as a
# user; attaching to a namespace; transfers through the tap device and
# spliced loopback connections both ways; automatic port forwarding; DHCP
# clients; quitting when the namespace goes away; checksum and segmentation
# offloads on the tap device, both ways; an idle pasta wakes up once a second

. "$(dirname "$0")/lib.sh"

PASTA="${TMP}/pasta"
ln -s "${PASST}" "${PASTA}"
TCP_TOOL="python3 ${TOP}/test/tcp_tool.py"
UDP_TOOL="python3 ${TOP}/test/udp_tool.py"

if ! tb_setup || ! tb_user; then
	fail pasta_testbed "could not build the test namespaces"
	exit 1
fi

# 1. A command in a new namespace: configuration, status, standard streams
for who in root "${TEST_USER}"; do
	if [ "${who}" = root ]; then
		run=(ip netns exec "${NS_HST}")
	else
		run=(ip netns exec "${NS_HST}" runuser -u "${who}" --)
	fi
	out=$("${run[@]}" "${PASTA}" --config-net -- sh -c '
		ip -br -4 addr show eth0 | tr -s " " | cut -d" " -f3
		ip -br -6 addr show eth0 scope global | tr -s " " | cut -d" " -f3
		ip -4 route show default | cut -d" " -f1-3
		ip -6 route show default | cut -d" " -f1-3
		ip -o link show eth0 | sed -n "s/.* mtu \([0-9]*\) .*/\1/p"
		id -u
		exit 42' 2>&1)
	rc=$?
	expect_eq "pasta_${who}_exit_status_is_command_status" "${rc}" 42
	expect_eq "pasta_${who}_config_net" "$(echo ${out})" \
		  "192.0.2.2/24 2001:db8::2/64 default via 192.0.2.1 default via 2001:db8::1 65520 0"
	out=$(echo through | "${run[@]}" "${PASTA}" --config-net -- cat)
	expect_eq "pasta_${who}_stdin_stdout_pass_through" "${out}" through
	"${run[@]}" "${PASTA}" --config-net -- sh -c 'kill -TERM $$'
	expect_eq "pasta_${who}_signal_status_is_128_plus" $? 143
	out=$("${run[@]}" "${PASTA}" --config-net -- \
	      ping -c1 -W2 203.0.113.1 2>&1 | grep -c "1 received")
	expect_eq "pasta_${who}_ping_remote" "${out}" 1
done

# 2. Attach to a namespace: daemon, PID file, quits when it's deleted
NS_PST="pt-pst-${TB_ID}"
ip netns add "${NS_PST}"
at_exit "ip netns del ${NS_PST}"
ip netns exec "${NS_HST}" "${PASTA}" --config-net --netns "${NS_PST}" \
	-P "${TMP}/pasta.pid" -d -l "${TMP}/pasta.log" \
	-t 8080,8181:8081,5100,5104-5107 -T 9090,9094,9096-9098 \
	-u 5353,5355,6000 -U 5454 2>/dev/null
expect_eq pasta_attach_parent_exits_0 $? 0
ppid=$(cat "${TMP}/pasta.pid" 2>/dev/null)
if [ -n "${ppid}" ] && alive "${ppid}"; then
	pass pasta_attach_pid_file_live
else
	fail pasta_attach_pid_file_live "PID '${ppid}'"
fi
at_exit "kill ${ppid}"
expect_eq pasta_log_file_first_line "$(head -1 "${TMP}/pasta.log")" \
	  "pasta $("${PASTA}" --version | cut -d' ' -f2), PID ${ppid}"
make_files

# Transfers through the tap device, and spliced, IPv4 and IPv6
for v in 4 6; do
	tb_addrs $v
	f="${TMP}/f64m"
	tcp_xfer "pasta_tcp${v}_host_to_ns_spliced_64MiB" pst "${lo}" 8080 \
		 hst "${lo}" 8080 "${f}"
	tcp_xfer "pasta_tcp${v}_host_to_ns_spliced_remapped" pst "${lo}" 8081 \
		 hst "${lo}" 8181 "${TMP}/f64k"
	tcp_xfer "pasta_tcp${v}_ns_to_host_spliced_64MiB" hst "${lo}" 9090 \
		 pst "${lo}" 9090 "${f}"
	tcp_xfer "pasta_tcp${v}_ns_to_host_via_gateway_64MiB" hst "${lo}" \
		 6003 pst "${gw}" 6003 "${f}"
	tcp_xfer "pasta_tcp${v}_ns_to_remote_64MiB" out "${any}" 6001 \
		 pst "${remote}" 6001 "${f}"
	tcp_pull "pasta_tcp${v}_remote_to_ns_64MiB" out "${any}" 6002 \
		 pst "${remote}" 6002 "${f}"
	tcp_xfer "pasta_tcp${v}_remote_to_ns_forward_64MiB" pst "${any}" 5100 \
		 out "${host}" 5100 "${f}"
done

# Short connections out, each reply with the remote's FIN right behind it:
# every reply whole, and its end, within 2 s
bg out ${TCP_TOOL} replyclose 6013 3000
wait_listen out 6013
for remote in 203.0.113.1 2001:db8:1::1; do
	expect_eq "pasta_tcp_reply_then_fin_300_connections_${remote}" \
		  "$(ip netns exec "${NS_PST}" ${TCP_TOOL} crr "${remote}" \
		     6013 300 3000)" "OK 300"
done

# Urgent data (send(MSG_OOB)) in the stream, through the tap both ways and
# spliced both ways, with the sender's end right behind it or 3 s later:
# every byte in its place, in time. splice() stops at an urgent mark, and
# returns 0 there once the peer closed: that's not the end of the data
bg out ${TCP_TOOL} urgserver 6014 0
bg out ${TCP_TOOL} urgserver 6015 3
bg pst ${TCP_TOOL} urgserver 5104 0
bg pst ${TCP_TOOL} urgserver 5105 3
bg hst ${TCP_TOOL} urgserver 9094 0
bg hst ${TCP_TOOL} urgserver 9096 3
# ...and 8 MB runs read from a second after they're asked for: buffers on the
# way, and splice()'s pipe, are full when the urgent marks come
bg out ${TCP_TOOL} urgserver 6016 0 8000000
bg pst ${TCP_TOOL} urgserver 5106 0 8000000
bg hst ${TCP_TOOL} urgserver 9097 0 8000000
# ...and urgent data the client sends right after connecting, before the
# other side of a spliced connection is connected
bg pst ${TCP_TOOL} urgsink 5107
bg hst ${TCP_TOOL} urgsink 9098
for l in "out 6014" "out 6015" "pst 5104" "pst 5105" "hst 9094" "hst 9096" \
	 "out 6016" "pst 5106" "hst 9097" "pst 5107" "hst 9098"; do
	wait_listen ${l}
done
# Check, client's namespace, address (variable of tb_addrs), port, seconds the
# server holds the connection, connections, size of each run, reader's delay
for v in 4 6; do
	tb_addrs $v
	while read -r name who addr port hold n size delay; do
		out=$(ip netns exec "$(ns_of "${who}")" ${TCP_TOOL} urgent \
		      "${!addr}" "${port}" "${hold}" "${n}" "${size}" "${delay}" \
		      </dev/null)
		expect_eq "pasta_tcp${v}_urgent_data_${name}" "${out}" "OK ${n}"
	done <<-EOF
	remote_to_ns_then_fin			pst remote 6014 0 10 1000 0
	remote_to_ns_fin_later			pst remote 6015 3 1 1000 0
	remote_to_ns_full_buffers		pst remote 6016 0 1 8000000 1
	host_to_ns_spliced_then_fin		pst lo 9094 0 10 1000 0
	host_to_ns_spliced_fin_later		pst lo 9096 3 1 1000 0
	host_to_ns_spliced_full_pipe		pst lo 9097 0 1 8000000 1
	ns_to_host_spliced_then_fin		hst lo 5104 0 10 1000 0
	ns_to_host_spliced_fin_later		hst lo 5105 3 1 1000 0
	ns_to_host_spliced_full_pipe		hst lo 5106 0 1 8000000 1
	ns_to_remote_forward			out host 5104 0 10 1000 0
	EOF
	expect_eq "pasta_tcp${v}_urgent_data_ns_to_host_spliced_at_connect" \
		  "$(ip netns exec "${NS_PST}" ${TCP_TOOL} urgsend "${lo}" 9098 \
		     50)" "OK 50"
	expect_eq "pasta_tcp${v}_urgent_data_host_to_ns_spliced_at_connect" \
		  "$(in_hst ${TCP_TOOL} urgsend "${lo}" 5107 50)" "OK 50"
done

# cc_of() - Congestion control of the established TCP sockets matching a filter
# $1:	Namespace role
# $2:	ss filter
cc_of() {
	ip netns exec "$(ns_of "$1")" ss -Htin state established "$2" | \
		grep -o -w 'reno\|cubic\|bbr\|dctcp\|vegas\|westwood\|htcp' | \
		sort -u | xargs
}

# hold_conn() - Open a TCP connection that stays idle for 5 s, sets HELD
# $1:	Namespace role of the listener
# $2:	Address it listens on
# $3:	Port
# $4:	Namespace role of the client
# $5:	Address the client connects to
hold_conn() {
	bg "$1" socat "TCP4-LISTEN:$3,bind=$2,reuseaddr" EXEC:"sleep 5"
	HELD="${BG_PID}"
	wait_listen "$1" "$3"
	bg "$4" socat EXEC:"sleep 5" "TCP:$5:$3"
	HELD+=" ${BG_PID}"
	wait_for 5 sh -c "ip netns exec $(ns_of "$1") ss -Htn state \
			  established '( sport = :$3 )' | grep -q ."
}

# Loopback has nothing to pace for: pasta's two sockets of a spliced
# connection don't take the machine's default congestion control (BBR paces
# its sender) but Reno; the endpoints keep the default
hold_conn hst 127.0.0.1 9090 pst 127.0.0.1
expect_eq pasta_splice_cc_ns_side "$(cc_of pst '( sport = :9090 )')" reno
expect_eq pasta_splice_cc_host_side "$(cc_of hst '( dport = :9090 )')" reno
expect_eq pasta_splice_cc_endpoints_default "$(cc_of hst '( sport = :9090 )')" \
	  "$(in_hst sysctl -n net.ipv4.tcp_congestion_control)"
# shellcheck disable=SC2086
kill ${HELD} 2>/dev/null; wait ${HELD} 2>/dev/null

# Small writes leave pasta's host sockets at once (TCP_NODELAY), whichever
# side connected: an inbound connection through the tap device, accepted from
# pasta's listener, as well as spliced ones
hold_conn pst 0.0.0.0 5100 out 192.0.2.2
expect_eq pasta_tcp_inbound_tap_nodelay \
	  "$(${TCP_TOOL} nodelay "${ppid}" 5100)" "NODELAY 1"
# shellcheck disable=SC2086
kill ${HELD} 2>/dev/null; wait ${HELD} 2>/dev/null
hold_conn pst 127.0.0.1 8080 hst 127.0.0.1
expect_eq pasta_tcp_spliced_nodelay \
	  "$(${TCP_TOOL} nodelay "${ppid}" 8080)" "NODELAY 1 1"
# shellcheck disable=SC2086
kill ${HELD} 2>/dev/null; wait ${HELD} 2>/dev/null

# UDP echo: spliced both ways, through the tap device both ways
bg pst ${UDP_TOOL} echoserver 5353 127.0.0.1 ::1
bg hst ${UDP_TOOL} echoserver 5454 127.0.0.1 ::1
bg out ${UDP_TOOL} echoserver 9000 203.0.113.1 2001:db8:1::1
bg pst ${UDP_TOOL} echoserver 6000
wait_bound_udp out 9000
for lo in 127.0.0.1 ::1; do
	expect_eq "pasta_udp_host_to_ns_spliced_${lo}" \
		  "$(in_hst ${UDP_TOOL} echo "${lo}" 5353 1000 10)" "ECHO 10/10"
	expect_eq "pasta_udp_ns_to_host_spliced_${lo}" \
		  "$(ip netns exec "${NS_PST}" ${UDP_TOOL} echo "${lo}" 5454 \
		     1000 10)" "ECHO 10/10"
done
for remote in 203.0.113.1 2001:db8:1::1; do
	expect_eq "pasta_udp_ns_to_remote_${remote}" \
		  "$(ip netns exec "${NS_PST}" ${UDP_TOOL} echo "${remote}" \
		     9000 1400 10)" "ECHO 10/10"
done
for host in 192.0.2.2 2001:db8::2; do
	expect_eq "pasta_udp_remote_to_ns_forward_${host}" \
		  "$(in_out ${UDP_TOOL} echo "${host}" 6000 1400 10)" \
		  "ECHO 10/10"
done

# The tap device completes the checksums pasta leaves out: the namespace
# counts no bad ones after all of the above
expect_eq pasta_tap_offload_no_checksum_errors \
	  "$(csum_errors "${NS_PST}" TcpInCsumErrors UdpInCsumErrors \
			 Udp6InCsumErrors)" 0

# Nothing bound to a forwarded port in the namespace: the port unreachable
# that comes back on the spliced socket is not for the guest, pasta goes on
for i in 1 2 3; do
	in_hst socat -u - UDP4-SENDTO:127.0.0.1:5355 <<< "nobody" 2>/dev/null
	sleep 0.1
done
alive "${ppid}"
expect_eq pasta_udp_spliced_port_unreachable_survived $? 0

# Deleting the namespace ends pasta
ip netns del "${NS_PST}"
if wait_for 2 sh -c "! awk '/^State:/ { if (\$2 != \"Z\") exit 0; exit 1 }' \
		     /proc/${ppid}/status 2>/dev/null"; then
	pass pasta_quits_when_namespace_deleted
else
	fail pasta_quits_when_namespace_deleted "PID ${ppid} still running"
fi

# auto_bound() - Check that a port is bound on a side within 3 s
# $1:	Name of the check
# $2:	Namespace
# $3:	ss options: -Htln for listening TCP sockets, -Huln for UDP ones
# $4:	Port
auto_bound() {
	if wait_for 3 sh -c "ip netns exec $2 ss $3 sport = :$4 | grep -q ."
	then
		pass "$1"
	else
		fail "$1" "nothing bound to port $4 in $2"
	fi
}

# auto_forwarding() - pasta with its defaults ("auto" everywhere) follows
# what binds inside, and on the host
# $1:	Suffix of the check names
# $2:	Expected way of finding bound ports: diag (socket diagnostics) or
#	proc (/proc/net, where the kernel has no socket diagnostics)
# $@:	Environment for pasta (LD_PRELOAD=...), may be empty
auto_forwarding() {
	local sfx="$1" how="$2" ppid spid log="${TMP}/pasta_auto_$1.log"
	shift 2

	ip netns add "${NS_PST}"
	ip netns exec "${NS_HST}" env "$@" "${PASTA}" --config-net \
		--netns "${NS_PST}" -P "${TMP}/pasta2.pid" -d -l "${log}" \
		2>/dev/null
	ppid=$(cat "${TMP}/pasta2.pid")
	bg pst socat -u TCP4-LISTEN:8888,reuseaddr,fork OPEN:/dev/null
	spid=${BG_PID}
	auto_bound "pasta_auto_port_bound_within_2s${sfx}" "${NS_HST}" -Htln 8888
	echo hi | in_hst socat -u - TCP4:127.0.0.1:8888
	expect_eq "pasta_auto_port_reachable${sfx}" $? 0
	kill "${spid}"
	if wait_for 3 sh -c "! ip netns exec ${NS_HST} ss -Htln \
			     sport = :8888 | grep -q ."; then
		pass "pasta_auto_port_unbound_when_server_stops${sfx}"
	else
		fail "pasta_auto_port_unbound_when_server_stops${sfx}" \
		     "still bound"
	fi
	bg hst socat -u TCP4-LISTEN:7777,bind=127.0.0.1,reuseaddr,fork \
		OPEN:/dev/null
	spid=${BG_PID}
	if wait_for 3 sh -c "ip netns exec ${NS_PST} ss -Htln sport = :7777 | \
			     grep -q ."; then
		echo hi | ip netns exec "${NS_PST}" socat -u - \
			TCP4:127.0.0.1:7777
		expect_eq "pasta_auto_tcp_ns_port_reaches_host${sfx}" $? 0
	else
		fail "pasta_auto_tcp_ns_port_reaches_host${sfx}" \
		     "not bound in the namespace"
	fi
	kill "${spid}"
	# UDP: an unconnected socket bound in the namespace
	bg pst socat -u UDP6-RECV:8899 OPEN:/dev/null
	spid=${BG_PID}
	auto_bound "pasta_auto_udp_port_bound_within_2s${sfx}" "${NS_HST}" \
		   -Huln 8899
	kill "${spid}"
	if [ "${how}" = proc ]; then
		check "pasta_auto_reads_proc_net${sfx}" \
		      grep -q "No socket diagnostics on the host side" "${log}"
	else
		check "pasta_auto_uses_socket_diagnostics${sfx}" \
		      sh -c "! grep -q 'No socket diagnostics' ${log}"
	fi
	kill "${ppid}"
	ip netns del "${NS_PST}"
}

# 3. Automatic forwarding, through socket diagnostics, and through
# /proc/net where the kernel has none
auto_forwarding "" diag
# (the sanitizers' runtime wants to be loaded first, the library comes first)
auto_forwarding _proc_net proc LD_PRELOAD="${TOOLS}/nosockdiag.so" \
	ASAN_OPTIONS=verify_asan_link_order=0

# Neither socket diagnostics nor IPv6 tables in /proc/net (IPv6 disabled at
# boot): the IPv4 ones are enough
ip netns add "${NS_PST}"
ip netns exec "${NS_HST}" env LD_PRELOAD="${TOOLS}/nosockdiag.so" \
	ASAN_OPTIONS=verify_asan_link_order=0 NOSOCKDIAG_NO_IPV6=1 \
	"${PASTA}" --config-net --netns "${NS_PST}" -P "${TMP}/pasta2.pid" \
	2>/dev/null
ppid=$(cat "${TMP}/pasta2.pid")
bg pst socat -u TCP4-LISTEN:8888,reuseaddr,fork OPEN:/dev/null
auto_bound pasta_auto_port_bound_without_ipv6_tables "${NS_HST}" -Htln 8888
kill "${BG_PID}" "${ppid}"
ip netns del "${NS_PST}"

# An idle pasta with its defaults, a connection open through the tap device
# and carrying nothing, sleeps until its jobs of every second: no wake-ups
# of its own in between (it used to wake ten times a second). Each sleep in
# epoll_wait() is a voluntary context switch
ip netns add "${NS_PST}"
ip netns exec "${NS_HST}" "${PASTA}" --config-net --netns "${NS_PST}" \
	-P "${TMP}/pasta_idle.pid" 2>/dev/null
ppid=$(cat "${TMP}/pasta_idle.pid")
bg out socat -u TCP-LISTEN:10080,reuseaddr /dev/null
wait_listen out 10080
(sleep 20) | ip netns exec "${NS_PST}" socat -u - TCP:203.0.113.1:10080 &
held=$!
wait_for 5 sh -c "ip netns exec ${NS_OUT} ss -Htn sport = :10080 | grep -q ."
sleep 1
v0=$(awk '/^voluntary_ctxt_switches/ { print $2 }' "/proc/${ppid}/status")
sleep 5
v1=$(awk '/^voluntary_ctxt_switches/ { print $2 }' "/proc/${ppid}/status")
expect_le pasta_idle_wakes_about_once_a_second $((v1 - v0)) 30 \
	  "wake-ups in 5 s"
kill "${held}" "${ppid}" 2>/dev/null
wait "${held}" 2>/dev/null
ip netns del "${NS_PST}"

# 4. podman's command line, as podman writes it
ip netns add "${NS_PST}"
dnsmasq_ok=0
if command -v dnsmasq >/dev/null && command -v dig >/dev/null; then
	bg out dnsmasq -k -C /dev/null -u root --no-resolv --no-hosts \
		--bind-interfaces --listen-address=192.0.2.1 --port 53 \
		--pid-file="${TMP}/dnsmasq.pid" \
		--address=/example.test/203.0.113.5
	dnsmasq_ok=1
fi
ip netns exec "${NS_HST}" "${PASTA}" --config-net -t 8080-8080:80-80 \
	-u 5353-5353:53-53 --dns-forward 169.254.0.1 -T none -U none \
	--no-map-gw --quiet --netns "/run/netns/${NS_PST}"
expect_eq pasta_podman_cmdline_starts $? 0
ppid=$(pgrep -f -- "--netns /run/netns/${NS_PST}" | head -1)
at_exit "kill ${ppid}"
tcp_xfer pasta_podman_port_8080_to_80 pst 0.0.0.0 80 out 192.0.2.2 8080 \
	 "${TMP}/f64k"
if [ "${dnsmasq_ok}" = 1 ]; then
	wait_bound_udp out 53
	expect_eq pasta_podman_dns_forward \
		  "$(ip netns exec "${NS_PST}" dig +short +time=2 \
		     @169.254.0.1 www.example.test A)" 203.0.113.5
else
	skip pasta_podman_dns_forward "dnsmasq or dig not installed"
fi
ip netns del "${NS_PST}"
if wait_for 2 sh -c "! awk '/^State:/ { if (\$2 != \"Z\") exit 0; exit 1 }' \
		     /proc/${ppid}/status 2>/dev/null"; then
	pass pasta_podman_quits_with_namespace
else
	fail pasta_podman_quits_with_namespace "PID ${ppid} still running"
fi

# 5. No --config-net: DHCP clients in the namespace configure it
ip netns add "${NS_PST}"
ip netns exec "${NS_HST}" "${PASTA}" --netns "${NS_PST}" -t none -u none \
	-T none -U none -P "${TMP}/pasta3.pid" --dhcp-dns 2>/dev/null
ppid=$(cat "${TMP}/pasta3.pid")
at_exit "kill ${ppid}"
mkdir -p "/etc/netns/${NS_PST}"
at_exit "rm -rf /etc/netns/${NS_PST}"
: > "/etc/netns/${NS_PST}/resolv.conf"
if command -v dhclient >/dev/null; then
	ip netns exec "${NS_PST}" timeout 20 dhclient -4 -1 \
		-pf "${TMP}/dh.pid" -lf "${TMP}/dh.leases" eth0 >/dev/null 2>&1
	ip netns exec "${NS_PST}" dhclient -4 -x -pf "${TMP}/dh.pid" \
		>/dev/null 2>&1
	expect_eq pasta_dhclient_address \
		  "$(ip -n "${NS_PST}" -4 -br addr show eth0 | awk '{print $3}')" \
		  192.0.2.2/24
	expect_eq pasta_dhclient_route \
		  "$(ip -n "${NS_PST}" -4 route show default | cut -d' ' -f1-3)" \
		  "default via 192.0.2.1"
	ip -n "${NS_PST}" -4 addr flush dev eth0
else
	skip pasta_dhclient "dhclient not installed"
fi
cat > "${TMP}/udhcpc.sh" <<'EOF'
#!/bin/sh
[ "$1" = bound ] || exit 0
ip addr add "$ip/$mask" dev "$interface"
ip route add default via "$router"
EOF
chmod 755 "${TMP}/udhcpc.sh"
ip netns exec "${NS_PST}" busybox udhcpc -i eth0 -q -n -t 5 -T 1 \
	-s "${TMP}/udhcpc.sh" >/dev/null 2>&1
expect_eq pasta_udhcpc_address \
	  "$(ip -n "${NS_PST}" -4 -br addr show eth0 | awk '{print $3}')" \
	  192.0.2.2/24
expect_eq pasta_udhcpc_route \
	  "$(ip -n "${NS_PST}" -4 route show default | cut -d' ' -f1-3)" \
	  "default via 192.0.2.1"
kill "${ppid}"
ip netns del "${NS_PST}"

# 6. As a user: attach to the namespace of a process of our own, quit when
# that process is gone
ip netns exec "${NS_HST}" runuser -u "${TEST_USER}" -- \
	unshare -Urn sleep 60 &
upid=$!
wait_for 5 sh -c "pgrep -P ${upid} -x sleep >/dev/null || \
		  pgrep -x sleep -u ${TEST_USER} >/dev/null"
tpid=$(pgrep -n -x sleep -u "${TEST_USER}")
ip netns exec "${NS_HST}" runuser -u "${TEST_USER}" -- "${PASTA}" \
	--config-net -t none -u none -T none -U none "${tpid}" 2>/dev/null
expect_eq pasta_user_attach_to_pid $? 0
out=$(nsenter -t "${tpid}" -n ping -c1 -W2 203.0.113.1 2>&1 | \
      grep -c "1 received")
expect_eq pasta_user_attached_namespace_works "${out}" 1
upasta=$(pgrep -n -u "${TEST_USER}" -f "pasta --config-net")
{ kill "${tpid}"; wait "${upid}"; } 2>/dev/null
if wait_for 3 sh -c "! awk '/^State:/ { if (\$2 != \"Z\") exit 0; exit 1 }' \
		     /proc/${upasta}/status 2>/dev/null"; then
	pass pasta_user_quits_when_process_gone
else
	fail pasta_user_quits_when_process_gone "PID ${upasta} still running"
fi

# 7. Offloads, seen in a capture: at MTU 1500 the namespace hands TCP
# segments of up to 64 KiB to the tap device; with a capture file, frames to
# the namespace carry complete checksums, as they would on a wire, except UDP
# over IPv4, which carries none
ip netns add "${NS_PST}"
ip netns exec "${NS_HST}" "${PASTA}" --config-net --netns "${NS_PST}" \
	-m 1500 -t none -u none -T none -U none -P "${TMP}/pasta4.pid" \
	--pcap "${TMP}/offload.pcap" 2>/dev/null
ppid=$(cat "${TMP}/pasta4.pid")
at_exit "kill ${ppid}"
head -c 4194304 /dev/urandom > "${TMP}/f4m"
tcp_xfer pasta_offload_tcp4_ns_to_remote out 0.0.0.0 6011 \
	 pst 203.0.113.1 6011 "${TMP}/f4m"
tcp_pull pasta_offload_tcp6_remote_to_ns out :: 6012 \
	 pst 2001:db8:1::1 6012 "${TMP}/f4m"
expect_eq pasta_offload_udp_ns_to_remote \
	  "$(ip netns exec "${NS_PST}" ${UDP_TOOL} echo 203.0.113.1 9000 \
	     1400 10)" "ECHO 10/10"
kill "${ppid}"
ip netns del "${NS_PST}"
read -r _ _ _ max_from _ n_to _ bad_to _ nosum4 _ <<< \
	"$(python3 "${TOP}/test/pcap_check.py" "${TMP}/offload.pcap" \
	   192.0.2.2 2001:db8::2)"
if [ "${max_from:-0}" -gt 1514 ]; then
	pass pasta_offload_tso_segments_above_mtu
else
	fail pasta_offload_tso_segments_above_mtu \
	     "largest frame from the namespace: ${max_from:-none} bytes"
fi
if [ "${n_to:-0}" -gt 0 ] && [ "${bad_to}" = 0 ]; then
	pass pasta_offload_capture_checksums_complete
else
	fail pasta_offload_capture_checksums_complete \
	     "${bad_to:-?} of ${n_to:-0} frames to the namespace"
fi
# UDP over IPv4 to the namespace: no checksum (RFC 768), the echo replies
if [ "${nosum4:-0}" -ge 10 ]; then
	pass pasta_capture_udp4_to_ns_without_checksum
else
	fail pasta_capture_udp4_to_ns_without_checksum \
	     "${nosum4:-0} datagrams without a checksum, 10 expected"
fi

# 8. Without a capture, at MTU 1500, TCP data goes into the namespace in
# frames of many segments, which its kernel takes as merged ones: intact,
# and far fewer frames than segments
ip netns add "${NS_PST}"
ip netns exec "${NS_HST}" "${PASTA}" --config-net --netns "${NS_PST}" \
	-m 1500 -t none -u none -T none -U none -P "${TMP}/pasta5.pid" \
	2>/dev/null
ppid=$(cat "${TMP}/pasta5.pid")
at_exit "kill ${ppid}"
tcp_pull pasta_gso_tcp4_remote_to_ns_64MiB out 0.0.0.0 6021 \
	 pst 203.0.113.1 6021 "${TMP}/f64m"
tcp_pull pasta_gso_tcp6_remote_to_ns_64MiB out :: 6022 \
	 pst 2001:db8:1::1 6022 "${TMP}/f64m"
merged_frames pasta_gso_frames_above_mtu "${NS_PST}" 1514
expect_eq pasta_gso_no_checksum_errors \
	  "$(csum_errors "${NS_PST}" TcpInCsumErrors)" 0
kill "${ppid}"
ip netns del "${NS_PST}"

# 9. Runs of UDP datagrams (UDP_SEGMENT), at MTU 1500: from the namespace,
# they come as one frame each and leave as one message each, split again
# only on the receiving side; to the namespace, datagrams of one flow that
# arrive together go in as one frame, which its kernel splits. Every
# datagram arrives intact. A host route with a smaller MTU than the
# datagrams makes the host refuse runs: they go one by one then. The tap
# device offers UDP segmentation from Linux 6.2 on: before that, only the
# contents are checked. pasta's sockets take runs as one message (UDP_GRO,
# counted as udp_runs_in): sent on whole to a spliced flow, and split into
# frames where the tap device can't take them whole (under a capture)
ip netns add "${NS_PST}"
ip netns exec "${NS_HST}" "${PASTA}" --config-net --netns "${NS_PST}" \
	-m 1500 -t none -u 7010 -T none -U none -P "${TMP}/pasta6.pid" \
	-c "${TMP}/pasta6.ctl" 2>/dev/null
ppid=$(cat "${TMP}/pasta6.pid")
at_exit "kill ${ppid}"
uso=0
kv=$(uname -r | awk -F. '{ print $1 * 1000 + $2 }')
[ "${kv}" -ge 6002 ] && uso=1

# ifstat() - A packet counter of an interface in a namespace
# $1:	Namespace
# $2:	Interface
# $3:	rx_packets or tx_packets
ifstat() {
	ip netns exec "$1" cat "/sys/class/net/$2/statistics/$3"
}

# few_packets() - Check that runs of datagrams were carried as runs
# $1:	Test name
# $2:	Packets counted on the way for 640 datagrams: at most 640 / 4
few_packets() {
	[ "${uso}" = 1 ] || return 0
	if [ "$2" -le 160 ]; then
		pass "$1"
	else
		fail "$1" "$2 packets for 640 datagrams"
	fi
}

# expect_runs() - Check the datagrams a run test received, and the packets
# that carried them
# $1:	Test name
# $2:	Output of udp_tool.py runsrecv
# $3:	Packets counted on the way
expect_runs() {
	expect_eq "$1" "$2" "RUNS 640/640"
	few_packets "$1_in_few_packets" "$3"
}

bg out ${UDP_TOOL} runsecho 7001 1000 640
wait_bound_udp out 7001
for remote in 203.0.113.1 2001:db8:1::1; do
	# From the namespace: one frame per run, one packet per run on the link
	in_out ${UDP_TOOL} runsrecv 7002 1000 640 > "${TMP}/runs.out" &
	rpid=$!
	wait_bound_udp out 7002
	t0=$(ifstat "${NS_PST}" eth0 tx_packets)
	o0=$(ifstat "${NS_OUT}" veth-o rx_packets)
	ip netns exec "${NS_PST}" ${UDP_TOOL} runs "${remote}" 7002 1000 640 \
		>/dev/null
	wait "${rpid}"
	t1=$(ifstat "${NS_PST}" eth0 tx_packets)
	o1=$(ifstat "${NS_OUT}" veth-o rx_packets)
	expect_runs "pasta_udp_runs_ns_to_remote_${remote}" \
		    "$(cat "${TMP}/runs.out")" $((o1 - o0))
	few_packets "pasta_udp_runs_from_ns_in_few_frames_${remote}" \
		    $((t1 - t0))

	# To the namespace: replies to a flow it started, and to a forwarded
	# port, in few frames
	r0=$(ifstat "${NS_PST}" eth0 rx_packets)
	out=$(ip netns exec "${NS_PST}" ${UDP_TOOL} runsrecv 7003 1000 640 \
	      "${remote}" 7001)
	r1=$(ifstat "${NS_PST}" eth0 rx_packets)
	expect_runs "pasta_udp_runs_remote_to_ns_reply_${remote}" "${out}" \
		    $((r1 - r0))
done
for host in 192.0.2.2 2001:db8::2; do
	ip netns exec "${NS_PST}" ${UDP_TOOL} runsrecv 7010 1000 640 \
		> "${TMP}/runs.out" &
	rpid=$!
	wait_bound_udp pst 7010
	r0=$(ifstat "${NS_PST}" eth0 rx_packets)
	in_out ${UDP_TOOL} runs "${host}" 7010 1000 640 >/dev/null
	wait "${rpid}"
	r1=$(ifstat "${NS_PST}" eth0 rx_packets)
	expect_runs "pasta_udp_runs_remote_to_ns_forward_${host}" \
		    "$(cat "${TMP}/runs.out")" $((r1 - r0))
done
# runs_in() - How many runs pasta's sockets gave as one message so far
runs_in() {
	"${TOP}/pesto" --stats "${TMP}/pasta6.ctl" | \
		awk '$1 == "udp_runs_in" { print $2 }'
}
expect_ge pasta_udp_runs_read_as_one_message "$(runs_in)" 1 udp_runs_in
# Spliced: from the host's loopback to the namespace's, runs kept whole
for lo in 127.0.0.1 ::1; do
	ip netns exec "${NS_PST}" ${UDP_TOOL} runsrecv 7010 1000 640 \
		> "${TMP}/runs.out" &
	rpid=$!
	wait_bound_udp pst 7010
	r0=$(runs_in)
	in_hst ${UDP_TOOL} runs "${lo}" 7010 1000 640 >/dev/null
	wait "${rpid}"
	expect_eq "pasta_udp_runs_spliced_${lo}" "$(cat "${TMP}/runs.out")" \
		  "RUNS 640/640"
	expect_ge "pasta_udp_runs_spliced_${lo}_read_as_runs" \
		  $(($(runs_in) - r0)) 1 "more udp_runs_in"
done

# The host can't send runs of 1400-byte datagrams on a 1280-byte path: they
# go one by one, as IP fragments
ip -n "${NS_HST}" route add 203.0.113.1/32 via 192.0.2.1 mtu 1280
in_out ${UDP_TOOL} runsrecv 7004 1400 640 > "${TMP}/runs.out" &
rpid=$!
wait_bound_udp out 7004
ip netns exec "${NS_PST}" ${UDP_TOOL} runs 203.0.113.1 7004 1400 640 \
	>/dev/null
wait "${rpid}"
expect_eq pasta_udp_runs_refused_by_host_sent_one_by_one \
	  "$(cat "${TMP}/runs.out")" "RUNS 640/640"
ip -n "${NS_HST}" route del 203.0.113.1/32
kill "${ppid}"
ip netns del "${NS_PST}"

# With a capture, frames to the namespace carry one datagram each: runs
# pasta's sockets take as one message are split into frames
ip netns add "${NS_PST}"
ip netns exec "${NS_HST}" "${PASTA}" --config-net --netns "${NS_PST}" \
	-m 1500 -t none -u none -T none -U none -P "${TMP}/pasta6.pid" \
	-c "${TMP}/pasta6.ctl" --pcap "${TMP}/runs.pcap" 2>/dev/null
ppid=$(cat "${TMP}/pasta6.pid")
at_exit "kill ${ppid}"
for remote in 203.0.113.1 2001:db8:1::1; do
	r0=$(ifstat "${NS_PST}" eth0 rx_packets)
	out=$(ip netns exec "${NS_PST}" ${UDP_TOOL} runsrecv 7003 1000 640 \
	      "${remote}" 7001)
	r1=$(ifstat "${NS_PST}" eth0 rx_packets)
	expect_eq "pasta_udp_runs_split_remote_to_ns_${remote}" "${out}" \
		  "RUNS 640/640"
	expect_ge "pasta_udp_runs_split_remote_to_ns_${remote}_frames" \
		  $((r1 - r0)) 640 "frames for 640 datagrams"
done
expect_ge pasta_udp_runs_split_read_as_one_message "$(runs_in)" 1 udp_runs_in
kill "${ppid}"
ip netns del "${NS_PST}"

# 10. --splice-only: no tap device; every connection to a forwarded port,
# from loopback or not, reaches the namespace's loopback, and -T ports the
# host's
ip netns add "${NS_PST}"
ip netns exec "${NS_HST}" "${PASTA}" --splice-only --netns "${NS_PST}" \
	-t 8090 -u 8091 -T 9095 -U none -P "${TMP}/pasta7.pid" 2>/dev/null
expect_eq pasta_splice_only_starts $? 0
ppid=$(cat "${TMP}/pasta7.pid")
at_exit "kill ${ppid}"
expect_eq pasta_splice_only_no_tap_device \
	  "$(ip -n "${NS_PST}" -br link show | awk '{ print $1 }' | xargs)" lo
tcp_xfer pasta_splice_only_tcp_from_host_address pst 127.0.0.1 8090 \
	 out 192.0.2.2 8090 "${TMP}/f64k"
# A connection from another host is spliced here too, and keeps the
# machine's congestion control on its way in
hold_conn pst 127.0.0.1 8090 out 192.0.2.2
expect_eq pasta_splice_only_cc_remote_peer_default \
	  "$(cc_of hst '( sport = :8090 )')" \
	  "$(in_hst sysctl -n net.ipv4.tcp_congestion_control)"
expect_eq pasta_splice_only_cc_ns_side "$(cc_of pst '( dport = :8090 )')" reno
# shellcheck disable=SC2086
kill ${HELD} 2>/dev/null; wait ${HELD} 2>/dev/null
tcp_xfer pasta_splice_only_tcp_from_host_loopback pst ::1 8090 \
	 hst ::1 8090 "${TMP}/f64k"
tcp_xfer pasta_splice_only_tcp_ns_to_host hst 127.0.0.1 9095 \
	 pst 127.0.0.1 9095 "${TMP}/f64k"
bg pst ${UDP_TOOL} echoserver 8091 127.0.0.1
wait_bound_udp pst 8091
expect_eq pasta_splice_only_udp_from_host_address \
	  "$(in_out ${UDP_TOOL} echo 192.0.2.2 8091 1000 10)" "ECHO 10/10"
kill "${ppid}"
ip netns del "${NS_PST}"
