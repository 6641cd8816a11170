#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# passt - user-mode networking for virtual machines and namespaces
#
# test/05_build.sh - Builds with clang and against musl, without warnings,
# and documentation that covers every option

. "$(dirname "$0")/lib.sh"

cd "${TOP}" || exit 1

# build_with() - Build in a directory of its own with another compiler
# $1:	Name of the check
# $2:	Compiler
build_with() {
	local name="$1" cc="$2" out

	if ! command -v "${cc}" >/dev/null; then
		skip "${name}" "${cc} not installed"
		return
	fi
	# Not the sanitizers of make check SANITIZE=1: another libc lacks them
	out=$(make -s -j2 CC="${cc}" BUILD_DIR="build-${cc}" SANITIZE=0 2>&1)
	if [ $? -ne 0 ] || [ -n "${out}" ]; then
		fail "${name}" "$(tail -5 <<< "${out}")"
	elif ! "build-${cc}/passt" --version >/dev/null; then
		fail "${name}" "binary doesn't run"
	else
		pass "${name}"
	fi
}

build_with build_clang_no_warnings clang
build_with build_musl_no_warnings musl-gcc

# Every long option of the option table is in the man page and in --help
missing_man=
missing_help=
help="$("${PASST}" --help) $(ln -sf "${PASST}" "${TMP}/pasta" &&
			     "${TMP}/pasta" --help)"
for opt in $(sed -n 's/^\t{ "\([a-z0-9-]*\)",.*/\1/p' conf.c); do
	grep -q -- "\\\\-\\\\-${opt//-/\\\\-}" passt.1 ||
		missing_man="${missing_man} ${opt}"
	grep -q -- "--${opt}" <<< "${help}" ||
		missing_help="${missing_help} ${opt}"
done
expect_eq doc_man_page_covers_every_option "${missing_man}" ""
expect_eq doc_help_covers_every_option "${missing_help}" ""

# The man page states how many system calls each seccomp filter allows
make -s seccomp.h >/dev/null 2>&1
n_passt=$(sed -n 's/^#define SECCOMP_COUNT_PASST //p' seccomp.h)
n_pasta=$(sed -n 's/^#define SECCOMP_COUNT_PASTA //p' seccomp.h)
if grep -q "${n_passt} in passt mode, ${n_pasta} in pasta mode" passt.1; then
	pass doc_man_page_seccomp_counts
else
	fail doc_man_page_seccomp_counts "seccomp.h has ${n_passt} and" \
					 "${n_pasta}, not what passt.1 says"
fi

# Static analysis is clean
if command -v clang-tidy >/dev/null && command -v cppcheck >/dev/null; then
	out=$(make -s lint 2>&1)
	rc=$?
	out=$(grep -E "warning:|error:" <<< "${out}" | head -5)
	if [ ${rc} -eq 0 ] && [ -z "${out}" ]; then
		pass lint_clang_tidy_cppcheck_clean
	else
		fail lint_clang_tidy_cppcheck_clean "${out}"
	fi
else
	skip lint_clang_tidy_cppcheck_clean "clang-tidy or cppcheck missing"
fi
