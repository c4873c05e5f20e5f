#!/usr/bin/env bash
# bench/uring-compare.sh — server CPU per delivery at light load, fanout
# with and without io_uring fan-out sends (server.io_uring) beside the
# nbio hub (bench/peers/nbiohub), on one channel of $CONNS subscribers at
# $RATE events/s of $SIZE bytes. For each server, $ROUNDS times:
#   1. `fanout bench` with all $CONNS subscribers (--server-pid);
#   2. fanout-probe with $CONNS-1 subscribers (-server-pid), the harness
#      publishing on one more: an independent client's count.
# Both take the server's utime+stime from /proc/PID/stat over the window
# and divide by the deliveries their clients received. One row per run.
#   CONNS (18000)  RATE (2)  SIZE (100)  DURATION (15s)  ROUNDS (1)
#   SERVERS ("fanout fanout-uring nbio")  OUT (out/uring-compare)
# Every process it starts is stopped on exit; every step is bounded.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
CONNS=${CONNS:-18000}
RATE=${RATE:-2}
SIZE=${SIZE:-100}
DURATION=${DURATION:-15s}
ROUNDS=${ROUNDS:-1}
SERVERS=${SERVERS:-fanout fanout-uring nbio}
OUT=${OUT:-$ROOT/out/uring-compare}
BIN=$OUT/bin
mkdir -p "$BIN"

# shellcheck source=bench/lib.sh
. "$ROOT/bench/lib.sh"

build_tools "$BIN" fanout nbiohub fanout-bench fanout-probe

PORT=6113
URL=ws://127.0.0.1:$PORT

row() {
	python3 - "$@" <<'PY'
import json, os, sys
name, rnd, hdir, pfile = sys.argv[1:5]
if os.path.exists(f"{hdir}/failed"):
    name += " (SELF-CHECK FAILED)" if "SELF-CHECK" in open(f"{hdir}/failed").read() else " (failed)"
h = json.load(open(f"{hdir}/results.json")); h = h[0] if isinstance(h, list) else h
p = json.load(open(pfile))
w = "n/a (io_uring)" if h.get('server_io_uring') else f"{h.get('server_writes_per_delivery', 0):.3f}"  # syscw misses io_uring_enter
print(f"| {rnd} | {name} | {h.get('server_cpu_us_per_delivery', 0):.2f} | {w} | {h['latency_ms']['p99']:.0f} "
      f"| {p.get('server_cpu_us_per_delivery', 0):.2f} | {p['p99_ms']:.0f} | {h['delivered']} / {h['expected']} |")
PY
}

echo "| round | server | harness: server CPU µs / delivery | writes / delivery | p99 ms | probe: server CPU µs / delivery | p99 ms | delivered |"
echo "|---|---|---:|---:|---:|---:|---:|---|"
for r in $(seq "$ROUNDS"); do
	for s in $SERVERS; do
		case $s in
		fanout) nice "$BIN/fanout" serve --addr "127.0.0.1:$PORT" --metrics-addr "" --io-uring=false >"$OUT/$s.log" 2>&1 & ;;
		fanout-uring) nice "$BIN/fanout" serve --addr "127.0.0.1:$PORT" --metrics-addr "" --io-uring >"$OUT/$s.log" 2>&1 & ;;
		nbio) nice "$BIN/nbiohub" -addr "127.0.0.1:$PORT" >"$OUT/$s.log" 2>&1 & ;;
		*) echo "uring-compare: $s: want fanout, fanout-uring or nbio" >&2; exit 2 ;;
		esac
		SPID=$!
		PIDS+=("$SPID")
		wait_port "$PORT"
		echo "uring-compare: round $r $s (load average $(cut -d' ' -f1-3 /proc/loadavg))" >&2
		one_channel_run "$CONNS" "$OUT/$s-$r-harness" --server-pid "$SPID" --label "$s"
		start_probe "$((CONNS - 1))" "$OUT/$s-$r-probe.json" -server-pid "$SPID"
		one_channel_run 1 "$OUT/$s-$r-publisher"
		wait "$PROBE_PID" || true
		stop_pid "$SPID"
		row "$s" "$r" "$OUT/$s-$r-harness" "$OUT/$s-$r-probe.json"
	done
done
