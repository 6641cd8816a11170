#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# passt - user-mode networking for virtual machines and namespaces
#
# test/33_tcp_gro_guest.sh - TCP through passt to a guest that merges the
# segments it receives, as a virtio-net guest's receive offload (GRO) does,
# and hands its bridge large segments to send, which the bridge cuts into
# frames of the MTU: the bridge's --gro and --tso, which the benchmark uses for
# every passt row. At MTU 1500, 64 MiB both ways, byte-exact; far fewer frames
# than segments reach the guest's stack, and none with a bad checksum. Then,
# captured by passt: what the bridge cut arrives in frames of the MTU at most,
# with every TCP and UDP checksum right, both families

. "$(dirname "$0")/lib.sh"

UDP_TOOL="python3 ${TOP}/test/udp_tool.py"

if ! tb_setup || ! BRIDGE_OPTS="--gro --tso -m 1500" tb_guest -m 1500; then
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

# A second passt, with a capture, and a guest whose bridge cuts what its
# stack sends (--tso alone: frames to it as passt sends them)
ns="pt-tso-${TB_ID}"
ip netns add "${ns}" && at_exit "ip netns del ${ns}"
rm -f "${TMP}/tso.sock"
ip netns exec "${NS_HST}" "${PASST}" -f -q -m 1500 -s "${TMP}/tso.sock" \
	--pcap "${TMP}/tso.pcap" > "${TMP}/tso.log" 2>&1 &
tpid=$!
at_exit "kill ${tpid}"
wait_for 5 test -S "${TMP}/tso.sock"
ip netns exec "${ns}" "${TOOLS}/tapbridge" -s "${TMP}/tso.sock" -i eth0 \
	--up -m 1500 --tso -M 52:54:00:12:34:57 2> "${TMP}/tso_bridge.log" &
bpid=$!
at_exit "kill ${bpid}"
wait_for 5 ip -n "${ns}" link show eth0 >/dev/null
ip -n "${ns}" link set eth0 txqueuelen 10000
ip -n "${ns}" addr add 192.0.2.2/24 dev eth0
ip -n "${ns}" route add default via 192.0.2.1
ip -n "${ns}" addr add 2001:db8::2/64 dev eth0 nodad
ip -n "${ns}" -6 route replace default via 2001:db8::1 dev eth0

head -c $((4 * 1024 * 1024)) /dev/urandom > "${TMP}/f4m"
bg out ${UDP_TOOL} echoserver 6005 203.0.113.1 2001:db8:1::1
NS_GST="${ns}"
for v in 4 6; do
	tb_addrs $v
	tcp_xfer "tcp${v}_tso_guest_to_remote_4MiB" out "${any}" 6003 \
		 gst "${remote}" 6003 "${TMP}/f4m"
	tcp_pull "tcp${v}_tso_guest_remote_to_guest_4MiB" out "${any}" 6004 \
		 gst "${remote}" 6004 "${TMP}/f4m"
	expect_eq "udp${v}_tso_guest_echo" \
		  "$(ip netns exec "${ns}" ${UDP_TOOL} echo "${remote}" 6005 \
		     1400 10)" "ECHO 10/10"
done
kill "${bpid}"
wait "${bpid}" 2>/dev/null
kill "${tpid}"
wait "${tpid}" 2>/dev/null

read -r _ n_from _ max_from _ _ _ _ _ _ _ bad_from <<< \
	"$(python3 "${TOP}/test/pcap_check.py" "${TMP}/tso.pcap" \
	   192.0.2.2 2001:db8::2)"
cut=$(sed -n 's/.*tap->socket:.* cut \([0-9]*\)$/\1/p' \
	  "${TMP}/tso_bridge.log")
echo "from the guest: ${n_from} frames, at most ${max_from} bytes," \
     "${bad_from} bad checksums; ${cut} large segments cut"
# 2 x 4 MiB at 1448 bytes a segment: 5793 frames at least
expect_ge tso_guest_frames_from_guest "${n_from:-0}" 5793 frames
if [ "${max_from:-99999}" -le 1514 ]; then
	pass tso_guest_frames_within_mtu
else
	fail tso_guest_frames_within_mtu "largest frame ${max_from} bytes"
fi
expect_eq tso_guest_checksums_right "${bad_from}" 0
expect_ge tso_guest_large_segments_cut "${cut:-0}" 1 segments
