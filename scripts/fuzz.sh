#!/usr/bin/env bash
# Builds every libFuzzer target (fuzz/*_fuzz.cpp) with clang-16 in build-fuzz
# and runs each for SECONDS (default 20) on its seed corpus
# fuzz/corpus/<name without _fuzz>/. New inputs found go to
# build-fuzz/corpus/<name>/ (the seeds in git stay untouched); crashes go to
# build-fuzz/artifacts/. Exits non-zero if a target fails to build or crashes.
#
#   scripts/fuzz.sh [SECONDS]
#   FUZZ_TARGETS="config_fuzz" scripts/fuzz.sh 60   # only the named targets
set -euo pipefail

seconds="${1:-20}"
if ! [[ "$seconds" =~ ^[0-9]+$ ]] || [[ "$seconds" -lt 1 ]]; then
  echo "usage: $0 [seconds per target, default 20]" >&2
  exit 2
fi

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="${FUZZ_BUILD:-$root/build-fuzz}"
jobs="${FUZZ_BUILD_JOBS:-2}"

# `make fuzz` passes the sanitizer build (FUZZ_BUILD=build-asan), already
# configured for fuzzing, so CI builds the sources once for tests and fuzzers.
if [[ ! -f "$build/CMakeCache.txt" ]]; then
  cmake -S "$root" -B "$build" -DGIGENT_FUZZ=ON -DGIGENT_WERROR=ON \
    -DCMAKE_CXX_COMPILER=clang++-16 \
    -DCMAKE_CXX_FLAGS="-fsanitize=fuzzer-no-link,address,undefined" \
    -DGIGENT_BUILD_TESTS=OFF -DGIGENT_BUILD_BENCH=OFF >/dev/null
fi

# Undefined behaviour and leaks count as crashes.
export UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1"
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1}"

failed=()
for source in "$root"/fuzz/*_fuzz.cpp; do
  target="$(basename "$source" .cpp)"
  if [[ -n "${FUZZ_TARGETS:-}" && " $FUZZ_TARGETS " != *" $target "* ]]; then
    continue
  fi
  corpus_name="${target%_fuzz}"
  echo "=== $target: build"
  if ! cmake --build "$build" --target "$target" -j "$jobs"; then
    echo "=== $target: BUILD FAILED" >&2
    failed+=("$target (build)")
    continue
  fi
  seeds="$root/fuzz/corpus/$corpus_name"
  work_corpus="$build/corpus/$corpus_name"
  artifacts="$build/artifacts"
  mkdir -p "$work_corpus" "$artifacts" "$seeds"
  args=(-max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1
        -artifact_prefix="$artifacts/$target-")
  if [[ -f "$root/fuzz/$target.dict" ]]; then
    args+=(-dict="$root/fuzz/$target.dict")
  fi
  echo "=== $target: run ${seconds}s (seeds: $seeds)"
  # The first corpus dir receives new inputs; the seed dir is only read.
  if ! "$build/fuzz/$target" "${args[@]}" "$work_corpus" "$seeds"; then
    echo "=== $target: CRASH (see $artifacts/$target-*)" >&2
    failed+=("$target")
  fi
done

if [[ ${#failed[@]} -gt 0 ]]; then
  echo "fuzzing failed: ${failed[*]}" >&2
  exit 1
fi
echo "all fuzz targets ran ${seconds}s each without a crash"
