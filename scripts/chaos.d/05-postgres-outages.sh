#!/usr/bin/env bash
# Scenario 5: PostgreSQL outages under `postgres_join`, `checkpoints: postgres` and the probe
# source's `targets_from: postgres`, with smokeflow reaching PostgreSQL through
# scripts/lib/tcp-fault-proxy.py: a black-holed connection (the proxy stops forwarding and
# keeps the sockets open: no FIN, no RST), every connection reset, the server stopped and
# started, and a SIGTERM in the middle of a black hole. Nothing may hang longer than the
# configured timeouts (statement_timeout 2 s through the proxy: a 4 s query deadline; a 5 s
# connect timeout; shutdown_timeout 10 s, plus one query deadline for a libpq call already
# waiting, which cannot be cancelled) and every point must arrive.
source "$CHAOS_LIB/chaos.sh"
cd "$CHAOS_DIR"

hole=20 down=10 tail_targets=6 probe_seconds=40
[ "$CHAOS_SHORT" = 1 ] && hole=6 down=4 tail_targets=3 probe_seconds=16
shutdown_limit=10
pg_port=$(python3 -c "import urllib.parse,sys; print(urllib.parse.urlsplit(sys.argv[1]).port)" "$CHAOS_PG_URL")
as_postgres() { (cd / && if [ "$(id -u)" -eq 0 ]; then su postgres -s /bin/sh -c "$*"; else sh -c "$*"; fi); }
pg_stop() { as_postgres "$CHAOS_PG_BIN/pg_ctl -D $CHAOS_PG_DIR/data -m fast -w stop" > /dev/null; }
pg_start() {
  as_postgres "$CHAOS_PG_BIN/pg_ctl -D $CHAOS_PG_DIR/data -l $CHAOS_PG_DIR/server.log -w -o '-k $CHAOS_PG_DIR -p $pg_port -c listen_addresses=127.0.0.1 -c fsync=off' start" > /dev/null
}

# A database of our own with the schema and the targets, written directly (not through the proxy).
direct=$(python3 -c "import urllib.parse,sys; u=urllib.parse.urlsplit(sys.argv[1]); print(u._replace(path='/chaos').geturl())" "$CHAOS_PG_URL")
PGOPTIONS="-c client_min_messages=warning" psql "$CHAOS_PG_URL" -qc "DROP DATABASE IF EXISTS chaos" -qc "CREATE DATABASE chaos" > /dev/null
"$SMOKEFLOW" db migrate --database-url "$direct" > migrate.log 2>&1
end=$(( ($(date +%s) / 300 - 30 * 288) * 300 ))
python3 "$CHAOS_LIB/../../Benchmarks/rrd/make-corpus.py" --targets "$tail_targets" --dns-targets 0 --days 2 \
  --out "$CHAOS_DIR/live" --end "$end" --jobs 2 > corpus.log 2>&1
{
  echo "name,host,title,active,category,probe,site,cachegroup"
  for f in $(find live -name '*.rrd' | sort); do n=$(basename "$f" .rrd); echo "$n,127.0.0.1,$n,true,default,FPing,site-$n,cg-1"; done
  for n in p1 p2 p3; do echo "$n,127.0.0.1,$n,true,default,FPing,lab,cg-1"; done
} > targets.csv
"$SMOKEFLOW" targets import targets.csv --database-url "$direct" > import.log 2>&1

rm -f pg.port
python3 "$CHAOS_LIB/tcp-fault-proxy.py" 127.0.0.1 "$pg_port" --port-file pg.port --mode-file pg.mode > /dev/null 2> proxy.log &
proxy=$!
CHAOS_PIDS+=("$proxy")
for _ in $(seq 1 100); do [ -s pg.port ] && break; sleep 0.05; done
proxied=$(python3 -c "import urllib.parse,sys; u=urllib.parse.urlsplit(sys.argv[1]); print(u._replace(netloc=u.netloc.rsplit(':',1)[0]+':'+sys.argv[2]).geturl())" "$direct" "$(cat pg.port)")
proxied="$proxied?options=-c%20statement_timeout%3D2s"
# Each switch returns once the proxy says it is in force.
switch_proxy() { # signal mode
  rm -f pg.mode
  kill -"$1" "$proxy"
  for _ in $(seq 1 200); do [ "$(cat pg.mode 2>/dev/null)" = "$2" ] && return 0; sleep 0.05; done
  echo "  problem: the proxy did not switch to $2" >&2
  return 1
}
blackhole() { switch_proxy USR1 blackhole; }
forward() { switch_proxy USR2 forward; }
reset_all() { switch_proxy HUP forward; }
status=0

# --- 5a: rrd tail, positions in PostgreSQL, postgres_join ---------------------------------
tail_pipeline() { # name agent url
  cat > "$1.yaml" <<YAML
database_url: "$3"
checkpoints: postgres
agent: $2
shutdown_timeout: ${shutdown_limit}s
sources:
  rrd: { type: rrd, mode: tail, path: "$CHAOS_DIR/live", batch_size: 200, poll_interval: 500ms }
transforms:
  join: { type: postgres_join, inputs: [rrd], refresh_interval: 5s, stale_field: metadata_stale }
sinks:
  influx: { type: influx, inputs: [join], url: "$CHAOS_INFLUX_URL", api: v1, database: $1, precision: s, batch_max_lines: 1000, flush_interval: 200ms, retry_initial_backoff: 100ms, retry_max_backoff: 2s }
  side: { type: file, inputs: [join], path: "$CHAOS_DIR/$1.lp" }
YAML
  rm -f "$1.lp"
}
chaos_db pg_tail_chaos
chaos_db pg_tail_clean
tail_pipeline pg_tail_chaos chaos "$proxied"
python3 "$CHAOS_LIB/rrd-appender.py" "$CHAOS_DIR/live" --interval 0.2 > appender.log 2>&1 &
appender=$!
CHAOS_PIDS+=("$appender")
chaos_start pg_tail_chaos.log run pg_tail_chaos.yaml --log-level warning
tail_pid=$CHAOS_LAST_PID
sleep 3
echo "   black hole for ${hole}s"; blackhole; sleep "$hole"; forward; sleep 3
echo "   every connection reset"; reset_all; sleep 3
echo "   server stopped for ${down}s"; pg_stop; sleep "$down"; pg_start; sleep 3
echo "   SIGTERM during a black hole"; blackhole; sleep 2
t0=$(chaos_now)
kill -TERM "$tail_pid"
rc=0
chaos_wait "$tail_pid" $((shutdown_limit + 10)) || rc=$?
stop_seconds=$(python3 -c "print(f'{$(chaos_now) - $t0:.1f}')")
forward
if [ $rc -eq 124 ]; then
  echo "  problem: smokeflow still running ${stop_seconds}s after SIGTERM during a black hole (shutdown_timeout ${shutdown_limit}s)" >&2
  status=1
else
  # A libpq call cannot be cancelled: the stop may wait for one last query deadline (4 s).
  echo "   stopped ${stop_seconds}s after SIGTERM (exit $rc; shutdown_timeout ${shutdown_limit}s + query deadline 4 s)"
  python3 -c "import sys; sys.exit(0 if $stop_seconds <= $shutdown_limit + 4 + 3 else 1)" ||
    { echo "  problem: the stop took longer than shutdown_timeout + the query deadline" >&2; status=1; }
fi
kill -TERM "$appender"; wait "$appender" 2>/dev/null || true
# The rest, with the database back: one more poll.
chaos_run 120 pg_tail_chaos.log run pg_tail_chaos.yaml --once --log-level warning || status=1
echo "   $(grep -c 'metadata_stale=true' pg_tail_chaos.lp || true) points were enriched from a stale snapshot"
tail_pipeline pg_tail_clean clean "$direct"
chaos_run 120 pg_tail_clean.log run pg_tail_clean.yaml --once --log-level warning || status=1
chaos_count "postgres_join + checkpoints: postgres through black hole, resets, restart" pg_tail_chaos pg_tail_clean.lp -- \
  --sent pg_tail_chaos.lp --clean-database pg_tail_clean --ignore-field metadata_stale || status=1

# --- 5b: probe source, targets_from: postgres ----------------------------------------------
if [ "$(id -u)" -ne 0 ] && ! python3 -c "import socket; socket.socket(socket.AF_INET, socket.SOCK_DGRAM, socket.IPPROTO_ICMP)" 2>/dev/null; then
  echo "scenario 5 (probe targets_from: postgres): skipped (needs root or net.ipv4.ping_group_range)"
  exit $status
fi
chaos_db pg_probe
cat > probe.yaml <<YAML
shutdown_timeout: ${shutdown_limit}s
sources:
  ping: { type: probe, step: 2s, pings: 3, interval: 20ms, timeout: 500ms, targets_from: postgres, database_url: "$proxied" }
sinks:
  influx: { type: influx, inputs: [ping], url: "$CHAOS_INFLUX_URL", api: v1, database: pg_probe, batch_max_lines: 1000, flush_interval: 200ms, retry_initial_backoff: 100ms, retry_max_backoff: 2s }
  side: { type: file, inputs: [ping], path: "$CHAOS_DIR/probe.lp" }
YAML
rm -f probe.lp
chaos_start probe.log run probe.yaml --log-level warning
probe_pid=$CHAOS_LAST_PID
third=$((probe_seconds / 3))
sleep "$third"; blackhole; echo "   probe: black hole for ${third}s"; sleep "$third"; forward; sleep "$third"
kill -TERM "$probe_pid"
rc=0
chaos_wait "$probe_pid" $((shutdown_limit + 10)) || rc=$?
[ $rc -eq 124 ] && { echo "  problem: the probe pipeline did not stop within $((shutdown_limit + 10))s of SIGTERM" >&2; status=1; }
# Rounds must go on while the target list cannot be read (the last list is kept): the longest
# gap between two rounds of a target stays within a step plus the connect and query timeouts.
gap=$(python3 - probe.lp <<'PY'
import sys, collections
stamps = collections.defaultdict(list)
for line in open(sys.argv[1]):
    series, _, rest = line.rpartition(" ")
    target = [t for t in series.split(" ")[0].split(",") if t.startswith("target=")][0]
    stamps[target].append(int(rest) / 1e9)
print(f"{max((b - a) for s in stamps.values() for a, b in zip(sorted(s), sorted(s)[1:])):.1f}")
PY
)
echo "   probe: $(wc -l < probe.lp) rounds, longest gap between two rounds of a target ${gap}s (step 2 s)"
python3 -c "import sys; sys.exit(0 if $gap <= 2 + 5 + 4 + 3 else 1)" ||
  { echo "  problem: probing stopped for ${gap}s while the database was black-holed" >&2; status=1; }
chaos_count "probe targets_from: postgres through a black hole" pg_probe probe.lp -- --sent probe.lp || status=1
exit $status
