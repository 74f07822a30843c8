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
  # Also pause_for's sleep, which `wait` would otherwise wait for.
  for pid in "${bench_pids[@]}" ${pause_pid:-}; do kill -KILL "$pid" 2>/dev/null || true; done
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
  rm -f "$work/server.out"  # a restart must not read the previous server's address
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

# write_agent DIR|FILE.yaml N POLL_S HEARTBEAT_S MAX_CONCURRENT LONG_POLL_S [LOG_LEVEL]
# A directory gets DIR/gigent-agent.yaml (one daemon each); a .yaml path is one
# agent of a folder that a single `run --agents-dir` serves.
write_agent() {
  local file="$1/gigent-agent.yaml"
  case "$1" in *.yaml) file="$1" ;; esac
  mkdir -p "$(dirname "$file")"
  cat >"$file" <<YAML
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

# Whether this gigent-runtime serves a folder of configs in one process.
runtime_has_agents_dir() { "$BUILD_DIR/gigent-runtime" run --help 2>&1 | grep -q -- '--agents-dir'; }

start_agents_dir() {  # DIR LOG; every *.yaml in DIR in one process; sets $runtime_pid
  "$BUILD_DIR/gigent-runtime" run --agents-dir "$1" -u "$api" >>"$2" 2>&1 &
  runtime_pid=$!
  bench_pids+=("$runtime_pid")
}

stop_pid() {  # pid: SIGTERM and wait
  kill -TERM "$1" 2>/dev/null || true
  wait "$1" 2>/dev/null || true
}

# An exited child stays a zombie until waited for, and kill -0 still succeeds on
# it. Builtins only: it is asked about a thousand pids at a time.
is_running() {
  local state
  { read -r _ _ state _ <"/proc/$1/stat"; } 2>/dev/null && [ "$state" != Z ]
}

stop_pids() {  # pids: SIGTERM, up to 30 s to drain, then SIGKILL; forgotten by the exit trap
  local pid i left
  declare -A gone=()
  for pid in "$@"; do kill -TERM "$pid" 2>/dev/null || true; done
  for ((i = 0; i < 300; i++)); do
    left=0
    for pid in "$@"; do is_running "$pid" && { left=1; break; }; done
    ((left)) || break
    sleep 0.1
  done
  for pid in "$@"; do
    kill -KILL "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
    gone[$pid]=1
  done
  local keep=()
  for pid in "${bench_pids[@]}"; do [ -n "${gone[$pid]:-}" ] || keep+=("$pid"); done
  bench_pids=("${keep[@]}")
}

# wait_online COUNT SECONDS DIR PIDS...: until COUNT state files under DIR say
# "running" (they are written at info and warn log levels alike); fails when a
# pid exits first.
wait_online() {
  local count=$1 deadline=$((SECONDS + $2)) dir=$3 ready pid i
  shift 3
  for ((i = 0; ; i++)); do
    ready=$(find "$dir" -name .gigent-state.json -exec grep -l '"phase": "running"' {} + 2>/dev/null | wc -l)
    ((ready >= count)) && return 0
    if ((i % 8 == 0)); then
      for pid in "$@"; do
        is_running "$pid" || { echo "a runtime exited during boot (pid $pid)" >&2; return 1; }
      done
    fi
    ((SECONDS > deadline)) && { echo "timed out: $ready of $count agents online" >&2; return 1; }
    sleep 0.25  # each look reads every state file: more often would take CPU from the boot it times
  done
}
# A signal to the script alone runs its trap only once the foreground command
# ends: long sleeps wait in the background.
pause_for() {
  sleep "$1" &
  pause_pid=$!
  wait "$pause_pid"
  pause_pid=""
}
now_ms() { echo $(($(date +%s%N) / 1000000)); }

register_buyer() {  # sets $buyer_id $buyer_key
  local r
  r=$(curl -sf -X POST "$api/api/agents/register" -H 'content-type: application/json' \
    -d '{"name":"Bench Buyer","owner_wallet":"0x00000000000000000000000000000000000000b1"}')
  buyer_id=$(jq -r .id <<<"$r")
  buyer_key=$(jq -r .api_key <<<"$r")
}

agent_id_of() { jq -r .agent_id "$1/.gigent-credentials"; }
gig_id_of() { curl -sf "$api/api/gigs?agent_id=$1&limit=100" | jq -r '.gigs[0].id'; }
all_gig_ids() {  # every active gig on the server, one id a line
  local offset=0 page
  while page=$(curl -sf "$api/api/gigs?limit=100&offset=$offset" | jq -r '.gigs[].id') && [ -n "$page" ]; do
    echo "$page"
    offset=$((offset + 100))
  done
}
server_metric() {  # NAME: the sum of its series on the server's /metrics
  curl -sf "$api/metrics" | awk -v n="$1" '$1 == n || index($1, n "{") == 1 {s += $NF} END {print s + 0}'
}

rss_kb() { awk '/^VmRSS:/ {print $2}' "/proc/$1/status" 2>/dev/null || echo 0; }
pss_kb() { awk '/^Pss:/ {print $2}' "/proc/$1/smaps_rollup" 2>/dev/null || echo 0; }
threads_of() { awk '/^Threads:/ {print $2}' "/proc/$1/status" 2>/dev/null || echo 0; }
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat" 2>/dev/null || echo 0; }  # utime + stime
sum_ticks() {  # pids: sets $ticks_sum, utime + stime of them all, with builtins (quick for a thousand pids)
  local pid f
  ticks_sum=0
  for pid in "$@"; do
    { read -r -a f <"/proc/$pid/stat"; } 2>/dev/null || continue
    ticks_sum=$((ticks_sum + f[13] + f[14]))
  done
}

# percentile P (0-100) of numbers on stdin, nearest rank
percentile() { sort -n | awk -v p="$1" '{a[NR]=$1} END {if (NR==0) {print "n/a"; exit} i=int((p/100)*NR+0.999999); if (i<1) i=1; if (i>NR) i=NR; print a[i]}'; }
