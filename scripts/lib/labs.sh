# Names, ownership and cleanup of the probe labs scripts/lib/probe-lab.sh builds. Source it
# (probe-lab.sh and scripts/test do); it only defines names and functions.
#
# What one lab is (probe-lab.sh up): a network namespace sfp-ID (ID: 6 lowercase hex digits),
# a veth pair sfhID (host side, with 10.X.Y.1/24, fd5f:…::1/64 and maybe a route to a 10.Z/16)
# and sfnID (inside), echo-responder, maybe dnsmasq and unbound, all inside the namespace, and a
# state directory DIR whose file DIR/ns holds the namespace's name (ProbeLab.swift uses
# /tmp/probes-lab-XXXXXXXX, scripts/bench $work/lab). Deleting the namespace once nothing runs in
# it removes the veth pair, and the route with it.
#
# Who owns a lab: `up` writes $PROBE_LAB_REGISTRY/sfp-ID (before the namespace exists) with the
# owner's pid and start time: SMOKEFLOW_LAB_OWNER if set (scripts/test sets its own pid), else
# the process that ran probe-lab.sh (the test process, scripts/bench). A lab is stale once its
# owner is gone. A lab without a record (made by an older probe-lab.sh) counts as stale when it
# is 2 minutes old with nothing running in it, or an hour old.
#
#   cleanup_probe_labs            removes stale labs (safe while other test runs have labs up)
#   cleanup_probe_labs --mine     also the labs owned by SMOKEFLOW_LAB_OWNER (end of a test run)
#   cleanup_probe_labs --all      every smokeflow lab, whoever owns it
#
# Only names of exactly this form are touched (never another namespace or link), processes
# only when they run inside such a namespace or are this lab's echo-responder/dnsmasq/unbound
# (their command line names the lab's directory). Safe to repeat, when nothing exists, without
# root (does nothing) and without iproute2 (cleans only directories and records). Always
# returns 0, also under `set -euo pipefail`.

PROBE_LAB_NS_PREFIX=sfp-
PROBE_LAB_HOST_VETH_PREFIX=sfh
PROBE_LAB_NS_VETH_PREFIX=sfn
PROBE_LAB_REGISTRY=${SMOKEFLOW_LAB_REGISTRY:-/run/smokeflow-probe-labs}
# ProbeLab.swift's state directories: /tmp/probes-lab- and 8 hex digits of a UUID.
PROBE_LAB_DIR_PATTERN='^/tmp/probes-lab-[0-9A-Fa-f]{8}$'
# Unowned labs: younger than this (seconds) are left alone (an older `up` may still be starting
# one), older than the second with processes still inside count as stale too.
PROBE_LAB_UNOWNED_MIN_AGE=${SMOKEFLOW_LAB_UNOWNED_MIN_AGE:-120}
PROBE_LAB_UNOWNED_MAX_AGE=${SMOKEFLOW_LAB_UNOWNED_MAX_AGE:-3600}

probe_lab_is_ns_name() { [[ ${1:-} =~ ^sfp-[0-9a-f]{6}$ ]]; }

# Field 22 of /proc/PID/stat: when the process started (clock ticks since boot); with the pid
# it names one process, even after the pid is reused.
probe_lab_start_time() {
  local stat
  stat=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
  stat=${stat##*) }  # the fields after "pid (comm) ", from field 3 on
  # shellcheck disable=SC2086
  set -- $stat
  echo "${20:-}"
}

# Writes the ownership record of namespace $1 with state directory $2 (called by `up`).
probe_lab_register() {
  local ns=$1 dir=$2 owner=${SMOKEFLOW_LAB_OWNER:-$PPID} start
  start=$(probe_lab_start_time "$owner") || start=""
  mkdir -p "$PROBE_LAB_REGISTRY" || return 1
  printf 'owner=%s\nowner_start=%s\ndir=%s\n' "$owner" "$start" "$dir" > "$PROBE_LAB_REGISTRY/$ns.tmp.$$" &&
    mv -f "$PROBE_LAB_REGISTRY/$ns.tmp.$$" "$PROBE_LAB_REGISTRY/$ns"
}

# Reads the record of namespace $1 into lab_owner, lab_owner_start, lab_dir; 1 when there is none.
probe_lab_read_record() {
  lab_owner="" lab_owner_start="" lab_dir=""
  local file="$PROBE_LAB_REGISTRY/$1" key value
  [ -f "$file" ] || return 1
  while IFS='=' read -r key value; do
    case "$key" in
    owner) lab_owner=$value ;;
    owner_start) lab_owner_start=$value ;;
    dir) lab_dir=$value ;;
    esac
  done < "$file"
  return 0
}

# True when pid $1 still is the process that started at $2.
probe_lab_owner_alive() {
  [ -n "${1:-}" ] && [ -d "/proc/$1" ] || return 1
  [ -z "${2:-}" ] || [ "$(probe_lab_start_time "$1")" = "$2" ]
}

# True when $1 is the state directory of namespace $2 (its ns file names it).
probe_lab_is_dir_of() {
  [ -n "${1:-}" ] && [ "${1:0:1}" = / ] && [ -f "$1/ns" ] && [ "$(cat "$1/ns" 2>/dev/null)" = "$2" ]
}

# The lab processes whose command line names directory $1: echo-responder ($1/echo-responder),
# dnsmasq (--pid-file=$1/…), unbound (-c $1/unbound.conf). Finds them also when their namespace
# lost its name.
probe_lab_dir_pids() {
  local dir=$1 proc pid comm cmdline
  [ -n "$dir" ] && [ "$dir" != / ] || return 0
  for proc in /proc/[0-9]*; do
    pid=${proc#/proc/}
    comm=$(cat "$proc/comm" 2>/dev/null) || continue
    case "$comm" in echo-responder | dnsmasq | unbound) ;; *) continue ;; esac
    cmdline=$(tr '\0' ' ' < "$proc/cmdline" 2>/dev/null) || continue
    [[ " $cmdline" == *"$dir/"* ]] && echo "$pid"
  done
  return 0
}

# True while pid $1 runs (a zombie, waiting for a parent that may never reap it, does not).
probe_lab_running() {
  local stat
  stat=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
  stat=${stat##*) }
  [ "${stat:0:1}" != Z ]
}

# SIGTERM, up to 2 s to exit, then SIGKILL. Never this shell or its parent.
probe_lab_kill() {
  local pid alive=() left=()
  for pid in "$@"; do
    [[ $pid =~ ^[0-9]+$ ]] && [ "$pid" != "$$" ] && [ "$pid" != "${BASHPID:-$$}" ] && [ "$pid" != "$PPID" ] || continue
    kill -TERM "$pid" 2>/dev/null && alive+=("$pid")
  done
  [ ${#alive[@]} -gt 0 ] || return 0
  for _ in $(seq 1 40); do
    left=()
    for pid in "${alive[@]}"; do probe_lab_running "$pid" && left+=("$pid"); done
    [ ${#left[@]} -eq 0 ] && return 0
    sleep 0.05
  done
  for pid in "${left[@]}"; do kill -KILL "$pid" 2>/dev/null || true; done
  sleep 0.05
  return 0
}

probe_lab_have_ip() { command -v ip > /dev/null 2>&1; }

# Whether namespace $1 still has its name (ip netns keeps names as files in /run/netns).
probe_lab_ns_exists() { [ -e "/run/netns/$1" ]; }

# Removes lab $1 (namespace name) with state directory $2 (may be empty): the processes inside
# the namespace and those naming the directory, the namespace, the host side of the veth if it
# outlived it, the directory, the record. (Pid files are not trusted: their pids may be reused.)
probe_lab_remove() {
  local ns=$1 dir=${2:-} id pids=()
  probe_lab_is_ns_name "$ns" || return 0
  id=${ns#"$PROBE_LAB_NS_PREFIX"}
  probe_lab_is_dir_of "$dir" "$ns" || dir=""
  [ -n "$dir" ] && pids+=($(probe_lab_dir_pids "$dir"))
  probe_lab_ns_exists "$ns" && probe_lab_have_ip && pids+=($(ip netns pids "$ns" 2>/dev/null))
  probe_lab_kill "${pids[@]}"
  if probe_lab_have_ip; then
    probe_lab_ns_exists "$ns" && { ip netns del "$ns" 2>/dev/null || true; }
    # Gone with the namespace once it is freed; left over if something still holds it.
    ip link show "$PROBE_LAB_HOST_VETH_PREFIX$id" > /dev/null 2>&1 &&
      { ip link del "$PROBE_LAB_HOST_VETH_PREFIX$id" 2>/dev/null || true; }
  fi
  [ -n "$dir" ] && rm -rf "$dir"
  rm -f "$PROBE_LAB_REGISTRY/$ns"
  return 0
}

# The state directory of namespace $1: from its record, else a ProbeLab.swift directory naming it.
probe_lab_find_dir() {
  local ns=$1 candidate
  if probe_lab_read_record "$ns" && probe_lab_is_dir_of "$lab_dir" "$ns"; then
    echo "$lab_dir"
    return 0
  fi
  for candidate in /tmp/probes-lab-*; do
    [[ $candidate =~ $PROBE_LAB_DIR_PATTERN ]] && probe_lab_is_dir_of "$candidate" "$ns" && { echo "$candidate"; return 0; }
  done
  return 0
}

# Age in seconds of a file's last change (0 when unknown).
probe_lab_age() {
  local mtime
  mtime=$(stat -c %Y "$1" 2>/dev/null) || { echo 0; return 0; }
  echo $(($(date +%s) - mtime))
}

# Why lab $1 should go (printed), or status 1 to keep it. Mode: stale, mine or all. $2: a file
# whose age stands for an unowned lab's (its /run/netns entry or its directory).
probe_lab_verdict() {
  local ns=$1 mode=$2 aged=${3:-} age count
  if [ "$mode" = all ]; then echo "removing all labs"; return 0; fi
  if probe_lab_read_record "$ns"; then
    if [ "$mode" = mine ] && [ -n "${SMOKEFLOW_LAB_OWNER:-}" ] && [ "$lab_owner" = "$SMOKEFLOW_LAB_OWNER" ] &&
      [ "$lab_owner_start" = "$(probe_lab_start_time "$SMOKEFLOW_LAB_OWNER")" ]; then
      echo "made by this run"
      return 0
    fi
    probe_lab_owner_alive "$lab_owner" "$lab_owner_start" && return 1
    echo "its owner (pid $lab_owner) is gone"
    return 0
  fi
  [ -n "$aged" ] || return 1
  age=$(probe_lab_age "$aged")
  [ "$age" -ge "$PROBE_LAB_UNOWNED_MIN_AGE" ] || return 1
  count=0
  probe_lab_ns_exists "$ns" && probe_lab_have_ip && count=$(ip netns pids "$ns" 2>/dev/null | wc -l)
  if [ "$count" -eq 0 ]; then echo "no owner recorded, nothing running in it, ${age}s old"; return 0; fi
  if [ "$age" -ge "$PROBE_LAB_UNOWNED_MAX_AGE" ]; then echo "no owner recorded, ${age}s old"; return 0; fi
  return 1
}

probe_lab_cleanup_impl() {
  local mode=stale arg ns dir why file seen=" "
  for arg in "$@"; do
    case "$arg" in
    --mine) mode=mine ;;
    --all) mode=all ;;
    *) echo "cleanup_probe_labs: unknown option $arg" >&2; return 0 ;;
    esac
  done
  [ "$(id -u)" -eq 0 ] || return 0

  # Named namespaces of the lab form.
  if probe_lab_have_ip; then
    for ns in $(ip netns list 2>/dev/null | awk '{print $1}'); do
      probe_lab_is_ns_name "$ns" || continue
      seen+="$ns "
      why=$(probe_lab_verdict "$ns" "$mode" "/run/netns/$ns") || continue
      dir=$(probe_lab_find_dir "$ns")
      echo "probe labs: removing $ns${dir:+ ($dir)}: $why" >&2
      probe_lab_remove "$ns" "$dir"
    done
  fi
  # Records and directories of labs whose namespace has no name any more (deleted while
  # something still ran in it, or never made): their processes, leftover veth, directory.
  for file in "$PROBE_LAB_REGISTRY"/sfp-*; do
    [ -f "$file" ] || continue
    ns=${file##*/}
    probe_lab_is_ns_name "$ns" || continue
    [[ $seen == *" $ns "* ]] && continue
    probe_lab_ns_exists "$ns" && continue
    seen+="$ns "
    why=$(probe_lab_verdict "$ns" "$mode") || continue
    dir=$(probe_lab_find_dir "$ns")
    echo "probe labs: removing what is left of $ns${dir:+ ($dir)}: $why" >&2
    probe_lab_remove "$ns" "$dir"
  done
  for dir in /tmp/probes-lab-*; do
    [[ $dir =~ $PROBE_LAB_DIR_PATTERN ]] && [ -f "$dir/ns" ] || continue
    ns=$(cat "$dir/ns" 2>/dev/null)
    probe_lab_is_ns_name "$ns" || continue
    [[ $seen == *" $ns "* ]] && continue
    probe_lab_ns_exists "$ns" && continue
    why=$(probe_lab_verdict "$ns" "$mode" "$dir") || continue
    echo "probe labs: removing what is left of $ns ($dir): $why" >&2
    probe_lab_remove "$ns" "$dir"
  done
  if [ "$mode" = all ] && probe_lab_have_ip; then
    local link
    for link in $(ip -o link show 2>/dev/null | awk -F': ' '{print $2}' | cut -d@ -f1); do
      [[ $link =~ ^sfh[0-9a-f]{6}$ ]] || continue
      echo "probe labs: removing leftover veth $link" >&2
      ip link del "$link" 2>/dev/null || true
    done
  fi
  return 0
}

# See the top of this file. Runs in a subshell without errexit, so it never ends the caller
# (an EXIT trap goes on with what follows it).
cleanup_probe_labs() {
  (
    set +e +u +o pipefail
    probe_lab_cleanup_impl "$@"
  ) || true
  return 0
}
