#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# selftest.sh - prove that the qemu guest kit works, without passt: boot two
# guests whose virtio-net devices are joined by qemu's "-netdev stream" over
# a UNIX domain socket. Guest A is a DHCP server (busybox udhcpd) on
# 192.0.2.10; guest B gets 192.0.2.11 with udhcpc (through the event script
# of the kit), pings A over IPv4 and IPv6, feeds the DHCPv6 event script by
# hand, and reports to A over TCP. Only documentation addresses are used,
# and no traffic leaves the two guests.
#
# Prints "PASS guest_selftest" or "FAIL guest_selftest: REASON", exits 0 or 1.
# GUEST_KEEP=1 keeps the work directory (logs) in any case.

set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source-path=SCRIPTDIR source=run.sh
. "$HERE/run.sh"

now_ms() {
	echo $(( $(date +%s%N) / 1000000 ))
}

secs() {
	printf '%d.%01d' $(($1 / 1000)) $(($1 % 1000 / 100))
}

t0=$(now_ms)
work=$(mktemp -d "${TMPDIR:-/tmp}/guest-selftest.XXXXXX")
pid_a=
pid_b=

cleanup() {
	local p

	for p in $pid_a $pid_b; do
		kill "$p" 2>/dev/null || true
		wait "$p" 2>/dev/null || true
	done
	if [ "${GUEST_KEEP:-0}" = 1 ]; then
		echo "# logs kept in $work" >&2
	else
		rm -rf "$work"
	fi
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

fail() {
	local f

	echo "FAIL guest_selftest: $*"
	for f in "$work/a.log" "$work/b.log"; do
		[ -f "$f" ] || continue
		echo "# --- last lines of $(basename "$f"):" >&2
		tail -n 25 "$f" | sed 's/^/# /' >&2
	done
	exit 1
}

# Guest A: static address, DHCP server, waits for B's report over TCP
cat > "$work/a.sh" <<'GUEST'
ip addr add 192.0.2.10/24 dev eth0 || exit 1
# No duplicate address detection (busybox ip has no "nodad")
echo 0 > /proc/sys/net/ipv6/conf/eth0/accept_dad
ip -6 addr add 2001:db8::10/64 dev eth0 || exit 1
cat > /etc/udhcpd.conf <<CONF
interface eth0
start 192.0.2.11
end 192.0.2.11
max_leases 1
lease_file /run/udhcpd.leases
pidfile /run/udhcpd.pid
option subnet 255.255.255.0
option router 192.0.2.10
option dns 192.0.2.53 192.0.2.54
option domain guest.example
option mtu 1400
option lease 600
CONF
touch /run/udhcpd.leases
udhcpd -f /etc/udhcpd.conf &
echo "A-SERVER-READY"
msg=$(timeout 100 nc -l -p 7777)
echo "A-GOT $msg"
kill %1 2>/dev/null
[ "$msg" = "HELLO-FROM-B" ]
GUEST

# Guest B: DHCP client, pings, DHCPv6 script by hand, report to A
cat > "$work/b.sh" <<'GUEST'
fail() {
	echo "B-FAIL $*"
	exit 1
}
udhcpc -i eth0 -f -q -n -t 30 -T 1 -A 1 || fail udhcpc
ip -4 addr show dev eth0 | grep -q 'inet 192.0.2.11/24' || fail address
ip route | grep -q 'default via 192.0.2.10' || fail route
grep -q 'nameserver 192.0.2.54' /etc/resolv.conf || fail resolv.conf
[ "$(cat /sys/class/net/eth0/mtu)" = 1400 ] || fail mtu
ping -c 3 -i 0.2 -W 5 192.0.2.10 || fail ping
echo "PING-OK"
echo 0 > /proc/sys/net/ipv6/conf/eth0/accept_dad
ip -6 addr add 2001:db8::11/64 dev eth0 || fail ipv6 address
ping6 -c 3 -i 0.2 -W 5 2001:db8::10 || fail ping6
echo "PING6-OK"
interface=eth0 ipv6=2001:db8::12 dns=2001:db8::53 search=guest.example \
	/usr/share/udhcpc/default6.script bound
ip -6 addr show dev eth0 | grep -q 'inet6 2001:db8::12/128' ||
	fail dhcp6 script
echo "HELLO-FROM-B" | nc 192.0.2.10 7777 || fail nc
echo "B-DONE"
GUEST

sock=$work/l2.sock
net() {
	echo "-netdev stream,id=n0,server=$1,addr.type=unix,addr.path=$sock"
	echo "-device virtio-net-pci,netdev=n0,mac=$2"
}

# Build the initramfs now, so that the boot times below don't include it
guest_base || fail "can't build the initramfs"

t_start=$(now_ms)
# shellcheck disable=SC2046 # word splitting of net() wanted
guest_start "$work/a.sh" "$work/a.log" 120 -- $(net on 52:54:00:00:02:0a)
pid_a=$GUEST_PID

# qemu creates the listening socket before the guest starts: wait for it
for _ in $(seq 100); do
	[ -S "$sock" ] && break
	kill -0 "$pid_a" 2>/dev/null || break
	sleep 0.1
done
[ -S "$sock" ] || fail "guest A (qemu) didn't create $sock"

# shellcheck disable=SC2046
guest_start "$work/b.sh" "$work/b.log" 120 -- $(net off 52:54:00:00:02:0b)
pid_b=$GUEST_PID

ready_a=
ready_b=
while kill -0 "$pid_a" 2>/dev/null || kill -0 "$pid_b" 2>/dev/null; do
	[ -z "$ready_a" ] && grep -q '^GUEST-READY' "$work/a.log" 2>/dev/null &&
		ready_a=$(( $(now_ms) - t_start ))
	[ -z "$ready_b" ] && grep -q '^GUEST-READY' "$work/b.log" 2>/dev/null &&
		ready_b=$(( $(now_ms) - t_start ))
	sleep 0.05
done

rc_a=0
wait "$pid_a" || rc_a=$?
pid_a=
rc_b=0
wait "$pid_b" || rc_b=$?
pid_b=

[ $rc_a -ne 124 ] || fail "guest A timed out"
[ $rc_b -ne 124 ] || fail "guest B timed out"
[ $rc_a -eq 0 ] || fail "qemu for guest A exited with $rc_a"
[ $rc_b -eq 0 ] || fail "qemu for guest B exited with $rc_b"

for m in GUEST-READY PING-OK PING6-OK B-DONE 'GUEST-EXIT 0' \
	 'DHCP deconfig end' 'DHCP bound ip=192.0.2.11' 'DHCP bound mask=24' \
	 'DHCP bound subnet=255.255.255.0' 'DHCP bound router=192.0.2.10' \
	 'DHCP bound dns=192.0.2.53 192.0.2.54' \
	 'DHCP bound domain=guest.example' 'DHCP bound mtu=1400' \
	 'DHCP bound lease=600' 'DHCP bound serverid=192.0.2.10' \
	 'DHCP bound end' 'DHCP6 bound ipv6=2001:db8::12' \
	 'DHCP6 bound dns=2001:db8::53' 'DHCP6 bound end'; do
	grep -qxF "$m" "$work/b.log" || fail "guest B: no '$m' line"
done
for m in GUEST-READY A-SERVER-READY 'A-GOT HELLO-FROM-B' 'GUEST-EXIT 0'; do
	grep -qxF "$m" "$work/a.log" || fail "guest A: no '$m' line"
done

echo "# boot to GUEST-READY: A $(secs "${ready_a:-0}") s," \
     "B $(secs "${ready_b:-0}") s" \
     "(two TCG guests at once), total $(secs $(( $(now_ms) - t0 ))) s"
echo "PASS guest_selftest"
