"""The Makefile's entry points, read with `make -n` (nothing runs)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
pytestmark = pytest.mark.skipif(shutil.which("make") is None, reason="make is not installed")


def planned(*arguments: str) -> list[str]:
    result = subprocess.run(
        ["make", "-n", "-C", str(ROOT), *arguments], capture_output=True, text=True, check=True, timeout=30
    )
    return result.stdout.splitlines()


def test_make_run_passes_its_arguments_to_the_demo() -> None:
    lines = planned("run", "ARGS=--port 18000 --esia-port 18001")
    assert any(line.endswith("frmr-sso demo --port 18000 --esia-port 18001") for line in lines), lines


def test_make_test_fast_runs_only_the_embedded_backend() -> None:
    lines = planned("test-fast", "ARGS=-x tests/unit")
    runs = [line for line in lines if "scripts/test.sh -x tests/unit" in line]
    assert runs, lines
    assert "BACKENDS=embedded" in runs[0]


def test_the_install_takes_the_lock_with_hashes_only() -> None:
    lines = [line for line in planned("-B", "venv") if "pip install" in line]
    assert lines
    assert "--require-hashes --no-deps -r requirements/dev.txt" in lines[0]
    assert all("--no-deps" in line for line in lines), "nothing is resolved outside the lock"
