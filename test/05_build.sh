#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# passt - user-mode networking for virtual machines and namespaces
#
# test/05_build.sh - Builds with clang and against musl, without warnings;
# switching compilers in one build directory; make install and uninstall;
# --version; documentation that covers every option
#
# The switching and install checks build in a copy of the sources in ${TMP},
# with the variables of make check (SANITIZE=1 in its second pass, say)
# kept out: the tree's own build/ and binaries are left alone.

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

SCRATCH="${TMP}/tree"
MARK="${TMP}/mark"

# scratch_make() - make in the copy of the sources, nothing inherited
# $@:	Arguments for make
scratch_make() {
	env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL -u CC -u CFLAGS -u LDFLAGS \
	    -u SANITIZE -u BUILD_DIR make -C "${SCRATCH}" -s -j2 "$@"
}

# built_by() - Tell what built a binary or an object
# $1:	File
# Prints "musl" (linked against musl), "clang" or "gcc"
built_by() {
	if readelf -l "$1" 2>/dev/null | grep -q 'interpreter: .*ld-musl'; then
		echo musl
	elif readelf -p .comment "$1" 2>/dev/null | grep -q clang; then
		echo clang
	elif readelf -p .comment "$1" 2>/dev/null | grep -q GCC; then
		echo gcc
	else
		echo unknown
	fi
}

# switch_build() - Build in the copy with a compiler, check that everything
# was built by it, and built again if the compiler changed
# $1:	Name of the check
# $2:	What built_by() has to say about the binaries
# $3:	"switch" if every object has to be built again, "update" if not
# $@:	Variables for make
switch_build() {
	local name="$1" want="$2" switch="$3" out f got stale
	shift 3

	touch "${MARK}"
	if ! out=$(scratch_make "$@" 2>&1); then
		fail "${name}" "make $*: $(tail -3 <<< "${out}")"
		return
	fi
	[ "${switch}" = switch ] &&
		stale=$(find "${SCRATCH}/build" -name '*.o' ! -newer "${MARK}" |
			head -3)
	if [ -n "${stale}" ]; then
		fail "${name}" "make $* kept objects of the build before:" \
			       "${stale//${SCRATCH}\//}"
		return
	fi
	# Objects tell gcc from clang, not what libc they were built for
	for f in "${SCRATCH}"/build/*.o; do
		got=$(built_by "${f}")
		[ "${want}" = musl ] && [ "${got}" = gcc ] && continue
		if [ "${got}" != "${want}" ]; then
			fail "${name}" "make $*: ${f##*/} built by ${got}"
			return
		fi
	done
	for f in passt qrap pesto; do
		got=$(built_by "${SCRATCH}/${f}")
		if [ "${got}" != "${want}" ]; then
			fail "${name}" "make $*: ./${f} built by ${got}," \
				       "not ${want}"
			return
		fi
	done
	pass "${name}"
}

# A copy of the sources, and of build/ to start from (make brings it up to
# date, whatever built it): no other builds, no git ("unknown" version)
mkdir -p "${SCRATCH}"
tar -C "${TOP}" -cf - --exclude=./.git --exclude='./build-*' \
    --exclude=./passt --exclude=./pasta --exclude=./qrap --exclude=./pesto . |
	tar -C "${SCRATCH}" -xf -
# Objects of sources since renamed or removed: no rule builds them again
for o in "${SCRATCH}"/build/*.o; do
	[ -e "${SCRATCH}/$(basename "${o%.o}").c" ] || rm -f "${o}" "${o%.o}.d"
done

# One build directory, compilers switched without BUILD_DIR: all rebuilt
if echo __clang__ | cc -E - 2>/dev/null | grep -q '^1$'; then
	default_cc=clang
else
	default_cc=gcc
fi
switch_build build_switch_default "${default_cc}" update
if command -v clang >/dev/null; then
	switch_build build_switch_to_clang clang switch CC=clang
else
	skip build_switch_to_clang "clang not installed"
fi
if command -v musl-gcc >/dev/null; then
	switch_build build_switch_to_musl musl switch CC=musl-gcc
else
	skip build_switch_to_musl "musl-gcc not installed"
fi
switch_build build_switch_back_to_default "${default_cc}" switch

# The same make again: nothing to do
touch "${MARK}"
scratch_make >/dev/null 2>&1
out=$(find "${SCRATCH}/build" "${SCRATCH}/passt" "${SCRATCH}/qrap" \
	   "${SCRATCH}/pesto" -newer "${MARK}" | head -3)
expect_eq build_again_builds_nothing "${out//${SCRATCH}\//}" ""

# make install and uninstall: files, links, from the build of the same
# variables, and nothing left behind
dest="${TMP}/dest"
doc="${dest}/usr/share/doc/passt"
missing=
scratch_make install DESTDIR="${dest}" PREFIX=/usr >/dev/null 2>&1
for f in usr/bin/passt usr/bin/qrap usr/bin/pesto \
	 usr/share/man/man1/passt.1 usr/share/man/man1/qrap.1 \
	 usr/share/man/man1/pesto.1 \
	 usr/share/doc/passt/README.md \
	 $(cd "${TOP}" && printf 'usr/share/doc/passt/%s ' doc/*.md \
			contrib/systemd/passt@.service contrib/rpm/passt.spec \
			contrib/apparmor/usr.bin.passt \
			contrib/apparmor/abstractions/passt \
			contrib/selinux/passt.te); do
	[ -f "${dest}/${f}" ] && [ ! -L "${dest}/${f}" ] ||
		missing="${missing} ${f}"
done
[ "$(readlink "${dest}/usr/bin/pasta")" = passt ] ||
	missing="${missing} usr/bin/pasta"
[ "$(readlink "${dest}/usr/share/man/man1/pasta.1")" = passt.1 ] ||
	missing="${missing} usr/share/man/man1/pasta.1"
cmp -s "${dest}/usr/bin/passt" "${SCRATCH}/passt" ||
	missing="${missing} (usr/bin/passt isn't the build's)"
expect_eq install_destdir_prefix_docdir "${missing}" ""

out=$(scratch_make -n install SANITIZE=1 BUILD_DIR=build-x DESTDIR="${dest}" \
      2>/dev/null | grep '^install -m 755')
expect_eq install_from_build_dir "${out}" \
	"install -m 755 build-x/passt build-x/qrap build-x/pesto ${dest}/usr/local/bin"

scratch_make uninstall DESTDIR="${dest}" PREFIX=/usr >/dev/null 2>&1
out=$(find "${dest}" ! -type d | head -3)
[ -e "${doc}" ] && out="${out} ${doc#"${dest}"/} left"
expect_eq uninstall_leaves_nothing "${out//${dest}\//}" ""

# Other CFLAGS rebuild objects too (qrap's only, to keep this short)
touch "${MARK}"
if scratch_make CFLAGS=-DBUILD_TEST qrap >/dev/null 2>&1 &&
   [ "${SCRATCH}/build/qrap.o" -nt "${MARK}" ]; then
	pass build_cflags_change_rebuilds
else
	fail build_cflags_change_rebuilds "build/qrap.o not built again"
fi

# --version: "NAME YYYY_MM_DD.COMMIT[-dirty]", one version for all four
ln -sf "${PASST}" "${TMP}/pasta"
v_passt=$("${PASST}" --version 2>&1 | head -1)
v_pasta=$("${TMP}/pasta" --version 2>&1 | head -1)
v_qrap=$("${QRAP}" --version 2>&1 | head -1)
v_pesto=$("${PESTO_BIN:-${TOP}/pesto}" --version 2>&1 | head -1)
re='^[0-9]{4}_[0-9]{2}_[0-9]{2}\.([0-9a-f]{7,40})(-dirty)?$'
bad=
for line in "${v_passt}" "${v_pasta}" "${v_qrap}" "${v_pesto}"; do
	[[ ${line#* } =~ ${re} ]] || bad="${bad} '${line}'"
done
if ! [ -e "${TOP}/.git" ]; then
	skip version_format "not a git checkout, versions: ${v_passt};" \
			    "${v_pasta}; ${v_qrap}"
elif [ -n "${bad}" ]; then
	fail version_format "not NAME YYYY_MM_DD.COMMIT:${bad}"
elif [ "${v_passt%% *}/${v_pasta%% *}/${v_qrap%% *}/${v_pesto%% *}" != \
       passt/pasta/qrap/pesto ]; then
	fail version_format "names: ${v_passt}; ${v_pasta}; ${v_qrap};" \
			    "${v_pesto}"
elif [ "${v_passt#* }" != "${v_pasta#* }" ] ||
     [ "${v_passt#* }" != "${v_qrap#* }" ] ||
     [ "${v_passt#* }" != "${v_pesto#* }" ]; then
	fail version_format "differ: ${v_passt}; ${v_pasta}; ${v_qrap}"
else
	[[ ${v_passt#* } =~ ${re} ]]
	date=$(git -C "${TOP}" log -1 --format=%cd --date=format:%Y_%m_%d \
	       "${BASH_REMATCH[1]}" -- 2>/dev/null)
	if [ "${date}" = "${v_passt:6:10}" ]; then
		pass version_format
	else
		fail version_format "${v_passt}: commit date '${date}'"
	fi
fi

# Every long option of the option table is in the man page and in --help
missing_man=
missing_help=
help="$("${PASST}" --help) $("${TMP}/pasta" --help)"
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
n_helper=$(sed -n 's/^#define SECCOMP_COUNT_NSHELPER //p' seccomp.h)
check doc_man_page_seccomp_count_helper \
	grep -q "seccomp filter of ${n_helper} system calls" passt.1

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
