"""The ``frmr-sso`` command as an operator runs it: a real subprocess."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from importlib.metadata import version
from pathlib import Path

import pytest

FRMR_SSO = str(Path(sys.executable).with_name("frmr-sso"))


def _env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("FRMR_SSO_")}
    env.update(extra)
    return env


def _run(*args: str, env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [FRMR_SSO, *args], env=env, cwd=cwd, capture_output=True, text=True, timeout=60, check=False
    )


def test_version_is_the_package_metadata(tmp_path: Path) -> None:
    result = _run("--version", env=_env(), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout == f"frmr-sso {version('frmr-sso')}\n"


@pytest.mark.parametrize(
    ("secret", "message"),
    [(None, "FRMR_SSO_SECRET_KEY is not set"), ("short", "at least 32 characters")],
)
def test_serve_refuses_to_start_without_a_real_secret(
    tmp_path: Path, secret: str | None, message: str
) -> None:
    env = _env(FRMR_SSO_ISSUER="https://sso.example.test")
    if secret is not None:
        env["FRMR_SSO_SECRET_KEY"] = secret
    result = _run("serve", env=env, cwd=tmp_path)
    assert result.returncode == 2
    assert message in result.stderr
    assert "Traceback" not in result.stderr


def test_migrate_creates_the_schema(tmp_path: Path, database_url: str) -> None:
    env = _env(
        FRMR_SSO_MODE="production",
        FRMR_SSO_SECRET_KEY="k" * 40,
        FRMR_SSO_ISSUER="https://sso.example.test",
        FRMR_SSO_DATABASE_URL=database_url,
    )
    first = _run("migrate", env=env, cwd=tmp_path)
    assert first.returncode == 0, first.stderr
    assert "up to date" in first.stdout
    again = _run("migrate", env=env, cwd=tmp_path)
    assert again.returncode == 0, again.stderr
    if database_url.startswith("sqlite"):
        path = database_url.split("///", 1)[1]
        with sqlite3.connect(path) as db:
            tables = {row[0] for row in db.execute("select name from sqlite_master where type='table'")}
        assert {"clients", "signing_keys", "subjects", "audit_events", "alembic_version"} <= tables
