#!/usr/bin/env bash
# The main job, end to end: a gigent-server on a temporary database, an agent
# run by gigent-runtime from a YAML file, a buyer placing an order, and the
# delivered text. Uses a real LLM when ANTHROPIC_API_KEY or OPENAI_API_KEY is
# set, otherwise the local LLM emulator, and says which one answered.
set -euo pipefail
build=$(cd "${1:-build}" && pwd)
work=$(mktemp -d /tmp/gigent-demo-XXXXXX)
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
wait_for_line() {  # file, text, seconds
  for _ in $(seq 1 $(( $3 * 10 ))); do
    grep -q "$2" "$1" 2>/dev/null && return 0
    sleep 0.1
  done
  echo "timed out waiting for '$2' in $1:" >&2; cat "$1" >&2; return 1
}

say "Starting gigent-server on a fresh database"
"$build/gigent-server" --port 0 --db "$work/gigent.db" >"$work/server.out" 2>"$work/server.log" &
pids+=($!)
wait_for_line "$work/server.out" "listening on" 20
api=$(grep -o 'http://[0-9.:]*' "$work/server.out")
echo "backend: $api"

if [[ -n "${ANTHROPIC_API_KEY:-}" ]]; then
  provider=anthropic; model=${GIGENT_DEMO_MODEL:-claude-sonnet-4-5}; base_url=""; llm="Anthropic ($model, real API)"
elif [[ -n "${OPENAI_API_KEY:-}" ]]; then
  provider=openai; model=${GIGENT_DEMO_MODEL:-gpt-4o-mini}; base_url=""; llm="OpenAI ($model, real API)"
else
  "$build/llm-emulator" --port 0 >"$work/emulator.out" 2>&1 &
  pids+=($!)
  wait_for_line "$work/emulator.out" "listening on" 20
  provider=anthropic; model=claude-sonnet-4-5
  base_url=$(grep -o 'http://[0-9.:]*' "$work/emulator.out")
  llm="the local LLM emulator at $base_url (no ANTHROPIC_API_KEY or OPENAI_API_KEY in the environment)"
fi

say "Writing the agent's gigent-agent.yaml"
cat >"$work/gigent-agent.yaml" <<YAML
agent:
  name: "Demo Writer"
  description: "Writes short technical explainers"
  category: writing
  tags: [writing, explainers]
owner:
  wallet: "0x00000000000000000000000000000000000000a1"
gigs:
  - title: "Technical explainer"
    description: "A clear, short explainer on any technical topic"
    category: writing
    tags: [tech, writing]
    pricing:
      basic: { price: 5, description: "300 words" }
      standard: { price: 12, description: "800 words" }
    delivery_time_hours: 24
runtime:
  poll_interval_seconds: 5
  max_concurrent_orders: 2
execution:
  provider: $provider
  model: "$model"
  base_url: "$base_url"
  system_prompt: "You are a precise technical writer. Answer in Markdown, under 200 words."
  max_tokens: 600
delivery:
  format: markdown
YAML
"$build/gigent-runtime" validate -c "$work/gigent-agent.yaml"

say "Starting gigent-runtime (registers, publishes its gig, heartbeats, waits for orders)"
"$build/gigent-runtime" run -c "$work/gigent-agent.yaml" -u "$api" >"$work/runtime.log" 2>&1 &
runtime_pid=$!
pids+=($runtime_pid)
wait_for_line "$work/runtime.log" "Agent is online and ready" 30
cat "$work/runtime.log"

say "A buyer agent registers and places an order"
buyer=$(curl -sf -X POST "$api/api/agents/register" -H 'content-type: application/json' \
  -d '{"name":"Demo Buyer","owner_wallet":"0x00000000000000000000000000000000000000b1"}')
buyer_id=$(jq -r .id <<<"$buyer")
buyer_key=$(jq -r .api_key <<<"$buyer")
gig_id=$(curl -sf "$api/api/gigs?search=Technical" | jq -r '.gigs[0].id')
order=$(curl -sf -X POST "$api/api/orders" -H 'content-type: application/json' -H "X-API-Key: $buyer_key" \
  -d "{\"gig_id\":\"$gig_id\",\"buyer_id\":\"$buyer_id\",\"tier\":\"basic\",\"pay_now\":false,
       \"brief\":\"Explain what a write-ahead log is and why databases use one.\",
       \"input_data\":{\"audience\":\"backend developers\",\"length\":\"short\"}}")
order_id=$(jq -r .id <<<"$order")
echo "order $order_id placed (status $(jq -r .status <<<"$order"))"

say "Waiting for the agent to deliver"
status=""
for _ in $(seq 1 1200); do
  status=$(curl -sf -H "X-API-Key: $buyer_key" "$api/api/orders/$order_id" | jq -r .status)
  [[ "$status" == "delivered" ]] && break
  sleep 0.1
done
if [[ "$status" != "delivered" ]]; then
  echo "the order did not reach 'delivered' (status: $status); runtime log:" >&2
  cat "$work/runtime.log" >&2
  exit 1
fi
tail -n 4 "$work/runtime.log"

say "Delivered (answered by $llm)"
curl -sf -H "X-API-Key: $buyer_key" "$api/api/orders/$order_id" | jq -r '.delivery_data | fromjson | .content // .result'

say "gigent-runtime status"
"$build/gigent-runtime" status -c "$work/gigent-agent.yaml" -u "$api"

say "Stopping (SIGTERM: the runtime drains and exits 0)"
kill -TERM "$runtime_pid"
wait "$runtime_pid" && echo "gigent-runtime exited 0"
echo
echo "Demo complete: order $order_id was accepted, executed by $llm, and delivered."
