#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# passt - user-mode networking for virtual machines and namespaces
#
# test/22_qrap.sh - qrap: argument rewriting, socket search, errors

. "$(dirname "$0")/lib.sh"

QRAP="${QRAP}" bash "${TOP}/test/tools/qrap-selftest.sh" --no-qemu
