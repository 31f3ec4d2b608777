#!/usr/bin/env bash
# Local set-up, run and test on a fresh Debian/Ubuntu machine.
#   bash ops/dev.sh run    install what is missing, start ClickHouse (./var/clickhouse), migrate,
#                          build the site, serve everything on http://127.0.0.1:8000
#   bash ops/dev.sh test   install what is missing, lint, run the whole test suite
set -euo pipefail
cd "$(dirname "$0")/.."

# Serving needs ClickHouse and Python; the demo week's server runs on libfaketime (faketime, 100 KB);
# the site build minifies with esbuild (one 9 MB binary).
RUN_PACKAGES=(clickhouse-server clickhouse-client python3-venv faketime esbuild)
# The tests add a browser, the shipped Caddyfile's server, wrk for loadtest/bench_track.py and ZooKeeper
# (with its Java runtime) for the two-server cluster test. Docker is for deploys only (ops/README.md).
TEST_PACKAGES=(chromium caddy wrk zookeeper)

as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }

install_system() {
  local missing=()
  for pkg in "$@"; do
    dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg")
  done
  if [ ${#missing[@]} -gt 0 ]; then
    echo "installing ${missing[*]}"
    as_root apt-get update -q
    DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -q "${missing[@]}"
  fi
}

install_python() {  # $1: what to install, '.' (serving) or '.[dev]' (tests too)
  [ -x .venv/bin/python ] || python3 -m venv .venv
  local stamp=.venv/.installed-$(cat setup.cfg pyproject.toml constraints.txt <(echo "$1") | sha256sum | cut -c1-16)
  if [ ! -f "$stamp" ]; then
    .venv/bin/pip install -q --upgrade pip
    .venv/bin/pip install -q -c constraints.txt -e "$1"
    touch "$stamp"
  fi
}

case "${1:-}" in
  run)
    install_system "${RUN_PACKAGES[@]}"
    install_python .
    exec .venv/bin/python -m eslamed.devtools.local_run
    ;;
  test)
    shift
    install_system "${RUN_PACKAGES[@]}" "${TEST_PACKAGES[@]}"
    install_python '.[dev]'
    .venv/bin/ruff check .
    .venv/bin/ruff format --check .
    .venv/bin/lint-imports --no-cache
    exec .venv/bin/python -m pytest "$@"
    ;;
  *)
    echo "usage: bash ops/dev.sh run|test [pytest args]" >&2
    exit 2
    ;;
esac
