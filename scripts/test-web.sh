#!/usr/bin/env bash
# The web UI's checks: type check and production build, then the end-to-end tests in headless
# Debian Chromium (playwright-core drives it; no browser is downloaded). Installs Chromium
# (Debian package) and the npm packages pinned by web/package-lock.json when missing.
set -euo pipefail
cd "$(dirname "$0")/../web"
if [ ! -x /usr/bin/chromium ]; then
  echo "test-web: installing chromium"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq chromium >/dev/null
fi
# Reinstall only when the lock changed since the last install.
stamp=node_modules/.package-lock.json
if [ ! -f "$stamp" ] || [ package-lock.json -nt "$stamp" ]; then
  npm ci --no-audit --no-fund --loglevel=error
fi
npm run --silent build
npm test
