"""``frmr-sso 2fa reset SUBJECT``: forget a subject's authenticator, recovery codes and passkeys (audited).

The person enrols a new authenticator at the next login that needs the broker's
second factor. Also ``POST /api/v1/admin/second-factor/reset`` with an
``admin``-scope token.
"""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from frmr_sso.cli.common import fail, operator_context, with_engine
from frmr_sso.config import Settings

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncEngine


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    second_factor = sub.add_parser("2fa", help="the broker's own second factor (TOTP, passkeys)")
    actions = second_factor.add_subparsers(dest="action", required=True)
    reset = actions.add_parser(
        "reset", help="forget a subject's authenticator and passkeys; it enrols again (audited)"
    )
    reset.add_argument("subject", help="the broker subject (the sub of its tokens)")


def run(settings: Settings, args: argparse.Namespace) -> int:
    from frmr_sso.bootstrap.commands import command_auditor, command_second_factor
    from frmr_sso.second_factor.credentials import reset_second_factor
    from frmr_sso.storage.kv import open_kv

    subject: str = args.subject
    if not 1 <= len(subject) <= 128:
        return fail("the subject must be 1-128 characters", 2)

    async def action(engine: AsyncEngine) -> int:
        kv = open_kv(settings.redis_url)
        try:
            auditor = command_auditor(engine)
            credentials, passkeys = command_second_factor(settings, engine, kv, auditor)
            context = operator_context("2fa reset")
            was_enrolled = await reset_second_factor(
                credentials, auditor, subject, context, by="cli", passkeys=passkeys
            )
        finally:
            await kv.close()
        if was_enrolled:
            print(f"subject {subject!r}: authenticator, recovery codes and passkeys removed; enrols again")
        else:
            print(f"subject {subject!r} had no authenticator or passkey; nothing removed")
        return 0

    return with_engine(settings, action)
