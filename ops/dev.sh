#!/usr/bin/env bash
# Local set-up, run and test on a fresh Debian/Ubuntu machine.
#   bash ops/dev.sh run    install what is missing, start ClickHouse (./var/clickhouse), migrate,
#                          build the site, serve everything on http://127.0.0.1:8000
#   bash ops/dev.sh test   install what is missing, lint, run the whole test suite
set -euo pipefail
cd "$(dirname "$0")/.."

APT_PACKAGES=(clickhouse-server clickhouse-client chromium python3-venv zookeeper docker-compose)

APT_PACKAGES+=(wrk)  # loadtest/bench_track.py drives the server with wrk
APT_PACKAGES+=(caddy)  # tests/test_caddy_edge.py runs the shipped ops/Caddyfile in front of the server
APT_PACKAGES+=(faketime)  # the demo week's server runs on a moved clock (eslamed/devtools/fake_clock.py)

as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }

install_system() {
  local missing=()
  for pkg in "${APT_PACKAGES[@]}"; do
    dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg")
  done
  if [ ${#missing[@]} -gt 0 ]; then
    echo "installing ${missing[*]}"
    as_root apt-get update -q
    DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -q "${missing[@]}"
  fi
}

install_python() {
  [ -x .venv/bin/python ] || python3 -m venv .venv
  local stamp=.venv/.installed-$(cat setup.cfg pyproject.toml | sha256sum | cut -c1-16)
  if [ ! -f "$stamp" ]; then
    .venv/bin/pip install -q --upgrade pip
    .venv/bin/pip install -q -e '.[dev]'
    touch "$stamp"
  fi
}

case "${1:-}" in
  run)
    install_system
    install_python
    exec .venv/bin/python -m eslamed.devtools.local_run
    ;;
  test)
    shift
    install_system
    install_python
    .venv/bin/ruff check .
    .venv/bin/ruff format --check .
    exec .venv/bin/python -m pytest "$@"
    ;;
  *)
    echo "usage: bash ops/dev.sh run|test [pytest args]" >&2
    exit 2
    ;;
esac
