#!/usr/bin/env bash
# bench/tls-compare.sh — what TLS costs, measured with `fanout bench` in
# one run on one machine:
#
#   memory   idle RSS slope ($LOW → $CONNS connections over $CHANNELS
#            channels) of fanout serving ws:// (reference), of fanout
#            terminating TLS itself, and of nginx terminating TLS in front
#            of a plain fanout (RSS of nginx's master and workers plus
#            fanout's, summed by the harness).
#   upgrade  the connect rate (TCP, TLS handshake, WebSocket upgrade and
#            subscribe) when $UPGRADE_CONNS clients are offered at
#            $UPGRADE_RATE/s, against the same three setups.
#   latency  the "one big channel" fan-out ($CONNS subscribers of one
#            channel, $SIZE-byte events at $RATE/s for $DURATION) against
#            fanout over ws://, over wss://, and over wss:// through
#            nginx terminating TLS (server CPU then summed over fanout and
#            nginx's processes), in turn $ROUNDS times, each setup alone.
#
# The certificate is a fresh self-signed ECDSA P-256 one (openssl), which
# the harness trusts with --ca. nginx gets $NGINX_WORKERS worker processes
# so that its two sockets per client stay under the 20,000 open files of
# one process, and its upstream connections leave from four source
# addresses (127.0.0.100-103): the harness's own sockets are bound to
# their ports, and one source address has too few ephemeral ports left
# for as many upstream connections as clients. Every process started here
# is stopped on exit. Settings (environment): CONNS (18000), LOW (5000),
# CHANNELS (CONNS/100), CONN_RATE (connects/s, 2000; lower it on a busy
# machine, where TLS handshakes queue past fanout's upgrade timeout),
# RATE (10), SIZE (100), DURATION (10s), ROUNDS (2), NGINX_WORKERS (4),
# UPGRADE_CONNS (5000), UPGRADE_RATE (5000), MODES ("memory upgrade
# latency"), OUT (out/tls-compare). Results: $OUT/results.md.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
CONNS=${CONNS:-18000}
LOW=${LOW:-5000}
CHANNELS=${CHANNELS:-$(( CONNS / 100 > 0 ? CONNS / 100 : 1 ))}
CONN_RATE=${CONN_RATE:-2000}
RATE=${RATE:-10}
SIZE=${SIZE:-100}
DURATION=${DURATION:-10s}
ROUNDS=${ROUNDS:-2}
NGINX_WORKERS=${NGINX_WORKERS:-4}
UPGRADE_CONNS=${UPGRADE_CONNS:-5000}
UPGRADE_RATE=${UPGRADE_RATE:-5000}
MODES=${MODES:-"memory upgrade latency"}
OUT=${OUT:-$ROOT/out/tls-compare}
BIN=$OUT/bin
mkdir -p "$BIN" "$OUT/nginx/tmp"

# shellcheck source=bench/lib.sh
. "$ROOT/bench/lib.sh"
echo "tls-compare: building" >&2
build_tools "$BIN" fanout fanout-bench
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 \
	-keyout "$OUT/key.pem" -out "$OUT/cert.pem" -subj /CN=fanout-bench \
	-addext "subjectAltName=IP:127.0.0.1" 2>/dev/null

# fanout PORT [TLS]: starts a node; sets SERVER_PID.
fanout() {
	local tls=()
	[ "${2:-}" = tls ] && tls=(--tls-cert "$OUT/cert.pem" --tls-key "$OUT/key.pem")
	nice "$BIN/fanout" serve --addr "127.0.0.1:$1" --metrics-addr "" "${tls[@]}" >>"$OUT/fanout-$1.log" 2>&1 &
	SERVER_PID=$!
	PIDS+=("$SERVER_PID")
	wait_port "$1"
}

# nginx PORT UPSTREAM: nginx terminating TLS on PORT in front of the plain
# node on UPSTREAM (the directives of deploy/nginx.conf, one upstream);
# sets NGINX_PIDS to its master and workers.
nginx_tls() {
	local dir=$OUT/nginx
	cat >"$dir/nginx.conf" <<CONF
worker_processes $NGINX_WORKERS;
worker_rlimit_nofile 19900;
pid $dir/nginx.pid;
error_log $dir/error.log warn;
daemon off;
events { worker_connections 19000; }
http {
    access_log off;
    client_body_temp_path $dir/tmp/body;
    proxy_temp_path $dir/tmp/proxy;
    fastcgi_temp_path $dir/tmp/fastcgi;
    uwsgi_temp_path $dir/tmp/uwsgi;
    scgi_temp_path $dir/tmp/scgi;
    map \$http_upgrade \$connection_upgrade { default upgrade; '' close; }
    split_clients "\$remote_port" \$upstream_source {
        25% 127.0.0.100; 25% 127.0.0.101; 25% 127.0.0.102; * 127.0.0.103;
    }
    upstream fanout_ws { server 127.0.0.1:$2; }
    upstream fanout_api { server 127.0.0.1:$2; keepalive 64; }
    server {
        listen 127.0.0.1:$1 ssl reuseport;
        ssl_certificate     $OUT/cert.pem;
        ssl_certificate_key $OUT/key.pem;
        location /app/ {
            proxy_pass http://fanout_ws;
            proxy_bind \$upstream_source;
            proxy_http_version 1.1;
            proxy_set_header Upgrade \$http_upgrade;
            proxy_set_header Connection \$connection_upgrade;
            proxy_set_header Host \$host;
            proxy_read_timeout 300s;
            proxy_send_timeout 300s;
            proxy_buffering off;
        }
        location /apps/ {
            proxy_pass http://fanout_api;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
        }
    }
}
CONF
	nice nginx -p "$dir" -e "$dir/error.log" -c "$dir/nginx.conf" &
	local master=$!
	PIDS+=("$master")
	wait_port "$1"
	for _ in $(seq 100); do
		[ "$(pgrep -c -P "$master")" -ge "$NGINX_WORKERS" ] && break
		sleep 0.1
	done
	NGINX_PIDS=("$master" $(pgrep -P "$master"))
}

# bench runs the harness in the background and waits, so that a signal
# to this script runs the trap at once.
bench() {
	timeout 900 "$BIN/fanout-bench" "$@" --conn-rate "${BENCH_CONN_RATE:-$CONN_RATE}" --timeout 12m --quiet >/dev/null &
	local pid=$!
	PIDS+=("$pid")
	wait "$pid" || echo "tls-compare: a run had failures (see its results.md)" >&2
}

RESULTS=()
idle() { # LABEL URL PIDS...
	local label=$1 url=$2 pids=()
	shift 2
	for p in "$@"; do pids+=(--server-pid "$p"); done
	echo "tls-compare: $label" >&2
	bench connect --url "$url" --ca "$OUT/cert.pem" --conns "$CONNS" --channels "$CHANNELS" \
		--measure-at "$LOW,$CONNS" "${pids[@]}" --settle 5s --duration 2s \
		--label "$label" --out "$OUT/${label// /-}"
	RESULTS+=("$OUT/${label// /-}/results.json")
}

if [[ " $MODES " == *" memory "* ]]; then
	fanout 6301
	idle "fanout ws idle" ws://127.0.0.1:6301 "$SERVER_PID"
	stop_pid "$SERVER_PID"

	fanout 6302 tls
	idle "fanout TLS idle" wss://127.0.0.1:6302 "$SERVER_PID"
	stop_pid "$SERVER_PID"

	fanout 6303
	nginx_tls 6304 6303
	idle "nginx TLS + fanout idle" wss://127.0.0.1:6304 "$SERVER_PID" "${NGINX_PIDS[@]}"
	stop_pid "${NGINX_PIDS[0]}"
	stop_pid "$SERVER_PID"
fi

# setup PORT KIND: starts fanout alone (ws, wss) or behind nginx
# terminating TLS (nginx, on PORT+1); sets URL and SERVER_PIDS.
setup() {
	case $2 in
	ws) fanout "$1"; URL=ws://127.0.0.1:$1; SERVER_PIDS=("$SERVER_PID") ;;
	wss) fanout "$1" tls; URL=wss://127.0.0.1:$1; SERVER_PIDS=("$SERVER_PID") ;;
	nginx) fanout "$1"; nginx_tls $(( $1 + 1 )) "$1"; URL=wss://127.0.0.1:$(( $1 + 1 ))
		SERVER_PIDS=("$SERVER_PID" "${NGINX_PIDS[@]}") ;;
	esac
}

teardown() {
	[ "$1" = nginx ] && stop_pid "${NGINX_PIDS[0]}"
	stop_pid "$SERVER_PID"
}

if [[ " $MODES " == *" upgrade "* ]]; then
	i=0
	for kind in ws wss nginx; do
		setup $(( 6330 + i * 2 )) "$kind"
		i=$(( i + 1 ))
		label="upgrade $kind"
		echo "tls-compare: $label" >&2
		pids=()
		for p in "${SERVER_PIDS[@]}"; do pids+=(--server-pid "$p"); done
		BENCH_CONN_RATE=$UPGRADE_RATE bench connect --url "$URL" --ca "$OUT/cert.pem" --conns "$UPGRADE_CONNS" \
			--channels $(( UPGRADE_CONNS / 100 > 0 ? UPGRADE_CONNS / 100 : 1 )) --measure-at "$UPGRADE_CONNS" \
			"${pids[@]}" --settle 1s --duration 1s --label "$label" --out "$OUT/${label// /-}"
		RESULTS+=("$OUT/${label// /-}/results.json")
		teardown "$kind"
	done
fi

if [[ " $MODES " == *" latency "* ]]; then
	for round in $(seq "$ROUNDS"); do
		i=0
		for kind in ws wss nginx; do
			setup $(( 6310 + round * 6 + i * 2 )) "$kind"
			i=$(( i + 1 ))
			label="one channel $kind $round"
			echo "tls-compare: $label" >&2
			pids=()
			for p in "${SERVER_PIDS[@]}"; do pids+=(--server-pid "$p"); done
			bench fanout --url "$URL" --ca "$OUT/cert.pem" --conns "$CONNS" \
				--channels 1 --rate "$RATE" --size "$SIZE" --duration "$DURATION" \
				"${pids[@]}" --label "$label" --out "$OUT/${label// /-}"
			RESULTS+=("$OUT/${label// /-}/results.json")
			teardown "$kind"
		done
	done
fi

IN=$(joined_results "${RESULTS[@]}")
[ -n "$IN" ] || { echo "tls-compare: no results" >&2; exit 1; }
"$BIN/fanout-bench" report --in "$IN" --out "$OUT"
echo "tls-compare: wrote $OUT/results.md" >&2
