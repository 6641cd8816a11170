#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# passt - user-mode networking for virtual machines and namespaces
#
# test/90_bench.sh - make bench, shortened: one run of one second per figure,
# ours only, passt (stream socket and vhost-user) and pasta throughput at MTU
# 1500. Every row must have a figure for the limit and for ours, every row of
# the CPU tables a figure for ours, and UDP's CPU time per GB moved can't be
# above its CPU time per GB received: the receiver counts at most what
# reached its interface. Flooded, it drops some: in one row at least, moved
# must be below received. Then the short mode (-q, make bench-short): a
# throughput above zero in each of its four rows
#
# BENCH_SMOKE must be set (make check sets it in its first pass only), as
# must be iperf3.

. "$(dirname "$0")/lib.sh"

if [ -z "${BENCH_SMOKE:-}" ] || ! command -v iperf3 >/dev/null; then
	skip bench_smoke "needs iperf3 and BENCH_SMOKE (make check sets it)"
	exit 0
fi

# tables_ok() - Pass if the tables were printed and have no problems
# $1:	Name of the check
# $2:	Problems found, one a line, empty if none
# $3:	Output of bench.sh
# $4:	Its standard error, the end of which goes with a failure
tables_ok() {
	if [ -z "$2" ] && [ -s "$3" ]; then
		pass "$1"
	else
		fail "$1" "${2:-no output}" "$(tail -c 600 "$4")"
	fi
}

out="${TMP}/bench.out"
"${TOP}/test/perf/bench.sh" -t 1 -r 1 -i ours -s passt,vu,pasta,tput \
	-m 1500 -p 1500 >"${out}" 2>"${TMP}/bench.err"
expect_eq bench_smoke_exit "$?" 0

# Problems with the tables, one a line; nothing if they are complete
problems=$(python3 - "${out}" <<'EOF'
import re, sys

num = re.compile(r"^[0-9]+(\.[0-9]+)?$")
rows = {"tput": {}, "moved": {}, "received": {}}
table = mode = None
for line in open(sys.argv[1]):
    line = line.rstrip("\n")
    if line.startswith("Throughput in"):
        table = "tput"
    elif "per GB moved" in line:
        table = "moved"
    elif "per GB the receiver counted" in line:
        table = "received"
    elif line.startswith(("passt", "pasta")):
        mode = line.split(":")[0]
    elif table and re.match(r"^  (TCP|UDP) IPv[46] ", line):
        f = line.split()
        rows[table][(mode, " ".join(f[:3]))] = f[4:]

below = 0
want = ["%s IPv%s %s" % (p, v, d) for p in ("TCP", "UDP") for v in (4, 6)
        for d in ("ns->remote", "remote->ns")]
for mode in ("passt", "passt vhost-user", "pasta"):
    for label in want:
        key = (mode, label)
        t = rows["tput"].get(key)
        if not t or not num.match(t[0]) or not num.match(t[1]):
            print("%s %s: no throughput figures: %s" % (mode, label, t))
        m = rows["moved"].get(key)
        if not m or not num.match(m[0]):
            print("%s %s: no CPU time per GB moved: %s" % (mode, label, m))
        if not label.startswith("UDP"):
            continue
        r = rows["received"].get(key)
        if not r or not num.match(r[0]):
            print("%s %s: no CPU time per GB received: %s" %
                  (mode, label, r))
        elif m and num.match(m[0]) and float(m[0]) > float(r[0]):
            print("%s %s: %s s/GB moved, above %s s/GB received" %
                  (mode, label, m[0], r[0]))
        elif m and num.match(m[0]) and float(m[0]) < float(r[0]):
            below += 1
if not below:
    print("UDP: CPU time per GB moved is never below per GB received")
EOF
)
tables_ok bench_smoke_tables "${problems}" "${out}" "${TMP}/bench.err"

# The short mode (make bench-short): one TCP row per path, each with a
# throughput above zero for the limit and for ours
out="${TMP}/short.out"
"${TOP}/test/perf/bench.sh" -q >"${out}" 2>"${TMP}/short.err"
expect_eq bench_short_exit "$?" 0
problems=$(python3 - "${out}" <<'EOF'
import re, sys

want = {"passt": "TCP IPv4 ns->remote 65520",
        "passt vhost-user": "TCP IPv4 ns->remote 65520",
        "pasta": "TCP IPv4 ns->remote 65520",
        "pasta splice": "TCP IPv4 ns->host (-T)"}
got, sec = {}, None
for line in open(sys.argv[1]):
    if line.startswith("CPU seconds"):
        break
    if re.match(r"^[a-z]", line):
        sec = line.split(":")[0]
    elif line.startswith("  ") and sec in want and \
         line[2:].startswith(want[sec]):
        got[sec] = line[2 + len(want[sec]):].split()[:2]
for sec in want:
    f = got.get(sec, [])
    if len(f) != 2 or not all(re.match(r"^[0-9.]+$", x) and float(x) > 0
                              for x in f):
        print("%s %s: limit and ours %s" % (sec, want[sec], f))
EOF
)
tables_ok bench_short_rows "${problems}" "${out}" "${TMP}/short.err"

# The header says what a system call and a wake-up cost on this machine
# (test/tools/rr costs), the figures that explain the rates' rows
costs=$(grep -m1 "^This machine's system call" "${out}")
if echo "${costs}" | grep -Eq \
	"system call [0-9.]+ us; wake-up round trip [0-9.]+ us on one CPU"; then
	pass bench_header_costs
else
	fail bench_header_costs "no costs line" "$(head -5 "${out}")"
fi
