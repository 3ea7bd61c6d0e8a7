#!/usr/bin/env bash
# One setup for both README commands, on Debian. Detects what is missing and installs it with
# apt-get (as root), or fails at once with the exact command to run.
#
#   scripts/setup.sh build    what building and running Qaita need: a C toolchain, cmake and
#                             libclang (HiGHS, the MILP solver, is built from source), Node.js
#                             and npm (the web UI); Rust 1.89+ must already be there (rustup)
#   scripts/setup.sh test     build + what the tests need: GDAL's ogrinfo (GeoPackage checks),
#                             pdftoppm (report PDFs), PostgreSQL with PostGIS (started, with a
#                             database `test`), Chromium (browser tests)
#   scripts/setup.sh --plan build|test
#                             only print what would be installed ("setup: missing: ..." or
#                             "setup: nothing missing") and exit 0
#
# Safe to run again: it installs only what is missing. QAITA_SETUP_ROOT (default empty, the
# machine's root) is where files are looked for; scripts/test-setup.sh points it and PATH at an
# empty machine to prove that every piece is detected.
set -euo pipefail

plan=0
if [ "${1:-}" = "--plan" ]; then
  plan=1
  shift
fi
profile=${1:-test}
case "$profile" in
  build | test) ;;
  *)
    echo "setup: unknown profile '$profile' (build or test)" >&2
    exit 2
    ;;
esac
root=${QAITA_SETUP_ROOT:-}

have() { command -v "$1" >/dev/null 2>&1; }
exists_glob() { compgen -G "$root$1" >/dev/null 2>&1; }
pg_version() { ls "$root/etc/postgresql" 2>/dev/null | sort -V | tail -n 1 || true; }

need=()
# Rust comes from rustup, not apt: Debian's rustc is older than the workspace's 1.89.
rust_missing=
if ! have cargo; then
  rust_missing="cargo is not installed"
else
  rustc_version=$(rustc --version 2>/dev/null | awk '{print $2}')
  if [ -n "$rustc_version" ] && [ "$(printf '%s\n1.89.0\n' "$rustc_version" | sort -V | head -n 1)" != "1.89.0" ]; then
    rust_missing="rustc $rustc_version is older than 1.89"
  fi
fi
have cc || need+=(build-essential)
have pkg-config || need+=(pkg-config)
# HiGHS (qaita-plan's MILP solver) builds from source: cmake, and libclang for bindgen.
have cmake || need+=(cmake)
exists_glob "/usr/lib/llvm-*/lib/libclang.so" || exists_glob "/usr/lib/*/libclang*.so" || need+=(libclang-dev)
have node || need+=(nodejs)
have npm || need+=(npm)
if [ "$profile" = test ]; then
  have ogrinfo || need+=(gdal-bin)
  have pdftoppm || need+=(poppler-utils)
  if ! have pg_lsclusters; then
    need+=(postgresql)
  fi
  v=$(pg_version)
  if [ -n "$v" ]; then
    [ -f "$root/usr/share/postgresql/$v/extension/postgis.control" ] || need+=("postgresql-$v-postgis-3")
  else
    # The PostGIS package is named after the server version, known once PostgreSQL is in.
    need+=(postgis)
  fi
  [ -x "$root/usr/bin/chromium" ] || need+=(chromium)
fi

if [ "$plan" = 1 ]; then
  [ -n "$rust_missing" ] && echo "setup: missing: rust ($rust_missing; install with rustup)"
  if [ ${#need[@]} -gt 0 ]; then
    echo "setup: missing: ${need[*]}"
  else
    echo "setup: nothing missing"
  fi
  exit 0
fi

if [ -n "$rust_missing" ]; then
  echo "setup: $rust_missing. Install Rust 1.89 or newer with rustup (the Rust project's installer;" >&2
  echo "  then: rustup default stable && . \"\$HOME/.cargo/env\"), and run this again." >&2
  exit 1
fi

# apt names: the PostGIS placeholder becomes the versioned package once PostgreSQL is known.
apt_packages() {
  local out=()
  for p in "${need[@]}"; do
    [ "$p" = postgis ] || out+=("$p")
  done
  echo "${out[@]}"
}

if [ ${#need[@]} -gt 0 ]; then
  packages=$(apt_packages)
  if [ "$(id -u)" != 0 ]; then
    echo "setup: missing ${need[*]}; run as root, or install them first:" >&2
    postgis_hint=
    for p in "${need[@]}"; do [ "$p" = postgis ] && postgis_hint=" postgresql-15-postgis-3"; done
    echo "  sudo apt-get update && sudo apt-get install -y $packages$postgis_hint" >&2
    exit 1
  fi
  echo "setup: installing ${need[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  if [ -n "$packages" ]; then
    # shellcheck disable=SC2086 # a list of package names
    apt-get install -y -qq $packages >/dev/null
  fi
  if [ "$profile" = test ]; then
    v=$(pg_version)
    if [ ! -f "/usr/share/postgresql/$v/extension/postgis.control" ]; then
      apt-get install -y -qq "postgresql-$v-postgis-3" >/dev/null
    fi
  fi
fi

[ "$profile" = test ] || exit 0

v=$(pg_version)
if ! pg_lsclusters -h 2>/dev/null | awk '{print $4}' | grep -q online; then
  echo "setup: starting PostgreSQL $v"
  pg_ctlcluster --skip-systemctl-redirect "$v" main start
fi
for _ in $(seq 1 30); do
  pg_isready -h 127.0.0.1 -p 5432 -q && break
  sleep 1
done
pg_isready -h 127.0.0.1 -p 5432 -q || { echo "setup: PostgreSQL is not accepting connections on 127.0.0.1:5432" >&2; exit 1; }
if ! psql -h 127.0.0.1 -U postgres -d test -Atqc 'select 1' >/dev/null 2>&1; then
  psql -h 127.0.0.1 -U postgres -d postgres -qc 'CREATE DATABASE test' >/dev/null
fi
