#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# passt - user-mode networking for virtual machines and namespaces
#
# test/56_pesto.sh - Forwarding changed at run time through the control
# socket (-c) with pesto: pasta started with nothing forwarded, then ports
# added, deleted, replaced and cleared, both ways, TCP and UDP; transfers in
# flight on a deleted rule arrive whole; a change that can't be applied
# changes nothing; another user is refused; garbage on the socket closes
# that connection only; flows and counters of a running instance; the same
# with passt and a guest

. "$(dirname "$0")/lib.sh"

PASTA="${TMP}/pasta"
ln -s "${PASST}" "${PASTA}"
PESTO=${PESTO_BIN:-${TOP}/pesto}
UDP_TOOL="python3 ${TOP}/test/udp_tool.py"

if ! tb_setup || ! tb_user; then
	fail pesto_testbed "could not build the test namespaces"
	exit 1
fi

NS_PST="pt-pst-${TB_ID}"
ip netns add "${NS_PST}"
at_exit "ip netns del ${NS_PST}"
CTL="${TMP}/pasta.ctl"

in_hst "${PASTA}" --config-net --netns "${NS_PST}" -c "${CTL}" \
	-P "${TMP}/pasta.pid" -d -l "${TMP}/pasta.log" \
	-t none -u none -T none -U none 2>/dev/null
expect_eq pesto_pasta_with_conf_path_starts $? 0
ppid=$(cat "${TMP}/pasta.pid" 2>/dev/null)
at_exit "kill ${ppid}"
make_files

expect_eq pesto_socket_mode_0600 "$(stat -c %a "${CTL}")" 600

# listening() - Tell if a TCP port listens in a namespace
# $1:	Namespace role
# $2:	Port
listening() {
	ip netns exec "$(ns_of "$1")" ss -Htln sport = ":$2" | grep -q .
}

# udp_bound() - Tell if a UDP port is bound in a namespace
# $1:	Namespace role
# $2:	Port
udp_bound() {
	ip netns exec "$(ns_of "$1")" ss -Huln sport = ":$2" | grep -q .
}

# show() - The forwarding tables, as pesto prints them
show() {
	"${PESTO}" "${CTL}" 2>&1
}

out=$(show)
check pesto_show_nothing_forwarded grep -q "host to namespace (-t): none" \
	<<< "${out}"

# 1. Add: host port 10071 reaches a listener in the namespace, spliced from
# loopback and through the tap device from the network
"${PESTO}" -A -t 10071 "${CTL}"
expect_eq pesto_add_tcp_status_0 $? 0
check pesto_add_tcp_listens listening hst 10071
tcp_xfer pesto_add_tcp_spliced pst 0.0.0.0 10071 hst 127.0.0.1 10071 \
	 "${TMP}/f64k"
tcp_xfer pesto_add_tcp_tap pst 0.0.0.0 10071 out 192.0.2.2 10071 \
	 "${TMP}/f64m"
check pesto_show_lists_rule grep -q "^ *10071 *listening" <<< "$(show)"

# 2. Delete, with transfers in flight on the rule: those finish whole, new
# connections are refused
# inflight() - A listener in the namespace on 10071, a sender that sends
# 1 MiB of the 64 MiB file, pauses for 2 s, then sends the rest
# $1:	File the listener writes
# $2:	Namespace role of the sender
# $3:	Address it connects to
# Sets LPID and SPID
inflight() {
	ip netns exec "${NS_PST}" socat -u TCP4-LISTEN:10071,reuseaddr \
		"OPEN:$1,creat,trunc" 2>/dev/null &
	LPID=$!
	wait_listen pst 10071
	ip netns exec "$(ns_of "$2")" sh -c "{ dd bs=1M count=1 status=none; \
		sleep 2; cat; } < ${TMP}/f64m | socat -u - TCP:$3:10071" &
	SPID=$!
	sleep 0.5
}

rcv1="${TMP}/inflight.spliced" rcv2="${TMP}/inflight.tap"
inflight "${rcv1}" hst 127.0.0.1
l1=${LPID} s1=${SPID}
inflight "${rcv2}" out 192.0.2.2
l2=${LPID} s2=${SPID}
"${PESTO}" -D -t 10071 "${CTL}"
expect_eq pesto_delete_tcp_status_0 $? 0
if ! listening hst 10071; then
	pass pesto_delete_tcp_stops_listening
else
	fail pesto_delete_tcp_stops_listening "port 10071 still listens"
fi
in_hst timeout 5 socat -u /dev/null TCP:127.0.0.1:10071 2>/dev/null
if [ $? -ne 0 ]; then
	pass pesto_delete_tcp_refuses_new
else
	fail pesto_delete_tcp_refuses_new "connected after delete"
fi
wait "${s1}" "${s2}"
wait_for 20 sh -c "! kill -0 ${l1} 2>/dev/null && ! kill -0 ${l2} 2>/dev/null"
kill "${l1}" "${l2}" 2>/dev/null
check pesto_delete_inflight_spliced_whole cmp -s "${TMP}/f64m" "${rcv1}"
check pesto_delete_inflight_tap_whole cmp -s "${TMP}/f64m" "${rcv2}"

# 3. Replace: specifications without -A or -D make the table anew
"${PESTO}" -t 10072 -t 10073:10074 "${CTL}"
expect_eq pesto_replace_status_0 $? 0
check pesto_replace_listens_10072 listening hst 10072
check pesto_replace_listens_10073 listening hst 10073
tcp_xfer pesto_replace_remapped_port pst 0.0.0.0 10074 out 192.0.2.2 10073 \
	 "${TMP}/f64k"

# 4. Towards the host: -T listens on the namespace's loopback
"${PESTO}" -A -T 10075 "${CTL}"
expect_eq pesto_add_tcp_ns_status_0 $? 0
tcp_xfer pesto_add_tcp_ns_to_host hst 127.0.0.1 10075 pst 127.0.0.1 10075 \
	 "${TMP}/f64k"

# 5. UDP, both ways
bg pst ${UDP_TOOL} echoserver 10076 127.0.0.1 ::1
bg hst ${UDP_TOOL} echoserver 10077 127.0.0.1 ::1
"${PESTO}" -A -u 10076 -A -U 10077 "${CTL}"
expect_eq pesto_add_udp_status_0 $? 0
wait_bound_udp pst 10076
expect_eq pesto_add_udp_host_to_ns \
	  "$(in_hst ${UDP_TOOL} echo 127.0.0.1 10076 1000 10)" "ECHO 10/10"
expect_eq pesto_add_udp_ns_to_host \
	  "$(ip netns exec "${NS_PST}" ${UDP_TOOL} echo 127.0.0.1 10077 \
	     1000 10)" "ECHO 10/10"

# 6. A change that can't be applied changes nothing: a bad specification,
# a rule that isn't there, a port that can't be bound; the message says why
before=$(show)
out=$("${PESTO}" -A -t 10078 -A -t 70000 "${CTL}" 2>&1)
expect_eq pesto_bad_spec_status_1 $? 1
check pesto_bad_spec_says_why grep -q "70000" <<< "${out}"
out=$("${PESTO}" -D -t 12345 "${CTL}" 2>&1)
expect_eq pesto_unknown_rule_status_1 $? 1
check pesto_unknown_rule_says_why grep -q "no rule '12345'" <<< "${out}"
ip netns exec "${NS_HST}" socat TCP6-LISTEN:10079,ipv6only=0,reuseaddr,fork \
	/dev/null &
occ=$!
at_exit "kill ${occ}"
wait_listen hst 10079
out=$("${PESTO}" -A -t 10080 -A -t 10079 "${CTL}" 2>&1)
expect_eq pesto_unbindable_status_1 $? 1
check pesto_unbindable_says_why grep -q "port 10079" <<< "${out}"
kill "${occ}"
if ! listening hst 10080 && ! listening hst 10078; then
	pass pesto_failed_change_opened_nothing
else
	fail pesto_failed_change_opened_nothing "10078 or 10080 listens"
fi
expect_eq pesto_failed_changes_left_tables "$(show)" "${before}"
tcp_xfer pesto_failed_changes_forwarding_goes_on pst 0.0.0.0 10072 \
	 hst 127.0.0.1 10072 "${TMP}/f64k"

# 7. Show before and after
out=$("${PESTO}" -s -A -t 10081 "${CTL}")
expect_eq pesto_show_before_after \
	  "$(grep -c '^Before:$' <<< "${out}") $(grep -c '^After:$' <<< "${out}") $(sed -n '/^After:$/,$p' <<< "${out}" | grep -c '^ *10081 ')" \
	  "1 1 1"

# 8. Garbage, oversized requests and another version close that connection
# (the latter with a reason); the instance goes on
out=$(python3 - "${CTL}" <<-'EOF'
	import socket, struct, sys
	def conn():
	    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
	    s.settimeout(3)
	    s.connect(sys.argv[1])
	    return s
	def closed(s):
	    try:
	        while s.recv(65536):
	            pass
	        return "closed"
	    except socket.timeout:
	        return "open"
	s = conn(); s.sendall(b"garbage" * 1000); print("garbage", closed(s))
	s = conn()
	s.sendall(struct.pack("!IHHI", 0x5043544c, 1, 1, 0x7fffffff))
	print("oversized", closed(s))
	s = conn(); s.sendall(struct.pack("!IHHI", 0x5043544c, 1, 2, 4) +
	                      bytes([9, ord("t"), 0, 0]))
	print("badop", closed(s))
	s = conn(); s.sendall(struct.pack("!IHHI", 0x5043544c, 99, 1, 0))
	h = s.recv(12)
	t = struct.unpack("!IHHI", h)[2] if len(h) == 12 else 0
	print("version", hex(t), closed(s))
	EOF
)
sed 's/^/    /' <<< "${out}"
check pesto_garbage_closes grep -q "^garbage closed" <<< "${out}"
check pesto_oversized_closes grep -q "^oversized closed" <<< "${out}"
check pesto_bad_op_closes grep -q "^badop closed" <<< "${out}"
check pesto_other_version_error grep -q "^version 0x82 closed" <<< "${out}"
alive "${ppid}"
expect_eq pesto_garbage_pasta_alive $? 0
tcp_xfer pesto_garbage_forwarding_goes_on pst 0.0.0.0 10072 \
	 hst 127.0.0.1 10072 "${TMP}/f64k"
expect_eq pesto_garbage_changed_nothing "$(show | grep -c listening)" 6

# 9. Flows: a connection in progress, with its endpoints and a byte count
# that grows
ip netns exec "${NS_PST}" socat -u TCP4-LISTEN:10072,reuseaddr \
	OPEN:/dev/null 2>/dev/null &
l1=$!
wait_listen pst 10072
in_hst sh -c "{ dd bs=64k count=1 status=none; sleep 2; \
	dd bs=64k count=2 status=none; sleep 2; } < ${TMP}/f64m | \
	socat -u - TCP:127.0.0.1:10072,sourceport=10099" &
s1=$!
sleep 1
f1=$("${PESTO}" --flows "${CTL}")
sleep 2
f2=$("${PESTO}" --flows "${CTL}")
wait "${s1}"
kill "${l1}" 2>/dev/null
sed 's/^/    /' <<< "${f1}"
# Columns: flow type ini_pif ini_endpoint ini_ours tgt_pif tgt_endpoint
# tgt_ours state from_ini from_tgt age_s
line1=$(awk '$4 == "127.0.0.1:10099" && $5 ~ /:10072$/' <<< "${f1}")
b1=$(awk '{ print $10 }' <<< "${line1}")
b2=$(awk '$4 == "127.0.0.1:10099" && $5 ~ /:10072$/ { print $10 }' <<< "${f2}")
expect_eq pesto_flows_shows_connection \
	  "$(awk '{ print $2, $3, $6, $7, $9 }' <<< "${line1}")" \
	  "tcp-splice host ns 127.0.0.1:10072 established"
if [ "${b1:-0}" -ge 65536 ] && [ "${b2:-0}" -ge 196608 ]; then
	pass pesto_flows_byte_count_grows
else
	fail pesto_flows_byte_count_grows "'${b1}' then '${b2}' bytes"
fi

# 10. Counters
out=$("${PESTO}" --stats "${CTL}")
check pesto_stats_frames grep -q "^frames_in [1-9]" <<< "${out}"
check pesto_stats_flows grep -q "^flows_opened_tcp_splice [1-9]" \
	<<< "${out}"

# --stats DELAY: the counters, every DELAY seconds, as log messages
out=$(in_hst "${PASTA}" --stats 1 --config-net -- sleep 2.5 2>&1)
n=$(grep -c "Counters: frames_in [0-9]*, bytes_in" <<< "${out}")
if [ "${n}" -ge 2 ]; then
	pass pesto_daemon_stats_delay
else
	fail pesto_daemon_stats_delay "${n} reports in 2.5 s: ${out}"
fi

# 11. Clear one side, then the other
"${PESTO}" -C host "${CTL}"
expect_eq pesto_clear_host_status_0 $? 0
if ! listening hst 10072 && ! udp_bound hst 10076 && listening pst 10075
then
	pass pesto_clear_host
else
	fail pesto_clear_host "$(show)"
fi
"${PESTO}" -C splice "${CTL}"
if ! listening pst 10075 && ! udp_bound pst 10077; then
	pass pesto_clear_splice
else
	fail pesto_clear_splice "$(show)"
fi

# 12. Another user is refused, with a reason; the owner is served
d="${TMP}/user"
mkdir -m 700 "${d}"
chown "${TEST_USER}" "${d}"
ip netns exec "${NS_HST}" runuser -u "${TEST_USER}" -- "${PASTA}" \
	--config-net -c "${d}/ctl" -P "${d}/pid" -t none -- sleep 30 &
wait_for 5 test -s "${d}/pid"
upid=$(cat "${d}/pid")
at_exit "kill ${upid}"
wait_for 5 test -S "${d}/ctl"
out=$("${PESTO}" "${d}/ctl" 2>&1)
expect_eq pesto_other_user_status_1 $? 1
check pesto_other_user_says_why grep -q "Permission denied" <<< "${out}"
out=$(runuser -u "${TEST_USER}" -- "${PESTO}" -A -t 10082 "${d}/ctl" 2>&1)
expect_eq pesto_owner_served $? 0
check pesto_owner_change_applied listening hst 10082
kill "${upid}" 2>/dev/null
wait_for 10 sh -c "! pgrep -u ${TEST_USER} >/dev/null"

# 13. passt: a forward to the guest, added and deleted
if tb_guest -c "${TMP}/passt.ctl" -t none; then
	"${PESTO}" -A -t 10083 "${TMP}/passt.ctl"
	expect_eq pesto_passt_add_status_0 $? 0
	tcp_xfer pesto_passt_add_to_guest gst 0.0.0.0 10083 \
		 out 192.0.2.2 10083 "${TMP}/f64k"
	"${PESTO}" -D -t 10083 "${TMP}/passt.ctl"
	expect_eq pesto_passt_delete_status_0 $? 0
	if ! listening hst 10083; then
		pass pesto_passt_delete_stops_listening
	else
		fail pesto_passt_delete_stops_listening "10083 listens"
	fi
	out=$("${PESTO}" -A -T 10084 "${TMP}/passt.ctl" 2>&1)
	expect_eq pesto_passt_no_ns_tables_status_1 $? 1
	alive "${PASST_PID}"
	expect_eq pesto_passt_alive $? 0
	tb_guest_stop
else
	fail pesto_passt_guest "could not start passt and the guest"
fi

# 14. A control socket in use stops another instance from starting; one
# left behind by an instance that's gone is taken over
out=$(in_hst "${PASTA}" -c "${CTL}" --config-net -- true 2>&1)
expect_eq pesto_socket_in_use_status_1 $? 1
check pesto_socket_in_use_says_why grep -q "Can't bind control socket" \
	<<< "${out}"
kill "${ppid}"
wait_for 5 sh -c "! kill -0 ${ppid}"
check pesto_stale_socket_left test -S "${CTL}"
out=$(in_hst "${PASTA}" -c "${CTL}" --config-net -- \
	sh -c "sleep 0.5; ${PESTO} ${CTL}" 2>&1)
expect_eq pesto_stale_socket_taken_over $? 0
