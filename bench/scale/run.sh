#!/usr/bin/env bash
# Scale figures (not part of CI: it generates 1 000 000 FRMR persons and 10 000 000 audit records).
#   bench/scale/run.sh [--lookups 2000] [--logins 100] [--max-audit 10000000]
# bench/scale/scale.py starts its own throw-away PostgreSQL and Redis (bench/stack.py's helpers), the
# broker and the mock ESIA on free loopback ports, prints the figures as JSON, writes them to
# bench/scale/results/, and removes everything it started. Needs: .venv (`make venv`), PostgreSQL 15
# binaries (initdb, pg_ctl), redis-server, taskset; about 8 GB of free disk in /tmp for 10 M records.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."

[[ -x .venv/bin/python ]] || { echo "scale: .venv/bin/python not found; run 'make venv' first" >&2; exit 2; }
for tool in initdb pg_ctl redis-server taskset; do
    command -v "$tool" >/dev/null 2>&1 || { echo "scale: $tool not on PATH" >&2; exit 2; }
done
exec .venv/bin/python bench/scale/scale.py "$@"
