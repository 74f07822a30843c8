#!/usr/bin/env bash
# Start to ready (issue 6, target 2): from exec of `gigent-runtime run` to its
# "Agent is online and ready" line, against a local gigent-server, with the
# credentials already on disk (a first run registers the agent and publishes
# its gig). RUNS runs; prints median, p90, min, max. Target: under 20 ms.
#
#   BUILD_DIR=build-bench bench/start_to_ready.sh
#   env: BUILD_DIR (build), RUNS (20)
source "$(dirname "$0")/lib.sh"
RUNS=${RUNS:-20}

machine_info
start_server
agent="$work/agent"
write_agent "$agent" 1 10 30 3 25
start_runtime "$agent"
wait_for_line "$agent/runtime.log" "Agent is online and ready" 30
stop_pid "$runtime_pid"

echo "== $RUNS starts with credentials present"
: >"$work/times.txt"
for ((run = 1; run <= RUNS; run++)); do
  t0=$EPOCHREALTIME
  exec 3< <(exec "$BUILD_DIR/gigent-runtime" run -c "$agent/gigent-agent.yaml" -u "$api" 2>&1)
  pid=$!
  bench_pids+=("$pid")
  t1=""
  # Bash's read needs no fork per line, so the clock stops within a few
  # microseconds of the line being written.
  while IFS= read -r -t 10 line <&3; do
    if [[ $line == *"Agent is online and ready"* ]]; then
      t1=$EPOCHREALTIME
      break
    fi
  done
  [ -n "$t1" ] || { echo "run $run: no ready line within 10 s" >&2; exit 1; }
  kill -TERM "$pid" 2>/dev/null || true
  cat <&3 >/dev/null  # drain until the daemon exits and closes the pipe
  exec 3<&-
  wait "$pid" 2>/dev/null || true
  awk -v a="$t0" -v b="$t1" 'BEGIN {printf "%.2f\n", (b - a) * 1000}' >>"$work/times.txt"
done

echo "== results (load now: $(cut -d' ' -f1-3 /proc/loadavg))"
echo "runs (ms): $(tr '\n' ' ' <"$work/times.txt")"
echo "start to ready: median $(percentile 50 <"$work/times.txt") ms, p90 $(percentile 90 <"$work/times.txt") ms," \
  "min $(percentile 0 <"$work/times.txt") ms, max $(percentile 100 <"$work/times.txt") ms (target < 20 ms)"
