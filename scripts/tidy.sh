#!/usr/bin/env bash
# clang-tidy over the project's sources, using the build's compile database.
set -euo pipefail
build=${1:-build}
files=$(git ls-files 'src/*.cpp')
status=0
for f in $files; do
  clang-tidy --quiet -p "$build" "$f" 2>/dev/null || status=1
done
exit $status
