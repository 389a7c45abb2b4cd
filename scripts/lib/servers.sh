# Starts and stops the real servers the integration tests and benchmarks use, on loopback,
# with data in a temporary folder. Source this file; call start_servers, then stop_servers.
# Exports SMOKEFLOW_INFLUX_URL (InfluxDB 1.x, v1 API), SMOKEFLOW_VM_URL (victoria-metrics,
# v2 write API) and SMOKEFLOW_INFLUXD (the binary, for tests that start their own).

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}

wait_http() { # url what
  for _ in $(seq 1 100); do
    if curl -fsS -o /dev/null "$1" 2>/dev/null; then return 0; fi
    sleep 0.1
  done
  echo "error: $2 did not answer at $1" >&2
  return 1
}

# Writes an influxd config for data under $1 with HTTP on port $2; prints its path.
influxd_config() {
  local dir=$1 port=$2 rpc
  rpc=$(free_port)
  mkdir -p "$dir"
  cat > "$dir/influxdb.conf" <<CONF
reporting-disabled = true
bind-address = "127.0.0.1:$rpc"
[meta]
  dir = "$dir/meta"
[data]
  dir = "$dir/data"
  wal-dir = "$dir/wal"
  query-log-enabled = false
[http]
  bind-address = "127.0.0.1:$port"
  log-enabled = false
[logging]
  level = "warn"
CONF
  echo "$dir/influxdb.conf"
}

start_servers() {
  SERVERS_DIR=$(mktemp -d /tmp/smokeflow-servers.XXXXXX)
  local influx_port vm_port
  influx_port=$(free_port)
  vm_port=$(free_port)
  influxd -config "$(influxd_config "$SERVERS_DIR/influxdb" "$influx_port")" > "$SERVERS_DIR/influxd.log" 2>&1 &
  INFLUXD_PID=$!
  victoria-metrics -storageDataPath="$SERVERS_DIR/vm" -httpListenAddr="127.0.0.1:$vm_port" \
    -retentionPeriod=100y -loggerLevel=ERROR > "$SERVERS_DIR/vm.log" 2>&1 &
  VM_PID=$!
  export SMOKEFLOW_INFLUX_URL="http://127.0.0.1:$influx_port"
  export SMOKEFLOW_VM_URL="http://127.0.0.1:$vm_port"
  export SMOKEFLOW_INFLUXD="$(command -v influxd)"
  wait_http "$SMOKEFLOW_INFLUX_URL/ping" "influxd" || { cat "$SERVERS_DIR/influxd.log" >&2; return 1; }
  wait_http "$SMOKEFLOW_VM_URL/health" "victoria-metrics" || { cat "$SERVERS_DIR/vm.log" >&2; return 1; }
  echo "servers: influxd $SMOKEFLOW_INFLUX_URL, victoria-metrics $SMOKEFLOW_VM_URL (data in $SERVERS_DIR)"
}

stop_servers() {
  [ -n "${INFLUXD_PID:-}" ] && kill "$INFLUXD_PID" 2>/dev/null && wait "$INFLUXD_PID" 2>/dev/null
  [ -n "${VM_PID:-}" ] && kill "$VM_PID" 2>/dev/null && wait "$VM_PID" 2>/dev/null
  [ -n "${SERVERS_DIR:-}" ] && rm -rf "$SERVERS_DIR"
  return 0
}
