#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# passt - user-mode networking for virtual machines and namespaces
#
# test/perf/profile.sh - One TCP transfer (or UDP flood) through ours, and
# where its time goes: what make bench can't say
#
# Usage: test/perf/profile.sh [-m MTU] [-f 4|6] [-t SECONDS] [-C ALGO]
#			      [-u LEN] [-r|-n] MODE DIRECTION
#
#   MODE	passt (the stream socket, via tapbridge --gro), vu (passt
#		--vhost-user, via vubridge), pasta (its tap device) or
#		splice (pasta's loopback forwarding: up is -T, down -t)
#   DIRECTION	up (namespace to remote, or to the host's loopback) or
#		down (back)
#   -m MTU	of the guest's link and of the host's (default 65520)
#   -f 4|6	address family (default 4)
#   -t SECONDS	length of the transfer (default 6); figures come from its
#		middle: 2 s, from 2 s after the start
#   -C ALGO	congestion control of the sender (iperf3 -C); default: the
#		machine's (net.ipv4.tcp_congestion_control)
#   -u LEN	a UDP flood of LEN-byte datagrams instead (iperf3 -u -b 0),
#		not for splice; its throughput is what the receiver counted,
#		the rate meanwhile what reached its interface
#   -r		perf record -a -g over the same 2 s, into perf.data here,
#		instead of tracing the system calls (the tracing would be
#		most of what it records)
#   -n		neither: the figures only, undisturbed
#
# Prints: throughput; the sender's TCP state (ss -ti: window, round trip,
# what limited it); CPU time of each process taking part (the tracing
# included), and how idle the machine was; the system calls of ours (perf
# trace -s, which slows it down), with their count, time, and count per MB
# the receiving interface took meanwhile. Built on the test bed of
# test/lib.sh: nothing leaves the namespaces it makes.

# shellcheck source=test/lib.sh
. "$(dirname "$0")/../lib.sh"

MTU=65520
FAM=4
SECS=6
CC=
RECORD=
ULEN=

usage() {
	sed -n '/^# Usage:/,/^# Prints:/p' "$0" | sed 's/^# \{0,1\}//' | head -n -1
	exit "$1"
}

while getopts "m:f:t:C:u:rnh" opt; do
	case "${opt}" in
	m) MTU="${OPTARG}" ;;
	f) FAM="${OPTARG}" ;;
	t) SECS="${OPTARG}" ;;
	C) CC="${OPTARG}" ;;
	u) ULEN="${OPTARG}" ;;
	r) RECORD=1 ;;
	n) RECORD=0 ;;
	h) usage 0 ;;
	*) usage 1 ;;
	esac
done
shift $((OPTIND - 1))
MODE="${1:-}"
DIR="${2:-}"
case "${MODE}/${DIR}" in
passt/up|passt/down|vu/up|vu/down|pasta/up|pasta/down) ;;
splice/up|splice/down) ;;
*) usage 1 ;;
esac
[[ "${MTU}" =~ ^[0-9]+$ ]] || usage 1
[ -z "${ULEN}" ] || [[ "${ULEN}" =~ ^[0-9]+$ ]] || usage 1
[ -n "${ULEN}" ] && [ "${MODE}" = splice ] && usage 1
[ "${FAM}" = 4 ] || [ "${FAM}" = 6 ] || usage 1
if ! [[ "${SECS}" =~ ^[0-9]+$ ]] || [ "${SECS}" -lt 5 ]; then
	echo "At least 5 seconds"
	exit 1
fi
[ "$(id -u)" = 0 ] || { echo "Run as root"; exit 1; }
command -v perf >/dev/null || { echo "Needs perf"; exit 1; }
command -v iperf3 >/dev/null || { echo "Needs iperf3"; exit 1; }

trap run_cleanup EXIT
tb_setup || exit 1
ip -n "${NS_OUT}" link set veth-o mtu "${MTU}"
ip -n "${NS_HST}" link set eth0 mtu "${MTU}"

fwd=(-t none -u none -T none -U none)
[ "${MODE}/${DIR}" = splice/up ] && fwd=(-t none -u none -T 5201 -U none)
[ "${MODE}/${DIR}" = splice/down ] && fwd=(-t 5201 -u none -T none -U none)
if [ "${MODE}" = pasta ] || [ "${MODE}" = splice ]; then
	# The binary's name decides the mode
	ln -s "$(realpath "${PASST}")" "${TMP}/pasta"
	NS_GST="pt-gst-${TB_ID}"
	ip netns add "${NS_GST}" || exit 1
	at_exit "ip netns del ${NS_GST}"
	ip netns exec "${NS_HST}" "${TMP}/pasta" --config-net \
		--netns "${NS_GST}" -f -q -m "${MTU}" \
		"${fwd[@]}" >"${TMP}/pasta.log" 2>&1 &
	PASST_PID=$!
	BRIDGE_PID=
	at_exit "kill ${PASST_PID}"
	wait_for 5 sh -c "ip -n ${NS_GST} -${FAM} route show default | \
			  grep -q via" || { echo "pasta didn't start"; exit 1; }
else
	[ "${MODE}" = vu ] && export TB_VHOST_USER=1
	[ "${MODE}" = passt ] && export BRIDGE_OPTS=--gro
	tb_guest -m "${MTU}" >/dev/null || { echo "passt didn't start"; exit 1; }
fi
tb_addrs "${FAM}"
server="${NS_OUT}"
WHAT="${MODE} ${DIR}${ULEN:+, UDP ${ULEN}-byte datagrams}"
if [ "${MODE}" = splice ]; then
	# The server on the loopback of the other side, the client to ours
	remote=127.0.0.1
	[ "${FAM}" = 6 ] && remote=::1
	server="${NS_HST}"
	[ "${DIR}" = down ] && server="${NS_GST}"
	DIR=up
fi

ip netns exec "${server}" iperf3 -s -D -1 -p 5201 || exit 1
wait_for 5 sh -c "ip netns exec ${server} ss -Htln sport = :5201 | grep -q ."

opts=(-c "${remote}" -p 5201 -t "${SECS}" -J)
[ "${DIR}" = down ] && opts+=(-R)
[ -n "${CC}" ] && opts+=(-C "${CC}")
[ -n "${ULEN}" ] && opts+=(-u -b 0 -l "${ULEN}")
cl_ns="${NS_GST}"
[ "${server}" = "${NS_GST}" ] && cl_ns="${NS_HST}"
ip netns exec "${cl_ns}" iperf3 "${opts[@]}" >"${TMP}/iperf.json" &
client=$!
sleep 2

# cpu_of() - User and system time of a process, in clock ticks
# $1:	PID
cpu_of() {
	awk '{ print $14 + $15 }' "/proc/$1/stat" 2>/dev/null || echo 0
}

# rx_bytes() - Bytes the receiving side's interface took so far
rx_bytes() {
	if [ "${MODE}" = splice ]; then
		ip netns exec "${server}" \
			cat /sys/class/net/lo/statistics/rx_bytes
	elif [ "${DIR}" = up ]; then
		ip netns exec "${NS_OUT}" \
			cat /sys/class/net/veth-o/statistics/rx_bytes
	else
		ip netns exec "${NS_GST}" \
			cat /sys/class/net/eth0/statistics/rx_bytes
	fi
}

declare -A t0=()
pids="${PASST_PID} ${BRIDGE_PID} $(pgrep -x iperf3)"
for p in ${pids}; do
	t0[${p}]=$(cpu_of "${p}")
done
rx0=$(rx_bytes)
read -r _ u n s idle0 io irq sirq steal _ </proc/stat
busy0=$((u + n + s + io + irq + sirq + steal))

if [ "${RECORD}" = 0 ]; then
	sleep 2 &
elif [ -n "${RECORD}" ]; then
	perf record -a -g -o perf.data -- sleep 2 >/dev/null 2>&1 &
else
	perf trace -s -p "${PASST_PID}" -- sleep 2 >"${TMP}/trace" 2>&1 &
fi
tracer=$!
sleep 1
sender="${cl_ns}"
[ "${DIR}" = down ] && sender="${server}"
ss_out=$(ip netns exec "${sender}" ss -Htin state established \
	 "( dport = :5201 or sport = :5201 )")
wait "${tracer}"
rx1=$(rx_bytes)

hz=$(getconf CLK_TCK)
read -r _ u n s idle1 io irq sirq steal _ </proc/stat
busy1=$((u + n + s + io + irq + sirq + steal))
declare -A used=()
for p in ${pids}; do
	used[${p}]="$(cat "/proc/${p}/comm" 2>/dev/null || echo "${p}")"
	used[${p}]+=" $(( ($(cpu_of "${p}") - t0[${p}]) * 100 / (2 * hz) ))"
done
wait "${client}"

python3 - "${TMP}/iperf.json" "${TMP}/trace" "${ss_out}" <<EOF
import json, re, sys

d = json.load(open(sys.argv[1]))["end"]
s = d.get("sum_received") or d["sum"]
gbps = s["bits_per_second"] / 1e9
if "lost_percent" in s:
    # UDP: what was sent, but for what the receiver found missing
    gbps *= 1 - s["lost_percent"] / 100
print("${WHAT}, IPv${FAM}, MTU ${MTU}: %.2f Gbit/s" % gbps)

# The data connection: the one that sent the most
ss, most = "", -1
for line in sys.argv[3].splitlines():
    m = re.search(r"bytes_sent:([0-9]+)", line)
    if m and int(m.group(1)) > most:
        ss, most = line, int(m.group(1))
keep = ("cwnd", "rtt", "minrtt", "unacked", "notsent", "snd_wnd",
        "rwnd_limited", "sndbuf_limited", "busy", "delivery_rate")
print("sender:", " ".join(w for w in ss.split()
                          if w.split(":")[0] in keep or w.startswith("bbr")
                          or w in ("cubic", "reno")))
EOF

echo "CPU over 2 s (100 = one CPU busy), machine idle:" \
     "$(( (idle1 - idle0) * 100 / (idle1 - idle0 + busy1 - busy0 + 1) ))%"
for p in ${pids}; do
	echo "  ${used[${p}]}"
done

if [ "${RECORD}" = 0 ]; then
	echo "$(( (rx1 - rx0) * 8 / 2000000 )) Mbit/s reached the receiving" \
	     "interface meanwhile"
	exit 0
elif [ -n "${RECORD}" ]; then
	echo "perf.data: the machine over 2 s, $(( (rx1 - rx0) * 8 / 2000000 ))" \
	     "Mbit/s meanwhile (perf report --comm pasta, or passt)"
	exit 0
fi

# MB moved meanwhile: what the receiving interface took
python3 - "${TMP}/trace" "$((rx1 - rx0))" <<'EOF'
import re, sys

mb = max(int(sys.argv[2]), 1) / 1e6
print("system calls of ours over 2 s, traced (%.2f Gbit/s meanwhile):" %
      (mb * 8 / 2e3))
print("  %-14s %8s %8s %10s %8s" % ("call", "count", "errors", "ms", "per MB"))
for line in open(sys.argv[1]):
    f = line.split()
    if len(f) >= 4 and re.match(r"^[a-z_0-9]+$", f[0]) and f[1].isdigit():
        print("  %-14s %8s %8s %10s %8.2f" % (f[0], f[1], f[2], f[3],
                                             int(f[1]) / mb))
EOF
