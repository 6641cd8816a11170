#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# passt - user-mode networking for virtual machines and namespaces
#
# test/run.sh - Run unit and integration tests, count their results
#
# Every test program or script prints lines "PASS name", "FAIL name: why"
# or "SKIP name: why"; everything else it prints is shown indented. A
# program that exits non-zero without printing a FAIL line counts as one
# failure. The last line is the summary: "N passed, N failed, N skipped".
#
# Usage: test/run.sh [--unit-dir DIR]... [--integration] [--only REGEX]
#		     [--tally FILE] [--add FILE]
#
# --tally FILE writes the three counts to FILE; --add FILE adds the counts
# of an earlier run from such a file to the summary, which then covers both.

set -u

TOP=$(cd "$(dirname "$0")/.." && pwd)
UNIT_DIRS=()
INTEGRATION=0
ONLY=
TALLY=
ADD=
PASSED=0
FAILED=0
SKIPPED=0
FAILURES=()

while [ $# -gt 0 ]; do
	case "$1" in
	--unit-dir)	UNIT_DIRS+=("$2"); shift ;;
	--integration)	INTEGRATION=1 ;;
	--only)		ONLY="$2"; shift ;;
	--tally)	TALLY="$2"; shift ;;
	--add)		ADD="$2"; shift ;;
	*)		echo "Unknown argument: $1" >&2; exit 2 ;;
	esac
	shift
done

# run_one() - Run one test program, count the lines of its results
# $1:	Label, used if the program fails without saying why
# $@:	Command
run_one() {
	local label="$1" line rc fails_before=$FAILED out
	shift

	echo "== ${label}"
	out=$(mktemp)
	"$@" > "${out}" 2>&1
	rc=$?
	while IFS= read -r line; do
		case "${line}" in
		PASS\ *)
			PASSED=$((PASSED + 1)); echo "${line}" ;;
		FAIL\ *)
			FAILED=$((FAILED + 1)); FAILURES+=("${line}")
			echo "${line}" ;;
		SKIP\ *)
			SKIPPED=$((SKIPPED + 1)); echo "${line}" ;;
		*)
			echo "    ${line}" ;;
		esac
	done < "${out}"
	rm -f "${out}"

	if [ ${rc} -ne 0 ] && [ ${FAILED} -eq ${fails_before} ]; then
		FAILED=$((FAILED + 1))
		FAILURES+=("FAIL ${label}: exited with status ${rc}")
		echo "FAIL ${label}: exited with status ${rc}"
	fi
}

for dir in "${UNIT_DIRS[@]}"; do
	for t in "${dir}"/test_*; do
		[ -x "${t}" ] && [ -f "${t}" ] || continue
		case "${t}" in *.d) continue ;; esac
		if [ -n "${ONLY}" ] && ! [[ "${t}" =~ ${ONLY} ]]; then
			continue
		fi
		run_one "unit: ${t}" "${t}"
	done
done

if [ ${INTEGRATION} -eq 1 ]; then
	for t in "${TOP}"/test/[0-9]*.sh; do
		[ -f "${t}" ] || continue
		if [ -n "${ONLY}" ] && ! [[ "${t}" =~ ${ONLY} ]]; then
			continue
		fi
		name=$(basename "${t}" .sh)
		if [ "$(id -u)" -ne 0 ]; then
			echo "SKIP ${name}: integration tests need root" \
			     "(network namespaces)"
			SKIPPED=$((SKIPPED + 1))
			continue
		fi
		run_one "integration: ${name}" bash "${t}"
	done
fi

if [ ${FAILED} -gt 0 ]; then
	echo
	echo "Failures:"
	printf '%s\n' "${FAILURES[@]}"
fi

[ -n "${TALLY}" ] && echo "${PASSED} ${FAILED} ${SKIPPED}" > "${TALLY}"
if [ -n "${ADD}" ] && read -r p f s < "${ADD}"; then
	echo
	echo "This run: ${PASSED} passed, ${FAILED} failed, ${SKIPPED} skipped;" \
	     "with the earlier one (${ADD}):"
	PASSED=$((PASSED + p)) FAILED=$((FAILED + f)) SKIPPED=$((SKIPPED + s))
fi

echo
echo "${PASSED} passed, ${FAILED} failed, ${SKIPPED} skipped"
[ ${FAILED} -eq 0 ]
