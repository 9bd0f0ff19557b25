"""Load runs and CPU accounting: ``wrk`` against one URL, the brokered-login driver.

Each run reads the server process's CPU time (utime + stime from ``/proc/<pid>/stat``) before
and after, so a ``Result`` carries both the wall throughput and the requests per CPU-second of
the server: the fair per-process figure when the core is shared with other work. Load
generators run on ``LOAD_CPU``; every target passes ``loopback.require_loopback`` first.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

from loopback import require_loopback  # bench/ is the script's directory
from stack import BENCH, LOAD_CPU, PY, ROOT, Proc

CLK_TCK = os.sysconf("SC_CLK_TCK")
LOGIN_DRIVER = BENCH / "login_driver.py"


def cpu_seconds(pid: int) -> float:
    """utime + stime of ``pid`` and its children that were waited for (/proc/<pid>/stat)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLK_TCK


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
    requests, duration_us, p50, p90, p99, *errors = (int(x) for x in line.split()[1:])
    return Result(
        rps=requests / (duration_us / 1e6),
        p50_ms=p50 / 1000,
        p90_ms=p90 / 1000,
        p99_ms=p99 / 1000,
        errors=sum(errors),
        requests=requests,
        cpu=cpu,
        note=error_kinds(errors),
    )


def error_kinds(counts: list[int]) -> str:
    """What wrk's errors were: answers outside 2xx/3xx, or connect/read/write failures and timeouts."""
    kinds = ("status not 2xx/3xx", "connect", "read", "write", "timeout (no answer within 2 s)")
    return ", ".join(f"{n} {kind}" for n, kind in zip(counts, kinds, strict=True) if n)


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


def login_steps(
    broker: str, esia: str, server: Proc, logins: Path, count: int
) -> dict[str, dict[str, float]]:
    """``count`` logins one after another (one browser): the broker's ms of CPU per login by step,
    and the writes it sent per login to each peer port (``login_driver.writes_by_peer``)."""
    argv = [
        "taskset", "-c", LOAD_CPU, str(PY), str(LOGIN_DRIVER), "--broker", require_loopback(broker),
        "--esia", require_loopback(esia), "--logins", str(logins), "--concurrency", "1",
        "--steps", str(count), "--broker-pid", str(server.pid),
    ]
    out = subprocess.run(argv, capture_output=True, text=True, check=False, cwd=ROOT)  # noqa: S603
    if out.returncode != 0:
        raise RuntimeError(f"login driver (steps) failed: {out.stdout}\n{out.stderr[-3000:]}")
    data: dict[str, dict[str, float]] = json.loads(out.stdout.strip().splitlines()[-1])
    return data
