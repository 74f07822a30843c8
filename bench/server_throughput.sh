#!/usr/bin/env bash
# Throughput of gigent-server on its two hot paths: a seller polling its
# pending orders, and agents heart-beating. Seeds 1000 agents and 100,000
# orders (the first agent has a 10-order pending page), starts the server,
# and drives it with wrk at 64 and 16 connections.
#
#   BUILD_DIR=build bash bench/server_throughput.sh
#   STORE=postgres BUILD_DIR=build scripts/with-postgres.sh bash bench/server_throughput.sh
# wrk runs on the same machine, so by default the server gets half the cores
# (THREADS=nproc/2) and wrk the rest: on 2 cores, two server threads and two
# wrk threads time-slice each other and the tail latency shows the scheduler.
#
#   env: BUILD_DIR (default build), DURATION (10s), THREADS (server threads, default nproc/2),
#        AGENTS (1000), ORDERS (100000), CONNECTIONS ("64 16"), STORE (sqlite, or postgres
#        for a fresh database on the cluster in GIGENT_TEST_POSTGRES_URL)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
BUILD_DIR=${BUILD_DIR:-build}
case "$BUILD_DIR" in /*) ;; *) BUILD_DIR="$here/../$BUILD_DIR" ;; esac
BIN="$BUILD_DIR/gigent-server"
DURATION=${DURATION:-10s}
THREADS=${THREADS:-$(( $(nproc) / 2 > 0 ? $(nproc) / 2 : 1 ))}
AGENTS=${AGENTS:-1000}
ORDERS=${ORDERS:-100000}
CONNECTIONS=${CONNECTIONS:-"64 16"}

[ -x "$BIN" ] || { echo "no $BIN: build it first (cmake --build $BUILD_DIR --target gigent-server)" >&2; exit 1; }
command -v wrk >/dev/null || { echo "wrk is not installed (apt-get install wrk)" >&2; exit 1; }

source "$here/store_url.sh"
bench_workdir  # sets $work and $db; stops $server_pid and cleans up on exit

echo "== machine"
echo "nproc: $(nproc), load average: $(cut -d' ' -f1-3 /proc/loadavg), store: ${STORE:-sqlite}"
grep -m1 'model name' /proc/cpuinfo | sed 's/^model name\s*:\s*/cpu: /' || true
echo "server threads: $THREADS, wrk: 2 threads, $DURATION per run"

echo "== seeding $AGENTS agents and $ORDERS orders"
seed_start=$(date +%s.%N)
"$BIN" --db "$db" --seed-agents "$AGENTS" --seed-orders "$ORDERS" --seed-keys-out "$work/keys.txt"
echo "seeded in $(echo "$(date +%s.%N) - $seed_start" | bc) s"
read -r seller key < <(head -n 1 "$work/keys.txt")

"$BIN" --port 0 --db "$db" --threads "$THREADS" --log-level warn >"$work/out.txt" 2>"$work/err.txt" &
server_pid=$!
for _ in $(seq 100); do
  grep -q "listening on" "$work/out.txt" 2>/dev/null && break
  sleep 0.05
done
url=$(sed -n 's/^gigent-server listening on //p' "$work/out.txt")
[ -n "$url" ] || { echo "server did not start:" >&2; cat "$work/err.txt" >&2; exit 1; }

pending_path="/api/orders?agent_id=$seller&role=seller&status=pending"
echo "== pending query plan"
if [ "${STORE:-sqlite}" = postgres ]; then
  echo "(PostgreSQL: see EXPLAIN in psql)"
elif command -v sqlite3 >/dev/null; then
  sqlite3 "$work/bench.db" "EXPLAIN QUERY PLAN SELECT o.*, g.title AS gig_title, b.name AS buyer_name, s.name AS seller_name FROM orders o LEFT JOIN gigs g ON g.id = o.gig_id LEFT JOIN agents b ON b.id = o.buyer_id LEFT JOIN agents s ON s.id = o.seller_id WHERE o.seller_id = '$seller' AND o.status IN ('pending') ORDER BY o.created_at DESC, o.rowid DESC LIMIT 20 OFFSET 0;"
else
  echo "(sqlite3 CLI not installed)"
fi
echo "pending page: $(curl -s -H "X-API-Key: $key" "$url$pending_path" | grep -o '"id":"[^"]*","gig_id"' | wc -l) orders, $(curl -s -H "X-API-Key: $key" "$url$pending_path" | wc -c) bytes"

# Heartbeats rotate over every seeded agent, each with its own key.
{
  echo "local agents = {"
  while read -r id k; do echo "  {\"$id\", \"$k\"},"; done <"$work/keys.txt"
  echo "}"
  cat <<'LUA'
local i = 0
request = function()
  i = i + 1
  local a = agents[(i % #agents) + 1]
  return wrk.format("POST", "/api/agents/" .. a[1] .. "/heartbeat",
                    {["X-API-Key"] = a[2], ["Content-Type"] = "application/json"}, "{}")
end
LUA
} >"$work/heartbeat.lua"

summary() {  # wrk output on stdin -> one line
  awk '/Requests\/sec/ {rps=$2}
       /^ +50%/ {p50=$2} /^ +90%/ {p90=$2} /^ +99%/ {p99=$2}
       /Non-2xx/ {bad=$NF}
       END {printf "req/s %s  p50 %s  p90 %s  p99 %s  non-2xx %s\n", rps, p50, p90, p99, (bad == "" ? 0 : bad)}'
}

for c in $CONNECTIONS; do
  echo "== GET pending orders, $c connections"
  wrk -t2 -c"$c" -d"$DURATION" --latency -H "X-API-Key: $key" "$url$pending_path" >"$work/wrk.txt"
  summary <"$work/wrk.txt"
  echo "== POST heartbeat, $c connections"
  wrk -t2 -c"$c" -d"$DURATION" --latency -s "$work/heartbeat.lua" "$url" >"$work/wrk.txt"
  summary <"$work/wrk.txt"
done
