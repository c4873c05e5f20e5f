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
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
PEERS=${PEERS:-"fanout soketi centrifugo"}
CONNS=${CONNS:-10000}
CHANNELS=${CHANNELS:-1}
RATES=${RATES:-"10 50"}
SIZE=${SIZE:-100}
DURATION=${DURATION:-10s}
OUT=${OUT:-$ROOT/out/multinode}
BIN=$OUT/bin
mkdir -p "$BIN"

# shellcheck source=bench/lib.sh
. "$ROOT/bench/lib.sh"

timeout 300 go build -o "$BIN/fanout" ./cmd/fanout
timeout 300 go build -o "$BIN/fanout-bench" ./bench/cmd/fanout-bench
CENTRIFUGO=$ROOT/bench/peers/centrifugo/bin/centrifugo
SOKETI_DIR=$ROOT/bench/peers/soketi

REDIS_PORT=6390
redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --save "" --appendonly no >"$OUT/redis.log" 2>&1 &
PIDS+=("$!")
wait_port "$REDIS_PORT"

# node NAME PORT: starts one node of server NAME on PORT.
node() {
	local name=$1 port=$2
	case $name in
	fanout)
		"$BIN/fanout" serve --addr "127.0.0.1:$port" --metrics-addr "" \
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
	soketi) [ -d "$SOKETI_DIR/node_modules/@soketi/soketi" ] ;;
	centrifugo) [ -x "$CENTRIFUGO" ] ;;
	*) false ;;
	esac
}

RESULTS=()
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
		echo "multinode: $peer, $CONNS subscribers on B, $rate events/s through A (load average $(cut -d' ' -f1-3 /proc/loadavg))" >&2
		timeout 600 "$BIN/fanout-bench" fanout --protocol "$proto" --url ws://127.0.0.1:6122 \
			--api-url http://127.0.0.1:6121 --conns "$CONNS" --channels "$CHANNELS" --rate "$rate" \
			--size "$SIZE" --duration "$DURATION" --server-pid "$A" --server-pid "$B" \
			--redis-addr "127.0.0.1:$REDIS_PORT" --timeout 5m --quiet \
			--label "$peer A→B $rate/s" --out "$OUT/$peer-$rate" >/dev/null ||
			echo "multinode: $peer $rate/s failed (see above)" >&2
		RESULTS+=("$OUT/$peer-$rate/results.json")
	done
	stop_pid "$A"
	stop_pid "$B"
	redis-cli -p "$REDIS_PORT" flushall >/dev/null
done

IN=$(joined_results "${RESULTS[@]}")
[ -n "$IN" ] || { echo "multinode: no results" >&2; exit 1; }
"$BIN/fanout-bench" report --in "$IN" --out "$OUT"
cat "$OUT/results.md"
