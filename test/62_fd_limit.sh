#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# passt - user-mode networking for virtual machines and namespaces
#
# test/62_fd_limit.sh - Out of descriptors on a forwarded port: 400 clients
# at once against a limit of 256 descriptors, holding their connections.
# Those beyond the limit are refused within 2 s (none hangs, none gets a
# clean close), pasta or passt doesn't spin meanwhile (CPU time sampled
# over 2 s), and once the first ones close, 20 new connections work. pasta
# through the tap device and spliced, passt; IPv4 and IPv6

. "$(dirname "$0")/lib.sh"

PASTA="${TMP}/pasta"
ln -s "${PASST}" "${PASTA}"
TCP_TOOL="python3 ${TOP}/test/tcp_tool.py"
LIMIT=256
CLIENTS=400

if ! tb_setup; then
	fail fd_limit_testbed "could not build the test namespaces"
	exit 1
fi

# fd_limit_check() - Run the clients, check what they saw
# $1:	Name of the checks
# $2:	Namespace role of the clients
# $3:	Address to connect to
# $4:	PID of pasta or passt
fd_limit_check() {
	local name="$1" out served refused clean hung cpu after

	out=$(ip netns exec "$(ns_of "$2")" ${TCP_TOOL} fdlimit "$3" 10090 \
	      "${CLIENTS}" "$4")
	echo "${name}: ${out}"
	read -r _ served _ refused _ clean _ hung _ cpu _ after <<< "${out}"

	if [ "${refused:-0}" -gt 0 ] && [ "${hung}" = 0 ] &&
	   [ "${clean}" = 0 ] &&
	   [ $((served + refused)) = "${CLIENTS}" ]; then
		pass "${name}_excess_refused_within_2s"
	else
		fail "${name}_excess_refused_within_2s" "${out}"
	fi
	if [ -n "${cpu}" ] && awk -v c="${cpu}" 'BEGIN { exit !(c < 10) }'
	then
		pass "${name}_no_busy_loop"
	else
		fail "${name}_no_busy_loop" "CPU ${cpu:-?}% while held"
	fi
	expect_eq "${name}_20_more_once_closed" "${after}" 20
	if alive "$4"; then
		pass "${name}_stays_up"
	else
		fail "${name}_stays_up" "exited"
	fi
}

# 1. pasta, through the tap device (clients from the network) and spliced
# (clients on the host's loopback)
NS_PST="pt-pst-${TB_ID}"
ip netns add "${NS_PST}"
at_exit "ip netns del ${NS_PST}"
bg pst ${TCP_TOOL} echoserver 10090
wait_listen pst 10090
in_hst prlimit --nofile="${LIMIT}:${LIMIT}" "${PASTA}" --config-net \
	--netns "${NS_PST}" -t 10090 -u none -T none -U none \
	-P "${TMP}/pasta.pid" -l "${TMP}/pasta.log" 2>/dev/null
ppid=$(cat "${TMP}/pasta.pid")
at_exit "kill ${ppid}"
for v in 4 6; do
	tb_addrs "${v}"
	fd_limit_check "fd_limit_pasta_tap${v}" out "${host}" "${ppid}"
	fd_limit_check "fd_limit_pasta_splice${v}" hst "${lo}" "${ppid}"
done
if grep -q "Out of descriptors (limit ${LIMIT}," "${TMP}/pasta.log"; then
	pass fd_limit_pasta_warns_with_the_limit
else
	fail fd_limit_pasta_warns_with_the_limit "$(tail -3 "${TMP}/pasta.log")"
fi
n=$(grep -c "Out of descriptors" "${TMP}/pasta.log")
if [ "${n}" -le 4 ]; then
	pass fd_limit_pasta_warns_once_per_shortage
else
	fail fd_limit_pasta_warns_once_per_shortage "${n} warnings for 4 runs"
fi
kill "${ppid}"

# 2. passt, a forwarded port
if ! PASST_PRLIMIT="${LIMIT}" tb_guest -t 10090; then
	fail fd_limit_passt_guest "could not start passt and the guest"
	exit 1
fi
bg gst ${TCP_TOOL} echoserver 10090
wait_listen gst 10090
for v in 4 6; do
	tb_addrs "${v}"
	fd_limit_check "fd_limit_passt${v}" out "${host}" "${PASST_PID}"
done
tb_guest_stop
