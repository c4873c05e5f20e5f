# bench/lib.sh — shell helpers shared by the bench scripts (sourced).
# Every process id a script appends to PIDS is stopped when it exits.

PIDS=()
cleanup() {
	for pid in "${PIDS[@]:-}"; do
		[ -n "$pid" ] && stop_pid "$pid"
	done
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# stop_pid sends TERM, waits up to 15 s (fanout drains over 10 s), then KILLs.
stop_pid() {
	local pid=$1
	kill -0 "$pid" 2>/dev/null || return 0
	kill -TERM "$pid" 2>/dev/null || true
	for _ in $(seq 150); do
		kill -0 "$pid" 2>/dev/null || { wait "$pid" 2>/dev/null || true; return 0; }
		sleep 0.1
	done
	kill -KILL "$pid" 2>/dev/null || true
	wait "$pid" 2>/dev/null || true
}

# wait_port waits up to 30 s for a listener on 127.0.0.1:$1.
wait_port() {
	for _ in $(seq 300); do
		(exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0
		sleep 0.1
	done
	echo "bench: nothing listening on port $1 after 30 s" >&2
	return 1
}

# seconds DURATION: a Go duration of whole seconds or minutes (10s, 2m)
# in seconds; exits 1 on anything else.
seconds() {
	case $1 in
	*[0-9]s) echo "${1%s}" ;;
	*[0-9]m) echo $((${1%m} * 60)) ;;
	*) echo "bench: $1: give a duration in whole seconds (10s) or minutes (2m)" >&2; return 1 ;;
	esac
}

# joined_results FILE...: the existing ones of FILE..., comma-separated,
# as `fanout-bench report --in` takes them ("" when none exists).
joined_results() {
	local in="" f
	for f in "$@"; do
		[ -f "$f" ] && in="$in${in:+,}$f"
	done
	echo "$in"
}

# centrifugo_config FILE PORT [REDIS_PORT]: a Centrifugo v6 config for
# the harness: anonymous clients (client.insecure, as the Pusher
# servers' public channels), the HTTP API key "app-secret" (the
# harness's --app-secret), and the Redis engine when REDIS_PORT is set.
centrifugo_config() {
	local engine=""
	[ -n "${3:-}" ] && engine="\"engine\": {\"type\": \"redis\", \"redis\": {\"address\": [\"redis://127.0.0.1:$3\"]}},"
	cat >"$1" <<-EOF
		{"client": {"insecure": true, "allowed_origins": ["*"]},
		 "http_api": {"key": "app-secret"},
		 "http_server": {"address": "127.0.0.1", "port": $2},
		 $engine
		 "log": {"level": "error"}}
	EOF
}

# build_tools DIR NAME...: builds each named program into DIR, bounded
# by a timeout: fanout (./cmd/fanout), fanout-bench and fanout-probe
# (./bench/cmd), gorillahub and nbiohub (./bench/peers/cmd).
build_tools() {
	local dir=$1 name pkg
	shift
	for name in "$@"; do
		case $name in
		fanout) pkg=./cmd/fanout ;;
		fanout-bench | fanout-probe) pkg=./bench/cmd/$name ;;
		gorillahub | nbiohub) pkg=./bench/peers/cmd/$name ;;
		*) echo "bench: build_tools: unknown program $name" >&2; return 2 ;;
		esac
		timeout 300 go build -o "$dir/$name" "$pkg"
	done
}

# one_channel_run N OUTDIR [ARGS...]: one `fanout bench fanout` run of N
# subscribers of one channel against $URL at $RATE events/s of $SIZE
# bytes for $DURATION, results in OUTDIR, bounded by a timeout. A run
# that failed (its self-check, or its own check: deliveries missing)
# still writes its results, so the caller's table keeps the row: its
# errors go to stderr and into OUTDIR/failed, which the tables mark. A
# run that wrote no results stops the script.
one_channel_run() {
	local n=$1 out=$2 rc=0
	shift 2
	timeout 600 nice "$BIN/fanout-bench" fanout --url "$URL" --conns "$n" --channels 1 --rate "$RATE" \
		--size "$SIZE" --duration "$DURATION" --quiet --out "$out" "$@" >/dev/null 2>"$out.err" || rc=$?
	rm -f "$out/failed"
	[ "$rc" = 0 ] && return 0
	if [ ! -f "$out/results.json" ]; then
		echo "bench: fanout bench wrote no results ($rc):" >&2
		cat "$out.err" >&2
		return 1
	fi
	grep 'fanout bench:' "$out.err" | tee "$out/failed" >&2
}

# start_probe N OUTFILE [ARGS...]: starts fanout-probe with N subscribers
# of $URL in the background (PROBE_PID), bounded, and waits until it is
# subscribed ("ready" on its stderr, OUTFILE.err).
start_probe() {
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
	echo "bench: fanout-probe never got ready:" >&2
	cat "$out.err" >&2
	return 1
}
