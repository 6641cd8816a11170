#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# passt - user-mode networking for virtual machines and namespaces
#
# test/perf/bench.sh - Throughput of passt side by side with the kernel's own
# path, on the namespace test bed, in one run
#
# Usage: test/perf/bench.sh [-t SECONDS] [-r RUNS] [-m MTU[,MTU]...]
#
# Each figure is the median of RUNS iperf3 runs of SECONDS each. Rows:
# guest to remote and remote to guest, IPv4 and IPv6, for each MTU. The
# limit column is a veth pair between two namespaces with the same MTU; the
# passt column goes through passt and a kernel-speed guest namespace on
# its socket (test/tools/tapbridge).

. "$(dirname "$0")/../lib.sh"

SECS=5
RUNS=3
MTUS="65520 1500"
while getopts "t:r:m:" opt; do
	case "${opt}" in
	t) SECS="${OPTARG}" ;;
	r) RUNS="${OPTARG}" ;;
	m) MTUS="${OPTARG//,/ }" ;;
	*) echo "Usage: $0 [-t SECONDS] [-r RUNS] [-m MTU[,MTU]...]"; exit 1 ;;
	esac
done

for t in iperf3 "${TOOLS}/tapbridge"; do
	command -v "${t}" >/dev/null ||
		{ echo "Missing ${t} (make tools, apt-get install iperf3)"; exit 1; }
done

# median() - Median of numbers, one per line on standard input
median() {
	sort -g | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'
}

# iperf() - Median throughput of an iperf3 client, Gbit/s
# $1:	Client namespace
# $2:	Server address
# $@:	Extra client options (-R for the reverse direction)
iperf() {
	local ns="$1" addr="$2" i
	shift 2

	for i in $(seq "${RUNS}"); do
		ip netns exec "${ns}" iperf3 -c "${addr}" -t "${SECS}" -J \
			-p 5201 "$@" 2>/dev/null |
		python3 -c 'import json, sys
d = json.load(sys.stdin)
print("%.2f" % (d["end"]["sum_received"]["bits_per_second"] / 1e9))' \
			2>/dev/null || echo 0
	done | median
}

# row() - Print one row of the table
# $1:	Label
# $2:	Limit figure
# $3:	passt figure
row() {
	awk -v l="$1" -v a="$2" -v b="$3" 'BEGIN {
		printf "%-34s %10.2f %10.2f %8.2fx\n", l, a, b,
		       (a > 0 ? b / a : 0) }'
}

tb_setup || exit 1
echo "passt throughput, Gbit/s, median of ${RUNS} x ${SECS} s iperf3 runs"
echo "$(date -u +%Y-%m-%d), $(nproc) CPUs, $(uname -r)"
printf "%-34s %10s %10s %9s\n" "path" "veth" "passt" "ratio"

for mtu in ${MTUS}; do
	# The limit: the veth between "host" and "network", same MTU
	ip -n "${NS_OUT}" link set veth-o mtu "${mtu}"
	ip -n "${NS_HST}" link set eth0 mtu "${mtu}"
	ip netns exec "${NS_OUT}" iperf3 -s -D -p 5201 -I "${TMP}/iperf.pid"
	wait_listen out 5201
	v4_up=$(iperf "${NS_HST}" 203.0.113.1)
	v4_down=$(iperf "${NS_HST}" 203.0.113.1 -R)
	v6_up=$(iperf "${NS_HST}" 2001:db8:1::1)
	v6_down=$(iperf "${NS_HST}" 2001:db8:1::1 -R)

	# passt, with a guest namespace on its socket
	ip netns exec "${NS_HST}" "${PASST}" -f -q -m "${mtu}" \
		-s "${TMP}/bench.sock" &
	ppid=$!
	wait_for 5 test -S "${TMP}/bench.sock"
	NS_GST="pt-gst-${TB_ID}-${mtu}"
	ip netns add "${NS_GST}"
	at_exit "ip netns del ${NS_GST}"
	ip netns exec "${NS_GST}" "${TOOLS}/tapbridge" -s "${TMP}/bench.sock" \
		-i eth0 -m "${mtu}" --up -q &
	bpid=$!
	wait_for 5 ip -n "${NS_GST}" link show eth0 >/dev/null
	ip -n "${NS_GST}" link set lo up
	# Like a virtio queue, don't drop what the guest sends: a tap device
	# has no backpressure, its queue has to be long enough instead
	ip -n "${NS_GST}" link set eth0 txqueuelen 10000
	ip -n "${NS_GST}" addr add 192.0.2.2/24 dev eth0
	ip -n "${NS_GST}" route add default via 192.0.2.1
	ip -n "${NS_GST}" addr add 2001:db8::2/64 dev eth0 nodad
	wait_for 5 sh -c "ip -n ${NS_GST} -6 route show default | grep -q via"

	p4_up=$(iperf "${NS_GST}" 203.0.113.1)
	p4_down=$(iperf "${NS_GST}" 203.0.113.1 -R)
	p6_up=$(iperf "${NS_GST}" 2001:db8:1::1)
	p6_down=$(iperf "${NS_GST}" 2001:db8:1::1 -R)

	row "TCP/IPv4 guest->remote MTU ${mtu}" "${v4_up}" "${p4_up}"
	row "TCP/IPv4 remote->guest MTU ${mtu}" "${v4_down}" "${p4_down}"
	row "TCP/IPv6 guest->remote MTU ${mtu}" "${v6_up}" "${p6_up}"
	row "TCP/IPv6 remote->guest MTU ${mtu}" "${v6_down}" "${p6_down}"

	kill "${bpid}" "${ppid}" "$(cat "${TMP}/iperf.pid")"
	wait "${bpid}" "${ppid}" 2>/dev/null
done
