#!/usr/bin/env bash
# Footprint of one daemon (issue 6, target 1):
#   - resident memory idle after boot (VmRSS, plus smaps_rollup: PSS, anonymous,
#     shared library pages), target <= 6 MB;
#   - CPU while idle over IDLE_SECONDS at a 10 s poll and 30 s heartbeat
#     (utime + stime from /proc/PID/stat), target < 0.1% of one core;
#   - RSS under load at max_concurrent_orders 32 and after LOAD_ORDERS orders
#     (no growth: RSS after the first 2,000 vs after all);
#   - peak heap under valgrind massif on a MASSIF_ORDERS run (MASSIF_ORDERS=0 skips it).
#
#   BUILD_DIR=build-bench bench/runtime_footprint.sh
#   env: BUILD_DIR (build), IDLE_SECONDS (60; the issue's figure is 600),
#        LOAD_ORDERS (10000), MASSIF_ORDERS (2000), LLM_DELAY_MS (200)
source "$(dirname "$0")/lib.sh"
IDLE_SECONDS=${IDLE_SECONDS:-60}
LOAD_ORDERS=${LOAD_ORDERS:-10000}
MASSIF_ORDERS=${MASSIF_ORDERS:-2000}
LLM_DELAY_MS=${LLM_DELAY_MS:-200}
ticks=$(getconf CLK_TCK)

machine_info
start_server
start_emulator "$LLM_DELAY_MS"
agent="$work/agent"
write_agent "$agent" 1 10 30 32 25
start_runtime "$agent"
wait_for_line "$agent/runtime.log" "Agent is online and ready" 30
sleep 2

echo "== idle after boot (max_concurrent_orders 32, 10 s poll, 30 s heartbeat, long-poll)"
awk '/^(VmRSS|RssAnon|RssFile|Threads):/ {printf "%-10s %s %s\n", $1, $2, $3}' "/proc/$runtime_pid/status"
awk '/^(Pss|Pss_Anon|Pss_File|Private_Clean|Private_Dirty|Shared_Clean):/ {printf "%-15s %s %s\n", $1, $2, $3}' \
  "/proc/$runtime_pid/smaps_rollup"
idle_rss=$(rss_kb "$runtime_pid")
idle_pss=$(awk '/^Pss:/ {print $2}' "/proc/$runtime_pid/smaps_rollup")
idle_anon=$(awk '/^RssAnon:/ {print $2}' "/proc/$runtime_pid/status")

echo "== idle CPU over $IDLE_SECONDS s"
c0=$(cpu_ticks "$runtime_pid")
sleep "$IDLE_SECONDS"
c1=$(cpu_ticks "$runtime_pid")
idle_cpu=$(awk -v d="$((c1 - c0))" -v h="$ticks" -v s="$IDLE_SECONDS" \
  'BEGIN {printf "%.4f%% of one core (%d ticks of 1/%d s in %d s; %.1f ms per 10 min)", 100 * d / h / s, d, h, s, 1000 * d / h * 600 / s}')
echo "$idle_cpu"

echo "== load: $LOAD_ORDERS orders placed while the daemon runs (LLM delay $LLM_DELAY_MS ms)"
register_buyer
gig=$(gig_id_of "$(agent_id_of "$agent")")
"$BUILD_DIR/gigent-bench-client" place "$api" "$buyer_id" "$buyer_key" "$gig" "$LOAD_ORDERS" 2 >/dev/null
deadline=$((SECONDS + 120 + LOAD_ORDERS / 20))
peak=0
rss_at_2000=""
rss_at_half=""
while :; do
  delivered=$(grep -c ' delivered' "$agent/runtime.log" || true)
  rss=$(rss_kb "$runtime_pid")
  ((rss > peak)) && peak=$rss
  [ -z "$rss_at_2000" ] && ((delivered >= 2000)) && rss_at_2000=$rss
  [ -z "$rss_at_half" ] && ((delivered >= LOAD_ORDERS / 2)) && rss_at_half=$rss
  ((delivered >= LOAD_ORDERS)) && break
  ((SECONDS > deadline)) && { echo "timed out: $delivered of $LOAD_ORDERS delivered" >&2; exit 1; }
  sleep 0.5
done
sleep 3
after_rss=$(rss_kb "$runtime_pid")
after_anon=$(awk '/^RssAnon:/ {print $2}' "/proc/$runtime_pid/status")
echo "RSS under load (32 in flight): peak $peak kB; at 2,000 delivered ${rss_at_2000:-n/a} kB;" \
  "at $((LOAD_ORDERS / 2)) ${rss_at_half:-n/a} kB"
echo "RSS after $LOAD_ORDERS orders, idle again: $after_rss kB (anonymous $after_anon kB)"
stop_pid "$runtime_pid"

massif_line="skipped (MASSIF_ORDERS=0)"
if ((MASSIF_ORDERS > 0)) && command -v valgrind >/dev/null; then
  echo "== heap under valgrind massif: $MASSIF_ORDERS orders"
  "$BUILD_DIR/gigent-bench-client" place "$api" "$buyer_id" "$buyer_key" "$gig" "$MASSIF_ORDERS" 2 >/dev/null
  : >"$agent/runtime.log"
  valgrind --tool=massif --massif-out-file="$work/massif.out" \
    "$BUILD_DIR/gigent-runtime" run -c "$agent/gigent-agent.yaml" -u "$api" >>"$agent/runtime.log" 2>&1 &
  massif_pid=$!
  bench_pids+=("$massif_pid")
  deadline=$((SECONDS + 120 + MASSIF_ORDERS / 5))
  while (($(grep -c ' delivered' "$agent/runtime.log" || true) < MASSIF_ORDERS)); do
    ((SECONDS > deadline)) && { echo "massif run timed out" >&2; break; }
    sleep 1
  done
  stop_pid "$massif_pid"
  # mem_heap_B of every snapshot, in time order: the peak and how the last
  # quarter compares with the second quarter tell whether the heap grows.
  grep '^mem_heap_B=' "$work/massif.out" | cut -d= -f2 >"$work/heap.txt"
  massif_line=$(awk '{h[NR] = $1; if ($1 > max) max = $1}
    END {q2 = h[int(NR / 2)]; last = h[NR > 1 ? NR - 1 : NR];
         printf "peak heap %.2f MB; heap at mid-run %.2f MB, at the end of the run %.2f MB (%d snapshots)",
                max / 1048576, q2 / 1048576, last / 1048576, NR}' "$work/heap.txt")
  echo "$massif_line"
fi

echo "== results (load now: $(cut -d' ' -f1-3 /proc/loadavg))"
echo "idle RSS after boot:      $idle_rss kB (PSS $idle_pss kB, anonymous $idle_anon kB; target <= 6 MB)"
echo "idle CPU:                 $idle_cpu (target < 0.1%)"
echo "RSS under load at 32:     peak $peak kB"
echo "RSS after $LOAD_ORDERS orders: $after_rss kB (at 2,000: ${rss_at_2000:-n/a} kB)"
echo "massif:                   $massif_line"
