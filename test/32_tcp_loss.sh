#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# passt - user-mode networking for virtual machines and namespaces
#
# test/32_tcp_loss.sh - TCP through passt stays byte-exact with loss: on the
# outer link (nftables) and on the guest's link (lossy tap bridge)

. "$(dirname "$0")/lib.sh"

if ! command -v nft >/dev/null; then
	skip tcp_loss "nft not installed"
	exit 0
fi

export BRIDGE_OPTS="--drop 1 --reorder 1 --dup 0.5 --seed 7"
if ! tb_setup || ! tb_guest; then
	fail tcp_loss_testbed "could not start passt and the guest namespace"
	exit 1
fi
make_files

# About 1% of what the "network" namespace receives is dropped
in_out nft add table inet loss
in_out nft add chain inet loss in '{ type filter hook input priority 0; }'
in_out nft add rule inet loss in 'numgen random mod 100 < 1 counter drop'

tcp_xfer tcp_lossy_guest_to_remote_64MiB out 0.0.0.0 7001 \
	 gst 203.0.113.1 7001 "${TMP}/f64m"
tcp_pull tcp_lossy_remote_to_guest_64MiB out 0.0.0.0 7002 \
	 gst 203.0.113.1 7002 "${TMP}/f64m"
tcp_xfer tcp6_lossy_guest_to_remote_64MiB out :: 7003 \
	 gst 2001:db8:1::1 7003 "${TMP}/f64m"
tcp_pull tcp6_lossy_remote_to_guest_64MiB out :: 7004 \
	 gst 2001:db8:1::1 7004 "${TMP}/f64m"

drops=$(in_out nft list ruleset | \
	sed -n 's/.*counter packets \([0-9]*\).*/\1/p')
if [ "${drops:-0}" -gt 5 ]; then
	pass tcp_lossy_outer_link_really_dropped
else
	fail tcp_lossy_outer_link_really_dropped "only '${drops}' drops"
fi

if kill -0 "${PASST_PID}"; then
	pass tcp_lossy_passt_still_running
else
	fail tcp_lossy_passt_still_running "$(tail -3 "${TMP}/passt.log")"
fi
