#!/usr/bin/env bash
# bench/cpu-split.sh — where a machine's CPU goes, process by process,
# while a benchmark runs: every CPU is sampled with perf(1) (cpu-clock,
# 499 Hz, no call graphs) and each sample is charged to its process,
# user or kernel side. On a machine whose cores the servers, Redis and
# the load generator share, a back-to-back rate measures the CPU all of
# them spend per operation; this says how much each one spends.
#
#   bench/cpu-split.sh record SECONDS PERF_DATA
#       samples all CPUs for SECONDS into PERF_DATA
#   bench/cpu-split.sh report PERF_DATA OPS_PER_S LABEL=PID[,PID...] ...
#       prints a Markdown table: per labelled process (the others grouped
#       by command name, idle as "idle"), its share of all CPUs and its
#       user and kernel CPU in µs per operation at OPS_PER_S.
#
# Needs perf (Debian: linux-perf) and the right to sample every CPU
# (root, or kernel.perf_event_paranoid <= 0).
set -euo pipefail

case ${1:-} in
record)
	secs=$2 data=$3
	perf record -a -F 499 -o "$data" -- sleep "$secs" >/dev/null 2>&1
	;;
report)
	data=$2 rate=$3
	shift 3
	perf script -i "$data" -G -F comm,pid,ip,dso 2>/dev/null | python3 -c '
import sys, os
rate = float(sys.argv[1])
label = {}
for arg in sys.argv[2:]:
    name, pids = arg.split("=", 1)
    for p in pids.split(","):
        if p:
            label[p] = name
cpus = os.cpu_count()
count = {}
total = 0
for line in sys.stdin:
    f = line.split()
    if len(f) < 3:
        continue
    # comm may hold spaces: the pid is the first field that is a number
    i = next((k for k, w in enumerate(f) if w.isdigit()), None)
    if i is None:
        continue
    comm, pid, dso = " ".join(f[:i]), f[i], f[-1]
    who = "idle" if pid == "0" else label.get(pid, comm)
    side = "kernel" if "kernel" in dso or "vdso" in dso else "user"
    count[(who, side)] = count.get((who, side), 0) + 1
    total += 1
if total == 0:
    sys.exit("cpu-split: no samples in the perf data")
names = sorted({w for w, _ in count}, key=lambda w: -(count.get((w, "user"), 0) + count.get((w, "kernel"), 0)))
us = lambda n: n / total * cpus * 1e6 / rate if rate > 0 else float("nan")
print("| process | share of %d CPUs | user µs/op | kernel µs/op | total µs/op |" % cpus)
print("|---|---:|---:|---:|---:|")
for w in names:
    u, k = count.get((w, "user"), 0), count.get((w, "kernel"), 0)
    if (u + k) / total < 0.005:
        continue
    print("| %s | %.1f %% | %.1f | %.1f | %.1f |" % (w, 100 * (u + k) / total, us(u), us(k), us(u + k)))
print("\n%d samples; %.0f operations/s" % (total, rate))
' "$rate" "$@"
	;;
*)
	sed -n '2,17p' "$0" >&2
	exit 2
	;;
esac
