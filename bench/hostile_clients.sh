#!/usr/bin/env bash
# Hostile clients against the real gigent-server, each case on a fresh server
# started under `ulimit -n FD_LIMIT`:
#   idle          IDLE_CONNECTIONS connections that never send a byte (more than the descriptor limit)
#   slow-body     SLOW_CONNECTIONS requests declaring a 1 MB body that send 10 bytes of it
#   slow-headers  SLOW_CONNECTIONS requests whose headers grow by one byte a second and never end
# For each: the server's CPU (% of one core) and log bytes per second over WINDOW seconds, the
# time for a normal GET /api/health to be answered meanwhile, and what the attacker saw (how many
# connections the server closed, and after how long).
#
#   BUILD_DIR=build bench/hostile_clients.sh
# Knobs: FD_LIMIT (1024), IDLE_CONNECTIONS (1100), SLOW_CONNECTIONS (1100), WINDOW (16),
# HOSTILE_CLIENT (default $BUILD_DIR/gigent-hostile-client; set it to measure another build's server).
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

FD_LIMIT=${FD_LIMIT:-1024}
IDLE_CONNECTIONS=${IDLE_CONNECTIONS:-1100}
SLOW_CONNECTIONS=${SLOW_CONNECTIONS:-1100}
WINDOW=${WINDOW:-16}
HOSTILE_CLIENT=${HOSTILE_CLIENT:-$BUILD_DIR/gigent-hostile-client}
[ -x "$HOSTILE_CLIENT" ] || {
  echo "no $HOSTILE_CLIENT: cmake --build $BUILD_DIR --target gigent-hostile-client" >&2
  exit 1
}
ticks_per_second=$(getconf CLK_TCK)

cpu_ticks() {  # pid: utime + stime of the process (all threads)
  awk '{print $14 + $15}' "/proc/$1/stat"
}

# A normal request while the attack runs: "STATUS SECONDS", or "none" without an answer in 30 s.
probe() {
  curl -s -o /dev/null --max-time 30 -w '%{http_code} %{time_total}\n' "$api/api/health" || echo "none 30+"
}

run_case() {  # mode, connections
  local mode=$1 connections=$2 log="$work/server-$1.log"
  (ulimit -n "$FD_LIMIT" && exec "$BUILD_DIR/gigent-server" --port 0 --db "$work/$mode.db" --threads 2) \
    >"$work/server-$mode.out" 2>"$log" &
  local pid=$!
  bench_pids+=("$pid")
  wait_for_line "$work/server-$mode.out" "listening on" 20
  api=$(grep -o 'http://[0-9.:]*' "$work/server-$mode.out")
  local port=${api##*:}
  echo "== $mode: $connections connections, ulimit -n $FD_LIMIT, ${WINDOW} s"
  echo "before the attack: $(probe)"
  "$HOSTILE_CLIENT" "$mode" 127.0.0.1 "$port" "$connections" "$WINDOW" >"$work/client-$mode.out" &
  local client=$!
  # Let the connections open before measuring the steady state.
  sleep 2
  local t0 c0 l0 t1 c1 l1 probes=()
  t0=$(date +%s.%N)
  c0=$(cpu_ticks "$pid")
  l0=$(stat -c %s "$log")
  while (($(echo "$(date +%s.%N) - $t0 < $WINDOW - 4" | bc))); do
    probes+=("$(probe)")
    sleep 1
  done
  t1=$(date +%s.%N)
  c1=$(cpu_ticks "$pid")
  l1=$(stat -c %s "$log")
  local fds_during
  fds_during=$(ls "/proc/$pid/fd" | wc -l)
  wait "$client" || true
  local elapsed
  elapsed=$(echo "$t1 - $t0" | bc)
  printf 'server CPU: %.1f%% of a core over %.1f s\n' "$(echo "($c1 - $c0) * 100 / $ticks_per_second / $elapsed" | bc -l)" "$elapsed"
  printf 'server log: %.0f bytes/s (%s bytes in all, %s lines)\n' "$(echo "($l1 - $l0) / $elapsed" | bc -l)" \
    "$(stat -c %s "$log")" "$(wc -l <"$log")"
  echo "normal requests meanwhile (status seconds): ${probes[*]}"
  sed 's/^/attacker: /' "$work/client-$mode.out"
  echo "server open descriptors during the attack: $fds_during (limit $FD_LIMIT)"
  echo "last log lines:"
  tail -n 3 "$log" | cut -c1-240 | sed 's/^/  /'
  kill -TERM "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
}

command -v bc >/dev/null || { echo "bc is not installed" >&2; exit 1; }
machine_info
echo "server: $BUILD_DIR/gigent-server"
run_case idle "$IDLE_CONNECTIONS"
run_case slow-body "$SLOW_CONNECTIONS"
run_case slow-headers "$SLOW_CONNECTIONS"
