"""A demo-mode SQLite database of the test's own for the ``frmr-sso`` commands (modules may override)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.e2e.cli.support import clean_env, ok


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    return clean_env(FRMR_SSO_MODE="demo", FRMR_SSO_DATABASE_URL=f"sqlite+aiosqlite:///{tmp_path / 'cli.db'}")


@pytest.fixture
def migrated(env: dict[str, str]) -> dict[str, str]:
    ok(env, "migrate")
    return env
