#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# qrap-selftest.sh - Self-test for qrap, without passt, mostly without qemu
#
# Runs qrap with QRAP_DRY_RUN set, against socat listeners on temporary UNIX
# domain sockets, and checks: help and usage errors, FDNUM validation, the
# rewriting of qemu's network options, connection failures and retries, the
# scan of the default socket paths (in a private mount namespace with its own
# /tmp if possible, so that no running passt is disturbed), that the socket
# really is FDNUM after exec, and the lookup of QEMU_CMD "qemu" and "kvm".
# If qemu-system-x86_64 is there, also boots it (TCG, no guest, just the
# firmware's network boot) through qrap, and checks that a DHCP request from
# the guest's MAC address arrives on the socket.
#
# Usage: qrap-selftest.sh [--no-qemu]
#   --no-qemu	skip the check with a real qemu
#
# Environment:
#   QRAP	qrap binary to test (default: qrap at the top of the source
#		tree, built with "make qrap" if missing)
#
# Needs socat, and unshare(1) for the default path checks. Prints "PASS name",
# "FAIL name: why" or "SKIP name: why" for each check, exits with 1 if any
# check failed.

set -u

SRC_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
TOP="$(cd "${SRC_DIR}/../.." && pwd)"
SELF="${SRC_DIR}/$(basename "${BASH_SOURCE[0]}")"
QRAP="${QRAP:-${TOP}/qrap}"
MAC=52:54:00:01:02:03

FAILED=0
TMP=
LISTENERS=()
BG_PIDS=()
CREATED_SOCK=

# pass() - Report a passed check
# $1:	Check name
pass() {
	echo "PASS $1"
}

# fail() - Report a failed check
# $1:	Check name
# $2:	What went wrong
fail() {
	echo "FAIL $1: $2"
	FAILED=$((FAILED + 1))
}

# skip() - Report a check that can't run here
# $1:	Check name
# $2:	Why
skip() {
	echo "SKIP $1: $2"
}

# cleanup() - Stop listeners and background jobs, remove temporary files
cleanup() {
	local pid

	for pid in "${LISTENERS[@]}" "${BG_PIDS[@]}"; do
		kill "${pid}" 2>/dev/null
		wait "${pid}" 2>/dev/null
	done
	LISTENERS=()
	BG_PIDS=()
	[ -n "${CREATED_SOCK}" ] && rm -f "${CREATED_SOCK}"
	[ -n "${TMP}" ] && rm -rf "${TMP}"
}

# wait_sock() - Wait until a UNIX domain socket file exists
# $1:	Path
# Return: 0 once it's there, 1 after 5 seconds
wait_sock() {
	local i

	for i in $(seq 50); do
		[ -S "$1" ] && return 0
		sleep 0.1
	done
	return 1
}

# listen() - Start a socat listener on a UNIX domain socket, wait for it
# $1:	Path
# $2:	What to do with connections:
#	good		keep them open (until the client closes them)
#	busy		close them right away, as a passt busy with a guest does
#	mark:FILE	create FILE, then like good
#	busymark:FILE	create FILE, then like busy
#	sink:FILE	write what arrives to FILE, then like good
# Return: 0 once it listens, 1 if it doesn't
listen() {
	local addr

	case "$2" in
	good)	addr="EXEC:cat" ;;
	busy)	addr="EXEC:true" ;;
	mark:*)	addr="SYSTEM:touch ${2#mark:}; exec cat" ;;
	busymark:*) addr="SYSTEM:touch ${2#busymark:}" ;;
	sink:*)	addr="SYSTEM:cat >> ${2#sink:}" ;;
	esac

	rm -f "$1"
	socat "UNIX-LISTEN:$1,fork" "${addr}" 2>/dev/null &
	LISTENERS+=($!)
	wait_sock "$1"
}

# stop_listeners() - Stop all listeners, remove their sockets
stop_listeners() {
	local pid

	for pid in "${LISTENERS[@]}"; do
		kill "${pid}" 2>/dev/null
		wait "${pid}" 2>/dev/null
	done
	LISTENERS=()
}

# run() - Run qrap, keep output and exit status in OUT, ERR, RC and ARGS
# $@:	Arguments for qrap
run() {
	OUT=$("${QRAP}" "$@" 2>"${TMP}/stderr")
	RC=$?
	ERR=$(< "${TMP}/stderr")
	ARGS=()
	[ -n "${OUT}" ] && mapfile -t ARGS <<< "${OUT}"
}

# dry() - Run qrap with QRAP_DRY_RUN set, see run()
# $@:	Arguments for qrap
dry() {
	QRAP_DRY_RUN=1 run "$@"
}

# count() - Count arguments in ARGS equal to a string
# $1:	String
count() {
	local a n=0

	for a in "${ARGS[@]}"; do
		[ "${a}" = "$1" ] && n=$((n + 1))
	done
	echo "${n}"
}

# index_of() - Index of the first argument in ARGS equal to a string
# $1:	String
# $2:	Start looking from here (default: 0)
# Output: index, -1 if not found
index_of() {
	local i

	for ((i = ${2:-0}; i < ${#ARGS[@]}; i++)); do
		[ "${ARGS[i]}" = "$1" ] && echo "${i}" && return
	done
	echo -1
}

# option_values() - Print the values given to an option in ARGS, one a line
# $1:	Option, e.g. -netdev
option_values() {
	local i

	for ((i = 1; i < ${#ARGS[@]} - 1; i++)); do
		[ "${ARGS[i]}" = "$1" ] && echo "${ARGS[i + 1]}"
	done
}

# expect_failure() - Check that the last run() failed with status 1 and a
# message on standard error, nothing on standard output
# $1:	Check name
# $2:	Extended regular expression the message must match
expect_failure() {
	if [ "${RC}" -ne 1 ]; then
		fail "$1" "exit status ${RC}, expected 1"
	elif [ -n "${OUT}" ]; then
		fail "$1" "unexpected output: ${OUT}"
	elif ! grep -qE -- "$2" <<< "${ERR}"; then
		fail "$1" "message doesn't match '$2': ${ERR}"
	else
		pass "$1"
	fi
}

# test_usage() - Help, usage errors, FDNUM validation
test_usage() {
	local fd

	run --help
	if [ "${RC}" -eq 0 ] && grep -q '^Usage:' <<< "${OUT}" &&
	   [ -z "${ERR}" ]; then
		pass "help"
	else
		fail "help" "status ${RC}, stdout '${OUT:0:40}', stderr '${ERR}'"
	fi

	run -h
	if [ "${RC}" -eq 0 ] && grep -q '^Usage:' <<< "${OUT}"; then
		pass "help, short"
	else
		fail "help, short" "status ${RC}"
	fi

	run
	expect_failure "usage: no arguments" '^Usage:'
	run 5
	expect_failure "usage: no QEMU_CMD" 'missing QEMU_CMD'
	run -x 5 qemu
	expect_failure "usage: unknown option" "unknown option"
	run -s
	expect_failure "usage: -s without PATH" 'missing PATH'

	# None of these should even try to connect: nothing listens anyway,
	# and that would take a while to fail
	for fd in abc 5x '' 0 1 2 -1 +5 99999999999 2147483647; do
		run -s "${TMP}/none.sock" "${fd}" qemu-system-x86_64 -m 256
		expect_failure "FDNUM '${fd}' rejected" \
			"FDNUM (must be|beyond)"
		if ! grep -q '^Usage:' <<< "${ERR}"; then
			fail "FDNUM '${fd}' usage" "no usage on stderr"
		fi
	done
}

# test_rewrite() - Network options replaced, everything else kept in order
test_rewrite() {
	local sock="${TMP}/rw.sock" exp got netdevs devices id i many=()

	if ! listen "${sock}" good; then
		fail "rewrite: listener" "socat didn't start"
		return
	fi

	dry -s "${sock}" 5 qemu-system-x86_64 -m 256 \
		-netdev user,id=n0 \
		-device "virtio-net-pci,netdev=n0,mac=${MAC}" \
		-nic user -drive file=x
	if [ "${RC}" -ne 0 ]; then
		fail "rewrite: example" "status ${RC}: ${ERR}"
		stop_listeners
		return
	fi
	pass "rewrite: example runs"

	netdevs=$(option_values -netdev)
	devices=$(option_values -device)

	if grep -q 'user' <<< "${netdevs}" || [ "$(count -nic)" != 0 ] ||
	   [ "$(count user)" != 0 ]; then
		fail "rewrite: user networking removed" "still there: ${OUT}"
	else
		pass "rewrite: user networking removed"
	fi

	if [ "$(count -netdev)" = 1 ] &&
	   grep -qE '^socket,fd=5,id=[^,]+$' <<< "${netdevs}"; then
		pass "rewrite: one -netdev socket,fd=5"
	else
		fail "rewrite: one -netdev socket,fd=5" "got: ${netdevs}"
	fi

	if [ "$(count -device)" = 1 ] &&
	   grep -q '^virtio-net-pci,' <<< "${devices}" &&
	   grep -q ",mac=${MAC}\(,\|$\)" <<< "${devices}"; then
		pass "rewrite: one virtio-net-pci with mac=${MAC}"
	else
		fail "rewrite: one virtio-net-pci with mac=${MAC}" \
		     "got: ${devices}"
	fi

	id=$(sed -n 's/.*,id=\([^,]*\).*/\1/p' <<< "${netdevs}")
	if grep -q ",netdev=${id}\(,\|$\)" <<< "${devices}"; then
		pass "rewrite: device uses the socket netdev"
	else
		fail "rewrite: device uses the socket netdev" \
		     "netdev id '${id}', device '${devices}'"
	fi

	got="${ARGS[*]:0:5}"
	exp="qemu-system-x86_64 -m 256 -drive file=x"
	if [ "${got}" = "${exp}" ]; then
		pass "rewrite: other arguments kept, in order"
	else
		fail "rewrite: other arguments kept, in order" "got: ${OUT}"
	fi

	exp="qemu-system-x86_64
-m
256
-drive
file=x
-netdev
socket,fd=5,id=hostnet0
-device
virtio-net-pci,netdev=hostnet0,mac=${MAC}"
	if [ "${OUT}" = "${exp}" ]; then
		pass "rewrite: exact output"
	else
		fail "rewrite: exact output" "got: ${OUT}"
	fi

	# Other spellings, JSON, legacy -net, non-network devices, options
	# whose argument looks like a network option
	dry -s "${sock}" 7 /opt/x/qemu-system-aarch64 --netdev tap,id=t0 \
		-net nic,model=virtio,macaddr=52-54-0-A-b-C -net user \
		-device usb-tablet --nic user,model=e1000 \
		-device '{"driver":"e1000","netdev":"t0"}' \
		-device driver=rtl8139,id=r -device igb,netdev=t0 \
		-append "-nic" -name -netdev -S -netdev=user
	exp="/opt/x/qemu-system-aarch64
-device
usb-tablet
-append
-nic
-name
-netdev
-S
-netdev=user
-netdev
socket,fd=7,id=hostnet0
-device
virtio-net-pci,netdev=hostnet0,mac=52:54:00:0a:0b:0c"
	if [ "${RC}" -eq 0 ] && [ "${OUT}" = "${exp}" ]; then
		pass "rewrite: spellings, JSON, -net, values kept"
	else
		fail "rewrite: spellings, JSON, -net, values kept" \
		     "status ${RC}, got: ${OUT}"
	fi

	dry -s "${sock}" 5 qemu-system-x86_64 -device \
		'{"driver":"virtio-net-pci","mac":"52:54:00:AA:BB:CC"}'
	if [ "${RC}" -eq 0 ] && [ "$(count -device)" = 1 ] &&
	   grep -q 'mac=52:54:00:aa:bb:cc$' <<< "${OUT}"; then
		pass "rewrite: MAC from JSON -device"
	else
		fail "rewrite: MAC from JSON -device" "status ${RC}: ${OUT}"
	fi

	dry -s "${sock}" 5 qemu-system-x86_64 -m 64
	if [ "${RC}" -eq 0 ] &&
	   [ "$(option_values -device)" = "virtio-net-pci,netdev=hostnet0" ]
	then
		pass "rewrite: no MAC given, none added"
	else
		fail "rewrite: no MAC given, none added" "got: ${OUT}"
	fi

	dry -s "${sock}" 5 qemu-system-x86_64 -nic user,mac=52:54:zz:00:00:01
	expect_failure "rewrite: invalid MAC refused" 'invalid MAC'

	dry -s "${sock}" 5 qemu-system-x86_64 -m 64 -nic
	expect_failure "rewrite: -nic without argument" 'missing argument'

	for ((i = 0; i < 4096; i++)); do
		many+=(-S)
	done
	dry -s "${sock}" 5 qemu-system-x86_64 "${many[@]}"
	if [ "${RC}" -eq 0 ] && [ "${#ARGS[@]}" -eq $((1 + 4096 + 4)) ]; then
		pass "rewrite: 4096 qemu arguments"
	else
		fail "rewrite: 4096 qemu arguments" \
		     "status ${RC}, ${#ARGS[@]} arguments"
	fi
	dry -s "${sock}" 5 qemu-system-x86_64 "${many[@]}" -S
	expect_failure "rewrite: 4097 qemu arguments refused" 'too many'

	stop_listeners
}

# test_connect() - Connection failures, retries, busy peers, FDNUM after exec
test_connect() {
	local sock="${TMP}/c.sock" start end pid

	start=$(date +%s%N)
	dry -s "${TMP}/none.sock" 5 qemu-system-x86_64 -m 256
	end=$(date +%s%N)
	expect_failure "connect: no socket" "can't connect to ${TMP}/none.sock"
	if [ $(((end - start) / 1000000)) -lt 1000 ] ||
	   [ $(((end - start) / 1000000)) -gt 5000 ]; then
		fail "connect: bounded retry" \
		     "gave up after $(((end - start) / 1000000)) ms"
	else
		pass "connect: bounded retry"
	fi

	: > "${TMP}/regular"
	dry -s "${TMP}/regular" 5 qemu-system-x86_64
	expect_failure "connect: not a socket" "can't connect"

	dry -s "${TMP}/$(printf 'x%.0s' $(seq 120))" 5 qemu-system-x86_64
	expect_failure "connect: path too long" "invalid socket path"

	listen "${sock}" busy
	dry -s "${sock}" 5 qemu-system-x86_64
	expect_failure "connect: busy peer" "closed by peer"
	stop_listeners
	rm -f "${sock}"

	# Listener showing up late: qrap should wait for it
	(sleep 0.7; exec socat "UNIX-LISTEN:${sock},fork" EXEC:cat \
		2>/dev/null) &
	pid=$!
	dry -s "${sock}" 5 qemu-system-x86_64 -m 256
	if [ "${RC}" -eq 0 ] && [ "$(count -netdev)" = 1 ]; then
		pass "connect: listener starting late"
	else
		fail "connect: listener starting late" "status ${RC}: ${ERR}"
	fi
	kill "${pid}" 2>/dev/null
	wait "${pid}" 2>/dev/null
	rm -f "${sock}"

	# Without dry run: the command runs with the socket as FDNUM
	listen "${sock}" "sink:${TMP}/sink"
	# shellcheck disable=SC2016 # expanded by that shell, not here
	run -s "${sock}" 9 /bin/sh -c '
		[ "$0" = "-netdev" ] || exit 2
		[ "$1" = "socket,fd=9,id=hostnet0" ] || exit 3
		case "$(readlink /proc/self/fd/9)" in
		socket:*) ;;
		*) exit 4 ;;
		esac
		printf "hello over fd 9" >&9'
	sleep 0.3
	if [ "${RC}" -eq 0 ] &&
	   [ "$(< "${TMP}/sink")" = "hello over fd 9" ]; then
		pass "connect: socket is FDNUM after exec"
	else
		fail "connect: socket is FDNUM after exec" \
		     "status ${RC}, ${ERR}, received '$(< "${TMP}/sink")'"
	fi

	# The socket itself is likely to be descriptor 3: dup2() is a no-op
	# then, and FD_CLOEXEC needs to be cleared separately
	# shellcheck disable=SC2016 # expanded by that shell, not here
	run -s "${sock}" 3 /bin/sh -c '
		[ "$1" = "socket,fd=3,id=hostnet0" ] || exit 3
		printf " and 3" >&3'
	sleep 0.3
	if [ "${RC}" -eq 0 ] &&
	   [ "$(< "${TMP}/sink")" = "hello over fd 9 and 3" ]; then
		pass "connect: socket is FDNUM 3 after exec"
	else
		fail "connect: socket is FDNUM 3 after exec" \
		     "status ${RC}, ${ERR}, received '$(< "${TMP}/sink")'"
	fi
	stop_listeners

	run -s "${sock}" 5 "${TMP}/no-such-qemu"
	expect_failure "connect: missing QEMU_CMD, before connecting" \
		"can't run"
}

# test_lookup() - QEMU_CMD "qemu" and "kvm": qemu-system-ARCH, qemu-kvm, kvm
test_lookup() {
	local sock="${TMP}/l.sock" bin="${TMP}/bin" arch f

	case "$(uname -m)" in
	i?86)		arch=i386 ;;
	amd64)		arch=x86_64 ;;
	arm64)		arch=aarch64 ;;
	arm*)		arch=arm ;;
	ppc64le)	arch=ppc64 ;;
	*)		arch=$(uname -m) ;;
	esac

	mkdir -p "${bin}"
	listen "${sock}" good

	for f in kvm qemu-kvm "qemu-system-${arch}"; do
		printf '#!/bin/sh\necho "%s $*"\n' "${f}" > "${bin}/${f}"
		chmod 755 "${bin}/${f}"

		PATH="${bin}" dry -s "${sock}" 5 qemu -m 1
		if [ "${RC}" -eq 0 ] && [ "${ARGS[0]}" = "${bin}/${f}" ]; then
			pass "lookup: qemu finds ${f}"
		else
			fail "lookup: qemu finds ${f}" "got '${ARGS[0]-}'"
		fi
	done

	PATH="/nonexistent:${bin}" dry -s "${sock}" 5 /usr/bin/kvm -m 1
	if [ "${RC}" -eq 0 ] &&
	   [ "${ARGS[0]}" = "${bin}/qemu-system-${arch}" ]; then
		pass "lookup: /usr/bin/kvm looked up too"
	else
		fail "lookup: /usr/bin/kvm looked up too" "got '${ARGS[0]-}'"
	fi

	PATH="${bin}" run -s "${sock}" 5 kvm -m 1 -nic user
	if [ "${RC}" -eq 0 ] && [ "${OUT}" = "qemu-system-${arch} -m 1 \
-netdev socket,fd=5,id=hostnet0 -device virtio-net-pci,netdev=hostnet0" ]
	then
		pass "lookup: found qemu runs"
	else
		fail "lookup: found qemu runs" "status ${RC}: ${OUT} ${ERR}"
	fi

	rm -f "${bin}"/*
	PATH="${bin}" dry -s "${sock}" 5 qemu -m 1
	expect_failure "lookup: nothing found" "no qemu-system-ARCH"

	stop_listeners
}

# scan_inner() - Default path checks, run in a mount namespace with a private
# /tmp, see test_scan()
scan_inner() {
	local start end

	# Keep qrap reachable even if it lives in /tmp
	exec 9<"${QRAP}"
	QRAP=/proc/self/fd/9

	if ! mount -t tmpfs qrap-selftest /tmp; then
		fail "scan: private /tmp" "can't mount tmpfs"
		exit "${FAILED}"
	fi
	TMP=$(mktemp -d)

	start=$(date +%s%N)
	dry 5 qemu-system-x86_64 -m 256
	end=$(date +%s%N)
	expect_failure "scan: no socket at all" \
		'/tmp/passt_1.socket.*/tmp/passt_128.socket'
	if [ $(((end - start) / 1000000)) -gt 5000 ]; then
		fail "scan: bounded retry" "$(((end - start) / 1000000)) ms"
	else
		pass "scan: bounded retry"
	fi

	# passt_1 and passt_2 missing, passt_3 and passt_4 good
	listen /tmp/passt_3.socket "mark:${TMP}/3"
	listen /tmp/passt_4.socket "mark:${TMP}/4"
	dry 5 qemu-system-x86_64 -m 256
	sleep 0.2
	if [ "${RC}" -eq 0 ] && [ -e "${TMP}/3" ] && [ ! -e "${TMP}/4" ]; then
		pass "scan: first accepting socket used"
	else
		fail "scan: first accepting socket used" \
		     "status ${RC}, connected to: $(cd "${TMP}" && echo [0-9])"
	fi
	stop_listeners
	rm -f /tmp/passt_*.socket "${TMP}"/[0-9]

	listen /tmp/passt_1.socket "busymark:${TMP}/1"
	listen /tmp/passt_2.socket "mark:${TMP}/2"
	dry 5 qemu-system-x86_64 -m 256
	sleep 0.2
	if [ "${RC}" -eq 0 ] && [ -e "${TMP}/1" ] && [ -e "${TMP}/2" ]; then
		pass "scan: busy socket skipped"
	else
		fail "scan: busy socket skipped" "status ${RC}: ${ERR}"
	fi
	stop_listeners
	rm -f /tmp/passt_*.socket

	listen /tmp/passt_7.socket busy
	dry 5 qemu-system-x86_64 -m 256
	expect_failure "scan: only a busy socket" \
		'passt_7.socket: connection closed by peer'
	stop_listeners
	rm -f /tmp/passt_*.socket

	(sleep 0.7; exec socat UNIX-LISTEN:/tmp/passt_128.socket,fork \
		EXEC:cat 2>/dev/null) &
	BG_PIDS+=($!)
	dry 5 qemu-system-x86_64 -m 256
	if [ "${RC}" -eq 0 ]; then
		pass "scan: passt_128 starting late"
	else
		fail "scan: passt_128 starting late" "status ${RC}: ${ERR}"
	fi

	cleanup
	exit "${FAILED}"
}

# test_scan() - Scan of /tmp/passt_1.socket ... /tmp/passt_128.socket
test_scan() {
	local out rc f

	for f in "unshare -m --propagation private" \
		 "unshare -r -m --propagation private"; do
		# shellcheck disable=SC2086 # f holds a command with options
		if ${f} true 2>/dev/null; then
			out=$(QRAP="${QRAP}" ${f} bash "${SELF}" --scan-inner)
			rc=$?
			echo "${out}"
			FAILED=$((FAILED + rc))
			return
		fi
	done

	# No namespaces: use the real /tmp/passt_1.socket, if nothing could
	# possibly be using any of the default paths
	if compgen -G '/tmp/passt_*.socket' > /dev/null; then
		skip "scan" "no mount namespaces, and /tmp/passt_*.socket exist"
		return
	fi

	CREATED_SOCK=/tmp/passt_1.socket
	if ! listen /tmp/passt_1.socket "mark:${TMP}/1"; then
		fail "scan: /tmp/passt_1.socket" "socat didn't start"
		return
	fi
	dry 5 qemu-system-x86_64 -m 256
	sleep 0.2
	if [ "${RC}" -eq 0 ] && [ -e "${TMP}/1" ]; then
		pass "scan: /tmp/passt_1.socket used"
	else
		fail "scan: /tmp/passt_1.socket used" "status ${RC}: ${ERR}"
	fi
	stop_listeners
	rm -f /tmp/passt_1.socket
	CREATED_SOCK=
}

# test_qemu() - Boot qemu (firmware only) through qrap, check that the guest's
# DHCP request arrives on the socket, with the MAC address from -nic
test_qemu() {
	local sock="${TMP}/q.sock" stream="${TMP}/stream" mac=52:54:00:12:34:56
	local qemu i hdr len pid

	qemu=$(command -v qemu-system-x86_64) || {
		skip "qemu: network boot" "no qemu-system-x86_64"
		return
	}

	listen "${sock}" "sink:${stream}"
	"${QRAP}" -s "${sock}" 5 "${qemu}" -accel tcg -nodefaults \
		-display none -serial none -monitor none -boot n -m 128 \
		-nic "user,model=e1000,mac=${mac}" 2>"${TMP}/qemu.err" &
	pid=$!

	for i in $(seq 600); do
		[ -s "${stream}" ] && [ "$(stat -c %s "${stream}")" -ge 20 ] &&
			break
		kill -0 "${pid}" 2>/dev/null || break
		sleep 0.1
	done
	kill "${pid}" 2>/dev/null
	wait "${pid}" 2>/dev/null
	stop_listeners

	if grep -qi 'romfile\|rom file' "${TMP}/qemu.err"; then
		skip "qemu: network boot" "no network boot ROM for qemu"
		return
	fi

	# 4-byte length, destination, source
	hdr=$(od -A n -t x1 -N 16 "${stream}" 2>/dev/null | tr -d ' \n')
	len=$((16#${hdr:0:8}))
	if [ "${hdr:20:12}" = "${mac//:/}" ] && [ "${len}" -ge 14 ] &&
	   [ "${len}" -le 65536 ]; then
		pass "qemu: frame from ${mac} through qrap's socket"
	else
		fail "qemu: frame from ${mac} through qrap's socket" \
		     "got '${hdr}', qemu: $(head -c 300 "${TMP}/qemu.err")"
	fi
}

if [ "${1-}" = "--scan-inner" ]; then
	trap cleanup EXIT
	scan_inner
fi

if ! command -v socat > /dev/null; then
	echo "socat is needed" >&2
	exit 1
fi

if [ -z "${QRAP_SELFTEST_NO_BUILD-}" ] && [ "${QRAP}" = "${TOP}/qrap" ] &&
   [ ! -x "${QRAP}" ]; then
	make -C "${TOP}" qrap > /dev/null || exit 1
fi
if [ ! -x "${QRAP}" ]; then
	echo "No qrap binary at ${QRAP}" >&2
	exit 1
fi

trap cleanup EXIT
TMP=$(mktemp -d)

test_usage
test_rewrite
test_connect
test_lookup
test_scan
if [ "${1-}" != "--no-qemu" ]; then
	test_qemu
fi

if [ "${FAILED}" -gt 0 ]; then
	echo "${FAILED} check(s) failed"
	exit 1
fi
echo "All checks passed"
