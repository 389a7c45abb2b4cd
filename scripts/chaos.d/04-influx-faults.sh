#!/usr/bin/env bash
# Scenario 4: a slow and misbehaving InfluxDB. scripts/lib/influx-fault-proxy.py sits between
# the influx sink and the real influxd and answers a storm of write requests with one fault
# (5 s latency, 413/429/503 with Retry-After, 301/307 redirects, connection resets mid-body,
# a 400 partial write with a 1 MB body), then goes clean. Every point of the fixture must end
# up in influxd once per series+time; for the 400, the refused batch is reported rejected,
# nothing hangs, and the batches after it arrive.
source "$CHAOS_LIB/chaos.sh"
cd "$CHAOS_DIR"

targets=20 storm=20 slow=6 bad=3
[ "$CHAOS_SHORT" = 1 ] && targets=6 storm=5 slow=2 bad=1
python3 "$CHAOS_LIB/../make-fixtures.py" points.lp --days 1 --targets "$targets" > /dev/null
zstd -q -f points.lp -o points.lp.zst
echo "   fixture: $(wc -l < points.lp) points"

status=0
storm() { # name mode count [retry-after]
  local name=$1 mode=$2 count=$3 retry=${4:-} db port
  db=influx_$name
  chaos_db "$db"
  rm -f "$name.port" "$name.stats"
  python3 "$CHAOS_LIB/influx-fault-proxy.py" "$CHAOS_INFLUX_URL" "$mode" "$count" ${retry:+--retry-after "$retry"} \
    --port-file "$name.port" --stats "$name.stats" > /dev/null 2> "$name.proxy.log" &
  local proxy=$!
  CHAOS_PIDS+=("$proxy")
  for _ in $(seq 1 100); do [ -s "$name.port" ] && break; sleep 0.05; done
  port=$(cat "$name.port")
  cat > "$name.yaml" <<YAML
shutdown_timeout: 10s
sources:
  recorded: { type: fixture, path: "$CHAOS_DIR/points.lp.zst" }
sinks:
  influx: { type: influx, inputs: [recorded], url: "http://127.0.0.1:$port", api: v1, database: $db, batch_max_lines: 500, flush_interval: 200ms, concurrency: 2, request_timeout: 10s, retry_initial_backoff: 100ms, retry_max_backoff: 2s }
YAML
  local t0 rc=0
  t0=$(chaos_now)
  chaos_run 300 "$name.log" run "$name.yaml" --log-level warning || rc=$?
  kill "$proxy" 2>/dev/null || true
  wait "$proxy" 2>/dev/null || true
  [ $rc -eq 0 ] || { status=1; return 0; }
  local refused forwarded produced seconds
  refused=$(python3 -c "import json; print(json.load(open('$name.stats'))['refused_lines'])")
  forwarded=$(python3 -c "import json; print(json.load(open('$name.stats'))['forwarded_lines'])")
  faulted=$(python3 -c "import json; print(json.load(open('$name.stats'))['faulted'])")
  produced=$(wc -l < points.lp)
  seconds=$(python3 -c "print(f'{$(chaos_now) - $t0:.1f}')")
  echo "   $name: $faulted requests faulted, run took ${seconds}s"
  local extra=()
  if [ "$refused" -gt 0 ]; then
    extra=(--rejected "$refused")
    if ! grep -qi "partial write\|rejected\|refused" "$name.log"; then
      echo "  problem: the 400's batch was not reported rejected in $name.log" >&2
      status=1
    fi
  fi
  chaos_count "$3 x $2, then clean" "$db" points.lp -- --duplicated $((forwarded - (produced - refused))) "${extra[@]}" || status=1
}

storm slow latency:5 "$slow"
storm too_large status:413 "$storm"
storm busy status:429 "$storm" 1
storm unavailable status:503 "$storm" 1
storm moved redirect:301 "$storm"
[ "$CHAOS_SHORT" = 1 ] || storm temporary_redirect redirect:307 "$storm"
storm reset reset "$storm"
storm bad_request bad400 "$bad"
exit $status
