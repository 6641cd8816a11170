#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# passt - user-mode networking for virtual machines and namespaces
#
# test/31_tcp_no_peek_off.sh - TCP through passt as on kernels before 6.9,
# which have no SO_PEEK_OFF for TCP sockets (an LD_PRELOAD library makes
# setting it fail): data for the guest is peeked again from the start of
# what it hasn't acknowledged. Transfers both ways, and a sender that pauses
# with data unacknowledged: a peek with nothing new isn't the end of the
# stream

. "$(dirname "$0")/lib.sh"

TOOL="python3 ${TOP}/test/tcp_tool.py"
SHIM="${TOOLS}/nopeekoff.so"

if [ ! -f "${SHIM}" ]; then
	skip tcp_no_peek_off "${SHIM} missing (make tools builds it)"
	exit 0
fi

# The sanitizers' runtime wants to be loaded first, the library comes first
wrap="env LD_PRELOAD=${SHIM} ASAN_OPTIONS=verify_asan_link_order=0"
if ! tb_setup || ! PASST_WRAP="${wrap}" tb_guest; then
	fail tcp_no_peek_off_testbed "could not start passt and the guest"
	exit 1
fi
make_files

check tcp_no_peek_off_fallback_in_use \
	grep -q "SO_PEEK_OFF not supported" "${TMP}/passt.log"

for v in 4 6; do
	tb_addrs $v
	for f in f64k f64m; do
		tcp_pull "tcp${v}_no_peek_off_remote_to_guest_${f}" out \
			 "${any}" 6002 gst "${remote}" 6002 "${TMP}/${f}"
		tcp_xfer "tcp${v}_no_peek_off_guest_to_remote_${f}" out \
			 "${any}" 6001 gst "${remote}" 6001 "${TMP}/${f}"
	done
done

# The remote sends, pauses while the guest acknowledges part of it, sends
# again: all of it must arrive, and the connection stay open until it ends
bg out ${TOOL} pausesend 6020 2000000 3
wait_listen out 6020
for remote in 203.0.113.1 2001:db8:1::1; do
	expect_eq "tcp_no_peek_off_pause_${remote}" \
		  "$(in_gst ${TOOL} count "${remote}" 6020)" 6000000
done

# Urgent data from the remote: reads from the start of what the guest hasn't
# acknowledged stop at the urgent mark too, and go past it the next time
bg out ${TOOL} urgserver 6021 0
wait_listen out 6021
for remote in 203.0.113.1 2001:db8:1::1; do
	expect_eq "tcp_no_peek_off_urgent_data_${remote}" \
		  "$(in_gst ${TOOL} urgent "${remote}" 6021 0 10)" "OK 10"
done
