#!/bin/sh
# The compose stack's run-once credentials step (service `init`): `smokeflow init` writes the
# env file (every secret generated once, mode 0600, never printed; a second run adds only what
# is missing), then the settings the other containers derive from it are added once:
# DATABASE_URL for the smokeflow containers, and one file per secret that Grafana reads with
# GF_*__FILE and $__file{}, PostgreSQL with POSTGRES_PASSWORD_FILE and InfluxDB at its first
# start (each runs as its own user and cannot read the smokeflow-owned file).
# It runs as root only to hand each file to the user that reads it.
set -eu
umask 077
dir=${SMOKEFLOW_SECRETS_DIR:-/run/smokeflow}
env_file=$dir/.env
smokeflow init --env-file "$env_file"
show() { smokeflow init --env-file "$env_file" --show "$1"; }
if ! grep -q '^DATABASE_URL=' "$env_file"; then
  # The generated passwords are URL-safe (base64url), so they go into the URL as they are.
  printf 'DATABASE_URL=postgresql://%s:%s@%s:5432/%s\n' "${POSTGRES_USER:-smokeflow}" "$(show POSTGRES_PASSWORD)" \
    "${POSTGRES_HOST:-postgres}" "${POSTGRES_DB:-smokeflow}" >> "$env_file"
fi
grep -q '^INFLUX_USERNAME=' "$env_file" || printf 'INFLUX_USERNAME=%s\n' "${INFLUX_USERNAME:-smokeflow}" >> "$env_file"
# secrets_for DIR OWNER NAME...: DIR/<name in lower case> holding the one value, 0400, for the
# one user that reads it (a directory of its own, 0500).
secrets_for() {
  sub=$dir/$1 owner=$2
  shift 2
  mkdir -p "$sub"
  for name in "$@"; do
    file=$sub/$(echo "$name" | tr 'A-Z' 'a-z')
    show "$name" > "$file.tmp"
    chmod 0400 "$file.tmp"
    mv "$file.tmp" "$file"
  done
  chown -R "$owner" "$sub"
  chmod 0500 "$sub"
}
secrets_for grafana "${GRAFANA_UID:-472}:0" WEB_ADMIN_PASSWORD INFLUX_PASSWORD POSTGRES_PASSWORD
secrets_for postgres "${POSTGRES_UID:-999}:0" POSTGRES_PASSWORD
secrets_for influxdb 0:0 INFLUX_PASSWORD
chown "${SMOKEFLOW_UID:-10001}:${SMOKEFLOW_UID:-10001}" "$env_file"
chmod 0600 "$env_file"
chmod 0711 "$dir"
echo "smokeflow-init: $env_file ready (show the web admin's password with: docker compose run --rm init smokeflow init --env-file $env_file --show WEB_ADMIN_PASSWORD)"
