#!/usr/bin/env bash
# Provision the local servers' binaries into a per-user cache keyed by version.
# Usage: infra/provision.sh [kafka|mongo|redis ...]   (default: all)
# Idempotent: a second run only checks the cache and prints "cached".
# Each provision_* function sets RESULT to what it did; progress/noise goes to stderr.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

parse_components "$@"
mkdir -p "$CACHE"

# Removed on exit so a killed or failed download/build never leaves a half result behind.
TMP_DIRS=()
cleanup() {
  local d
  for d in "${TMP_DIRS[@]}"; do rm -rf "$d"; done
}
trap cleanup EXIT
trap 'exit 130' INT TERM # so the EXIT trap also runs when killed

# One provisioner at a time per cache (CI and `start.sh` may run together): the second one
# waits, then finds everything cached. fd 9 is closed when this script exits.
exec 9>"$CACHE/.provision.lock"
if ! flock -n 9; then
  warn "provision: another run holds $CACHE/.provision.lock; waiting for it"
  flock 9
fi

pom_sum() { sha256sum "$KAFKA_POM" | cut -d' ' -f1; }

# Copies a pom's runtime classpath from Maven Central into a fresh temp folder under HOME_DIR
# (left over ones from killed runs are removed first) and prints that folder; the jars are in
# its libs/. Maven's output goes to a file, shown only on failure: -q still prints colour codes.
# It runs in a subshell, so the caller adds the folder to TMP_DIRS for the exit clean-up.
fetch_jars() {
  local name="$1" home_dir="$2" pom="$3" tmp
  mkdir -p "$home_dir"
  rm -rf "$home_dir"/fetch.tmp.*
  tmp="$(mktemp -d "$home_dir/fetch.tmp.XXXXXX")"
  if ! mvn -q -B -Dstyle.color=never -f "$pom" dependency:copy-dependencies \
    -DoutputDirectory="$tmp/libs" -DincludeScope=runtime >"$tmp/mvn.log" 2>&1; then
    cat "$tmp/mvn.log" >&2
    rm -rf "$tmp"
    die "$name: Maven could not download the jars of $pom (see above)"
  fi
  printf '%s\n' "$tmp"
}

# Kafka: the broker's runtime classpath from Maven Central. The marker holds the pom's hash so an
# edited pom (other jars) re-downloads, and is written last so a half download is redone.
provision_kafka() {
  local marker="$KAFKA_HOME/.complete" tmp
  if [[ -f "$marker" && -d "$KAFKA_LIBS" && "$(cat "$marker")" == "$(pom_sum)" ]]; then
    RESULT=cached
    return
  fi
  need "$JAVA_BIN" "Kafka $KAFKA_VERSION needs Java 17+ (apt-get install openjdk-17-jre-headless)"
  need mvn "the Kafka jars are fetched with Maven (apt-get install maven)"
  tmp="$(fetch_jars kafka "$KAFKA_HOME" "$KAFKA_POM")"
  TMP_DIRS+=("$tmp")
  [[ -f "$tmp/libs/kafka_2.13-$KAFKA_VERSION.jar" ]] || die "kafka: Maven finished but kafka_2.13-$KAFKA_VERSION.jar is missing"
  rm -f "$marker"
  rm -rf "$KAFKA_LIBS"
  mv "$tmp/libs" "$KAFKA_LIBS"
  pom_sum >"$marker"
  RESULT=downloaded
}

# mongo-java-server: its jars from Maven Central plus a tiny main class compiled here. The marker
# holds the hash of the pom and the main class, so editing either one rebuilds.
mongo_sum() { cat "$MONGO_POM" "$MONGO_MAIN" | sha256sum | cut -d' ' -f1; }

provision_mongo() {
  local marker="$MONGO_HOME/.complete" tmp
  if [[ -f "$marker" && "$(cat "$marker")" == "$(mongo_sum)" ]]; then
    RESULT=cached
    return
  fi
  need "$JAVA_BIN" "mongo-java-server needs Java 17+ (apt-get install openjdk-17-jdk-headless)"
  need javac "the server's main class is compiled here (apt-get install openjdk-17-jdk-headless)"
  need mvn "the mongo-java-server jars are fetched with Maven (apt-get install maven)"
  tmp="$(fetch_jars mongo "$MONGO_HOME" "$MONGO_POM")"
  TMP_DIRS+=("$tmp")
  javac -nowarn -cp "$tmp/libs/*" -d "$tmp/classes" "$MONGO_MAIN" || die "mongo: compiling $MONGO_MAIN failed"
  rm -f "$marker"
  rm -rf "$MONGO_HOME/libs" "$MONGO_HOME/classes"
  mv "$tmp/libs" "$MONGO_HOME/libs"
  mv "$tmp/classes" "$MONGO_HOME/classes"
  mongo_sum >"$marker"
  RESULT=downloaded
}

# Redis: Debian's redis-server; installed only when we are root with apt, otherwise explained.
provision_redis() {
  if command -v redis-server >/dev/null 2>&1; then
    RESULT=present
    return
  fi
  if [[ "$(id -u)" == 0 ]] && command -v apt-get >/dev/null 2>&1; then
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >&2
    apt-get install -y -qq redis-server >&2
    command -v redis-server >/dev/null 2>&1 || die "redis: apt-get finished but redis-server is not on PATH"
    RESULT=installed
    return
  fi
  die "redis: redis-server is not on PATH; install it (Debian/Ubuntu: sudo apt-get install -y redis-server)"
}

for c in "${COMPONENTS[@]}"; do
  t0="$(now_ms)"
  RESULT=""
  "provision_$c"
  say "$c: $RESULT ($(elapsed "$t0"))"
done
