#!/usr/bin/env bash
# The web UI's checks: type check and production build, then the end-to-end tests in headless
# Debian Chromium (playwright-core drives it; no browser is downloaded), first against the mock
# API, then against the real server (`qaita serve` on a fresh demo database). Installs Chromium
# (Debian package) and the npm packages pinned by web/package-lock.json when missing.
# Expects target/debug/qaita (built by `cargo test`); QAITA_BIN picks another binary.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root/web"
if [ ! -x /usr/bin/chromium ]; then
  echo "test-web: installing chromium"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq chromium >/dev/null
fi
bash "$root/scripts/build-web.sh"
echo "test-web: end-to-end tests against the mock API"
npm test

echo "test-web: end-to-end tests against qaita serve"
qaita=${QAITA_BIN:-${CARGO_TARGET_DIR:-$root/target}/debug/qaita}
[ -x "$qaita" ] || (cd "$root" && cargo build --locked --bin qaita)
work=$(mktemp -d)
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT
bash "$root/scripts/demo-db.sh" "$qaita" "$work/demo.db"
start() { # name, serve options...: starts a server, sets $url
  local name=$1
  shift
  "$qaita" --db "$work/demo.db" serve "$@" --bind 127.0.0.1:0 >"$work/$name.out" 2>"$work/$name.err" &
  pids+=("$!")
  url=
  for _ in $(seq 1 100); do
    url=$(grep -o 'http://[0-9.:]*/' "$work/$name.out" | head -n 1 || true)
    [ -n "$url" ] && return 0
    kill -0 "${pids[-1]}" 2>/dev/null || break
    sleep 0.1
  done
  echo "test-web: qaita serve ($name) did not start" >&2
  cat "$work/$name.err" >&2
  exit 1
}
start open --anon-read --demo-users
open_url=$url
start closed
BASE_URL=${open_url%/} CLOSED_BASE_URL=${url%/} npm test
