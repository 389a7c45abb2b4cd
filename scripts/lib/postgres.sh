# Starts and stops a real PostgreSQL 15 on loopback with data in a temporary folder.
# Source this file; call start_postgres, then stop_postgres. PostgreSQL refuses to run as root,
# so as root the server runs as the `postgres` user (created by Debian's postgresql package).
# Exports SMOKEFLOW_PG_URL (superuser `postgres` with a generated password, scram over TCP)
# and SMOKEFLOW_PG_BIN (initdb/pg_ctl, for tests that start and stop a server of their own).

PG_BIN=${PG_BIN:-/usr/lib/postgresql/15/bin}

as_postgres() {
  if [ "$(id -u)" -eq 0 ]; then su postgres -s /bin/sh -c "$*"; else sh -c "$*"; fi
}

start_postgres() {
  PG_DIR=$(mktemp -d /tmp/smokeflow-pg.XXXXXX)
  [ "$(id -u)" -eq 0 ] && chown postgres: "$PG_DIR"
  local port password
  port=$(free_port)
  password=$(head -c 18 /dev/urandom | base64 | tr -d '/+=')
  echo "$password" > "$PG_DIR/pwfile"
  [ "$(id -u)" -eq 0 ] && chown postgres: "$PG_DIR/pwfile"
  as_postgres "$PG_BIN/initdb -D $PG_DIR/data -U postgres --auth-local=trust --auth-host=scram-sha-256 --pwfile=$PG_DIR/pwfile" \
    > "$PG_DIR/initdb.log" 2>&1 || { cat "$PG_DIR/initdb.log" >&2; return 1; }
  rm -f "$PG_DIR/pwfile"
  as_postgres "$PG_BIN/pg_ctl -D $PG_DIR/data -l $PG_DIR/server.log -w -o '-k $PG_DIR -p $port -c listen_addresses=127.0.0.1 -c fsync=off' start" \
    > /dev/null || { cat "$PG_DIR/server.log" >&2; return 1; }
  export SMOKEFLOW_PG_URL="postgresql://postgres:$password@127.0.0.1:$port/postgres"
  export SMOKEFLOW_PG_BIN="$PG_BIN"
  echo "servers: postgresql 127.0.0.1:$port (data in $PG_DIR)"
}

stop_postgres() {
  [ -n "${PG_DIR:-}" ] || return 0
  as_postgres "$PG_BIN/pg_ctl -D $PG_DIR/data -m immediate stop" > /dev/null 2>&1 || true
  rm -rf "$PG_DIR"
}
