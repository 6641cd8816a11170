#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# passt - user-mode networking for virtual machines and namespaces
#
# test/40_udp.sh - UDP through passt: echo both ways with small and large
# datagrams, many flows, forwarded ports and replies, flows timing out,
# malformed datagrams, port unreachable, a guest that stops reading

. "$(dirname "$0")/lib.sh"

TOOL="python3 ${TOP}/test/udp_tool.py"

if ! tb_setup || ! tb_guest -u 5353,6000:7000 -u 192.0.2.2/6100 \
			   -c "${TMP}/passt.ctl"; then
	fail udp_testbed "could not start passt and the guest namespace"
	exit 1
fi

# Echo through a remote server: 1 byte, a classic MTU's worth, a large one
bg out ${TOOL} echoserver 9000 203.0.113.1 2001:db8:1::1
bg gst ${TOOL} echoserver 7000
wait_bound_udp out 9000
wait_bound_udp gst 7000

for remote in 203.0.113.1 2001:db8:1::1; do
	for size in 1 1472 65000; do
		expect_eq "udp_echo_guest_remote_${remote}_${size}B" \
			  "$(in_gst ${TOOL} echo "${remote}" 9000 "${size}" 20)" \
			  "ECHO 20/20"
	done
done

# Forwarded port 6000 to the guest's 7000, replies from the bound port
for src in out:192.0.2.2 hst:127.0.0.1 hst:::1 out:2001:db8::2; do
	ns=${src%%:*} addr=${src#*:}
	expect_eq "udp_forward_and_reply_from_${ns}_${addr}" \
		  "$(ip netns exec "$(ns_of "${ns}")" ${TOOL} echo "${addr}" \
		     6000 1000 10)" "ECHO 10/10"
done
expect_eq udp_forward_bound_to_address \
	  "$(in_hst ss -Huln sport = :6100 | awk '{ print $4 }')" \
	  "192.0.2.2:6100"

# Many flows at once
expect_eq udp_500_concurrent_flows \
	  "$(in_gst ${TOOL} many 203.0.113.1 9000 500)" "MANY 500/500"

# Runs of datagrams the guest sends with UDP_SEGMENT reach its tap device
# one by one: passt sends a batch of them on as runs again, one message each,
# which cross the link as one packet each. Runs from the remote side arrive
# in the guest, all of them: one by one on the stream socket, in few frames
# through vhost-user.
bg out ${TOOL} runsecho 7001 1000 640
wait_bound_udp out 7001
for remote in 203.0.113.1 2001:db8:1::1; do
	in_out ${TOOL} runsrecv 7002 1000 640 > "${TMP}/runs.out" &
	rpid=$!
	wait_bound_udp out 7002
	o0=$(in_out cat /sys/class/net/veth-o/statistics/rx_packets)
	in_gst ${TOOL} runs "${remote}" 7002 1000 640 > /dev/null
	wait "${rpid}"
	o1=$(in_out cat /sys/class/net/veth-o/statistics/rx_packets)
	expect_eq "udp_runs_guest_to_remote_${remote}" "$(cat "${TMP}/runs.out")" \
		  "RUNS 640/640"
	expect_le "udp_runs_guest_to_remote_${remote}_in_few_packets" \
		  $((o1 - o0)) 160 "packets for 640 datagrams"
	r0=$(in_gst cat /sys/class/net/eth0/statistics/rx_packets)
	expect_eq "udp_runs_remote_to_guest_${remote}" \
		  "$(in_gst ${TOOL} runsrecv 7003 1000 640 "${remote}" 7001)" \
		  "RUNS 640/640"
	r1=$(in_gst cat /sys/class/net/eth0/statistics/rx_packets)
	# Through vhost-user, datagrams of a flow read together go to the
	# guest as one frame (VIRTIO_NET_F_GUEST_USO4/6), which its kernel
	# splits, as pasta's tap device takes them
	[ "${TB_VHOST_USER:-}" = 1 ] || continue
	expect_le "udp_runs_remote_to_guest_${remote}_in_few_frames" \
		  $((r1 - r0)) 160 "frames for 640 datagrams"
done

# A closed port: the guest gets an ICMP port unreachable
out=$(echo x | in_gst socat -t 2 - UDP4:203.0.113.1:9999 2>&1)
if grep -q "Connection refused" <<< "${out}"; then
	pass udp_port_unreachable_to_guest
else
	fail udp_port_unreachable_to_guest "${out}"
fi
out=$(echo x | in_gst socat -t 2 - UDP6:[2001:db8:1::1]:9999 2>&1)
if grep -q "Connection refused" <<< "${out}"; then
	pass udp6_port_unreachable_to_guest
else
	fail udp6_port_unreachable_to_guest "${out}"
fi

# The guest's source port is kept where it's free
bg out ${TOOL} sinkserver 9001 "${TMP}/sink-port"
wait_bound_udp out 9001
echo x | in_gst socat -t 1 - UDP4:203.0.113.1:9001,sourceport=34567
wait_for 2 test -s "${TMP}/sink-port"
if in_hst ss -Hun | grep -q ":34567 "; then
	pass udp_guest_source_port_kept
else
	fail udp_guest_source_port_kept "$(in_hst ss -Hun)"
fi

# Malformed datagrams are dropped, passt goes on
ip netns exec "${NS_HST}" "${PASST}" -f -d -s "${TMP}/m.sock" \
	> "${TMP}/passt-m.log" 2>&1 &
mpid=$!
at_exit "kill ${mpid}"
wait_for 5 test -S "${TMP}/m.sock"
bg out ${TOOL} sinkserver 9100 "${TMP}/sink"
wait_bound_udp out 9100
in_hst ${TOOL} malformed "${TMP}/m.sock" 9100 >/dev/null
wait_for 3 grep -q "$(printf GOOD | xxd -p)" "${TMP}/sink"
got=$(while read -r l; do xxd -r -p <<< "${l}"; echo; done < "${TMP}/sink")
# Lengths that disagree, and IPv6 without a checksum, are dropped; a wrong
# checksum isn't checked (the kernel computes a new one), none over IPv4 is fine
expect_eq udp_malformed_dropped_good_delivered "$(echo ${got})" \
	"BADSUM NOSUM4 GOOD"
if kill -0 "${mpid}"; then
	pass udp_malformed_passt_still_running
else
	fail udp_malformed_passt_still_running "$(tail -3 "${TMP}/passt-m.log")"
fi

# An idle DNS flow is closed after its short timeout
bg out ${TOOL} echoserver 53 203.0.113.1
wait_bound_udp out 53
in_gst ${TOOL} echo 203.0.113.1 53 40 1 >/dev/null
if grep -q "UDP flow [0-9]*: guest port [0-9]* to port 53$" \
	"${TMP}/passt.log" &&
   wait_for 15 grep -q "UDP flow [0-9]*: closed" "${TMP}/passt.log"; then
	pass udp_idle_dns_flow_closed
else
	fail udp_idle_dns_flow_closed "$(grep "UDP flow" "${TMP}/passt.log" |
					 tail -3)"
fi

# A guest that doesn't read: once its socket is full, passt leaves datagrams
# in the kernel instead of reading and dropping them, and goes on when the
# guest reads again
recvq() {
	in_hst ss -Huna "$@" | awk '{ s += $2 } END { print s + 0 }'
}
recvq_empty() {
	[ "$(recvq "$@")" = 0 ]
}
recvq_some() {
	[ "$(recvq "$@")" -gt 0 ]
}

# stalled_guest() - Flood a socket of passt while the guest's bridge is stopped
# $1:	Name of the socket in test names, also of its stop file
# $2:	ss filter that selects it
# $3:	Output of the flood, which goes on in rounds until the stop file exists
# $4:	Line in that output when the flood has ended
#
# How many datagrams make it from the socket to the guest's queue before that
# is full depends on how fast passt runs (under a sanitizer, much slower), so
# the flood goes on in rounds until datagrams stay in the socket through the
# pause after one: a passt that read and dropped them would never leave any.
stalled_guest() {
	local name="$1" filter="$2" log="$3" ended="$4" round q1 q2

	for round in $(seq 1 20); do
		wait_for 60 grep -qx "ROUND ${round}" "${log}" || break
		sleep 0.5
		recvq_some ${filter} && break
	done
	touch "${TMP}/stop-${name}"
	wait_for 10 grep -qx "${ended}" "${log}"
	sleep 1
	q1=$(recvq ${filter})
	sleep 0.5
	q2=$(recvq ${filter})
	kill -CONT "${BRIDGE_PID}"
	if [ "${q1}" -gt 0 ] && [ "${q1}" = "${q2}" ]; then
		pass "udp_guest_full_${name}_left_unread"
	else
		fail "udp_guest_full_${name}_left_unread" \
		     "receive queue ${q1}, ${q2} after ${round} rounds"
	fi
	if wait_for 10 recvq_empty ${filter}; then
		pass "udp_guest_reads_again_${name}_drained"
	else
		fail "udp_guest_reads_again_${name}_drained" \
		     "receive queue $(recvq ${filter})"
	fi
}

# A forwarded port's socket
kill -STOP "${BRIDGE_PID}"
bg out ${TOOL} flood 192.0.2.2 6000 60000 3000 "${TMP}/stop-socket" \
	> "${TMP}/fwdflood"
stalled_guest socket "sport = :6000" "${TMP}/fwdflood" "SENT [0-9]*"
expect_eq udp_guest_reads_again_forward \
	  "$(in_out ${TOOL} echo 192.0.2.2 6000 1000 10)" "ECHO 10/10"

# Runs of datagrams into a guest that stopped reading: left in the socket as
# well. Through vhost-user, passt reads a run as one message and sends it on
# as one frame, which takes many of the guest's buffers when they are small
# (the vhost-user suite gives vubridge buffers of 1536 bytes): while runs
# come, it reads them only once the guest has room for the longest, and
# loses none, where reading as for single datagrams lost 1468; the stream
# socket may lose what is left of a batch of frames when it fills up
pstat() {
	"${TOP}/pesto" --stats "${TMP}/passt.ctl" |
		awk -v k="$1" '$1 == k { print $2 }'
}
lost0=$(pstat udp_to_guest_lost) runs0=$(pstat udp_runs_in)
kill -STOP "${BRIDGE_PID}"
bg out ${TOOL} runsflood 192.0.2.2 6000 1000 500 "${TMP}/stop-runs" \
	> "${TMP}/runsflood"
stalled_guest runs "sport = :6000" "${TMP}/runsflood" "SENT [0-9]*"
expect_le udp_guest_full_runs_lost_at_most_a_batch \
	  $(($(pstat udp_to_guest_lost) - lost0)) 128 udp_to_guest_lost
if [ "${TB_VHOST_USER:-}" = 1 ]; then
	expect_ge udp_guest_full_runs_read_as_runs \
		  $(($(pstat udp_runs_in) - runs0)) 1 "more udp_runs_in"
fi
expect_eq udp_guest_reads_again_runs \
	  "$(in_out ${TOOL} echo 192.0.2.2 6000 1000 10)" "ECHO 10/10"

# The socket of a flow the guest started: a reply of many datagrams, starting
# a second after the request
bg out ${TOOL} replyflood 9300 60000 3000 1 "${TMP}/flood" \
	"${TMP}/stop-flow_socket"
wait_bound_udp out 9300
echo go | in_gst socat -u - UDP4:203.0.113.1:9300,sourceport=34600
wait_for 3 sh -c "ip netns exec ${NS_HST} ss -Hun dport = :9300 | grep -q ."
kill -STOP "${BRIDGE_PID}"
stalled_guest flow_socket "dport = :9300" "${TMP}/flood" DONE

if kill -0 "${PASST_PID}"; then
	pass udp_passt_still_running
else
	fail udp_passt_still_running "$(tail -3 "${TMP}/passt.log")"
fi
