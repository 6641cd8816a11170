#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# passt - user-mode networking for virtual machines and namespaces
#
# test/42_icmp.sh - Echo requests from a guest namespace on passt, both
# families, and an echo reply too long for the guest's link: a remote
# answers a request with a 65535-byte ICMPv6 message, which can't go to the
# guest in one frame. It's dropped, and the guest's link goes on working

. "$(dirname "$0")/lib.sh"

if ! tb_setup || ! tb_guest; then
	fail icmp_testbed "could not start passt and the guest namespace"
	exit 1
fi

for remote in 203.0.113.1 2001:db8:1::1; do
	expect_eq "icmp_guest_ping_${remote}" \
		  "$(in_gst ping -c 2 -i 0.2 -W 2 "${remote}" 2>&1 |
		     grep -c "bytes from")" 2
done

# The remote: wait for an echo request, answer it with the longest ICMPv6
# message an IPv6 packet can carry (the kernel answers it too, briefly)
cat > "${TMP}/bigreply.py" <<'PY'
import socket, struct
s = socket.socket(socket.AF_INET6, socket.SOCK_RAW, socket.IPPROTO_ICMPV6)
s.settimeout(10)
print('READY', flush=True)
while True:
    data, addr = s.recvfrom(65535)
    if data[0] == 128:
        break
ident, seq = struct.unpack('!HH', data[4:8])
s.sendto(struct.pack('!BBHHH', 129, 0, 0, ident, seq) +
         b'x' * (65535 - 8), addr)
print('SENT')
PY
in_out python3 "${TMP}/bigreply.py" > "${TMP}/bigreply.out" 2>&1 &
big=$!
wait_for 10 grep -q READY "${TMP}/bigreply.out"
in_gst ping -c 1 -W 2 2001:db8:1::1 >/dev/null 2>&1
wait "${big}"
expect_eq icmp_oversized_reply_sent "$(grep -v READY "${TMP}/bigreply.out")" \
	  SENT

for remote in 203.0.113.1 2001:db8:1::1; do
	expect_eq "icmp_guest_ping_after_oversized_reply_${remote}" \
		  "$(in_gst ping -c 1 -W 2 "${remote}" 2>&1 |
		     grep -c "bytes from")" 1
done
if kill -0 "${BRIDGE_PID}" 2>/dev/null && kill -0 "${PASST_PID}"; then
	pass icmp_oversized_reply_link_up
else
	fail icmp_oversized_reply_link_up "bridge or passt gone:" \
	     "$(tail -3 "${TMP}/passt.log")"
fi
