"""``frmr-sso migrate``: apply the database migrations up to the newest."""

from __future__ import annotations

import argparse

from frmr_sso.cli.common import cause, fail
from frmr_sso.config import Settings
from frmr_sso.storage.errors import StorageError


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    sub.add_parser("migrate", help="apply database migrations up to the newest")


def run(settings: Settings, args: argparse.Namespace) -> int:
    """Exit 0 when the schema is at the newest revision; 1 with one line when the database fails."""
    from frmr_sso.storage.sql.migrate import upgrade

    try:
        upgrade(settings.database_url)
    except StorageError as exc:
        return fail(f"FRMR_SSO_DATABASE_URL: {exc} ({cause(exc)})")
    print("database schema is up to date")
    return 0
