#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# passt - user-mode networking for virtual machines and namespaces
#
# test/70_fuzz.sh - The libFuzzer harnesses (test/fuzz/), of the guest's
# stream and of the vhost-user back end: for each, the seed corpus and every
# input that crashed passt once run clean, then a bounded fuzzing run finds
# nothing
#
# Needs clang and libFuzzer (Debian: clang, libclang-rt-14-dev), skipped
# otherwise. The harness moves to user and network namespaces of its own.
# FUZZ_SECONDS (environment) sets the length of the fuzzing run of the
# stream's harness, default 60, and half of it of vhost-user's; 0 leaves them
# out. Inputs that crash are kept in build-fuzz/artifacts/.

. "$(dirname "$0")/lib.sh"

cd "${TOP}" || exit 1

FUZZ_SECONDS=${FUZZ_SECONDS:-60}
FUZZ_BIN="${TOP}/build-fuzz/fuzz_tap"
FUZZ_KEEP="${TOP}/build-fuzz/artifacts"
# A hang is a finding too; a generous bound for slow, loaded machines
FUZZ_OPTS=(-timeout=30 -rss_limit_mb=4096 -max_len=20000)
FUZZ_VU_BIN="${TOP}/build-fuzz/fuzz_vu"
CHECKS="fuzz_build fuzz_seed_corpus_clean fuzz_regressions_clean"
CHECKS="${CHECKS} fuzz_timed_run_no_crash fuzz_vu_seed_corpus_clean"
CHECKS="${CHECKS} fuzz_vu_regressions_clean fuzz_vu_timed_run_no_crash"

# skip_all() - Report every check as skipped
# $@:	Why
skip_all() {
	local name

	for name in ${CHECKS}; do
		skip "${name}" "$@"
	done
}

# culprit() - Name the input a run of the harness stopped on, from its log
# $1:	Log of the harness
culprit() {
	local input what

	input=$(sed -n 's/^Running: //p' "$1" | tail -1)
	what=$(grep -m1 -E "ERROR: |runtime error: |^fuzz_tap: " "$1")
	echo "${input:-?}: ${what:-$(tail -1 "$1")}"
}

# run_inputs() - Run each input file once, as a check
# $1:	Name of the check
# $2:	Directory of inputs
# $3:	Harness, default: the stream's
run_inputs() {
	local name="$1" dir="$2" log="${TMP}/${1}.log" files
	local bin="${3:-${FUZZ_BIN}}"

	files=("${dir}"/*.bin)
	if [ ! -f "${files[0]}" ]; then
		fail "${name}" "no inputs in ${dir}"
		return
	fi

	if "${bin}" "${FUZZ_OPTS[@]}" -artifact_prefix="${TMP}/" \
		    "${files[@]}" > "${log}" 2>&1 &&
	   [ "$(grep -c '^Executed ' "${log}")" -eq ${#files[@]} ]; then
		pass "${name}"
	else
		fail "${name}" "$(culprit "${log}")"
	fi
}

out=$(make -s -j2 fuzz 2>&1)
rc=$?
if grep -q "fuzz: skipped" <<< "${out}"; then
	skip_all "clang with libFuzzer not available" \
		 "(Debian: clang, libclang-rt-14-dev)"
	exit 0
fi
if [ ${rc} -ne 0 ] || [ ! -x "${FUZZ_BIN}" ] || [ ! -x "${FUZZ_VU_BIN}" ]; then
	fail fuzz_build "$(tail -5 <<< "${out}")"
	exit 1
fi

# The harness needs user and network namespaces: can it make them here?
"${FUZZ_BIN}" -runs=0 "${TOP}/test/fuzz/corpus/arp.bin" > "${TMP}/ns.log" 2>&1
if grep -q "can't isolate the network" "${TMP}/ns.log"; then
	skip_all "no user and network namespaces here:" \
		 "$(grep -m1 unshare "${TMP}/ns.log")"
	exit 0
fi
pass fuzz_build

# fuzz_timed() - Fuzz for a while from both sets of inputs, on copies (the
# tree stays as it is), as a check
# $1:	Prefix of the check's name
# $2:	Harness
# $3:	Seconds
# $4:	Seed corpus directory
# $5:	Regressions directory
fuzz_timed() {
	local name="$1_timed_run_no_crash" bin="$2" secs="$3" dir="${TMP}/$1"
	local log="${TMP}/$1.fuzz.log" rc f

	if [ "${secs}" = 0 ]; then
		skip "${name}" "FUZZ_SECONDS=0"
		return
	fi

	mkdir -p "${dir}/corpus" "${dir}/artifacts"
	cp "$4"/*.bin "$5"/*.bin "${dir}/corpus/"
	"${bin}" "${FUZZ_OPTS[@]}" -max_total_time="${secs}" \
		-print_final_stats=1 -artifact_prefix="${dir}/artifacts/" \
		"${dir}/corpus" > "${log}" 2>&1
	rc=$?

	# Progress, for the record: executions, coverage, corpus
	echo "$(basename "${bin}"): fuzzed for ${secs} s:"
	grep -E "^#[0-9]+[[:space:]]+DONE" "${log}" | tail -1
	grep -E "^stat::(number_of_executed_units|average_exec_per_sec)" \
		"${log}"

	if [ -n "$(ls -A "${dir}/artifacts/")" ]; then
		mkdir -p "${FUZZ_KEEP}"
		cp "${dir}"/artifacts/* "${FUZZ_KEEP}/"
		fail "${name}" \
		     "$(grep -m1 -E "ERROR: |runtime error: |^fuzz_" "${log}")," \
		     "input in ${FUZZ_KEEP}/:" \
		     "$(cd "${dir}/artifacts" && echo *)"
		grep -A30 -m1 -E "ERROR: |runtime error: |^fuzz_" "${log}"
		# Machines running this may be gone with the files: the
		# input too
		for f in "${dir}"/artifacts/*; do
			[ "$(stat -c %s "${f}")" -le 8192 ] || continue
			echo "$(basename "${f}") in base64 (base64 -d > FILE):"
			base64 -w 76 "${f}"
		done
	elif [ ${rc} -ne 0 ]; then
		fail "${name}" "fuzzer exited with ${rc}: $(tail -1 "${log}")"
	else
		pass "${name}"
	fi
}

run_inputs fuzz_seed_corpus_clean "${TOP}/test/fuzz/corpus"
run_inputs fuzz_regressions_clean "${TOP}/test/fuzz/regressions"
run_inputs fuzz_vu_seed_corpus_clean "${TOP}/test/fuzz/corpus_vu" \
	   "${FUZZ_VU_BIN}"
run_inputs fuzz_vu_regressions_clean "${TOP}/test/fuzz/regressions_vu" \
	   "${FUZZ_VU_BIN}"

fuzz_timed fuzz "${FUZZ_BIN}" "${FUZZ_SECONDS}" "${TOP}/test/fuzz/corpus" \
	   "${TOP}/test/fuzz/regressions"
fuzz_timed fuzz_vu "${FUZZ_VU_BIN}" "$((FUZZ_SECONDS / 2))" \
	   "${TOP}/test/fuzz/corpus_vu" "${TOP}/test/fuzz/regressions_vu"
