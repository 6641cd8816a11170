#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# passt - user-mode networking for virtual machines and namespaces
#
# test/36_vhost_user_suite.sh - The passt-mode tests of TCP, UDP, ICMP and
# DNS again, with passt --vhost-user and test/tools/vubridge as the front
# end: the guest namespace's own stack, through the queues of a virtio-net
# device. Check names get a "vu_" prefix.

. "$(dirname "$0")/lib.sh"

if [ ! -x "${TOOLS}/vubridge" ]; then
	skip vhost_user_suite "${TOOLS}/vubridge missing (make tools)"
	exit 0
fi

# The receive buffers vubridge gives: as a Linux guest's mergeable ones, of
# 1.5 to 4 KiB, for TCP and UDP (a frame over many of them, and a guest with
# some buffers left, but too few for the next frame); as large as a frame
# can be for ICMP and DNS. What it sends: for TCP and UDP, frames in chains
# of descriptors, as a guest's kernel gives its headers and pages of payload
# (the payload of a long frame goes from them to the socket, in as many
# pieces); one descriptor a frame for ICMP and DNS
for t in "30_tcp:--rx-buf 4096 --tx-seg 3000" \
	 "40_udp:--rx-buf 1536 --tx-seg 1100" \
	 "42_icmp:--rx-buf 65600" "45_dns:--rx-buf 65600"; do
	echo "${t%%:*} over vhost-user, vubridge ${t#*:}:"
	TB_VHOST_USER=1 VU_BRIDGE_OPTS="${t#*:}" \
		bash "${TOP}/test/${t%%:*}.sh" 2>&1 |
		sed -e 's/^\(PASS\|FAIL\|SKIP\) /\1 vu_/'
done
