# shellcheck shell=bash
# shellcheck disable=SC2034 # the variables below are used by the scripts that source this file
# Shared helpers for infra/*.sh (sourced, never run). One copy of each helper lives here.
# The sourcing script sets `set -euo pipefail`; nothing here changes shell options.

# --- locations -------------------------------------------------------------------------------
INFRA_SCRIPTS="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO_ROOT="$(cd "$INFRA_SCRIPTS/.." && pwd)"

# Binaries and jars are shared by every checkout of this user (CI clones reuse them); data is not.
CACHE="${LICENSING_CACHE:-$HOME/.cache/licensing}"

# The Kafka version has one source of truth: the pom that downloads it.
KAFKA_POM="$INFRA_SCRIPTS/kafka/pom.xml"
KAFKA_VERSION="$(sed -n 's:.*<kafka.version>\(.*\)</kafka.version>.*:\1:p' "$KAFKA_POM")"
KAFKA_HOME="$CACHE/kafka-$KAFKA_VERSION"
KAFKA_LIBS="$KAFKA_HOME/libs"
# Kafka runs on $JAVA_HOME/bin/java when JAVA_HOME is set, else on the java found on PATH.
JAVA_BIN="${JAVA_HOME:+$JAVA_HOME/bin/}java"
# The MongoDB-compatible server: mongo-java-server, version from its pom.
MONGO_POM="$INFRA_SCRIPTS/mongo/pom.xml"
MONGO_MAIN="$INFRA_SCRIPTS/mongo/MongoServerMain.java"
MONGO_SERVER_VERSION="$(sed -n 's:.*<mongo-java-server.version>\(.*\)</mongo-java-server.version>.*:\1:p' "$MONGO_POM")"
MONGO_HOME="$CACHE/mongo-java-server-$MONGO_SERVER_VERSION"

# Per checkout and per run: INFRA_DIR holds data/, logs/, pids/, conf/ and the env file.
INFRA_DIR="${INFRA_DIR:-$REPO_ROOT/.infra/local}"
KAFKA_PORT="${KAFKA_PORT:-9092}"
KAFKA_CONTROLLER_PORT="${KAFKA_CONTROLLER_PORT:-9093}"
MONGO_PORT="${MONGO_PORT:-27017}"
REDIS_PORT="${REDIS_PORT:-6379}"
# 127.0.0.1, never localhost: Node may resolve localhost to ::1 first.
BIND_HOST="127.0.0.1"

ALL_COMPONENTS=(kafka mongo redis)

# Kafka principals (SASL/SCRAM-SHA-512 users, created when the data folder is formatted): the broker
# itself and the operator are super users; each service has its own user, which the ACLs granted
# by libs/messaging (grantServiceAcls) confine to its own topics and consumer groups.
KAFKA_BROKER_USER=broker
KAFKA_OPERATOR_USER=operator
KAFKA_SERVICE_USERS=(catalog pool contracts points)
# Readers of the event stream that are not services (data pipelines): read-only ACLs, declared
# beside the services' in libs/messaging (topology.ts, KAFKA_READERS). On a test broker they share
# KAFKA_SERVICES_PASSWORD with the services.
KAFKA_READER_USERS=(license-usage)
# `user=password` lines, mode 600, beside the data they were formatted into (wiped with it).
kafka_users_file() { printf '%s/data/kafka-users' "$INFRA_DIR"; }
# The password of a Kafka user of this INFRA_DIR (empty when unknown).
kafka_password() {
  local file
  file="$(kafka_users_file)"
  [[ -f "$file" ]] || return 0
  sed -n "s/^$1=//p" "$file"
}

# --- logging ---------------------------------------------------------------------------------
say() { printf '%s\n' "$*"; }
warn() { printf '%s\n' "$*" >&2; }
die() {
  printf 'error: %s\n' "$*" >&2
  exit 1
}

# Milliseconds since the epoch (GNU date), for "took N.Ns" lines.
now_ms() { date +%s%3N; }
# Seconds with one decimal elapsed since a now_ms value.
elapsed() {
  local ms=$(($(now_ms) - $1))
  printf '%d.%ds' $((ms / 1000)) $(((ms % 1000) / 100))
}

# Fail early with the tool name rather than with a "command not found" deep inside a step.
need() {
  local tool="$1" hint="$2"
  command -v "$tool" >/dev/null 2>&1 || die "'$tool' is not on PATH; $hint"
}

# --- arguments -------------------------------------------------------------------------------
# Sets COMPONENTS from the arguments (default: all), rejecting unknown names, keeping order.
parse_components() {
  COMPONENTS=()
  if (($# == 0)); then
    COMPONENTS=("${ALL_COMPONENTS[@]}")
    return
  fi
  local arg known c
  for arg in "$@"; do
    known=0
    for c in "${ALL_COMPONENTS[@]}"; do [[ "$arg" == "$c" ]] && known=1; done
    ((known)) || die "unknown component '$arg' (expected: ${ALL_COMPONENTS[*]})"
    for c in "${COMPONENTS[@]}"; do [[ "$arg" == "$c" ]] && continue 2; done
    COMPONENTS+=("$arg")
  done
}

# --- INFRA_DIR layout ------------------------------------------------------------------------
# Resolve INFRA_DIR to an absolute path (pid checks match it against command lines).
init_infra_dir() {
  mkdir -p "$INFRA_DIR"
  INFRA_DIR="$(cd "$INFRA_DIR" && pwd)"
  mkdir -p "$INFRA_DIR/data" "$INFRA_DIR/logs" "$INFRA_DIR/pids" "$INFRA_DIR/conf"
}

# Read-only variant for status/stop: never creates directories.
resolve_infra_dir() {
  if [[ -d "$INFRA_DIR" ]]; then INFRA_DIR="$(cd "$INFRA_DIR" && pwd)"; fi
}

pid_file() { printf '%s/pids/%s.pid' "$INFRA_DIR" "$1"; }
# The port a running component was started with (may differ from the current env).
port_file() { printf '%s/pids/%s.port' "$INFRA_DIR" "$1"; }
log_file() { printf '%s/logs/%s.log' "$INFRA_DIR" "$1"; }

# Executable name (/proc/PID/comm) of each component: guards against a recycled pid.
component_comm() {
  case "$1" in
    kafka) echo java ;;
    mongo) echo java ;;
    redis) echo redis-server ;;
  esac
}

component_port() {
  case "$1" in
    kafka) echo "$KAFKA_PORT" ;;
    mongo) echo "$MONGO_PORT" ;;
    redis) echo "$REDIS_PORT" ;;
  esac
}

# Name of the env var that sets a component's port, for error messages.
component_port_var() {
  case "$1" in
    kafka) echo KAFKA_PORT ;;
    mongo) echo MONGO_PORT ;;
    redis) echo REDIS_PORT ;;
  esac
}

# True if PID exists and is not a zombie. Zombies answer kill -0, and an exited server can stay
# one for a while: it is re-parented to PID 1, which may reap late (containers).
pid_alive() {
  kill -0 "$1" 2>/dev/null || return 1
  [[ "$(awk '{print $3}' "/proc/$1/stat" 2>/dev/null)" != "Z" ]]
}

# Prints the pid of the component if its pid file names a live process of the expected kind.
running_pid() {
  local name="$1" pf pid comm
  pf="$(pid_file "$name")"
  [[ -f "$pf" ]] || return 1
  pid="$(tr -dc '0-9' <"$pf")"
  [[ -n "$pid" ]] || return 1
  pid_alive "$pid" || return 1
  comm="$(cat "/proc/$pid/comm" 2>/dev/null || true)"
  [[ "$comm" == "$(component_comm "$name")" ]] || return 1
  echo "$pid"
}

recorded_port() {
  local pf
  pf="$(port_file "$1")"
  if [[ -f "$pf" ]]; then cat "$pf"; else component_port "$1"; fi
}

# --- ports -----------------------------------------------------------------------------------
# True if something accepts TCP connections on 127.0.0.1:PORT (bash /dev/tcp, no extra tools).
port_open() {
  timeout 2 bash -c "exec 3<>/dev/tcp/$BIND_HOST/$1" 2>/dev/null
}

# Fails with the env var to change when a port we are about to bind is already taken.
ensure_port_free() {
  local port="$1" var="$2"
  if port_open "$port"; then
    die "port $port on $BIND_HOST is already in use by another process; stop it or set $var to a free port"
  fi
}

# --- env file --------------------------------------------------------------------------------
# Rewrites $INFRA_DIR/env with the connection strings of the components that are running now.
write_env() {
  local envf="$INFRA_DIR/env" tmp
  [[ -d "$INFRA_DIR/pids" ]] || return 0
  tmp="$(mktemp "$INFRA_DIR/.env.XXXXXX")"
  if running_pid kafka >/dev/null; then
    # The operator's credentials, for tools (kcat, kafka-console-consumer): see docs/runbook.md.
    {
      echo "KAFKA_BROKERS=$BIND_HOST:$(recorded_port kafka)"
      echo "KAFKA_SASL_MECHANISM=SCRAM-SHA-512"
      echo "KAFKA_SASL_USERNAME=$KAFKA_OPERATOR_USER"
      echo "KAFKA_SASL_PASSWORD=$(kafka_password "$KAFKA_OPERATOR_USER")"
    } >>"$tmp"
  fi
  if running_pid mongo >/dev/null; then
    echo "MONGO_URL=mongodb://$BIND_HOST:$(recorded_port mongo)" >>"$tmp"
  fi
  if running_pid redis >/dev/null; then
    echo "REDIS_URL=redis://$BIND_HOST:$(recorded_port redis)" >>"$tmp"
  fi
  if [[ -s "$tmp" ]]; then
    mv "$tmp" "$envf"
  else
    rm -f "$tmp" "$envf"
  fi
}

# --- stopping --------------------------------------------------------------------------------
# SIGTERM, wait up to STOP_TIMEOUT seconds, then SIGKILL. Kafka needs a few seconds to shut down
# its controller cleanly; a SIGKILL only costs log recovery on the next start.
# Returns 1 if the process is still alive even after SIGKILL.
stop_pid() {
  local pid="$1" timeout="${STOP_TIMEOUT:-20}" i
  kill -TERM "$pid" 2>/dev/null || return 0
  for ((i = 0; i < timeout * 10; i++)); do
    pid_alive "$pid" || return 0
    sleep 0.1
  done
  warn "pid $pid did not exit within ${timeout}s; sending SIGKILL"
  kill -KILL "$pid" 2>/dev/null || true
  for ((i = 0; i < 50; i++)); do
    pid_alive "$pid" || return 0
    sleep 0.1
  done
  return 1
}
