#!/usr/bin/env bash
# Installs and starts what Qaita's tests need on a fresh Debian machine: GDAL's ogrinfo (to
# check GeoPackage output), cmake and libclang (to build HiGHS), pdftoppm (to render report
# PDFs), PostgreSQL with PostGIS (the store suite runs on it), and starts the cluster. Safe to
# run again: it only installs what is missing.
set -euo pipefail

need=()
command -v ogrinfo >/dev/null 2>&1 || need+=(gdal-bin)
# The MILP scheduler (qaita-plan) builds HiGHS from source: cmake, and libclang for bindgen.
command -v cmake >/dev/null 2>&1 || need+=(cmake)
ls /usr/lib/llvm-*/lib/libclang.so >/dev/null 2>&1 || need+=(libclang-dev)
# pdftoppm checks that report PDFs render.
command -v pdftoppm >/dev/null 2>&1 || need+=(poppler-utils)
if ! command -v pg_lsclusters >/dev/null 2>&1; then
  need+=(postgresql)
fi
pg_version() { ls /etc/postgresql 2>/dev/null | sort -V | tail -n 1; }
if [ -n "$(pg_version)" ]; then
  v=$(pg_version)
  [ -f "/usr/share/postgresql/$v/extension/postgis.control" ] || need+=("postgresql-$v-postgis-3")
fi
if [ ${#need[@]} -gt 0 ]; then
  echo "setup: installing ${need[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq "${need[@]}" >/dev/null
  v=$(pg_version)
  if [ ! -f "/usr/share/postgresql/$v/extension/postgis.control" ]; then
    apt-get install -y -qq "postgresql-$v-postgis-3" >/dev/null
  fi
fi

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
