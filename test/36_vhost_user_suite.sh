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

for t in 30_tcp 40_udp 42_icmp 45_dns; do
	echo "${t} over vhost-user:"
	TB_VHOST_USER=1 bash "${TOP}/test/${t}.sh" 2>&1 |
		sed -e 's/^\(PASS\|FAIL\|SKIP\) /\1 vu_/'
done
