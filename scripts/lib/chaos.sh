# Helpers for the scenario files of scripts/chaos (source it). scripts/chaos exports
# SMOKEFLOW (the binary), CHAOS_INFLUX_URL, CHAOS_PG_URL, CHAOS_DIR (this scenario's folder),
# CHAOS_NUMBER, CHAOS_SHORT (1 for the reduced form) and CHAOS_LIB.
set -euo pipefail

# Processes this scenario started (by pid), ended on exit however it ends.
CHAOS_PIDS=()
chaos_cleanup() {
  local pid
  for pid in "${CHAOS_PIDS[@]}"; do kill -9 "$pid" 2>/dev/null || true; done
  for pid in "${CHAOS_PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
}
trap chaos_cleanup EXIT
trap "exit 143" TERM INT

# A fresh InfluxDB database.
chaos_db() {
  curl -fsS -o /dev/null -XPOST "$CHAOS_INFLUX_URL/query" --data-urlencode "q=CREATE DATABASE \"$1\""
}

# chaos_count LABEL DB PRODUCED... [-- chaos-count.py options]
chaos_count() {
  local label=$1 db=$2
  shift 2
  local produced=()
  while [ $# -gt 0 ] && [ "$1" != "--" ]; do produced+=("$1"); shift; done
  [ "${1:-}" = "--" ] && shift
  python3 "$CHAOS_LIB/chaos-count.py" --label "$CHAOS_NUMBER ($label)" --influx "$CHAOS_INFLUX_URL" --database "$db" \
    --produced "${produced[@]}" "$@"
}

# Starts smokeflow in the background: chaos_start LOG ARGS...; sets CHAOS_LAST_PID.
chaos_start() {
  local log=$1
  shift
  "$SMOKEFLOW" "$@" >> "$log" 2>&1 &
  CHAOS_LAST_PID=$!
  CHAOS_PIDS+=("$CHAOS_LAST_PID")
}

# Waits for pid $1 at most $2 seconds; its exit status, or 124 (after a kill -9) if it was
# still running: the caller reports the hang.
chaos_wait() {
  local pid=$1 limit=$2 waited=0 rc
  while kill -0 "$pid" 2>/dev/null; do
    if [ "$waited" -ge $((limit * 10)) ]; then
      kill -9 "$pid" 2>/dev/null || true
      wait "$pid" 2>/dev/null || true
      return 124
    fi
    sleep 0.1
    waited=$((waited + 1))
  done
  set +e
  wait "$pid" 2>/dev/null
  rc=$?
  set -e
  return $rc
}

# Runs smokeflow in the foreground, bounded: chaos_run LIMIT LOG ARGS...; fails the scenario
# on a hang or a non-zero exit.
chaos_run() {
  local limit=$1 log=$2 rc=0
  shift 2
  chaos_start "$log" "$@"
  chaos_wait "$CHAOS_LAST_PID" "$limit" || rc=$?
  if [ $rc -eq 124 ]; then
    echo "scenario $CHAOS_NUMBER: HUNG: smokeflow $* still running after ${limit}s (log $log)" >&2
    tail -5 "$log" >&2
    return 124
  fi
  if [ $rc -ne 0 ]; then
    echo "scenario $CHAOS_NUMBER: smokeflow $* exited $rc (log $log):" >&2
    tail -5 "$log" >&2
    return $rc
  fi
}

# A random duration in seconds (3 decimals) in [$1, $2).
chaos_random() { python3 -c "import random,sys; print(f'{random.uniform(float(sys.argv[1]), float(sys.argv[2])):.3f}')" "$1" "$2"; }

# Seconds since the epoch with milliseconds.
chaos_now() { date +%s.%N | cut -c1-14; }
