#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# run.sh - helpers to boot a throw-away qemu guest (TCG, never KVM) with a
# busybox initramfs and run one shell script in it. To be sourced:
#
#	. test/guest/run.sh
#	guest_run SCRIPT_FILE LOG_FILE TIMEOUT_S -- QEMU_NET_ARGS...
#		Boots the guest with SCRIPT_FILE as /guest.sh and the given
#		qemu arguments (e.g. -netdev/-device). Console output (and
#		qemu's stderr) goes to LOG_FILE, carriage returns stripped at
#		the end. Returns qemu's exit status, 124 on timeout.
#	guest_start SCRIPT_FILE LOG_FILE TIMEOUT_S -- QEMU_NET_ARGS...
#		The same, in the background: sets GUEST_PID, to "wait" for
#		(exit status as above) or to kill (SIGTERM stops qemu too).
#	guest_qemu_cmd SCRIPT_FILE [INITRD_OUT]
#		Prepares the initramfs (INITRD_OUT, default: a new temporary
#		file, caller removes "$GUEST_INITRD") and sets the array
#		GUEST_QEMU to the qemu command line, without network arguments.
#		Also prints it, shell-quoted, on one line.
#	guest_wait_for LOG_FILE REGEX TIMEOUT_S [PID]
#		Waits until an extended REGEX matches a line in LOG_FILE.
#		Returns 1 on timeout, or if PID is given and has exited.
#	guest_has NAME LOG_FILE REGEX
#		A check (lib.sh's pass or fail): REGEX matches a whole line
#		of LOG_FILE.
#	guest_exit_status LOG_FILE
#		Prints the status from the "GUEST-EXIT <status>" line, fails
#		if there's none. Check this, not just qemu's status: that's 0
#		also if the guest kernel panics (panic=-1 with -no-reboot).
#
# Guest console markers: "GUEST-READY" once eth0 is up (link only, no
# address), then "GUEST-EXIT <status>" of /guest.sh before power off.
#
# Environment: GUEST_CACHE (base initramfs, default test/build/guest),
# GUEST_QEMU_BIN (default qemu-system-x86_64), GUEST_APPEND (extra kernel
# arguments), GUEST_FILES ("HOST_PATH:GUEST_PATH ..." extra files, not in
# /tmp or /run, which are tmpfs in the guest), and for mkinitrd.sh: KVER,
# VMLINUZ, BUSYBOX.

GUEST_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source-path=SCRIPTDIR source=cpio.sh
. "$GUEST_DIR/cpio.sh"

# guest_base - build (or reuse) the base initramfs, set GUEST_BASE_INITRD
# and GUEST_VMLINUZ
guest_base() {
	local cache=${GUEST_CACHE:-$GUEST_DIR/../build/guest} out line

	out=$("$GUEST_DIR/mkinitrd.sh" "$cache") || return 1
	while read -r line; do
		case "$line" in
		KERNEL=*)  GUEST_VMLINUZ=${line#KERNEL=} ;;
		INITRD=*)  GUEST_BASE_INITRD=${line#INITRD=} ;;
		esac
	done <<< "$out"
	[ -n "${GUEST_VMLINUZ-}" ] && [ -n "${GUEST_BASE_INITRD-}" ]
}

# _guest_extra_cpio SCRIPT_FILE - archive with /guest.sh and GUEST_FILES
_guest_extra_cpio() {
	local spec src dst d made=" " parents

	gcpio_file guest.sh "$1" 0755
	for spec in ${GUEST_FILES-}; do
		src=${spec%%:*}
		dst=${spec#*:}
		dst=${dst#/}
		# Parent directories, outermost first
		parents=()
		d=$dst
		while [ "${d%/*}" != "$d" ]; do
			d=${d%/*}
			parents=("$d" ${parents[@]+"${parents[@]}"})
		done
		for d in ${parents[@]+"${parents[@]}"}; do
			case "$made" in
			*" $d "*) ;;
			*) gcpio_dir "$d"; made="$made$d " ;;
			esac
		done
		gcpio_file "$dst" "$src" "$(stat -L -c %a "$src")"
	done
	gcpio_trailer
}

# guest_qemu_cmd SCRIPT_FILE [INITRD_OUT] - see top of file
guest_qemu_cmd() {
	local script=$1 initrd=${2-}

	if [ ! -r "$script" ]; then
		echo "guest_qemu_cmd: can't read $script" >&2
		return 1
	fi
	guest_base || return 1
	if [ -z "$initrd" ]; then
		initrd=$(mktemp "${TMPDIR:-/tmp}/guest-initrd.XXXXXX") ||
			return 1
	fi
	# shellcheck disable=SC2034 # for the caller
	GUEST_INITRD=$initrd
	# The kernel unpacks concatenated cpio archives, and a plain one can
	# precede a compressed one (but not follow it: "invalid magic")
	{ _guest_extra_cpio "$script" && cat "$GUEST_BASE_INITRD"; } \
		> "$initrd" || return 1

	GUEST_QEMU=("${GUEST_QEMU_BIN:-qemu-system-x86_64}"
		-accel tcg -m 256 -nographic -no-reboot -nic none
		-kernel "$GUEST_VMLINUZ" -initrd "$initrd"
		-append "console=ttyS0 quiet panic=-1 ${GUEST_APPEND-}")
	printf '%q ' "${GUEST_QEMU[@]}"
	echo
}

# _guest_body SCRIPT_FILE LOG_FILE TIMEOUT_S [--] QEMU_ARGS... - run a guest,
# exit with qemu's status. Only call in a subshell: it sets traps and exits.
# No reliance on set -e here: it's void if called as "guest_run || ...".
_guest_body() {
	local script=$1 log=$2 tmo=$3 rc=0
	shift 3
	# Globals, still needed by the EXIT trap: this is a subshell anyway
	initrd=
	pid=
	set +e
	[ "${1-}" = "--" ] && shift

	# shellcheck disable=SC2317 # called from the trap
	_guest_cleanup() {
		if [ -n "$pid" ]; then
			kill "$pid" 2>/dev/null
			wait "$pid" 2>/dev/null
		fi
		[ -n "$initrd" ] && rm -f "$initrd"
	}
	trap _guest_cleanup EXIT
	trap 'exit 129' HUP
	trap 'exit 130' INT
	trap 'exit 143' TERM

	initrd=$(mktemp "${TMPDIR:-/tmp}/guest-initrd.XXXXXX") || exit 1
	guest_qemu_cmd "$script" "$initrd" > /dev/null || exit 1

	timeout -k 5 "$tmo" "${GUEST_QEMU[@]}" "$@" < /dev/null > "$log" 2>&1 &
	pid=$!
	wait "$pid" || rc=$?
	pid=
	# 137: qemu didn't go on SIGTERM, timeout used SIGKILL
	[ $rc -eq 137 ] && rc=124
	sed -i 's/\r$//' "$log"
	exit $rc
}

# guest_run SCRIPT_FILE LOG_FILE TIMEOUT_S -- QEMU_NET_ARGS... - see top
guest_run() {
	if [ $# -lt 3 ]; then
		echo "usage: guest_run SCRIPT LOG TIMEOUT_S --" \
		     "QEMU_ARGS..." >&2
		return 2
	fi
	( _guest_body "$@" )
}

# guest_start SCRIPT_FILE LOG_FILE TIMEOUT_S -- QEMU_NET_ARGS... - see top
guest_start() {
	if [ $# -lt 3 ]; then
		echo "usage: guest_start SCRIPT LOG TIMEOUT_S --" \
		     "QEMU_ARGS..." >&2
		return 2
	fi
	# Don't let guest_wait_for find markers from an earlier run
	: > "$2" || return 1
	_guest_body "$@" &
	# shellcheck disable=SC2034 # for the caller
	GUEST_PID=$!
}

# guest_wait_for LOG_FILE REGEX TIMEOUT_S [PID] - see top of file
guest_wait_for() {
	local log=$1 re=$2 pid=${4-} end

	end=$(( $(date +%s%N) / 1000000 + $3 * 1000 ))
	while [ "$(( $(date +%s%N) / 1000000 ))" -lt "$end" ]; do
		grep -qE "$re" "$log" 2>/dev/null && return 0
		if [ -n "$pid" ] && ! kill -0 "$pid" 2>/dev/null; then
			grep -qE "$re" "$log" 2>/dev/null
			return
		fi
		sleep 0.1
	done
	return 1
}

# guest_exit_status LOG_FILE - see top of file
guest_exit_status() {
	local st

	st=$(sed -n 's/^GUEST-EXIT \([0-9]*\)$/\1/p' "$1" 2>/dev/null |
	     tail -n 1)
	[ -n "$st" ] || return 1
	echo "$st"
}

# guest_has() - Check that the guest's console has a line
# $1:	Name of the check
# $2:	Log file
# $3:	Line (extended regular expression, whole line)
guest_has() {
	if grep -qxE -- "$3" "$2"; then
		pass "$1"
	else
		fail "$1" "no line matching '$3' on the guest console"
	fi
}
