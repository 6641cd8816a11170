#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# passt - user-mode networking for virtual machines and namespaces
#
# test/33_tcp_gro_guest.sh - TCP through passt to a guest that merges the
# segments it receives, as a virtio-net guest's receive offload (GRO) does:
# the bridge's --gro, which the benchmark uses for every passt row. At MTU
# 1500, 64 MiB both ways, byte-exact; far fewer frames than segments reach
# the guest's stack, and none with a bad checksum

. "$(dirname "$0")/lib.sh"

if ! tb_setup || ! BRIDGE_OPTS="--gro -m 1500" tb_guest -m 1500; then
	fail tcp_gro_guest_testbed "could not start passt and the guest"
	exit 1
fi
make_files

for v in 4 6; do
	tb_addrs $v
	tcp_pull "tcp${v}_gro_guest_remote_to_guest_64MiB" out "${any}" 6002 \
		 gst "${remote}" 6002 "${TMP}/f64m"
	tcp_xfer "tcp${v}_gro_guest_guest_to_remote_64MiB" out "${any}" 6001 \
		 gst "${remote}" 6001 "${TMP}/f64m"
done

merged_frames tcp_gro_guest_merged_frames "${NS_GST}" 4500
expect_eq tcp_gro_guest_no_checksum_errors \
	  "$(csum_errors "${NS_GST}" TcpInCsumErrors)" 0
