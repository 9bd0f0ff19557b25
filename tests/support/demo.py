"""``frmr-sso demo`` started as a newcomer starts it: a real subprocess on free ports in a fresh folder."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

from tests.support.servers import free_port

FRMR_SSO = str(Path(sys.executable).with_name("frmr-sso"))
DOCTOR, PASSWORD = "+79990000001", "Vrach-2026-Demo!"


@dataclass
class Demo:
    broker: str
    esia: str
    cwd: Path
    process: subprocess.Popen[str]
    output: list[str]


def _wait_ready(url: str, process: subprocess.Popen[str]) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"demo exited early with code {process.returncode}")
        try:
            if httpx.get(url, timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise AssertionError(f"{url} did not become ready")


@contextmanager
def running_demo(cwd: Path, extra_env: dict[str, str] | None = None) -> Iterator[Demo]:
    """``extra_env``: variables the newcomer sets (none by default: every FRMR_SSO_* is removed)."""
    port, esia_port = free_port(), free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("FRMR_SSO_", "MOCK_ESIA_"))}
    env.update(extra_env or {})
    process = subprocess.Popen(
        [FRMR_SSO, "demo", "--port", str(port), "--esia-port", str(esia_port)],
        cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
    )
    output: list[str] = []
    assert process.stdout is not None
    reader = threading.Thread(target=lambda: output.extend(process.stdout or ()), daemon=True)
    reader.start()
    demo = Demo(f"http://127.0.0.1:{port}", f"http://127.0.0.1:{esia_port}", cwd, process, output)
    try:
        _wait_ready(f"{demo.broker}/health/ready", process)
        _wait_ready(f"{demo.esia}/health", process)
        yield demo
    finally:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        reader.join(timeout=10)
        process.stdout.close()
