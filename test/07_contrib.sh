#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# passt - user-mode networking for virtual machines and namespaces
#
# test/07_contrib.sh - What contrib/ ships for distributions: the AppArmor
# profiles parse, the SELinux modules build, the systemd unit verifies
#
# Nothing is loaded into the kernel or installed: the AppArmor parser runs
# with -Q (no kernel) and -K (no cache), the SELinux modules build in a
# directory of ours with the reference policy's development Makefile.

. "$(dirname "$0")/lib.sh"

cd "${TOP}" || exit 1

AA_DIR=contrib/apparmor
SE_DIR=contrib/selinux

# aa_parse() - Parse one AppArmor profile, includes from its directory first
# $1:	Name of the check
# $2:	Directory of the profile, with its abstractions/
# $3:	Profile file name
aa_parse() {
	local out

	if out=$(apparmor_parser -Q -K -I "$2" "$2/$3" 2>&1); then
		pass "$1"
	else
		# Without AppArmor in the kernel, the parser also says it
		# can't use its cache: not a failure
		fail "$1" "$(grep -v 'Cache read/write disabled' <<< "${out}" |
			     head -5)"
	fi
}

# AppArmor 3.0 profiles, the ones shipped
if command -v apparmor_parser >/dev/null; then
	aa_parse contrib_apparmor_passt_parses "${AA_DIR}" usr.bin.passt
	aa_parse contrib_apparmor_pasta_parses "${AA_DIR}" usr.bin.pasta
else
	skip contrib_apparmor_passt_parses "apparmor_parser not installed"
	skip contrib_apparmor_pasta_parses "apparmor_parser not installed"
fi

# The AppArmor 4.0 variant: generated with abi 4.0 and the userns rule,
# otherwise the same lines; parsed where the parser knows that abi
aa4="${TMP}/apparmor4"
if ! out=$(make -s apparmor4 AA4_DIR="${aa4}" 2>&1); then
	fail contrib_apparmor4_generated "make apparmor4: ${out}"
else
	why=
	for f in usr.bin.passt usr.bin.pasta abstractions/passt; do
		if ! grep -q '^ *abi <abi/4\.0>,$' "${aa4}/${f}"; then
			why="${why} ${f}: no abi 4.0;"
		fi
		# Besides the header line, only the abi and userns lines differ
		d=$(diff "${AA_DIR}/${f}" "${aa4}/${f}" | grep -c '^>')
		[ "${d}" -le 3 ] || why="${why} ${f}: ${d} lines changed;"
	done
	grep -q '^  userns,$' "${aa4}/abstractions/passt" ||
		why="${why} no userns rule;"
	if [ -z "${why}" ]; then
		pass contrib_apparmor4_generated
	else
		fail contrib_apparmor4_generated "${why}"
	fi

	if ! command -v apparmor_parser >/dev/null; then
		skip contrib_apparmor4_parses "apparmor_parser not installed"
	elif [ ! -e /etc/apparmor.d/abi/4.0 ]; then
		skip contrib_apparmor4_parses "this AppArmor parser has no" \
					      "abi 4.0 ($(apparmor_parser -V |
					      head -1))"
	else
		aa_parse contrib_apparmor4_passt_parses "${aa4}" usr.bin.passt
		aa_parse contrib_apparmor4_pasta_parses "${aa4}" usr.bin.pasta
	fi
fi

# SELinux modules, built in a copy of contrib/selinux/
SE_MAKEFILE=/usr/share/selinux/devel/Makefile
if [ -f "${SE_MAKEFILE}" ]; then
	se="${TMP}/selinux"
	mkdir -p "${se}"
	cp "${SE_DIR}"/*.te "${SE_DIR}"/*.if "${SE_DIR}"/*.fc "${se}/"
	for m in passt pasta; do
		out=$(make -C "${se}" -f "${SE_MAKEFILE}" "${m}.pp" 2>&1)
		rc=$?
		# A deprecated interface builds, with a warning: don't ship one
		warn=$(grep -E "${m}\.(te|if|fc):.*Warning" <<< "${out}")
		if [ ${rc} -ne 0 ] || [ ! -s "${se}/${m}.pp" ]; then
			fail "contrib_selinux_${m}_builds" \
			     "$(grep -iE 'error|warning' <<< "${out}" | head -5)"
		elif [ -n "${warn}" ]; then
			fail "contrib_selinux_${m}_builds" "$(head -3 <<< "${warn}")"
		else
			pass "contrib_selinux_${m}_builds"
		fi
	done
else
	skip contrib_selinux_passt_builds "no ${SE_MAKEFILE} (selinux-policy-dev)"
	skip contrib_selinux_pasta_builds "no ${SE_MAKEFILE} (selinux-policy-dev)"
fi

# The systemd user unit, for an instance, with the binary of this tree
if command -v systemd-analyze >/dev/null; then
	unit="${TMP}/passt@vm1.service"
	sed "s|/usr/bin/passt |${PASST} |" contrib/systemd/passt@.service \
		> "${unit}"
	mkdir -p "${TMP}/xdg"
	if out=$(XDG_RUNTIME_DIR="${TMP}/xdg" timeout 20 \
		 systemd-analyze verify --user "${unit}" 2>&1) &&
	   [ -z "${out}" ]; then
		pass contrib_systemd_unit_verifies
	else
		fail contrib_systemd_unit_verifies "$(head -5 <<< "${out}")"
	fi
else
	skip contrib_systemd_unit_verifies "systemd-analyze not installed"
fi
