# SPDX-License-Identifier: GPL-2.0-or-later
#
# passt - user-mode networking for virtual machines and namespaces
#
# test/fuzz/fuzz.mk - libFuzzer harness for the stream from the guest
#
# Included by the top-level Makefile. Needs clang and libFuzzer (Debian:
# clang, libclang-rt-14-dev); without them, both targets say so and do
# nothing. The harness runs in new user and network namespaces of its own,
# with nothing but loopback: nothing it does leaves the machine.
#
#   make fuzz                       build build-fuzz/fuzz_tap: the library
#                                   sources and test/fuzz/fuzz_tap.c, with
#                                   libFuzzer, ASan and UBSan; and
#                                   build-fuzz/fuzz_vu, test/fuzz/fuzz_vu.c,
#                                   for the vhost-user back end
#   make fuzz-run                   fuzz for FUZZ_SECONDS (60) from a copy of
#                                   the seed corpus and the regression
#                                   inputs, in build-fuzz/run/;
#                                   fails if an input crashes, leaving it in
#                                   build-fuzz/run/artifacts/
#   make fuzz-run FUZZ_SECONDS=3600 FUZZ_JOBS=2
#                                   longer, with two processes
#   make fuzz-run FUZZ_FLAGS='-runs=100000'
#                                   more libFuzzer options
#
# By hand:
#
#   build-fuzz/fuzz_tap CORPUS_DIR...           fuzz, adding to CORPUS_DIR
#   build-fuzz/fuzz_tap FILE...                 run inputs, e.g. a crash
#   FUZZ_TAP_DEBUG=1 build-fuzz/fuzz_tap FILE   ... with passt's debug log
#   python3 test/fuzz/mkcorpus.py               rewrite test/fuzz/corpus/
#                                               (but found-*.bin, which the
#                                               fuzzer found)
#
# The input format, and how the harness fixes up checksums and sequence
# numbers, is described at the top of test/fuzz/fuzz_tap.c. Inputs that
# crashed passt once are kept in test/fuzz/regressions/, with a README;
# test/70_fuzz.sh (make check) runs them and the seed corpus, then fuzzes.
#
# UBSan checks alignment too: headers of frames from the guest, and of those
# passt builds, are aligned (tap.c, TAP_IP_ALIGN).

FUZZ_CC ?= clang
FUZZ_SECONDS ?= 60
FUZZ_JOBS ?= 1
FUZZ_FLAGS ?=
FUZZ_MAX_LEN ?= 20000

FUZZ_B := build-fuzz
FUZZ_DIR := test/fuzz
FUZZ_RUN := $(FUZZ_B)/run
FUZZ_SAN := -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all
# Null pointers are no valid addresses for the optimiser, otherwise: at -O1,
# *(p ? p : NULL) becomes *p, and the dereference of NULL goes unnoticed
FUZZ_OPT := -g -O1 -fno-omit-frame-pointer -fno-delete-null-pointer-checks \
	    $(FUZZ_SAN)
FUZZ_CFLAGS := -std=gnu11 -Wall -Wextra -Werror -pipe -D_GNU_SOURCE \
	       -DVERSION=\"$(VERSION)\" $(FUZZ_OPT) -MMD -MP
# Objects are rebuilt when the compiler or these flags change
FUZZ_STAMP := $(FUZZ_B)/flags
FUZZ_OBJS := $(LIB_SRCS:%.c=$(FUZZ_B)/%.o) $(FUZZ_B)/fuzz_tap.o
FUZZ_BIN := $(FUZZ_B)/fuzz_tap
FUZZ_VU_OBJS := $(LIB_SRCS:%.c=$(FUZZ_B)/%.o) $(FUZZ_B)/fuzz_vu.o
FUZZ_VU_BIN := $(FUZZ_B)/fuzz_vu

# Exit status 0 if $(FUZZ_CC) links a libFuzzer target
FUZZ_PROBE = mkdir -p $(FUZZ_B) && \
	printf 'int LLVMFuzzerTestOneInput(const char *d, unsigned long n)\n{ (void)d; (void)n; return 0; }\n' \
		> $(FUZZ_B)/probe.c && \
	$(FUZZ_CC) -fsanitize=fuzzer -o $(FUZZ_B)/probe $(FUZZ_B)/probe.c \
		>/dev/null 2>&1

FUZZ_SKIP = echo "fuzz: skipped: $(FUZZ_CC) with libFuzzer is not available (Debian: clang, libclang-rt-14-dev)"

ifeq ($(FUZZ_JOBS),1)
FUZZ_PAR :=
else
FUZZ_PAR := -fork=$(FUZZ_JOBS)
endif

.PHONY: fuzz fuzz-run fuzz-force

fuzz:
	@if ! { $(FUZZ_PROBE); }; then $(FUZZ_SKIP); exit 0; fi; \
	$(MAKE) --no-print-directory $(FUZZ_BIN) $(FUZZ_VU_BIN)

fuzz-run:
	@if ! { $(FUZZ_PROBE); }; then $(FUZZ_SKIP); exit 0; fi; \
	$(MAKE) --no-print-directory $(FUZZ_BIN) && \
	rm -rf $(FUZZ_RUN) && \
	mkdir -p $(FUZZ_RUN)/corpus $(FUZZ_RUN)/artifacts && \
	cp $(FUZZ_DIR)/corpus/*.bin $(FUZZ_DIR)/regressions/*.bin \
		$(FUZZ_RUN)/corpus/ && \
	echo "fuzz: $(FUZZ_BIN) for $(FUZZ_SECONDS) s on $(FUZZ_RUN)/corpus" && \
	$(FUZZ_BIN) -max_total_time=$(FUZZ_SECONDS) -max_len=$(FUZZ_MAX_LEN) \
		-print_final_stats=1 $(FUZZ_PAR) \
		-artifact_prefix=$(FUZZ_RUN)/artifacts/ $(FUZZ_FLAGS) \
		$(FUZZ_RUN)/corpus; rc=$$?; \
	if [ -n "$$(ls $(FUZZ_RUN)/artifacts/)" ]; then \
		echo "fuzz: failed, inputs in $(FUZZ_RUN)/artifacts/:"; \
		ls $(FUZZ_RUN)/artifacts/; exit 1; \
	fi; exit $$rc

$(FUZZ_STAMP): fuzz-force
	@mkdir -p $(dir $@)
	@echo '$(FUZZ_CC) $(FUZZ_OPT)' | cmp -s - $@ || \
		echo '$(FUZZ_CC) $(FUZZ_OPT)' > $@

$(FUZZ_B)/%.o: %.c $(FUZZ_STAMP)
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -c -o $@ $<

$(FUZZ_B)/fuzz_tap.o: $(FUZZ_DIR)/fuzz_tap.c $(FUZZ_STAMP)
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -I. -c -o $@ $<

$(FUZZ_B)/fuzz_vu.o: $(FUZZ_DIR)/fuzz_vu.c $(FUZZ_STAMP)
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -I. -c -o $@ $<

# Generated by the rule in the Makefile
$(FUZZ_B)/isolation.o: seccomp.h

$(FUZZ_BIN): $(FUZZ_OBJS)
	$(FUZZ_CC) $(FUZZ_SAN) -o $@ $^

$(FUZZ_VU_BIN): $(FUZZ_VU_OBJS)
	$(FUZZ_CC) $(FUZZ_SAN) -o $@ $^

-include $(wildcard $(FUZZ_B)/*.d)
