#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# passt - user-mode networking for virtual machines and namespaces
#
# test/10_conf.sh - Command line: help, errors with exit status 1 naming the
# option, and the configuration derived from a test namespace

. "$(dirname "$0")/lib.sh"

# bad() - A command line that must fail with status 1, naming the option
# $1:	Name of the check
# $2:	Text the error message must contain (the option)
# $3:	passt or pasta
# $@:	Arguments
bad() {
	local name="$1" want="$2" mode="$3" out rc
	shift 3

	out=$("${TMP}/${mode}" "$@" 2>&1 </dev/null)
	rc=$?
	if [ ${rc} -ne 1 ]; then
		fail "${name}" "exit status ${rc}, expected 1: ${out}"
	elif ! grep -qF -- "${want}" <<< "${out}"; then
		fail "${name}" "message doesn't name '${want}': ${out}"
	else
		pass "${name}"
	fi
}

ln -s "${PASST}" "${TMP}/passt"
ln -s "${PASST}" "${TMP}/pasta"

# Help and version
out=$("${TMP}/passt" --help); rc=$?
check cli_passt_help test ${rc} -eq 0 -a -n "${out}"
grep -q -- "--socket" <<< "${out}" && ! grep -q -- "--netns" <<< "${out}"
check cli_passt_help_is_passt_usage test $? -eq 0
out=$("${TMP}/pasta" --help); rc=$?
check cli_pasta_help test ${rc} -eq 0 -a -n "${out}"
grep -q -- "--netns" <<< "${out}" && ! grep -q -- "--socket" <<< "${out}"
check cli_pasta_help_is_pasta_usage test $? -eq 0
out=$("${TMP}/passt" -h); check cli_passt_help_short test $? -eq 0
out=$("${TMP}/passt" --version); rc=$?
check cli_version test ${rc} -eq 0 -a "${out%% *}" = passt

# Unknown option, missing argument
bad cli_unknown_option		"bogus"		passt --bogus
bad cli_unknown_short		"-- 'z'"	passt -z
bad cli_missing_argument	"'p'"		passt -p
bad cli_missing_argument_long	"pcap"		passt --pcap

# Ports
bad cli_port_zero		"--tcp-ports"	passt -t 0
bad cli_port_65536		"--tcp-ports"	passt -t 65536
bad cli_port_udp_65536		"--udp-ports"	passt -u 70000
bad cli_port_range_inverted	"--tcp-ports"	passt -t 90-80
bad cli_port_range_mismatched	"--tcp-ports"	passt -t 80-90:100-105
bad cli_port_garbage		"--udp-ports"	passt -u 80x
bad cli_port_all_in_pasta	"--tcp-ports"	pasta -t all
bad cli_port_auto_in_passt	"--tcp-ports"	passt -t auto
bad cli_port_none_then_ports	"--tcp-ports"	passt -t none -t 80
bad cli_port_overlap		"--tcp-ports"	passt -t 80 -t 70-90
bad cli_port_ns_range		"--tcp-ns"	pasta -T 10-5
bad cli_port_ns_udp_zero	"--udp-ns"	pasta -U 0

# Netmask and prefix lengths
bad cli_netmask_non_contiguous	"--netmask"	passt -n 0.255.0.255
bad cli_netmask_prefix_33	"--netmask"	passt -n 33
bad cli_netmask_int_overflow	"--netmask"	passt -n 4294967320
bad cli_netmask_negative	"--netmask"	passt -n -1
bad cli_address_prefix_33	"--address"	passt -a 192.0.2.9/33
bad cli_address6_prefix_129	"--address"	passt -a 2001:db8::9/129
bad cli_address_prefix_overflow	"--address"	passt -a 192.0.2.9/4294967320
bad cli_address_netmask_conflict "--netmask"	passt -a 192.0.2.9/24 -n 16

# Addresses
bad cli_address_malformed	"--address"	passt -a 192.0.2
bad cli_address_garbage		"--address"	passt -a foo
bad cli_address_multicast	"--address"	passt -a 224.0.0.1
bad cli_address_loopback	"--address"	passt -a 127.0.0.1
bad cli_gateway_malformed	"--gateway"	passt -g 192.0.2.300
bad cli_dns_malformed		"--dns"		passt -D 1.2.3.4.5
bad cli_dns_none_and_addr	"--dns"		passt -D none -D 192.0.2.1
bad cli_dns_forward_malformed	"--dns-forward"	passt --dns-forward x
bad cli_outbound_malformed	"--outbound"	passt -o 1::2::3
bad cli_map_host_lo_malformed	"--map-host-loopback" \
					passt --map-host-loopback 1.2
bad cli_search_invalid		"--search"	passt -S 'a..b'
bad cli_hostname_invalid	"--hostname"	passt -H 'a b'

# MAC addresses
bad cli_mac_short		"--mac-addr"	passt -M 52:54:00:12:34
bad cli_mac_not_hex		"--mac-addr"	passt -M 52:54:00:12:34:zz
bad cli_mac_multicast		"--mac-addr"	passt -M 01:00:5e:00:00:01
bad cli_ns_mac_malformed	"--ns-mac-addr"	pasta --ns-mac-addr 1:2:3:4:5:6

# MTU and sizes
bad cli_mtu_too_small		"--mtu"		passt -m 67
bad cli_mtu_too_large		"--mtu"		passt -m 65521
bad cli_mtu_garbage		"--mtu"		passt -m 1500x
bad cli_log_size_small		"--log-size"	passt --log-size 10
bad cli_fd_garbage		"--fd"		passt -F x
bad cli_fd_closed		"--fd"		passt -F 999

# Conflicts
bad cli_ipv4_only_ipv6_only	"--ipv6-only"	passt -4 -6
bad cli_quiet_debug		"--quiet"	passt -q -d
bad cli_no_map_gw_and_map	"--no-map-gw"	passt --no-map-gw \
						      --map-host-loopback 192.0.2.9
bad cli_dhcp_dns_both		"dhcp-dns"	passt --dhcp-dns --no-dhcp-dns
bad cli_ipv4_only_with_ipv6	"--ipv4-only"	passt -4 -a 2001:db8::9

# Options of the other mode
bad cli_socket_in_pasta		"--socket"	pasta -s /tmp/x.sock
bad cli_one_off_in_pasta	"--one-off"	pasta -1
bad cli_fd_in_pasta		"--fd"		pasta -F 0
bad cli_tcp_ns_in_passt		"--tcp-ns"	passt -T 80
bad cli_udp_ns_in_passt		"--udp-ns"	passt -U 80
bad cli_netns_in_passt		"--netns"	passt --netns foo
bad cli_userns_in_passt		"--userns"	passt --userns /proc/1/ns/user
bad cli_config_net_in_passt	"--config-net"	passt --config-net
bad cli_ns_ifname_in_passt	"--ns-ifname"	passt -I tap0
bad cli_splice_only_in_passt	"--splice-only"	passt --splice-only
bad cli_splice_only_no_splice	"--no-splice"	pasta --splice-only --no-splice
bad cli_exit_grace_garbage	"--exit-grace"	passt --exit-grace 1x
bad cli_exit_grace_negative	"--exit-grace"	passt --exit-grace -1
bad cli_exit_grace_too_long	"--exit-grace"	passt --exit-grace 3601
bad cli_exit_grace_4_decimals	"--exit-grace"	passt --exit-grace 0.0001
bad cli_netns_only_in_passt	"--netns-only"	passt --netns-only
bad cli_passt_extra_argument	"extra"		passt extra

# The configuration derived from a namespace
if ! tb_setup; then
	fail conf_testbed "could not build the test namespaces"
	exit 1
fi

# conf_run() - Start passt in the host namespace, capture its configuration
# $@:	Extra options
# Output: in ${TMP}/conf.out
conf_run() {
	rm -f "${TMP}/conf.out" "${TMP}/c.sock"
	ip netns exec "${NS_HST}" "${PASST}" -f -d -s "${TMP}/c.sock" "$@" \
		> "${TMP}/conf.out" 2>&1 &
	local pid=$!
	wait_for 5 grep -q "UDP inbound" "${TMP}/conf.out"
	kill "${pid}" 2>/dev/null
	wait "${pid}" 2>/dev/null
}

# conf_has() - Check that the printed configuration has a line
# $1:	Name of the check
# $2:	Line, without the timestamp
conf_has() {
	if grep -q -- ": $2\$" "${TMP}/conf.out"; then
		pass "$1"
	else
		fail "$1" "no line '$2' in: $(tr '\n' '|' < "${TMP}/conf.out")"
	fi
}

conf_run
mac=$(hst_mac)
conf_has conf_template_if4	"Template interface IPv4: eth0"
conf_has conf_template_if6	"Template interface IPv6: eth0"
conf_has conf_mac_from_host	"MAC address: ${mac}"
conf_has conf_mtu_default	"MTU: 65520"
conf_has conf_addr4_from_host	"IPv4 address: 192.0.2.2/24"
conf_has conf_gw4_from_host	"IPv4 gateway: 192.0.2.1"
conf_has conf_dns4_from_resolv	"IPv4 DNS: 192.0.2.1"
conf_has conf_addr6_from_host	"IPv6 address: 2001:db8::2/64"
conf_has conf_gw6_from_host	"IPv6 gateway: 2001:db8::1"
conf_has conf_dns6_from_resolv	"IPv6 DNS: 2001:db8::1"
conf_has conf_search_from_resolv "DNS search: example.test lab.test"
conf_has conf_fwd_default_none	"TCP inbound: none"

conf_run -a 192.0.2.77 -n 255.255.0.0 -g 192.0.2.254 -D 198.51.100.1 \
	 -S foo.test -M 52:54:00:aa:bb:cc -m 9000 \
	 -t 22,192.0.2.2/80:8080,~25,1000-1010:2000-2010 -u 53
conf_has conf_opt_address	"IPv4 address: 192.0.2.77/16"
conf_has conf_opt_gateway	"IPv4 gateway: 192.0.2.254"
conf_has conf_opt_dns		"IPv4 DNS: 198.51.100.1"
conf_has conf_opt_search	"DNS search: foo.test"
conf_has conf_opt_mac		"MAC address: 52:54:00:aa:bb:cc"
conf_has conf_opt_mtu		"MTU: 9000"
conf_has conf_opt_tcp_ports \
	"TCP inbound: ports 22, 192.0.2.2/80:8080, 1000-1010:2000-2010"
conf_has conf_opt_udp_ports	"UDP inbound: ports 53"

# An option given twice: the last one wins, as with most tools
conf_run -m 1500 -m 9000 -a 192.0.2.5 -a 192.0.2.6 -M 52:54:00:00:00:01 \
	 -M 52:54:00:00:00:02 -S a.test -S b.test -i lo -i eth0 --no-splice
conf_has conf_repeated_mtu_last_wins		"MTU: 9000"
conf_has conf_repeated_address_last_wins	"IPv4 address: 192.0.2.6/24"
conf_has conf_repeated_mac_last_wins		"MAC address: 52:54:00:00:00:02"
conf_has conf_repeated_search_last_wins		"DNS search: b.test"
conf_has conf_repeated_interface_last_wins	"Template interface IPv4: eth0"
conf_has conf_passt_accepts_no_splice		"UDP inbound: none"

# --socket-path is --socket, the last one wins too
rm -f "${TMP}/a.sock" "${TMP}/b.sock"
ip netns exec "${NS_HST}" "${PASST}" -f -s "${TMP}/a.sock" \
	--socket-path "${TMP}/b.sock" > /dev/null 2>&1 &
pid=$!
wait_for 5 test -S "${TMP}/b.sock"
check conf_socket_path_alias test -S "${TMP}/b.sock" -a ! -e "${TMP}/a.sock"
kill "${pid}" 2>/dev/null
wait "${pid}" 2>/dev/null

# A host with its resolver on loopback, like systemd-resolved
cat > "/etc/netns/${NS_HST}/resolv.conf" <<-EOF
	nameserver 127.0.0.53
	options edns0 trust-ad
	search example.test
EOF
conf_run
conf_has conf_loopback_resolver_gw_advertised "IPv4 DNS: 192.0.2.1"
conf_has conf_loopback_resolver_forwarded \
	"IPv4 DNS forward: 192.0.2.1 to 127.0.0.53"
if grep -q "DNS: 127.0.0.53" "${TMP}/conf.out"; then
	fail conf_loopback_resolver_not_advertised "127.0.0.53 advertised"
else
	pass conf_loopback_resolver_not_advertised
fi

# Only IPv6, and a host without IPv4 default route
conf_run -6
if grep -q "IPv4" "${TMP}/conf.out"; then
	fail conf_ipv6_only "IPv4 still configured"
else
	conf_has conf_ipv6_only "IPv6 address: 2001:db8::2/64"
fi
ip -n "${NS_HST}" route del default
conf_run
if grep -q "IPv4 address" "${TMP}/conf.out"; then
	conf_has conf_no_default_route_single_if "Template interface IPv4: eth0"
else
	fail conf_no_default_route_single_if "IPv4 disabled"
fi

# A long forwarding specification: the printed line is cut, nothing overrun
spec=
for p in 10000 10002 10004 10006 10008 10010 10012 10014 10016 10018 10020; do
	spec="${spec}ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff%abcdefghijklmno/"
	spec="${spec}${p}-$((p + 1)):$((p + 10000))-$((p + 10001)),"
done
spec="${spec}30000-30001:40000-40001,30002-30003:40002-40003,"
spec="${spec}ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff%abcdefghijklmno/"
spec="${spec}10022-10023:20022-20023"
conf_run -t "${spec}"
check conf_long_port_spec_printed grep -q "UDP inbound" "${TMP}/conf.out"

# Started as root, passt opens the files named on the command line before it
# becomes nobody: they can be where only root may write
priv="${TMP}/rootonly"
mkdir -m 0700 "${priv}"
rm -f "${TMP}/p.sock"
ip netns exec "${NS_HST}" "${PASST}" -f -s "${TMP}/p.sock" \
	-P "${priv}/first.pid" -P "${priv}/passt.pid" \
	--pcap "${priv}/passt.pcap" -l "${priv}/passt.log" \
	> "${TMP}/priv.out" 2>&1 &
pid=$!
wait_for 5 test -S "${TMP}/p.sock"
expect_eq conf_root_only_dir_pid_file "$(cat "${priv}/passt.pid" 2>/dev/null)" \
	  "${pid}"
check conf_root_only_dir_capture test -s "${priv}/passt.pcap"
check conf_root_only_dir_log test -s "${priv}/passt.log"
check conf_repeated_pid_file_last_wins test ! -e "${priv}/first.pid"
expect_eq conf_log_file_first_line "$(head -1 "${priv}/passt.log")" \
	  "passt $("${PASST}" --version | cut -d' ' -f2), PID ${pid}"
kill "${pid}" 2>/dev/null
wait "${pid}" 2>/dev/null
