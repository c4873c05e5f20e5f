#!/usr/bin/env bash
# bench/history-compare.sh — what keeping history costs a publish,
# measured with `fanout bench fanout` in one run on one machine.
#
# For each broker of $BROKERS ("memory": one node, in-memory broker;
# "redis": one node over a fresh standalone redis-server on loopback
# without persistence) and each of $ROUNDS rounds, it runs the same bench
# against a node whose app keeps history for the bench channels
# (history: [{channels: "bench-*", size: 100, ttl: 300s}]) and against one
# without, each node fresh, the order of "off" and "on" reversed every
# other round so that neither always runs first. $CONNS connections over
# $CHANNELS channels, $PUBLISHERS HTTP publishers asking for $RATE
# events/s: the publish path, not delivery, is the limit (each publisher
# waits for its answer). Connections ramp at $CONN_RATE/s, as in the
# measurements BENCHMARKS.md compares these with.
#
# The figure is published_per_s of the harness's results.json; the table
# gives on/off per round and, for redis, Redis CPU per event
# (used_cpu_user + used_cpu_sys of INFO cpu over the run, divided by the
# events published). Settings (environment): BROKERS ("memory redis"),
# ROUNDS (3), CONNS (200), CHANNELS (100), RATE (4000), PUBLISHERS (16),
# CONN_RATE (200), DURATION (10s), OUT (out/history-compare).
# Needs redis-server, redis-cli and jq. Results: $OUT/results.md.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
BROKERS=${BROKERS:-"memory redis"}
ROUNDS=${ROUNDS:-3}
CONNS=${CONNS:-200}
CHANNELS=${CHANNELS:-100}
RATE=${RATE:-4000}
PUBLISHERS=${PUBLISHERS:-16}
CONN_RATE=${CONN_RATE:-200}
DURATION=${DURATION:-10s}
OUT=${OUT:-$ROOT/out/history-compare}
BIN=$OUT/bin
mkdir -p "$BIN"

# shellcheck source=bench/lib.sh
. "$ROOT/bench/lib.sh"
echo "history-compare: building" >&2
build_tools "$BIN" fanout fanout-bench

# config MODE PORT: a node's configuration, history on or off.
config() {
	local history="[]"
	[ "$1" = on ] && history='[{channels: "bench-*", size: 100, ttl: 300s}]'
	cat <<YAML
server:
  addr: 127.0.0.1:$2
  metrics_addr: ""
apps:
  - id: app-id
    key: app-key
    secret: app-secret
    auth:
      mode: "off"
    history: $history
YAML
}

REDIS_PORT=$((10000 + RANDOM % 10000)) # below the ephemeral range, which the clients use
redis_cpu() { redis-cli -p "$REDIS_PORT" info cpu | awk -F: '/^used_cpu_(user|sys):/ {s += $2} END {printf "%.6f", s}'; }
start_redis() {
	redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --save "" --appendonly no \
		--dir "$OUT" >"$OUT/redis.log" 2>&1 &
	PIDS+=("$!")
	wait_port "$REDIS_PORT"
}

# run BROKER MODE ROUND: one bench against a fresh node; prints
# "events/s redis-µs-per-event".
run() {
	local broker=$1 mode=$2 round=$3 port=$((20000 + RANDOM % 10000))
	local label="$broker-$mode-$round" redis=()
	config "$mode" "$port" >"$OUT/$label.yaml"
	[ "$broker" = redis ] && redis=(--redis-url "redis://127.0.0.1:$REDIS_PORT")
	"$BIN/fanout" serve --config "$OUT/$label.yaml" "${redis[@]}" >"$OUT/$label.log" 2>&1 &
	local pid=$!
	PIDS+=("$pid")
	wait_port "$port"
	local cpu0=0
	[ "$broker" = redis ] && cpu0=$(redis_cpu)
	timeout 300 "$BIN/fanout-bench" fanout --url "ws://127.0.0.1:$port" --conns "$CONNS" \
		--channels "$CHANNELS" --rate "$RATE" --publishers "$PUBLISHERS" \
		--conn-rate "$CONN_RATE" --duration "$DURATION" --label "$label" \
		--out "$OUT/$label" --quiet >/dev/null ||
		echo "history-compare: $label had failures (see $OUT/$label/results.md)" >&2
	local cpu1=0
	[ "$broker" = redis ] && cpu1=$(redis_cpu)
	stop_pid "$pid"
	local rate published
	rate=$(jq -r 'if type == "array" then .[0] else . end | .published_per_s' "$OUT/$label/results.json")
	published=$(jq -r 'if type == "array" then .[0] else . end | .published' "$OUT/$label/results.json")
	awk -v r="$rate" -v n="$published" -v a="$cpu0" -v b="$cpu1" \
		'BEGIN { printf "%.0f %.1f\n", r, (n > 0 ? (b - a) * 1e6 / n : 0) }'
}

case " $BROKERS " in *" redis "*) start_redis ;; esac
echo "# history on/off: $CONNS conns, $CHANNELS channels, $PUBLISHERS publishers asking $RATE events/s, $DURATION" >"$OUT/results.md"
for broker in $BROKERS; do
	{
		echo ""
		echo "| broker | round | off events/s | on events/s | **on / off** | Redis CPU µs/event off | on |"
		echo "|---|---|---:|---:|---:|---:|---:|"
	} >>"$OUT/results.md"
	ratios=()
	for round in $(seq "$ROUNDS"); do
		order="off on"
		[ $((round % 2)) -eq 0 ] && order="on off"
		for mode in $order; do
			read -r rate cpu < <(run "$broker" "$mode" "$round")
			declare "rate_$mode=$rate" "cpu_$mode=$cpu"
			echo "history-compare: $broker $mode round $round: $rate events/s" >&2
		done
		ratio=$(awk -v a="$rate_on" -v b="$rate_off" 'BEGIN { printf "%.2f", (b > 0 ? a / b : 0) }')
		ratios+=("$ratio")
		echo "| $broker | $round | $rate_off | $rate_on | **$ratio** | $cpu_off | $cpu_on |" >>"$OUT/results.md"
	done
	median=$(printf '%s\n' "${ratios[@]}" | sort -n | awk '{ v[NR] = $1 } END { print (NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2) }')
	echo "" >>"$OUT/results.md"
	echo "$broker: median on/off $median over $ROUNDS rounds" | tee -a "$OUT/results.md" >&2
done
echo "history-compare: wrote $OUT/results.md" >&2
