#!/usr/bin/env bash
# bench/multinode.sh — scale-out over one Redis: for each server, two
# nodes A and B on one redis-server, $CONNS subscribers on node B only,
# signed publishes through node A only, at each of $RATES events/s of
# $SIZE bytes on $CHANNELS channels. Reports cross-node delivery latency,
# publish throughput, missed deliveries and Redis's own CPU per publish
# (INFO cpu before and after the publish window, `--redis-addr`).
# Servers ($PEERS, default "fanout soketi centrifugo"): fanout with
# --redis-url, Soketi with its Redis adapter, Centrifugo with its Redis
# engine, each with the same settings; Soketi and Centrifugo only where
# bench/compare.sh installed them (skipped with a message otherwise).
# Every process it starts is stopped on exit; every step is bounded.
#   CONNS (default 10000)  CHANNELS (default 1)  RATES (default "10 50")
#   SIZE (default 100)  DURATION (default 10s)  OUT (default out/multinode)
#
# MODE=throughput publishes back to back instead of at $RATES: each of
# $PUBLISHERS (default 4) sends the next publish through node A when the
# previous one is answered, for $DURATION or $MAX_PUBLISHES in all
# (default 100000), $ROUNDS times (default 2) over the servers in turn,
# with $CONNS (default 100) subscribers on $CHANNELS (default 10)
# channels on node B. Reports publishes/s, Redis CPU and commands per
# publish (INFO cpu and commandstats), cross-node latency and missed
# deliveries for each.
#
# BASELINE=path/to/fanout adds the peer "fanout-base", that binary run
# as "fanout" is: two builds of fanout compared in one run.
#
# CPU_SPLIT=1 samples every CPU with perf(1) through the middle third of
# each publish window (bench/cpu-split.sh) and prints, per run, the CPU
# per publish of node A, node B, Redis and the harness, user and kernel
# side apart: on a machine they all share, where the rate comes from.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
PEERS=${PEERS:-"fanout soketi centrifugo"}
MODE=${MODE:-rate}
if [ "$MODE" = throughput ]; then
	CONNS=${CONNS:-100}
	CHANNELS=${CHANNELS:-10}
	RATES=back-to-back
else
	CONNS=${CONNS:-10000}
	CHANNELS=${CHANNELS:-1}
	RATES=${RATES:-"10 50"}
fi
PUBLISHERS=${PUBLISHERS:-$([ "$MODE" = throughput ] && echo 4 || echo 16)}
MAX_PUBLISHES=${MAX_PUBLISHES:-100000}
ROUNDS=${ROUNDS:-$([ "$MODE" = throughput ] && echo 2 || echo 1)}
SIZE=${SIZE:-100}
DURATION=${DURATION:-10s}
OUT=${OUT:-$ROOT/out/multinode}
BIN=$OUT/bin
mkdir -p "$BIN"

# shellcheck source=bench/lib.sh
. "$ROOT/bench/lib.sh"

build_tools "$BIN" fanout fanout-bench
CENTRIFUGO=$ROOT/bench/peers/centrifugo/bin/centrifugo
SOKETI_DIR=$ROOT/bench/peers/soketi

REDIS_PORT=6390
redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --save "" --appendonly no >"$OUT/redis.log" 2>&1 &
REDIS_PID=$!
PIDS+=("$REDIS_PID")
wait_port "$REDIS_PORT"

# node NAME PORT: starts one node of server NAME on PORT.
node() {
	local name=$1 port=$2
	case $name in
	fanout | fanout-base)
		local bin=$BIN/fanout
		[ "$name" = fanout-base ] && bin=$BASELINE
		"$bin" serve --addr "127.0.0.1:$port" --metrics-addr "" \
			--redis-url "redis://127.0.0.1:$REDIS_PORT/0" >"$OUT/$name-$port.log" 2>&1 &
		;;
	soketi)
		(cd "$SOKETI_DIR" && SOKETI_PORT=$port SOKETI_HOST=127.0.0.1 SOKETI_METRICS_ENABLED=false \
			SOKETI_ADAPTER_DRIVER=redis SOKETI_DB_REDIS_HOST=127.0.0.1 SOKETI_DB_REDIS_PORT=$REDIS_PORT \
			exec node node_modules/@soketi/soketi/bin/server.js start) >"$OUT/$name-$port.log" 2>&1 &
		;;
	centrifugo)
		centrifugo_config "$OUT/centrifugo-$port.json" "$port" "$REDIS_PORT"
		"$CENTRIFUGO" --config "$OUT/centrifugo-$port.json" >"$OUT/$name-$port.log" 2>&1 &
		;;
	esac
	NODE_PID=$!
	PIDS+=("$NODE_PID")
	wait_port "$port"
}

installed() {
	case $1 in
	fanout) true ;;
	fanout-base) [ -x "${BASELINE:-}" ] ;;
	soketi) [ -d "$SOKETI_DIR/node_modules/@soketi/soketi" ] ;;
	centrifugo) [ -x "$CENTRIFUGO" ] ;;
	*) false ;;
	esac
}

RESULTS=()
SPLITS=()
if [ "${CPU_SPLIT:-0}" = 1 ] && ! command -v perf >/dev/null; then
	echo "multinode: CPU_SPLIT=1 needs perf (Debian: linux-perf)" >&2
	exit 1
fi
for round in $(seq "$ROUNDS"); do
	for peer in $PEERS; do
		if ! installed "$peer"; then
			echo "multinode: SKIPPING $peer: not installed (bench/compare.sh installs it)" >&2
			continue
		fi
		proto=pusher
		[ "$peer" = centrifugo ] && proto=centrifugo
		node "$peer" 6121
		A=$NODE_PID
		node "$peer" 6122
		B=$NODE_PID
		for rate in $RATES; do
			pace=(--rate "$rate")
			label="$peer A→B $rate/s"
			if [ "$MODE" = throughput ]; then
				pace=(--back-to-back --max-publishes "$MAX_PUBLISHES")
				label="$peer A→B back to back"
			fi
			[ "$ROUNDS" -gt 1 ] && label="$label, round $round"
			echo "multinode: $label, $CONNS subscribers on B (load average $(cut -d' ' -f1-3 /proc/loadavg))" >&2
			run_out=$OUT/$peer-$rate-$round
			mkdir -p "$run_out"
			split_pid=
			if [ "${CPU_SPLIT:-0}" = 1 ]; then
				third=$(($(seconds "$DURATION") / 3))
				# the subscribers connect first: the window starts when publishing has
				(sleep "$((third + CONNS / 1000 + 2))" && exec bash bench/cpu-split.sh record "$third" "$run_out/perf.data") &
				split_pid=$!
			fi
			timeout 600 "$BIN/fanout-bench" fanout --protocol "$proto" --url ws://127.0.0.1:6122 \
				--api-url http://127.0.0.1:6121 --conns "$CONNS" --channels "$CHANNELS" "${pace[@]}" \
				--publishers "$PUBLISHERS" --size "$SIZE" --duration "$DURATION" --server-pid "$A" --server-pid "$B" \
				--redis-addr "127.0.0.1:$REDIS_PORT" --timeout 5m --quiet \
				--label "$label" --out "$run_out" >/dev/null ||
				echo "multinode: $label failed (see above)" >&2
			RESULTS+=("$run_out/results.json")
			if [ -n "$split_pid" ] && wait "$split_pid" && [ -s "$run_out/results.json" ]; then
				rate_s=$(python3 -c 'import json,sys; r = json.load(open(sys.argv[1])); print((r[0] if isinstance(r, list) else r)["published_per_s"])' "$run_out/results.json")
				{
					echo "#### $label: CPU per publish, by process"
					echo
					bash bench/cpu-split.sh report "$run_out/perf.data" "$rate_s" "node A=$A" "node B=$B" "redis=$REDIS_PID"
					echo
				} >"$run_out/cpu-split.md"
				SPLITS+=("$run_out/cpu-split.md")
			fi
		done
		stop_pid "$A"
		stop_pid "$B"
		redis-cli -p "$REDIS_PORT" flushall >/dev/null
	done
done

IN=$(joined_results "${RESULTS[@]}")
[ -n "$IN" ] || { echo "multinode: no results" >&2; exit 1; }
"$BIN/fanout-bench" report --in "$IN" --out "$OUT"
cat "$OUT/results.md"
for f in "${SPLITS[@]}"; do
	echo
	cat "$f"
done
