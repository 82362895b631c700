#!/usr/bin/env bash
# npm packages, installed exactly from the lockfile; skipped when the lockfile has not changed
# since the last install (quick on a second run).
set -euo pipefail
cd "$(dirname "$0")/.."
stamp=node_modules/.licensing-install-stamp
sum="$(sha256sum package-lock.json | cut -d' ' -f1)"
if [[ -f "$stamp" && "$(cat "$stamp")" == "$sum" ]]; then
  exit 0
fi
echo "npm: installing packages from package-lock.json"
npm ci --no-audit --no-fund --loglevel=error
echo "$sum" >"$stamp"
