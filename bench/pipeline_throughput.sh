#!/usr/bin/env bash
# Pipeline throughput and the runtime's own time per order (issue 6, target 3).
# The LLM emulator answers after LLM_DELAY_MS; ORDERS orders are placed while the
# daemon is stopped, then the daemon (max_concurrent_orders CONCURRENCY) is
# started and timed from its first accept to its last delivery. Ideal:
# CONCURRENCY / delay orders per second (32 / 0.2 s = 160/s).
#
#   BUILD_DIR=build-bench bench/pipeline_throughput.sh
#   env: BUILD_DIR (build), ORDERS (2000), CONCURRENCY (32), LLM_DELAY_MS (200),
#        PROFILE=callgrind (run the daemon under callgrind; slow, for profiles only;
#        the output file is copied to ./callgrind.out.runtime)
source "$(dirname "$0")/lib.sh"
ORDERS=${ORDERS:-2000}
CONCURRENCY=${CONCURRENCY:-32}
LLM_DELAY_MS=${LLM_DELAY_MS:-200}
PROFILE=${PROFILE:-}

machine_info
start_server
start_emulator "$LLM_DELAY_MS"
agent="$work/agent"
write_agent "$agent" 1 10 30 "$CONCURRENCY" 25
start_runtime "$agent"
wait_for_line "$agent/runtime.log" "Agent is online and ready" 30
stop_pid "$runtime_pid"
: >"$agent/runtime.log"

register_buyer
seller=$(agent_id_of "$agent")
gig=$(gig_id_of "$seller")
echo "== placing $ORDERS orders (daemon stopped)"
"$BUILD_DIR/gigent-bench-client" place "$api" "$buyer_id" "$buyer_key" "$gig" "$ORDERS" 4 >"$work/ids.txt"

echo "== running the daemon: $ORDERS orders, max_concurrent_orders $CONCURRENCY, LLM delay $LLM_DELAY_MS ms"
if [ "$PROFILE" = callgrind ]; then
  valgrind --tool=callgrind --callgrind-out-file="$work/callgrind.out" \
    "$BUILD_DIR/gigent-runtime" run -c "$agent/gigent-agent.yaml" -u "$api" >>"$agent/runtime.log" 2>&1 &
  runtime_pid=$!
  bench_pids+=("$runtime_pid")
else
  start_runtime "$agent"
fi
cpu_before=$(cpu_ticks "$runtime_pid")
slow=1; [ "$PROFILE" = callgrind ] && slow=10
deadline=$((SECONDS + 60 + ORDERS / 10 * slow))
peak_rss=0
while :; do
  delivered=$(grep -c ' delivered' "$agent/runtime.log" || true)
  rss=$(rss_kb "$runtime_pid")
  ((rss > peak_rss)) && peak_rss=$rss
  ((delivered >= ORDERS)) && break
  if ((SECONDS > deadline)); then
    echo "timed out: $delivered of $ORDERS delivered" >&2
    tail -n 20 "$agent/runtime.log" >&2
    exit 1
  fi
  sleep 0.2
done
cpu_used=$(($(cpu_ticks "$runtime_pid") - cpu_before))
stop_pid "$runtime_pid"
if [ "$PROFILE" = callgrind ]; then cp "$work/callgrind.out" ./callgrind.out.runtime && echo "profile: ./callgrind.out.runtime"; fi

# Log lines start with an ISO timestamp with milliseconds (UTC).
to_secs() { awk '{split(substr($1, 12, 12), t, ":"); printf "%.3f\n", t[1] * 3600 + t[2] * 60 + t[3]}'; }
first=$(grep -m1 'accepted order' "$agent/runtime.log" | to_secs)
last=$(grep ' delivered' "$agent/runtime.log" | tail -n 1 | to_secs)
elapsed=$(awk -v a="$first" -v b="$last" 'BEGIN {d = b - a; if (d < 0) d += 86400; printf "%.3f", d}')
rate=$(awk -v n="$ORDERS" -v e="$elapsed" 'BEGIN {printf "%.1f", n / e}')
ideal=$(awk -v c="$CONCURRENCY" -v d="$LLM_DELAY_MS" 'BEGIN {printf "%.1f", c * 1000 / d}')
share=$(awk -v r="$rate" -v i="$ideal" 'BEGIN {printf "%.1f", 100 * r / i}')
ticks=$(getconf CLK_TCK)

echo "== results (load now: $(cut -d' ' -f1-3 /proc/loadavg))"
echo "orders delivered:        $ORDERS in $elapsed s (first accept to last delivery)"
echo "throughput:              $rate orders/s; ideal $ideal/s; $share% of ideal (target >= 95%)"
echo "daemon CPU:              $(awk -v t="$cpu_used" -v h="$ticks" -v n="$ORDERS" 'BEGIN {printf "%.2f s total, %.2f ms per order", t / h, 1000 * t / h / n}')"
echo "daemon peak RSS:         $((peak_rss / 1024)) MB ($peak_rss kB)"
# "order X delivered (runtime N.NN ms outside the LLM call)"
if grep -q 'outside the LLM call' "$agent/runtime.log"; then
  grep -o 'runtime [0-9.]* ms outside' "$agent/runtime.log" | awk '{print $2}' >"$work/overhead.txt"
  echo "runtime time per order outside the LLM call (claim + journal + deliver, wall clock):"
  echo "  p50 $(percentile 50 <"$work/overhead.txt") ms, p90 $(percentile 90 <"$work/overhead.txt") ms," \
    "p99 $(percentile 99 <"$work/overhead.txt") ms (target p50 < 2 ms)"
fi
grep -o 'answered in [0-9]* ms' "$agent/runtime.log" | awk '{print $3}' >"$work/llm.txt"
echo "LLM call as the daemon sees it (emulator delay + HTTP): p50 $(percentile 50 <"$work/llm.txt") ms," \
  "p90 $(percentile 90 <"$work/llm.txt") ms, p99 $(percentile 99 <"$work/llm.txt") ms"
errors=$(grep -c -E ' (warn|error) ' "$agent/runtime.log" || true)
echo "warnings/errors in the daemon log: $errors"
