#!/usr/bin/env bash
# Scenario 2: kill -9 at random moments (20, --short 5) during a backfill of a generated
# SmokePing RRD tree, and during a tail of a tree that `rrdtool update` keeps appending to.
# After the kills a last run finishes the work; InfluxDB must then hold exactly what a clean
# run of the same tree wrote, every point and every field.
source "$CHAOS_LIB/chaos.sh"
cd "$CHAOS_DIR"

kills=20 targets=12 days=40 tail_targets=6
[ "$CHAOS_SHORT" = 1 ] && kills=5 targets=6 days=15 tail_targets=3
step=300

pipeline() { # name mode tree database extra-source-options
  cat > "$1.yaml" <<YAML
state_dir: $CHAOS_DIR/state-$1
shutdown_timeout: 10s
sources:
  rrd: { type: rrd, mode: $2, path: "$3", batch_size: 500, concurrency: 2$5 }
sinks:
  influx: { type: influx, inputs: [rrd], url: "$CHAOS_INFLUX_URL", api: v1, database: $4, precision: s, batch_max_lines: 1000, flush_interval: 200ms, retry_initial_backoff: 100ms, retry_max_backoff: 2s }
  side: { type: file, inputs: [rrd], path: "$CHAOS_DIR/$1.lp" }
YAML
  rm -rf "state-$1" "$1.lp"
}

# kill_loop NAME KILLS MAX_DELAY: starts NAME.yaml, kills it -9 at a random moment, again.
kill_loop() {
  local name=$1 count=$2 delay=$3 landed=0 early=0 i
  for i in $(seq 1 "$count"); do
    chaos_start "$name.log" run "$name.yaml" --log-level warning
    sleep "$(chaos_random 0.2 "$delay")"
    if kill -9 "$CHAOS_LAST_PID" 2>/dev/null; then landed=$((landed + 1)); else early=$((early + 1)); fi
    wait "$CHAOS_LAST_PID" 2>/dev/null || true
  done
  echo "   $name: $landed kill -9 while running, $early runs had already finished"
}

# --- backfill ----------------------------------------------------------------------------
end=$(( ($(date +%s) / step - 30 * 288) * step ))   # a month ago, on the step grid
python3 "$CHAOS_LIB/../../Benchmarks/rrd/make-corpus.py" --targets "$targets" --dns-targets 0 --days "$days" \
  --out "$CHAOS_DIR/tree" --end "$end" --jobs 2 > corpus.log 2>&1
chaos_db backfill_clean
chaos_db backfill_chaos
pipeline backfill_clean backfill "$CHAOS_DIR/tree" backfill_clean ""
t0=$(chaos_now)
chaos_run 900 backfill_clean.log run backfill_clean.yaml --log-level warning
clean_seconds=$(python3 -c "print(f'{max(1.0, $(chaos_now) - $t0):.1f}')")
echo "   clean backfill: $(wc -l < backfill_clean.lp) points in ${clean_seconds}s"
pipeline backfill_chaos backfill "$CHAOS_DIR/tree" backfill_chaos ""
# Kills spread so that they fit in about one clean run: each restart resumes from the last
# saved positions, so nearly all of them land mid-run.
kill_loop backfill_chaos "$kills" "$(python3 -c "print(max(0.5, $clean_seconds * 1.5 / $kills))")"
chaos_run 900 backfill_chaos.log run backfill_chaos.yaml --log-level warning
status=0
chaos_count "kill -9 during a backfill" backfill_chaos backfill_clean.lp -- \
  --sent backfill_chaos.lp --clean-database backfill_clean || status=1

# --- tail --------------------------------------------------------------------------------
python3 "$CHAOS_LIB/../../Benchmarks/rrd/make-corpus.py" --targets "$tail_targets" --dns-targets 0 --days 2 \
  --out "$CHAOS_DIR/live" --end "$end" --jobs 2 >> corpus.log 2>&1
chaos_db tail_clean
chaos_db tail_chaos
pipeline tail_chaos tail "$CHAOS_DIR/live" tail_chaos ", poll_interval: 500ms"
# New rows while smokeflow tails: one per file every 0.1 s, from the tree's last update on.
python3 "$CHAOS_LIB/rrd-appender.py" "$CHAOS_DIR/live" --interval 0.1 > appender.log 2>&1 &
appender=$!
CHAOS_PIDS+=("$appender")
kill_loop tail_chaos "$kills" 3
kill -TERM "$appender"
wait "$appender" 2>/dev/null || true
echo "   appender: $(tail -1 appender.log)"
# One more poll reads what the last kill left.
chaos_run 300 tail_chaos.log run tail_chaos.yaml --once --log-level warning
pipeline tail_clean tail "$CHAOS_DIR/live" tail_clean ", poll_interval: 500ms"
chaos_run 300 tail_clean.log run tail_clean.yaml --once --log-level warning
chaos_count "kill -9 during a tail with rrdtool update appending" tail_chaos tail_clean.lp -- \
  --sent tail_chaos.lp --clean-database tail_clean || status=1
exit $status
