#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# passt - user-mode networking for virtual machines and namespaces
#
# test/60_isolation.sh - Sandbox of running passt and pasta processes, the
# seccomp filter killing a call off the list, resource limits, SYN floods,
# chroot() where pivot_root() fails

. "$(dirname "$0")/lib.sh"

PASTA="${TMP}/pasta"
ln -s "${PASST}" "${PASTA}"
TCP_TOOL="python3 ${TOP}/test/tcp_tool.py"

if ! tb_setup || ! tb_user; then
	fail isolation_testbed "could not build the test namespaces"
	exit 1
fi

# status() - One field of /proc/PID/status
# $1:	PID
# $2:	Field
status() {
	awk -v f="$2:" '$1 == f { print $2 }' "/proc/$1/status"
}

# check_sandbox() - What a sandboxed process must look like from outside
# $1:	Prefix of the check names
# $2:	PID
# $3:	Largest capability mask allowed, hexadecimal
# $4:	Expected user ID, or "nonroot"
# $5:	Extended regular expression for the descriptors allowed, besides
#	sockets, pipes, anonymous inodes and /dev/null
check_sandbox() {
	local name="$1" pid="$2" capmax="$3" uid="$4" ok="$5" cap fds bad

	expect_eq "${name}_seccomp_filter" "$(status "${pid}" Seccomp)" 2
	expect_eq "${name}_no_new_privs" "$(status "${pid}" NoNewPrivs)" 1

	cap=$(status "${pid}" CapEff)
	if (( (16#${cap} & ~16#${capmax}) == 0 )); then
		pass "${name}_capabilities"
	else
		fail "${name}_capabilities" "CapEff ${cap}, at most ${capmax}"
	fi

	if [ "${uid}" = nonroot ]; then
		if [ "$(status "${pid}" Uid)" != 0 ]; then
			pass "${name}_not_root"
		else
			fail "${name}_not_root" "still running as root"
		fi
	else
		expect_eq "${name}_user" "$(status "${pid}" Uid)" "${uid}"
	fi

	expect_eq "${name}_root_empty" "$(ls -A "/proc/${pid}/root/" 2>&1)" ""

	# Standard streams are whatever we were started with
	fds=$(ls -l "/proc/${pid}/fd/" | awk 'NR > 1 && $9 > 2 { print $NF }')
	bad=$(grep -vE "^(socket:|pipe:|anon_inode:|/dev/null$|${ok})" \
		<<< "${fds}" | tr '\n' ' ')
	expect_eq "${name}_only_expected_fds" "${bad}" ""
}

# 1. passt started as root, detached: an inherited descriptor must go
sock="${TMP}/passt.sock"
( exec 7</etc/hostname
  ip netns exec "${NS_HST}" "${PASST}" -s "${sock}" -P "${TMP}/passt.pid" \
	-l "${TMP}/passt.log" -t 2222 2>/dev/null )
pid=$(cat "${TMP}/passt.pid")
at_exit "kill ${pid}"
check_sandbox passt_root "${pid}" 0 nonroot "${TMP}/passt.log$|${TMP}$"
if grep -q "NSpid:.*[[:space:]]1$" "/proc/${pid}/status"; then
	pass passt_daemon_alone_in_pid_namespace
else
	fail passt_daemon_alone_in_pid_namespace "$(grep NSpid \
		"/proc/${pid}/status")"
fi
kill "${pid}"
if wait_for 2 sh -c "! test -e ${sock}"; then
	pass passt_sigterm_unlinks_socket
else
	fail passt_sigterm_unlinks_socket "${sock} still there"
fi

# 2. passt as a user, in the foreground
mkdir "${TMP}/user" && chown "${TEST_USER}" "${TMP}/user"
ip netns exec "${NS_HST}" runuser -u "${TEST_USER}" -- "${PASST}" -f -q \
	-s "${TMP}/user/passt.sock" &
wait_for 5 test -S "${TMP}/user/passt.sock"
pid=$(pgrep -n -u "${TEST_USER}" -x passt)
at_exit "kill ${pid}"
check_sandbox passt_user "${pid}" 0 "$(id -u "${TEST_USER}")" \
	"${TMP}/user$"
kill "${pid}"

# 3. pasta started as root, attached to a namespace. Seen from outside,
# after the pivot: the tap device, the namespace, /proc/net tables
pasta_fds='(/dev)?/net/tun$|/$|net:\[|(/proc)?/[0-9]+/net/(tcp|udp)6?$|(/proc)?/[0-9]+$'
NS_PST="pt-pst-${TB_ID}"
ip netns add "${NS_PST}"
at_exit "ip netns del ${NS_PST}"
ip netns exec "${NS_HST}" "${PASTA}" --config-net --netns "${NS_PST}" \
	-P "${TMP}/pasta.pid" -q
pid=$(cat "${TMP}/pasta.pid")
at_exit "kill ${pid}"
# CAP_NET_BIND_SERVICE (10) and CAP_SYS_ADMIN (21)
check_sandbox pasta_root "${pid}" 200400 nonroot "${pasta_fds}"
# Its helper for the namespace's addresses: CAP_NET_ADMIN (12) alone, two
# sockets, nothing else (see nshelper.c)
helper=$(pgrep -P "${pid}" -x pasta)
check_sandbox pasta_root_helper "${helper}" 1000 nonroot '$^'
expect_eq pasta_root_helper_fds "$(ls "/proc/${helper}/fd/" | wc -l)" 2
ping_out=$(ip netns exec "${NS_PST}" ping -c1 -W2 203.0.113.1 2>&1)
if grep -q "1 received" <<< "${ping_out}"; then
	pass pasta_root_sandboxed_still_works
else
	fail pasta_root_sandboxed_still_works "${ping_out}"
fi
kill "${pid}"

# 4. pasta as a user, running a command
ip netns exec "${NS_HST}" runuser -u "${TEST_USER}" -- "${PASTA}" \
	--config-net -q -- sleep 30 &
wait_for 5 sh -c "pgrep -u ${TEST_USER} -x sleep >/dev/null"
pid=$(ps -o ppid= -p "$(pgrep -n -u "${TEST_USER}" -x sleep)" | tr -d ' ')
at_exit "kill ${pid}"
check_sandbox pasta_user "${pid}" 200400 "$(id -u "${TEST_USER}")" \
	"${pasta_fds}"
helper=$(pgrep -P "${pid}" -x pasta)
check_sandbox pasta_user_helper "${helper}" 1000 "$(id -u "${TEST_USER}")" \
	'$^'
kill "${pid}"

# 5. A system call off the list kills the process; so does a write to the
# configuration
if make -s -C "${TOP}" SANITIZE=0 BUILD_DIR=build-seccomp-test \
	CFLAGS=-DPASST_SECCOMP_TEST build-seccomp-test/passt >/dev/null 2>&1
then
	rc=$( { PASST_SECCOMP_TEST=1 ip netns exec "${NS_HST}" \
		"${TOP}/build-seccomp-test/passt" -f -q -s "${TMP}/sc.sock"; \
		echo $?; } 2>/dev/null | tail -1)
	expect_eq seccomp_forbidden_call_kills_with_sigsys "${rc}" $((128 + 31))
	# The configuration is read-only once running: a write faults
	rc=$( { PASST_SEAL_TEST=1 ip netns exec "${NS_HST}" \
		"${TOP}/build-seccomp-test/passt" -f -q -s "${TMP}/sc.sock"; \
		echo $?; } 2>/dev/null | tail -1)
	expect_eq config_write_after_start_faults "${rc}" $((128 + 11))
else
	fail seccomp_forbidden_call_kills_with_sigsys "test build failed"
fi

# 6. Few descriptors: existing connections keep working, the excess is
# refused, the daemon stays up
bg out ${TCP_TOOL} echoserver 6020
wait_listen out 6020
PASST_PRLIMIT=256 tb_guest || { fail limits_guest "no guest"; exit 1; }
out=$(in_gst ${TCP_TOOL} limits 203.0.113.1 6020 1000)
read -r existing est ref <<< "${out}"
expect_eq limits_existing_connection_works "${existing}" EXISTING-OK
est=${est#established=} ref=${ref#refused=}
if [ "${ref:-0}" -gt 0 ] && [ "$((est + ref))" -eq 1000 ]; then
	pass limits_excess_refused
else
	fail limits_excess_refused "${out}"
fi
if alive "${PASST_PID}"; then
	pass limits_daemon_stays_up
else
	fail limits_daemon_stays_up "$(tail -3 "${TMP}/passt.log")"
fi
tb_guest_stop

# 7. A SYN flood from the guest doesn't stop an established transfer
tb_guest || { fail synflood_guest "no guest"; exit 1; }
make_files
rcv="${TMP}/flood-rcv"
bg out socat -u TCP4-LISTEN:7100,reuseaddr OPEN:"${rcv}",creat,trunc
wait_listen out 7100
ip netns exec "${NS_GST}" sh -c "python3 ${TOP}/test/tcp_tool.py \
	synflood eth0 192.0.2.2 203.0.113.1 100000 > ${TMP}/flood.out" &
fpid=$!
in_gst timeout 120 socat -u OPEN:"${TMP}/f64m" TCP4:203.0.113.1:7100
wait "${fpid}"
wait_for 10 cmp -s "${TMP}/f64m" "${rcv}"
if cmp -s "${TMP}/f64m" "${rcv}"; then
	pass synflood_transfer_completes
else
	fail synflood_transfer_completes "$(stat -c %s "${rcv}") bytes," \
					 "$(cat "${TMP}/flood.out")"
fi
expect_eq synflood_syns_sent "$(cat "${TMP}/flood.out")" "SYNS 100000"
if alive "${PASST_PID}"; then
	pass synflood_daemon_stays_up
else
	fail synflood_daemon_stays_up "$(tail -3 "${TMP}/passt.log")"
fi
tb_guest_stop

# 8. Where pivot_root() fails (an LD_PRELOAD library makes it fail, as a
# container engine's seccomp profile does), passt exits and says what to
# try; with --chroot-fallback, it runs in the same empty root, by chroot()
shim="${TOOLS}/nopivot.so"
if [ -f "${shim}" ]; then
	wrap=(env LD_PRELOAD="${shim}" ASAN_OPTIONS=verify_asan_link_order=0)
	out=$(ip netns exec "${NS_HST}" runuser -u "${TEST_USER}" -- \
	      "${wrap[@]}" "${PASST}" -f -s "${TMP}/user/nopivot.sock" 2>&1)
	rc=$?
	if [ ${rc} = 1 ] && grep -q -- "--chroot-fallback" <<< "${out}"; then
		pass isolation_no_pivot_root_fails_and_says_why
	else
		fail isolation_no_pivot_root_fails_and_says_why \
		     "status ${rc}: ${out}"
	fi
	ip netns exec "${NS_HST}" runuser -u "${TEST_USER}" -- \
		"${wrap[@]}" "${PASST}" -f -q --chroot-fallback \
		-s "${TMP}/user/chroot.sock" &
	wait_for 5 test -S "${TMP}/user/chroot.sock"
	pid=$(pgrep -n -u "${TEST_USER}" -x passt)
	at_exit "kill ${pid}"
	if [ -n "${pid}" ]; then
		check_sandbox isolation_chroot_fallback "${pid}" 0 \
			"$(id -u "${TEST_USER}")" "${TMP}/user$"
		kill "${pid}"
	else
		fail isolation_chroot_fallback "passt didn't start"
	fi
else
	skip isolation_chroot_fallback "${shim} missing (make tools builds it)"
fi
