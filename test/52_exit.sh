#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# passt - user-mode networking for virtual machines and namespaces
#
# test/52_exit.sh - No byte lost when the command, pasta, or the guest ends:
# an upload either arrives whole, with a clean end, or its reader sees a
# reset; never a clean end after a cut
#
# - pasta's command writes a file and exits at once (as socat, curl -T or
#   git push do): the namespace's kernel still holds data, pasta drains it
#   before exiting. Through the tap device, through the gateway mapping
#   to the host's own listener, and spliced to the host's loopback (-T), 10
#   times per family, as a plain user
# - the same with a receiver that reads slowly: megabytes in flight at exit
# - --exit-grace 0: no waiting, and a cut stream ends with a reset
# - pasta terminated mid-stream (an endless sender; also spliced), and
#   pasta's namespace deleted mid-stream: the receiver sees a reset, the
#   command ends too
# - pasta killed (SIGKILL, as the OOM killer or a crash would end it): a
#   reset mid-stream, through the tap and spliced; once it passed the end of
#   a stream on, with data still queued for a slow reader, the stream arrives
#   whole
# - passt's guest disconnects mid-upload, with and without --one-off: reset;
#   on the stream socket and with vhost-user; passt killed mid-upload: reset

. "$(dirname "$0")/lib.sh"

PASTA="${TMP}/pasta"
ln -s "${PASST}" "${PASTA}"
RUNS=${EXIT_RUNS:-10}

if ! tb_setup || ! tb_user; then
	fail exit_testbed "could not build the test namespaces"
	exit 1
fi
head -c $((32 * 1024 * 1024)) /dev/urandom > "${TMP}/f32m"
chmod 644 "${TMP}/f32m"

# user_socat_gone() - Tell if no socat of the test user runs any longer
user_socat_gone() {
	local p

	for p in $(pgrep -u "${TEST_USER}" -x socat); do
		alive "${p}" && return 1
	done
	return 0
}

# bracket() - An address as socat wants it in TCP:ADDR:PORT
# $1:	Address
bracket() {
	case "$1" in *:*) echo "[$1]" ;; *) echo "$1" ;; esac
}

# endless_upload() - pasta's command sends without end; once a megabyte has
# arrived, pasta gets a signal. Prints the receiver's result, then how many
# milliseconds pasta took to exit after the signal
# $1:	Signal
# $2:	Receiving namespace role
# $3:	Address the command connects to
# $4:	Port
# $@:	Further options for pasta
endless_upload() {
	local sig="$1" role="$2" addr="$3" port="$4" ppid t0 t1
	shift 4

	sink_start "${role}" "${port}"
	in_hst runuser -u "${TEST_USER}" -- "${PASTA}" --config-net "$@" \
		-P "${TMP}/sig.pid" -- socat -u /dev/zero \
		"TCP:$(bracket "${addr}"):${port}" 2>/dev/null &
	ppid=$!
	wait_for 10 sh -c "[ \$(stat -c %s ${TMP}/sink.data 2>/dev/null || \
			      echo 0) -gt 1000000 ]"
	t0=$(date +%s%N)
	kill -"${sig}" "$(cat "${TMP}/sig.pid")"
	wait "${ppid}"
	t1=$(date +%s%N)
	echo "$(sink_result) $(((t1 - t0) / 1000000))"
}

# guest_upload_cut() - passt's guest sends without end; once a megabyte has
# arrived, a process gets a signal. Prints the receiver's result
# $1:	Port
# $2:	Signal
# $3:	PID
guest_upload_cut() {
	local spid

	sink_start out "$1"
	ip netns exec "${NS_GST}" socat -u /dev/zero "TCP:203.0.113.1:$1" \
		2>/dev/null &
	spid=$!
	wait_for 10 sh -c "[ \$(stat -c %s ${TMP}/sink.data 2>/dev/null || \
			      echo 0) -gt 1000000 ]"
	kill -"$2" "$3"
	sink_result
	kill "${spid}" 2>/dev/null
	wait "${spid}" 2>/dev/null
}

# command_ends() - Check that no socat of the test user is left
# $1:	Name of the check
command_ends() {
	if wait_for 3 user_socat_gone; then
		pass "$1"
	else
		fail "$1" "$(pgrep -a -u "${TEST_USER}" socat)"
	fi
}

# uploads() - pasta's command sends a file and exits right after its last
# write, RUNS times: each one must arrive whole, with a clean end
# $1:	Name of the check
# $2:	Receiving namespace role
# $3:	Address the command connects to
# $4:	Port
# $5:	Receiver's delay before reading, seconds
# $6:	Receiver's rate, bytes per second, 0 for no limit
# $7:	Number of runs
# $@:	Further options for pasta
uploads() {
	local name="$1" role="$2" addr="$3" port="$4" delay="$5" rate="$6"
	local runs="$7" size ok=0 i res cut=0
	shift 7

	size=$(stat -c %s "${TMP}/f32m")
	for i in $(seq 1 "${runs}"); do
		sink_start "${role}" "${port}" "${delay}" "${rate}"
		in_hst runuser -u "${TEST_USER}" -- "${PASTA}" --config-net "$@" \
			-- socat -u "OPEN:${TMP}/f32m" \
			"TCP:$(bracket "${addr}"):${port}" 2>/dev/null
		res=$(sink_result)
		if [ "${res}" = "EOF ${size}" ] &&
		   cmp -s "${TMP}/f32m" "${TMP}/sink.data"; then
			ok=$((ok + 1))
		elif [ "${res%% *}" = EOF ]; then
			cut=$((cut + 1))
			echo "run ${i}: clean end after ${res#EOF } bytes"
		else
			echo "run ${i}: ${res}"
		fi
	done

	echo "${name}: ${ok} of ${runs} whole"
	if [ "${ok}" = "${runs}" ]; then
		pass "${name}"
	else
		fail "${name}" "${ok} of ${runs} whole, ${cut} cut with a" \
			       "clean end"
	fi
}

# 1. The command exits right after its last write
for v in 4 6; do
	tb_addrs "${v}"
	uploads "exit_pasta_tcp${v}_command_exits_tap_${RUNS}_runs" out \
		"${remote}" 10061 0 0 "${RUNS}"
	uploads "exit_pasta_tcp${v}_command_exits_gw_to_host_${RUNS}_runs" \
		hst "${gw}" 10063 0 0 "${RUNS}"
	# A slow reader: the command is done long before the data is
	uploads "exit_pasta_tcp${v}_command_exits_slow_reader" out \
		"${remote}" 10065 1 $((12 * 1024 * 1024)) 2
	# Spliced, to the host's loopback (-T): pasta's sockets of the pair
	# are its own, with a congestion control of their own
	uploads "exit_pasta_tcp${v}_command_exits_spliced_${RUNS}_runs" hst \
		"${lo}" 10081 0 0 "${RUNS}" -T 10081
done

# 2. No grace period: the old behaviour, except that a stream cut short
# ends with a reset, never with a clean end
cuts=0 whole=0 bad=0
for v in 4 6; do
	tb_addrs "${v}"
	for i in 1 2 3; do
		sink_start out 10067
		in_hst runuser -u "${TEST_USER}" -- "${PASTA}" --config-net \
			--exit-grace 0 -- socat -u "OPEN:${TMP}/f32m" \
			"TCP:$(bracket "${remote}"):10067" 2>/dev/null
		res=$(sink_result)
		case "${res}" in
		"EOF $(stat -c %s "${TMP}/f32m")")	whole=$((whole + 1)) ;;
		RESET\ *)				cuts=$((cuts + 1)) ;;
		*)	bad=$((bad + 1)); echo "exit-grace 0: ${res}" ;;
		esac
	done
done
echo "--exit-grace 0: ${whole} whole, ${cuts} reset, ${bad} cut cleanly"
expect_eq exit_pasta_grace_0_never_a_clean_end_after_a_cut "${bad}" 0

# 3. pasta terminated mid-stream, the command an endless sender: the
# receiver sees a reset once the grace period is over, the command ends
for v in 4 6; do
	tb_addrs "${v}"
	read -r res _ ms < <(endless_upload TERM out "${remote}" 10069 \
				--exit-grace 1)
	expect_eq "exit_pasta_tcp${v}_sigterm_mid_stream_receiver_reset" \
		  "${res}" RESET
	if [ "${ms}" -ge 900 ] && [ "${ms}" -lt 3000 ]; then
		pass "exit_pasta_tcp${v}_sigterm_after_grace_period"
	else
		fail "exit_pasta_tcp${v}_sigterm_after_grace_period" \
		     "pasta took ${ms} ms to exit, grace period 1 s"
	fi
	command_ends "exit_pasta_tcp${v}_sigterm_command_ends"

	# The same, spliced to the host's loopback
	read -r res _ < <(endless_upload TERM hst "${lo}" 10083 \
			    --exit-grace 1 -T 10083)
	expect_eq "exit_pasta_tcp${v}_sigterm_mid_stream_spliced_reset" \
		  "${res}" RESET
done

# 4. pasta killed: nothing of it runs any longer, the kernel closes its
# sockets. Mid-stream, the receiver must see a reset, not the end of a
# stream. Once pasta passed the end of the stream on (its socket shuts down,
# data still queued for a reader at 8 MB/s; the command lingers, so that
# pasta doesn't exit by itself), the kernel delivers the rest
for v in 4 6; do
	tb_addrs "${v}"
	for how in tap spliced; do
		if [ "${how}" = tap ]; then
			role=out addr=${remote} port=10085 fwd=
		else
			role=hst addr=${lo} port=10087 fwd="-T 10087"
		fi
		name="exit_pasta_tcp${v}_sigkill"

		# shellcheck disable=SC2086
		read -r res _ < <(endless_upload KILL "${role}" "${addr}" \
				    "${port}" ${fwd})
		expect_eq "${name}_mid_stream_${how}_receiver_reset" \
			  "${res}" RESET
		command_ends "${name}_mid_stream_${how}_command_ends"

		sink_start "${role}" "${port}" 0 $((8 * 1024 * 1024))
		# shellcheck disable=SC2086
		in_hst runuser -u "${TEST_USER}" -- "${PASTA}" --config-net \
			${fwd} -P "${TMP}/kill.pid" -- sh -c "socat -u \
			OPEN:${TMP}/f32m TCP:$(bracket "${addr}"):${port} \
			2>/dev/null; exec sleep 60" &
		ppid=$!
		if wait_for 20 sh -c "ip netns exec ${NS_HST} ss -Htn \
				state fin-wait-1 '( dport = :${port} )' | \
				grep -q ."; then
			kill -KILL "$(cat "${TMP}/kill.pid")"
		else
			echo "pasta's socket didn't shut down with data queued"
		fi
		wait "${ppid}"
		res=$(sink_result)
		if [ "${res}" = "EOF $(stat -c %s "${TMP}/f32m")" ] &&
		   cmp -s "${TMP}/f32m" "${TMP}/sink.data"; then
			pass "${name}_after_the_end_${how}_stream_whole"
		else
			fail "${name}_after_the_end_${how}_stream_whole" "${res}"
		fi
	done
done

# 5. pasta attached to a namespace, which is deleted mid-stream while a
# sender in it goes on: a reset after the grace period
NS_PST="pt-pst-${TB_ID}"
ip netns add "${NS_PST}"
at_exit "ip netns del ${NS_PST}"
in_hst "${PASTA}" --config-net --netns "${NS_PST}" -t none -u none -T none \
	-U none --exit-grace 1 -P "${TMP}/nsdel.pid" 2>/dev/null
ppid=$(cat "${TMP}/nsdel.pid")
at_exit "kill ${ppid}"
sink_start out 10071
ip netns exec "${NS_PST}" socat -u /dev/zero TCP:203.0.113.1:10071 \
	2>/dev/null &
spid=$!
at_exit "kill ${spid}"
wait_for 10 sh -c "[ \$(stat -c %s ${TMP}/sink.data 2>/dev/null || \
		      echo 0) -gt 1000000 ]"
ip netns del "${NS_PST}"
res=$(sink_result)
expect_eq exit_pasta_netns_deleted_mid_stream_receiver_reset "${res%% *}" \
	  RESET
if wait_for 3 sh -c "! awk '/^State:/ { if (\$2 != \"Z\") exit 0; exit 1 }' \
		     /proc/${ppid}/status 2>/dev/null"; then
	pass exit_pasta_netns_deleted_quits
else
	fail exit_pasta_netns_deleted_quits "PID ${ppid} still running"
fi
kill "${spid}" 2>/dev/null

# 6. passt: the guest disconnects in the middle of an upload, with and
# without --one-off; then a guest that finished sending and left at once;
# then passt killed in the middle of an upload.
# On the stream socket, then with vhost-user (the front end goes away)
for vu in "" 1; do
	export TB_VHOST_USER="${vu}"
	sfx=${vu:+_vhost_user}
	for oneoff in "" "-1"; do
		if ! tb_guest ${oneoff}; then
			fail "exit_passt_testbed${sfx}" \
			     "could not start passt and the guest"
			tb_guest_stop
			continue
		fi
		name=exit_passt${sfx}_guest_leaves${oneoff:+_one_off}
		res=$(guest_upload_cut 10073 TERM "${BRIDGE_PID}")
		expect_eq "${name}_mid_upload_receiver_reset" "${res%% *}" RESET
		if [ -n "${oneoff}" ]; then
			if wait_for 3 sh -c "! kill -0 ${PASST_PID} 2>/dev/null"; then
				pass "${name}_exits"
			else
				fail "${name}_exits" "passt still running"
			fi
		fi
		tb_guest_stop
	done

	# The guest sends a file and disconnects right away: whatever arrived ends
	# with a reset, or it's all there with a clean end
	bad=0 runs=0
	for i in 1 2 3; do
		tb_guest || { tb_guest_stop; break; }
		runs=$((runs + 1))
		sink_start out 10075
		in_gst socat -u "OPEN:${TMP}/f32m" TCP:203.0.113.1:10075 2>/dev/null
		kill "${BRIDGE_PID}"
		res=$(sink_result)
		if [ "${res%% *}" = EOF ] && ! cmp -s "${TMP}/f32m" "${TMP}/sink.data"
		then
			bad=$((bad + 1))
			echo "guest left: ${res}"
		fi
		tb_guest_stop
	done
	expect_eq "exit_passt${sfx}_guest_leaves_after_upload_never_cut_cleanly" \
		  "${bad} of ${runs}" "0 of 3"

	# passt killed: the kernel closes its sockets, which must reset
	if tb_guest; then
		res=$(guest_upload_cut 10077 KILL "${PASST_PID}")
		expect_eq "exit_passt${sfx}_sigkill_mid_upload_receiver_reset" \
			  "${res%% *}" RESET
	else
		fail "exit_passt${sfx}_testbed" "could not start passt and the guest"
	fi
	tb_guest_stop
done
unset TB_VHOST_USER
