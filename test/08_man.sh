#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# passt - user-mode networking for virtual machines and namespaces
#
# test/08_man.sh - The man pages format without a warning

. "$(dirname "$0")/lib.sh"

cd "${TOP}" || exit 1

if ! command -v groff >/dev/null; then
	skip man_pages_groff_clean "groff not installed"
	exit 0
fi

for page in passt.1 qrap.1 pesto.1; do
	out=$(groff -man -ww -z "${page}" 2>&1)
	if [ -n "${out}" ]; then
		fail "man_${page%.1}_groff_clean" "$(head -3 <<< "${out}")"
	else
		pass "man_${page%.1}_groff_clean"
	fi
done
