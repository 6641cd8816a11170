# SPDX-License-Identifier: GPL-2.0-or-later
#
# passt - user-mode networking for virtual machines and namespaces
#
# Makefile: passt (with pasta as a link to it), qrap and pesto; tests; install
#
#   make                     build passt, pasta, qrap, pesto
#   make CC=clang            ... with clang
#   make CC=musl-gcc         ... against musl
#   make check               unit and integration tests (namespaces, needs
#                            root), then all of them again on binaries
#                            built with ASan and UBSan
#   make check SANITIZE=1    only the ASan and UBSan pass
#   make install             install the build that make, with the same
#                            CC, CFLAGS, SANITIZE and BUILD_DIR, makes
#   make uninstall           remove what make install installed
#
# Where things are built: objects in build/ (build-san/ with SANITIZE=1, or
# BUILD_DIR); passt, pasta, qrap and pesto at the top of the tree for build/,
# in the build directory otherwise. $(B)/flags holds the compiler, its version
# and every flag: when any of them changes (make, then make CC=clang, say),
# everything in $(B) is built again, and nothing built by one compiler is
# ever linked with objects of another. The top-level binaries are those of
# the last build in build/. (That file is checked on every run, so make -n
# and make -q can only take everything to be out of date.)
#
# Version: the date of the last commit and its abbreviated hash, as in
# 2026_12_04.6214121, with "-dirty" if tracked files differ from it. Outside
# a git checkout (a tarball), the first line of a file VERSION, or "unknown";
# packages can give it: make VERSION=... Only util.o, qrap.o and pesto.o see
# it: a new commit relinks, it doesn't rebuild everything.
#
# make install copies, under $(DESTDIR):
#
#   $(BINDIR)                passt, qrap, pesto, and pasta as a symbolic link
#                            to passt
#   $(MANDIR)/man1           passt.1, qrap.1, pesto.1, and pasta.1 as a link to
#                            passt.1
#   $(DOCDIR)                README.md, and doc/*.md in doc/
#   $(DOCDIR)/contrib        the sources of the AppArmor profiles (apparmor/),
#                            SELinux modules (selinux/), systemd unit
#                            (systemd/) and RPM spec (rpm/): nothing there is
#                            active, a package or an administrator puts them
#                            in place (see doc/README.md)
#
# with PREFIX /usr/local, BINDIR $(PREFIX)/bin, MANDIR $(PREFIX)/share/man,
# DOCDIR $(PREFIX)/share/doc/passt by default.

ifneq ($(origin VERSION),command line)
VERSION := $(shell \
	if [ -e .git ] && \
	   v=$$(git log -1 --format=%cd.%h --date=format:%Y_%m_%d \
		2>/dev/null) && [ -n "$$v" ]; then \
		git diff --quiet HEAD -- 2>/dev/null || v="$$v-dirty"; \
		echo "$$v"; \
	elif [ -s VERSION ]; then \
		head -n1 VERSION; \
	else \
		echo unknown; \
	fi)
endif

PREFIX ?= /usr/local
BINDIR ?= $(PREFIX)/bin
MANDIR ?= $(PREFIX)/share/man
DOCDIR ?= $(PREFIX)/share/doc/passt

CC ?= cc
SHELL := /bin/bash

SANITIZE ?= 0
ifeq ($(SANITIZE),1)
B := build-san
OPT_FLAGS := -O1 -g -fno-omit-frame-pointer \
	     -fsanitize=address,undefined -fno-sanitize-recover=all \
	     -DSECCOMP_TOOLS
HARDEN_CFLAGS := -fPIE
else
B := build
OPT_FLAGS := -O2
HARDEN_CFLAGS := -fstack-protector-strong -U_FORTIFY_SOURCE \
		 -D_FORTIFY_SOURCE=2 -fPIE
endif

# Builds with other compilers live in their own directories
ifneq ($(BUILD_DIR),)
B := $(BUILD_DIR)
endif

# musl's compiler wrapper sees no kernel headers: point it at the system's
KHDR := $(shell $(CC) -E -x c -include linux/types.h /dev/null \
		>/dev/null 2>&1 || echo missing)
ifeq ($(KHDR),missing)
MULTIARCH := $(shell gcc -print-multiarch 2>/dev/null)
KHDR_DIR := $(B)/kernel-headers
KHDR_FLAGS := -isystem $(KHDR_DIR)
KHDR_DEP := $(KHDR_DIR)/.done
endif

CFLAGS ?=
LDFLAGS ?=
BASE_CFLAGS := -std=gnu11 -Wall -Wextra -Werror -pipe -D_GNU_SOURCE \
	       $(OPT_FLAGS) $(HARDEN_CFLAGS) $(KHDR_FLAGS) -MMD -MP
BASE_LDFLAGS := $(OPT_FLAGS) -pie -Wl,-z,relro,-z,now

# What $(B)/flags and $(B)/version hold (see the top of this file)
CC_VERSION := $(shell $(CC) --version 2>/dev/null | head -n1)
BUILD_FLAGS = $(CC) ($(CC_VERSION)): $(BASE_CFLAGS) $(CFLAGS); \
	      $(BASE_LDFLAGS) $(LDFLAGS)
VERSION_CFLAGS = -DVERSION='"$(VERSION)"'
VERSION_DEF :=

# shq() - Quote for the shell, in single quotes
shq = '$(subst ','\'',$(1))'

# Every source but passt.c goes in a library the unit tests link against
LIB_SRCS := arp.c checksum.c conf.c ctl.c dhcp.c dhcpv6.c dnsname.c fdlimit.c \
	    flow.c follow.c fwd.c fwd_listen.c icmp.c inany.c iov.c \
	    isolation.c link_stream.c link_tap.c link_vu.c log.c mcast.c ndp.c \
	    netlink.c nshelper.c packet.c pasta.c pcap.c quit.c resolv.c \
	    siphash.c stats.c tap.c tcp.c tcp_splice.c udp.c util.c \
	    vhost_user.c virtio.c
LIB_OBJS := $(LIB_SRCS:%.c=$(B)/%.o)
PASST_OBJS := $(B)/passt.o $(LIB_OBJS)

UNIT_SRCS := $(wildcard test/unit/test_*.c)
UNIT_BINS := $(UNIT_SRCS:test/unit/%.c=$(B)/unit/%)

TOOL_SRCS := $(wildcard test/tools/*.c)
TOOL_BINS := $(TOOL_SRCS:test/tools/%.c=$(B)/tools/%)
PRELOAD_SRCS := $(wildcard test/tools/preload/*.c)
PRELOAD_LIBS := $(PRELOAD_SRCS:test/tools/preload/%.c=$(B)/tools/%.so)

# Top-level binaries come from the default build only
ifeq ($(B),build)
BIN := .
else
BIN := $(B)
endif

.PHONY: all clean install uninstall check check-unit check-unit-san \
	unit tools FORCE

all: $(BIN)/passt $(BIN)/pasta $(BIN)/qrap $(BIN)/pesto

$(KHDR_DIR)/.done:
	@mkdir -p $(KHDR_DIR)
	ln -sfn /usr/include/linux $(KHDR_DIR)/linux
	ln -sfn /usr/include/asm-generic $(KHDR_DIR)/asm-generic
	ln -sfn $(if $(wildcard /usr/include/$(MULTIARCH)/asm),/usr/include/$(MULTIARCH)/asm,/usr/include/asm) $(KHDR_DIR)/asm
	@touch $@

SECCOMP_SRCS := $(LIB_SRCS) passt.c pesto.c

seccomp.h: seccomp.sh $(SECCOMP_SRCS)
	./seccomp.sh $@ $(SECCOMP_SRCS)

$(B)/isolation.o $(B)/pesto.o: seccomp.h

# Rewritten only when what they hold changes, see the top of this file
$(B)/flags: FORCE
	@mkdir -p $(dir $@)
	@printf '%s\n' $(call shq,$(BUILD_FLAGS)) | cmp -s - $@ || \
		printf '%s\n' $(call shq,$(BUILD_FLAGS)) > $@

$(B)/version: FORCE
	@mkdir -p $(dir $@)
	@printf '%s\n' $(call shq,$(VERSION)) | cmp -s - $@ || \
		printf '%s\n' $(call shq,$(VERSION)) > $@

$(B)/util.o $(B)/qrap.o $(B)/pesto.o: $(B)/version
$(B)/util.o $(B)/qrap.o $(B)/pesto.o: VERSION_DEF = $(VERSION_CFLAGS)

$(B)/%.o: %.c $(B)/flags $(KHDR_DEP)
	@mkdir -p $(dir $@)
	$(CC) $(BASE_CFLAGS) $(VERSION_DEF) $(CFLAGS) -c -o $@ $<

$(BIN)/passt: $(PASST_OBJS)
	@mkdir -p $(dir $@)
	$(CC) $(BASE_LDFLAGS) $(LDFLAGS) -o $@ $^

$(BIN)/pasta: $(BIN)/passt
	ln -sf passt $@

$(BIN)/qrap: $(B)/qrap.o
	$(CC) $(BASE_LDFLAGS) $(LDFLAGS) -o $@ $^

$(BIN)/pesto: $(B)/pesto.o
	$(CC) $(BASE_LDFLAGS) $(LDFLAGS) -o $@ $^

$(B)/unit/%: test/unit/%.c $(LIB_OBJS) test/unit/unit.h $(B)/flags
	@mkdir -p $(dir $@)
	$(CC) $(BASE_CFLAGS) $(CFLAGS) -I. -o $@ $< $(LIB_OBJS) \
		$(BASE_LDFLAGS)

$(B)/tools/%: test/tools/%.c $(B)/flags $(KHDR_DEP)
	@mkdir -p $(dir $@)
	$(CC) $(BASE_CFLAGS) $(CFLAGS) -o $@ $< $(BASE_LDFLAGS)

# Libraries for LD_PRELOAD, without sanitizers: those want their runtime
# loaded first, and the library only passes calls on
$(B)/tools/%.so: test/tools/preload/%.c $(B)/flags $(KHDR_DEP)
	@mkdir -p $(dir $@)
	$(CC) $(filter-out -fsanitize%,$(BASE_CFLAGS) $(CFLAGS)) -shared -fPIC \
		-o $@ $<

unit: $(UNIT_BINS)
tools: $(TOOL_BINS) $(PRELOAD_LIBS)

# Unit tests only, with this build's flags
check-unit: unit
	test/run.sh --unit-dir $(B)/unit

# The whole suite, unit and integration tests, on this build; then, unless
# this is the sanitizer build already, again on binaries with ASan and UBSan
# (whose seccomp filter also lets the sanitizer runtimes report). The first
# pass also runs passt and pasta under valgrind, from build-vg/, and a short
# make bench; the second one doesn't fuzz again (the harness has its own
# sanitizers anyway).
# The last line of the output sums up both passes.
CHECK_TALLY := $(abspath build)/check.tally
ifneq ($(SANITIZE),1)
check: VG_ENV := VALGRIND_PASST=$(abspath build-vg)/passt BENCH_SMOKE=1
check: RUN_OPTS := --tally $(CHECK_TALLY)
else
check: VG_ENV := FUZZ_SECONDS=0
check: RUN_OPTS := $(if $(CHECK_ADD),--add $(CHECK_ADD))
endif
check: all unit tools
ifneq ($(SANITIZE),1)
	$(MAKE) --no-print-directory BUILD_DIR=build-vg \
		CFLAGS='-g -DSECCOMP_TOOLS' build-vg/passt
endif
	$(VG_ENV) PASST_BIN=$(abspath $(BIN))/passt \
	QRAP_BIN=$(abspath $(BIN))/qrap PESTO_BIN=$(abspath $(BIN))/pesto \
	TOOLS_DIR=$(abspath $(B))/tools \
		test/run.sh --unit-dir $(B)/unit --integration $(RUN_OPTS)
ifneq ($(SANITIZE),1)
	$(MAKE) --no-print-directory SANITIZE=1 CHECK_ADD=$(CHECK_TALLY) check
endif

# Benchmarks (as root, about 25 minutes): passt and pasta next to the kernel's
# own path, upstream's passt and pasta and slirp4netns; options of
# test/perf/bench.sh in BENCH_OPTS, e.g. BENCH_OPTS='-t 1 -r 1 -s passt'
.PHONY: bench bench-short
bench: all tools
	PASST_BIN=$(abspath $(BIN))/passt TOOLS_DIR=$(abspath $(B))/tools \
		test/perf/bench.sh $(BENCH_OPTS)

# One TCP row per path, ours and the limit, 1 s each: under a minute
bench-short: all tools
	PASST_BIN=$(abspath $(BIN))/passt TOOLS_DIR=$(abspath $(B))/tools \
		test/perf/bench.sh -q

# Documentation and contrib/, installed under $(DOCDIR) as in the tree
DOC_FILES := README.md $(wildcard doc/*.md) \
	     $(wildcard contrib/apparmor/usr.bin.* contrib/apparmor/abstractions/*) \
	     $(wildcard contrib/selinux/*.te contrib/selinux/*.if \
			contrib/selinux/*.fc) \
	     $(wildcard contrib/systemd/*.service contrib/rpm/*.spec)

install: all
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(MANDIR)/man1
	install -m 755 $(BIN)/passt $(BIN)/qrap $(BIN)/pesto $(DESTDIR)$(BINDIR)
	ln -sf passt $(DESTDIR)$(BINDIR)/pasta
	install -m 644 passt.1 qrap.1 pesto.1 $(DESTDIR)$(MANDIR)/man1
	ln -sf passt.1 $(DESTDIR)$(MANDIR)/man1/pasta.1
	for f in $(DOC_FILES); do \
		install -D -m 644 "$$f" "$(DESTDIR)$(DOCDIR)/$$f" || exit 1; \
	done

# Then the directories under $(DOCDIR), deepest first, and $(DOCDIR), if
# nothing else is left in them
uninstall:
	rm -f $(DESTDIR)$(BINDIR)/passt $(DESTDIR)$(BINDIR)/pasta \
	      $(DESTDIR)$(BINDIR)/qrap $(DESTDIR)$(BINDIR)/pesto \
	      $(DESTDIR)$(MANDIR)/man1/passt.1 $(DESTDIR)$(MANDIR)/man1/pasta.1 \
	      $(DESTDIR)$(MANDIR)/man1/qrap.1 $(DESTDIR)$(MANDIR)/man1/pesto.1
	rm -f $(DOC_FILES:%=$(DESTDIR)$(DOCDIR)/%)
	for d in $$(printf '%s\n' $(filter-out ./,$(dir $(DOC_FILES))) \
		    contrib/ | LC_ALL=C sort -ru) ''; do \
		rmdir "$(DESTDIR)$(DOCDIR)/$$d" 2>/dev/null || :; \
	done

clean:
	rm -rf build build-san build-* passt pasta qrap pesto seccomp.h

-include $(wildcard $(B)/*.d $(B)/unit/*.d $(B)/tools/*.d)

# Fuzzing (clang, libFuzzer): make fuzz, make fuzz-run
-include test/fuzz/fuzz.mk

# Static analysis: make lint. Checks left out, and why:
# - insecureAPI.DeprecatedOrUnsafeBufferHandling: wants Annex K functions
#   (memcpy_s and such), which glibc and musl don't have
# - insecureAPI.strcpy: used only after checking the length
# - valist.Uninitialized: false positives with va_start() in the same body
# - bugprone-easily-swappable-parameters: addresses and ports come in pairs
# - bugprone-narrowing-conversions: protocol fields are narrow on purpose
# - bugprone-reserved-identifier, cert-dcl37-c, cert-dcl51-cpp: kernel
#   headers' and our double-underscore names
# - bugprone-suspicious-string-compare: !strcmp() is the idiom here
# - bugprone-implicit-widening-of-multiplication-result: bounded sizes
# - cert-err33-c: best-effort calls (setsockopt() tuning) ignored on purpose
# - cert-err34-c: sscanf() on /proc/net lines, checked by its return count
# - misc-no-recursion: none on the data path, and bounded where any
CLANG_TIDY_CHECKS := -*,clang-analyzer-*,bugprone-*,cert-*,misc-*,\
	performance-*,portability-*,\
	-clang-analyzer-security.insecureAPI.DeprecatedOrUnsafeBufferHandling,\
	-clang-analyzer-security.insecureAPI.strcpy,\
	-clang-analyzer-valist.Uninitialized,\
	-bugprone-easily-swappable-parameters,-bugprone-narrowing-conversions,\
	-bugprone-reserved-identifier,-bugprone-suspicious-string-compare,\
	-bugprone-implicit-widening-of-multiplication-result,\
	-cert-err33-c,-cert-err34-c,-cert-dcl37-c,-cert-dcl51-cpp,\
	-misc-no-recursion
# cppcheck: every warning, performance and portability check; the style
# class only flags variable scopes, and members of on-disk formats
CPPCHECK_FLAGS := -q --error-exitcode=1 --inline-suppr --std=c11 \
	--enable=warning,performance,portability \
	--suppress=missingIncludeSystem -D__linux__ -D__x86_64__ -D_GNU_SOURCE

.PHONY: lint
lint: seccomp.h
	clang-tidy --quiet --warnings-as-errors='*' \
		-checks='$(subst $(eval) ,,$(CLANG_TIDY_CHECKS))' \
		$(LIB_SRCS) passt.c qrap.c pesto.c -- -std=gnu11 -D_GNU_SOURCE -I.
	cppcheck $(CPPCHECK_FLAGS) -I. $(LIB_SRCS) passt.c qrap.c pesto.c

# AppArmor 4.0 variant of contrib/apparmor/: make apparmor4
include contrib/apparmor/apparmor.mk
