#!/usr/bin/env bash
# Stop servers started by infra/start.sh from this INFRA_DIR.
# Usage: infra/stop.sh [kafka|mongo|redis ...]   (default: all)
# Env: INFRA_DIR; INFRA_WIPE=1 also deletes their data (all of $INFRA_DIR/data when stopping all);
#      STOP_TIMEOUT seconds between SIGTERM and SIGKILL (default 20).
# Quiet when nothing runs. Only pids from our own pid files are signalled.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

parse_components "$@"
resolve_infra_dir
[[ -d "$INFRA_DIR" ]] || exit 0

# Data folders of each component, for INFRA_WIPE.
component_data() {
  case "$1" in
    kafka) echo "$INFRA_DIR/data/kafka $(kafka_users_file)" ;;
    mongo) echo "$INFRA_DIR/data/mongo" ;;
    redis) echo "$INFRA_DIR/data/redis" ;;
  esac
}

rc=0
for c in "${COMPONENTS[@]}"; do
  if pid="$(running_pid "$c")"; then
    t0="$(now_ms)"
    port="$(recorded_port "$c")"
    # Each server is a single process (Kafka is one JVM), so signalling the pid stops it all.
    if ! stop_pid "$pid"; then
      warn "error: $c: pid $pid is still alive after SIGKILL"
      rc=1
      continue # keep its pid file: it still runs
    fi
    say "$c: stopped (pid $pid, $(elapsed "$t0"))"
    if port_open "$port"; then
      warn "$c: port $port still accepts connections after stopping pid $pid (another process?)"
    fi
  fi
  rm -f "$(pid_file "$c")" "$(port_file "$c")"
done

if [[ "${INFRA_WIPE:-0}" == 1 ]]; then
  if ((${#COMPONENTS[@]} == ${#ALL_COMPONENTS[@]})); then
    rm -rf "$INFRA_DIR/data"
  else
    for c in "${COMPONENTS[@]}"; do
      read -ra dirs <<<"$(component_data "$c")"
      rm -rf "${dirs[@]}"
    done
  fi
fi

# Keep the env file truthful: only what still runs.
write_env
exit "$rc"
