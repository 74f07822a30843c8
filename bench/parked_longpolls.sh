#!/usr/bin/env bash
# 10,000 agents long-polling one gigent-server process: the server's resident
# memory with every request parked (target < 300 MB), and the wake latency
# when orders arrive for random agents (from the order's POST to the parked
# request's answer; target p99 < 50 ms). Loopback only; raises its own
# descriptor limit. On SQLite by default; STORE=postgres runs it on a fresh
# database of the cluster in GIGENT_TEST_POSTGRES_URL:
#
#   BUILD_DIR=build-release bash bench/parked_longpolls.sh
#   STORE=postgres BUILD_DIR=build-release scripts/with-postgres.sh bash bench/parked_longpolls.sh
#
# MODE=multi parks one multi-agent wait (POST /api/orders/wait) for all the
# agents instead (AGENTS defaults to 1000, the most one wait takes):
#
#   MODE=multi BUILD_DIR=build-release bash bench/parked_longpolls.sh
#
#   env: BUILD_DIR (build), AGENTS (10000; 1000 with MODE=multi), ORDERS (300), GAP_MS (20),
#        STORE (sqlite|postgres), MODE (longpoll|multi)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
BUILD_DIR=${BUILD_DIR:-build}
case "$BUILD_DIR" in /*) ;; *) BUILD_DIR="$here/../$BUILD_DIR" ;; esac
MODE=${MODE:-longpoll}
if [ "$MODE" = multi ]; then AGENTS=${AGENTS:-1000}; else AGENTS=${AGENTS:-10000}; fi
ORDERS=${ORDERS:-300}
GAP_MS=${GAP_MS:-20}
STORE=${STORE:-sqlite}
for bin in gigent-server gigent-longpoll-client; do
  [ -x "$BUILD_DIR/$bin" ] || { echo "no $BUILD_DIR/$bin: build it first" >&2; exit 1; }
done
# The client holds one descriptor per agent, the server one per connection.
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
[ "$(ulimit -n)" -gt $((AGENTS + 100)) ] || { echo "descriptor limit $(ulimit -n) is below $AGENTS + 100" >&2; exit 1; }

source "$here/store_url.sh"
bench_workdir  # sets $work and $db; stops $server_pid and cleans up on exit

echo "== machine"
echo "nproc: $(nproc), load average: $(cut -d' ' -f1-3 /proc/loadavg), store: $STORE"
echo "== seeding $AGENTS agents (one gig each, no orders)"
"$BUILD_DIR/gigent-server" --db "$db" --seed-agents "$AGENTS" --seed-orders 0 --seed-keys-out "$work/keys.txt" >/dev/null
"$BUILD_DIR/gigent-server" --port 0 --db "$db" --log-level warn >"$work/out.txt" 2>"$work/err.txt" &
server_pid=$!
for _ in $(seq 200); do
  grep -q "listening on" "$work/out.txt" 2>/dev/null && break
  sleep 0.05
done
port=$(sed -n 's/^gigent-server listening on http:\/\/[^:]*://p' "$work/out.txt")
[ -n "$port" ] || { echo "server did not start:" >&2; cat "$work/err.txt" >&2; exit 1; }
if [ "$MODE" = multi ]; then
  echo "== one multi-agent wait for $AGENTS agents, then $ORDERS orders to random agents"
else
  echo "== $AGENTS parked long-polls, then $ORDERS orders to random agents (pauses 0..$((2 * GAP_MS)) ms)"
fi
"$BUILD_DIR/gigent-longpoll-client" "$port" "$work/keys.txt" "$AGENTS" "$ORDERS" "$server_pid" "$GAP_MS" "$MODE" \
  >"$work/latency.txt"
