"""``frmr-sso secrets reseal``: move every durable sealed value to the current secret key (audited).

Exit 0 when every value now opens under the current key, 1 when some opened
under no accepted key (left as they were), 2 when the database cannot be read.
"""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING

from frmr_sso.cli.audit import _positive
from frmr_sso.cli.common import operator_context, print_table, with_engine
from frmr_sso.config import Settings

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncEngine

_HEADER = ("values", "resealed", "already current", "changed meanwhile", "unreadable")
_AFTER = (
    "values kept in the key-value store (sessions, logins waiting for the second factor) are not "
    "rewritten: keep the previous key in FRMR_SSO_PREVIOUS_SECRET_KEYS until they expire "
    "(FRMR_SSO_SESSION_ABSOLUTE_TTL); recovery codes and SNILS hashes keyed under it match only "
    "while it is listed (a SNILS hash is re-keyed at the person's next login)"
)


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    secrets = sub.add_parser("secrets", help="values sealed under FRMR_SSO_SECRET_KEY")
    actions = secrets.add_subparsers(dest="action", required=True)
    reseal = actions.add_parser("reseal", help="re-encrypt every sealed value under the current secret key")
    reseal.add_argument("--batch", type=_positive(1, 10_000), default=100, help="values per transaction")


def run(settings: Settings, args: argparse.Namespace) -> int:
    from frmr_sso.audit.events import Event
    from frmr_sso.bootstrap.commands import command_auditor
    from frmr_sso.security.crypto import SecretKeys
    from frmr_sso.security.reseal import reseal_all
    from frmr_sso.storage.sql.sealed import sealed_columns

    async def action(engine: AsyncEngine) -> int:
        keys = SecretKeys.from_settings(settings)
        counts = await reseal_all(sealed_columns(engine), keys, batch_size=args.batch)
        details: dict[str, object] = {
            c.kind: {"resealed": c.resealed, "unreadable": c.unreadable} for c in counts
        }
        context = operator_context("secrets reseal")
        await command_auditor(engine).record(Event.SECRETS_RESEALED, context, details=details)
        rows: list[tuple[str, ...]] = [_HEADER]
        rows += [(c.kind, *map(str, (c.resealed, c.current, c.changed, c.unreadable))) for c in counts]
        print_table(rows)
        print(f"note: {_AFTER}")
        if any(c.unreadable for c in counts):
            print("frmr-sso: some values open under no accepted secret key (see 'unreadable'); "
                  "add the key they were sealed with to FRMR_SSO_PREVIOUS_SECRET_KEYS", file=sys.stderr)
            return 1
        return 0

    return with_engine(settings, action, failure=2)
