#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# passt - user-mode networking for virtual machines and namespaces
#
# test/25_frames.sh - Frame-level checks, with test/frames.py as the guest:
# ARP, NDP, DHCP, DHCPv6, ICMP echo, UDP to a remote echo server from odd
# offsets of the stream, and the framing of the stream, against passt in the
# test namespace with three sets of options, then --one-off

. "$(dirname "$0")/lib.sh"

PYTHON=/usr/bin/python3
FRAMES="${TOP}/test/frames.py"

if [ ! -x "${PYTHON}" ]; then
	skip frames "no ${PYTHON}"
	exit 0
fi

# label() - A DNS label made of one character repeated
# $1:	Character
# $2:	Length
label() {
	printf "%${2}s" "" | tr ' ' "$1"
}

# running() - Tell if a child process runs (a zombie doesn't)
# $1:	PID
running() {
	local state

	state=$(awk '{ print $3 }' "/proc/$1/stat" 2>/dev/null)
	[ -n "${state}" ] && [ "${state}" != "Z" ]
}

# passt_start() - Start passt in the host namespace, wait for its socket
# $1:	Tag, prefix of the names of the checks
# $@:	Options
# Sets PID, LOG, SOCK, and MAC and LL (our MAC and link-local address) from
# the log
passt_start() {
	local tag="$1"
	shift

	SOCK="${TMP}/${tag}sock"
	LOG="${TMP}/${tag}log"
	# Not with in_hst(): a function in the background runs in a subshell,
	# and $! would be that subshell, not passt, which would outlive a kill
	ip netns exec "${NS_HST}" "${PASST}" -f -d -s "${SOCK}" "$@" \
		> "${LOG}" 2>&1 &
	PID=$!
	at_exit "kill ${PID}"
	if ! wait_for 5 test -S "${SOCK}"; then
		fail "${tag}passt_start" "no socket: $(tail -3 "${LOG}")"
		return 1
	fi
	MAC=$(awk '/MAC address:/ { print $NF; exit }' "${LOG}")
	LL=$(awk '/IPv6 router link-local:/ { print $NF; exit }' "${LOG}")
}

# frames() - Run frames.py against the passt started last
# $1:	Tag, prefix of the names of the checks
# $@:	Options of frames.py
frames() {
	local tag="$1"
	shift

	"${PYTHON}" "${FRAMES}" --sock "${SOCK}" --passt-mac "${MAC}" \
		--router-ll "${LL}" --tag "${tag}" "$@"
}

# passt_stop() - Check that passt is still alive, then stop it
# $1:	Tag, prefix of the names of the checks
passt_stop() {
	if running "${PID}"; then
		pass "${1}passt_alive"
	else
		fail "${1}passt_alive" "passt exited: $(tail -3 "${LOG}")"
	fi
	kill "${PID}" 2>/dev/null
	wait "${PID}" 2>/dev/null
}

if ! tb_setup; then
	fail frames_testbed "could not build the test namespaces"
	exit 1
fi

# Six domains, long enough that option 119 needs compression and more than
# one option, with tails shared in several ways: a name that's all pointer,
# labels followed by pointers into the middle of earlier names
SEARCH="$(label a 50).deep.example.test $(label b 50).deep.example.test"
SEARCH="${SEARCH} $(label c 60).lab.test $(label d 60).lab.test"
SEARCH="${SEARCH} deep.example.test $(label e 60).example.test"

# A UDP echo server on the remote addresses, for the split group
ECHO_PORT=7007
ip netns exec "${NS_OUT}" "${PYTHON}" - "${ECHO_PORT}" <<'PYEOF' &
import select, socket, sys
port = int(sys.argv[1])
socks = []
for af, addr in ((socket.AF_INET, '203.0.113.1'),
                 (socket.AF_INET6, '2001:db8:1::1')):
    s = socket.socket(af, socket.SOCK_DGRAM)
    s.bind((addr, port))
    socks.append(s)
while True:
    for s in select.select(socks, [], [])[0]:
        data, peer = s.recvfrom(65535)
        s.sendto(data, peer)
PYEOF
at_exit "kill $!"

start=$(date +%s.%N)

# Everything, with host name, FQDN and the long search list
if passt_start "" -H guest1 --fqdn guest1.example.test -S "${SEARCH}"; then
	frames "" --hostname guest1 --fqdn guest1.example.test \
		--search "${SEARCH// /,}" \
		--remote4 203.0.113.1 --remote6 2001:db8:1::1 \
		--echo-port "${ECHO_PORT}"
	passt_stop ""
	n=$(grep -c "Framing error" "${LOG}")
	check frames_log_framing_errors test "${n}" -ge 6
	check frames_log_second_client \
		grep -q "Refusing a second guest connection" "${LOG}"
fi

# MTU 1500 (no DHCP option 26), no DHCPv6 (RA without M and O), our MAC
# address set, search list from resolv.conf (short, compressed)
if passt_start mtu1500_ -m 1500 --no-dhcpv6 -M 02:00:00:aa:bb:cc; then
	expect_eq mtu1500_mac_option "${MAC}" "02:00:00:aa:bb:cc"
	frames mtu1500_ --mtu 1500 --no-dhcpv6 \
		--groups arp,ndp,dhcp,dhcpv6,icmp
	passt_stop mtu1500_
fi

# No name servers or search domains advertised anywhere
if passt_start nodns_ -S none --no-dhcp-dns; then
	frames nodns_ --dns4 "" --dns6 "" --search "" --groups ndp,dhcp,dhcpv6
	passt_stop nodns_
fi

# With --one-off, passt serves one guest, and exits with it
if passt_start oneoff_ --one-off; then
	frames oneoff_ --groups arp
	if wait_for 3 eval '! running "${PID}"'; then
		wait "${PID}"
		expect_eq oneoff_exit_status_after_guest_left $? 0
	else
		fail oneoff_exit_after_guest_left "passt still running"
		kill "${PID}"
	fi
fi

# -F: an already connected socket, as a parent process would pass it
out=$(ip netns exec "${NS_HST}" python3 - "${PASST}" <<'PYEOF'
import socket, struct, subprocess, sys
a, b = socket.socketpair()
p = subprocess.Popen([sys.argv[1], '-f', '-F', str(b.fileno())],
                     pass_fds=[b.fileno()], stdout=subprocess.DEVNULL,
                     stderr=subprocess.DEVNULL)
b.close()
mac = bytes.fromhex('525400123456')
arp = (b'\xff' * 6 + mac + b'\x08\x06' +
       struct.pack('!HHBBH', 1, 0x0800, 6, 4, 1) + mac +
       socket.inet_aton('192.0.2.2') + b'\0' * 6 +
       socket.inet_aton('192.0.2.1'))
a.sendall(struct.pack('!I', len(arp)) + arp)
a.settimeout(5)
got = False
buf = b''
try:
    while not got:
        buf += a.recv(65536)
        while len(buf) >= 4:
            n = struct.unpack('!I', buf[:4])[0]
            if len(buf) < 4 + n:
                break
            f, buf = buf[4:4 + n], buf[4 + n:]
            if f[12:14] == b'\x08\x06' and f[20:22] == b'\x00\x02':
                got = True
except socket.timeout:
    pass
a.close()
try:
    rc = p.wait(timeout=5)
except subprocess.TimeoutExpired:
    p.kill()
    rc = 'running'
print('ARP-REPLY' if got else 'NO-REPLY', rc)
PYEOF
)
expect_eq fd_option_serves_and_exits_with_guest "${out}" "ARP-REPLY 0"

end=$(date +%s.%N)
echo "# frames: $(awk -v s="${start}" -v e="${end}" \
	'BEGIN { printf "%.1f", e - s }') s"
