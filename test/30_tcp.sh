#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# passt - user-mode networking for virtual machines and namespaces
#
# test/30_tcp.sh - TCP through passt, with a guest at kernel speed: transfers
# both ways, to the mapped gateway and from forwarded ports, half-close,
# resets, refusals, many connections, port specifications

. "$(dirname "$0")/lib.sh"

TOOL="python3 ${TOP}/test/tcp_tool.py"

if ! tb_setup || ! tb_guest -t 5100-5103,8080:5180,5200-5210,~5205 \
			    -t 192.0.2.2/5300; then
	fail tcp_testbed "could not start passt and the guest namespace"
	exit 1
fi
make_files

# Transfers of each size, both families, every direction
for v in 4 6; do
	tb_addrs $v
	for f in f1 f64k f64m; do
		tcp_xfer "tcp${v}_guest_to_remote_${f}" out "${any}" 6001 \
			 gst "${remote}" 6001 "${TMP}/${f}"
		tcp_pull "tcp${v}_remote_to_guest_${f}" out "${any}" 6002 \
			 gst "${remote}" 6002 "${TMP}/${f}"
		tcp_xfer "tcp${v}_guest_to_host_via_gateway_${f}" hst "${lo}" \
			 6003 gst "${gw}" 6003 "${TMP}/${f}"
		tcp_xfer "tcp${v}_host_to_guest_forward_${f}" gst "${any}" 5100 \
			 hst "${lo}" 5100 "${TMP}/${f}"
		tcp_xfer "tcp${v}_remote_to_guest_forward_${f}" gst "${any}" \
			 5101 out "${host}" 5101 "${TMP}/${f}"
		tcp_pull "tcp${v}_guest_to_host_forward_pull_${f}" gst \
			 "${any}" 5102 hst "${lo}" 5102 "${TMP}/${f}"
	done
done

# Half-close: the guest sends, shuts down writing, still gets the reply
bg out socat TCP6-LISTEN:6010,reuseaddr,fork,ipv6only=0 SYSTEM:'sha256sum'
wait_listen out 6010
for remote in 203.0.113.1 2001:db8:1::1; do
	out=$(in_gst ${TOOL} halfclose "${remote}" 6010 1000000)
	sent=$(sed -n 's/^SENT //p' <<< "${out}")
	reply=$(sed -n 's/^REPLY //p' <<< "${out}")
	if [ -n "${sent}" ] && [ "${sent}" = "${reply}" ]; then
		pass "tcp_half_close_reply_after_guest_fin_${remote}"
	else
		fail "tcp_half_close_reply_after_guest_fin_${remote}" \
		     "sent hash ${sent}, reply '${reply}'"
	fi
done

# Short connections whose reply comes with the remote's FIN right behind
# it, one after another: each reply, and its end, within 2 s (an end of
# stream we don't pass on hangs the guest's reader)
bg out ${TOOL} replyclose 6012 3000
wait_listen out 6012
for remote in 203.0.113.1 2001:db8:1::1; do
	expect_eq "tcp_reply_then_fin_300_connections_${remote}" \
		  "$(in_gst ${TOOL} crr "${remote}" 6012 300 3000)" "OK 300"
done

# Urgent data (send(MSG_OOB)) in the stream, both ways, with its end right
# behind it or 3 s later: every byte in its place, in time (reads stop short
# at urgent marks, and a socket without SO_OOBINLINE keeps the urgent byte
# apart)
bg out ${TOOL} urgserver 6013 0
bg out ${TOOL} urgserver 6014 3
bg gst ${TOOL} urgserver 5103 0
wait_listen out 6013
wait_listen out 6014
wait_listen gst 5103
for v in 4 6; do
	tb_addrs $v
	expect_eq "tcp${v}_urgent_data_remote_to_guest_then_fin" \
		  "$(in_gst ${TOOL} urgent "${remote}" 6013 0 10)" "OK 10"
	expect_eq "tcp${v}_urgent_data_remote_to_guest_fin_later" \
		  "$(in_gst ${TOOL} urgent "${remote}" 6014 3 1)" "OK 1"
	expect_eq "tcp${v}_urgent_data_guest_to_remote_forward" \
		  "$(in_out ${TOOL} urgent "${host}" 5103 0 10)" "OK 10"
done

# Reset by the remote reaches the guest
bg out ${TOOL} rstserver 6011
wait_listen out 6011
for remote in 203.0.113.1 2001:db8:1::1; do
	expect_eq "tcp_remote_reset_seen_by_guest_${remote}" \
		  "$(in_gst ${TOOL} reset "${remote}" 6011)" RESET
done

# A closed port: refused, quickly
for remote in 203.0.113.1 2001:db8:1::1; do
	out=$(in_gst ${TOOL} refused "${remote}" 6099)
	ms=${out#REFUSED }
	if [ "${out%% *}" = REFUSED ] && [ "${ms}" -lt 1000 ]; then
		pass "tcp_closed_port_refused_quickly_${remote}"
	else
		fail "tcp_closed_port_refused_quickly_${remote}" "${out}"
	fi
done

# Many connections at once, each moving data
bg out ${TOOL} echoserver 6020
wait_listen out 6020
expect_eq tcp_1000_concurrent_connections \
	  "$(in_gst ${TOOL} many 203.0.113.1 6020 1000 10000)" "MANY 1000/1000"
expect_eq tcp6_200_concurrent_connections \
	  "$(in_gst ${TOOL} many 2001:db8:1::1 6020 200 100000)" "MANY 200/200"

# Keepalive probes of the guest (no data, one below the next sequence number)
# are answered: the connection outlives the three the guest would give up at
in_gst ${TOOL} keepalive 203.0.113.1 6020 2 > "${TMP}/keepalive4" &
ka4=$!
expect_eq tcp6_guest_keepalive_answered \
	  "$(in_gst ${TOOL} keepalive 2001:db8:1::1 6020 2)" k
wait "${ka4}"
expect_eq tcp_guest_keepalive_answered "$(cat "${TMP}/keepalive4")" k

# Port specifications: a remap, a range with an exclusion, one address
tcp_xfer tcp_fwd_remap_8080_to_5180 gst 0.0.0.0 5180 hst 127.0.0.1 8080 \
	 "${TMP}/f64k"
tcp_xfer tcp_fwd_range_5203 gst 0.0.0.0 5203 hst 127.0.0.1 5203 \
	 "${TMP}/f64k"
expect_eq tcp_fwd_range_exclusion_5205 \
	  "$(in_hst ${TOOL} refused 127.0.0.1 5205 | cut -d' ' -f1)" REFUSED
listen=$(in_hst ss -Htln sport = :5300 | awk '{ print $4 }')
expect_eq tcp_fwd_address_bound_only_there "${listen}" "192.0.2.2:5300"
expect_eq tcp_fwd_address_not_on_loopback \
	  "$(in_hst ${TOOL} refused 127.0.0.1 5300 | cut -d' ' -f1)" REFUSED
tcp_xfer tcp_fwd_address_reachable gst 0.0.0.0 5300 out 192.0.2.2 5300 \
	 "${TMP}/f64k"

if kill -0 "${PASST_PID}"; then
	pass tcp_passt_still_running
else
	fail tcp_passt_still_running "passt exited: $(tail -3 "${TMP}/passt.log")"
fi
