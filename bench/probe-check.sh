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

# probe N OUTFILE [ARGS]: starts the probe in the background, waits for "ready".
probe() {
	local n=$1 out=$2
	shift 2
	timeout 600 "$BIN/fanout-probe" -url "$URL" -conns "$n" -out "$out" "$@" >/dev/null 2>"$out.err" &
	PROBE_PID=$!
	PIDS+=("$PROBE_PID")
	for _ in $(seq 1200); do
		grep -q ready "$out.err" 2>/dev/null && return 0
		kill -0 "$PROBE_PID" 2>/dev/null || break
		sleep 0.1
	done
	echo "probe-check: the probe never got ready:" >&2
	cat "$out.err" >&2
	exit 1
}

# harness N OUTDIR [ARGS]: one fan-out run publishing to bench-0.
harness() {
	local n=$1 out=$2
	shift 2
	timeout 600 nice "$BIN/fanout-bench" fanout --url "$URL" --conns "$n" --channels 1 --rate "$RATE" \
		--size "$SIZE" --duration "$DURATION" --quiet --out "$out" "$@" >/dev/null || true
}

half=$((CONNS / 2))
echo "probe-check: 1/3 split run, $half + $((CONNS - half)) subscribers (load average $(cut -d' ' -f1-3 /proc/loadavg))" >&2
probe "$((CONNS - half))" "$OUT/split-probe.json"
harness "$half" "$OUT/split-harness" --label "harness, split run"
wait "$PROBE_PID" || true
echo "probe-check: 2/3 the harness alone (load average $(cut -d' ' -f1-3 /proc/loadavg))" >&2
harness "$CONNS" "$OUT/alone-harness" --server-pid "$SPID" --label "harness alone"
echo "probe-check: 3/3 the probe alone (load average $(cut -d' ' -f1-3 /proc/loadavg))" >&2
probe "$((CONNS - 1))" "$OUT/alone-probe.json" -server-pid "$SPID"
harness 1 "$OUT/alone-publisher"
wait "$PROBE_PID" || true

python3 - "$OUT" <<'PY'
import json, sys
out = sys.argv[1]
def h(d):
    r = json.load(open(f"{out}/{d}/results.json"))
    return r[0] if isinstance(r, list) else r
def p(f):
    return json.load(open(f"{out}/{f}"))
sh, sp, ah, ap = h("split-harness"), p("split-probe.json"), h("alone-harness"), p("alone-probe.json")
lat = lambda r, k: r["latency_ms"][k]
# A server on io_uring sends with io_uring_enter(2), which syscw does not
# count: both clients then leave the writes out.
wr = lambda r: "n/a (io_uring)" if r.get("server_io_uring") else f"{r.get('server_writes_per_delivery',0):.3f}"
print("| client | split run p50 / p99 ms | alone: server writes per delivery | alone: server CPU µs per delivery | alone: p99 ms |")
print("|---|---:|---:|---:|---:|")
print(f"| fanout bench | {lat(sh,'p50'):.0f} / {lat(sh,'p99'):.0f} | {wr(ah)} | {ah.get('server_cpu_us_per_delivery',0):.2f} | {lat(ah,'p99'):.0f} |")
print(f"| fanout-probe | {sp['p50_ms']:.0f} / {sp['p99_ms']:.0f} | {wr(ap)} | {ap.get('server_cpu_us_per_delivery',0):.2f} | {ap['p99_ms']:.0f} |")
ratio = "n/a (io_uring)" if ah.get("server_io_uring") or ap.get("server_io_uring") else \
    f"{ah.get('server_writes_per_delivery',0)/max(ap.get('server_writes_per_delivery',1e-9),1e-9):.2f}"
print(f"\nharness / probe: split p99 {lat(sh,'p99')/sp['p99_ms']:.2f}, writes per delivery {ratio}")
PY
