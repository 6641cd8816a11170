# SPDX-License-Identifier: GPL-2.0-or-later
#
# passt - user-mode networking for virtual machines and namespaces
#
# test/lib.sh - Helpers for integration tests: results, waiting, test bed
#
# The test bed (see ../shared/TESTBED.md) is built from network namespaces
# that only exist for the duration of a test script:
#
#  [NS_OUT]  veth-o 192.0.2.1/24 2001:db8::1/64   plays the network
#            lo 203.0.113.1/32 2001:db8:1::1/128  plays remote servers
#      |
#  [NS_HST]  eth0 192.0.2.2/24 2001:db8::2/64     plays the host
#            default via 192.0.2.1, 2001:db8::1
#            resolv.conf: 192.0.2.1, 2001:db8::1, search example.test lab.test
#
# Nothing is ever sent outside those namespaces.

TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
PASST=${PASST_BIN:-${TOP}/passt}
QRAP=${QRAP_BIN:-${TOP}/qrap}
TOOLS=${TOOLS_DIR:-${TOP}/build/tools}
TEST_USER=passt-test
TB_ID="$$$(printf '%04x' $((RANDOM % 65536)))"
NS_OUT=
NS_HST=
TMP=$(mktemp -d /tmp/passt-test.XXXXXX)
chmod 1777 "${TMP}"
CLEANUP=()

# pass() - Report a passed check
# $1:	Name
pass() {
	echo "PASS $1"
}

# fail() - Report a failed check
# $1:	Name
# $@:	What went wrong
fail() {
	local name="$1"
	shift
	echo "FAIL ${name}: $*"
}

# skip() - Report a check that could not run
# $1:	Name
# $@:	Why
skip() {
	local name="$1"
	shift
	echo "SKIP ${name}: $*"
}

# need_tools() - Skip the whole script unless some commands are installed
# $1:	Name of the skipped check
# $@:	Commands
need_tools() {
	local name="$1" t
	shift
	for t in "$@"; do
		if ! command -v "${t}" >/dev/null; then
			skip "${name}" "${t} not installed"
			exit 0
		fi
	done
}

# check() - Run a command as a check
# $1:	Name
# $@:	Command, must succeed
check() {
	local name="$1"
	shift
	if "$@"; then
		pass "${name}"
	else
		fail "${name}" "command failed: $*"
	fi
}

# expect_eq() - Compare two strings as a check
# $1:	Name
# $2:	Value obtained
# $3:	Value expected
expect_eq() {
	if [ "$2" = "$3" ]; then
		pass "$1"
	else
		fail "$1" "got '$2', expected '$3'"
	fi
}

# expect_ge() - Check that a count reached a minimum
# $1:	Name
# $2:	Count obtained, empty counts as 0
# $3:	Minimum
# $4:	What is counted, for the message
expect_ge() {
	if [ "${2:-0}" -ge "$3" ]; then
		pass "$1"
	else
		fail "$1" "${2:-0} $4, expected at least $3"
	fi
}

# expect_le() - Check that a count stayed within a maximum
# $1:	Name
# $2:	Count obtained, empty counts as 0
# $3:	Maximum
# $4:	What is counted, for the message
expect_le() {
	if [ "${2:-0}" -le "$3" ]; then
		pass "$1"
	else
		fail "$1" "${2:-0} $4, expected at most $3"
	fi
}

# wait_for() - Poll a condition until it holds, with a time bound
# $1:	Timeout, seconds (may be fractional)
# $@:	Command that succeeds once the condition holds
# Return: 0 if the condition held in time, 1 otherwise
wait_for() {
	local deadline timeout="$1"
	shift
	deadline=$(awk -v t="${timeout}" 'BEGIN { print int(t * 20) }')
	while [ "${deadline}" -gt 0 ]; do
		"$@" 2>/dev/null && return 0
		sleep 0.05
		deadline=$((deadline - 1))
	done
	"$@" 2>/dev/null
}

# at_exit() - Register a cleanup command, run in reverse order on exit
# $@:	Command, as one string
at_exit() {
	CLEANUP+=("$*")
}

# run_cleanup() - Run registered cleanup commands
run_cleanup() {
	local i
	for ((i = ${#CLEANUP[@]} - 1; i >= 0; i--)); do
		eval "${CLEANUP[i]}" >/dev/null 2>&1
	done
	rm -rf "${TMP}"
}
trap run_cleanup EXIT

# tb_user() - Make sure the unprivileged test user exists
tb_user() {
	id -u "${TEST_USER}" >/dev/null 2>&1 && return 0
	useradd -r -M -d /nonexistent -s /usr/sbin/nologin "${TEST_USER}" \
		>/dev/null 2>&1 || id -u "${TEST_USER}" >/dev/null 2>&1
}

# tb_setup() - Build the "network" and "host" namespaces
# Sets NS_OUT and NS_HST
tb_setup() {
	NS_OUT="pt-out-${TB_ID}"
	NS_HST="pt-hst-${TB_ID}"

	ip netns add "${NS_OUT}" || return 1
	at_exit "ip netns del ${NS_OUT}"
	ip netns add "${NS_HST}" || return 1
	at_exit "ip netns del ${NS_HST}"
	mkdir -p "/etc/netns/${NS_HST}"
	at_exit "rm -rf /etc/netns/${NS_HST}"
	cat > "/etc/netns/${NS_HST}/resolv.conf" <<-EOF
		nameserver 192.0.2.1
		nameserver 2001:db8::1
		search example.test lab.test
	EOF

	ip -n "${NS_OUT}" link add veth-o type veth peer name eth0 \
		netns "${NS_HST}" || return 1
	ip -n "${NS_OUT}" link set lo up
	ip -n "${NS_OUT}" link set veth-o up
	ip -n "${NS_OUT}" addr add 192.0.2.1/24 dev veth-o
	ip -n "${NS_OUT}" addr add 2001:db8::1/64 dev veth-o nodad
	ip -n "${NS_OUT}" addr add 203.0.113.1/32 dev lo
	ip -n "${NS_OUT}" addr add 2001:db8:1::1/128 dev lo
	# Servers on wildcard addresses answer UDP from the "remote" address,
	# not from the link's: connected sockets on the other side want that
	ip -n "${NS_OUT}" route replace 192.0.2.0/24 dev veth-o src 203.0.113.1
	ip -n "${NS_OUT}" -6 route replace 2001:db8::/64 dev veth-o metric 256 \
		src 2001:db8:1::1

	ip -n "${NS_HST}" link set lo up
	ip -n "${NS_HST}" link set eth0 up
	ip -n "${NS_HST}" addr add 192.0.2.2/24 dev eth0
	ip -n "${NS_HST}" addr add 2001:db8::2/64 dev eth0 nodad
	ip -n "${NS_HST}" route add default via 192.0.2.1
	ip -n "${NS_HST}" -6 route add default via 2001:db8::1
	ip netns exec "${NS_HST}" sysctl -qw \
		net.ipv4.ping_group_range="0 2147483647"
	ip netns exec "${NS_OUT}" sysctl -qw \
		net.ipv4.ping_group_range="0 2147483647"
}

# tb_addrs() - Addresses of the test bed for one family
# $1:	4 or 6
# Sets remote (the "network" namespace's own address), gw (its address on
# the link), host (the "host" namespace's), any and lo (wildcard, loopback)
tb_addrs() {
	if [ "$1" = 4 ]; then
		remote=203.0.113.1 gw=192.0.2.1 host=192.0.2.2
		any=0.0.0.0 lo=127.0.0.1
	else
		remote=2001:db8:1::1 gw=2001:db8::1 host=2001:db8::2
		any=:: lo=::1
	fi
}

# in_hst() - Run a command in the "host" namespace
# $@:	Command
in_hst() {
	ip netns exec "${NS_HST}" "$@"
}

# in_out() - Run a command in the "network" namespace
# $@:	Command
in_out() {
	ip netns exec "${NS_OUT}" "$@"
}

# hst_mac() - MAC address of the host namespace's eth0
hst_mac() {
	ip -n "${NS_HST}" -br link show eth0 | awk '{ print $3 }'
}

# tb_guest() - Start passt in the host namespace and a kernel-speed guest
# namespace (NS_GST) on its socket, through the tap bridge
# $@:	Extra options for passt
# Sets NS_GST, PASST_PID, BRIDGE_PID; passt's log is ${TMP}/passt.log.
# BRIDGE_OPTS (environment) adds options to the bridge, e.g. --drop 1;
# VU_BRIDGE_OPTS those of vubridge; TB_GUEST_NOCONF=1 leaves addresses and routes to the test; TB_VHOST_USER=1
# runs passt with --vhost-user, and test/tools/vubridge as the front end;
# PASST_PRLIMIT=N runs passt with a limit of N descriptors; PASST_WRAP runs
# it under a command, e.g. valgrind
tb_guest() {
	local sock="${TMP}/guest.sock" bridge=tapbridge vu= \
	      bopts="${BRIDGE_OPTS:-}"

	# The impairments and --gro of tapbridge are for the stream socket;
	# VU_BRIDGE_OPTS are vubridge's, e.g. --rx-buf 1536
	if [ "${TB_VHOST_USER:-}" = 1 ]; then
		bridge=vubridge
		vu=--vhost-user
		bopts="${VU_BRIDGE_OPTS:-}"
	fi

	NS_GST="pt-gst-${TB_ID}"
	ip netns add "${NS_GST}" || return 1
	at_exit "ip netns del ${NS_GST}"

	rm -f "${sock}"
	if [ -n "${PASST_PRLIMIT:-}" ]; then
		ip netns exec "${NS_HST}" prlimit \
			--nofile="${PASST_PRLIMIT}:${PASST_PRLIMIT}" \
			"${PASST}" -f -d ${vu} -s "${sock}" "$@" \
			> "${TMP}/passt.log" 2>&1 &
	else
		# shellcheck disable=SC2086
		ip netns exec "${NS_HST}" ${PASST_WRAP:-} "${PASST}" -f -d \
			${vu} -s "${sock}" "$@" > "${TMP}/passt.log" 2>&1 &
	fi
	PASST_PID=$!
	at_exit "kill ${PASST_PID}"
	wait_for "${PASST_WAIT:-5}" test -S "${sock}" || return 1

	# shellcheck disable=SC2086
	ip netns exec "${NS_GST}" "${TOOLS}/${bridge}" -s "${sock}" -i eth0 \
		--up -q -M 52:54:00:12:34:56 ${bopts} &
	BRIDGE_PID=$!
	at_exit "kill ${BRIDGE_PID}"
	wait_for 5 ip -n "${NS_GST}" link show eth0 >/dev/null || return 1

	ip -n "${NS_GST}" link set lo up
	# Like a virtio queue, don't drop what the guest sends: a tap device
	# has no backpressure, its queue has to be long enough instead
	ip -n "${NS_GST}" link set eth0 txqueuelen 10000
	ip netns exec "${NS_GST}" sysctl -qw \
		net.ipv4.ping_group_range="0 2147483647"
	[ -n "${TB_GUEST_NOCONF:-}" ] && return 0

	ip -n "${NS_GST}" addr add 192.0.2.2/24 dev eth0
	ip -n "${NS_GST}" route add default via 192.0.2.1
	ip -n "${NS_GST}" addr add 2001:db8::2/64 dev eth0 nodad
	# Router advertisements give the IPv6 default route
	wait_for 5 sh -c "ip -n ${NS_GST} -6 route show default | grep -q via"
}

# in_gst() - Run a command in the guest namespace
# $@:	Command
in_gst() {
	ip netns exec "${NS_GST}" "$@"
}

# ns_of() - Namespace name for a role
# $1:	out, hst, gst (passt's guest) or pst (pasta's namespace)
ns_of() {
	case "$1" in
	out)	echo "${NS_OUT}" ;;
	hst)	echo "${NS_HST}" ;;
	gst)	echo "${NS_GST}" ;;
	pst)	echo "${NS_PST}" ;;
	esac
}

# tcp_xfer() - Send a file over TCP from one namespace to a listener in
# another, compare what arrived
# $1:	Name of the check
# $2:	Receiving namespace role (out, hst, gst)
# $3:	Listening address ("127.0.0.1", "::1", "0.0.0.0", "::")
# $4:	Listening port
# $5:	Sending namespace role
# $6:	Address to connect to
# $7:	Port to connect to
# $8:	File to send
tcp_xfer() {
	local name="$1" rns rcv="${TMP}/rcv.$$" pid addr lsn
	rns=$(ns_of "$2")

	rm -f "${rcv}"
	addr="$3" lsn=TCP4-LISTEN
	[ "${addr#*:}" != "${addr}" ] && addr="[${addr}]" lsn=TCP6-LISTEN
	ip netns exec "${rns}" socat -u \
		"${lsn}:$4,bind=${addr},reuseaddr" \
		"OPEN:${rcv},creat,trunc" 2>/dev/null &
	pid=$!
	wait_for 5 sh -c "ip netns exec ${rns} ss -Htln sport = :$4 | grep -q ."

	addr="$6"
	[ "${addr#*:}" != "${addr}" ] && addr="[${addr}]"
	timeout 60 ip netns exec "$(ns_of "$5")" socat -u "OPEN:$8" \
		"TCP:${addr}:$7" 2>"${TMP}/xfer.err"
	wait_for 20 sh -c "! kill -0 ${pid} 2>/dev/null"
	kill "${pid}" 2>/dev/null

	if cmp -s "$8" "${rcv}"; then
		pass "${name}"
	else
		fail "${name}" "received $(stat -c %s "${rcv}" 2>/dev/null)" \
			       "of $(stat -c %s "$8") bytes;" \
			       "$(head -c 200 "${TMP}/xfer.err")"
	fi
	rm -f "${rcv}"
}

# tcp_pull() - A listener sends a file, a client in another namespace
# connects and receives it; compare
# $1:	Name of the check
# $2:	Sending (listening) namespace role
# $3:	Listening address
# $4:	Listening port
# $5:	Receiving (connecting) namespace role
# $6:	Address to connect to
# $7:	Port to connect to
# $8:	File to send
tcp_pull() {
	local name="$1" sns rcv="${TMP}/rcv.$$" pid addr lsn
	sns=$(ns_of "$2")

	rm -f "${rcv}"
	addr="$3" lsn=TCP4-LISTEN
	[ "${addr#*:}" != "${addr}" ] && addr="[${addr}]" lsn=TCP6-LISTEN
	ip netns exec "${sns}" socat -u "OPEN:$8" \
		"${lsn}:$4,bind=${addr},reuseaddr" 2>/dev/null &
	pid=$!
	wait_for 5 sh -c "ip netns exec ${sns} ss -Htln sport = :$4 | grep -q ."

	addr="$6"
	[ "${addr#*:}" != "${addr}" ] && addr="[${addr}]"
	timeout 60 ip netns exec "$(ns_of "$5")" socat -u "TCP:${addr}:$7" \
		"OPEN:${rcv},creat,trunc" 2>"${TMP}/xfer.err"
	kill "${pid}" 2>/dev/null

	if cmp -s "$8" "${rcv}"; then
		pass "${name}"
	else
		fail "${name}" "received $(stat -c %s "${rcv}" 2>/dev/null)" \
			       "of $(stat -c %s "$8") bytes;" \
			       "$(head -c 200 "${TMP}/xfer.err")"
	fi
	rm -f "${rcv}"
}

# make_files() - Random files of 1 byte, 64 KiB and 64 MiB in ${TMP}
make_files() {
	head -c 1 /dev/urandom > "${TMP}/f1"
	head -c 65536 /dev/urandom > "${TMP}/f64k"
	head -c $((64 * 1024 * 1024)) /dev/urandom > "${TMP}/f64m"
}

# bg() - Start a command in a namespace in the background, killed on exit
# $1:	Namespace role (out, hst, gst)
# $@:	Command
# Sets BG_PID
bg() {
	local ns
	ns=$(ns_of "$1")
	shift
	ip netns exec "${ns}" "$@" &
	BG_PID=$!
	at_exit "kill ${BG_PID}"
}

# ra_options() - Options of each router advertisement in a capture, one
# advertisement a line: name servers as "R addr/lifetime", prefixes as
# "P prefix/len:valid:preferred"
# $1:	Capture file
# $2:	R or P: only those, without the letter
ra_options() {
	python3 - "$1" "$2" <<'EOF'
import socket, struct, sys

data, want = open(sys.argv[1], "rb").read(), sys.argv[2]
off = 24
while off + 16 <= len(data):
    incl = struct.unpack("<I", data[off + 8:off + 12])[0]
    fr = data[off + 16:off + 16 + incl]
    off += 16 + incl
    if len(fr) < 70 or fr[12:14] != b"\x86\xdd" or fr[20] != 58 or \
       fr[54] != 134:
        continue
    icmp, o, found = fr[54:], 16, []
    while o + 8 <= len(icmp) and icmp[o + 1]:
        t, l = icmp[o], icmp[o + 1] * 8
        if t == 25 and want == "R":
            life = struct.unpack(">I", icmp[o + 4:o + 8])[0]
            for k in range(o + 8, min(o + l, len(icmp)) - 15, 16):
                found.append("%s/%d" % (socket.inet_ntop(socket.AF_INET6,
                                        icmp[k:k + 16]), life))
        elif t == 3 and l == 32 and want == "P":
            valid, pref = struct.unpack(">II", icmp[o + 4:o + 12])
            found.append("%s/%d:%d:%d" % (
                socket.inet_ntop(socket.AF_INET6, icmp[o + 16:o + 32]),
                icmp[o + 2], valid, pref))
        o += l
    print(" ".join(found))
EOF
}

# held_conn() - Hold an echoed TCP connection from a namespace: once "go"
# exists (within 40 s), try it again; print alive, reset, closed or hung
# $1:	Namespace
# $2:	Address to connect to
# $3:	Port of the echo server
# $4:	Name of the files: ${TMP}/$4.ready when connected, ${TMP}/$4.go
held_conn() {
	ip netns exec "$1" python3 - "$2" "$3" "${TMP}/$4" <<'EOF'
import os, socket, sys, time
s = socket.create_connection((sys.argv[1], int(sys.argv[2])), timeout=5)
s.sendall(b"1")
assert s.recv(1) == b"1"
open(sys.argv[3] + ".ready", "w").close()
for _ in range(400):
    if os.path.exists(sys.argv[3] + ".go"):
        break
    time.sleep(0.1)
try:
    s.settimeout(3)
    s.sendall(b"2")
    print("alive" if s.recv(1) == b"2" else "closed")
except ConnectionResetError:
    print("reset")
except socket.timeout:
    print("hung")
EOF
}

# wait_listen() - Wait until a TCP port listens in a namespace
# $1:	Namespace role
# $2:	Port
wait_listen() {
	wait_for 5 sh -c "ip netns exec $(ns_of "$1") ss -Htln sport = :$2 | \
			  grep -q ."
}

# wait_bound_udp() - Wait until a UDP port is bound in a namespace
# $1:	Namespace role
# $2:	Port
wait_bound_udp() {
	wait_for 5 sh -c "ip netns exec $(ns_of "$1") ss -Huln sport = :$2 | \
			  grep -q ."
}

# tb_guest_stop() - Stop passt and the guest namespace of tb_guest()
tb_guest_stop() {
	kill "${BRIDGE_PID}" "${PASST_PID}" 2>/dev/null
	wait "${BRIDGE_PID}" "${PASST_PID}" 2>/dev/null
	ip netns del "${NS_GST}" 2>/dev/null
}

# sink_start() - Start a receiver that tells a reset from a clean end
# $1:	Namespace role
# $2:	Port
# $3:	Seconds to wait before reading (optional)
# $4:	Bytes per second it reads at most (optional)
# $5:	Fixed receive buffer size (optional)
# Sets SINK_PID; the data goes to ${TMP}/sink.data, the result (EOF or
# RESET, and the byte count) to ${TMP}/sink.res
sink_start() {
	rm -f "${TMP}/sink.data" "${TMP}/sink.res"
	ip netns exec "$(ns_of "$1")" python3 "${TOP}/test/tcp_tool.py" sink \
		"$2" "${TMP}/sink.data" "${3:-0}" "${4:-0}" "${5:-0}" \
		> "${TMP}/sink.res" 2>&1 &
	SINK_PID=$!
	wait_listen "$1" "$2"
}

# sink_result() - Wait for the receiver, print its result
sink_result() {
	local i

	for i in $(seq 1 300); do
		kill -0 "${SINK_PID}" 2>/dev/null || break
		sleep 0.1
	done
	kill "${SINK_PID}" 2>/dev/null
	wait "${SINK_PID}" 2>/dev/null
	cat "${TMP}/sink.res"
}

# alive() - Tell if a process is running (not a zombie)
# $1:	PID
alive() {
	local state
	state=$(awk '/^State:/ { print $2 }' "/proc/$1/status" 2>/dev/null)
	[ -n "${state}" ] && [ "${state}" != Z ] && [ "${state}" != X ]
}

# merged_frames() - Check that the frames a namespace's eth0 received average
# more than a size: segments went in as frames of many
# $1:	Test name
# $2:	Namespace
# $3:	Size, bytes, the average must exceed
merged_frames() {
	local avg

	avg=$(ip netns exec "$2" sh -c 'cd /sys/class/net/eth0/statistics &&
				       echo $(($(cat rx_bytes) / $(cat rx_packets)))')
	if [ "${avg:-0}" -gt "$3" ]; then
		pass "$1"
	else
		fail "$1" "average frame into the namespace: ${avg:-?} bytes"
	fi
}

# csum_errors() - Sum of checksum error counters of a namespace
# $1:	Namespace
# $@:	nstat counter names
csum_errors() {
	local ns="$1"
	shift

	ip netns exec "${ns}" nstat -asz "$@" |
		awk 'NR > 1 { s += $2 } END { print s + 0 }'
}
