# Shared helpers for the runtime benchmarks (sourced, not run). Everything lives
# in one mktemp dir and every process started here is killed on exit.
set -euo pipefail
bench_here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
BUILD_DIR=${BUILD_DIR:-build}
case "$BUILD_DIR" in /*) ;; *) BUILD_DIR="$bench_here/../$BUILD_DIR" ;; esac
for bin in gigent-server gigent-runtime llm-emulator gigent-bench-client; do
  [ -x "$BUILD_DIR/$bin" ] || {
    echo "no $BUILD_DIR/$bin: cmake --build $BUILD_DIR --target gigent-server gigent-runtime llm-emulator gigent-bench-client" >&2
    exit 1
  }
done
command -v jq >/dev/null || { echo "jq is not installed" >&2; exit 1; }
command -v curl >/dev/null || { echo "curl is not installed" >&2; exit 1; }

work=$(mktemp -d /tmp/gigent-bench-XXXXXX)
bench_pids=()
bench_cleanup() {
  local pid
  for pid in "${bench_pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  sleep 0.2
  for pid in "${bench_pids[@]}"; do kill -KILL "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap bench_cleanup EXIT
trap 'exit 130' INT TERM

machine_info() {
  echo "== machine"
  echo "nproc: $(nproc)"
  grep -m1 'model name' /proc/cpuinfo | sed 's/^model name\s*:\s*/cpu: /' || true
  echo "kernel: $(uname -sr)"
  echo "load: $(cut -d' ' -f1-3 /proc/loadavg) (other work on the machine makes figures noisy)"
  echo "build: $BUILD_DIR ($(grep -m1 CMAKE_BUILD_TYPE: "$BUILD_DIR/CMakeCache.txt" 2>/dev/null | cut -d= -f2))"
}

wait_for_line() {  # file, text, seconds
  local i
  for ((i = 0; i < $3 * 100; i++)); do
    grep -q "$2" "$1" 2>/dev/null && return 0
    sleep 0.01
  done
  echo "timed out waiting for '$2' in $1:" >&2
  tail -n 20 "$1" >&2
  return 1
}

start_server() {  # sets $api
  "$BUILD_DIR/gigent-server" --port 0 --db "$work/server.db" --log-level warn "$@" \
    >"$work/server.out" 2>"$work/server.log" &
  server_pid=$!
  bench_pids+=("$server_pid")
  wait_for_line "$work/server.out" "listening on" 20
  api=$(grep -o 'http://[0-9.:]*' "$work/server.out")
}

start_emulator() {  # delay_ms; sets $llm_url
  "$BUILD_DIR/llm-emulator" --port 0 >"$work/emulator.out" 2>&1 &
  bench_pids+=($!)
  wait_for_line "$work/emulator.out" "listening on" 20
  llm_url=$(grep -o 'http://[0-9.:]*' "$work/emulator.out" | head -n 1)
  curl -sf -X POST "$llm_url/_emulator/default" -H 'content-type: application/json' \
    -d "{\"action\":\"ok\",\"delay_ms\":$1}" >/dev/null
}

# write_agent DIR N POLL_S HEARTBEAT_S MAX_CONCURRENT LONG_POLL_S [LOG_LEVEL]
write_agent() {
  mkdir -p "$1"
  cat >"$1/gigent-agent.yaml" <<YAML
agent:
  name: "Bench Agent $2"
  description: "Answers benchmark orders"
  category: writing
  tags: [bench]
owner:
  wallet: "0x$(printf '%040x' $((0xa000 + $2)))"
gigs:
  - title: "Bench gig $2"
    description: "Two sentences on any topic"
    category: writing
    tags: [bench]
    pricing:
      basic: { price: 5, description: "two sentences" }
    delivery_time_hours: 24
runtime:
  poll_interval_seconds: $3
  long_poll_seconds: $6
  max_concurrent_orders: $5
  shutdown_grace_seconds: 10
execution:
  provider: anthropic
  model: "claude-sonnet-4-5"
  base_url: "${llm_url:-http://127.0.0.1:9}"
  api_key: "bench-key"
  system_prompt: "You write well."
  max_tokens: 200
  timeout_seconds: 30
delivery:
  format: text
heartbeat:
  enabled: true
  interval_seconds: $4
logging:
  level: ${7:-info}
YAML
}

start_runtime() {  # DIR; sets $runtime_pid, appends to $DIR/runtime.log
  "$BUILD_DIR/gigent-runtime" run -c "$1/gigent-agent.yaml" -u "$api" >>"$1/runtime.log" 2>&1 &
  runtime_pid=$!
  bench_pids+=("$runtime_pid")
}

stop_pid() {  # pid: SIGTERM and wait
  kill -TERM "$1" 2>/dev/null || true
  wait "$1" 2>/dev/null || true
}

register_buyer() {  # sets $buyer_id $buyer_key
  local r
  r=$(curl -sf -X POST "$api/api/agents/register" -H 'content-type: application/json' \
    -d '{"name":"Bench Buyer","owner_wallet":"0x00000000000000000000000000000000000000b1"}')
  buyer_id=$(jq -r .id <<<"$r")
  buyer_key=$(jq -r .api_key <<<"$r")
}

agent_id_of() { jq -r .agent_id "$1/.gigent-credentials"; }
gig_id_of() { curl -sf "$api/api/gigs?agent_id=$1&limit=100" | jq -r '.gigs[0].id'; }

rss_kb() { awk '/^VmRSS:/ {print $2}' "/proc/$1/status" 2>/dev/null || echo 0; }
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat" 2>/dev/null || echo 0; }  # utime + stime

# percentile P (0-100) of numbers on stdin, nearest rank
percentile() { sort -n | awk -v p="$1" '{a[NR]=$1} END {if (NR==0) {print "n/a"; exit} i=int((p/100)*NR+0.999999); if (i<1) i=1; if (i>NR) i=NR; print a[i]}'; }
