#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# tapbridge-selftest.sh - Self-test for tapbridge
#
# Builds tapbridge, creates two network namespaces, and links them at L2 with
# two tapbridge instances sharing one UNIX domain socket: one listens (in
# namespace A), the other one connects (in namespace B). Then checks ping,
# a TCP file transfer, iperf3 throughput, file transfers with impairments,
# framing error handling, and clean termination.
#
# Usage: tapbridge-selftest.sh [--veth]
#   --veth	also measure iperf3 throughput over a plain veth pair between
#		the two namespaces, with the same MTU, for comparison
#
# Environment:
#   CC			compiler (default: cc)
#   EXTRA_CFLAGS	additional compiler flags, e.g.
#			-fsanitize=address,undefined
#   TAPBRIDGE		use this binary instead of building one
#   IPERF_TIME		iperf3 test duration, seconds (default: 5)
#   KEEP_TMP		if set, keep the temporary directory with logs
#
# Needs root, ip (iproute2), ping, socat, iperf3, cmp. Only documentation
# addresses are used, and only inside namespaces created here.

set -u

SRC_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
CC="${CC:-cc}"
CFLAGS="-std=gnu11 -Wall -Wextra -Werror -O2 -D_GNU_SOURCE"
IPERF_TIME="${IPERF_TIME:-5}"
FILE_MB=64
MTU=65520
XFER_TIMEOUT=120

A4=192.0.2.1
B4=192.0.2.2
A6=2001:db8::1
B6=2001:db8::2
VA4=198.51.100.1
VB4=198.51.100.2

VETH=0
FAILED=0
TMP=
NSA=
NSB=
A_PID=
B_PID=
BG_PIDS=()

# pass() - Report a passed check
# $1:	Check name
# $2:	Optional details
pass() {
	echo "PASS $1${2:+ ($2)}"
}

# fail() - Report a failed check
# $1:	Check name
# $2:	Reason
fail() {
	echo "FAIL $1: $2"
	FAILED=$((FAILED + 1))
}

# info() - Print an informational line
# $@:	Message
info() {
	echo "INFO $*"
}

# cleanup() - Stop processes we started, remove namespaces and files
cleanup() {
	local p

	for p in "${BG_PIDS[@]}" ${A_PID} ${B_PID}; do
		kill -TERM "${p}" 2>/dev/null
	done
	for p in "${BG_PIDS[@]}" ${A_PID} ${B_PID}; do
		wait "${p}" 2>/dev/null
	done

	[ -n "${NSA}" ] && ip netns del "${NSA}" 2>/dev/null
	[ -n "${NSB}" ] && ip netns del "${NSB}" 2>/dev/null
	[ -z "${TMP}" ] && return
	if [ -n "${KEEP_TMP:-}" ]; then
		echo "INFO logs kept in ${TMP}"
	else
		rm -rf "${TMP}"
	fi
}

# die() - Report a fatal setup failure and exit
# $1:	Check name
# $2:	Reason
die() {
	fail "$1" "$2"
	exit 1
}

# bg_del() - Remove a process from the list of background processes
# $1:	PID
bg_del() {
	local p keep=()

	for p in "${BG_PIDS[@]}"; do
		[ "${p}" != "$1" ] && keep+=("${p}")
	done
	BG_PIDS=("${keep[@]}")
}

# nsa() - Run a command in namespace A (not in background: that would be a
# subshell, and $! would not be the PID of the command)
nsa() {
	ip netns exec "${NSA}" "$@"
}

# nsb() - Run a command in namespace B
nsb() {
	ip netns exec "${NSB}" "$@"
}

# wait_file() - Wait until a file is present and not empty
# $1:	File
# $2:	Process that should create it: stop waiting if it exits
# $3:	Timeout, tenths of a second
# Return: 0 if present, 1 otherwise
wait_file() {
	local i

	for ((i = 0; i < $3; i++)); do
		[ -s "$1" ] && return 0
		kill -0 "$2" 2>/dev/null || { [ -s "$1" ]; return; }
		sleep 0.1
	done
	return 1
}

# wait_exit() - Wait for a child process to exit, with timeout
# $1:	PID
# $2:	Timeout, tenths of a second
# Return: exit code of the process, 255 (and process killed) on timeout
wait_exit() {
	local i

	for ((i = 0; i < $2; i++)); do
		kill -0 "$1" 2>/dev/null || break
		sleep 0.1
	done
	if kill -0 "$1" 2>/dev/null; then
		kill -KILL "$1" 2>/dev/null
		wait "$1" 2>/dev/null
		return 255
	fi
	wait "$1"
}

# wait_port() - Wait until a TCP port is listening in a namespace
# $1:	Namespace
# $2:	Port
# Return: 0 if listening, 1 on timeout
wait_port() {
	local i

	for ((i = 0; i < 100; i++)); do
		[ -n "$(ip netns exec "$1" ss -Hltn "sport = :$2")" ] &&
			return 0
		sleep 0.1
	done
	return 1
}

# check_tools() - Check for required tools, exit if any is missing
check_tools() {
	local t missing=

	[ "$(id -u)" = 0 ] || die setup "needs root"
	for t in ip ss ping socat iperf3 cmp timeout awk; do
		command -v "${t}" >/dev/null || missing="${missing} ${t}"
	done
	[ -z "${TAPBRIDGE:-}" ] && ! command -v "${CC}" >/dev/null &&
		missing="${missing} ${CC}"
	[ -z "${missing}" ] || die setup "missing tools:${missing}"
	[ -c /dev/net/tun ] || die setup "no /dev/net/tun"
}

# build() - Build tapbridge into the temporary directory, set TB
build() {
	if [ -n "${TAPBRIDGE:-}" ]; then
		TB="$(realpath "${TAPBRIDGE}")"
		[ -x "${TB}" ] || die build "${TAPBRIDGE} not executable"
		pass build "using ${TB}"
		return
	fi

	TB="${TMP}/tapbridge"
	# shellcheck disable=SC2086
	if ! ${CC} ${CFLAGS} ${EXTRA_CFLAGS:-} -o "${TB}" \
	     "${SRC_DIR}/tapbridge.c" 2>"${TMP}/build.log"; then
		cat "${TMP}/build.log"
		die build "${CC} failed"
	fi
	if [ -s "${TMP}/build.log" ]; then
		cat "${TMP}/build.log"
		die build "compiler output not empty"
	fi
	pass build "${CC} ${CFLAGS} ${EXTRA_CFLAGS:-}"
}

# ns_setup() - Create the two namespaces, bring up loopback
ns_setup() {
	local id="tb-$$-${RANDOM}"

	NSA="${id}-a"
	NSB="${id}-b"
	ip netns add "${NSA}" || die setup "can't create namespace ${NSA}"
	ip netns add "${NSB}" || die setup "can't create namespace ${NSB}"
	nsa ip link set lo up
	nsb ip link set lo up
}

# pair_start() - Start the two bridges, configure addresses
# $1:	Tag for file names
# $@:	Further arguments: extra options for bridge B
# Return: 0 on success, 1 on failure (reported)
pair_start() {
	local tag="$1" sock="${TMP}/$1.sock"

	shift
	rm -f "${TMP}/${tag}-a.pid" "${TMP}/${tag}-b.pid"

	# Start the connecting side first: it has to retry until A listens
	ip netns exec "${NSB}" "${TB}" -s "${sock}" -c -i tb0 -m "${MTU}" --up \
		-M 02:00:00:00:00:02 -P "${TMP}/${tag}-b.pid" "$@" \
		2>"${TMP}/${tag}-b.log" &
	B_PID=$!
	sleep 0.2
	ip netns exec "${NSA}" "${TB}" -s "${sock}" -l -i tb0 -m "${MTU}" --up \
		-M 02:00:00:00:00:01 -P "${TMP}/${tag}-a.pid" \
		2>"${TMP}/${tag}-a.log" &
	A_PID=$!

	if ! wait_file "${TMP}/${tag}-a.pid" "${A_PID}" 50 ||
	   ! wait_file "${TMP}/${tag}-b.pid" "${B_PID}" 120; then
		cat "${TMP}/${tag}-a.log" "${TMP}/${tag}-b.log"
		fail "${tag}-start" "bridges didn't start"
		pair_kill
		return 1
	fi
	if [ "$(cat "${TMP}/${tag}-a.pid")" != "${A_PID}" ] ||
	   [ "$(cat "${TMP}/${tag}-b.pid")" != "${B_PID}" ]; then
		fail "${tag}-start" "unexpected PID file contents"
		pair_kill
		return 1
	fi

	if ! { nsa ip addr add "${A4}/24" dev tb0 &&
	       nsa ip addr add "${A6}/64" dev tb0 nodad &&
	       nsb ip addr add "${B4}/24" dev tb0 &&
	       nsb ip addr add "${B6}/64" dev tb0 nodad; }; then
		fail "${tag}-start" "can't configure addresses"
		pair_kill
		return 1
	fi

	if [ "$(nsa cat /sys/class/net/tb0/mtu)" != "${MTU}" ] ||
	   [ "$(nsb cat /sys/class/net/tb0/address)" != 02:00:00:00:00:02 ]
	then
		fail "${tag}-start" "MTU or MAC address not set"
		pair_kill
		return 1
	fi

	pass "${tag}-start" "connect retry, PID files, MTU, MAC"
}

# pair_kill() - Kill bridges of a pair that failed to start
pair_kill() {
	kill -TERM ${A_PID} ${B_PID} 2>/dev/null
	wait ${A_PID} ${B_PID} 2>/dev/null
	A_PID=
	B_PID=
}

# pair_stop() - Stop A with SIGTERM: B must then exit as its peer closed
# $1:	Tag for file names
pair_stop() {
	local tag="$1" rca rcb

	kill -TERM "${A_PID}"
	wait_exit "${A_PID}" 50
	rca=$?
	wait_exit "${B_PID}" 50
	rcb=$?
	A_PID=
	B_PID=

	if [ ${rca} -eq 0 ] && [ ${rcb} -eq 0 ] &&
	   grep -q "peer closed" "${TMP}/${tag}-b.log"; then
		pass "${tag}-exit" "SIGTERM and peer close, both exit 0"
	else
		cat "${TMP}/${tag}-a.log" "${TMP}/${tag}-b.log"
		fail "${tag}-exit" "exit codes ${rca} (SIGTERM), ${rcb} (peer)"
	fi
}

# ping_check() - Ping in both directions, IPv4 and IPv6
ping_check() {
	if nsb ping -q -c 3 -i 0.2 -w 10 "${A4}" >/dev/null &&
	   nsa ping -q -c 3 -i 0.2 -w 10 "${B4}" >/dev/null; then
		pass ping4 "both ways"
	else
		fail ping4 "no replies"
	fi

	if nsb ping -6 -q -c 3 -i 0.2 -w 10 "${A6}" >/dev/null &&
	   nsa ping -6 -q -c 3 -i 0.2 -w 10 "${B6}" >/dev/null; then
		pass ping6 "both ways"
	else
		fail ping6 "no replies"
	fi
}

# xfer() - Transfer the random file from B to A with socat, compare
# $1:	Check name
xfer() {
	local name="$1" srv rcs rcc t0 t1 ms rate

	rm -f "${TMP}/dst"
	timeout "${XFER_TIMEOUT}" ip netns exec "${NSA}" \
		socat -u "TCP4-LISTEN:5001,bind=${A4},reuseaddr" \
		"CREATE:${TMP}/dst" 2>"${TMP}/socat-srv.log" &
	srv=$!
	BG_PIDS+=("${srv}")

	t0=$(date +%s%N)
	timeout "${XFER_TIMEOUT}" ip netns exec "${NSB}" \
		socat -u "OPEN:${TMP}/src" \
		"TCP4:${A4}:5001,retry=100,interval=0.1" \
		2>"${TMP}/socat-cli.log"
	rcc=$?
	wait "${srv}"
	rcs=$?
	t1=$(date +%s%N)
	bg_del "${srv}"

	if [ ${rcc} -ne 0 ] || [ ${rcs} -ne 0 ]; then
		cat "${TMP}/socat-srv.log" "${TMP}/socat-cli.log"
		fail "${name}" "socat exit codes ${rcc}, ${rcs} (server)"
		return
	fi
	if ! cmp -s "${TMP}/src" "${TMP}/dst"; then
		fail "${name}" "received file differs"
		return
	fi

	ms=$(((t1 - t0) / 1000000))
	[ ${ms} -gt 0 ] || ms=1
	rate=$((FILE_MB * 1000 / ms))
	pass "${name}" "${FILE_MB} MiB in ${ms} ms, ${rate} MiB/s"
}

# iperf() - Measure TCP throughput from B to A with iperf3
# $1:	Check name
# $2:	Server address, in namespace A
# Return: prints PASS with throughput, or FAIL
iperf() {
	local name="$1" addr="$2" srv out rate

	ip netns exec "${NSA}" iperf3 -s -1 -B "${addr}" -p 5201 \
		>"${TMP}/iperf-s.log" 2>&1 &
	srv=$!
	BG_PIDS+=("${srv}")
	if ! wait_port "${NSA}" 5201; then
		fail "${name}" "iperf3 server didn't start"
		return
	fi

	out="$(timeout $((IPERF_TIME + 30)) ip netns exec "${NSB}" \
	       iperf3 -c "${addr}" -p 5201 -t "${IPERF_TIME}" -f g 2>&1)"
	wait_exit "${srv}" 50
	bg_del "${srv}"

	rate="$(echo "${out}" | awk '/receiver/ { print $(NF-2), $(NF-1) }')"
	if [ -z "${rate}" ]; then
		echo "${out}"
		fail "${name}" "no iperf3 result"
		return
	fi
	pass "${name}" "${rate}, ${IPERF_TIME} s"
}

# framing_check() - Bad frame lengths must make tapbridge exit with 1
# $1:	Check name
# $2:	Length header as printf escape sequence
framing_check() {
	local name="$1" sock="${TMP}/$1.sock" pid rc

	ip netns exec "${NSA}" "${TB}" -s "${sock}" -l -i tbf0 \
		-P "${TMP}/$1.pid" 2>"${TMP}/$1.log" &
	pid=$!
	if ! wait_file "${TMP}/$1.pid" "${pid}" 50; then
		fail "${name}" "bridge didn't start"
		return
	fi

	# UNIX domain socket in the file system: no network traffic here
	printf '%b' "$2" | socat -u - "UNIX-CONNECT:${sock}" 2>/dev/null
	wait_exit "${pid}" 50
	rc=$?
	if [ ${rc} -eq 1 ] && grep -q "framing error" "${TMP}/$1.log"; then
		pass "${name}" "exit code 1"
	else
		cat "${TMP}/$1.log"
		fail "${name}" "exit code ${rc}"
	fi
}

# parser_check() - Send frames of many sizes, split at random points, check
# that tapbridge parses all of them. The interface stays down: frames are
# counted, and writes to the tap fail (counted as errors), nothing is sent.
parser_check() {
	local sock="${TMP}/parser.sock" pid rc expect

	if ! command -v python3 >/dev/null; then
		info "parser: skipped, no python3"
		return
	fi

	ip netns exec "${NSA}" "${TB}" -s "${sock}" -l -i tbp0 \
		-P "${TMP}/parser.pid" 2>"${TMP}/parser.log" &
	pid=$!
	if ! wait_file "${TMP}/parser.pid" "${pid}" 50; then
		fail parser "bridge didn't start"
		return
	fi

	expect="$(python3 - "${sock}" <<'PYEOF'
import random, socket, struct, sys, time

rnd = random.Random(1)
sizes = [14, 15, 60, 64, 1514, 1518, 9014, 65534, 65535, 65549]
stream = bytearray()
total = 0
for i in range(2000):
    n = rnd.choice(sizes) if i % 2 else rnd.randint(14, 65549)
    stream += struct.pack('!I', n) + bytes([i & 0xff]) * n
    total += n

s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.connect(sys.argv[1])
pos = 0
while pos < len(stream):
    k = rnd.randint(1, 7) if rnd.random() < 0.3 else rnd.randint(1, 200000)
    s.sendall(stream[pos:pos + k])
    pos += k
    if rnd.random() < 0.05:
        time.sleep(0.001)
s.close()
print('in 2000 frames %d bytes' % total)
PYEOF
)"
	wait_exit "${pid}" 100
	rc=$?
	if [ ${rc} -eq 0 ] && [ -n "${expect}" ] &&
	   grep -q "socket->tap: ${expect}," "${TMP}/parser.log"; then
		pass parser "2000 frames, 14 to 65549 bytes, random splits"
	else
		cat "${TMP}/parser.log"
		fail parser "exit code ${rc}, expected '${expect}'"
	fi
}

# veth_compare() - Measure throughput over a veth pair, same MTU
veth_compare() {
	ip link add tbv0 netns "${NSA}" mtu "${MTU}" type veth \
		peer name tbv1 netns "${NSB}" mtu "${MTU}" || {
		fail veth "can't create veth pair"
		return
	}
	nsa ip addr add "${VA4}/24" dev tbv0
	nsb ip addr add "${VB4}/24" dev tbv1
	nsa ip link set tbv0 up
	nsb ip link set tbv1 up
	nsb ping -q -c 1 -w 5 "${VA4}" >/dev/null

	iperf veth-iperf3 "${VA4}"

	if command -v ethtool >/dev/null &&
	   nsa ethtool -K tbv0 tso off gso off gro off >/dev/null 2>&1 &&
	   nsb ethtool -K tbv1 tso off gso off gro off >/dev/null 2>&1; then
		iperf veth-iperf3-no-offloads "${VA4}"
	fi

	nsa ip link del tbv0
}

main() {
	local t0 counters line

	[ "${1:-}" = "--veth" ] && VETH=1
	t0=$(date +%s%N)

	check_tools
	trap cleanup EXIT
	trap 'exit 1' INT TERM
	TMP="$(mktemp -d /tmp/tapbridge-selftest.XXXXXX)" ||
		die setup "mktemp failed"
	build
	ns_setup

	head -c $((FILE_MB << 20)) /dev/urandom >"${TMP}/src" ||
		die setup "can't create random file"

	if pair_start plain; then
		ping_check
		xfer xfer
		iperf iperf3 "${A4}"
		[ ${VETH} -eq 1 ] && veth_compare
		pair_stop plain
		while read -r line; do
			info "A ${line}"
		done < <(grep -h -- "->" "${TMP}/plain-a.log")
	fi

	if pair_start impaired --drop 1 --reorder 1 --seed 42; then
		xfer xfer-impaired
		pair_stop impaired
		counters="$(grep -h -- "->" "${TMP}/impaired-b.log")"
		while read -r line; do
			info "B ${line}"
		done <<<"${counters}"
		if echo "${counters}" | grep -q "dropped [1-9]" &&
		   echo "${counters}" | grep -q "reordered [1-9]"; then
			pass impaired-counters "frames dropped and reordered"
		else
			fail impaired-counters "no drops or reordering counted"
		fi
	fi

	# Every other frame held back: lone frames (ping) need the hold timeout
	if pair_start dup --dup 5 --reorder 100 --seed 7; then
		if nsb ping -q -c 2 -i 0.2 -w 10 "${A4}" >/dev/null; then
			pass ping-held "held frames released on timeout"
		else
			fail ping-held "no replies"
		fi
		xfer xfer-dup-reorder
		pair_stop dup
		if grep -q -- "->.*duplicated [1-9]" "${TMP}/dup-b.log"; then
			pass dup-counters "frames duplicated"
		else
			fail dup-counters "no duplicates counted"
		fi
	fi

	parser_check
	framing_check framing-zero '\0\0\0\0'
	framing_check framing-long '\0\1\0\16'

	if grep -l -E "Sanitizer|runtime error" "${TMP}"/*.log; then
		fail sanitizers "reports in the logs above"
	fi

	info "total time $((($(date +%s%N) - t0) / 1000000)) ms"
	if [ ${FAILED} -ne 0 ]; then
		echo "${FAILED} check(s) failed"
		exit 1
	fi
	echo "all checks passed"
}

main "$@"
