#!/usr/bin/env bash
# Test hosts with real delay and loss for the probe tests and benchmarks (needs root, iproute2, gcc).
# The kernel has no netem, so a network namespace (joined to the host by a veth pair) ignores
# echo requests itself and a userspace responder (echo-responder.c) answers them after a delay,
# dropping a seeded fraction. Traffic only goes to the namespace's addresses.
#
#   probe-lab.sh up DIR [--delay-ms D] [--loss F] [--seed S] [--loss-schedule N:F,…] [--duplicate] [--range16] [--dns]
#       creates the lab (state in DIR, which must not exist) and prints KEY=VALUE lines:
#       LAB_NS, LAB_V4 / LAB_V6 (the namespace's addresses), LAB_RANGE16 (with --range16: a
#       10.Z.0.0/16 answered as a whole, e.g. "10.Z"), LAB_STATS (the responder's counts),
#       LAB_DNS_V4 (with --dns: dnsmasq on LAB_V4:53, see DNS answers below).
#       --loss-schedule switches loss by request count (echo-responder.c): "10:0,15:1" answers
#       the first 10 requests, drops the next 15, then drops --loss of the rest.
#   probe-lab.sh stats DIR    the responder's counts now (received, dropped, answered)
#   probe-lab.sh down DIR     stops everything and deletes the namespace (safe to repeat)
#   probe-lab.sh cleanup [--mine|--all]
#       removes labs left behind by runs that crashed (see labs.sh: stale ones by default,
#       --mine also those of SMOKEFLOW_LAB_OWNER, --all every one)
#
# Names: namespace sfp-ID, veth sfhID (host) / sfnID (namespace), ID 6 hex digits; each lab's
# owner is recorded in /run/smokeflow-probe-labs/sfp-ID (labs.sh) before the namespace exists.
#
# DNS answers (dnsmasq): a.example.test A 10.9.8.7, AAAA fd00::7; other names under
# example.test NXDOMAIN; names under fail.test SERVFAIL (dnsmasq forwards them to an unbound
# in the namespace, LAB_V4:5353, whose only server for that zone is unreachable).
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
source "$here/labs.sh"

rand_byte() { od -An -N1 -tu1 /dev/urandom | tr -d ' '; }

up() {
  local dir=$1; shift
  local delay=0 loss=0 seed=1 range16=0 dns=0 duplicate=0 schedule=""
  while [ $# -gt 0 ]; do
    case "$1" in
    --delay-ms) delay=$2; shift 2 ;;
    --loss) loss=$2; shift 2 ;;
    --seed) seed=$2; shift 2 ;;
    --loss-schedule) schedule=$2; shift 2 ;;
    --range16) range16=1; shift ;;
    --duplicate) duplicate=1; shift ;;
    --dns) dns=1; shift ;;
    *) echo "probe-lab: unknown option $1" >&2; return 2 ;;
    esac
  done
  mkdir "$dir"
  dir=$(cd "$dir" && pwd)
  local id; id=$(od -An -N3 -tx1 /dev/urandom | tr -d ' \n')
  local ns="$PROBE_LAB_NS_PREFIX$id" x y z=""
  echo "$ns" > "$dir/ns"
  # Who owns it, before it exists: a cleanup can then tell a crashed run's lab from a live one.
  probe_lab_register "$ns" "$dir" || echo "probe-lab: cannot record the lab's owner in $PROBE_LAB_REGISTRY" >&2
  # A link subnet (and /16) no route on this host uses yet.
  while :; do
    x=$((64 + $(rand_byte) % 64)); y=$(rand_byte)
    ip -4 route show | grep -q "^10\.$x\.$y\." || break
  done
  if [ "$range16" = 1 ]; then
    while :; do
      z=$((128 + $(rand_byte) % 64))
      ip -4 route show | grep -q "^10\.$z\." || break
    done
  fi
  local v6net="fd5f:${id:0:4}:${id:4:2}00"
  ip netns add "$ns"
  ip link add "$PROBE_LAB_HOST_VETH_PREFIX$id" type veth peer name "$PROBE_LAB_NS_VETH_PREFIX$id" netns "$ns"
  ip addr add "10.$x.$y.1/24" dev "sfh$id"
  ip -6 addr add "$v6net::1/64" dev "sfh$id" nodad
  ip link set "sfh$id" up
  ip -n "$ns" link set lo up
  ip -n "$ns" addr add "10.$x.$y.2/24" dev "sfn$id"
  ip -n "$ns" -6 addr add "$v6net::2/64" dev "sfn$id" nodad
  ip -n "$ns" link set "sfn$id" up
  ip netns exec "$ns" sysctl -qw net.ipv4.icmp_echo_ignore_all=1 net.ipv6.icmp.echo_ignore_all=1
  if [ -n "$z" ]; then
    ip route add "10.$z.0.0/16" via "10.$x.$y.2" dev "sfh$id"
    ip -n "$ns" route add local "10.$z.0.0/16" dev lo
  fi
  gcc -O2 -o "$dir/echo-responder" "$here/echo-responder.c"
  local scheduled=()
  [ -n "$schedule" ] && scheduled=(--loss-schedule "$schedule")
  ip netns exec "$ns" "$dir/echo-responder" --delay-ms "$delay" --loss "$loss" --seed "$seed" \
    --duplicate "$duplicate" "${scheduled[@]}" --stats "$dir/stats" > "$dir/responder.log" 2>&1 &
  echo $! > "$dir/responder.pid"
  for _ in $(seq 1 100); do grep -q ready "$dir/responder.log" 2>/dev/null && break; sleep 0.05; done
  echo "LAB_NS=$ns"
  echo "LAB_V4=10.$x.$y.2"
  echo "LAB_V6=$v6net::2"
  echo "LAB_HOST_V4=10.$x.$y.1"
  echo "LAB_STATS=$dir/stats"
  [ -n "$z" ] && echo "LAB_RANGE16=10.$z"
  if [ "$dns" = 1 ]; then
    # fail.test is forwarded to a "server" in the namespace that answers SERVFAIL to everything.
    ip netns exec "$ns" dnsmasq --keep-in-foreground --no-resolv --no-hosts --bind-interfaces \
      --listen-address="10.$x.$y.2" --port=53 --user=root --group=root --pid-file="$dir/dnsmasq.pid" \
      --address=/a.example.test/10.9.8.7 --address=/a.example.test/fd00::7 --local=/example.test/ \
      --server=/fail.test/10.$x.$y.2#5353 --log-facility="$dir/dnsmasq.log" > /dev/null 2>&1 &
    echo $! > "$dir/dnsmasq.pid.shell"
    # unbound answers SERVFAIL for fail.test: its only server for that zone is unreachable.
    cat > "$dir/unbound.conf" <<UNBOUND
server:
  interface: 10.$x.$y.2@5353
  port: 5353
  username: ""
  chroot: ""
  directory: "$dir"
  pidfile: "$dir/unbound.pid"
  do-daemonize: no
  use-syslog: no
  do-ip6: no
  access-control: 0.0.0.0/0 allow
  module-config: "iterator"
  local-zone: "test." nodefault
stub-zone:
  name: "fail.test"
  stub-addr: 192.0.2.1
UNBOUND
    ip netns exec "$ns" unbound -d -c "$dir/unbound.conf" > "$dir/unbound.log" 2>&1 &
    echo $! > "$dir/unbound.pid.shell"
    for _ in $(seq 1 100); do
      dig +short +time=1 +tries=1 @"10.$x.$y.2" a.example.test 2>/dev/null | grep -q 10.9.8.7 && break
      sleep 0.05
    done
    for _ in $(seq 1 100); do
      dig +time=1 +tries=1 @"10.$x.$y.2" x.fail.test 2>/dev/null | grep -q SERVFAIL && break
      sleep 0.05
    done
    echo "LAB_DNS_V4=10.$x.$y.2"
  fi
}

stats() {
  local dir=$1
  rm -f "$dir/stats"
  kill -USR1 "$(cat "$dir/responder.pid")"
  for _ in $(seq 1 100); do [ -f "$dir/stats" ] && break; sleep 0.02; done
  cat "$dir/stats"
}

down() {
  local dir=$1
  [ -d "$dir" ] || return 0
  local ns=""
  [ -f "$dir/ns" ] && ns=$(cat "$dir/ns")
  if probe_lab_is_ns_name "$ns"; then
    # Everything running in the namespace or from the directory, the namespace, a veth that
    # outlived it, the directory and the owner record.
    probe_lab_remove "$ns" "$(cd "$dir" && pwd)" || true
  fi
  rm -rf "$dir"
}

cmd=${1:-}; shift || true
case "$cmd" in
up) up "$@" ;;
stats) stats "$@" ;;
down) down "$@" ;;
cleanup) cleanup_probe_labs "$@" ;;
*) echo "usage: probe-lab.sh up|stats|down DIR ... | cleanup [--mine|--all]" >&2; exit 2 ;;
esac
