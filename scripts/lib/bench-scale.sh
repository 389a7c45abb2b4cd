# The `scale` benchmark of scripts/bench: points through real nats-servers on loopback
# (JetStream, file storage, one replica) against the direct path in the same run.
#   bench_scale WORK SMOKEFLOW_BINARY
# Figures: fixture -> file directly vs through JetStream (publish, then 1, 2, 4 writers on one
# durable consumer, and publisher and writer at once), JetStream bytes per point, and the rate
# at which a leaf site's backlog (written while its uplink was down) drains to the centre.

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

# nats_up NAME CONFIG MONITOR_PORT: starts nats-server, waits for /healthz.
nats_up() {
  nats-server -c "$2" > "$work/$1.log" 2>&1 &
  echo $! > "$work/$1.pid"
  for _ in $(seq 1 100); do curl -sf "http://127.0.0.1:$3/healthz" > /dev/null && return 0; sleep 0.1; done
  echo "nats-server $1 did not start: $(tail -5 "$work/$1.log")" >&2; return 1
}
nats_down() { [ -f "$work/$1.pid" ] && kill "$(cat "$work/$1.pid")" 2> /dev/null; wait "$(cat "$work/$1.pid")" 2> /dev/null || true; }

# stream_bytes MONITOR_PORT STREAM: "messages bytes" of a stream.
stream_state() {
  curl -s "http://127.0.0.1:$1/jsz?streams=true" | python3 -c "
import json, sys
doc = json.load(sys.stdin)
for account in doc.get('account_details', []):
    for stream in account.get('stream_detail', []):
        if stream['name'] == '$2': print(stream['state']['messages'], stream['state']['bytes'])"
}

bench_scale() {
  local work=$1 bin=$2 points
  [ -f "$work/big.lp.zst" ] || {
    python3 scripts/make-fixtures.py "$work/big.lp" --days 17.37 --targets 198
    zstd -q -3 "$work/big.lp" -o "$work/big.lp.zst"
    rm "$work/big.lp"
  }
  points=$(zstdcat "$work/big.lp.zst" | wc -l)
  echo "== scale (NATS JetStream on loopback, $points points; $(nproc) cores: writers and nats-server share them)"
  local port monitor
  port=$(free_port); monitor=$(free_port)
  printf 'listen: 127.0.0.1:%s\nhttp: 127.0.0.1:%s\njetstream { store_dir: "%s/js" }\n' "$port" "$monitor" "$work" > "$work/central.conf"
  nats_up central "$work/central.conf" "$monitor"
  local url="nats://127.0.0.1:$port"
  # fixture -> file, directly and through the stream.
  printf 'sources:\n  recorded: { type: fixture, path: "%s" }\nsinks:\n  out: { type: file, inputs: [recorded], path: "%s/direct.lp", append: false }\n' \
    "$work/big.lp.zst" "$work" > "$work/direct.yaml"
  for stream in POINTS E2E; do
    printf 'agent: bench\nsources:\n  recorded: { type: fixture, path: "%s" }\nsinks:\n  uplink: { type: nats, inputs: [recorded], url: "%s", subject: smokeflow.%s.site, stream: { name: %s, subjects: [smokeflow.%s.>] } }\n' \
      "$work/big.lp.zst" "$url" "$stream" "$stream" "$stream" > "$work/publish-$stream.yaml"
  done
  writer() { # writer STREAM DURABLE OUT FETCH_TIMEOUT
    printf 'sources:\n  points: { type: nats, url: "%s", stream: %s, subject: "smokeflow.%s.>", durable: %s, fetch_timeout: %s%s }\nsinks:\n  out: { type: file, inputs: [points], path: "%s", append: false }\n' \
      "$url" "$1" "$1" "$2" "$4" "${SCALE_WRITER_OPTIONS:-}" "$3" > "$work/writer-$2-$(basename "$3").yaml"
    echo "$bin run $work/writer-$2-$(basename "$3").yaml --once --log-level error"
  }
  python3 Benchmarks/python/timeit.py 1 \
    "direct_to_file=$bin run $work/direct.yaml --log-level error" \
    "publish_to_jetstream=$bin run $work/publish-POINTS.yaml --log-level error"
  read -r messages bytes < <(stream_state "$monitor" POINTS)
  python3 -c "print(f'jetstream_stored {$messages} messages, {$bytes:,} bytes: {$bytes / $points:.1f} bytes per point (zstd per message; the line protocol is {$(zstdcat "$work/big.lp.zst" | wc -c) / $points:.0f} bytes per point)')"
  for writers in 1 2 4; do
    local commands=()
    for index in $(seq 1 "$writers"); do commands+=("$(writer POINTS "w$writers" "$work/w$writers-$index.lp" 1s)"); done
    python3 Benchmarks/python/parallel.py "drain_${writers}_writers" "${commands[@]}"
    local written; written=$(cat "$work"/w"$writers"-*.lp | wc -l)
    [ "$written" -eq "$points" ] || echo "drain_${writers}_writers WROTE $written of $points points"
  done
  # Publisher and writer at once: the end-to-end rate agent -> JetStream -> writer -> file.
  python3 Benchmarks/python/parallel.py end_to_end_one_writer \
    "$bin run $work/publish-E2E.yaml --log-level error" "$(writer E2E e2e "$work/e2e.lp" 5s)"
  [ "$(wc -l < "$work/e2e.lp")" -eq "$points" ] || echo "end_to_end WROTE $(wc -l < "$work/e2e.lp") of $points points"
  nats_down central

  # A site's backlog: written to its leaf node's stream while the centre is unreachable, then
  # sourced by the centre's aggregate and drained by a writer once it is back.
  local hub hub_monitor leaf_port leaf_monitor leafnodes
  hub=$(free_port); hub_monitor=$(free_port); leafnodes=$(free_port); leaf_port=$(free_port); leaf_monitor=$(free_port)
  printf 'listen: 127.0.0.1:%s\nhttp: 127.0.0.1:%s\njetstream { store_dir: "%s/hub", domain: hub }\nleafnodes { listen: 127.0.0.1:%s }\n' \
    "$hub" "$hub_monitor" "$work" "$leafnodes" > "$work/hub.conf"
  printf 'server_name: site-a\nlisten: 127.0.0.1:%s\nhttp: 127.0.0.1:%s\njetstream { store_dir: "%s/leaf", domain: site-a }\nleafnodes { remotes: [ { url: "nats-leaf://127.0.0.1:%s" } ] }\n' \
    "$leaf_port" "$leaf_monitor" "$work" "$leafnodes" > "$work/leaf.conf"
  nats_up leaf "$work/leaf.conf" "$leaf_monitor"
  printf 'agent: site-a\nsources:\n  recorded: { type: fixture, path: "%s" }\nsinks:\n  uplink: { type: nats, inputs: [recorded], url: "nats://127.0.0.1:%s", subject: smokeflow.points.site-a, stream: { name: SITE, subjects: [smokeflow.points.>] } }\n' \
    "$work/big.lp.zst" "$leaf_port" > "$work/site.yaml"
  python3 Benchmarks/python/timeit.py 1 "site_publish_while_uplink_down=$bin run $work/site.yaml --log-level error"
  printf 'sources:\n  sites: { type: nats, url: "nats://127.0.0.1:%s", stream: { name: POINTS, source_domains: [site-a], source_stream: SITE }, subject: "smokeflow.points.>", durable: writers, fetch_timeout: 5s }\nsinks:\n  out: { type: file, inputs: [sites], path: "%s/backlog.lp", append: false }\n' \
    "$hub" "$work" > "$work/central-writer.yaml"
  nats_up hub "$work/hub.conf" "$hub_monitor"
  # The uplink is back once the leaf node has reconnected (it retries every second).
  for _ in $(seq 1 300); do curl -s "http://127.0.0.1:$hub_monitor/leafz" | grep -q '"leafnodes": 1' && break; sleep 0.1; done
  # Ends 5 s after the last message (fetch_timeout): the figure subtracts them.
  local start end
  start=$(date +%s.%N)
  "$bin" run "$work/central-writer.yaml" --once --log-level error
  end=$(date +%s.%N)
  local drained; drained=$(wc -l < "$work/backlog.lp")
  python3 -c "s = $end - $start - 5; print(f'backlog_drain {$drained:,} points in {s:.2f} s: {$drained / s:,.0f} points/s (leaf stream -> hub aggregate -> writer -> file)')"
  nats_down hub
  nats_down leaf
  [ -n "${SMOKEFLOW_INFLUX_URL:-}" ] && bench_scale_into_influx "$work" "$bin" "$points"
}

# The whole path into InfluxDB: a site's agent -> its leaf node -> the 3-node central cluster
# (R3 stream sourcing the site) -> a writer -> influxd, against the direct influx sink.
bench_scale_into_influx() {
  local work=$1 bin=$2 points=$3 influx=$SMOKEFLOW_INFLUX_URL
  for database in bench_direct bench_nats; do curl -s -XPOST "$influx/query" --data-urlencode "q=CREATE DATABASE $database" > /dev/null; done
  local ports=() index routes="" urls=()
  for index in 1 2 3; do ports+=("$(free_port) $(free_port) $(free_port) $(free_port)"); done
  for index in 0 1 2; do
    read -r client monitor cluster leaf <<< "${ports[$index]}"
    routes+="${routes:+, }nats-route://127.0.0.1:$cluster"
    urls+=("nats://127.0.0.1:$client")
  done
  for index in 0 1 2; do
    read -r client monitor cluster leaf <<< "${ports[$index]}"
    NATS_NAME=n$index NATS_LISTEN=127.0.0.1:$client NATS_HTTP=127.0.0.1:$monitor NATS_STORE=$work/n$index \
      NATS_CLUSTER_LISTEN=127.0.0.1:$cluster NATS_ROUTES="[$routes]" NATS_LEAF_LISTEN=127.0.0.1:$leaf \
      nats-server -c pipelines/scale-out/nats/central.conf > "$work/n$index.log" 2>&1 &
    echo $! > "$work/n$index.pid"
  done
  for index in 0 1 2; do
    read -r client monitor cluster leaf <<< "${ports[$index]}"
    for _ in $(seq 1 300); do curl -sf "http://127.0.0.1:$monitor/healthz" > /dev/null && break; sleep 0.1; done
  done
  local leaf_port leaf_monitor leaf_remotes=""
  leaf_port=$(free_port); leaf_monitor=$(free_port)
  for index in 0 1 2; do read -r client monitor cluster leaf <<< "${ports[$index]}"; leaf_remotes+="${leaf_remotes:+, }\"nats-leaf://127.0.0.1:$leaf\""; done
  printf 'server_name: site-a\nlisten: 127.0.0.1:%s\nhttp: 127.0.0.1:%s\njetstream { store_dir: "%s/leaf-r3", domain: site-a }\nleafnodes { remotes: [ { urls: [%s] } ] }\n' \
    "$leaf_port" "$leaf_monitor" "$work" "$leaf_remotes" > "$work/leaf-r3.conf"
  nats_up leaf-r3 "$work/leaf-r3.conf" "$leaf_monitor"
  printf 'sources:\n  recorded: { type: fixture, path: "%s" }\nsinks:\n  influx: { type: influx, inputs: [recorded], url: "%s", database: bench_direct }\n' \
    "$work/big.lp.zst" "$influx" > "$work/direct-influx.yaml"
  python3 Benchmarks/python/timeit.py 1 "direct_to_influx=$bin run $work/direct-influx.yaml --log-level error"
  NATS_URL_1=${urls[0]} NATS_URL_2=${urls[1]} NATS_URL_3=${urls[2]} INFLUX_URL=$influx INFLUX_DATABASE=bench_nats \
    SMOKEFLOW_AGENT=writer-1 STATE_DIRECTORY=$work/writer-state "$bin" run pipelines/scale-out/central-writer.yaml --log-level error &
  local writer=$!
  printf 'agent: site-a\nsources:\n  recorded: { type: fixture, path: "%s" }\nsinks:\n  uplink: { type: nats, inputs: [recorded], url: "nats://127.0.0.1:%s", subject: smokeflow.points.site-a, stream: { name: SITE, subjects: [smokeflow.points.>] } }\n' \
    "$work/big.lp.zst" "$leaf_port" > "$work/site-r3.yaml"
  influx_count() {
    curl -s "$influx/query" --data-urlencode "db=$1" --data-urlencode "q=SELECT count(median) FROM latency" \
      | python3 -c 'import json,sys; r=json.load(sys.stdin)["results"][0]; print(r["series"][0]["values"][0][1] if "series" in r else 0)'
  }
  local start count=0 end expected
  expected=$(influx_count bench_direct)
  start=$(date +%s.%N)
  "$bin" run "$work/site-r3.yaml" --log-level error
  # Until InfluxDB holds as many rounds as the direct sink wrote (the writer keeps running, as
  # in production).
  for _ in $(seq 1 600); do
    count=$(influx_count bench_nats)
    [ "$count" -ge "$expected" ] && break
    sleep 0.5
  done
  end=$(date +%s.%N)
  kill "$writer"; wait "$writer" 2> /dev/null || true
  python3 -c "s = $end - $start; print(f'site_to_influx_through_r3_cluster {$points:,} points in {s:.2f} s: {$points / s:,.0f} points/s (agent -> leaf -> 3-node cluster R3 -> writer -> influxd; publisher and writer at once; latency rounds {$count:,} of the direct sink\'s {$expected:,})')"
  for index in 0 1 2; do nats_down "n$index"; done
  nats_down leaf-r3
}
