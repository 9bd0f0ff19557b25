"""bench/ generates load only on loopback: any other target stops it before a request is sent."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[1] / "bench"


def check(*targets: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(BENCH / "loopback.py"), *targets],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_loopback_targets_pass() -> None:
    assert (
        check(
            "127.0.0.1", "http://127.0.0.1:8000/token", "http://localhost:1/", "http://[::1]:80/"
        ).returncode
        == 0
    )


@pytest.mark.parametrize(
    "target", ["http://10.0.0.1:8000/", "192.0.2.7", "http://[2001:db8::1]/", "http:///x"]
)
def test_other_targets_are_refused(target: str) -> None:
    result = check(target)
    assert result.returncode == 2
    assert "refusing to run against" in result.stderr


def test_the_login_driver_refuses_a_remote_broker(tmp_path: Path) -> None:
    result = subprocess.run(
        [
            sys.executable,
            str(BENCH / "login_driver.py"),
            "--broker",
            "http://192.0.2.1:8000",
            "--esia",
            "http://127.0.0.1:1",
            "--logins",
            str(tmp_path / "none.json"),
        ],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 2
    assert "refusing to run against 'http://192.0.2.1:8000'" in result.stderr
