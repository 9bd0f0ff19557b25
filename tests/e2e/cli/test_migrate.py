"""``frmr-sso migrate`` as an operator runs it: a real subprocess."""

from __future__ import annotations

import socket
import sqlite3
from pathlib import Path

from tests.e2e.cli.support import clean_env, one_line_error, run


def test_migrate_creates_the_schema(tmp_path: Path, database_url: str) -> None:
    env = clean_env(
        FRMR_SSO_MODE="production",
        FRMR_SSO_SECRET_KEY="test-only-secret-key-7d1f3a9c2e5b8046",
        FRMR_SSO_ISSUER="https://sso.example.test",
        FRMR_SSO_DATABASE_URL=database_url,
    )
    first = run(env, "migrate", cwd=tmp_path)
    assert first.returncode == 0, first.stderr
    assert "up to date" in first.stdout
    again = run(env, "migrate", cwd=tmp_path)
    assert again.returncode == 0, again.stderr
    if database_url.startswith("sqlite"):
        path = database_url.split("///", 1)[1]
        with sqlite3.connect(path) as db:
            tables = {row[0] for row in db.execute("select name from sqlite_master where type='table'")}
        assert {"clients", "signing_keys", "subjects", "audit_events", "alembic_version"} <= tables


def test_a_database_that_cannot_be_reached_is_one_line(tmp_path: Path) -> None:
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]
    env = clean_env(FRMR_SSO_MODE="demo", FRMR_SSO_DATABASE_URL=f"postgresql+asyncpg://postgres@127.0.0.1:{port}/x")
    line = one_line_error(run(env, "migrate", cwd=tmp_path), 1)
    assert line.startswith("frmr-sso: FRMR_SSO_DATABASE_URL: database migration failed: ")
    assert f"Connect call failed ('127.0.0.1', {port})" in line
