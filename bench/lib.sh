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
