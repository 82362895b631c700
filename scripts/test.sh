#!/usr/bin/env bash
# `npm test`: the whole suite against real Kafka, the Mongo-compatible server and Redis.
# Installs what is missing (npm packages, server jars, redis-server), type-checks and lints, then
# runs jest once; jest's global setup starts the servers for the run and stops them after.
set -euo pipefail
cd "$(dirname "$0")/.."
started=$(date +%s)
bash scripts/install.sh
bash infra/provision.sh
echo "typecheck and lint"
npx tsc -p tsconfig.json --noEmit
npx eslint --max-warnings=0 .
npx prettier --check --log-level=warn .
npx jest --ci "$@"
echo "npm test took $(($(date +%s) - started))s"
