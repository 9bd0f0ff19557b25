"""``frmr-sso migrate [--to REVISION]``: the database schema at the newest revision, or at a named one.

``--to`` an older revision runs the newer revisions' downgrade steps (which may drop what they added:
back up first); the version that wrote those revisions must run it.
"""

from __future__ import annotations

import argparse

from frmr_sso.cli.common import cause, fail
from frmr_sso.config import Settings
from frmr_sso.storage.errors import StorageError


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    migrate = sub.add_parser("migrate", help="apply database migrations up to the newest (or --to one)")
    migrate.add_argument("--to", metavar="REVISION", default=None,
                         help="upgrade or downgrade to this revision, e.g. 0008 (default: the newest)")


def run(settings: Settings, args: argparse.Namespace) -> int:
    """Exit 0 when the schema is at the newest revision; 1 with one line when the database fails."""
    from frmr_sso.storage.sql.migrate import known_revisions, migrate_to, upgrade

    if args.to is not None and args.to not in known_revisions():
        return fail(f"argument --to: unknown revision {args.to!r} (known: {', '.join(known_revisions())})", 2)
    try:
        if args.to is None:
            upgrade(settings.database_url)
            print("database schema is up to date")
        else:
            done = migrate_to(settings.database_url, args.to)
            said = "already at" if done == "unchanged" else f"{done} to"
            print(f"database schema {said} revision {args.to}")
    except StorageError as exc:
        return fail(f"FRMR_SSO_DATABASE_URL: {exc} ({cause(exc)})")
    return 0
