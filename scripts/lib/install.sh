# Installs the Debian packages smokeflow builds and tests with, only when something is missing.
# Usage: ensure_packages pkg...
ensure_packages() {
  local missing=()
  for pkg in "$@"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  echo "installing: ${missing[*]}"
  local sudo=""
  [ "$(id -u)" -ne 0 ] && sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

# What building smokeflow needs (C libraries found by pkg-config).
BUILD_PACKAGES=(pkg-config libzstd-dev zlib1g-dev zstd librrd-dev rrdtool libpq-dev libcrypt-dev libssl-dev libnats-dev)

# What the probe tests and benchmarks need: namespaces, a C compiler for the echo responder,
# the peers they compare against (fping, dig) and real DNS servers (dnsmasq, unbound).
PROBE_TEST_PACKAGES=(iproute2 gcc libc6-dev fping dnsutils dnsmasq-base unbound)

# The generated Targets/Probes are checked by the real `smokeping --check`, and a real daemon
# is reloaded with them.
SMOKEPING_TEST_PACKAGES=(smokeping)
