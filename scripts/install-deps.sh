#!/usr/bin/env bash
# Installs what building, testing and the demo need, from Debian's archive.
# Safe to run again: it installs only what is missing. Works as root or with sudo.
#   scripts/install-deps.sh          build + test + demo
#   scripts/install-deps.sh --ci     also clang-16 (fuzzing), the lint tools, lintian and
#                                    systemd-analyze for the package check, chromium for the
#                                    browser test of the marketplace page, promtool (package
#                                    prometheus) for the metrics checks, and the PostgreSQL server
#                                    for the suite's PostgreSQL run (scripts/with-postgres.sh)
set -euo pipefail

packages=(
  build-essential cmake pkg-config ccache git curl jq
  libcurl4-openssl-dev libssl-dev nlohmann-json3-dev libyaml-cpp-dev libcli11-dev
  libspdlog-dev libfmt-dev libsqlite3-dev sqlite3 libpq-dev libboost1.81-dev
  libgtest-dev libgmock-dev libbenchmark-dev json-schema-test-suite
  libsystemd-dev prometheus-cpp-dev help2man file
)
if [[ "${1:-}" == "--ci" || "${1:-}" == "--all" ]]; then
  packages+=(clang-16 libclang-rt-16-dev clang-format clang-tidy wrk hyperfine valgrind
             lintian systemd chromium prometheus postgresql)
fi
command -v node >/dev/null 2>&1 || packages+=(nodejs)
command -v npm >/dev/null 2>&1 || packages+=(npm)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [[ ${#missing[@]} -eq 0 ]]; then
  exit 0
fi

sudo=""
if [[ $(id -u) -ne 0 ]]; then
  command -v sudo >/dev/null 2>&1 || { echo "install-deps: need root or sudo to install: ${missing[*]}" >&2; exit 1; }
  sudo="sudo"
fi
echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
