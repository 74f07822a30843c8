#!/usr/bin/env bash
# AGENTS agents in ONE gigent-runtime process (`run --agents-dir`) against
# PROCESSES one-agent processes, each side on a fresh gigent-server (SQLite)
# with the same agent config (10 s poll, 25 s long-poll, 30 s heartbeat).
# For each side: the time from the first exec until every agent's state file
# says "running"; VmRSS and PSS of the runtime(s) once all are online; the
# runtime's and the server's CPU over WINDOW idle seconds (and the requests
# the server answered meanwhile); then ORDERS orders, one at a time to random
# agents, each timed from before its POST until the buyer's parked long-poll
# sees it leave "pending" (gigent-bench-client pickup-wait). The processes'
# sums are also scaled linearly to AGENTS for the comparison table.
# Targets for the one process: under 150 MB, under 2% of one core idle,
# pickup p50 under 20 ms.
#
#   BUILD_DIR=build-release bench/many_agents_one_process.sh
#   env: BUILD_DIR (build), AGENTS (1000), PROCESSES (200 on 2 cores; 1000 with
#        more cores and the memory for it), WINDOW (60), ORDERS (200), GAP_MS (50),
#        SIDES ("one many"; one of them runs that side only)
source "$(dirname "$0")/lib.sh"
AGENTS=${AGENTS:-1000}
WINDOW=${WINDOW:-60}
ORDERS=${ORDERS:-200}
GAP_MS=${GAP_MS:-50}
SIDES=${SIDES:-one many}
ticks_per_s=$(getconf CLK_TCK)
mem_available_mb=$(awk '/^MemAvailable:/ {print int($2 / 1024)}' /proc/meminfo)
# A one-agent daemon maps ~16 MB (VmRSS, bench #6): counted whole, as if
# nothing were shared, plus 2 GB for the rest of the machine.
per_process_mb=16
if [ -z "${PROCESSES:-}" ]; then
  PROCESSES=200
  (($(nproc) > 2 && mem_available_mb > 1000 * per_process_mb + 2048)) && PROCESSES=1000
fi
if [[ " $SIDES " == *" many "* ]] && ((mem_available_mb < PROCESSES * per_process_mb + 2048)); then
  echo "$mem_available_mb MB available is too little for $PROCESSES processes (~$per_process_mb MB each + 2 GB): lower PROCESSES" >&2
  exit 1
fi
most=$((AGENTS > PROCESSES ? AGENTS : PROCESSES))

# Descriptors: the runtime holds an agent's journal (database, WAL, shared
# memory) and connections; the server one socket per connection.
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
fds_needed=$((8 * most + 256))
if (($(ulimit -n) < fds_needed)); then
  echo "the descriptor limit is $(ulimit -n) (hard limit $(ulimit -Hn)); $most agents need about $fds_needed:" >&2
  echo "raise the hard limit (nofile in /etc/security/limits.conf, LimitNOFILE= for a service) or lower AGENTS/PROCESSES" >&2
  exit 1
fi
max_user_processes=$(ulimit -u)
if [ "$max_user_processes" != unlimited ] && ((max_user_processes < 16 * PROCESSES + 1024)); then
  echo "ulimit -u is $max_user_processes: $PROCESSES daemons of ~10 threads each need about $((16 * PROCESSES + 1024)); lower PROCESSES" >&2
  exit 1
fi

machine_info
echo "memory available: $mem_available_mb MB; descriptor limit: $(ulimit -n)"
echo "agents in one process: $AGENTS; one-agent processes: $PROCESSES; idle window: $WINDOW s; orders: $ORDERS"
start_emulator 0

declare -A res=()
side_pids=()

# boot_side one|many COUNT: configs written, runtime(s) started, every agent online.
boot_side() {
  local side=$1 count=$2 n started
  local dir="$work/$side"
  if [ "$side" = one ]; then
    for ((n = 1; n <= count; n++)); do write_agent "$dir/agents/a$n.yaml" "$n" 10 30 3 25; done
    started=$(now_ms)
    start_agents_dir "$dir/agents" "$dir/runtime.log"
    side_pids=("$runtime_pid")
  else
    for ((n = 1; n <= count; n++)); do write_agent "$dir/a$n" "$n" 10 30 3 25; done
    started=$(now_ms)
    side_pids=()
    for ((n = 1; n <= count; n++)); do
      start_runtime "$dir/a$n"
      side_pids+=("$runtime_pid")
    done
  fi
  wait_online "$count" $((60 + count / 5)) "$dir" "${side_pids[@]}" || {
    find "$dir" -name '*.log' -exec tail -n 3 {} + | head -n 40 >&2
    exit 1
  }
  res[$side.boot]=$(awk -v ms="$(($(now_ms) - started))" 'BEGIN {printf "%.1f", ms / 1000}')
}

memory_of_side() {  # side label: sums over $side_pids into res[side.label.*]
  local pid rss=0 pss=0 threads=0 fds=0 open
  for pid in "${side_pids[@]}"; do
    rss=$((rss + $(rss_kb "$pid")))
    pss=$((pss + $(pss_kb "$pid")))
    threads=$((threads + $(threads_of "$pid")))
    open=("/proc/$pid/fd/"*)
    fds=$((fds + ${#open[@]}))
  done
  res[$1.$2.rss]=$((rss / 1024))
  res[$1.$2.pss]=$((pss / 1024))
  res[$1.$2.threads]=$threads
  res[$1.$2.fds]=$fds
}

run_side() {  # one|many COUNT
  local side=$1 count=$2 c0 s0 r0 t0 c1 s1 r1 elapsed_ms
  echo
  echo "== $side: $count agents in $([ "$side" = one ] && echo "one process" || echo "$count processes")"
  rm -f "$work"/server.db*
  start_server
  local features
  features=$(curl -sf "$api/api/health" | jq -c .features) || { echo "the server at $api does not answer /api/health" >&2; exit 1; }
  echo "server features: $features"
  boot_side "$side" "$count"
  echo "all $count agents online after ${res[$side.boot]} s; settling 5 s"
  # How the process waits for its agents' orders: one multi-agent wait, or each agent polling.
  [ "$side" = many ] || grep -m1 'multi-agent wait' "$work/$side/runtime.log" | sed 's/^[^ ]* *[^ ]* *[^ ]* *//' || true
  pause_for 5
  memory_of_side "$side" online
  res[$side.server_rss]=$(($(rss_kb "$server_pid") / 1024))

  echo "idle for $WINDOW s"
  sum_ticks "${side_pids[@]}"
  c0=$ticks_sum
  s0=$(cpu_ticks "$server_pid")
  r0=$(server_metric gigent_server_http_requests_total)
  t0=$(now_ms)
  pause_for "$WINDOW"
  sum_ticks "${side_pids[@]}"
  c1=$ticks_sum
  s1=$(cpu_ticks "$server_pid")
  r1=$(server_metric gigent_server_http_requests_total)
  elapsed_ms=$(($(now_ms) - t0))
  res[$side.cpu]=$(awk -v d=$((c1 - c0)) -v h="$ticks_per_s" -v ms="$elapsed_ms" 'BEGIN {printf "%.3f", 100 * d / h / (ms / 1000)}')
  res[$side.server_cpu]=$(awk -v d=$((s1 - s0)) -v h="$ticks_per_s" -v ms="$elapsed_ms" 'BEGIN {printf "%.3f", 100 * d / h / (ms / 1000)}')
  res[$side.requests]=$(awk -v n=$((r1 - r0)) -v ms="$elapsed_ms" 'BEGIN {printf "%.1f", n / (ms / 1000)}')
  res[$side.parked]=$(server_metric gigent_server_long_polls_parked)
  res[$side.connections]=$(server_metric gigent_server_open_connections)

  echo "pickup: $ORDERS orders to random agents, pauses uniform in 0..$((2 * GAP_MS)) ms"
  all_gig_ids >"$work/$side.gigs"
  local gigs
  gigs=$(wc -l <"$work/$side.gigs")
  ((gigs == count)) || { echo "$gigs active gigs on the server, expected $count" >&2; exit 1; }
  sum_ticks "${side_pids[@]}"
  c0=$ticks_sum
  "$BUILD_DIR/gigent-bench-client" pickup-wait "$api" "$work/$side.gigs" "$ORDERS" "$GAP_MS" \
    >"$work/$side.latency" 2>"$work/$side.pickup" &
  bench_pids+=($!)
  wait $! || { cat "$work/$side.pickup" >&2; exit 1; }
  cat "$work/$side.pickup"
  sum_ticks "${side_pids[@]}"
  res[$side.order_cpu_ms]=$(awk -v d=$((ticks_sum - c0)) -v h="$ticks_per_s" -v n="$ORDERS" 'BEGIN {printf "%.2f", 1000 * d / h / n}')
  res[$side.p50]=$(sed -n 's/.* p50 \([0-9.]*\) ms.*/\1/p' "$work/$side.pickup")
  res[$side.p99]=$(sed -n 's/.* p99 \([0-9.]*\) ms.*/\1/p' "$work/$side.pickup")
  memory_of_side "$side" orders
  res[$side.warnings]=$(find "$work/$side" -name '*.log' -exec cat {} + | grep -c -E ' (warn|error) ' || true)
  echo "runtime CPU during the pickup run: ${res[$side.order_cpu_ms]} ms per order (all runtimes, their idle work included)"
  echo "warnings/errors in the runtime logs: ${res[$side.warnings]}"

  stop_pids "${side_pids[@]}"
  stop_pid "$server_pid"
}

one_ran=0
if [[ " $SIDES " == *" one "* ]]; then
  if runtime_has_agents_dir; then
    run_side one "$AGENTS"
    one_ran=1
  else
    echo
    echo "== one: SKIPPED: $BUILD_DIR/gigent-runtime has no 'run --agents-dir' (the multi-agent mode);"
    echo "   build a gigent-runtime that lists --agents-dir in 'gigent-runtime run --help' to measure this side"
  fi
fi
many_ran=0
if [[ " $SIDES " == *" many "* ]]; then
  run_side many "$PROCESSES"
  many_ran=1
fi

# The table: one process as measured; the processes as measured and, for sums,
# scaled by AGENTS / PROCESSES (latencies are per order and are not scaled).
scale=$(awk -v a="$AGENTS" -v p="$PROCESSES" 'BEGIN {printf "%.4g", a / p}')
one() { if ((one_ran)); then echo "$1"; else echo "n/a"; fi; }
many() { if ((many_ran)); then echo "$1"; else echo "n/a"; fi; }
scaled() {  # value [decimals]: the processes' figure times $scale
  ((many_ran)) || { echo "n/a"; return; }
  awk -v v="$1" -v s="$scale" -v d="${2:-0}" 'BEGIN {printf "%.*f", d, v * s}'
}
row() { printf '%-34s | %-20s | %-20s | %-22s | %s\n' "$@"; }
echo
echo "== results (load now: $(cut -d' ' -f1-3 /proc/loadavg))"
echo "\"scaled\" multiplies the $PROCESSES processes' measured sums by $AGENTS/$PROCESSES = $scale (linear: an estimate, not a measurement)."
row "metric" "one process" "$PROCESSES processes" "scaled to $AGENTS" "target (one process)"
row "" "($AGENTS agents)" "(measured)" "processes (estimate)" ""
row "runtime VmRSS, all online (MB)" "$(one "${res[one.online.rss]:-}")" "$(many "${res[many.online.rss]:-} (sum)")" "$(scaled "${res[many.online.rss]:-0}")" "< 150"
row "runtime PSS, all online (MB)" "$(one "${res[one.online.pss]:-}")" "$(many "${res[many.online.pss]:-} (sum)")" "$(scaled "${res[many.online.pss]:-0}")" "< 150"
row "runtime VmRSS after orders (MB)" "$(one "${res[one.orders.rss]:-}")" "$(many "${res[many.orders.rss]:-} (sum)")" "$(scaled "${res[many.orders.rss]:-0}")" ""
row "runtime idle CPU (% of one core)" "$(one "${res[one.cpu]:-}")" "$(many "${res[many.cpu]:-}")" "$(scaled "${res[many.cpu]:-0}" 3)" "< 2"
row "server CPU, same window (% core)" "$(one "${res[one.server_cpu]:-}")" "$(many "${res[many.server_cpu]:-}")" "$(scaled "${res[many.server_cpu]:-0}" 3)" ""
row "server requests/s, same window" "$(one "${res[one.requests]:-}")" "$(many "${res[many.requests]:-}")" "$(scaled "${res[many.requests]:-0}" 1)" ""
row "pickup p50 (ms)" "$(one "${res[one.p50]:-}")" "$(many "${res[many.p50]:-}")" "(not scaled)" "< 20"
row "pickup p99 (ms)" "$(one "${res[one.p99]:-}")" "$(many "${res[many.p99]:-}")" "(not scaled)" ""
row "runtime CPU in pickup run / order" "$(one "${res[one.order_cpu_ms]:-}")" "$(many "${res[many.order_cpu_ms]:-}")" "(not scaled)" ""
row "start -> all online (s)" "$(one "${res[one.boot]:-}")" "$(many "${res[many.boot]:-}")" "$(scaled "${res[many.boot]:-0}" 1)" ""
row "runtime threads" "$(one "${res[one.online.threads]:-}")" "$(many "${res[many.online.threads]:-}")" "$(scaled "${res[many.online.threads]:-0}")" ""
row "runtime open descriptors" "$(one "${res[one.online.fds]:-}")" "$(many "${res[many.online.fds]:-}")" "$(scaled "${res[many.online.fds]:-0}")" ""
row "server connections / parked polls" "$(one "${res[one.connections]:-} / ${res[one.parked]:-}")" "$(many "${res[many.connections]:-} / ${res[many.parked]:-}")" "" ""
row "server VmRSS, all online (MB)" "$(one "${res[one.server_rss]:-}")" "$(many "${res[many.server_rss]:-}")" "" ""
