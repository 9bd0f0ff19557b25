"""frmr-sso benchmark: starts every server, runs every scenario, prints one Markdown table.

Run it through ``bench/run.sh`` (which installs wrk and the node package first). Layout on
the 2-core reference machine, all on 127.0.0.1:

* core 0 (``taskset -c 0``): the server under test — frmr-sso (uvicorn, 1 worker),
  node-oidc-provider (1 node process) or the bare FastAPI ceiling (uvicorn, 1 worker);
* core 1 (``taskset -c 1``): wrk, PostgreSQL, Redis, the mock ESIA and the login driver.

All servers are started once and stay up; scenarios run one after another, so only one
server is under load at a time. For each run the CPU time the server process used is read
from /proc, so the table also says how busy the measured process was (100 % = one core).
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from loopback import require_loopback  # bench/ is the script's directory

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
PY = ROOT / ".venv" / "bin" / "python"
SERVER_CPU, LOAD_CPU = "0", "1"
CLK_TCK = os.sysconf("SC_CLK_TCK")

SERVICE_ID, SERVICE_SECRET = "demo-service", "demo-service-secret"
WEB_ID, WEB_SECRET, WEB_REDIRECT = "demo-web", "demo-web-secret", "http://127.0.0.1:9999/callback"
NODE_SERVICE = ("bench-service", "bench-service-secret")
NODE_WEB = ("bench-web", "bench-web-secret")
DOCTOR_PHONE = "+79990000001"  # the mock's confirmed doctor with an FRMR record and an SMS second factor


def log(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def basic(client_id: str, secret: str) -> str:
    raw = f"{urllib.parse.quote_plus(client_id)}:{urllib.parse.quote_plus(secret)}"
    return base64.b64encode(raw.encode()).decode()


def http(method: str, url: str, data: dict[str, str] | None = None, auth: str | None = None) -> Any:
    body = urllib.parse.urlencode(data).encode() if data is not None else None
    request = urllib.request.Request(url, data=body, method=method)  # noqa: S310 - loopback http:// only
    if body is not None:
        request.add_header("Content-Type", "application/x-www-form-urlencoded")
    if auth:
        request.add_header("Authorization", "Basic " + auth)
    with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310 - loopback only
        return json.loads(response.read())


def cpu_seconds(pid: int) -> float:
    """utime + stime of ``pid`` and its children that were waited for (/proc/<pid>/stat)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLK_TCK


@dataclass
class Proc:
    name: str
    popen: subprocess.Popen[bytes]
    log_path: Path

    @property
    def pid(self) -> int:
        return self.popen.pid


@dataclass
class Stack:
    tmp: Path
    procs: list[Proc] = field(default_factory=list)
    pg_ctl: str | None = None
    pgdata: Path | None = None

    def start(
        self,
        name: str,
        argv: list[str],
        env: dict[str, str] | None = None,
        cpu: str = SERVER_CPU,
        cwd: Path = ROOT,
    ) -> Proc:
        log_path = self.tmp / f"{name}.log"
        popen = subprocess.Popen(  # noqa: S603
            ["taskset", "-c", cpu, *argv],  # noqa: S607 - taskset from PATH
            cwd=cwd,
            env={**os.environ, **(env or {})},
            stdout=log_path.open("wb"),
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        proc = Proc(name, popen, log_path)
        self.procs.append(proc)
        return proc

    def stop(self) -> None:
        for proc in reversed(self.procs):
            if proc.popen.poll() is None:
                os.killpg(proc.pid, signal.SIGTERM)
        for proc in reversed(self.procs):
            try:
                proc.popen.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
        if self.pg_ctl and self.pgdata and (self.pgdata / "postmaster.pid").exists():
            as_postgres(
                [self.pg_ctl, "-D", str(self.pgdata), "-m", "fast", "-w", "stop"], self.tmp, check=False
            )


def as_postgres(argv: list[str], cwd: Path, check: bool = True) -> subprocess.CompletedProcess[bytes]:
    if os.geteuid() == 0:
        argv = ["runuser", "-u", "postgres", "--", *argv]
    return subprocess.run(argv, cwd=cwd, check=check, capture_output=True)  # noqa: S603


def wait_until(what: str, check: Callable[[], bool], proc: Proc | None = None, timeout: float = 90) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and proc.popen.poll() is not None:
            raise RuntimeError(f"{what} exited:\n{proc.log_path.read_text(errors='replace')[-3000:]}")
        try:
            if check():
                return
        except (OSError, urllib.error.URLError, ValueError):
            pass
        time.sleep(0.2)
    tail = proc.log_path.read_text(errors="replace")[-3000:] if proc else ""
    raise RuntimeError(f"{what} not ready after {timeout} s\n{tail}")


def start_postgres(stack: Stack) -> int:
    initdb, pg_ctl = shutil.which("initdb"), shutil.which("pg_ctl")
    if not initdb or not pg_ctl:
        raise SystemExit("initdb/pg_ctl (PostgreSQL 15) not on PATH")
    if os.geteuid() == 0:
        shutil.chown(stack.tmp, "postgres", "postgres")
    pgdata = stack.tmp / "pgdata"
    as_postgres(
        [initdb, "-D", str(pgdata), "-U", "postgres", "--auth=trust", "-E", "UTF8", "--locale=C"], stack.tmp
    )
    port = free_port()
    # Durable settings off, as in scripts/test.sh: the benchmark measures the broker, not fsync.
    options = (
        f"-p {port} -h 127.0.0.1 -k {stack.tmp} -c fsync=off -c synchronous_commit=off "
        "-c full_page_writes=off -c max_connections=200"
    )
    as_postgres(
        [
            "taskset",
            "-c",
            LOAD_CPU,
            pg_ctl,
            "-D",
            str(pgdata),
            "-l",
            str(stack.tmp / "postgres.log"),
            "-w",
            "-t",
            "60",
            "-o",
            options,
            "start",
        ],
        stack.tmp,
    )
    stack.pg_ctl, stack.pgdata = pg_ctl, pgdata
    return port


def start_redis(stack: Stack) -> int:
    port = free_port()
    server = shutil.which("redis-server")
    if not server:
        raise SystemExit("redis-server not on PATH")
    proc = stack.start(
        "redis",
        [
            server,
            "--port",
            str(port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
            "--dir",
            str(stack.tmp),
        ],
        cpu=LOAD_CPU,
    )

    def ping() -> bool:
        with socket.create_connection(("127.0.0.1", port), timeout=1) as s:
            s.sendall(b"PING\r\n")
            return s.recv(16).startswith(b"+PONG")

    wait_until("redis", ping, proc)
    return port


def uvicorn(target: str, port: int, *, factory: bool) -> list[str]:
    argv = [
        str(PY),
        "-m",
        "uvicorn",
        target,
        "--app-dir",
        str(BENCH),
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--workers",
        "1",
        "--no-access-log",
        "--log-level",
        "warning",
        "--loop",
        "uvloop",
        "--http",
        "httptools",
        "--no-proxy-headers",
    ]
    return [*argv, "--factory"] if factory else argv


# -- wrk ----------------------------------------------------------------------------------------


@dataclass
class Result:
    rps: float
    p50_ms: float
    p90_ms: float
    p99_ms: float
    errors: int
    requests: int
    cpu: float  # CPU time of the server process / wall time (1.0 = one core busy)
    note: str = ""

    @property
    def per_cpu(self) -> float:
        """Requests per CPU-second of the server: robust against a shared or throttled core."""
        return self.rps / self.cpu if self.cpu > 0 else 0.0


def wrk(
    url: str,
    script: str,
    env: dict[str, str],
    server: Proc,
    args: argparse.Namespace,
    duration: float | None = None,
) -> Result:
    duration = duration or args.duration
    require_loopback(url)
    argv = [
        "taskset",
        "-c",
        LOAD_CPU,
        "wrk",
        f"-t{args.threads}",
        f"-c{args.connections}",
        f"-d{duration}s",
        "--latency",
        "-s",
        str(BENCH / "wrk" / script),
        url,
    ]
    full_env = {**os.environ, "BENCH_WRK_DIR": str(BENCH / "wrk"), "BENCH_THREADS": str(args.threads), **env}
    before, t0 = cpu_seconds(server.pid), time.monotonic()
    out = subprocess.run(argv, env=full_env, capture_output=True, text=True, check=False)  # noqa: S603
    wall = time.monotonic() - t0
    cpu = (cpu_seconds(server.pid) - before) / wall
    line = next((ln for ln in out.stdout.splitlines() if ln.startswith("BENCH ")), None)
    if out.returncode != 0 or line is None:
        raise RuntimeError(f"wrk failed ({out.returncode}): {out.stdout}\n{out.stderr}")
    requests, duration_us, p50, p90, p99, status_errors, socket_errors = (int(x) for x in line.split()[1:])
    return Result(
        rps=requests / (duration_us / 1e6),
        p50_ms=p50 / 1000,
        p90_ms=p90 / 1000,
        p99_ms=p99 / 1000,
        errors=status_errors + socket_errors,
        requests=requests,
        cpu=cpu,
    )


# -- preparation: tokens ------------------------------------------------------------------------


def mint_broker_refresh_tokens(broker: str, redis_url: str, count: int) -> tuple[list[str], str]:
    """``count`` fresh refresh tokens of demo-web and one access token (scope openid …).

    An authorization code is stored in the broker's KV exactly as the login flow stores it
    (``frmr_sso.oauth.codes.issue``), then redeemed at ``/token`` over HTTP.
    """
    from frmr_sso.oauth import codes
    from frmr_sso.oauth.codes import CodeGrant
    from frmr_sso.storage.kv import open_kv

    async def mint() -> list[str]:
        kv = open_kv(redis_url)
        try:
            grant = CodeGrant(
                client_id=WEB_ID,
                redirect_uri=WEB_REDIRECT,
                scope=("openid", "profile", "snils", "frmr", "offline_access"),
                subject="bench-subject-0001",
                auth_time=int(time.time()),
                claims={
                    "family_name": "Иванова",
                    "given_name": "Мария",
                    "snils": "112-233-445 95",
                    "frmr_person_id": "FRMR-0001",
                },
                nonce="bench-nonce",
                acr="urn:frmr-sso:acr:esia-confirmed",
                amr=("pwd", "sms"),
                session_id="bench-sid",
            )
            return [await codes.issue(kv, grant, 300) for _ in range(count)]
        finally:
            await kv.close()

    refresh, access = [], ""
    auth = basic(WEB_ID, WEB_SECRET)
    for code in asyncio.run(mint()):
        answer = http(
            "POST",
            f"{broker}/token",
            {"grant_type": "authorization_code", "code": code, "redirect_uri": WEB_REDIRECT},
            auth,
        )
        refresh.append(answer["refresh_token"])
        access = answer["access_token"]
    return refresh, access


# -- the brokered login driver ------------------------------------------------------------------

LOGIN_DRIVER = BENCH / "login_driver.py"


def write_accounts(tmp: Path, count: int) -> tuple[Path, Path]:
    """The mock's accounts file with ``count`` copies of the doctor (own phone, e-mail, oid; same SNILS,
    so the same FRMR person), one per virtual browser: each reads only its own SMS from the outbox."""
    import yaml

    source = yaml.safe_load((ROOT / "mock_esia" / "data" / "accounts.yaml").read_text(encoding="utf-8"))
    doctor = next(a for a in source["accounts"] if a["phone"] == DOCTOR_PHONE)
    accounts, logins = [], []
    for i in range(count):
        phone = f"+7998{i:07d}"
        accounts.append(
            {
                **doctor,
                "oid": 2000000000 + i,
                "phone": phone,
                "email": f"bench{i}@example.test",
                "snils": bench_snils(i),
                "contacts": [{"type": "MBT", "vrfStu": "VERIFIED", "value": phone}],
            }
        )
        logins.append({"login": phone, "password": doctor["password"]})
    accounts_file, logins_file = tmp / "accounts.yaml", tmp / "logins.json"
    accounts_file.write_text(yaml.safe_dump({"accounts": accounts}, allow_unicode=True), encoding="utf-8")
    logins_file.write_text(json.dumps(logins), encoding="utf-8")
    return accounts_file, logins_file


def bench_snils(i: int) -> str:
    """A valid SNILS (checksum rule) per bench account: 500-000-000 + i."""
    from frmr_sso.registry.snils import control_number

    first_nine = f"{500_000_000 + i:09d}"
    return f"{first_nine[:3]}-{first_nine[3:6]}-{first_nine[6:]} {control_number(first_nine):02d}"


def seed_registry(database_url: str, count: int) -> None:
    """FRMR records for the bench accounts: the demo doctor's record under each bench SNILS, written
    with the broker's own repository (as ``frmr-sso registry import`` would)."""
    from dataclasses import replace

    from frmr_sso.registry.demo import load_demo_persons
    from frmr_sso.registry.snils import parse_snils
    from frmr_sso.storage.sql import SqlRegistryRepository
    from frmr_sso.storage.sql.engine import create_engine

    doctor = next(p for p in load_demo_persons() if p.snils == parse_snils("112-233-445 95").digits)

    async def seed() -> None:
        engine = create_engine(database_url)
        try:
            repository = SqlRegistryRepository(engine)
            for i in range(count):
                await repository.upsert(
                    replace(doctor, frmr_id=f"FRMR-BENCH-{i:05d}", snils=parse_snils(bench_snils(i)).digits)
                )
        finally:
            await engine.dispose()

    asyncio.run(seed())


def login_run(broker: str, esia: str, server: Proc, args: argparse.Namespace, logins: Path) -> Result:
    require_loopback(broker)
    require_loopback(esia)
    argv = [
        "taskset",
        "-c",
        LOAD_CPU,
        str(PY),
        str(LOGIN_DRIVER),
        "--broker",
        broker,
        "--esia",
        esia,
        "--duration",
        str(args.duration),
        "--concurrency",
        str(args.login_concurrency),
        "--logins",
        str(logins),
    ]
    once = subprocess.run([*argv, "--once"], capture_output=True, text=True, check=False, cwd=ROOT)  # noqa: S603
    if once.returncode != 0:
        raise RuntimeError(f"a single login failed: {once.stdout}\n{once.stderr[-3000:]}")
    before, t0 = cpu_seconds(server.pid), time.monotonic()
    out = subprocess.run(argv, capture_output=True, text=True, check=False, cwd=ROOT)  # noqa: S603
    wall = time.monotonic() - t0
    cpu = (cpu_seconds(server.pid) - before) / wall
    if out.returncode != 0:
        raise RuntimeError(f"login driver failed: {out.stdout}\n{out.stderr}")
    data = json.loads(out.stdout.strip().splitlines()[-1])
    return Result(
        rps=data["rps"],
        p50_ms=data["p50_ms"],
        p90_ms=data["p90_ms"],
        p99_ms=data["p99_ms"],
        errors=data["errors"],
        requests=data["logins"],
        cpu=cpu,
        note=data.get("first_error", ""),
    )


# -- main ---------------------------------------------------------------------------------------


@dataclass
class Row:
    scenario: str
    frmr: Result | None
    node: Result | None = None
    ceiling: Result | None = None
    target: str = ""
    target_check: Callable[[Row], bool | None] | None = None
    vs_ceiling: bool = True


def fmt(result: Result | None) -> str:
    if result is None:
        return "—"
    err = f", **{result.errors} errors**" if result.errors else ""
    return (
        f"{result.rps:,.0f} req/s, {result.p50_ms:.1f} / {result.p90_ms:.1f} / {result.p99_ms:.1f} ms, "
        f"CPU {result.cpu * 100:.0f} % → **{result.per_cpu:,.0f}**{err}"
    )


def ratio(a: Result | None, b: Result | None) -> str:
    if a is None or b is None or b.rps == 0 or b.per_cpu == 0:
        return "—"
    return f"{a.rps / b.rps:.2f}× / **{a.per_cpu / b.per_cpu:.2f}×**"


def table(rows: list[Row], ceiling: Result) -> str:
    lines = [
        "Each cell: requests/s, latency p50 / p90 / p99, the server process's CPU use (100 % = one core) → "
        "**requests per CPU-second of the server process** (req/s ÷ CPU). Ratios: raw req/s / **per CPU-second**.",  # noqa: E501
        "",
        "| scenario | frmr-sso | node-oidc-provider | frmr / node | frmr / ceiling | target | met (per CPU-s) |",  # noqa: E501
        "|---|---|---|---|---|---|---|",
    ]
    for row in rows:
        verdict = (
            ""
            if row.target_check is None
            else {True: "yes", False: "**no**", None: "—"}[row.target_check(row)]
        )
        lines.append(
            f"| {row.scenario} | {fmt(row.frmr)} | {fmt(row.node)} | {ratio(row.frmr, row.node)} | "
            f"{ratio(row.frmr, ceiling) if row.vs_ceiling else '—'} | {row.target} | {verdict} |"
        )
    lines.append(f"| bare FastAPI `GET /ping` (ceiling) | {fmt(ceiling)} | — | — | 1.00× | — | |")
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--duration", type=int, default=10, help="seconds per scenario (default 10)")
    parser.add_argument("--connections", type=int, default=64, help="wrk connections (default 64)")
    parser.add_argument("--threads", type=int, default=2, help="wrk threads (default 2)")
    parser.add_argument("--warmup", type=int, default=2, help="seconds of warm-up per server (default 2)")
    parser.add_argument("--login-concurrency", type=int, default=32, help="parallel logins (default 32)")
    parser.add_argument("--skip-login", action="store_true", help="leave out the brokered login scenario")
    parser.add_argument(
        "--only",
        default="",
        help="comma-separated scenario keys (cc,introspect,refresh,userinfo,discovery,jwks,login)",
    )
    parser.add_argument(
        "--profile",
        default="",
        help="comma-separated scenario keys to run once more under py-spy record (frmr-sso only); folded stacks go to bench/results/profile-<key>.folded",  # noqa: E501
    )
    args = parser.parse_args()
    only = set(filter(None, args.only.split(",")))

    def wanted(key: str) -> bool:
        return not only or key in only

    tmp = Path(tempfile.mkdtemp(prefix="frmr-sso-bench."))
    stack = Stack(tmp)
    try:
        return run(stack, args, wanted)
    finally:
        log("stopping servers")
        stack.stop()
        if os.environ.get("BENCH_KEEP_TMP"):
            log(f"kept {tmp}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)


def run(stack: Stack, args: argparse.Namespace, wanted: Callable[[str], bool]) -> int:
    tmp = stack.tmp
    pg_port, redis_port = start_postgres(stack), start_redis(stack)
    redis_url = f"redis://127.0.0.1:{redis_port}/0"
    log(f"PostgreSQL on 127.0.0.1:{pg_port}, Redis on 127.0.0.1:{redis_port}, temp dir {tmp}")

    # The broker's ESIA client key, its upstreams file and the mock ESIA that knows it.
    from frmr_sso.demo import certificate_hash
    from frmr_sso.upstream.esia_signer import RsaSecretSigner

    signer = RsaSecretSigner.generate()
    key_file = tmp / "esia-client-key.pem"
    key_file.write_bytes(signer.private_key_pem())
    broker_port, esia_port, node_port, ceiling_port = free_port(), free_port(), free_port(), free_port()
    broker, esia = f"http://127.0.0.1:{broker_port}", f"http://127.0.0.1:{esia_port}"
    upstreams = tmp / "upstreams.yaml"
    upstreams.write_text(
        json.dumps(
            {
                "upstreams": [
                    {
                        "name": "esia",
                        "type": "esia",
                        "display_name": "ESIA (mock)",
                        "base_url": esia,
                        "issuer": f"{esia}/",
                        "client_id": "FRMR01",
                        "certificate_hash": certificate_hash(signer),
                        "signer": {"kind": "rsa", "key_file": str(key_file)},
                        "scopes": ["openid", "fullname", "birthdate", "gender", "snils"],
                    }
                ]
            }
        ),
        encoding="utf-8",
    )  # JSON is YAML

    accounts_file, logins_file = write_accounts(tmp, args.login_concurrency)
    mock = stack.start(
        "mock-esia",
        uvicorn("apps:mock_esia", esia_port, factory=True),
        cpu=LOAD_CPU,
        env={
            "BENCH_ESIA_KEY": str(key_file),
            "BENCH_BROKER_URL": broker,
            "MOCK_ESIA_BASE_URL": esia,
            "MOCK_ESIA_ISSUER": f"{esia}/",
            "MOCK_ESIA_PORT": str(esia_port),
            "MOCK_ESIA_LOG_LEVEL": "WARNING",
            "MOCK_ESIA_TOKEN_ALG": "RS256",
            "MOCK_ESIA_ACCOUNTS_FILE": str(accounts_file),
        },
    )
    # Production-like except FRMR_SSO_MODE=demo (seeds the demo clients and runs migrations) and the
    # per-IP rate limits, turned off: every request comes from 127.0.0.1.
    broker_env = {
        "FRMR_SSO_MODE": "demo",
        "FRMR_SSO_ISSUER": broker,
        "FRMR_SSO_PORT": str(broker_port),
        "FRMR_SSO_DATABASE_URL": f"postgresql+asyncpg://postgres@127.0.0.1:{pg_port}/postgres",
        "FRMR_SSO_REDIS_URL": redis_url,
        "FRMR_SSO_UPSTREAMS_FILE": str(upstreams),
        "FRMR_SSO_LOG_LEVEL": "WARNING",
        "FRMR_SSO_RATE_LIMIT_AUTHORIZE_PER_MINUTE": "0",
        "FRMR_SSO_RATE_LIMIT_CALLBACK_PER_MINUTE": "0",
        "FRMR_SSO_RATE_LIMIT_TOKEN_PER_MINUTE": "0",
        "FRMR_SSO_RATE_LIMIT_SECOND_FACTOR_PER_MINUTE": "0",
        "FRMR_SSO_LOCKOUT_IP_MAX_FAILURES": "100000",
    }
    frmr = stack.start("frmr-sso", uvicorn("apps:broker", broker_port, factory=True), env=broker_env)
    node_tokens = tmp / "node-refresh-tokens.txt"
    node = stack.start(
        "node-oidc-provider",
        ["node", str(BENCH / "node" / "server.mjs"), str(node_port), str(node_tokens)],
        env={"BENCH_REFRESH_TOKENS": str(max(4 * args.connections, 256)), "NODE_ENV": "production"},
        cwd=BENCH / "node",
    )
    ceiling = stack.start("ceiling", uvicorn("ceiling:app", ceiling_port, factory=False))

    def ok(url: str) -> bool:
        with urllib.request.urlopen(url, timeout=2) as r:  # noqa: S310
            return bool(r.status == 200)

    wait_until("frmr-sso", lambda: ok(f"{broker}/health/ready"), frmr)
    wait_until(
        "mock ESIA", lambda: socket.create_connection(("127.0.0.1", esia_port), 1).close() is None, mock
    )
    wait_until(
        "node-oidc-provider",
        lambda: (
            node_tokens.exists()
            and node_tokens.stat().st_size > 0
            and ok(f"http://127.0.0.1:{node_port}/jwks")
        ),
        node,
    )
    wait_until("ceiling", lambda: ok(f"http://127.0.0.1:{ceiling_port}/ping"), ceiling)
    time.sleep(1)  # node writes the tokens file in one call; let it finish
    log("all servers up")

    svc, node_svc = basic(SERVICE_ID, SERVICE_SECRET), basic(*NODE_SERVICE)
    frmr_cc_token = http("POST", f"{broker}/token", {"grant_type": "client_credentials"}, svc)["access_token"]
    node_opaque = http(
        "POST",
        f"http://127.0.0.1:{node_port}/token",
        {"grant_type": "client_credentials", "scope": "frmr"},
        node_svc,
    )["access_token"]
    frmr_refresh, frmr_access = mint_broker_refresh_tokens(broker, redis_url, max(4 * args.connections, 256))
    (tmp / "frmr-refresh-tokens.txt").write_text("\n".join(frmr_refresh) + "\n")
    node_refresh_first = node_tokens.read_text().split()[0]
    node_user_access = http(
        "POST",
        f"http://127.0.0.1:{node_port}/token",
        {"grant_type": "refresh_token", "refresh_token": node_refresh_first},
        basic(*NODE_WEB),
    )["access_token"]
    # The first node token is used now; rotation gave a new one, so drop it from the wrk file.
    node_tokens.write_text("\n".join(node_tokens.read_text().split()[1:]) + "\n")

    nd = f"http://127.0.0.1:{node_port}"
    log(f"warm-up {args.warmup} s per server")
    wrk(f"{broker}/token", "client_credentials.lua", {"BENCH_BASIC": svc}, frmr, args, duration=args.warmup)
    wrk(
        f"{nd}/token",
        "client_credentials.lua",
        {"BENCH_BASIC": node_svc, "BENCH_BODY": "&scope=frmr"},
        node,
        args,
        duration=args.warmup,
    )
    wrk(f"http://127.0.0.1:{ceiling_port}/ping", "get.lua", {}, ceiling, args, duration=args.warmup)

    rows: list[Row] = []

    def measure(key: str, label: str, fn: Callable[[], Row]) -> None:
        if not wanted(key):
            return
        log(f"scenario {label}")
        row = fn()
        rows.append(row)
        if key in args.profile.split(","):
            if key == "refresh":  # the measured run used every token once: profile rotations, not reuse
                fresh, _ = mint_broker_refresh_tokens(broker, redis_url, max(4 * args.connections, 256))
                (tmp / "frmr-refresh-tokens.txt").write_text("\n".join(fresh) + "\n")
            profile(key, fn)

    def profile(key: str, fn: Callable[[], Row]) -> None:
        py_spy = ROOT / ".venv" / "bin" / "py-spy"
        if not py_spy.exists():
            log("py-spy not installed in .venv; no profile")
            return
        out = tmp / f"profile-{key}"
        rec = subprocess.Popen(  # noqa: S603
            [
                str(py_spy),
                "record",
                "-p",
                str(frmr.pid),
                "-d",
                str(args.duration),
                "-r",
                "200",
                "-f",
                "raw",
                "-o",
                str(out) + ".txt",
                "--nonblocking",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        fn()
        rec.wait()
        dest = BENCH / "results"
        dest.mkdir(exist_ok=True)
        shutil.copy(str(out) + ".txt", dest / f"profile-{key}.folded")
        log(f"profile of {key}: bench/results/profile-{key}.folded")

    def at_least(threshold: float) -> Callable[[Row], bool | None]:
        return lambda r: (
            None if r.frmr is None or r.node is None else r.frmr.per_cpu / r.node.per_cpu >= threshold
        )

    measure(
        "cc",
        "client_credentials",
        lambda: Row(
            "client_credentials `POST /token` (frmr: JWT RS256; node: JWT RS256 via resource indicator)",
            wrk(f"{broker}/token", "client_credentials.lua", {"BENCH_BASIC": svc}, frmr, args),
            wrk(
                f"{nd}/token",
                "client_credentials.lua",
                {"BENCH_BASIC": node_svc, "BENCH_BODY": "&scope=frmr&resource=urn%3Abench%3Aapi"},
                node,
                args,
            ),
            target="≥ 1.0× node",
            target_check=at_least(1.0),
        ),
    )
    measure(
        "cc",
        "client_credentials (node opaque)",
        lambda: Row(
            "client_credentials, node with its default opaque token (in-memory store)",
            None,
            wrk(
                f"{nd}/token",
                "client_credentials.lua",
                {"BENCH_BASIC": node_svc, "BENCH_BODY": "&scope=frmr"},
                node,
                args,
            ),
        ),
    )
    measure(
        "refresh",
        "refresh_token",
        lambda: Row(
            "refresh_token with rotation `POST /token` (frmr: PostgreSQL; node: in-memory adapter)",
            wrk(
                f"{broker}/token",
                "refresh.lua",
                {
                    "BENCH_BASIC": basic(WEB_ID, WEB_SECRET),
                    "BENCH_TOKENS_FILE": str(tmp / "frmr-refresh-tokens.txt"),
                },
                frmr,
                args,
            ),
            wrk(
                f"{nd}/token",
                "refresh.lua",
                {"BENCH_BASIC": basic(*NODE_WEB), "BENCH_TOKENS_FILE": str(node_tokens)},
                node,
                args,
            ),
            target="≥ 1.0× node",
            target_check=at_least(1.0),
        ),
    )
    measure(
        "introspect",
        "introspection",
        lambda: Row(
            "introspection `POST /introspect` of a client_credentials token (frmr: JWT; node: opaque)",
            wrk(
                f"{broker}/introspect",
                "introspect.lua",
                {"BENCH_BASIC": svc, "BENCH_TOKEN": frmr_cc_token},
                frmr,
                args,
            ),
            wrk(
                f"{nd}/token/introspection",
                "introspect.lua",
                {"BENCH_BASIC": node_svc, "BENCH_TOKEN": node_opaque},
                node,
                args,
            ),
            target="≥ 1.0× node",
            target_check=at_least(1.0),
        ),
    )
    measure(
        "userinfo",
        "userinfo",
        lambda: Row(
            "userinfo `GET` with a Bearer access token",
            wrk(f"{broker}/userinfo", "bearer.lua", {"BENCH_TOKEN": frmr_access}, frmr, args),
            wrk(f"{nd}/me", "bearer.lua", {"BENCH_TOKEN": node_user_access}, node, args),
        ),
    )
    measure(
        "discovery",
        "discovery",
        lambda: Row(
            "discovery `GET /.well-known/openid-configuration`",
            wrk(f"{broker}/.well-known/openid-configuration", "get.lua", {}, frmr, args),
            wrk(f"{nd}/.well-known/openid-configuration", "get.lua", {}, node, args),
        ),
    )
    measure(
        "jwks",
        "JWKS",
        lambda: Row(
            "JWKS `GET /jwks`",
            wrk(f"{broker}/jwks", "get.lua", {}, frmr, args),
            wrk(f"{nd}/jwks", "get.lua", {}, node, args),
        ),
    )
    if not args.skip_login and wanted("login"):
        seed_registry(broker_env["FRMR_SSO_DATABASE_URL"], args.login_concurrency)
        measure(
            "login",
            "brokered login",
            lambda: Row(
                "full brokered login (authorize → mock ESIA RS256, password + SMS → callback → token), logins/s",  # noqa: E501
                login_run(broker, esia, frmr, args, logins_file),
                None,
                target="≥ 200 /s per broker process",
                target_check=lambda r: None if r.frmr is None else r.frmr.per_cpu >= 200,
                vs_ceiling=False,
            ),
        )
    log("scenario ceiling")
    ceiling_result = wrk(f"http://127.0.0.1:{ceiling_port}/ping", "get.lua", {}, ceiling, args)

    header = (
        f"Measured {datetime.now(UTC):%Y-%m-%d %H:%M} UTC on {os.uname().nodename}, nproc={os.cpu_count()}, "
        f"wrk -t{args.threads} -c{args.connections} -d{args.duration}s; servers pinned to CPU {SERVER_CPU} "
        f"(one process each), wrk/PostgreSQL/Redis/mock ESIA/login driver on CPU {LOAD_CPU}."
    )
    load = os.getloadavg()
    header += (
        f" Load average at the end: {load[0]:.1f} / {load[1]:.1f} / {load[2]:.1f} "
        "(above 2 means other processes shared the cores: read the per-CPU-second columns)."
    )
    text = header + "\n\n" + table(rows, ceiling_result) + "\n"
    notes = [f"- {r.scenario}: {r.frmr.note}" for r in rows if r.frmr and r.frmr.note]
    if notes:
        text += "\nNotes:\n" + "\n".join(notes) + "\n"
    print(text)
    (BENCH / "results").mkdir(exist_ok=True)
    (BENCH / "results" / "latest.md").write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
