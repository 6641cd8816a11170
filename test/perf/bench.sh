#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# passt - user-mode networking for virtual machines and namespaces
#
# test/perf/bench.sh - passt side by side with the kernel's own path, on the
# namespace test bed, in one run
#
# Usage: test/perf/bench.sh [-t SECONDS] [-r RUNS] [-m MTU[,MTU]...]
#
# Each figure is the median of RUNS runs of SECONDS each. The limit column
# is a veth pair between two namespaces with the same MTU ("host" to
# "network"); the passt column goes through passt and a kernel-speed guest
# namespace on its socket (test/tools/tapbridge). Rows: TCP and UDP
# throughput (iperf3) guest to remote and back, IPv4 and IPv6, per MTU;
# 1-byte request/response rates over UDP and TCP, and TCP connection rate
# (test/tools/rr).

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

for t in iperf3 "${TOOLS}/tapbridge" "${TOOLS}/rr"; do
	command -v "${t}" >/dev/null ||
		{ echo "Missing ${t} (make tools, apt-get install iperf3)"; exit 1; }
done

# median() - Median of numbers, one per line on standard input
median() {
	sort -g | awk '{ v[NR] = $1 } END { print (NR ? v[int((NR + 1) / 2)] : 0) }'
}

# iperf() - Median iperf3 throughput seen by the receiver, Gbit/s
# $1:	Client namespace
# $2:	Server address
# $@:	Extra client options (-R, -u -b 0 -l LEN)
iperf() {
	local ns="$1" addr="$2" i
	shift 2

	for i in $(seq "${RUNS}"); do
		ip netns exec "${ns}" timeout $((SECS + 10)) iperf3 -c "${addr}" \
			-t "${SECS}" -J -p 5201 "$@" 2>/dev/null |
		python3 -c 'import json, sys
d = json.load(sys.stdin)["end"]
s = d.get("sum_received") or d.get("sum")
print("%.2f" % (s["bits_per_second"] / 1e9))' 2>/dev/null || echo 0
	done | median
}

# rate() - Median operations per second of the rr tool, in thousands
# $1:	Client namespace
# $2:	udp, tcp or crr
# $3:	Server address
rate() {
	local i

	for i in $(seq "${RUNS}"); do
		ip netns exec "$1" timeout $((SECS + 10)) "${TOOLS}/rr" "$2" "$3" \
			5202 "${SECS}" 2>/dev/null || echo 0
	done | median | awk '{ printf "%.1f", $1 / 1000 }'
}

# measure() - Every figure with a client namespace, into an array
# $1:	Name of the associative array to fill
# $2:	Client namespace
# $3:	MTU
# $4:	Also the rate rows
measure() {
	local -n r="$1"
	local ns="$2" mtu="$3" ulen4 ulen6

	ulen4=$((mtu - 28 > 65000 ? 65000 : mtu - 28))
	ulen6=$((mtu - 48 > 65000 ? 65000 : mtu - 48))

	r[tcp4_up]=$(iperf "${ns}" 203.0.113.1)
	r[tcp4_down]=$(iperf "${ns}" 203.0.113.1 -R)
	r[tcp6_up]=$(iperf "${ns}" 2001:db8:1::1)
	r[tcp6_down]=$(iperf "${ns}" 2001:db8:1::1 -R)
	r[udp4_up]=$(iperf "${ns}" 203.0.113.1 -u -b 0 -l "${ulen4}")
	r[udp4_down]=$(iperf "${ns}" 203.0.113.1 -u -b 0 -l "${ulen4}" -R)
	r[udp6_up]=$(iperf "${ns}" 2001:db8:1::1 -u -b 0 -l "${ulen6}")
	r[udp6_down]=$(iperf "${ns}" 2001:db8:1::1 -u -b 0 -l "${ulen6}" -R)
	[ "$4" = 1 ] || return 0
	r[udp_rr]=$(rate "${ns}" udp 203.0.113.1)
	r[tcp_rr]=$(rate "${ns}" tcp 203.0.113.1)
	r[tcp_crr]=$(rate "${ns}" crr 203.0.113.1)
}

# row() - Print one row of the table
# $1:	Label
# $2:	Limit figure
# $3:	passt figure
row() {
	awk -v l="$1" -v a="$2" -v b="$3" 'BEGIN {
		printf "%-40s %10.2f %10.2f %8.2fx\n", l, a, b,
		       (a > 0 ? b / a : 0) }'
}

# guest_start() - passt in the host namespace, a guest namespace on it
# $1:	MTU
guest_start() {
	local mtu="$1"

	ip netns exec "${NS_HST}" "${PASST}" -f -q -m "${mtu}" \
		-s "${TMP}/bench.sock" &
	GPASST=$!
	wait_for 5 test -S "${TMP}/bench.sock"
	NS_GST="pt-gst-${TB_ID}-${mtu}"
	ip netns add "${NS_GST}"
	at_exit "ip netns del ${NS_GST}"
	ip netns exec "${NS_GST}" "${TOOLS}/tapbridge" -s "${TMP}/bench.sock" \
		-i eth0 -m "${mtu}" --up -q &
	GBRIDGE=$!
	wait_for 5 ip -n "${NS_GST}" link show eth0 >/dev/null
	ip -n "${NS_GST}" link set lo up
	tcp_tw_tune "${NS_GST}"
	# Like a virtio queue, don't drop what the guest sends: a tap device
	# has no backpressure, its queue has to be long enough instead
	ip -n "${NS_GST}" link set eth0 txqueuelen 10000
	ip -n "${NS_GST}" addr add 192.0.2.2/24 dev eth0
	ip -n "${NS_GST}" route add default via 192.0.2.1
	ip -n "${NS_GST}" addr add 2001:db8::2/64 dev eth0 nodad
	wait_for 5 sh -c "ip -n ${NS_GST} -6 route show default | grep -q via"
}

# guest_stop() - Stop what guest_start() started
guest_stop() {
	kill "${GBRIDGE}" "${GPASST}"
	wait "${GBRIDGE}" "${GPASST}" 2>/dev/null
	ip netns del "${NS_GST}"
}

tb_setup || exit 1
# Connection rates leave sockets in TIME_WAIT on the client side: let new
# connections reuse them, in the host namespace (where the veth client and
# passt's sockets are) and in the guest, so that no run starves the next
tcp_tw_tune() {
	ip netns exec "$1" sysctl -qw net.ipv4.tcp_tw_reuse=1 \
		net.ipv4.ip_local_port_range="1024 65535"
}
tcp_tw_tune "${NS_HST}"
ip netns exec "${NS_OUT}" "${TOOLS}/rr" server 5202 &
at_exit "kill $!"

echo "Throughput in Gbit/s, rates in thousands per second; medians of"
echo "${RUNS} runs of ${SECS} s; $(date -u +%Y-%m-%d), $(nproc) CPUs," \
     "kernel $(uname -r)"
printf "%-40s %10s %10s %9s\n" "path" "veth" "passt" "ratio"

first=1
for mtu in ${MTUS}; do
	declare -A V=() P=()

	ip -n "${NS_OUT}" link set veth-o mtu "${mtu}"
	ip -n "${NS_HST}" link set eth0 mtu "${mtu}"
	ip netns exec "${NS_OUT}" iperf3 -s -D -p 5201 -I "${TMP}/iperf.pid"
	wait_listen out 5201

	measure V "${NS_HST}" "${mtu}" "${first}"
	guest_start "${mtu}"
	measure P "${NS_GST}" "${mtu}" "${first}"
	guest_stop

	for k in tcp4_up tcp4_down tcp6_up tcp6_down udp4_up udp4_down \
		 udp6_up udp6_down; do
		proto=${k%%_*}
		dir=${k#*_}
		[ "${dir}" = up ] && dir="guest->remote" || dir="remote->guest"
		row "${proto^^} ${dir} MTU ${mtu}" "${V[$k]}" "${P[$k]}"
	done
	if [ "${first}" = 1 ]; then
		row "UDP 1-byte request/response (k/s)" "${V[udp_rr]}" \
		    "${P[udp_rr]}"
		row "TCP 1-byte request/response (k/s)" "${V[tcp_rr]}" \
		    "${P[tcp_rr]}"
		row "TCP connect/request/close (k/s)" "${V[tcp_crr]}" \
		    "${P[tcp_crr]}"
	fi

	kill "$(cat "${TMP}/iperf.pid")"
	first=0
	unset V P
done
