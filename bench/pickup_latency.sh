#!/usr/bin/env bash
# Pickup latency (issue 6, target 4): order placed -> accepted. A buyer places
# one order at a time (random pauses averaging GAP_MS) and polls it every millisecond until it
# leaves "pending" (timed from before the POST, so the figure is conservative).
# First with long-poll (the runtime uses the server's wait= automatically),
# then with polling only (runtime.long_poll_seconds: 0, POLL_SECONDS interval).
# Targets with long-poll: p50 < 20 ms, p99 < 100 ms.
#
#   BUILD_DIR=build-bench bench/pickup_latency.sh
#   env: BUILD_DIR (build), ORDERS (200, long-poll run), POLL_ORDERS (20, polling
#        run; 0 skips it), POLL_SECONDS (1), GAP_MS (50)
source "$(dirname "$0")/lib.sh"
ORDERS=${ORDERS:-200}
POLL_ORDERS=${POLL_ORDERS:-20}
POLL_SECONDS=${POLL_SECONDS:-1}
GAP_MS=${GAP_MS:-50}

machine_info
start_server
start_emulator 0
agent="$work/agent"
write_agent "$agent" 1 10 30 4 25
start_runtime "$agent"
wait_for_line "$agent/runtime.log" "long-poll order pickup" 30
register_buyer
gig=$(gig_id_of "$(agent_id_of "$agent")")

echo "== long-poll: $ORDERS orders, one at a time, pauses uniform in 0..$((2 * GAP_MS)) ms"
c0=$(cpu_ticks "$runtime_pid")
s0=$(cpu_ticks "$server_pid")
"$BUILD_DIR/gigent-bench-client" pickup "$api" "$buyer_id" "$buyer_key" "$gig" "$ORDERS" "$GAP_MS" \
  >"$work/long.txt" 2>"$work/long.err"
cat "$work/long.err"
c1=$(cpu_ticks "$runtime_pid")
s1=$(cpu_ticks "$server_pid")
stop_pid "$runtime_pid"
long_summary=$(grep -o 'p50.*' "$work/long.err")
echo "daemon CPU during the run: $(((c1 - c0) * 10)) ms; server CPU: $(((s1 - s0) * 10)) ms (includes the buyer's 1 ms polling)"

poll_summary="skipped (POLL_ORDERS=0)"
if ((POLL_ORDERS > 0)); then
  echo "== polling only (long_poll_seconds: 0, every $POLL_SECONDS s): $POLL_ORDERS orders"
  # Wait for the long-poll daemon's orders to be delivered, then switch it to polling.
  sed -i "s/long_poll_seconds: 25/long_poll_seconds: 0/; s/poll_interval_seconds: 10/poll_interval_seconds: $POLL_SECONDS/" \
    "$agent/gigent-agent.yaml"
  : >"$agent/runtime.log"
  start_runtime "$agent"
  wait_for_line "$agent/runtime.log" "polling every" 30
  "$BUILD_DIR/gigent-bench-client" pickup "$api" "$buyer_id" "$buyer_key" "$gig" "$POLL_ORDERS" $((POLL_SECONDS * 500)) \
    >"$work/poll.txt" 2>"$work/poll.err"
  cat "$work/poll.err"
  stop_pid "$runtime_pid"
  poll_summary="$(grep -o 'p50.*' "$work/poll.err"); mean $(awk '{s += $1} END {printf "%.1f", s / NR}' "$work/poll.txt") ms"
fi

echo "== results (load now: $(cut -d' ' -f1-3 /proc/loadavg))"
echo "pickup with long-poll:         $long_summary (target p50 < 20 ms, p99 < 100 ms)"
echo "pickup polling every $POLL_SECONDS s:     $poll_summary"
