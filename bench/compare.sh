#!/usr/bin/env bash
# bench/compare.sh — side-by-side comparison of fanout and its peers under
# the same harness settings. Builds everything, runs each server in turn
# on loopback, measures idle memory per connection (RSS slope between
# $LOW and $CONNS connections) and fan-out latency/throughput of
# $SIZE-byte events at each of $RATES events/s with the server's CPU time
# and write syscalls per delivery (from /proc/PID/stat and /proc/PID/io
# over the publish window), then writes the merged table and chart to
# $OUT (results.md, results.json, chart.png).
#
# Every process it starts is stopped on exit; every step is bounded by
# `timeout`. Settings (environment):
#   PEERS     servers to run, in order   (default "fanout gorilla nbio soketi centrifugo";
#             fanout is skipped unless bin/fanout exists; Soketi 1.6.1 is
#             installed with npm into bench/peers/soketi/node_modules and
#             Centrifugo v6.9.1 with `go install` into bench/peers/centrifugo/bin
#             (both gitignored) when missing, and skipped with a message when
#             that fails; INSTALL=0 only skips them)
#   CONNS     connections per server     (default 18000; one server process holds ~19,000)
#   LOW       first RSS measure          (default 5000)
#   CHANNELS  channels                   (default CONNS/100)
#   RATES     events/s for fan-out runs  (default "100 1000")
#   SIZE      event data bytes           (default 100)
#   DURATION  hold / publish time        (default 10s)
#   OUT       output directory           (default out/bench-compare)
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
PEERS=${PEERS:-"fanout gorilla nbio soketi centrifugo"}
CONNS=${CONNS:-18000}
LOW=${LOW:-5000}
CHANNELS=${CHANNELS:-$(( CONNS / 100 > 0 ? CONNS / 100 : 1 ))}
RATES=${RATES:-"100 1000"}
SIZE=${SIZE:-100}
DURATION=${DURATION:-10s}
OUT=${OUT:-$ROOT/out/bench-compare}
BIN=$OUT/bin
mkdir -p "$BIN"

# shellcheck source=bench/lib.sh
. "$ROOT/bench/lib.sh"

echo "compare: building" >&2
build_tools "$BIN" fanout-bench gorillahub nbiohub

# start_server NAME: starts it in the background; sets SERVER_PID and PORT.
start_server() {
	case $1 in
	fanout)
		PORT=6101
		"$ROOT/bin/fanout" serve --addr "127.0.0.1:$PORT" --metrics-addr "" >"$OUT/$1.log" 2>&1 &
		;;
	gorilla)
		PORT=6102
		"$BIN/gorillahub" -addr "127.0.0.1:$PORT" >"$OUT/$1.log" 2>&1 &
		;;
	nbio)
		PORT=6103
		"$BIN/nbiohub" -addr "127.0.0.1:$PORT" >"$OUT/$1.log" 2>&1 &
		;;
	soketi)
		PORT=6104
		SOKETI_PORT=$PORT SOKETI_HOST=127.0.0.1 SOKETI_METRICS_ENABLED=false \
			exec_soketi >"$OUT/$1.log" 2>&1 &
		;;
	centrifugo)
		PORT=6105
		centrifugo_config "$OUT/centrifugo.json" "$PORT"
		"$CENTRIFUGO" --config "$OUT/centrifugo.json" >"$OUT/$1.log" 2>&1 &
		;;
	esac
	SERVER_PID=$!
	PIDS+=("$SERVER_PID")
	wait_port "$PORT"
}

exec_soketi() {
	cd "$ROOT/bench/peers/soketi" && exec node node_modules/@soketi/soketi/bin/server.js start
}

CENTRIFUGO=$ROOT/bench/peers/centrifugo/bin/centrifugo

# install NAME installs a peer that is missing (INSTALL=0: never).
install() {
	[ "${INSTALL:-1}" = 1 ] || return 1
	case $1 in
	soketi)
		echo "compare: installing Soketi 1.6.1 with npm (bench/peers/soketi/package.json)" >&2
		(cd "$ROOT/bench/peers/soketi" && timeout 600 npm install --no-audit --no-fund >"$OUT/soketi-install.log" 2>&1)
		;;
	centrifugo)
		echo "compare: installing Centrifugo v6.9.1 with go install" >&2
		GOBIN=$(dirname "$CENTRIFUGO") timeout 900 go install github.com/centrifugal/centrifugo/v6@v6.9.1 \
			>"$OUT/centrifugo-install.log" 2>&1
		;;
	*) false ;;
	esac
}

installed() {
	case $1 in
	fanout) [ -x "$ROOT/bin/fanout" ] ;;
	soketi) [ -d "$ROOT/bench/peers/soketi/node_modules/@soketi/soketi" ] ;;
	centrifugo) [ -x "$CENTRIFUGO" ] ;;
	gorilla | nbio) true ;;
	*) false ;;
	esac
}

available() {
	installed "$1" || { install "$1" && installed "$1"; }
}

# protocol NAME is the harness's --protocol for a peer.
protocol() {
	case $1 in
	centrifugo) echo centrifugo ;;
	*) echo pusher ;;
	esac
}

# bench runs the harness in the background and waits, so that a signal
# to this script runs the trap at once instead of after the run.
bench() {
	timeout 600 "$BIN/fanout-bench" "$@" --timeout 5m --quiet &
	local pid=$!
	PIDS+=("$pid")
	wait "$pid"
}

RESULTS=()
for peer in $PEERS; do
	if ! available "$peer"; then
		echo "compare: SKIPPING $peer: not built or installed, and installing it failed (see $OUT/$peer-install.log)" >&2
		continue
	fi
	# Idle memory: a fresh server, RSS at $LOW and at $CONNS connections.
	echo "compare: $peer connect $CONNS" >&2
	start_server "$peer"
	bench connect --protocol "$(protocol "$peer")" --url "ws://127.0.0.1:$PORT" --conns "$CONNS" --channels "$CHANNELS" \
		--measure-at "$LOW,$CONNS" --server-pid "$SERVER_PID" --duration 2s \
		--label "$peer idle" --out "$OUT/$peer-connect" >/dev/null || echo "compare: $peer connect failed" >&2
	RESULTS+=("$OUT/$peer-connect/results.json")
	for rate in $RATES; do
		echo "compare: $peer fanout $rate/s" >&2
		bench fanout --protocol "$(protocol "$peer")" --url "ws://127.0.0.1:$PORT" --conns "$CONNS" --channels "$CHANNELS" \
			--rate "$rate" --size "$SIZE" --duration "$DURATION" --server-pid "$SERVER_PID" \
			--label "$peer $rate/s" --out "$OUT/$peer-fanout-$rate" >/dev/null || echo "compare: $peer fanout $rate failed" >&2
		RESULTS+=("$OUT/$peer-fanout-$rate/results.json")
	done
	stop_pid "$SERVER_PID"
done

IN=$(joined_results "${RESULTS[@]}")
if [ -z "$IN" ]; then
	echo "compare: no results" >&2
	exit 1
fi
"$BIN/fanout-bench" report --in "$IN" --out "$OUT"
echo "compare: wrote $OUT/results.md, $OUT/results.json, $OUT/chart.png" >&2

# Record the run in BENCHMARKS.md: the generated table, the chart and the
# command replace what stands between the bench-compare markers.
if [ "${RECORD:-1}" = 1 ] && [ -f "$ROOT/BENCHMARKS.md" ]; then
	mkdir -p "$ROOT/docs/bench"
	cp "$OUT/chart.png" "$ROOT/docs/bench/compare-latest.png"
	cp "$OUT/results.json" "$ROOT/docs/bench/compare-latest.json"
	section=$(mktemp)
	{
		echo "<!-- bench-compare:begin (generated by bench/compare.sh; do not edit by hand) -->"
		echo "Last run: $(date -u +%Y-%m-%d), \`PEERS=\"$PEERS\" CONNS=$CONNS LOW=$LOW CHANNELS=$CHANNELS RATES=\"$RATES\" SIZE=$SIZE DURATION=$DURATION make bench-compare\`"
		echo
		cat "$OUT/results.md"
		echo
		echo "![latest bench-compare chart](docs/bench/compare-latest.png)"
		echo "<!-- bench-compare:end -->"
	} >"$section"
	awk -v f="$section" '
		/<!-- bench-compare:begin/ { while ((getline l < f) > 0) print l; skip = 1; next }
		/<!-- bench-compare:end -->/ { skip = 0; next }
		!skip { print }
	' "$ROOT/BENCHMARKS.md" >"$section.md"
	if ! grep -q "bench-compare:begin" "$ROOT/BENCHMARKS.md"; then
		{ echo; echo "## Latest make bench-compare run"; echo; cat "$section"; } >>"$section.md"
	fi
	mv "$section.md" "$ROOT/BENCHMARKS.md"
	rm -f "$section"
	echo "compare: recorded the run in BENCHMARKS.md (set RECORD=0 to skip)" >&2
fi
