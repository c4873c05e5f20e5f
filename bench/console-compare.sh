#!/usr/bin/env bash
# bench/console-compare.sh — what a watched console tail costs the
# delivery path, measured with `fanout bench fanout` in one run:
#
# Two `fanout serve` processes, one without the console ("none") and one
# with it. $CONNS subscribers of one channel (bench-0) get $RATE events/s
# of $SIZE bytes for $DURATION through the HTTP API, in rounds of three
# runs: against the node without a console, against the node with the
# console unwatched, and against it with the console's live tail of that
# channel and of the connection log open (an SSE stream read by curl, as
# a browser's); $ROUNDS rounds, the order reversed every other round.
# Reported per run: events published/s,
# deliveries/s, server CPU per delivery (µs), p50/p99 latency, and the
# tail events the stream carried.
# Settings (environment): CONNS (20), RATE (10000), SIZE (100),
# DURATION (10s), ROUNDS (3), PUBLISHERS (16), OUT (out/console-compare).
# Results: $OUT/results.md.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
CONNS=${CONNS:-20}
RATE=${RATE:-10000}
SIZE=${SIZE:-100}
DURATION=${DURATION:-10s}
ROUNDS=${ROUNDS:-3}
PUBLISHERS=${PUBLISHERS:-16}
OUT=${OUT:-$ROOT/out/console-compare}
BIN=$OUT/bin
PASSWORD=bench-console
mkdir -p "$BIN"

# shellcheck source=bench/lib.sh
. "$ROOT/bench/lib.sh"
echo "console-compare: building" >&2
build_tools "$BIN" fanout

PORT=$(( 20000 + RANDOM % 20000 ))
MPORT=$(( PORT + 1 ))
BARE_PORT=$(( PORT + 2 ))
FANOUT_CONSOLE_PASSWORD=$PASSWORD nice "$BIN/fanout" serve --addr "127.0.0.1:$PORT" \
	--metrics-addr "127.0.0.1:$MPORT" >>"$OUT/fanout.log" 2>&1 &
CONSOLE_PID=$!
PIDS+=("$CONSOLE_PID")
nice "$BIN/fanout" serve --addr "127.0.0.1:$BARE_PORT" --metrics-addr "" >>"$OUT/fanout-bare.log" 2>&1 &
BARE_PID=$!
PIDS+=("$BARE_PID")
wait_port "$PORT"
wait_port "$MPORT"
wait_port "$BARE_PORT"

echo "| round | console | published/s | deliveries/s | server CPU µs/delivery | p50 ms | p99 ms | missed | tail events seen |" >"$OUT/results.md"
echo "|---|---|---:|---:|---:|---:|---:|---:|---:|" >>"$OUT/results.md"
for round in $(seq "$ROUNDS"); do
	modes="none unwatched watched"
	[ $(( round % 2 )) = 0 ] && modes="watched unwatched none" # neither end always first
	for mode in $modes; do
		tail_pid=""
		port=$PORT pid=$CONSOLE_PID
		[ "$mode" = none ] && port=$BARE_PORT pid=$BARE_PID
		if [ "$mode" = watched ]; then
			# The console's live tail of the channel and the connection
			# log, read as a browser would; bounded by the round.
			timeout 120 curl -sN -H "Authorization: Bearer $PASSWORD" \
				"http://127.0.0.1:$MPORT/console/api/stream?app=app-id&channel=bench-0&log=1" >"$OUT/tail-$round.txt" &
			tail_pid=$!
			PIDS+=("$tail_pid")
			for _ in $(seq 100); do grep -q '"watching":true' "$OUT/tail-$round.txt" 2>/dev/null && break; sleep 0.05; done
		fi
		dir="$OUT/$round-$mode"
		"$BIN/fanout" bench fanout --url "ws://127.0.0.1:$port" --conns "$CONNS" --channels 1 --rate "$RATE" \
			--size "$SIZE" --duration "$DURATION" --publishers "$PUBLISHERS" --server-pid "$pid" \
			--label "console $mode" --quiet --out "$dir" >"$dir.log" 2>&1 || { cat "$dir.log" >&2; exit 1; }
		seen=-
		if [ -n "$tail_pid" ]; then
			stop_pid "$tail_pid"
			seen=$(grep -c '^event: tail' "$OUT/tail-$round.txt" || true)
		fi
		jq -r --arg r "$round" --arg m "$mode" --arg s "$seen" \
			'"| \($r) | \($m) | \(.published_per_s|floor) | \(.delivered_per_s|floor) | \(.server_cpu_us_per_delivery*100|floor/100) | \(.latency_ms.p50*10|floor/10) | \(.latency_ms.p99*10|floor/10) | \(.missed // 0) | \($s) |"' \
			"$dir/results.json" >>"$OUT/results.md"
		tail -1 "$OUT/results.md" >&2
	done
done
cat "$OUT/results.md"
