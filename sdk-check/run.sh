#!/usr/bin/env bash
# Proves tools/llm-emulator faithful: the official Anthropic and OpenAI SDKs,
# pointed at it, parse every success and error case and retry as they would
# against the real APIs. Builds nothing: pass the emulator binary.
#   EMULATOR=/path/to/llm-emulator sdk-check/run.sh     (default ../build/llm-emulator)
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
emulator="${EMULATOR:-$here/../build/llm-emulator}"
if [[ ! -x "$emulator" ]]; then
  echo "sdk-check: emulator binary not found or not executable: $emulator (set EMULATOR)" >&2
  exit 2
fi
emulator="$(cd "$(dirname "$emulator")" && pwd)/$(basename "$emulator")"

# Exact versions from package-lock.json; reinstalled only when the lock changed.
if [[ ! -f "$here/node_modules/.package-lock.json" || "$here/package-lock.json" -nt "$here/node_modules/.package-lock.json" ]]; then
  (cd "$here" && npm ci --no-audit --no-fund)
fi

api_key="sk-sdk-check-key-0123456789"  # must match sdk-check/emulator.mjs
log="$(mktemp)"
"$emulator" --port 0 --api-key "$api_key" >"$log" 2>&1 &
emulator_pid=$!
trap 'kill "$emulator_pid" 2>/dev/null || true; wait "$emulator_pid" 2>/dev/null || true; rm -f "$log"' EXIT

url=""
for _ in $(seq 1 100); do
  url="$(grep -o 'listening on http://[0-9.:]*' "$log" | sed 's/listening on //' || true)"
  [[ -n "$url" ]] && break
  if ! kill -0 "$emulator_pid" 2>/dev/null; then
    echo "sdk-check: the emulator exited early:" >&2
    cat "$log" >&2
    exit 1
  fi
  sleep 0.1
done
if [[ -z "$url" ]]; then
  echo "sdk-check: the emulator did not report listening within 10 s" >&2
  exit 1
fi
echo "sdk-check: llm-emulator at $url"

# One emulator is shared, so test files run one after another.
cd "$here"
EMULATOR="$emulator" EMULATOR_URL="$url" node --test --test-concurrency=1 ./*.test.mjs
