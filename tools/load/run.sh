#!/usr/bin/env bash
# Load test of a real `kefu serve` on loopback: wrk against POST /api/v1/lint,
# the ws_load generator against the live-assist WebSocket, and the server's
# memory (RSS) idle, under load and after. Bounded in time; loopback only.
#
# usage: tools/load/run.sh [SECONDS] [CONNECTIONS]     (needs: wrk, curl; builds the release binary)
set -euo pipefail
cd "$(dirname "$0")/../.."
seconds=${1:-20}
conns=${2:-64}
port=${KEFU_LOAD_PORT:-18099}
data=$(mktemp -d)
password="load-test-$(date +%s)"
cargo build --release -q -p kefu-cli -p kefu-server --example ws_load
KEFU_ADMIN_PASSWORD=$password RUST_LOG=warn target/release/kefu serve --listen 127.0.0.1:$port --data "$data" >/dev/null 2>&1 &
pid=$!
trap 'kill $pid 2>/dev/null; wait $pid 2>/dev/null; rm -rf "$data"' EXIT
for _ in $(seq 100); do curl -sf http://127.0.0.1:$port/healthz >/dev/null && break; sleep 0.1; done
rss() { awk '/VmRSS/ {print $2}' /proc/$pid/status; }
echo "idle RSS: $(rss) kB"
cookie=$(curl -si -H 'content-type: application/json' -d "{\"username\":\"admin\",\"password\":\"$password\"}" http://127.0.0.1:$port/api/v1/auth/login | awk -F'[ ;]' 'tolower($1)=="set-cookie:" {print $2}')
token=$(curl -s -H 'content-type: application/json' -H "cookie: $cookie" -d '{"name":"load test"}' http://127.0.0.1:$port/api/v1/tokens | sed 's/.*"token":"\([^"]*\)".*/\1/')
echo "--- wrk: POST /api/v1/lint, $conns connections, 2 threads, ${seconds}s"
KEFU_TOKEN=$token wrk -t2 -c"$conns" -d"${seconds}s" --latency -s tools/load/lint.lua http://127.0.0.1:$port/
echo "RSS after wrk: $(rss) kB"
echo "--- WebSocket: 32 agents typing 200-character drafts keystroke by keystroke"
target/release/examples/ws_load 127.0.0.1:$port "$token" 32 3
echo "RSS after WebSocket load: $(rss) kB"
sleep 2
echo "RSS idle again: $(rss) kB"
