#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# passt - user-mode networking for virtual machines and namespaces
#
# test/21_vhost_user.sh - passt as a vhost-user back end: a real qemu guest
# on libvirt's (and KubeVirt's) command line, with DHCP, ping, a DNS lookup,
# a download and an upload compared by SHA-256, and an inbound forward;
# cuttlefish's command line; --print-capabilities; a hostile front end

. "$(dirname "$0")/lib.sh"
. "${TOP}/test/guest/run.sh"

if ! command -v qemu-system-x86_64 >/dev/null; then
	skip vhost_user_guest "qemu-system-x86_64 not installed"
	exit 0
fi
if ! tb_setup || ! tb_user; then
	fail vhost_user_testbed "could not build the test namespaces"
	exit 1
fi

# vu_qemu_args() - qemu's arguments for a vhost-user device on a socket
# $1:	Socket path
vu_qemu_args() {
	VU_ARGS=(-object memory-backend-memfd,id=mem0,size=256M,share=on
		 -numa node,memdev=mem0
		 -chardev "socket,id=chr0,path=$1"
		 -netdev vhost-user,id=n0,chardev=chr0
		 -device virtio-net-pci,netdev=n0,mac=52:54:00:12:34:56,vectors=0)
}

# 0. The capabilities, as the vhost-user specification wants them
out=$("${PASST}" --print-capabilities)
rc=$?
expect_eq vhost_user_print_capabilities "${rc} $(echo ${out})" \
	  '0 { "type": "net" }'

# Servers in the network namespace: HTTP, DNS, a sink for the upload
head -c $((4 * 1024 * 1024)) /dev/urandom > "${TMP}/f4m"
mkdir -p "${TMP}/www" && cp "${TMP}/f4m" "${TMP}/www/f4m"
bg out busybox httpd -f -p 203.0.113.1:8000 -h "${TMP}/www"
dns_ok=0
if command -v dnsmasq >/dev/null; then
	bg out dnsmasq -k -C /dev/null -u root --no-resolv --no-hosts \
		--bind-interfaces --listen-address=192.0.2.1 --port 53 \
		--pid-file="${TMP}/dnsmasq.pid" \
		--address=/www.example.test/203.0.113.5
	dns_ok=1
fi
bg out socat -u TCP4-LISTEN:7000,bind=203.0.113.1,reuseaddr \
	"OPEN:${TMP}/upload,creat,trunc"
# Datagrams of 60004 bytes from the guest's kernel (TFTP blocks of 60000,
# RFC 2348): their payload goes from the guest's buffers to the socket, in
# the pieces its virtio-net driver gave
bg out python3 "${TOP}/test/udp_tool.py" tftpsink 6969 "${TMP}/tftp.up"
wait_listen out 8000
wait_listen out 7000
wait_bound_udp out 6969

cat > "${TMP}/guest.sh" <<'EOF'
udhcpc -i eth0 -q -n -t 5 -T 1 2>&1
ping -c 2 -W 2 203.0.113.1 >/dev/null && echo PING4-OK
echo "DNS $(nslookup www.example.test 2>/dev/null | \
	    sed -n 's/^Address: *\(203[^ ]*\).*/\1/p' | head -1)"
wget -q -O /f4m http://203.0.113.1:8000/f4m && \
	echo "DOWNLOAD $(sha256sum /f4m | cut -d' ' -f1)"
nc 203.0.113.1 7000 < /f4m && echo UPLOAD-SENT
tftp -b 60000 -p -l /f4m -r up 203.0.113.1 6969 && echo TFTP-SENT
mkdir -p /www && cp /f4m /www/in
httpd -p 2222 -h /www && echo HTTPD-READY
nc -l -p 2223 > /dev/null
EOF

# 1. libvirt's and KubeVirt's command line: a daemon, one guest, then exit.
# Forwarding all ports takes some 75000 sockets: with a lower limit of open
# files, the ports up to a few thousands are (the guest's servers use 2222
# and 2223)
sock="${TMP}/vu.sock"
in_hst "${PASST}" --vhost-user --one-off --socket "${sock}" \
	--pid "${TMP}/passt.pid" --interface eth0 --log-file "${TMP}/vu.log" \
	--tcp-ports all --udp-ports all 2>/dev/null
expect_eq vhost_user_libvirt_cmdline_starts $? 0
dpid=$(cat "${TMP}/passt.pid" 2>/dev/null)
at_exit "kill ${dpid}"

vu_qemu_args "${sock}"
guest_start "${TMP}/guest.sh" "${TMP}/guest.log" 120 -- "${VU_ARGS[@]}"
gpid=${GUEST_PID}
if guest_wait_for "${TMP}/guest.log" HTTPD-READY 90 "${gpid}"; then
	got=$(in_out wget -q -O - http://192.0.2.2:2222/in | sha256sum |
	      cut -d' ' -f1)
	expect_eq vhost_user_inbound_forward_sha256 "${got}" \
		  "$(sha256sum "${TMP}/f4m" | cut -d' ' -f1)"
else
	fail vhost_user_inbound_forward_sha256 "the guest never got there"
fi
echo done | in_out socat -u - TCP4:192.0.2.2:2223 2>/dev/null
wait "${gpid}"

g="${TMP}/guest.log"
sum=$(sha256sum "${TMP}/f4m" | cut -d' ' -f1)
guest_has vhost_user_dhcp_address	"$g" "DHCP bound ip=192.0.2.2"
guest_has vhost_user_dhcp_router	"$g" "DHCP bound router=192.0.2.1"
guest_has vhost_user_dhcp_dns		"$g" "DHCP bound dns=192.0.2.1"
guest_has vhost_user_ping		"$g" "PING4-OK"
if [ "${dns_ok}" = 1 ]; then
	guest_has vhost_user_dns_lookup	"$g" "DNS 203.0.113.5"
else
	skip vhost_user_dns_lookup "dnsmasq not installed"
fi
guest_has vhost_user_download_sha256	"$g" "DOWNLOAD ${sum}"
wait_for 5 cmp -s "${TMP}/f4m" "${TMP}/upload"
if cmp -s "${TMP}/f4m" "${TMP}/upload"; then
	pass vhost_user_upload_sha256
else
	fail vhost_user_upload_sha256 \
	     "$(stat -c %s "${TMP}/upload" 2>/dev/null) bytes arrived"
fi
if cmp -s "${TMP}/f4m" "${TMP}/tftp.up"; then
	pass vhost_user_udp_upload_60000_byte_datagrams
else
	fail vhost_user_udp_upload_60000_byte_datagrams \
	     "$(stat -c %s "${TMP}/tftp.up" 2>/dev/null) bytes arrived;" \
	     "$(grep TFTP "${TMP}/guest.log")"
fi
if wait_for 5 sh -c "! kill -0 ${dpid} 2>/dev/null"; then
	pass vhost_user_one_off_exits_after_guest
else
	fail vhost_user_one_off_exits_after_guest "PID ${dpid} still running"
fi
if head -1 "${TMP}/vu.log" | grep -q "^passt .*, PID ${dpid}$" &&
   grep -q "vhost-user: guest ready" "${TMP}/vu.log"; then
	pass vhost_user_log_file
else
	fail vhost_user_log_file "$(head -3 "${TMP}/vu.log")"
fi

# With a low limit, forwarding "all" stops short, but passt starts
out=$(in_hst prlimit --nofile=4096:4096 "${PASST}" --vhost-user -1 \
      -s "${TMP}/low.sock" -P "${TMP}/low.pid" -t all -u all 2>&1)
expect_eq vhost_user_all_ports_low_limit_starts $? 0
kill "$(cat "${TMP}/low.pid" 2>/dev/null)" 2>/dev/null
if grep -q "Not enough descriptors to forward every TCP port" <<< "${out}"
then
	pass vhost_user_all_ports_low_limit_warns
else
	fail vhost_user_all_ports_low_limit_warns "${out}"
fi

# 2. cuttlefish's command line, in the foreground, addresses given
cat > "${TMP}/guest2.sh" <<'EOF'
udhcpc -i eth0 -q -n -t 5 -T 1 2>&1
ping -c 1 -W 2 203.0.113.1 >/dev/null && echo PING4-OK
EOF
sock="${TMP}/cf.sock"
ip netns exec "${NS_HST}" "${PASST}" --vhost-user --foreground -s "${sock}" \
	--repair-path none -4 -a 192.0.2.80 -n 24 -g 192.0.2.1 \
	--map-host-loopback 192.0.2.1 -D 198.51.100.53 \
	> "${TMP}/cf.log" 2>&1 &
cpid=$!
at_exit "kill ${cpid}"
wait_for 5 test -S "${sock}"
vu_qemu_args "${sock}"
guest_run "${TMP}/guest2.sh" "${TMP}/guest2.log" 90 -- "${VU_ARGS[@]}"
g="${TMP}/guest2.log"
guest_has vhost_user_cuttlefish_address	"$g" "DHCP bound ip=192.0.2.80"
guest_has vhost_user_cuttlefish_dns	"$g" "DHCP bound dns=198.51.100.53"
guest_has vhost_user_cuttlefish_ping	"$g" "PING4-OK"
if alive "${cpid}"; then
	pass vhost_user_waits_for_another_front_end
else
	fail vhost_user_waits_for_another_front_end "$(tail -3 "${TMP}/cf.log")"
fi

# 3. A hostile front end, on the same passt: each case closes the
# connection or marks the queue unusable, passt goes on, nothing leaks
n0=$(ls "/proc/${cpid}/fd" | wc -l)
for case in version:CLOSED oversized:CLOSED shortpayload:CLOSED \
	    regions:CLOSED fdcount:CLOSED manyfds:CLOSED ringaddr:CLOSED \
	    queuesize:CLOSED queueindex:CLOSED loop:OPEN outside:OPEN \
	    nextpast:OPEN availjump:OPEN indirect:OPEN rxreadable:OPEN \
	    hugechain:OPEN tinyframe:OPEN shortfile:CLOSED shrink:CLOSED; do
	expect_eq "vhost_user_hostile_${case%%:*}" \
		  "$(timeout 20 python3 "${TOP}/test/vu_hostile.py" \
		     "${sock}" "${case%%:*}" 2>&1 | tail -1)" "${case#*:}"
done
if alive "${cpid}"; then
	pass vhost_user_hostile_front_end_survived
else
	fail vhost_user_hostile_front_end_survived "$(tail -3 "${TMP}/cf.log")"
fi
wait_for 2 sh -c "[ \$(ls /proc/${cpid}/fd | wc -l) -le ${n0} ]"
expect_eq vhost_user_hostile_no_descriptor_leak \
	  "$(ls "/proc/${cpid}/fd" | wc -l)" "${n0}"

# With --one-off, a front end breaking the protocol ends passt
sock="${TMP}/oo.sock"
ip netns exec "${NS_HST}" "${PASST}" --vhost-user -f -1 -s "${sock}" \
	> "${TMP}/oo.log" 2>&1 &
opid=$!
wait_for 5 test -S "${sock}"
timeout 20 python3 "${TOP}/test/vu_hostile.py" "${sock}" version \
	>/dev/null 2>&1
wait_for 5 sh -c "! kill -0 ${opid} 2>/dev/null"
wait "${opid}"
expect_eq vhost_user_one_off_hostile_exits_0 $? 0
