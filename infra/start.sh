#!/usr/bin/env bash
# Start local Kafka (KRaft), a MongoDB-compatible server (mongo-java-server on H2) and Redis without Docker.
# Usage: infra/start.sh [kafka|mongo|redis ...]   (default: all)
# Env: INFRA_DIR, KAFKA_PORT, KAFKA_CONTROLLER_PORT, MONGO_PORT, REDIS_PORT, KAFKA_HEAP_OPTS,
#      KAFKA_JVM_OPTS, KAFKA_START_TIMEOUT, START_TIMEOUT, JAVA_HOME, LICENSING_CACHE
#      (see infra/README.md).
# Idempotent: a server whose pid file names a live process is left alone. On success it writes
# $INFRA_DIR/env (KAFKA_BROKERS / MONGO_URL / REDIS_URL of what runs) and prints it.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

KAFKA_HEAP_OPTS="${KAFKA_HEAP_OPTS:--Xms256m -Xmx768m}"
# C1-only JIT and a small G1 heap: start-up time matters more than peak throughput in tests.
KAFKA_JVM_OPTS="${KAFKA_JVM_OPTS:--XX:+UseG1GC -XX:MaxGCPauseMillis=20 -XX:TieredStopAtLevel=1 -XX:+ExitOnOutOfMemoryError -Djava.awt.headless=true}"
KAFKA_START_TIMEOUT="${KAFKA_START_TIMEOUT:-60}"
START_TIMEOUT="${START_TIMEOUT:-30}"

parse_components "$@"
init_infra_dir

# Binaries first (quick when cached); provision runs in its own process so its cache lock is
# released before any server starts.
"$INFRA_SCRIPTS/provision.sh" "${COMPONENTS[@]}"

# Two start.sh on the same INFRA_DIR would race on ports and pid files. Servers are started with
# fd 8 closed so they do not keep holding this lock.
exec 8>"$INFRA_DIR/.start.lock"
flock 8

# Returns 0 (and prints a line) if NAME already runs from this INFRA_DIR on the wanted port.
already_running() {
  local name="$1" pid port
  pid="$(running_pid "$name")" || return 1
  port="$(recorded_port "$name")"
  if [[ "$port" != "$(component_port "$name")" ]]; then
    die "$name already runs from $INFRA_DIR on port $port (pid $pid), not $(component_port "$name"); run infra/stop.sh $name first or use another INFRA_DIR"
  fi
  say "$name: already running (pid $pid, $BIND_HOST:$port)"
}

# Starts a server in the background: in a session of its own (Ctrl-C in the terminal, or a signal
# to `npm start`'s process group, reaches the services and not the servers they need while they
# close; `infra/stop.sh` stops the servers after them), stdin closed, output to its log, lock fd
# closed (so a caller reading our stdout, e.g. Node's execFile, is not kept waiting by the server).
launch() {
  local name="$1" log
  shift
  log="$(log_file "$name")"
  # Keep the previous run's log for post-mortems.
  if [[ -f "$log" ]]; then mv -f "$log" "$log.1"; fi
  setsid "$@" >"$log" 2>&1 </dev/null 8>&- &
  LAUNCHED_PID=$!
  # setsid execs the server under its own pid; until it has, /proc names the process "setsid" and
  # running_pid would take the server for dead (on a busy machine, a false "exited during start-up").
  local i
  for ((i = 0; i < 100; i++)); do
    [[ "$(cat "/proc/$LAUNCHED_PID/comm" 2>/dev/null)" == setsid ]] || break
    sleep 0.05
  done
  echo "$LAUNCHED_PID" >"$(pid_file "$name")"
  component_port "$name" >"$(port_file "$name")"
}

# Waits until CHECK (a command) succeeds. If the server dies or the timeout passes, prints the end
# of its log, makes sure it is gone and fails.
wait_ready() {
  local name="$1" pid="$2" timeout="$3" t0 log
  shift 3
  t0="$(date +%s)"
  log="$(log_file "$name")"
  while true; do
    if ! running_pid "$name" >/dev/null; then
      warn "---- last 40 lines of $log ----"
      tail -n 40 "$log" >&2 || true
      rm -f "$(pid_file "$name")" "$(port_file "$name")"
      die "$name exited during start-up (log: $log)"
    fi
    if "$@"; then return 0; fi
    if (($(date +%s) - t0 >= timeout)); then
      warn "---- last 40 lines of $log ----"
      tail -n 40 "$log" >&2 || true
      stop_pid "$pid" || true
      rm -f "$(pid_file "$name")" "$(port_file "$name")"
      die "$name was not ready within ${timeout}s (log: $log)"
    fi
    sleep 0.2
  done
}

kafka_ready() {
  port_open "$KAFKA_PORT" && grep -q 'Kafka Server started' "$(log_file kafka)"
}

# A random password: letters and digits only, so it needs no quoting in JAAS or --add-scram.
new_password() { head -c 18 /dev/urandom | base64 | tr '+/' 'xy'; }

# Writes the users file of a data folder about to be formatted: a random password per user, or
# KAFKA_SERVICES_PASSWORD for the four service users when it is set (test runs: a service started
# by a test signs in as itself, and the harness need not know which service it starts).
write_kafka_users() {
  local file user
  file="$(kafka_users_file)"
  if [[ -n "${KAFKA_SERVICES_PASSWORD:-}" && ! "$KAFKA_SERVICES_PASSWORD" =~ ^[A-Za-z0-9_-]{16,}$ ]]; then
    die "KAFKA_SERVICES_PASSWORD must be at least 16 letters, digits, '_' or '-'"
  fi
  (
    umask 077
    {
      echo "$KAFKA_BROKER_USER=$(new_password)"
      echo "$KAFKA_OPERATOR_USER=$(new_password)"
      for user in "${KAFKA_SERVICE_USERS[@]}" "${KAFKA_READER_USERS[@]}"; do echo "$user=${KAFKA_SERVICES_PASSWORD:-$(new_password)}"; done
    } >"$file.tmp"
  )
  mv "$file.tmp" "$file"
}

# Kafka 4.1 in KRaft combined mode (broker + controller in one JVM), single node. Clients sign in
# with SASL/SCRAM-SHA-512 and are authorised by ACLs (StandardAuthorizer, nothing allowed without
# an ACL); the controller listener takes only the broker itself (SASL/PLAIN).
start_kafka() {
  already_running kafka && return
  need "$JAVA_BIN" "Kafka $KAFKA_VERSION needs Java 17+"
  ensure_port_free "$KAFKA_PORT" KAFKA_PORT
  ensure_port_free "$KAFKA_CONTROLLER_PORT" KAFKA_CONTROLLER_PORT
  local data="$INFRA_DIR/data/kafka" conf="$INFRA_DIR/conf/kafka.properties" heap jvm cluster_id broker_password user password scram=()
  # SCRAM users exist only in a data folder formatted with them: one formatted before Kafka
  # authenticated its clients has none and is formatted again (its topics are lost).
  if [[ -f "$data/meta.properties" && ! -s "$(kafka_users_file)" ]]; then
    warn "kafka: $data was formatted without users (before authentication); formatting it again, its topics are lost"
    rm -rf "$data"
  fi
  mkdir -p "$data"
  [[ -f "$data/meta.properties" ]] || write_kafka_users
  broker_password="$(kafka_password "$KAFKA_BROKER_USER")"
  # Regenerated on every start so the ports follow the env; it holds the broker's password.
  (
    umask 077
    cat >"$conf" <<EOF
# Generated by infra/start.sh; edits are overwritten.
process.roles=broker,controller
node.id=1
# Static voter: no dynamic-quorum bootstrap needed for one node.
controller.quorum.voters=1@$BIND_HOST:$KAFKA_CONTROLLER_PORT
controller.listener.names=CONTROLLER
listeners=CLIENTS://$BIND_HOST:$KAFKA_PORT,CONTROLLER://$BIND_HOST:$KAFKA_CONTROLLER_PORT
advertised.listeners=CLIENTS://$BIND_HOST:$KAFKA_PORT
listener.security.protocol.map=CLIENTS:SASL_PLAINTEXT,CONTROLLER:SASL_PLAINTEXT
# Clients: SCRAM-SHA-512 users from the metadata log (created at format time, below).
inter.broker.listener.name=CLIENTS
sasl.enabled.mechanisms=SCRAM-SHA-512
sasl.mechanism.inter.broker.protocol=SCRAM-SHA-512
listener.name.clients.scram-sha-512.sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required username="$KAFKA_BROKER_USER" password="$broker_password";
# Controller: PLAIN with the broker's own user only (SCRAM users live in the log the controller serves).
sasl.mechanism.controller.protocol=PLAIN
listener.name.controller.sasl.enabled.mechanisms=PLAIN
listener.name.controller.plain.sasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule required username="$KAFKA_BROKER_USER" password="$broker_password" user_$KAFKA_BROKER_USER="$broker_password";
# Authorisation: nothing without an ACL, except for the broker and the operator.
authorizer.class.name=org.apache.kafka.metadata.authorizer.StandardAuthorizer
allow.everyone.if.no.acl.found=false
super.users=User:$KAFKA_BROKER_USER;User:$KAFKA_OPERATOR_USER
log.dirs=$data
# Services create their topics explicitly; a typo must fail, not create a topic.
auto.create.topics.enable=false
num.partitions=6
# One broker: every replication factor and ISR minimum is 1.
default.replication.factor=1
min.insync.replicas=1
offsets.topic.replication.factor=1
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1
# Fewer internal partitions: the first consumer group / transaction is ready much sooner.
offsets.topic.num.partitions=6
transaction.state.log.num.partitions=6
# Tests join groups constantly; do not wait 3s for more members.
group.initial.rebalance.delay.ms=0
# The log cleaner looks for compactable logs every second, not every 15 s: a local catalog.events
# (compacted, libs/messaging topology.ts) is compacted soon after its segments roll.
log.cleaner.backoff.ms=1000
EOF
  )
  # Format once per data dir (new cluster id, the SCRAM users); later starts reuse it and skip the extra JVM.
  if [[ ! -f "$data/meta.properties" ]]; then
    cluster_id="$(head -c 16 /dev/urandom | base64 | tr '+/' '-_' | tr -d '=')"
    while IFS='=' read -r user password; do
      scram+=(--add-scram "SCRAM-SHA-512=[name=$user,password=$password]")
    done <"$(kafka_users_file)"
    # --cluster-id=: an id may start with "-", which would read as an option after "-t".
    # No --standalone: that is for dynamic quorums and is rejected with static voters.
    "$JAVA_BIN" -XX:TieredStopAtLevel=1 -Dlog4j2.configurationFile="$INFRA_SCRIPTS/kafka/log4j2.properties" -cp "$KAFKA_LIBS/*" \
      kafka.tools.StorageTool format --cluster-id="$cluster_id" -c "$conf" --ignore-formatted "${scram[@]}" \
      >"$INFRA_DIR/logs/kafka-format.log" 2>&1 ||
      {
        cat "$INFRA_DIR/logs/kafka-format.log" >&2
        die "kafka: formatting $data failed"
      }
  fi
  read -ra heap <<<"$KAFKA_HEAP_OPTS"
  read -ra jvm <<<"$KAFKA_JVM_OPTS"
  launch kafka "$JAVA_BIN" "${heap[@]}" "${jvm[@]}" \
    -Dlog4j2.configurationFile="$INFRA_SCRIPTS/kafka/log4j2.properties" \
    -cp "$KAFKA_LIBS/*" kafka.Kafka "$conf"
  wait_ready kafka "$LAUNCHED_PID" "$KAFKA_START_TIMEOUT" kafka_ready
}

mongo_ready() { port_open "$MONGO_PORT"; }

# mongo-java-server speaking the MongoDB wire protocol, storing into one H2 file under data/.
start_mongo() {
  already_running mongo && return
  need "$JAVA_BIN" "mongo-java-server needs Java 17+"
  ensure_port_free "$MONGO_PORT" MONGO_PORT
  local data="$INFRA_DIR/data/mongo" heap
  mkdir -p "$data"
  read -ra heap <<<"${MONGO_HEAP_OPTS:--Xms128m -Xmx1g}"
  launch mongo "$JAVA_BIN" "${heap[@]}" -XX:+UseG1GC -XX:TieredStopAtLevel=1 \
    -Dorg.slf4j.simpleLogger.defaultLogLevel=warn \
    -cp "$MONGO_HOME/classes:$MONGO_HOME/libs/*" MongoServerMain "$BIND_HOST" "$MONGO_PORT" "$data/licensing.mv.db"
  wait_ready mongo "$LAUNCHED_PID" "$START_TIMEOUT" mongo_ready
}

# PING over bash /dev/tcp: works without redis-cli.
redis_ready() {
  # shellcheck disable=SC2016 # $1/$2 are expanded by the inner bash
  timeout 2 bash -c '
    exec 3<>"/dev/tcp/$1/$2" || exit 1
    printf "PING\r\n" >&3
    IFS= read -r -t 1 reply <&3 || exit 1
    [[ "$reply" == "+PONG"* ]]' _ "$BIND_HOST" "$REDIS_PORT" 2>/dev/null
}

# Redis in the foreground (so the pid is ours), no persistence, never evicts keys.
start_redis() {
  already_running redis && return
  ensure_port_free "$REDIS_PORT" REDIS_PORT
  local data="$INFRA_DIR/data/redis"
  mkdir -p "$data"
  launch redis redis-server --daemonize no --bind "$BIND_HOST" --port "$REDIS_PORT" \
    --save "" --appendonly no --maxmemory-policy noeviction --dir "$data"
  wait_ready redis "$LAUNCHED_PID" "$START_TIMEOUT" redis_ready
}

for c in "${COMPONENTS[@]}"; do
  t0="$(now_ms)"
  LAUNCHED_PID=""
  "start_$c"
  if [[ -n "$LAUNCHED_PID" ]]; then
    say "$c: started (pid $LAUNCHED_PID, $BIND_HOST:$(component_port "$c"), $(elapsed "$t0"))"
  fi
done

write_env
say "# $INFRA_DIR/env"
cat "$INFRA_DIR/env"
