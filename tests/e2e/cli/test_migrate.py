"""``frmr-sso migrate`` as an operator runs it: a real subprocess."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from tests.e2e.cli.support import clean_env, run


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
