#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# passt - user-mode networking for virtual machines and namespaces
#
# test/48_multicast.sh - Discovery over multicast between pasta's namespace
# (and passt's guest) and the host's network: mDNS queries both ways over
# IPv4 and IPv6 (IGMPv3 and MLDv2, IGMPv2 and MLDv1), SSDP searches answered
# unicast, a group on a port the guest sends to, the host's membership
# following the guest's joins and leaves, groups of the guest's link alone
# not joined, no echo of the guest's own datagrams, a forwarded port of the
# same number, groups reported again after passt's query, --no-multicast,
# and rootless pasta as podman runs it.
#
# The network side is the "network" namespace, on the host namespace's link:
# link-local groups reach it, and nothing else.

. "$(dirname "$0")/lib.sh"

PASTA="${TMP}/pasta"
ln -s "${PASST}" "${PASTA}"
NS_PST="pt-pst-${TB_ID}"
MT="python3 ${TOP}/test/mcast_tool.py"

need_tools multicast python3
if ! tb_setup; then
	fail multicast_testbed "could not build the test namespaces"
	exit 1
fi

# joined() - Tell if the host joined a group on its uplink
# $1:	Group
joined() {
	ip -n "${NS_HST}" maddr show dev eth0 | grep -qw "$1"
}

# left() - Tell if the host isn't in a group on its uplink
# $1:	Group
left() {
	! joined "$1"
}

# responder() - Start a responder in a namespace, wait until it's joined
# $1:	Namespace role
# $2:	Output file
# $@:	Options of mcast_tool.py responder
responder() {
	local ns out="$2"
	ns=$(ns_of "$1")
	shift 2
	ip netns exec "${ns}" ${MT} responder "$@" > "${out}" 2>&1 &
	wait_for 5 grep -q READY "${out}"
}

# mquery() - Send a query from a namespace, print what came back
# $1:	Namespace role
# $@:	Options of mcast_tool.py query
mquery() {
	local ns
	ns=$(ns_of "$1")
	shift
	ip netns exec "${ns}" timeout 20 ${MT} query "$@" 2>&1
}

# pasta_up() - Start pasta on a new namespace, as the host's root
# $1:	Log file
# $2:	Ports forwarded to the namespace over UDP (-u)
# $@:	Extra options
pasta_up() {
	local log="$1" udp="$2"
	shift 2
	ip netns add "${NS_PST}"
	ip netns exec "${NS_HST}" "${PASTA}" --config-net --netns "${NS_PST}" \
		-t none -u "${udp}" -T none -U none -P "${TMP}/pasta.pid" \
		-l "${log}" "$@"
}

# pasta_down() - Stop it, remove the namespace
pasta_down() {
	kill "$(cat "${TMP}/pasta.pid")" 2>/dev/null
	wait_for 5 sh -c "! kill -0 $(cat "${TMP}/pasta.pid") 2>/dev/null"
	ip netns del "${NS_PST}"
}

# both_ways() - mDNS-style exchanges both ways between a namespace and the
# network, and the membership on the host along them
# $1:	Prefix of check names
# $2:	Namespace role (pst, gst)
# $3:	Its interface
# $4:	4 or 6
both_ways() {
	local p="$1" role="$2" ifn="$3" group=224.0.0.251 r out
	[ "$4" = 6 ] && group=ff02::fb
	out="${TMP}/${p}.resp"

	# The namespace asks, a responder on the network answers to the
	# group: the querier joined it first, as mDNS queriers do
	responder out "${out}" --group "${group}" --port 5353 \
		--ifname veth-o --name net
	r=$(mquery "${role}" --group "${group}" --port 5353 --ifname "${ifn}" \
		--sport 5353 --join --delay 1 --tag "${p}q" --wait 2)
	check "${p}_answer_reaches_ns" \
		grep -q "^RCV A ${p}q net FROM " <<< "${r}"
	if [ "$4" = 4 ]; then
		expect_eq "${p}_query_from_host_address" \
			  "$(grep -o "GOT Q ${p}q FROM [^ ]* [0-9]*" "${out}")" \
			  "GOT Q ${p}q FROM 192.0.2.2 5353"
	else
		check "${p}_query_from_host_link_local" \
			grep -q "^GOT Q ${p}q FROM fe80::" "${out}"
	fi
	# Its own query doesn't come back to it (the host loops it back)
	expect_eq "${p}_no_echo" "$(grep -c "^RCV Q" <<< "${r}")" 0
	wait_for 3 left "${group}"
	check "${p}_left_after_querier" left "${group}"

	# A responder in the namespace: the host joins for it, the network's
	# query reaches it, its answer reaches the network
	responder "${role}" "${out}" --group "${group}" --port 5353 \
		--ifname "${ifn}" --name ns
	check "${p}_host_joined" wait_for 5 joined "${group}"
	r=$(mquery out --group "${group}" --port 5353 --ifname veth-o \
		--sport 5353 --join --tag "${p}r" --wait 2)
	check "${p}_query_reaches_ns" grep -q "^GOT Q ${p}r FROM " "${out}"
	if [ "$4" = 4 ]; then
		expect_eq "${p}_answer_from_host_address" \
			  "$(grep "^RCV A ${p}r" <<< "${r}")" \
			  "RCV A ${p}r ns FROM 192.0.2.2 5353"
	else
		check "${p}_answer_reaches_network" \
			grep -q "^RCV A ${p}r ns FROM fe80::" <<< "${r}"
	fi
	# The responder answered and exited: its kernel left, so do we
	check "${p}_host_left" wait_for 5 left "${group}"
}

# 1. pasta, root on the host namespace
pasta_up "${TMP}/pasta1.log" none
expect_eq multicast_pasta_starts $? 0
at_exit "kill \$(cat ${TMP}/pasta.pid) 2>/dev/null"

both_ways mc_pasta4 pst eth0 4
both_ways mc_pasta6 pst eth0 6

# The same with IGMPv2 and MLDv1, as older guests and some embedded stacks
# speak: reports to the group, leave and done messages
ip netns exec "${NS_PST}" sysctl -qw net.ipv4.conf.eth0.force_igmp_version=2 \
	net.ipv6.conf.eth0.force_mld_version=1
both_ways mc_pasta_igmp2 pst eth0 4
both_ways mc_pasta_mld1 pst eth0 6
ip netns exec "${NS_PST}" sysctl -qw net.ipv4.conf.eth0.force_igmp_version=0 \
	net.ipv6.conf.eth0.force_mld_version=0

# SSDP: a search from any port, answered unicast, to it
for f in 4 6; do
	group=239.255.255.250
	[ "${f}" = 6 ] && group=ff02::c
	responder out "${TMP}/ssdp${f}" --group "${group}" --port 1900 \
		--ifname veth-o --name ssdp --unicast
	r=$(mquery pst --group "${group}" --port 1900 --ifname eth0 \
		--tag s${f} --ttl 3 --wait 2)
	check "mc_pasta_ssdp${f}_unicast_answer" \
		grep -q "^RCV A s${f} ssdp FROM " <<< "${r}"
	# Sent with the namespace's TTL (hop limit): 3 here, not ours
	check "mc_pasta_ssdp${f}_ttl" \
		grep -q "^GOT Q s${f} FROM .* TTL 3$" "${TMP}/ssdp${f}"
done

# A group of no known protocol: the port the namespace sends to is the one
# it hears the group on
responder out "${TMP}/other" --group 239.1.2.3 --port 5000 --ifname veth-o \
	--name other
r=$(mquery pst --group 239.1.2.3 --port 5000 --ifname eth0 --sport 5000 \
	--join --delay 1 --tag o --wait 2)
check mc_pasta_learned_port grep -q "^RCV A o other FROM 192.0.2.1 5000" \
	<<< "${r}"
check mc_pasta_learned_port_left wait_for 5 left 239.1.2.3

# Groups of the namespace's link alone stay there: routers' and membership
# reports' groups, DHCPv6 agents', interface-local scope; LLMNR's beside them
# is joined
ip netns exec "${NS_PST}" ${MT} member --port 9 --ifname eth0 --life 3 \
	--group 224.0.0.2,224.0.0.22,224.0.0.252 > /dev/null 2>&1 &
ip netns exec "${NS_PST}" ${MT} member --port 9 --ifname eth0 --life 3 \
	--group ff02::2,ff02::16,ff02::1:2,ff01::fb,ff02::1:3 > /dev/null 2>&1 &
check mc_pasta_llmnr_group_joined wait_for 3 joined 224.0.0.252
check mc_pasta_llmnr_group_joined6 wait_for 3 joined ff02::1:3
expect_eq mc_pasta_link_groups_not_joined \
	  "$(grep -cE 'joined (224.0.0.2|224.0.0.22|ff02::2|ff02::16|ff02::1:2|ff01::fb)$' \
	     "${TMP}/pasta1.log")" 0
check mc_pasta_llmnr_groups_left wait_for 5 left 224.0.0.252
# The solicited-node and all-nodes groups of the namespace stay there
expect_eq mc_pasta_no_solicited_node \
	  "$(ip -n "${NS_HST}" maddr show dev eth0 | grep -c 'ff02::1:ff')" \
	  "$(ip -n "${NS_HST}" -6 addr show dev eth0 | grep -c inet6)"
check mc_pasta_logged grep -q "Multicast: the guest joined 224.0.0.251" \
	"${TMP}/pasta1.log"
pasta_down

# 1b. A port forwarded to the namespace (-u) that a group it joined uses too:
# what's sent to the group arrives once, as multicast, not a second time as
# if sent to the forwarded port
pasta_up "${TMP}/pasta1b.log" 0.0.0.0/5353
responder pst "${TMP}/fwd" --group 224.0.0.251 --port 5353 --ifname eth0 \
	--count 2
wait_for 5 joined 224.0.0.251
mquery out --group 224.0.0.251 --port 5353 --ifname veth-o --sport 5353 \
	--tag f --wait 1 > /dev/null
expect_eq mc_forwarded_port_once "$(grep -c "^GOT Q f " "${TMP}/fwd")" 1
pasta_down

# 2. --no-multicast: nothing joined, nothing sent
pasta_up "${TMP}/pasta2.log" none --no-multicast
responder pst "${TMP}/off" --group 224.0.0.251 --port 5353 --ifname eth0
sleep 1
check mc_off_not_joined left 224.0.0.251
responder out "${TMP}/off_out" --group 224.0.0.251 --port 5353 \
	--ifname veth-o
mquery pst --group 224.0.0.251 --port 5353 --ifname eth0 --sport 5353 \
	--tag off --wait 1 > /dev/null
expect_eq mc_off_nothing_sent "$(grep -c "GOT Q off" "${TMP}/off_out")" 0
pasta_down

# 3. passt, with a guest at kernel speed on its socket
if tb_guest; then
	both_ways mc_passt4 gst eth0 4
	both_ways mc_passt6 gst eth0 6
	tb_guest_stop
else
	fail mc_passt_guest "could not start passt and its guest"
fi

# 3b. Groups the guest joined before passt could hear it (passt started, or
# restarted, after the guest): the guest's reports of that time are lost,
# passt's query at connection makes it report them again
(
	wait_for 5 ip -n "pt-gst-${TB_ID}" link show eth0 >/dev/null &&
	wait_for 5 sh -c "ip -n pt-gst-${TB_ID} link show eth0 | grep -q UP" &&
	for g in 224.0.0.251 ff02::fb; do
		ip netns exec "pt-gst-${TB_ID}" ${MT} responder --group "${g}" \
			--port 5353 --ifname eth0 --name early --life 40 \
			> "${TMP}/early.${g}" 2>&1 &
	done
) &
if BRIDGE_OPTS="--late 3000" tb_guest; then
	check mc_late_guest_joined4 wait_for 15 joined 224.0.0.251
	check mc_late_guest_joined6 wait_for 15 joined ff02::fb
	r=$(mquery out --group 224.0.0.251 --port 5353 --ifname veth-o \
		--sport 5353 --join --tag late --wait 2)
	check mc_late_guest_answers grep -q "^RCV A late early FROM " <<< "${r}"
	tb_guest_stop
	check mc_guest_gone_left4 wait_for 5 left 224.0.0.251
	check mc_guest_gone_left6 wait_for 5 left ff02::fb
else
	fail mc_late_guest "could not start passt and its guest"
fi
pkill -f "name early" 2>/dev/null

# 4. The same over vhost-user, both families
if TB_VHOST_USER=1 tb_guest; then
	both_ways mc_vu4 gst eth0 4
	both_ways mc_vu6 gst eth0 6
	tb_guest_stop
else
	fail mc_vu_guest "could not start passt --vhost-user and its guest"
fi

# 5. Rootless pasta, as podman runs it: uid 0 of a user namespace of the
# test user, on the host namespace; the command is the querier, and exits
# once answered
tb_user || { fail mc_rootless_user "no test user"; exit 0; }
mkdir "${TMP}/rl"
cp "${PASST}" "${TMP}/rl/pasta"
chmod 755 "${TMP}/rl" "${TMP}/rl/pasta"
responder out "${TMP}/rl.out" --group 224.0.0.251 --port 5353 --ifname veth-o \
	--name net --count 5
ok=0
for i in 1 2 3 4 5; do
	r=$(ip netns exec "${NS_HST}" timeout 30 runuser -u "${TEST_USER}" -- \
		unshare -Ur "${TMP}/rl/pasta" --config-net -q -- \
		${MT} query --group 224.0.0.251 --port 5353 --ifname eth0 \
		--sport 5353 --join --delay 1 --tag rl${i} --wait 1.5 2>&1)
	if grep -q "^RCV A rl${i} net FROM 192.0.2.1 5353" <<< "${r}"; then
		ok=$((ok + 1))
	else
		echo "rootless run ${i}: ${r}"
	fi
done
expect_eq mc_rootless_answers "${ok}" 5
check mc_rootless_left wait_for 5 left 224.0.0.251
