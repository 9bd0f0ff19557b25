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


def test_migrate_to_a_named_revision_goes_down_and_up_again(tmp_path: Path, database_url: str) -> None:
    env = clean_env(FRMR_SSO_MODE="demo", FRMR_SSO_DATABASE_URL=database_url)
    assert run(env, "migrate", cwd=tmp_path).returncode == 0
    down = run(env, "migrate", "--to", "0007", cwd=tmp_path)
    assert down.returncode == 0, down.stderr
    assert down.stdout.strip() == "database schema downgraded to revision 0007"
    same = run(env, "migrate", "--to", "0007", cwd=tmp_path)
    assert same.stdout.strip() == "database schema already at revision 0007"
    if database_url.startswith("sqlite"):
        with sqlite3.connect(database_url.split("///", 1)[1]) as db:
            tables = {row[0] for row in db.execute("select name from sqlite_master where type='table'")}
            [(version,)] = db.execute("select version_num from alembic_version").fetchall()
        assert version == "0007"
        assert "statements" not in tables  # 0008 made it; its downgrade dropped it
    up = run(env, "migrate", cwd=tmp_path)
    assert up.returncode == 0, up.stderr
    unknown = one_line_error(run(env, "migrate", "--to", "9999", cwd=tmp_path))
    assert unknown.startswith("frmr-sso: argument --to: unknown revision '9999' (known: 0001, ")
