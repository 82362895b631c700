#!/usr/bin/env bash
# `npm start`: the whole platform on this machine. Installs what is missing, starts Kafka, the
# Mongo-compatible server and Redis, starts every service (roles api+worker in one process),
# seeds the demo data, prints the addresses, and stops everything on Ctrl-C.
set -euo pipefail
cd "$(dirname "$0")/.."
root="$(pwd)"
export INFRA_DIR="${INFRA_DIR:-$root/.infra/local}"

bash scripts/install.sh
bash infra/start.sh
# kafka_password: the local broker's users (infra/lib.sh).
# shellcheck source=../infra/lib.sh
source infra/lib.sh
set -a
# shellcheck disable=SC1091 # written by infra/start.sh: the servers, and the Kafka operator's credentials
source "$INFRA_DIR/env"
set +a
# Each service's Kafka principal may write only its own topic: the operator grants the ACLs
# (idempotent), then every service signs in as itself below.
LOG_LEVEL=warn node -r @swc-node/register -e \
  "require('@licensing/messaging').provisionKafkaAcls().catch((e) => { console.error(e); process.exit(1); })"

# A development signing secret, made once per checkout; `npm run token` signs with the same one.
secret_file="$INFRA_DIR/dev-jwt-secret"
[[ -s "$secret_file" ]] || head -c 32 /dev/urandom | base64 | tr -d '\n=' >"$secret_file"
AUTH_JWT_SECRET="${AUTH_JWT_SECRET:-$(cat "$secret_file")}"
export AUTH_JWT_SECRET KAFKAJS_NO_PARTITIONER_WARNING=1
# The platform clock of this deployment can be moved forward: npm run clock -- advance 30d.
export CLOCK_MODE="${CLOCK_MODE:-shared}"

# Ports: CATALOG_PORT, POOL_PORT, CONTRACTS_PORT, POINTS_PORT (3001–3004 unless set).
declare -A ports=([catalog]="${CATALOG_PORT:-3001}" [pool]="${POOL_PORT:-3002}" [contracts]="${CONTRACTS_PORT:-3003}" [points]="${POINTS_PORT:-3004}")
export CATALOG_URL="http://127.0.0.1:${ports[catalog]}" POOL_URL="http://127.0.0.1:${ports[pool]}"
export CONTRACTS_URL="http://127.0.0.1:${ports[contracts]}" POINTS_URL="http://127.0.0.1:${ports[points]}"
pids=()
names=()

stop_all() {
  trap - INT TERM EXIT
  echo
  echo "stopping services"
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  bash infra/stop.sh
  exit 0
}
trap stop_all INT TERM EXIT

mkdir -p "$INFRA_DIR/logs"
for service in catalog pool contracts points; do
  [[ -f "services/$service/src/main.ts" ]] || continue
  log="$INFRA_DIR/logs/$service.log"
  KAFKA_SASL_USERNAME="$service" KAFKA_SASL_PASSWORD="$(kafka_password "$service")" \
    PORT="${ports[$service]}" HOST=127.0.0.1 SERVICE_ROLE=all node -r @swc-node/register "services/$service/src/main.ts" >>"$log" 2>&1 &
  pids+=("$!")
  names+=("$service")
done

for i in "${!names[@]}"; do
  service="${names[$i]}"
  url="http://127.0.0.1:${ports[$service]}"
  for _ in $(seq 1 150); do
    curl -fsS "$url/health/ready" >/dev/null 2>&1 && break
    kill -0 "${pids[$i]}" 2>/dev/null || {
      tail -n 30 "$INFRA_DIR/logs/$service.log" >&2
      echo "error: $service exited during start-up (log: $INFRA_DIR/logs/$service.log)" >&2
      exit 1
    }
    sleep 0.2
  done
  curl -fsS "$url/health/ready" >/dev/null || {
    echo "error: $service not ready (log: $INFRA_DIR/logs/$service.log)" >&2
    exit 1
  }
done

node -r @swc-node/register scripts/seed-demo.ts

echo
echo "The platform is running (Ctrl-C stops it all):"
for service in "${names[@]}"; do
  printf '  %-10s http://127.0.0.1:%s   API docs: http://127.0.0.1:%s/docs   log: %s\n' \
    "$service" "${ports[$service]}" "${ports[$service]}" "$INFRA_DIR/logs/$service.log"
done
echo "  Kafka $KAFKA_BROKERS (SASL/SCRAM-SHA-512; the operator's credentials are in $INFRA_DIR/env, see docs/runbook.md)   Mongo $MONGO_URL   Redis $REDIS_URL"
echo "  A token: npm run token -- --partner demo-partner   (add --role catalog-admin, points-admin, support or clock-admin); npm run clock -- advance 30d moves time"

# Stay up until Ctrl-C, or until a service dies.
wait -n "${pids[@]}"
echo "a service exited; see its log in $INFRA_DIR/logs" >&2
exit 1
