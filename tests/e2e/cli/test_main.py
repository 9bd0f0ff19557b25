"""``frmr-sso`` itself: its version."""

from __future__ import annotations

from importlib.metadata import version
from pathlib import Path

from tests.e2e.cli.support import clean_env, run


def test_version_is_the_package_metadata(tmp_path: Path) -> None:
    result = run(clean_env(), "--version", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout == f"frmr-sso {version('frmr-sso')}\n"
