#!/usr/bin/env bash
# bench/probe-check.sh — checks `fanout bench` against fanout-probe, an
# independent client (bench/cmd/fanout-probe), on one channel of $CONNS
# subscribers at $RATE events/s of $SIZE bytes:
#   1. one run, the subscribers split between the harness and the probe:
#      both time the same events (p50, p99);
#   2. the harness alone with all $CONNS: its server writes and CPU per
#      delivery;
#   3. the probe with $CONNS-1 and the harness with 1 (it publishes):
#      the probe's server writes and CPU per delivery.
# It prints one table. SERVER=fanout (default) or nbio. Every process it
# starts is stopped on exit; every step is bounded by `timeout`.
#   CONNS (default 18000)  RATE (default 2)  SIZE (default 100)
#   DURATION (default 20s)  OUT (default out/probe-check)
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
CONNS=${CONNS:-18000}
RATE=${RATE:-2}
SIZE=${SIZE:-100}
DURATION=${DURATION:-20s}
SERVER=${SERVER:-fanout}
OUT=${OUT:-$ROOT/out/probe-check}
BIN=$OUT/bin
mkdir -p "$BIN"

# shellcheck source=bench/lib.sh
. "$ROOT/bench/lib.sh"

build_tools "$BIN" fanout nbiohub fanout-bench fanout-probe

PORT=6111
case $SERVER in
fanout) nice "$BIN/fanout" serve --addr "127.0.0.1:$PORT" --metrics-addr "" >"$OUT/server.log" 2>&1 & ;;
nbio) nice "$BIN/nbiohub" -addr "127.0.0.1:$PORT" >"$OUT/server.log" 2>&1 & ;;
*) echo "probe-check: SERVER=$SERVER: want fanout or nbio" >&2; exit 2 ;;
esac
SPID=$!
PIDS+=("$SPID")
wait_port "$PORT"
URL=ws://127.0.0.1:$PORT

half=$((CONNS / 2))
echo "probe-check: 1/3 split run, $half + $((CONNS - half)) subscribers (load average $(cut -d' ' -f1-3 /proc/loadavg))" >&2
start_probe "$((CONNS - half))" "$OUT/split-probe.json"
one_channel_run "$half" "$OUT/split-harness" --label "harness, split run"
wait "$PROBE_PID" || true
echo "probe-check: 2/3 the harness alone (load average $(cut -d' ' -f1-3 /proc/loadavg))" >&2
one_channel_run "$CONNS" "$OUT/alone-harness" --server-pid "$SPID" --label "harness alone"
echo "probe-check: 3/3 the probe alone (load average $(cut -d' ' -f1-3 /proc/loadavg))" >&2
start_probe "$((CONNS - 1))" "$OUT/alone-probe.json" -server-pid "$SPID"
one_channel_run 1 "$OUT/alone-publisher"
wait "$PROBE_PID" || true

python3 - "$OUT" <<'PY'
import json, sys
out = sys.argv[1]
import os
def h(d):
    r = json.load(open(f"{out}/{d}/results.json"))
    r = r[0] if isinstance(r, list) else r
    f = f"{out}/{d}/failed"
    r["failed"] = os.path.exists(f) and ("SELF-CHECK FAILED" if "SELF-CHECK" in open(f).read() else "failed")
    return r
def p(f):
    return json.load(open(f"{out}/{f}"))
sh, sp, ah, ap = h("split-harness"), p("split-probe.json"), h("alone-harness"), p("alone-probe.json")
lat = lambda r, k: r["latency_ms"][k]
# A server on io_uring sends with io_uring_enter(2), which syscw does not
# count: both clients then leave the writes out.
wr = lambda r: "n/a (io_uring)" if r.get("server_io_uring") else f"{r.get('server_writes_per_delivery',0):.3f}"
print("| client | split run p50 / p99 ms | alone: server writes per delivery | alone: server CPU µs per delivery | alone: p99 ms |")
print("|---|---:|---:|---:|---:|")
sc = "".join(f" ({r['failed']}: {d})" for d, r in (("split run", sh), ("alone", ah)) if r["failed"])
print(f"| fanout bench{sc} | {lat(sh,'p50'):.0f} / {lat(sh,'p99'):.0f} | {wr(ah)} | {ah.get('server_cpu_us_per_delivery',0):.2f} | {lat(ah,'p99'):.0f} |")
print(f"| fanout-probe | {sp['p50_ms']:.0f} / {sp['p99_ms']:.0f} | {wr(ap)} | {ap.get('server_cpu_us_per_delivery',0):.2f} | {ap['p99_ms']:.0f} |")
ratio = "n/a (io_uring)" if ah.get("server_io_uring") or ap.get("server_io_uring") else \
    f"{ah.get('server_writes_per_delivery',0)/max(ap.get('server_writes_per_delivery',1e-9),1e-9):.2f}"
print(f"\nharness / probe: split p99 {lat(sh,'p99')/sp['p99_ms']:.2f}, writes per delivery {ratio}")
PY
