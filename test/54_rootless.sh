#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# passt - user-mode networking for virtual machines and namespaces
#
# test/54_rootless.sh - pasta as rootless podman runs it: as root of a user
# namespace made by an unprivileged user, with podman 5's command line, on a
# namespace bound to a file, quitting when that file is unmounted and
# removed. With one user ID mapped (no /etc/subuid entries, unshare -Urm)
# and with a full map of subordinate IDs (newuidmap, as podman does it).
# A container that uploads and exits at once, its namespace file removed
# right behind it: every byte arrives, or the receiver sees a reset; one that
# serves a download through a published port and exits at once, the same.
# pasta killed while a container uploads or serves a download: a reset.
# Urgent data to a published port stays in the stream.
# Also: a command run by root of such a namespace, and --runas in there;
# podman's line with a control socket and pesto; rootlesskit's pasta driver,
# joining its child's namespaces by /proc/PID paths, forwarding what binds on
# the host's loopback (-T auto), and a child that uploads and ends right
# after its last write

. "$(dirname "$0")/lib.sh"

PASTA="${TMP}/pasta"
ln -s "${PASST}" "${PASTA}"
SUBID=300000

if ! tb_setup || ! tb_user; then
	fail rootless_testbed "could not build the test namespaces"
	exit 1
fi

# Subordinate IDs for the test user, as podman's setup would have them
for f in /etc/subuid /etc/subgid; do
	if ! grep -q "^${TEST_USER}:" "${f}" 2>/dev/null; then
		echo "${TEST_USER}:${SUBID}:65536" >> "${f}"
		at_exit "sed -i '/^${TEST_USER}:${SUBID}:65536\$/d' ${f}"
	fi
done
SUBID=$(awk -F: -v u="${TEST_USER}" '$1 == u { print $2 }' /etc/subuid)

# podman_userns() - Run a script as root of a user namespace of the test user
# $1:	single (only the user's ID) or full (subordinate IDs too)
# $2:	Script
podman_userns() {
	local map=(-r)

	[ "$1" = full ] && map=(--map-users="${SUBID},1,65536"
				--map-groups="${SUBID},1,65536" -r)
	in_hst runuser -u "${TEST_USER}" -- unshare "${map[@]}" -m sh -e -c "$2"
}

# podman_pasta() - podman 5's pasta command line, for a script of
# podman_userns()
# $1:	PID file
# $2:	Namespace file
# $3:	Published TCP ports (-t), or none
# $@:	Further options
podman_pasta() {
	local pid="$1" netns="$2" ports="$3"
	shift 3

	echo "${PASTA} --config-net --pid ${pid} --dns-forward 169.254.1.1" \
	     "-t ${ports} -u none -T none -U none --no-map-gw --quiet" \
	     "--netns ${netns} --map-guest-addr 169.254.1.2 $*"
}

# pod_dir() - Make a directory for a container: its namespace file goes in
# ns/, on a tmpfs of the user namespace's own, files beside ns/ stay visible
# from outside; print its path
pod_dir() {
	local d

	d=$(mktemp -d -p "${TMP}")
	mkdir "${d}/ns"
	chmod 777 "${d}" "${d}/ns"
	echo "${d}"
}

# pod_ns() - Script lines that make the namespace file of a container, as
# podman does, for podman_userns()
# $1:	Directory from pod_dir()
pod_ns() {
	echo "mount -t tmpfs none $1/ns; touch $1/ns/ctr;" \
	     "unshare --net=$1/ns/ctr true"
}

# pod_serve() - Script lines for podman_userns(): podman's line on a new
# namespace, a container's command in the background, waiting until it
# listens (if it does), then ${1}/ready; once the command ends, the namespace
# goes, as podman removes it
# $1:	Directory from pod_dir(); the command's PID goes to ${1}/ctr.pid
# $2:	Published TCP ports (-t), or none
# $3:	Command
# $4:	Port the command listens on, 0 if none
pod_serve() {
	echo "$(pod_ns "$1")
		$(podman_pasta "$1/pasta.pid" "$1/ns/ctr" "$2")
		nsenter --net=$1/ns/ctr $3 &
		echo \$! > $1/ctr.pid
		for i in \$(seq 50); do
			[ $4 = 0 ] && break
			nsenter --net=$1/ns/ctr ss -Htln sport = :$4 | \
				grep -q . && break
			sleep 0.1
		done
		touch $1/ready
		wait
		umount -l $1/ns/ctr
		rm $1/ns/ctr"
}

if ! command -v newuidmap >/dev/null; then
	skip rootless_full_map "newuidmap (package uidmap) not installed"
fi

# A server in the network namespace, for transfers from the namespaces
bg out socat -u TCP-LISTEN:10081,reuseaddr,fork OPEN:/dev/null
wait_listen out 10081

for m in single full; do
	[ "${m}" = full ] && ! command -v newuidmap >/dev/null && continue
	d=$(pod_dir)
	podman_userns "${m}" "
		$(pod_ns "${d}")
		$(podman_pasta "${d}/pasta.pid" "${d}/ns/ctr" none)
		echo status \$?
		echo pid \$(cat ${d}/pasta.pid)
		echo uid_map \$(cat /proc/self/uid_map | wc -l)
		nsenter --net=${d}/ns/ctr ip -4 -br addr show eth0 | \
			awk '{ print \"addr\", \$3 }'
		nsenter --net=${d}/ns/ctr ip -4 route show default | \
			awk '{ print \"route\", \$3 }'
		head -c 1048576 /dev/zero | nsenter --net=${d}/ns/ctr \
			socat -u - TCP:203.0.113.1:10081 && echo tcp ok
		umount -l ${d}/ns/ctr
		rm ${d}/ns/ctr
	" > "${TMP}/${m}.out" 2>&1
	sed 's/^/    /' "${TMP}/${m}.out"
	out=$(cat "${TMP}/${m}.out")
	ppid=$(awk '$1 == "pid" { print $2 }' <<< "${out}")
	[ -n "${ppid}" ] && at_exit "kill ${ppid}"

	expect_eq "rootless_${m}_podman_cmdline_status_0" \
		  "$(awk '$1 == "status" { print $2 }' <<< "${out}")" 0
	expect_eq "rootless_${m}_uid_map_lines" \
		  "$(awk '$1 == "uid_map" { print $2 }' <<< "${out}")" \
		  "$([ "${m}" = single ] && echo 1 || echo 2)"
	expect_eq "rootless_${m}_namespace_address" \
		  "$(awk '$1 == "addr" { print $2 }' <<< "${out}")" 192.0.2.2/24
	expect_eq "rootless_${m}_namespace_route" \
		  "$(awk '$1 == "route" { print $2 }' <<< "${out}")" 192.0.2.1
	check "rootless_${m}_tcp_to_remote" grep -q "^tcp ok" \
	      "${TMP}/${m}.out"
	if [ -n "${ppid}" ] && wait_for 3 sh -c "! awk '/^State:/ { \
			if (\$2 != \"Z\") exit 0; exit 1 }' \
			/proc/${ppid}/status 2>/dev/null"; then
		pass "rootless_${m}_quits_when_netns_file_removed"
	else
		fail "rootless_${m}_quits_when_netns_file_removed" \
		     "PID '${ppid}' still running"
	fi

	# A command of its own, in namespaces it creates: the child maps
	# the IDs we have
	out=$(podman_userns "${m}" "${PASTA} --config-net -- sh -c \
		'cat /proc/self/uid_map | wc -l; id -u'" 2>&1)
	expect_eq "rootless_${m}_pasta_runs_command" "$(echo ${out})" \
		  "$([ "${m}" = single ] && echo 1 || echo 2) 0"
done

# --runas works in there too: to root itself with one ID, to another ID of
# the namespace with a full map
out=$(podman_userns single "${PASTA} --runas 0 --config-net -- true; \
	echo \$?" 2>&1)
expect_eq rootless_single_runas_0 "${out##*$'\n'}" 0
if command -v newuidmap >/dev/null; then
	d=$(pod_dir)
	out=$(podman_userns full "
		$(pod_ns "${d}")
		${PASTA} --runas 1000:1000 --config-net -t none -u none \
			-T none -U none --netns ${d}/ns/ctr -P ${d}/pasta.pid
		pid=\$(cat ${d}/pasta.pid)
		awk '\$1 == \"Uid:\" { print \"uid\", \$2 }' /proc/\${pid}/status
		nsenter --net=${d}/ns/ctr ping -c1 -W2 203.0.113.1 >/dev/null && \
			echo ping ok
		kill \${pid}
	" 2>&1)
	sed 's/^/    /' <<< "${out}"
	expect_eq rootless_full_runas_1000 \
		  "$(awk '$1 == "uid" { print $2 }' <<< "${out}")" 1000
	check rootless_full_runas_1000_works grep -q "^ping ok" <<< "${out}"
fi

# podman's rootless-netns line with a control socket, then pesto publishing
# and unpublishing a container port, as podman's pasta port forwarder does
PESTO=${PESTO_BIN:-${TOP}/pesto}
d=$(pod_dir)
out=$(podman_userns single "
	$(pod_ns "${d}")
	$(podman_pasta "${d}/pasta.pid" "${d}/ns/ctr" none -c "${d}/pasta.sock")
	echo status \$?
	nsenter --net=${d}/ns/ctr socat -u TCP-LISTEN:80,reuseaddr \
		OPEN:${d}/rcv,creat,trunc &
	for i in \$(seq 50); do
		nsenter --net=${d}/ns/ctr ss -Htln sport = :80 | grep -q . && break
		sleep 0.1
	done
	${PESTO} -A -t 10093:80 ${d}/pasta.sock && echo add ok
	${PESTO} ${d}/pasta.sock | grep -q '^ *10093:80 *listening' && \
		echo show ok
	echo hello-podman | socat -u - TCP:127.0.0.1:10093
	wait
	echo rcv \$(cat ${d}/rcv)
	${PESTO} -D -t 10093:80 ${d}/pasta.sock && echo del ok
	socat -u /dev/null TCP:127.0.0.1:10093 2>/dev/null || echo refused ok
	kill \$(cat ${d}/pasta.pid)
	umount -l ${d}/ns/ctr
	rm ${d}/ns/ctr
" 2>&1)
sed 's/^/    /' <<< "${out}"
expect_eq rootless_pesto_podman_cmdline_status_0 \
	  "$(awk '$1 == "status" { print $2 }' <<< "${out}")" 0
check rootless_pesto_add grep -q "^add ok" <<< "${out}"
check rootless_pesto_show grep -q "^show ok" <<< "${out}"
expect_eq rootless_pesto_published_port_reaches_container \
	  "$(awk '$1 == "rcv" { print $2 }' <<< "${out}")" hello-podman
check rootless_pesto_delete grep -q "^del ok" <<< "${out}"
check rootless_pesto_unpublished_port_refused grep -q "^refused ok" \
	<<< "${out}"

# A container that uploads a file and exits at once, podman removing its
# namespace right behind it: pasta drains what the namespace's kernel still
# holds, then quits. Each upload arrives whole, with a clean end; one that
# can't be drained within the grace period ends with a reset, never with a
# clean end after a cut.
head -c $((32 * 1024 * 1024)) /dev/urandom > "${TMP}/f32m"
head -c $((1024 * 1024)) /dev/urandom > "${TMP}/f1m"
chmod 644 "${TMP}/f32m" "${TMP}/f1m"

# pod_upload() - podman's line, the container uploads a file and exits, the
# namespace file goes; print the receiver's result and if pasta quit
# $1:	single or full (user namespace map)
# $2:	File
# $3:	Address the container connects to
# $4:	Receiving namespace role
# $5:	Receiver's delay before reading, seconds
# $6:	Receiver's rate, bytes per second, 0 for no limit
# $7:	Receiver's fixed receive buffer, 0 for the kernel's choice
# $@:	Further options for pasta
pod_upload() {
	local m="$1" file="$2" addr="$3" role="$4" delay="$5" rate="$6"
	local rcvbuf="$7" d pid
	shift 7

	d=$(pod_dir)
	sink_start "${role}" 10096 "${delay}" "${rate}" "${rcvbuf}"
	pid=$(podman_userns "${m}" "
		$(pod_ns "${d}")
		$(podman_pasta "${d}/pasta.pid" "${d}/ns/ctr" none "$@")
		nsenter --net=${d}/ns/ctr socat -u OPEN:${file} \
			TCP:${addr}:10096
		umount -l ${d}/ns/ctr
		rm ${d}/ns/ctr
		cat ${d}/pasta.pid
	" 2>/dev/null)
	echo "$(sink_result)" "$(cmp -s "${file}" "${TMP}/sink.data" &&
				 echo same || echo different)"
	if [ -n "${pid}" ] && wait_for 10 sh -c "! kill -0 ${pid} 2>/dev/null \
			|| grep -q '^State:.*Z' /proc/${pid}/status"; then
		echo quit
	else
		kill "${pid}" 2>/dev/null
		echo "running"
	fi
}

size=$(stat -c %s "${TMP}/f32m")
for m in single full; do
	[ "${m}" = full ] && ! command -v newuidmap >/dev/null && continue
	whole=0 runs=0 quit=0
	# To the remote through the tap, to the host through the mapped
	# address, and a slow reader: megabytes in flight at exit
	for run in "203.0.113.1 out 0 0 0" "203.0.113.1 out 0 0 0" \
		   "169.254.1.2 hst 0 0 0" "169.254.1.2 hst 0 0 0" \
		   "203.0.113.1 out 1 $((12 * 1024 * 1024)) 0"; do
		# shellcheck disable=SC2086 # address, role, delay, rate, buffer
		out=$(pod_upload "${m}" "${TMP}/f32m" ${run})
		echo "    ${run}: $(echo ${out})"
		runs=$((runs + 1))
		[ "$(head -1 <<< "${out}")" = "EOF ${size} same" ] &&
			whole=$((whole + 1))
		[ "$(tail -1 <<< "${out}")" = quit ] && quit=$((quit + 1))
	done
	expect_eq "rootless_${m}_container_exits_upload_whole" \
		  "${whole} of ${runs}" "${runs} of ${runs}"
	expect_eq "rootless_${m}_container_exits_pasta_quits" \
		  "${quit} of ${runs}" "${runs} of ${runs}"

	# 1 MiB sent, a receiver with a window of a few kilobytes that reads
	# nothing for 3 s: most of it is still in the namespace when a grace
	# period of 1 s is over, and the receiver sees a reset. The send buffer
	# of pasta's socket is bounded for this: autotuned, it takes from what
	# TCP learnt of the path (its metrics: the reordering measured by the
	# uploads above) and can grow to hold the whole megabyte, which then
	# rightly arrives whole, with nothing left to cut
	wmem=$(in_hst sysctl -n net.ipv4.tcp_wmem)
	in_hst sysctl -qw net.ipv4.tcp_wmem="4096 16384 131072"
	out=$(pod_upload "${m}" "${TMP}/f1m" 203.0.113.1 out 3 0 4096 \
			 --exit-grace 1)
	in_hst sysctl -qw net.ipv4.tcp_wmem="${wmem}"
	echo "    cut: $(echo ${out})"
	check "rootless_${m}_container_exits_cut_reset" \
	      grep -q "^RESET" <<< "${out}"
done

# pod_download() - podman's line with a published port, the container
# serves a file to one client from the host and exits right after its last
# write, the namespace file goes; print the client's result
# $1:	single or full (user namespace map)
# $2:	Address the client connects to: loopback (spliced) or the host's
# $3:	Client's delay before reading, seconds
pod_download() {
	local m="$1" addr="$2" delay="$3" d

	d=$(pod_dir)
	podman_userns "${m}" "$(pod_serve "${d}" 10098 \
		"socat -u OPEN:${TMP}/f32m TCP-LISTEN:10098" 10098)" \
		>/dev/null 2>&1 &
	wait_for 10 test -f "${d}/ready"
	in_hst python3 "${TOP}/test/tcp_tool.py" fetch "${addr}" 10098 \
		"${TMP}/fetch.data" "${delay}" 2>&1
	wait
	cmp -s "${TMP}/f32m" "${TMP}/fetch.data" && echo same
}

# The other way: a container serving a download through a published port
# ends right after its last write, and goes
for m in single full; do
	[ "${m}" = full ] && ! command -v newuidmap >/dev/null && continue
	whole=0 runs=0
	for run in "127.0.0.1 0" "192.0.2.2 0" "127.0.0.1 2" "192.0.2.2 2"; do
		# shellcheck disable=SC2086 # address, delay
		out=$(pod_download "${m}" ${run})
		echo "    ${run}: $(echo ${out})"
		runs=$((runs + 1))
		[ "$(echo ${out})" = "EOF ${size} same" ] && whole=$((whole + 1))
	done
	expect_eq "rootless_${m}_container_exits_download_whole" \
		  "${whole} of ${runs}" "${runs} of ${runs}"
done

# pod_killed() - podman's line, the container sends without end, uploading
# or serving a client through a published port; once a megabyte arrived,
# pasta is killed (SIGKILL: as the OOM killer or a crash would end it).
# Print the receiver's result
# $1:	single or full (user namespace map)
# $2:	up (the container connects to the address) or down (a client on the
#	host connects to the address, a published port)
# $3:	Address
pod_killed() {
	local m="$1" dir="$2" addr="$3" d upid fpid ctr ports=none port=0
	local data="${TMP}/sink.data"

	d=$(pod_dir)
	if [ "${dir}" = up ]; then
		ctr="socat -u /dev/zero TCP:${addr}:10094"
		case "${addr}" in
		169.254.1.2)	sink_start hst 10094 ;;
		*)		sink_start out 10094 ;;
		esac
	else
		ctr="socat -u /dev/zero TCP-LISTEN:10094"
		ports=10094 port=10094
		data="${TMP}/fetch.data"
		rm -f "${data}"
	fi
	podman_userns "${m}" "$(pod_serve "${d}" "${ports}" "${ctr}" \
		"${port}")" >/dev/null 2>&1 &
	upid=$!
	wait_for 10 test -f "${d}/ready"
	if [ "${dir}" = down ]; then
		in_hst python3 "${TOP}/test/tcp_tool.py" fetch "${addr}" \
			10094 "${data}" 0 > "${TMP}/fetch.res" 2>&1 &
		fpid=$!
	fi
	wait_for 10 sh -c "[ \$(stat -c %s ${data} 2>/dev/null || echo 0) \
			    -gt 1000000 ]"
	kill -KILL "$(cat "${d}/pasta.pid")"
	if [ "${dir}" = up ]; then
		sink_result
	else
		wait_for 30 sh -c "! kill -0 ${fpid} 2>/dev/null"
		kill "${fpid}" 2>/dev/null
		wait "${fpid}"
		cat "${TMP}/fetch.res"
	fi
	kill "$(cat "${d}/ctr.pid")" 2>/dev/null
	wait "${upid}"
}

# pasta killed while a container sends, both ways and both paths of each:
# the other end must see a reset, not the end of a stream
for m in single full; do
	[ "${m}" = full ] && ! command -v newuidmap >/dev/null && continue
	for run in "up 203.0.113.1 remote" "up 169.254.1.2 host" \
		   "down 127.0.0.1 spliced" "down 192.0.2.2 tap"; do
		read -r dir addr how <<< "${run}"
		res=$(pod_killed "${m}" "${dir}" "${addr}")
		echo "    killed, ${run}: ${res}"
		expect_eq "rootless_${m}_pasta_killed_${dir}load_${how}_reset" \
			  "${res%% *}" RESET
	done
done

# Urgent data from a client on the host, to a container's published port,
# right after connecting: kept in the stream, spliced and through the tap
d=$(pod_dir)
podman_userns single "
	$(pod_ns "${d}")
	$(podman_pasta "${d}/pasta.pid" "${d}/ns/ctr" 10099)
	nsenter --net=${d}/ns/ctr python3 ${TOP}/test/tcp_tool.py \
		urgsink 10099 &
	sink=\$!
	for i in \$(seq 50); do
		nsenter --net=${d}/ns/ctr ss -Htln sport = :10099 | grep -q . && break
		sleep 0.1
	done
	touch ${d}/ready
	while [ ! -f ${d}/done ]; do sleep 0.1; done
	kill \${sink} \$(cat ${d}/pasta.pid)
" >/dev/null 2>&1 &
upid=$!
wait_for 10 test -f "${d}/ready"
for a in "spliced 127.0.0.1" "tap 192.0.2.2"; do
	expect_eq "rootless_urgent_data_to_published_port_${a% *}" \
		  "$(in_hst python3 "${TOP}/test/tcp_tool.py" urgsend "${a#* }" \
		     10099 20)" "OK 20"
done
touch "${d}/done"
wait "${upid}"

# rootlesskit_pasta() - rootlesskit's pasta command line, run by the user,
# joining a child's namespaces once they are the child's own
# $1:	PID of the child
# $2:	Log file
rootlesskit_pasta() {
	wait_for 5 sh -c "[ \"\$(readlink /proc/$1/ns/net)\" != \
			  \"\$(readlink /proc/self/ns/net)\" ]"
	in_hst runuser -u "${TEST_USER}" -- "${PASTA}" --stderr \
		--ns-ifname=tap0 --mtu=65520 --config-net \
		--address=10.0.2.100 --netmask=24 --gateway=10.0.2.2 \
		--dns-forward=10.0.2.3 --ipv4-only \
		--tcp-ports=none --udp-ports=none \
		--netns="/proc/$1/ns/net" --userns="/proc/$1/ns/user" \
		>"$2" 2>&1
}

# rootlesskit's pasta network driver (--net=pasta): its child makes a user
# and a network namespace; pasta, run by the same unprivileged user from
# outside them, joins both through the child's /proc entries, sets up tap0
# with rootlesskit's addresses, and runs until the child ends. The child is
# root of its user namespace, with every capability there: a pasta that
# gave up its own can't open the child's ns/ files any more, so that can't
# be how it checks the child is still there (it used to, and quit after a
# second)
in_hst runuser -u "${TEST_USER}" -- unshare -Urn sleep 300 &
at_exit "pkill -u ${TEST_USER} -x sleep"
wait_for 5 pgrep -u "${TEST_USER}" -x sleep >/dev/null
child=$(pgrep -u "${TEST_USER}" -n -x sleep)
rootlesskit_pasta "${child}" "${TMP}/rlk.log"
expect_eq rootless_rootlesskit_cmdline_status_0 "$?" 0
rpid=$(pgrep -u "${TEST_USER}" -n -f -- "--userns=/proc/${child}/ns/user")
[ -n "${rpid}" ] && at_exit "kill ${rpid}"
in_child() {
	nsenter -t "${child}" -U -n "$@"
}
expect_eq rootless_rootlesskit_tap0_address \
	  "$(in_child ip -4 -br addr show tap0 | awk '{ print $3 }')" \
	  10.0.2.100/24
expect_eq rootless_rootlesskit_default_route \
	  "$(in_child ip -4 route show default | awk '{ print $3 }')" 10.0.2.2
sleep 3
if [ -n "${rpid}" ] && alive "${rpid}"; then
	pass rootless_rootlesskit_pasta_stays
else
	fail rootless_rootlesskit_pasta_stays "$(tail -3 "${TMP}/rlk.log")"
fi
head -c 1048576 /dev/urandom > "${TMP}/rlk.data"
bg out socat -u TCP-LISTEN:10094,reuseaddr OPEN:"${TMP}/rlk.rcv",creat,trunc
wait_listen out 10094
in_child socat -u OPEN:"${TMP}/rlk.data" TCP:203.0.113.1:10094
wait_for 10 cmp -s "${TMP}/rlk.data" "${TMP}/rlk.rcv"
check rootless_rootlesskit_tcp_to_remote_cmp \
      cmp -s "${TMP}/rlk.data" "${TMP}/rlk.rcv"
# rootlesskit leaves -T to its default, auto: a port bound on the host's
# loopback comes up in the child's namespace, found by pasta, an
# unprivileged user there, through the host's socket diagnostics
bg hst socat -u TCP4-LISTEN:10093,bind=127.0.0.1,reuseaddr \
	OPEN:"${TMP}/rlk_auto.rcv",creat,trunc
if wait_for 3 sh -c "nsenter -t ${child} -U -n ss -Htln sport = :10093 | \
		     grep -q ."; then
	echo auto | in_child socat -u - TCP4:127.0.0.1:10093
	wait_for 5 grep -q auto "${TMP}/rlk_auto.rcv"
	check rootless_rootlesskit_auto_host_port_in_child \
	      grep -q auto "${TMP}/rlk_auto.rcv"
else
	fail rootless_rootlesskit_auto_host_port_in_child \
	     "not bound in the child's namespace"
fi
# A connection still open when the child ends: pasta drains it (up to its
# grace period of 5 s) without spinning, then quits once it closes
bg out socat -u TCP-LISTEN:10095,reuseaddr /dev/null
wait_listen out 10095
(sleep 30) | in_child socat -u - TCP:203.0.113.1:10095 &
held=$!
at_exit "pkill -f TCP:203.0.113.1:10095"
wait_for 5 sh -c "ip netns exec ${NS_OUT} ss -Htn sport = :10095 | grep -q ."
kill "${child}"
sleep 0.5
t0=$(awk '{ print $14 + $15 }' "/proc/${rpid}/stat" 2>/dev/null)
sleep 2
t1=$(awk '{ print $14 + $15 }' "/proc/${rpid}/stat" 2>/dev/null)
# Busy, it would take 2 s of CPU time: allow a tenth of that
if [ -n "${t0}" ] && [ -n "${t1}" ] &&
   [ $((t1 - t0)) -lt $(($(getconf CLK_TCK) / 5)) ]; then
	pass rootless_rootlesskit_drains_without_spinning
else
	fail rootless_rootlesskit_drains_without_spinning \
	     "CPU ticks '${t0}' -> '${t1}' in 2 s"
fi
pkill -f TCP:203.0.113.1:10095
wait "${held}" 2>/dev/null
if [ -n "${rpid}" ] && wait_for 3 sh -c "! kill -0 ${rpid} 2>/dev/null || \
		grep -q '^State:.*Z' /proc/${rpid}/status"; then
	pass rootless_rootlesskit_quits_with_child
else
	fail rootless_rootlesskit_quits_with_child "PID '${rpid}' still running"
fi

# A child that uploads a file as soon as its network is up, and ends right
# after its last write, as a container's only process would: pasta drains
# the upload, then quits
sink_start out 10097
in_hst runuser -u "${TEST_USER}" -- unshare -Urn sh -c "
	echo \$\$ > ${TMP}/rlk2.pid
	for i in \$(seq 100); do
		ip route show default 2>/dev/null | grep -q . && break
		sleep 0.1
	done
	socat -u OPEN:${TMP}/f32m TCP:203.0.113.1:10097" &
wait_for 5 test -s "${TMP}/rlk2.pid"
child=$(cat "${TMP}/rlk2.pid")
rootlesskit_pasta "${child}" "${TMP}/rlk2.log"
at_exit "pkill -u ${TEST_USER} -f -- --userns=/proc/${child}/ns/user"
res=$(sink_result)
cmp -s "${TMP}/f32m" "${TMP}/sink.data" && res="${res} same"
expect_eq rootless_rootlesskit_child_exits_upload_whole "${res}" \
	  "EOF $(stat -c %s "${TMP}/f32m") same"
if wait_for 10 sh -c "! pgrep -u ${TEST_USER} -f -- \
		--userns=/proc/${child}/ns/user >/dev/null"; then
	pass rootless_rootlesskit_child_exits_pasta_quits
else
	fail rootless_rootlesskit_child_exits_pasta_quits \
	     "$(tail -3 "${TMP}/rlk2.log")"
fi
