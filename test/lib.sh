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
chmod 755 "${TMP}"
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
	ip -n "${NS_OUT}" route add 2001:db8:2::/48 via 2001:db8::2 2>/dev/null

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
