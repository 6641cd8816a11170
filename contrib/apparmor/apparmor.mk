# SPDX-License-Identifier: GPL-2.0-or-later
#
# passt - user-mode networking for virtual machines and namespaces
#
# contrib/apparmor/apparmor.mk - AppArmor 4.0 variant of the profiles
#
#   make apparmor4               the profiles and their abstraction, in
#                                $(AA4_DIR) (default: build/apparmor4)
#
# The profiles in contrib/apparmor/ are written for AppArmor 3.0 (abi
# <abi/3.0>, Debian 12), and that's what test/07_contrib.sh checks. AppArmor
# 4.0 (Ubuntu 24.04 and later) mediates the creation of user namespaces,
# which passt and pasta both do: the variant declares abi <abi/4.0> and
# turns the "#userns," line of abstractions/passt into a rule. Nothing else
# differs.

AA_SRC := contrib/apparmor
AA_FILES := usr.bin.passt usr.bin.pasta abstractions/passt
AA4_DIR ?= build/apparmor4

.PHONY: apparmor4
apparmor4: $(AA_FILES:%=$(AA4_DIR)/%)

$(AA4_DIR)/%: $(AA_SRC)/%
	@mkdir -p $(dir $@)
	sed -e 's|^\([[:space:]]*\)abi <abi/3\.0>,|\1abi <abi/4.0>,|' \
	    -e 's|^\([[:space:]]*\)#userns,$$|\1userns,|' \
	    -e '1a # Generated from $< by "make apparmor4": edit that instead' \
	    $< > $@
