"""``frmr-sso migrate``: apply the database migrations up to the newest."""

from __future__ import annotations

import argparse

from frmr_sso.config import Settings


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    sub.add_parser("migrate", help="apply database migrations up to the newest")


def run(settings: Settings, args: argparse.Namespace) -> int:
    from frmr_sso.storage.sql.migrate import upgrade

    upgrade(settings.database_url)
    print("database schema is up to date")
    return 0
