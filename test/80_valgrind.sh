#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# passt - user-mode networking for virtual machines and namespaces
#
# test/80_valgrind.sh - passt and pasta under valgrind's memcheck, sandbox
# and seccomp on, carrying TCP, UDP and ICMP both ways: no errors, no leaks
#
# VALGRIND_PASST points to a build whose seccomp filter lets valgrind run
# (make check builds it in build-vg/); without it, or without valgrind,
# the checks are skipped.

. "$(dirname "$0")/lib.sh"

UDP_TOOL="python3 ${TOP}/test/udp_tool.py"
VG_BIN="${VALGRIND_PASST:-}"

if [ -z "${VG_BIN}" ] || [ ! -x "${VG_BIN}" ] || \
   ! command -v valgrind >/dev/null; then
	skip valgrind "needs valgrind and VALGRIND_PASST (make check sets it)"
	exit 0
fi

# vg_cmd() - valgrind's command line, logging to a file
# $1:	Log file
vg_cmd() {
	echo "valgrind --tool=memcheck --leak-check=full --errors-for-leak-kinds=all --show-leak-kinds=all --track-fds=no --vgdb=no --error-exitcode=99 --suppressions=${TOP}/test/valgrind.supp --log-file=$1"
}

# vg_verdict() - Check a valgrind log: no errors, nothing left allocated
# $1:	Name of the check
# $2:	Log file
vg_verdict() {
	local errs

	errs=$(sed -n 's/.*ERROR SUMMARY: \([0-9]*\) errors.*/\1/p' "$2")
	if [ "${errs}" = 0 ]; then
		pass "$1_no_errors"
	else
		fail "$1_no_errors" "$(grep -v '^==[0-9]*== *$' "$2" | \
				       tail -40 | tr '\n' ' ')"
	fi
	if grep -q "All heap blocks were freed\|in use at exit: 0 bytes" "$2"
	then
		pass "$1_nothing_leaked"
	else
		fail "$1_nothing_leaked" "$(grep -A3 'HEAP SUMMARY' "$2" | \
					    tr '\n' ' ')"
	fi
}

# vg_exit() - Stop a process under valgrind, wait for its report
# $1:	PID
# $2:	Log file
vg_exit() {
	kill "$1" 2>/dev/null
	wait_for 60 grep -q "ERROR SUMMARY" "$2"
}

if ! tb_setup; then
	fail valgrind_testbed "could not build the test bed"
	exit 1
fi
make_files
bg out ${UDP_TOOL} echoserver 9000 203.0.113.1 2001:db8:1::1
wait_for 5 sh -c "ip netns exec ${NS_OUT} ss -Huln sport = :9000 | grep -q ."

# 1. passt, a guest on the tap bridge
PASST="${VG_BIN}"
if PASST_WAIT=60 PASST_WRAP="$(vg_cmd "${TMP}/vg-passt.log")" \
   tb_guest -t 5100 -u 5101; then
	pass valgrind_passt_starts
	tcp_xfer valgrind_passt_tcp_guest_to_remote out 0.0.0.0 6001 \
		 gst 203.0.113.1 6001 "${TMP}/f64m"
	tcp_pull valgrind_passt_tcp_remote_to_guest out :: 6002 \
		 gst 2001:db8:1::1 6002 "${TMP}/f64m"
	tcp_xfer valgrind_passt_tcp_host_to_guest_forward gst 0.0.0.0 5100 \
		 hst 127.0.0.1 5100 "${TMP}/f64k"
	for remote in 203.0.113.1 2001:db8:1::1; do
		expect_eq "valgrind_passt_udp_${remote}" \
			  "$(in_gst ${UDP_TOOL} echo "${remote}" 9000 1400 20)" \
			  "ECHO 20/20"
		check "valgrind_passt_ping_${remote}" in_gst sh -c \
		      "ping -c 2 -i 0.2 -W 5 ${remote} >/dev/null"
	done
	alive "${PASST_PID}"
	expect_eq valgrind_passt_alive_after_traffic $? 0
	vg_exit "${PASST_PID}" "${TMP}/vg-passt.log"
	vg_verdict valgrind_passt "${TMP}/vg-passt.log"
else
	fail valgrind_passt_starts "$(tail -20 "${TMP}/vg-passt.log" | \
				     tr '\n' ' ')"
fi

# 2. pasta, in the foreground, attached to a namespace
NS_PST="pt-pst-${TB_ID}"
ip netns add "${NS_PST}"
at_exit "ip netns del ${NS_PST}"
ln -s "${VG_BIN}" "${TMP}/pasta"
# shellcheck disable=SC2046
ip netns exec "${NS_HST}" $(vg_cmd "${TMP}/vg-pasta.log") "${TMP}/pasta" \
	-f -d --config-net --netns "${NS_PST}" -t 8080 -T 9090 -u 5353 \
	> "${TMP}/pasta.log" 2>&1 &
VG_PID=$!
at_exit "kill ${VG_PID}"
if wait_for 60 sh -c "ip -n ${NS_PST} addr show | grep -q 192.0.2.2"; then
	pass valgrind_pasta_starts
	tcp_xfer valgrind_pasta_tcp_ns_to_remote out 0.0.0.0 6001 \
		 pst 203.0.113.1 6001 "${TMP}/f64m"
	tcp_pull valgrind_pasta_tcp_remote_to_ns out :: 6002 \
		 pst 2001:db8:1::1 6002 "${TMP}/f64m"
	tcp_xfer valgrind_pasta_tcp_host_to_ns_spliced pst 127.0.0.1 8080 \
		 hst 127.0.0.1 8080 "${TMP}/f64m"
	tcp_xfer valgrind_pasta_tcp_ns_to_host_spliced hst ::1 9090 \
		 pst ::1 9090 "${TMP}/f64k"
	bg pst ${UDP_TOOL} echoserver 5353 127.0.0.1 ::1
	wait_for 5 sh -c "ip netns exec ${NS_PST} ss -Huln sport = :5353 | \
			  grep -q ."
	expect_eq valgrind_pasta_udp_host_to_ns_spliced \
		  "$(in_hst ${UDP_TOOL} echo 127.0.0.1 5353 1000 20)" \
		  "ECHO 20/20"
	expect_eq valgrind_pasta_udp_ns_to_remote \
		  "$(ip netns exec "${NS_PST}" ${UDP_TOOL} echo 203.0.113.1 \
		     9000 1400 20)" "ECHO 20/20"
	check valgrind_pasta_ping ip netns exec "${NS_PST}" sh -c \
	      "ping -c 2 -i 0.2 -W 5 203.0.113.1 >/dev/null"
	alive "${VG_PID}"
	expect_eq valgrind_pasta_alive_after_traffic $? 0
	vg_exit "${VG_PID}" "${TMP}/vg-pasta.log"
	vg_verdict valgrind_pasta "${TMP}/vg-pasta.log"
	if [ -n "${VG_KEEP:-}" ]; then
		cp "${TMP}/vg-pasta.log" "${TMP}/pasta.log" "${VG_KEEP}/"
	fi
else
	fail valgrind_pasta_starts "$(cat "${TMP}/vg-pasta.log" \
				      "${TMP}/pasta.log" | tail -n 30 | tr '\n' ' ')"
fi
