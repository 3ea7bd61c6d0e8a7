#!/usr/bin/env bash
# Builds the web UI into web/dist (embedded into the qaita binary by qaita-server). Installs the
# npm packages pinned by web/package-lock.json when missing or when the lock changed.
set -euo pipefail
cd "$(dirname "$0")/../web"
stamp=node_modules/.package-lock.json
if [ ! -f "$stamp" ] || [ package-lock.json -nt "$stamp" ]; then
  npm ci --no-audit --no-fund --loglevel=error
fi
# Skip the build when dist/ is newer than every source (test.sh builds before cargo, so the
# binary embeds this very dist/; rebuilding it again would make cargo recompile the server).
if [ -f dist/index.html ] && [ -z "$(find src index.html vite.config.ts tsconfig.json package.json package-lock.json -newer dist/index.html 2>/dev/null | head -n 1)" ]; then
  exit 0
fi
npm run --silent build
