#!/usr/bin/env bash
# Many agents on one machine (issue 6, target 6): AGENTS daemons (10 s poll,
# 30 s heartbeat, long-poll) against one gigent-server. Once every daemon is
# ready: total resident memory (sum of VmRSS, which counts the shared library
# pages once per process, and sum of PSS, which shares them out), total CPU of
# the daemons and the server over WINDOW seconds, and the server's latency
# seen by a light probe (one order-list request every 200 ms during the window),
# then optionally by wrk (WRK_SECONDS, 2 threads, 16 connections) after it.
# Targets: under 3 GB and under 10% of the machine.
#
#   BUILD_DIR=build-bench bench/many_agents.sh
#   env: BUILD_DIR (build), AGENTS (500), WINDOW (60), WRK_SECONDS (10; 0 skips)
source "$(dirname "$0")/lib.sh"
AGENTS=${AGENTS:-500}
WINDOW=${WINDOW:-60}
WRK_SECONDS=${WRK_SECONDS:-10}
ticks=$(getconf CLK_TCK)

machine_info
start_server
start_emulator 0

echo "== starting $AGENTS daemons"
daemon_pids=()
boot_start=$SECONDS
for ((n = 1; n <= AGENTS; n++)); do
  write_agent "$work/a$n" "$n" 10 30 3 25 warn
  # The ready line is at info: log at warn, except that boot is confirmed by
  # the state file's phase.
  start_runtime "$work/a$n"
  daemon_pids+=("$runtime_pid")
  ((n % 50 == 0)) && sleep 0.5  # let each batch register before the next
done
wait_online "$AGENTS" $((120 + AGENTS / 5)) "$work" "${daemon_pids[@]}" || {
  tail -n 5 "$work"/a*/runtime.log | head -n 40 >&2
  exit 1
}
echo "$AGENTS daemons ready in $((SECONDS - boot_start)) s; settling 5 s"
sleep 5

seller=$(agent_id_of "$work/a1")
seller_key=$(jq -r .api_key "$work/a1/.gigent-credentials")  # order lists need a party's key
probe_url="$api/api/orders?agent_id=$seller&role=seller&status=pending"
echo "== measuring over $WINDOW s"
c0=0
for pid in "${daemon_pids[@]}"; do c0=$((c0 + $(cpu_ticks "$pid"))); done
s0=$(cpu_ticks "$server_pid")
end=$((SECONDS + WINDOW))
: >"$work/probe.txt"
while ((SECONDS < end)); do
  curl -s -o /dev/null -w '%{time_total}\n' -H "X-API-Key: $seller_key" "$probe_url" >>"$work/probe.txt" || true
  sleep 0.2
done
c1=0
rss_total=0
pss_total=0
threads_total=0
alive=0
for pid in "${daemon_pids[@]}"; do
  [ -r "/proc/$pid/status" ] || continue
  alive=$((alive + 1))
  c1=$((c1 + $(cpu_ticks "$pid")))
  rss_total=$((rss_total + $(rss_kb "$pid")))
  pss_total=$((pss_total + $(pss_kb "$pid")))
  threads_total=$((threads_total + $(threads_of "$pid")))
done
s1=$(cpu_ticks "$server_pid")
server_rss=$(rss_kb "$server_pid")
cores=$(nproc)
daemon_cpu=$(awk -v d="$((c1 - c0))" -v h="$ticks" -v w="$WINDOW" -v c="$cores" \
  'BEGIN {printf "%.2f%% of the machine (%.2f%% of one core; %.3f%% of a core per daemon)", 100 * d / h / w / c, 100 * d / h / w, 100 * d / h / w / '"$alive"'}')
server_cpu=$(awk -v d="$((s1 - s0))" -v h="$ticks" -v w="$WINDOW" -v c="$cores" \
  'BEGIN {printf "%.2f%% of the machine", 100 * d / h / w / c}')
total_cpu=$(awk -v d="$((c1 - c0 + s1 - s0))" -v h="$ticks" -v w="$WINDOW" -v c="$cores" \
  'BEGIN {printf "%.2f%%", 100 * d / h / w / c}')
probe_ms() { awk '{printf "%.2f\n", $1 * 1000}' "$work/probe.txt" | percentile "$1"; }
probe="p50 $(probe_ms 50) ms, p99 $(probe_ms 99) ms, max $(probe_ms 100) ms over $(wc -l <"$work/probe.txt") requests (new connection each)"
errors=$(cat "$work"/a*/runtime.log | grep -c -E ' (warn|error) ' || true)

wrk_line="skipped (WRK_SECONDS=0)"
if ((WRK_SECONDS > 0)) && command -v wrk >/dev/null; then
  echo "== wrk on the order list for $WRK_SECONDS s with $AGENTS daemons connected"
  wrk -t2 -c16 -d"${WRK_SECONDS}s" --latency "$probe_url" >"$work/wrk.txt" 2>&1 || true
  wrk_line="$(awk '/Requests\/sec/ {print $2}' "$work/wrk.txt") requests/s; latency $(awk '/^ +50%/ {a=$2} /^ +99%/ {b=$2} END {print "p50 " a ", p99 " b}' "$work/wrk.txt")"
fi

echo "== results ($alive of $AGENTS daemons alive; load now: $(cut -d' ' -f1-3 /proc/loadavg))"
echo "daemons' memory:      sum of VmRSS $((rss_total / 1024)) MB; sum of PSS $((pss_total / 1024)) MB (target < 3 GB); $threads_total threads"
echo "server memory:        $((server_rss / 1024)) MB"
echo "daemons' CPU:         $daemon_cpu"
echo "server CPU:           $server_cpu (with the probe's requests)"
echo "total CPU:            $total_cpu of the machine over $WINDOW s (target < 10%)"
echo "server latency probe: $probe"
echo "server under wrk:     $wrk_line"
echo "warnings/errors in the daemons' logs: $errors"
