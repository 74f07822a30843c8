#!/usr/bin/env bash
# clang-tidy (checks in .clang-tidy, findings are errors) over every source
# under src/, using the build's compile database; one process per core.
set -euo pipefail
build=${1:-build}
[[ -f "$build/compile_commands.json" ]] || { echo "tidy: no $build/compile_commands.json; run make build first" >&2; exit 2; }
if git ls-files 'src/*.cpp' | xargs -P"$(nproc)" -n1 clang-tidy --quiet -p "$build" 2>/dev/null; then
  echo "clang-tidy: no findings"
else
  echo "clang-tidy: findings above" >&2
  exit 1
fi
