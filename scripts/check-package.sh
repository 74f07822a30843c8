#!/usr/bin/env bash
# Checks the .deb that `make package` built:
#   1. lintian: errors fail, warnings are listed;
#   2. its dependencies (from dpkg-shlibdeps) are satisfiable here (apt-get -s);
#   3. installed with `dpkg --root` into an empty root, both binaries answer
#      --version with the system's libraries, and the man pages, example
#      config and units are where they belong;
#   4. systemd-analyze verify passes on both units as installed.
#   scripts/check-package.sh [BUILD_DIR]    (default: build)
set -euo pipefail
build=${1:-build}
shopt -s nullglob
debs=("$build"/gigent_*.deb)
[[ ${#debs[@]} -eq 1 ]] || { echo "check-package: expected one $build/gigent_*.deb (run: make package), found ${#debs[@]}" >&2; exit 1; }
deb=${debs[0]}
echo "check-package: $deb"
dpkg-deb --info "$deb" | sed -n '/Package:/,$p'

echo "--- lintian"
# Running as root is fine for a check of a built package.
lintian_out=$(lintian --allow-root --tag-display-limit 0 "$deb" 2>&1 || true)
[[ -n "$lintian_out" ]] && printf '%s\n' "$lintian_out"
errors=$(grep -c '^E: ' <<<"$lintian_out" || true)
warnings=$(grep -c '^W: ' <<<"$lintian_out" || true)
echo "lintian: $errors error(s), $warnings warning(s)"

echo "--- dependencies"
depends=$(dpkg-deb --field "$deb" Depends)
echo "Depends: $depends"
apt-get install --simulate --no-install-recommends "$(realpath "$deb")" >/dev/null 2>&1 \
  || { echo "check-package: the dependencies cannot be installed on this system:" >&2;
       apt-get install --simulate --no-install-recommends "$(realpath "$deb")" >&2 || true; exit 1; }

echo "--- install into an empty root"
root=$(mktemp -d)
trap 'rm -rf "$root"' EXIT
mkdir -p "$root/var/lib/dpkg/info" "$root/var/lib/dpkg/updates"
touch "$root/var/lib/dpkg/status" "$root/var/lib/dpkg/available"
# The root holds no base system, so its libc6 & co. are the host's: the
# dependencies were checked against the host above.
dpkg --root="$root" --force-depends --force-not-root --force-script-chrootless \
  --log=/dev/null -i "$deb" 2>&1 | grep -v "dependency problems\|depends on\|is not installed" || true
dpkg --root="$root" -s gigent | grep -q '^Status: install ok installed' || { echo "check-package: dpkg did not install it" >&2; exit 1; }

failed=0
for binary in gigent-runtime gigent-server; do
  out=$("$root/usr/bin/$binary" --version) || { echo "check-package: $binary --version failed" >&2; failed=1; continue; }
  echo "$out"
  grep -Eq "^$binary [0-9]+\.[0-9]+\.[0-9]+ \(commit [0-9a-f]+|unknown\)" <<<"$out" \
    || { echo "check-package: unexpected $binary --version: $out" >&2; failed=1; }
done
for file in usr/share/doc/gigent/gigent-agent.yaml.example usr/share/doc/gigent/copyright \
  lib/systemd/system/gigent-server.service "lib/systemd/system/gigent-runtime@.service"; do
  [[ -f "$root/$file" || -f "$root/usr/$file" ]] || { echo "check-package: missing /$file" >&2; failed=1; }
done
for binary in gigent-runtime gigent-server; do
  [[ -f "$root/usr/share/man/man1/$binary.1.gz" ]] || echo "check-package: no man page for $binary (help2man missing at build time?)"
done

echo "--- systemd-analyze verify"
unitdir=$root/lib/systemd/system
[[ -d $unitdir ]] || unitdir=$root/usr/lib/systemd/system
if command -v systemd-analyze >/dev/null 2>&1; then
  # Verified inside the root, where ExecStart's /usr/bin binaries exist; the
  # root borrows the host's own units (sysinit.target, ...) and ln for
  # ExecStartPre. Man pages are checked above as files.
  mkdir -p "$root/etc/systemd/system" "$root/bin"
  find /lib/systemd/system -maxdepth 1 ! -name 'gigent*' ! -path /lib/systemd/system \
    -exec cp -a -t "$root/etc/systemd/system/" {} +
  [[ -e $root/bin/ln ]] || cp /bin/ln "$root/bin/ln"
  systemd-analyze verify --man=no --root="$root" "$unitdir/gigent-server.service" "$unitdir/gigent-runtime@.service" \
    || { echo "check-package: systemd-analyze verify failed" >&2; failed=1; }
  echo "systemd-analyze verify: done"
else
  echo "check-package: systemd-analyze not found" >&2; failed=1
fi

[[ $errors -eq 0 ]] || { echo "check-package: lintian reported errors" >&2; failed=1; }
[[ $failed -eq 0 ]] && echo "check-package: OK"
exit $failed
