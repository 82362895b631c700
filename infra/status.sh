#!/usr/bin/env bash
# Show which local servers of this INFRA_DIR run.
# Usage: infra/status.sh [kafka|mongo|redis ...]   (default: all)
# Exit 0 if every requested server runs, 3 otherwise (like `systemctl status`/LSB).
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

parse_components "$@"
resolve_infra_dir

rc=0
for c in "${COMPONENTS[@]}"; do
  if pid="$(running_pid "$c")"; then
    port="$(recorded_port "$c")"
    if port_open "$port"; then
      say "$c: running (pid $pid, $BIND_HOST:$port)"
    else
      say "$c: running (pid $pid, $BIND_HOST:$port not accepting connections)"
      rc=3
    fi
  else
    say "$c: stopped"
    rc=3
  fi
done
exit "$rc"
