"""The benchmark's processes: free loopback ports, pinned subprocesses, PostgreSQL and Redis.

Every process is started under ``taskset``: servers under test on ``SERVER_CPU``, everything
else (load generators, PostgreSQL, Redis, the mock ESIA) on ``LOAD_CPU``. ``Stack.stop`` ends
what it started (process groups, then ``pg_ctl stop``). Also used by ``bench/scale/scale.py``.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
PY = ROOT / ".venv" / "bin" / "python"
SERVER_CPU, LOAD_CPU = "0", "1"


def log(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


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
