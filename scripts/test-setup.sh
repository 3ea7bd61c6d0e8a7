#!/usr/bin/env bash
# Proves that the README's two commands start from a fresh machine: scripts/setup.sh is run
# against simulated machines (PATH holding only a shell and coreutils, QAITA_SETUP_ROOT an
# empty or partly filled file tree) and must name every missing piece; as a non-root user it
# must fail within seconds with the exact apt-get command; without Rust it must say how to get
# it; run.sh must call the build setup before compiling anything. No container is available on
# these machines, so this is the check the issue asks for in place of one.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
setup="$root/scripts/setup.sh"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
failures=0
passes=0

pass() { passes=$((passes + 1)); }
fail() { # message
  echo "test-setup: FAIL $1" >&2
  failures=$((failures + 1))
}
check() { # name, expected text, actual text
  if grep -qF -- "$2" <<<"$3"; then
    pass
  else
    fail "$1: expected '$2' in:"
    echo "$3" | sed 's/^/    /' >&2
  fi
}
refute() { # name, extended regex that must not match, actual text
  if grep -qE -- "$2" <<<"$3"; then fail "$1: $3"; else pass; fi
}

# A bare machine: a shell and the few tools setup.sh itself uses, nothing else.
bare="$work/bare-bin"
mkdir -p "$bare" "$work/empty-root"
for tool in bash ls sort tail head awk id grep sed cat; do
  ln -s "$(command -v "$tool")" "$bare/$tool"
done
run_bare() { env -i PATH="$bare" HOME="$work" QAITA_SETUP_ROOT="$2" bash "$setup" --plan "$1"; }

out=$(run_bare test "$work/empty-root")
for piece in "rust (cargo is not installed" build-essential pkg-config cmake libclang-dev nodejs npm \
  gdal-bin poppler-utils postgresql postgis chromium; do
  check "fresh machine, test profile names $piece" "$piece" "$out"
done
out=$(run_bare build "$work/empty-root")
check "fresh machine, build profile names cmake" "cmake" "$out"
check "fresh machine, build profile names libclang-dev" "libclang-dev" "$out"
refute "the build profile asks for test-only packages" "chromium|postgresql|gdal-bin" "$out"

# PostgreSQL present without PostGIS: the versioned PostGIS package is named.
partial="$work/partial-root"
mkdir -p "$partial/etc/postgresql/15" "$partial/usr/lib/llvm-14/lib" "$partial/usr/bin"
touch "$partial/usr/lib/llvm-14/lib/libclang.so"
printf '#!/bin/sh\n' >"$partial/usr/bin/chromium"
chmod +x "$partial/usr/bin/chromium"
out=$(run_bare test "$partial")
check "PostgreSQL 15 without PostGIS" "postgresql-15-postgis-3" "$out"
refute "pieces that are present were asked for" "libclang-dev|chromium" "$out"

# Without Rust the real (non-plan) run stops at once and says how to get it.
start=$(date +%s)
set +e
out=$(env -i PATH="$bare" HOME="$work" QAITA_SETUP_ROOT="$work/empty-root" bash "$setup" build 2>&1)
rc=$?
set -e
check "no Rust: says rustup" "rustup" "$out"
[ "$rc" = 1 ] && pass || fail "no Rust: exit $rc, expected 1"

# A non-root user on a machine lacking packages gets the exact command, within seconds.
if [ "$(id -u)" = 0 ] && command -v setpriv >/dev/null 2>&1; then
  # Stand-ins for a rustup toolchain in the user's home (only their presence is checked).
  mkdir -p "$work/rust-bin"
  printf '#!/bin/sh\necho "cargo 1.95.0"\n' >"$work/rust-bin/cargo"
  printf '#!/bin/sh\necho "rustc 1.95.0 (stand-in)"\n' >"$work/rust-bin/rustc"
  chmod 755 "$work/rust-bin/cargo" "$work/rust-bin/rustc"
  chmod 755 "$work" "$work/rust-bin" "$bare"
  set +e
  out=$(setpriv --reuid=65534 --regid=65534 --clear-groups env -i PATH="$bare:$work/rust-bin" HOME="$work" \
    QAITA_SETUP_ROOT="$work/empty-root" bash "$setup" test 2>&1)
  rc=$?
  set -e
  check "non-root: exact apt-get command" "sudo apt-get update && sudo apt-get install -y build-essential" "$out"
  check "non-root: names cmake in the command" "cmake libclang-dev" "$out"
  [ "$rc" = 1 ] && pass || fail "non-root: exit $rc, expected 1: $out"
fi
elapsed=$(($(date +%s) - start))
[ "$elapsed" -le 10 ] && pass || fail "the failing runs took ${elapsed}s (limit 10 s)"

# This machine, after setup: nothing missing for either profile.
for profile in build test; do
  out=$(bash "$setup" --plan "$profile")
  check "this machine after setup ($profile)" "setup: nothing missing" "$out"
done

# run.sh installs the build tools before it compiles anything.
run_script=$(cat "$root/scripts/run.sh")
setup_line=$(grep -n 'scripts/setup.sh build' <<<"$run_script" | head -n 1 | cut -d: -f1)
cargo_line=$(grep -n 'cargo build' <<<"$run_script" | head -n 1 | cut -d: -f1)
if [ -n "$setup_line" ] && [ -n "$cargo_line" ] && [ "$setup_line" -lt "$cargo_line" ]; then
  pass
else
  fail "run.sh must run 'scripts/setup.sh build' before 'cargo build'"
fi

echo "test-setup: $passes passed, $failures failed"
[ "$failures" = 0 ]
