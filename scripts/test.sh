#!/usr/bin/env bash
# Lint, and run the whole pytest suite twice, all three at once (each suite is one process, the
# machine's cores are shared between them; every test makes its own database, key prefix and ports):
#   1. on the embedded stores (SQLite + in-process KV): no FRMR_SSO_TEST_* variables;
#   2. on PostgreSQL + Redis, started here in a temp dir on free loopback ports, with
#        FRMR_SSO_TEST_DATABASE_URL=postgresql+asyncpg://postgres@127.0.0.1:<port>/postgres
#        FRMR_SSO_TEST_REDIS_URL=redis://127.0.0.1:<port>/0
# Both runs always happen; the script fails if lint or either run fails (pytest exit 5,
# "no tests collected", is a failure). Each run's output is printed whole when it ends. Extra
# arguments go to both pytest runs:
#   scripts/test.sh -q -x tests/unit
# SKIP_LINT=1 skips ruff and mypy (local iterations only; CI always lints).
# BACKENDS=embedded runs only the SQLite + memory run and starts no servers (`make test-fast`).
# TEST_WORKERS=N (default 2) spreads each run over N pytest-xdist workers, a test file per worker at a
# time (--dist loadfile: a module's servers and fixtures stay in one process); 0 runs each in one process.
# The last line is "N passed, M failed" (both runs together; M counts failures and
# errors), with ", K skipped" appended when tests were skipped.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
PY=.venv/bin/python
if [[ ! -x $PY ]]; then
    echo "test.sh: $PY not found; run 'make venv' first (or use 'make test')" >&2
    exit 2
fi

as_root() { if [[ $EUID -eq 0 ]]; then "$@"; else sudo "$@"; fi; }
# initdb and pg_ctl refuse root: run them as the postgres user, from a directory it can read.
as_postgres() {
    if [[ $EUID -eq 0 ]]; then (cd "$TMP" && runuser -u postgres -- "$@"); else (cd "$TMP" && "$@"); fi
}
free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

# --- (a) Debian packages: redis-server, chromium + chromedriver for the browser tests, nginx for the
# several-instances test (tests/e2e/cluster runs its own nginx on a free loopback port), poppler-utils for
# the statements' layout check, Apache with mod_auth_openidc as a relying party (tests/e2e/outside), SoftHSM2
# and OpenSSL's GOST engine for the PKCS#11 and command signers, Chromium's Russian locale (the browser's own
# controls in the screenshots speak Russian) ---
ensure_packages() {
    local missing=() command package
    # command-or-file:package; a path names a file the package installs (the Apache module has no command)
    for pair in redis-server:redis-server chromium:chromium chromedriver:chromium-driver nginx:nginx \
        pdftotext:poppler-utils apache2:apache2 \
        /usr/lib/apache2/modules/mod_auth_openidc.so:libapache2-mod-auth-openidc softhsm2-util:softhsm2 \
        /usr/lib/x86_64-linux-gnu/engines-3/gost.so:libengine-gost-openssl \
        /usr/lib/chromium/locales/ru.pak:chromium-l10n; do
        command=${pair%%:*} package=${pair#*:}
        if [[ $command == /* ]]; then
            [[ -e $command ]] || missing+=("$package")
        else
            command -v "$command" >/dev/null 2>&1 || missing+=("$package")
        fi
    done
    [[ ${#missing[@]} -eq 0 ]] && return 0
    echo "== installing with apt-get: ${missing[*]}"
    # Keep the packages' init scripts from starting a system-wide redis (port 6379) or nginx (port 80).
    local policy=/usr/sbin/policy-rc.d added="" rc=0
    if [[ ! -e $policy ]]; then
        printf '#!/bin/sh\nexit 101\n' | as_root tee "$policy" >/dev/null
        as_root chmod 755 "$policy"
        added=1
    fi
    { as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq </dev/null &&
      as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
          "${missing[@]}" </dev/null; } || rc=$?
    if [[ -n $added ]]; then as_root rm -f "$policy"; fi
    hash -r
    local tool
    for tool in redis-server chromedriver nginx pdftotext apache2; do command -v "$tool" >/dev/null 2>&1 || rc=1; done
    if [[ $rc -ne 0 ]]; then
        echo "test.sh: could not install ${missing[*]}" >&2
        return 1
    fi
}

# --- axe-core for the accessibility checks of the browser tests: the exact version of
# tests/e2e/browser/axe/package-lock.json, installed again whenever the lock names another one ---
ensure_axe() {
    local dir=tests/e2e/browser/axe
    if "$PY" - "$dir" <<'PYEOF'
import json, pathlib, sys
d = pathlib.Path(sys.argv[1])
want = json.loads((d / "package-lock.json").read_text())["packages"]["node_modules/axe-core"]["version"]
have = d / "node_modules" / "axe-core" / "package.json"
sys.exit(0 if have.is_file() and json.loads(have.read_text())["version"] == want else 1)
PYEOF
    then return 0; fi
    command -v npm >/dev/null 2>&1 || { echo "test.sh: npm not on PATH (Node.js 20 with npm)" >&2; return 1; }
    echo "== npm ci in $dir (axe-core, exact version of its package-lock.json)"
    (cd "$dir" && npm ci --no-audit --no-fund --loglevel=error)
}

BACKENDS=${BACKENDS:-embedded servers}
case " $BACKENDS " in
    *" servers "*) WITH_SERVERS=1 ;;
    *) WITH_SERVERS="" ;;
esac
if [[ -n $WITH_SERVERS ]]; then
    for tool in initdb pg_ctl; do
        command -v "$tool" >/dev/null 2>&1 || { echo "test.sh: $tool not on PATH (PostgreSQL 15 binaries)" >&2; exit 2; }
    done
fi
ensure_packages
ensure_axe || exit 1
INITDB=$(command -v initdb || true)
PG_CTL=$(command -v pg_ctl || true)
REDIS_SERVER=$(command -v redis-server)

# --- (b, c) temp dir, servers, cleanup -----------------------------------------------------
TMP=$(mktemp -d /tmp/frmr-sso-test.XXXXXX)
PGDATA_DIR=$TMP/pgdata
REDIS_PIDFILE=$TMP/redis.pid

stop_postgres() {
    [[ -f $PGDATA_DIR/postmaster.pid ]] || return 0
    as_postgres "$PG_CTL" -D "$PGDATA_DIR" -m immediate -w -t 30 stop >/dev/null 2>&1 || true
    local pid
    pid=$(head -n 1 "$PGDATA_DIR/postmaster.pid" 2>/dev/null) || return 0
    # Still there (stuck or pg_ctl failed): kill it, but only if the pid is still a postgres.
    if [[ $pid =~ ^[0-9]+$ ]] && grep -q postgres "/proc/$pid/comm" 2>/dev/null; then kill -KILL "$pid" || true; fi
}
stop_redis() {
    local pid
    pid=$(cat "$REDIS_PIDFILE" 2>/dev/null) || return 0
    [[ $pid =~ ^[0-9]+$ ]] || return 0
    # Only our own redis: the pid must still belong to a redis-server process.
    grep -q redis "/proc/$pid/comm" 2>/dev/null || return 0
    kill -TERM "$pid" 2>/dev/null || return 0
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || return 0; sleep 0.2; done
    kill -KILL "$pid" 2>/dev/null || true
}
# shellcheck disable=SC2329  # invoked by the EXIT trap
cleanup() {
    local rc=$?
    set +e
    stop_postgres
    stop_redis
    rm -rf "$TMP"
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
if [[ $EUID -eq 0 ]]; then chown postgres:postgres "$TMP"; fi

init_postgres() {
    local locale
    for locale in C.UTF-8 C; do
        if as_postgres "$INITDB" -D "$PGDATA_DIR" -U postgres --auth=trust -E UTF8 --locale="$locale" \
            >"$TMP/initdb.log" 2>&1; then
            return 0
        fi
        echo "initdb with --locale=$locale failed" >&2
        rm -rf "$PGDATA_DIR"
    done
    cat "$TMP/initdb.log" >&2
    return 1
}

start_postgres() {
    local attempt
    for attempt in 1 2 3; do
        PGPORT=$(free_port)
        if as_postgres "$PG_CTL" -D "$PGDATA_DIR" -l "$TMP/postgres.log" -w -t 60 \
            -o "-p $PGPORT -h 127.0.0.1 -k $TMP -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200" \
            start >/dev/null; then
            return 0
        fi
        echo "PostgreSQL did not start on port $PGPORT (attempt $attempt):" >&2
        tail -n 20 "$TMP/postgres.log" >&2 || true
        stop_postgres
    done
    return 1
}

# Ready when the server on the port answers PING and INFO reports our daemon's pid.
redis_ready() {
    python3 - "$1" "$REDIS_PIDFILE" <<'PYEOF'
import socket, sys, time
port, pidfile = int(sys.argv[1]), sys.argv[2]
deadline = time.monotonic() + 15
while time.monotonic() < deadline:
    try:
        with open(pidfile) as f:
            pid = f.read().strip()
        with socket.create_connection(("127.0.0.1", port), timeout=2) as s:
            s.sendall(b"INFO server\r\n")
            data = b""
            while b"process_id:" not in data or not data.endswith(b"\r\n"):
                chunk = s.recv(65536)
                if not chunk:
                    break
                data += chunk
        if f"process_id:{pid}\r\n".encode() in data:
            sys.exit(0)
    except OSError:
        pass
    time.sleep(0.1)
sys.exit(1)
PYEOF
}

start_redis() {
    local attempt
    mkdir -p "$TMP/redis"
    for attempt in 1 2 3; do
        REDISPORT=$(free_port)
        rm -f "$REDIS_PIDFILE"
        "$REDIS_SERVER" --port "$REDISPORT" --bind 127.0.0.1 --save '' --appendonly no \
            --daemonize yes --pidfile "$REDIS_PIDFILE" --dir "$TMP/redis" --logfile "$TMP/redis.log" \
            && redis_ready "$REDISPORT" && return 0
        echo "Redis did not start on port $REDISPORT (attempt $attempt):" >&2
        tail -n 20 "$TMP/redis.log" >&2 || true
        stop_redis
    done
    return 1
}

# --- lint (in the background, beside the test runs) ----------------------------------------
lint() {
    echo "== ruff check"
    .venv/bin/ruff check . || return 1
    echo "== mypy"
    .venv/bin/mypy
}
if [[ ${SKIP_LINT:-} == 1 ]]; then
    echo "== lint skipped (SKIP_LINT=1)"
else
    lint >"$TMP/lint.log" 2>&1 &
    LINT_PID=$!
fi

if [[ -n $WITH_SERVERS ]]; then
    init_postgres
    start_postgres
    start_redis
    echo "== PostgreSQL on 127.0.0.1:$PGPORT, Redis on 127.0.0.1:$REDISPORT (temp dir $TMP)"
fi

# --- (d) the two runs ---------------------------------------------------------------------
if [[ -t 1 ]]; then export PY_COLORS=1; fi

# start_suite NAME ENV-ARGS... -- runs pytest in the background with its output in $TMP/pytest-NAME.log
# and its exit status in $TMP/pytest-NAME.rc. Each run keeps its failure screenshots apart.
start_suite() {
    local name=$1
    shift
    { env "$@" FRMR_SSO_TEST_ARTEFACTS="artefacts/$name" "$PY" -m pytest --durations=15 "${XDIST[@]}" "${PYTEST_ARGS[@]}" \
        >"$TMP/pytest-$name.log" 2>&1; echo $? >"$TMP/pytest-$name.rc"; } &
    SUITE_PIDS+=("$!")
}

PYTEST_ARGS=("$@")
WORKERS=${TEST_WORKERS:-2}
XDIST=()
if [[ $WORKERS =~ ^[1-9][0-9]*$ ]]; then XDIST=(-n "$WORKERS" --dist loadfile); fi
SUITE_PIDS=()
SUITES=()
case " $BACKENDS " in *" embedded "*)
    SUITES+=(embedded)
    start_suite embedded -u FRMR_SSO_TEST_DATABASE_URL -u FRMR_SSO_TEST_REDIS_URL ;;
esac
if [[ -n $WITH_SERVERS ]]; then
    SUITES+=(servers)
    start_suite servers \
        "FRMR_SSO_TEST_DATABASE_URL=postgresql+asyncpg://postgres@127.0.0.1:$PGPORT/postgres" \
        "FRMR_SSO_TEST_REDIS_URL=redis://127.0.0.1:$REDISPORT/0"
fi
echo "== tests running on: ${SUITES[*]} (output follows when each ends)"
lint_rc=0
if [[ -n ${LINT_PID:-} ]]; then
    wait "$LINT_PID" || lint_rc=1
    cat "$TMP/lint.log"
fi
for index in "${!SUITES[@]}"; do
    name=${SUITES[$index]}
    wait "${SUITE_PIDS[$index]}" || true
    case $name in
        embedded) banner="SQLite + memory KV" ;;
        servers) banner="PostgreSQL + Redis" ;;
    esac
    echo
    echo "== tests on $banner"
    cat "$TMP/pytest-$name.log"
    printf -v "RC_$name" '%s' "$(cat "$TMP/pytest-$name.rc" 2>/dev/null || echo 1)"
done

# --- summary ------------------------------------------------------------------------------
# The pytest result line, e.g. "3 failed, 120 passed, 2 skipped in 12.34s" or "no tests ran in 0.01s".
result_line() {
    sed -E 's/\x1b\[[0-9;]*m//g' "$1" |
        { grep -E '^=* ?(no tests ran|[0-9]+ [a-z]+.*) in [0-9.]+s( \([0-9:]+\))? ?=*$' || true; } |
        tail -n 1 | sed -E 's/^=+ //; s/ =+$//'
}
# count WORDS LINE: the sum of the "<n> <word>" counts in LINE
count() { { grep -oE "\\b[0-9]+ ($1)\\b" <<<"$2" || true; } | awk '{ n += $1 } END { print n + 0 }'; }

passed=0 failed=0 skipped=0 status=0
echo
echo "== summary"
if [[ ${SKIP_LINT:-} != 1 ]]; then
    if [[ $lint_rc -eq 0 ]]; then verdict=ok; else verdict=FAILED status=1; fi
    printf '%-20s %s\n' "lint (ruff, mypy):" "$verdict"
fi
for name in "${SUITES[@]}"; do
    case $name in
        embedded) label="SQLite + memory KV:" ;;
        servers) label="PostgreSQL + Redis:" ;;
    esac
    rc_var="RC_$name"
    rc=${!rc_var}
    line=$(result_line "$TMP/pytest-$name.log")
    passed=$((passed + $(count passed "$line")))
    failed=$((failed + $(count 'failed|errors?' "$line")))
    skipped=$((skipped + $(count skipped "$line")))
    case $rc in
        0) verdict=ok note="" ;;
        5) verdict=FAILED note=" (pytest exit 5: no tests collected)" ;;
        *) verdict=FAILED note=" (pytest exit $rc)" ;;
    esac
    [[ $rc -eq 0 ]] || status=1
    printf '%-20s %-7s%s%s\n' "$label" "$verdict" "${line:-(no pytest result line)}" "$note"
done
total="$passed passed, $failed failed"
if [[ $skipped -gt 0 ]]; then total+=", $skipped skipped"; fi
echo "$total"
exit "$status"
