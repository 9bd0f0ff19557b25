#!/usr/bin/env bash
# One command: bench/run.sh [--duration 10] [--connections 64] [--threads 2] [--only cc,refresh,...]
#                           [--skip-login] [--profile cc,...]
# Installs what is missing (wrk with apt-get, oidc-provider with `npm ci` into bench/node/,
# py-spy only when --profile is given), then bench/run.py starts PostgreSQL, Redis, frmr-sso,
# mock ESIA, node-oidc-provider and the bare FastAPI ceiling on free loopback ports, runs every
# scenario, prints a Markdown table (also written to bench/results/latest.md) and stops everything.
# Needs: the project venv (.venv, `make venv`), PostgreSQL 15 binaries (initdb, pg_ctl) on PATH,
# redis-server, Node.js 20+ with npm, taskset (util-linux), 2 CPUs (servers on CPU 0, load on CPU 1).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

as_root() { if [[ $EUID -eq 0 ]]; then "$@"; else sudo "$@"; fi; }

[[ -x .venv/bin/python ]] || { echo "bench: .venv/bin/python not found; run 'make venv' first" >&2; exit 2; }
for tool in initdb pg_ctl redis-server node npm taskset; do
    command -v "$tool" >/dev/null 2>&1 || { echo "bench: $tool not on PATH" >&2; exit 2; }
done
if [[ $(nproc) -lt 2 ]]; then echo "bench: needs 2 CPUs (server on CPU 0, load generator on CPU 1)" >&2; exit 2; fi

if ! command -v wrk >/dev/null 2>&1; then
    echo "== installing wrk with apt-get" >&2
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk </dev/null ||
        { as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq </dev/null &&
          as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk </dev/null; }
fi

if [[ ! -d bench/node/node_modules/oidc-provider ]]; then
    echo "== npm ci (oidc-provider, exact versions of bench/node/package-lock.json)" >&2
    (cd bench/node && npm ci --no-audit --no-fund --loglevel=error)
fi

if [[ " $* " == *" --profile "* && ! -x .venv/bin/py-spy ]]; then
    echo "== pip install py-spy into .venv" >&2
    .venv/bin/pip install -q py-spy
fi

exec .venv/bin/python bench/run.py "$@"
