#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# passt - user-mode networking for virtual machines and namespaces
#
# test/70_fuzz.sh - The libFuzzer harness of the guest's stream (test/fuzz/):
# the seed corpus and every input that crashed passt once run clean, then a
# bounded fuzzing run finds nothing
#
# Needs clang and libFuzzer (Debian: clang, libclang-rt-14-dev), skipped
# otherwise. The harness moves to user and network namespaces of its own.
# FUZZ_SECONDS (environment) sets the length of the fuzzing run, default
# 60; 0 leaves it out. Inputs that crash are kept in build-fuzz/artifacts/.

. "$(dirname "$0")/lib.sh"

cd "${TOP}" || exit 1

FUZZ_SECONDS=${FUZZ_SECONDS:-60}
FUZZ_BIN="${TOP}/build-fuzz/fuzz_tap"
FUZZ_KEEP="${TOP}/build-fuzz/artifacts"
# A hang is a finding too; a generous bound for slow, loaded machines
FUZZ_OPTS=(-timeout=30 -rss_limit_mb=4096 -max_len=20000)
CHECKS="fuzz_build fuzz_seed_corpus_clean fuzz_regressions_clean"
CHECKS="${CHECKS} fuzz_timed_run_no_crash"

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
run_inputs() {
	local name="$1" dir="$2" log="${TMP}/${1}.log" files

	files=("${dir}"/*.bin)
	if [ ! -f "${files[0]}" ]; then
		fail "${name}" "no inputs in ${dir}"
		return
	fi

	if "${FUZZ_BIN}" "${FUZZ_OPTS[@]}" -artifact_prefix="${TMP}/" \
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
if [ ${rc} -ne 0 ] || [ ! -x "${FUZZ_BIN}" ]; then
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

run_inputs fuzz_seed_corpus_clean "${TOP}/test/fuzz/corpus"
run_inputs fuzz_regressions_clean "${TOP}/test/fuzz/regressions"

if [ "${FUZZ_SECONDS}" = 0 ]; then
	skip "fuzz_timed_run_no_crash" "FUZZ_SECONDS=0"
	exit 0
fi

# Fuzz from both sets of inputs, on copies: the tree stays as it is
mkdir -p "${TMP}/corpus" "${TMP}/artifacts"
cp "${TOP}"/test/fuzz/corpus/*.bin "${TOP}"/test/fuzz/regressions/*.bin \
   "${TMP}/corpus/"
log="${TMP}/fuzz.log"
"${FUZZ_BIN}" "${FUZZ_OPTS[@]}" -max_total_time="${FUZZ_SECONDS}" \
	-print_final_stats=1 -artifact_prefix="${TMP}/artifacts/" \
	"${TMP}/corpus" > "${log}" 2>&1
rc=$?

# Progress, for the record: executions, coverage, corpus
echo "fuzzed for ${FUZZ_SECONDS} s:"
grep -E "^#[0-9]+[[:space:]]+DONE" "${log}" | tail -1
grep -E "^stat::(number_of_executed_units|average_exec_per_sec)" "${log}"

if [ -n "$(ls -A "${TMP}/artifacts/")" ]; then
	mkdir -p "${FUZZ_KEEP}"
	cp "${TMP}"/artifacts/* "${FUZZ_KEEP}/"
	fail "fuzz_timed_run_no_crash" \
	     "$(grep -m1 -E "ERROR: |runtime error: |^fuzz_tap: " "${log}")," \
	     "input in ${FUZZ_KEEP}/:" \
	     "$(cd "${TMP}/artifacts" && echo *)"
	grep -A30 -m1 -E "ERROR: |runtime error: |^fuzz_tap: " "${log}"
	# Machines running this may be gone with the files: the input too
	for f in "${TMP}"/artifacts/*; do
		[ "$(stat -c %s "${f}")" -le 8192 ] || continue
		echo "$(basename "${f}") in base64 (base64 -d > FILE):"
		base64 -w 76 "${f}"
	done
elif [ ${rc} -ne 0 ]; then
	fail "fuzz_timed_run_no_crash" "fuzzer exited with ${rc}:" \
	     "$(tail -1 "${log}")"
else
	pass "fuzz_timed_run_no_crash"
fi
