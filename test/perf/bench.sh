#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# passt - user-mode networking for virtual machines and namespaces
#
# test/perf/bench.sh - passt and pasta side by side with the kernel's own
# path, with upstream's passt and pasta (the Debian package) and with
# slirp4netns, on the namespace test bed, in one run
#
# Usage: test/perf/bench.sh [-t SECONDS] [-r RUNS] [-m MTU[,MTU]...]
#			    [-p MTU[,MTU]...] [-s SECTION[,SECTION]...]
#			    [-i IMPL[,IMPL]...]
#	 test/perf/bench.sh -q
#
# -q is the short mode (make bench-short): one row per path, TCP over IPv4
# from the namespace at MTU 65520 (-T for splice), ours and the limit only,
# one run of one second each: a smoke test that nothing is down to zero, in
# well under a minute.
#
# Each figure is the median of RUNS runs of SECONDS each, all taken within
# this run of the script. Columns: the limit (a veth pair between two
# namespaces with the same MTU for the paths through a tap device, loopback
# inside one namespace for spliced connections), ours, upstream, slirp4netns
# (pasta-like rows only), then ours over the limit and ours over upstream.
# Every implementation of a mode runs at the same time, idle but for the
# figure being measured, and the runs of a figure take turns: limit, ours,
# upstream, slirp4netns, then again, so that a machine busy with something
# else for a while slows all columns alike.
#
# Sections (-s, default: all of them):
#   passt	a guest namespace on passt's socket, through test/tools/tapbridge
#		(--gro: the guest merges TCP segments it receives; --tso: it
#		hands the bridge large segments, cut into frames of the MTU
#		there, as a guest's kernel would cut them on its own CPU)
#   vu		the same with passt --vhost-user, through test/tools/vubridge
#		(ours only: upstream's version here has no vhost-user)
#   pasta	a namespace attached to pasta (or slirp4netns), tap device path
#   splice	pasta's loopback port forwarding, host to namespace and back
#   tput	throughput rows (iperf3), and CPU time per GB moved
#   rates	1-byte request/response and connection rates (test/tools/rr)
#   rss		resident memory of each implementation, idle, a namespace on it
# passt, vu, pasta and splice choose the modes, tput and rates the kind of rows;
# naming only one of a pair means the other pair is whole, so "-s passt" is
# passt throughput and rates, "-s rates" is rates in every mode.
#
# Implementations (-i, default: all of them): ours (PASST_BIN, or ./passt),
# upstream (UPSTREAM_PASST, UPSTREAM_PASTA, default /usr/bin/passt and
# /usr/bin/pasta), slirp4netns (SLIRP4NETNS, default /usr/bin/slirp4netns).
# A missing one gets "n/a" columns.
#
# Throughput is what the receiver counted; CPU time is the user and system
# time of the implementation's process, from /proc/PID/stat before and after
# each run, over the bytes it moved: for TCP, what the receiver counted; for
# UDP, the datagrams that reached the receiving side's UDP layer (a receiver
# flooded by iperf3 -b 0 drops most of them there). A second table has UDP's
# CPU time over what the receiver counted.

# shellcheck source=test/lib.sh
. "$(dirname "$0")/../lib.sh"

SECS=3
RUNS=3
PASST_MTUS="65520 1500"
PASTA_MTUS="65520 1500"
SECTIONS=
IMPLS="ours upstream slirp4netns"
QUICK=
RSS_WAIT_S=3
UP_PASST=${UPSTREAM_PASST:-/usr/bin/passt}
UP_PASTA=${UPSTREAM_PASTA:-/usr/bin/pasta}
SLIRP=${SLIRP4NETNS:-/usr/bin/slirp4netns}
OURS_PASTA="${TMP}/pasta"

# Ports: iperf3 and rr servers in the "network" namespace, and in the host
# namespace for the limit of spliced connections (see splice_mode())
# The N-th of TAP_IMPLS, from 1, has them on PORT_IPERF + N * 10 and
# PORT_RR + N * 10
TAP_IMPLS="limit ours upstream slirp4netns"
PORT_IPERF=5201
PORT_RR=5202
PORT_SPL_IPERF_HOST=5302
PORT_SPL_RR_HOST=5304

# usage() - Print usage and exit
# $1:	Exit status
usage() {
	cat <<-EOF
	Usage: $0 [OPTION]...
	  -t SECONDS         length of each run (default: ${SECS})
	  -r RUNS            runs per figure, the median is shown (default: ${RUNS})
	  -m MTU[,MTU]...    MTUs for passt mode rows (default: ${PASST_MTUS// /,})
	  -p MTU[,MTU]...    MTUs for pasta mode rows (default: ${PASTA_MTUS// /,})
	  -s SECTION[,...]   passt, pasta, splice, tput, rates, rss (default: all)
	  -i IMPL[,IMPL]...  ours, upstream, slirp4netns (default: all)
	  -q                 short mode: one TCP row per path, ours only, 1 s
	EOF
	exit "$1"
}

while getopts "t:r:m:p:s:i:qh" opt; do
	case "${opt}" in
	q) QUICK=1 ;;
	t) SECS="${OPTARG}" ;;
	r) RUNS="${OPTARG}" ;;
	m) PASST_MTUS="${OPTARG//,/ }" ;;
	p) PASTA_MTUS="${OPTARG//,/ }" ;;
	s) SECTIONS="${OPTARG//,/ }" ;;
	i) IMPLS="${OPTARG//,/ }" ;;
	h) usage 0 ;;
	*) usage 1 ;;
	esac
done

if [ -n "${QUICK}" ]; then
	SECS=1 RUNS=1 PASST_MTUS=65520 PASTA_MTUS=65520 IMPLS=ours
	SECTIONS="passt vu pasta splice tput"
fi

for n in "${SECS}" "${RUNS}" ${PASST_MTUS} ${PASTA_MTUS}; do
	[[ "${n}" =~ ^[1-9][0-9]*$ ]] || { echo "Bad number: ${n}"; usage 1; }
done
for m in ${PASST_MTUS} ${PASTA_MTUS}; do
	if [ "${m}" -lt 1280 ] || [ "${m}" -gt 65520 ]; then
		echo "MTU ${m} out of 1280-65520"
		exit 1
	fi
done
for s in ${SECTIONS}; do
	case "${s}" in
	passt|vu|pasta|splice|tput|rates|rss) ;;
	*) echo "Unknown section: ${s}"; usage 1 ;;
	esac
done
for i in ${IMPLS}; do
	case "${i}" in
	ours|upstream|slirp4netns) ;;
	*) echo "Unknown implementation: ${i}"; usage 1 ;;
	esac
done

# want() - Tell if a section is selected
# $1:	Section
want() {
	[[ " ${SECTIONS} " == *" $1 "* ]]
}

# Fill in the other half of a mode/kind pair, see the top of this file
if [ -z "${SECTIONS}" ]; then
	SECTIONS="passt vu pasta splice tput rates rss"
elif want passt || want vu || want pasta || want splice || want tput ||
     want rates; then
	want passt || want vu || want pasta || want splice ||
		SECTIONS="${SECTIONS} passt vu pasta splice"
	want tput || want rates || SECTIONS="${SECTIONS} tput rates"
fi

if [ "$(id -u)" != 0 ]; then
	echo "The benchmark builds network namespaces: run it as root"
	exit 1
fi
for t in iperf3 python3 "${PASST}" "${TOOLS}/tapbridge" "${TOOLS}/rr"; do
	command -v "${t}" >/dev/null ||
		{ echo "Missing ${t} (make all tools, apt-get install iperf3)"
		  exit 1; }
done
ln -s "${PASST}" "${OURS_PASTA}"

# impl_has() - Tell if an implementation is selected and installed for a mode
# $1:	ours, upstream or slirp4netns
# $2:	passt, vu or pasta (splice rows are pasta's)
impl_has() {
	[[ " ${IMPLS} " == *" $1 "* ]] || return 1
	case "$1/$2" in
	ours/vu)		[ -x "${PASST}" ] && [ -x "${TOOLS}/vubridge" ] ;;
	ours/*)			[ -x "${PASST}" ] ;;
	upstream/passt)		[ -x "${UP_PASST}" ] ;;
	upstream/pasta)		[ -x "${UP_PASTA}" ] ;;
	slirp4netns/pasta)	[ -x "${SLIRP}" ] ;;
	*)			return 1 ;;
	esac
}

# note() - Progress, on standard error
# $@:	Message
note() {
	echo "bench: $*" >&2
}

# Processes and namespaces we started and didn't stop yet, PID or name as key:
# cleanup ends exactly these, never a PID that may have been reused since
declare -A LIVE_PIDS=() LIVE_NS=()

# track() - Remember a background process we started
# $1:	PID
track() {
	LIVE_PIDS[$1]=1
}

# gone() - Tell if a process ended (a zombie counts as ended)
# $1:	PID
gone() {
	! alive "$1"
}

# stop_pids() - Terminate processes we started, wait for them, forget them
# $@:	PIDs, empty arguments ignored
stop_pids() {
	local p

	for p in "$@"; do
		[ -z "${p}" ] || [ -z "${LIVE_PIDS[${p}]:-}" ] && continue
		kill "${p}" 2>/dev/null
		# Bounded: whatever doesn't go on SIGTERM goes on SIGKILL
		wait_for 5 gone "${p}" || kill -KILL "${p}" 2>/dev/null
		wait "${p}" 2>/dev/null
		unset "LIVE_PIDS[${p}]"
	done
}

# ns_add() - Create a namespace, deleted at the latest on exit
# $1:	Name
ns_add() {
	ip netns add "$1" && LIVE_NS[$1]=1
}

# ns_del() - Delete a namespace created by ns_add()
# $1:	Name
ns_del() {
	[ -n "$1" ] && [ -n "${LIVE_NS[$1]:-}" ] || return 0
	ip netns del "$1" 2>/dev/null
	unset "LIVE_NS[$1]"
}

# bench_cleanup() - Stop whatever is still running, delete our namespaces
bench_cleanup() {
	local n

	# shellcheck disable=SC2046
	stop_pids $(printf '%s\n' "${!LIVE_PIDS[@]}")
	for n in "${!LIVE_NS[@]}"; do
		ns_del "${n}"
	done
}

# tcp_tw_tune() - Let connection rates reuse TIME_WAIT sockets in a namespace
# $1:	Namespace
#
# Connection rates leave sockets in TIME_WAIT on the client side (and on the
# side of whatever connects on its behalf): without this, a run starves the
# next one of ports. The range stays above the ports of our servers, or a
# server might find its port taken by a connection still closing
tcp_tw_tune() {
	ip netns exec "$1" sysctl -qw net.ipv4.tcp_tw_reuse=1 \
		net.ipv4.ip_local_port_range="10000 65535"
}

# server_start() - Start a server in a namespace, wait until it listens
# $1:	Namespace
# $2:	TCP port it listens on
# $@:	Command
# Sets SRV_PID
server_start() {
	local ns="$1" port="$2"
	shift 2

	ip netns exec "${ns}" "$@" >/dev/null 2>&1 &
	SRV_PID=$!
	track $!
	wait_for 5 sh -c "ip netns exec ${ns} ss -Htln sport = :${port} | \
			  grep -q ." || note "no listener on ${ns} port ${port}"
}

# Instances: an implementation with a namespace attached, by tag
declare -A I_PID=() I_AUX=() I_NS=()

# inst_start() - Start an implementation and configure a namespace on it
# $1:	Tag, unique among running instances ([a-z0-9_])
# $2:	ours, upstream or slirp4netns
# $3:	passt (a guest namespace through the tap bridge) or pasta
# $4:	MTU
# $@:	Extra options for pasta
# Sets I_PID, I_AUX (tap bridge) and I_NS (client namespace) for the tag;
# the implementation's log is ${TMP}/TAG.log
# Return: 0 once the namespace has addresses and default routes
inst_start() {
	local tag="$1" impl="$2" mode="$3" mtu="$4" sock ns bin log
	shift 4

	ns="pt-${tag//_/-}-${TB_ID}"
	log="${TMP}/${tag}.log"
	I_PID[${tag}]="" I_AUX[${tag}]="" I_NS[${tag}]=""
	ns_add "${ns}" || return 1
	I_NS[${tag}]="${ns}"

	if [ "${mode}" = passt ] || [ "${mode}" = vu ]; then
		local vu='' bridge=(tapbridge --gro --tso)

		sock="${TMP}/${tag}.sock"
		bin="${PASST}"
		[ "${impl}" = upstream ] && bin="${UP_PASST}"
		[ "${mode}" = vu ] && vu=--vhost-user bridge=(vubridge)
		rm -f "${sock}"
		# shellcheck disable=SC2086
		ip netns exec "${NS_HST}" "${bin}" -f -q -m "${mtu}" ${vu} \
			-s "${sock}" >"${log}" 2>&1 &
		I_PID[${tag}]=$!
		track $!
		wait_for 5 test -S "${sock}" || return 1

		# The guest merges the TCP segments it receives, as the GRO
		# of a virtio-net guest does (vubridge: as its frames come)
		ip netns exec "${ns}" "${TOOLS}/${bridge[0]}" -s "${sock}" \
			-i eth0 -m "${mtu}" --up -q "${bridge[@]:1}" &
		I_AUX[${tag}]=$!
		track $!
		wait_for 5 ip -n "${ns}" link show eth0 >/dev/null || return 1
		# Like a virtio queue, don't drop what the guest sends: a tap
		# device has no backpressure, its queue has to be long instead
		ip -n "${ns}" link set eth0 txqueuelen 10000
		ip -n "${ns}" addr add 192.0.2.2/24 dev eth0
		ip -n "${ns}" route add default via 192.0.2.1
		ip -n "${ns}" addr add 2001:db8::2/64 dev eth0 nodad
		# Not every implementation sends router advertisements unasked:
		# a static route is the same for all of them
		ip -n "${ns}" -6 route replace default via 2001:db8::1 dev eth0
	elif [ "${impl}" = slirp4netns ]; then
		ip netns exec "${NS_HST}" "${SLIRP}" --configure \
			--mtu="${mtu}" --enable-ipv6 --netns-type=path \
			"/run/netns/${ns}" tap0 >"${log}" 2>&1 &
		I_PID[${tag}]=$!
		track $!
		# IPv6 comes from router advertisements, and needs DAD
		wait_for 10 sh -c "ip -n ${ns} -4 route show default | \
				   grep -q via && \
				   ip -n ${ns} -6 route show default | \
				   grep -q via && \
				   ip -n ${ns} -6 addr show scope global \
				   -tentative | grep -q inet6" || return 1
	else
		if [ "${impl}" = ours ]; then
			bin=("${OURS_PASTA}")
		else
			# Upstream, started as root, switches to nobody before
			# it joins the namespace, and then can't: keep root
			bin=("${UP_PASTA}" --runas 0)
		fi
		ip netns exec "${NS_HST}" "${bin[@]}" --config-net \
			--netns "${ns}" -f -q -m "${mtu}" "$@" >"${log}" 2>&1 &
		I_PID[${tag}]=$!
		track $!
		wait_for 5 sh -c "ip -n ${ns} -4 route show default | \
				  grep -q via && \
				  ip -n ${ns} -6 route show default | \
				  grep -q via" || return 1
	fi

	ip -n "${ns}" link set lo up
	tcp_tw_tune "${ns}"
	alive "${I_PID[${tag}]}"
}

# inst_stop() - Stop what inst_start() started
# $1:	Tag
inst_stop() {
	stop_pids "${I_AUX[$1]}" "${I_PID[$1]}"
	ns_del "${I_NS[$1]}"
	unset "I_PID[$1]" "I_AUX[$1]" "I_NS[$1]"
}

# inst_fail() - Report an instance that didn't come up, stop it
# $1:	Tag
inst_fail() {
	note "$1 didn't start or configure its namespace:" \
	     "$(tr '\n' ' ' < "${TMP}/$1.log" 2>/dev/null | head -c 300)"
	inst_stop "$1"
}

# inst_check() - Report an instance that's gone, how it ended
# $1:	Tag
inst_check() {
	local pid="${I_PID[$1]}" rc

	alive "${pid}" && return 0
	wait "${pid}" 2>/dev/null
	rc=$?
	unset "LIVE_PIDS[${pid}]"
	note "$1 ended while measured, status ${rc}" \
	     "$( ((rc > 128)) && echo "(signal $((rc - 128)))"):" \
	     "$(grep -v '^Failed to send' "${TMP}/$1.log" | tail -5 |
		tr '\n' ' ')"
}

# median() - Median of the numbers on standard input, one a line; lines that
# are not numbers are ignored, and no numbers print nothing
median() {
	awk '$1 ~ /^[0-9]+(\.[0-9]*)?([eE][-+]?[0-9]+)?$/ { print $1 }' |
	sort -g | awk '{ v[NR] = $1 }
		END {
			if (!NR)
				exit
			if (NR % 2)
				print v[(NR + 1) / 2]
			else
				print (v[NR / 2] + v[NR / 2 + 1]) / 2
		}'
}

# cpu_ticks() - User and system time of a process, clock ticks
# $1:	PID, may be empty
# Prints "-" if there's no such process
cpu_ticks() {
	[ -n "$1" ] && awk '{ sub(/^.*\) /, ""); print $12 + $13 }' \
			  "/proc/$1/stat" 2>/dev/null || echo -
}
HZ=$(getconf CLK_TCK)

# udp_rx() - UDP datagrams that reached a namespace's UDP layer, delivered
# or dropped there (a full receive buffer), both IP versions
# $1:	Namespace
#
# Interface counters won't do: a run of datagrams sent with UDP_SEGMENT is
# one packet on a veth or tap device, split only on delivery
udp_rx() {
	ip netns exec "$1" cat /proc/net/snmp /proc/net/snmp6 2>/dev/null |
		awk '$1 == "Udp:" && $2 != "InDatagrams" { s += $2 + $4 }
		     $1 == "Udp6InDatagrams" || $1 == "Udp6InErrors" { s += $2 }
		     END { print s + 0 }' || echo -
}

# iperf_once() - One iperf3 run
# $1:	Client namespace
# $2:	Server address
# $3:	Server port
# $4:	PID whose CPU time to account, may be empty
# $@:	Extra client options (-R, -u -b 0 -l LEN)
# Prints Gbit/s, CPU seconds per GB moved, CPU seconds per GB received (or
# "-" for either), nothing if the run failed
# Return: 124 if the client timed out
#
# GB moved: for TCP, what the receiver counted. For UDP, the receiver drops
# what it can't take, after the implementation did its work: datagrams that
# reached the UDP layer of the receiving side (the namespace, or the remote
# one), times their length
iperf_once() {
	local ns="$1" addr="$2" port="$3" pid="$4" t0 t1 json rc
	local len=0 rxns=- p0=- p1=- a
	shift 4

	for a in "$@"; do
		[ "${len}" = next ] && len="${a}"
		[ "${a}" = -l ] && len=next
	done
	if [ -n "${pid}" ] && [[ " $* " == *" -u "* ]]; then
		rxns="${NS_OUT}"
		[[ " $* " == *" -R "* ]] && rxns="${ns}"
		p0=$(udp_rx "${rxns}")
	fi
	t0=$(cpu_ticks "${pid}")
	json=$(ip netns exec "${ns}" timeout $((SECS + 15)) iperf3 \
	       -c "${addr}" -p "${port}" -t "${SECS}" -J "$@" 2>/dev/null)
	rc=$?
	t1=$(cpu_ticks "${pid}")
	[ "${p0}" != - ] && p1=$(udp_rx "${rxns}")
	grep -q '"error"' <<< "${json}" &&
		note "iperf3 -c ${addr} -p ${port} $*:" \
		     "$(grep -m1 '"error"' <<< "${json}" | tr -s '\t ' ' ')"
	python3 -c 'import json, sys
d = json.loads(sys.argv[1])["end"]
s = d.get("sum_received") or d.get("sum")
t0, t1, hz, p0, p1, ln = sys.argv[2:8]
gb = s["bytes"] / 1e9
moved = gb
if p0 != "-" and p1 != "-":
    moved = (int(p1) - int(p0)) * int(ln) / 1e9
cpu = ["-", "-"]
if t0 != "-" and t1 != "-":
    secs = (float(t1) - float(t0)) / float(hz)
    cpu = ["%.4f" % (secs / g) if g > 0 else "-" for g in (moved, gb)]
if gb > 0:
    print("%.3f %s %s" % (s["bits_per_second"] / 1e9, cpu[0], cpu[1]))' \
		"${json}" "${t0}" "${t1}" "${HZ}" "${p0}" "${p1}" "${len}" \
		2>/dev/null
	[ "${rc}" = 124 ] && return 124
	return 0
}

# Figures: R[KEY] is a throughput (Gbit/s), a rate (thousands a second) or a
# size (KiB), C[KEY] CPU seconds per GB moved, CR[KEY] per GB received; unset
# means not measured (n/a), empty failed. KEY is IMPL|MODE|ROW[|MTU], IMPL
# "limit" for the kernel's own path. N[KEY] counts the runs that succeeded.
declare -A R=() C=() CR=() N=()

# Participants in the figure being measured, "PREFIX;NS;PID;AUX;PORT" each:
# key prefix (IMPL|MODE), client namespace (empty if the instance failed), PID
# of the implementation, to account CPU time to, and PID of its tap bridge
# (both may be empty), server port
PARTS=()

# Participants that stopped answering (a run timed out), by key prefix, and
# processes that ended while measured, by PID: their remaining runs in this
# mode are skipped, and they're reported once
declare -A BROKEN=() DEAD=()

# Instances that didn't start, by tag: not tried again in this mode
declare -A NOSTART=()

# Command that sets PARTS before each figure, if any: it can restart
# instances that ended, see tap_parts()
PARTS_HOOK=

# part_ok() - Tell if a participant can still be measured
# $1:	Key prefix
# $2:	PID of the implementation, may be empty
# $3:	PID of its tap bridge, may be empty
part_ok() {
	local p

	[ -n "${BROKEN[$1]:-}" ] && return 1
	for p in "$2" "$3"; do
		[ -n "${p}" ] || continue
		[ -n "${DEAD[${p}]:-}" ] && return 1
		alive "${p}" && continue
		DEAD[${p}]=1
		note "$1: process ${p} ended while measured"
		return 1
	done
}

# fig() - One figure for every participant, their runs interleaved so that
# whatever else loads the machine weighs on each of them alike
# $1:	Row key, appended to the participants' prefixes
# $2:	iperf, or a mode of the rr tool: udp, tcp or crr
# $3:	Server address
# $@:	Extra iperf3 options
# Participants whose figure is known already (the limit, shared by rows of
# passt and pasta at the same MTU) are skipped
fig() {
	local row="$1" kind="$2" addr="$3" i p pfx ns pid aux port key r rc
	local todo=()
	local -A out=()
	shift 3

	[ -n "${PARTS_HOOK}" ] && ${PARTS_HOOK}
	for p in "${PARTS[@]}"; do
		IFS=';' read -r pfx ns pid aux port <<< "${p}"
		key="${pfx}|${row}"
		[ -n "${R[${key}]+set}" ] && continue
		R[${key}]="" C[${key}]="" CR[${key}]=""
		[ -n "${ns}" ] && todo+=("${p}")
	done

	for i in $(seq "${RUNS}"); do
		for p in "${todo[@]}"; do
			IFS=';' read -r pfx ns pid aux port <<< "${p}"
			part_ok "${pfx}" "${pid}" "${aux}" || continue
			if [ "${kind}" = iperf ]; then
				r=$(iperf_once "${ns}" "${addr}" "${port}" \
					       "${pid}" "$@")
			else
				r=$(ip netns exec "${ns}" \
				    timeout $((SECS + 10)) "${TOOLS}/rr" \
				    "${kind}" "${addr}" "${port}" "${SECS}" \
				    2>/dev/null)
			fi
			rc=$?
			out[${pfx}]+="${r}"$'\n'
			[ "${rc}" = 124 ] || continue
			BROKEN[${pfx}]=1
			note "${pfx}: a run of ${row} timed out, skipping the" \
			     "rest of its runs of this figure${pid:+; process}" \
			     "${pid:+state, CPU time:}" \
			     "$([ -n "${pid}" ] &&
				ps -o stat=,time= -p "${pid}")"
		done
	done

	for p in "${todo[@]}"; do
		IFS=';' read -r pfx ns pid aux port <<< "${p}"
		key="${pfx}|${row}"
		R[${key}]=$(awk '{ print $1 }' <<< "${out[${pfx}]}" | median)
		N[${key}]=$(awk 'NF { n++ } END { print n + 0 }' \
			    <<< "${out[${pfx}]}")
		# shellcheck disable=SC2034 # fmt() reads them by name
		C[${key}]=$(awk '{ print $2 }' <<< "${out[${pfx}]}" | median)
		# shellcheck disable=SC2034
		CR[${key}]=$(awk '{ print $3 }' <<< "${out[${pfx}]}" | median)
		if [ -z "${R[${key}]}" ]; then
			note "${key}: every run failed"
		elif [ "${kind}" != iperf ]; then
			R[${key}]=$(awk -v v="${R[${key}]}" \
				    'BEGIN { print v / 1000 }')
		fi
	done
}

# tput_rows() - Throughput rows through a tap device to the remote servers
# $1:	MTU
tput_rows() {
	local mtu="$1" v addr ulen

	if [ -n "${QUICK}" ]; then
		note "MTU ${mtu}, IPv4 TCP throughput from the namespace"
		fig "tcp4_up|${mtu}" iperf 203.0.113.1
		return
	fi

	for v in 4 6; do
		if [ "${v}" = 4 ]; then
			addr=203.0.113.1
			ulen=$((mtu - 28 > 65000 ? 65000 : mtu - 28))
		else
			addr=2001:db8:1::1
			ulen=$((mtu - 48 > 65000 ? 65000 : mtu - 48))
		fi
		note "MTU ${mtu}, IPv${v} throughput"
		fig "tcp${v}_up|${mtu}" iperf "${addr}"
		fig "tcp${v}_down|${mtu}" iperf "${addr}" -R
		fig "udp${v}_up|${mtu}" iperf "${addr}" -u -b 0 -l "${ulen}"
		fig "udp${v}_down|${mtu}" iperf "${addr}" -u -b 0 -l "${ulen}" -R
	done
}

# rate_rows() - Request/response and connection rates
# $1:	Server address
rate_rows() {
	note "rates"
	fig udp_rr udp "$1"
	fig tcp_rr tcp "$1"
	fig tcp_crr crr "$1"
}

# tap_parts() - Participants of tap mode rows, starting the instances not
# running yet, and again those that ended or stopped answering
# $1:	passt or pasta
# $2:	MTU
# $3:	tput or rates, to choose the servers
# Sets PARTS
#
# Each participant has servers of its own (see TAP_IMPLS), so that a test
# an implementation leaves hanging keeps nobody else's server busy
tap_parts() {
	local mode="$1" mtu="$2" impl tag ns pid aux port k=0

	PARTS=()
	for impl in ${TAP_IMPLS}; do
		k=$((k + 1))
		port=$((PORT_IPERF + k * 10))
		[ "$3" = rates ] && port=$((PORT_RR + k * 10))
		if [ "${impl}" = limit ]; then
			PARTS+=("limit|tap;${NS_HST};;;${port}")
			continue
		fi

		impl_has "${impl}" "${mode}" || continue
		tag="${mode}_${impl%%4*}"
		pid="${I_PID[${tag}]:-}" aux="${I_AUX[${tag}]:-}"
		if [ -n "${I_NS[${tag}]:-}" ] &&
		   { [ -n "${BROKEN[${impl}|${mode}]:-}" ] ||
		     ! alive "${pid}" ||
		     { [ -n "${aux}" ] && ! alive "${aux}"; }; }; then
			inst_check "${tag}"
			inst_stop "${tag}"
			unset "BROKEN[${impl}|${mode}]"
			note "restarting ${impl} ${mode} for the next figures"
		fi
		if [ -z "${I_NS[${tag}]:-}" ] && [ -z "${NOSTART[${tag}]:-}" ]
		then
			note "starting ${impl} ${mode}, MTU ${mtu}"
			if ! inst_start "${tag}" "${impl}" "${mode}" "${mtu}" \
					-t none -u none -T none -U none; then
				inst_fail "${tag}"
				NOSTART[${tag}]=1
			fi
		fi
		ns="${I_NS[${tag}]:-}" pid="${I_PID[${tag}]:-}"
		aux="${I_AUX[${tag}]:-}"
		PARTS+=("${impl}|${mode};${ns};${pid};${aux};${port}")
	done
}

# tap_mode() - Rows of one mode through a tap device at one MTU, for every
# implementation and for the limit, a veth with that MTU
# $1:	passt or pasta
# $2:	MTU
# $3:	1 to measure rates too
tap_mode() {
	local mode="$1" mtu="$2" rates="$3" impl tag

	BROKEN=() NOSTART=()
	PARTS_HOOK="tap_parts ${mode} ${mtu} tput"
	want tput && tput_rows "${mtu}"
	PARTS_HOOK="tap_parts ${mode} ${mtu} rates"
	[ "${rates}" = 1 ] && rate_rows 203.0.113.1
	PARTS_HOOK=

	for impl in ${TAP_IMPLS}; do
		tag="${mode}_${impl%%4*}"
		[ -n "${I_NS[${tag}]:-}" ] || continue
		inst_check "${tag}"
		inst_stop "${tag}"
	done
}

# splice_mode() - Rows of spliced loopback connections through pasta, for our
# pasta, upstream's and the limit, loopback in one namespace
#
# Ports: the limit has an iperf3 server on PORT_SPL_IPERF_HOST and an rr
# server on PORT_SPL_RR_HOST in the host namespace; the N-th implementation
# forwards port 53N1 to an iperf3 server in its namespace (-t), 53N2 to one in
# the host namespace (-T), and 53N3 to an rr server in its namespace (-t, -u)
splice_mode() {
	local impl tag n=0 v lo ns pid base tags=() srv=()
	local n2h=() h2n=() rr=()

	BROKEN=()
	server_start "${NS_HST}" "${PORT_SPL_IPERF_HOST}" \
		     iperf3 -s -p "${PORT_SPL_IPERF_HOST}"
	srv+=("${SRV_PID}")
	server_start "${NS_HST}" "${PORT_SPL_RR_HOST}" \
		     "${TOOLS}/rr" server "${PORT_SPL_RR_HOST}"
	srv+=("${SRV_PID}")
	n2h=("limit|splice;${NS_HST};;;${PORT_SPL_IPERF_HOST}")
	h2n=("${n2h[@]}")
	rr=("limit|splice;${NS_HST};;;${PORT_SPL_RR_HOST}")

	for impl in ours upstream; do
		n=$((n + 1))
		impl_has "${impl}" pasta || continue
		tag="splice_${impl}"
		base=$((5300 + n * 10))
		note "starting ${impl} pasta for spliced connections"
		ns="" pid=""
		server_start "${NS_HST}" $((base + 2)) \
			     iperf3 -s -p $((base + 2))
		srv+=("${SRV_PID}")
		if inst_start "${tag}" "${impl}" pasta 65520 \
			      -t $((base + 1)),$((base + 3)) -u $((base + 3)) \
			      -T $((base + 2)) -U none; then
			ns="${I_NS[${tag}]}"
			pid="${I_PID[${tag}]}"
			server_start "${ns}" $((base + 1)) \
				     iperf3 -s -p $((base + 1))
			srv+=("${SRV_PID}")
			server_start "${ns}" $((base + 3)) \
				     "${TOOLS}/rr" server $((base + 3))
			srv+=("${SRV_PID}")
		else
			inst_fail "${tag}"
		fi
		tags+=("${tag}")
		n2h+=("${impl}|splice;${ns};${pid};;$((base + 2))")
		h2n+=("${impl}|splice;${ns:+${NS_HST}};${pid};;$((base + 1))")
		rr+=("${impl}|splice;${ns:+${NS_HST}};${pid};;$((base + 3))")
	done

	if want tput && [ -n "${QUICK}" ]; then
		note "splice, IPv4 throughput from the namespace"
		PARTS=("${n2h[@]}")
		fig tcp4_n2h iperf 127.0.0.1
	elif want tput; then
		for v in 4 6; do
			lo=127.0.0.1
			[ "${v}" = 6 ] && lo=::1
			note "splice, IPv${v} throughput"
			PARTS=("${n2h[@]}")
			fig "tcp${v}_n2h" iperf "${lo}"
			PARTS=("${h2n[@]}")
			fig "tcp${v}_h2n" iperf "${lo}"
		done
	fi
	if want rates; then
		PARTS=("${rr[@]}")
		rate_rows 127.0.0.1
	fi

	for tag in "${tags[@]}"; do
		[ -n "${I_NS[${tag}]:-}" ] || continue
		inst_check "${tag}"
		inst_stop "${tag}"
	done
	stop_pids "${srv[@]}"
}

# rss_kib() - Resident set size of a process, KiB
# $1:	PID, may be empty
rss_kib() {
	[ -n "$1" ] && awk '/^VmRSS:/ { print $2 }' "/proc/$1/status" \
			   2>/dev/null
}

# rss_all() - Idle RSS of every implementation, a namespace attached to each,
# all started together and measured after RSS_WAIT_S seconds
rss_all() {
	local impl mode tag t tags=()

	for mode in passt vu pasta; do
		for impl in ours upstream slirp4netns; do
			impl_has "${impl}" "${mode}" || continue
			tag="rss_${mode}_${impl%%4*}"
			if inst_start "${tag}" "${impl}" "${mode}" 65520 \
				      -t none -u none -T none -U none; then
				tags+=("${tag}|${impl}|${mode}")
			else
				inst_fail "${tag}"
				R["${impl}|rss|${mode}"]=""
			fi
		done
	done
	note "idle RSS: waiting ${RSS_WAIT_S} s"
	sleep "${RSS_WAIT_S}"
	for t in "${tags[@]}"; do
		IFS='|' read -r tag impl mode <<< "${t}"
		R["${impl}|rss|${mode}"]=$(rss_kib "${I_PID[${tag}]}")
		inst_stop "${tag}"
	done
}

# fmt() - Format a figure, or tell why there's none
# $1:	Key in R (or C, see $3)
# $2:	printf format
# $3:	C or CR to look in that array instead of R
fmt() {
	local -n fig="${3:-R}"
	local v

	[ -n "${fig[$1]+set}" ] || { echo n/a; return; }
	v="${fig[$1]}"
	[ -n "${v}" ] || { echo fail; return; }
	# shellcheck disable=SC2059
	printf "$2" "${v}"
	# Fewer runs than asked for: mark the median, see print_tables()
	[ "${N[$1]:-${RUNS}}" -lt "${RUNS}" ] && printf "*"
	echo
}

# ratio() - Ratio of two formatted figures, "-" if either isn't a number
# $1:	Numerator
# $2:	Denominator
ratio() {
	awk -v a="$1" -v b="$2" 'BEGIN {
		sub(/\*$/, "", a)
		sub(/\*$/, "", b)
		if (a !~ /^[0-9.]+$/ || b !~ /^[0-9.]+$/ || b + 0 == 0)
			print "-"
		else
			printf "%.2fx\n", a / b }'
}

W_LABEL=38
# line() - Print a table line
# $1:	Label
# $@:	Columns
line() {
	local label="$1"
	shift
	printf "%-${W_LABEL}s" "${label}"
	printf " %9s" "$@"
	printf "\n"
}

# row() - One row of the main table
# $1:	Label
# $2:	Limit key (empty: n/a)
# $3:	Key without the implementation, "|" first
# $4:	printf format of figures
row() {
	local lim ours up sl

	lim=n/a
	[ -n "$2" ] && lim=$(fmt "$2" "$4")
	ours=$(fmt "ours$3" "$4")
	up=$(fmt "upstream$3" "$4")
	sl=$(fmt "slirp4netns$3" "$4")
	# Skip rows of implementations nobody measured (a section that wasn't
	# selected), even if the limit was measured for another section
	[ "${ours}${up}${sl}" = "n/an/an/a" ] && return
	line "$1" "${lim}" "${ours}" "${up}" "${sl}" \
	     "$(ratio "${ours}" "${lim}")" "$(ratio "${ours}" "${up}")"
}

# cpu_row() - One row of a CPU time table
# $1:	Label
# $2:	Key without the implementation, "|" first
# $3:	C for CPU time per GB moved, CR per GB received
cpu_row() {
	local ours up sl

	ours=$(fmt "ours$2" %.3f "$3")
	up=$(fmt "upstream$2" %.3f "$3")
	sl=$(fmt "slirp4netns$2" %.3f "$3")
	[ "${ours}${up}${sl}" = "n/an/an/a" ] && return
	line "$1" "${ours}" "${up}" "${sl}" "$(ratio "${ours}" "${up}")"
}

# tap_labels() - Keys and labels of throughput rows through a tap device
# Prints "KEY LABEL" lines
tap_labels() {
	local p v d

	for p in tcp udp; do
		for v in 4 6; do
			for d in up down; do
				if [ "${d}" = up ]; then
					echo "${p}${v}_${d} ${p^^} IPv${v} ns->remote"
				else
					echo "${p}${v}_${d} ${p^^} IPv${v} remote->ns"
				fi
			done
		done
	done
}

# cpu_table() - CPU time per GB of every throughput row
# $1:	C for all rows, per GB moved; CR for UDP rows, per GB received
# $@:	Title
cpu_table() {
	local which="$1" mode mtus mtu key label v
	shift

	echo
	echo "$@"
	line "" "ours" "upstream" "slirp4ns" "ours/up"
	for mode in passt vu pasta; do
		want "${mode}" || continue
		echo "${mode/vu/passt vhost-user}"
		mtus="${PASST_MTUS}"
		[ "${mode}" = pasta ] && mtus="${PASTA_MTUS}"
		for mtu in ${mtus}; do
			while read -r key label; do
				[ "${which}" = CR ] && [ "${key#udp}" = "${key}" ] &&
					continue
				cpu_row "  ${label} ${mtu}" \
					"|${mode}|${key}|${mtu}" "${which}"
			done < <(tap_labels)
		done
	done
	[ "${which}" = CR ] && return
	want splice && echo "pasta splice"
	for v in 4 6; do
		cpu_row "  TCP IPv${v} ns->host (-T)" "|splice|tcp${v}_n2h" C
		cpu_row "  TCP IPv${v} host->ns (-t)" "|splice|tcp${v}_h2n" C
	done
}

# print_tables() - The results
print_tables() {
	local mode mtu key label v mtus

	echo
	echo "Throughput in Gbit/s, rates in thousands a second;" \
	     "\"ns\" is the guest or container side"
	line "" "limit" "ours" "upstream" "slirp4ns" "ours/lim" "ours/up"
	for mode in passt vu pasta; do
		want "${mode}" || continue
		if [ "${mode}" = passt ]; then
			mtus="${PASST_MTUS}"
			echo "passt: guest namespace on the socket, via tapbridge;" \
			     "limit: veth"
		elif [ "${mode}" = vu ]; then
			mtus="${PASST_MTUS}"
			echo "passt vhost-user: guest namespace on the queues, via" \
			     "vubridge; limit: veth"
		else
			mtus="${PASTA_MTUS}"
			echo "pasta: namespace on its tap device (slirp4netns:" \
			     "tap0); limit: veth"
		fi
		for mtu in ${mtus}; do
			while read -r key label; do
				row "  ${label} ${mtu}" \
				    "limit|tap|${key}|${mtu}" \
				    "|${mode}|${key}|${mtu}" %.2f
			done < <(tap_labels)
		done
		row "  UDP 1-byte request/response" "limit|tap|udp_rr" \
		    "|${mode}|udp_rr" %.1f
		row "  TCP 1-byte request/response" "limit|tap|tcp_rr" \
		    "|${mode}|tcp_rr" %.1f
		row "  TCP connect/request/close" "limit|tap|tcp_crr" \
		    "|${mode}|tcp_crr" %.1f
	done

	want splice &&
		echo "pasta splice: loopback port forwarding; limit: loopback"
	for v in 4 6; do
		row "  TCP IPv${v} ns->host (-T)" "limit|splice|tcp${v}_n2h" \
		    "|splice|tcp${v}_n2h" %.2f
		row "  TCP IPv${v} host->ns (-t)" "limit|splice|tcp${v}_h2n" \
		    "|splice|tcp${v}_h2n" %.2f
	done
	row "  UDP 1-byte req/resp host->ns" "limit|splice|udp_rr" \
	    "|splice|udp_rr" %.1f
	row "  TCP 1-byte req/resp host->ns" "limit|splice|tcp_rr" \
	    "|splice|tcp_rr" %.1f
	row "  TCP connect/req/close host->ns" "limit|splice|tcp_crr" \
	    "|splice|tcp_crr" %.1f
	echo "n/a: not measured or not installed; fail: every run failed;" \
	     "*: median of the runs that didn't fail"

	if want tput; then
		cpu_table C "CPU seconds of the implementation's process per GB" \
			  "moved (lower is better)"
		[ -z "${QUICK}" ] &&
		cpu_table CR "UDP, CPU seconds per GB the receiver counted, the" \
			  "datagrams it dropped included (lower is better)"
	fi

	if want rss; then
		echo
		echo "Idle RSS, MiB, ${RSS_WAIT_S} s after start with a" \
		     "namespace attached (lower is better)"
		line "" "ours" "upstream" "slirp4ns" "ours/up"
		for mode in passt vu pasta; do
			local o u s
			o=$(fmt "ours|rss|${mode}" %s)
			u=$(fmt "upstream|rss|${mode}" %s)
			s=$(fmt "slirp4netns|rss|${mode}" %s)
			for v in o u s; do
				[[ "${!v}" =~ ^[0-9]+$ ]] &&
					printf -v "${v}" "%.1f" \
					       "$(awk -v k="${!v}" \
						  'BEGIN { print k / 1024 }')"
			done
			line "  ${mode/vu/passt vhost-user}" "${o}" "${u}" "${s}" \
			     "$(ratio "${o}" "${u}")"
		done
	fi
}

# version_of() - First line of an implementation's --version, syslog noise out
# $1:	Binary
version_of() {
	"$1" --version 2>&1 | grep -v "^Failed to send" | grep -m1 .
}

# header() - What ran where
header() {
	local ours up sl cpu

	ours=$(git -C "${TOP}" describe --tags --always --dirty 2>/dev/null)
	[ -n "${ours}" ] || ours=$(version_of "${PASST}")
	up=n/a
	if impl_has upstream passt || impl_has upstream pasta; then
		up=
		[ "${UP_PASST}" = /usr/bin/passt ] &&
			up=$(dpkg-query -W -f '${Version}' passt 2>/dev/null)
		if [ -n "${up}" ]; then
			up="Debian package ${up}"
		elif [ -x "${UP_PASST}" ]; then
			up=$(version_of "${UP_PASST}")
		else
			up=$(version_of "${UP_PASTA}")
		fi
	fi
	sl=n/a
	impl_has slirp4netns pasta &&
		sl=$(version_of "${SLIRP}")", libslirp $("${SLIRP}" \
		     --version | awk '/^libslirp:/ { print $2 }')"
	cpu=$(awk -F': *' '/^model name/ { print $2; exit }' /proc/cpuinfo)

	echo "passt/pasta benchmark, $(date -u '+%Y-%m-%d %H:%M UTC')"
	echo "CPU: ${cpu:-unknown}, $(nproc) CPUs; kernel $(uname -r);" \
	     "load average at start $(cut -d' ' -f1-3 /proc/loadavg)"
	echo "This machine's $("${TOOLS}/rr" costs)"
	echo "ours: ${ours}; upstream: ${up}; slirp4netns: ${sl};" \
	     "$(iperf3 --version | grep -m1 -o 'iperf [0-9.]*')"
	echo "Medians of ${RUNS} runs of ${SECS} s; sections: ${SECTIONS}"
}

trap 'trap "" PIPE; exit 130' INT TERM HUP PIPE
tb_setup || { echo "Couldn't build the test namespaces"; exit 1; }
at_exit bench_cleanup
tcp_tw_tune "${NS_HST}"
tcp_tw_tune "${NS_OUT}"

header
start_s=${SECONDS}

if want passt || want vu || want pasta; then
	k=0
	for impl in ${TAP_IMPLS}; do
		k=$((k + 1))
		server_start "${NS_OUT}" $((PORT_IPERF + k * 10)) \
			     iperf3 -s -p $((PORT_IPERF + k * 10))
		server_start "${NS_OUT}" $((PORT_RR + k * 10)) \
			     "${TOOLS}/rr" server $((PORT_RR + k * 10))
	done

	# Every MTU once, in order: the link between host and network
	# namespaces has it too, and the limit is measured on it
	# shellcheck disable=SC2086
	for mtu in $(printf '%s\n' ${PASST_MTUS} ${PASTA_MTUS} |
		     awk '!seen[$1]++'); do
		ip -n "${NS_OUT}" link set veth-o mtu "${mtu}"
		ip -n "${NS_HST}" link set eth0 mtu "${mtu}"

		# Rates at each mode's first MTU only
		for mode in passt vu pasta; do
			want "${mode}" || continue
			mtus=${PASST_MTUS}
			[ "${mode}" = pasta ] && mtus=${PASTA_MTUS}
			[[ " ${mtus} " == *" ${mtu} "* ]] || continue
			rates=0
			want rates && [ "${mtu}" = "${mtus%% *}" ] && rates=1
			tap_mode "${mode}" "${mtu}" "${rates}"
		done
	done
fi

want splice && splice_mode
want rss && rss_all

print_tables
echo
took_s=$((SECONDS - start_s))
echo "Took $((took_s / 60)) min $((took_s % 60)) s"
