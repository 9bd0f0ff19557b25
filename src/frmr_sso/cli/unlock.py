"""``frmr-sso unlock (--client ID | --subject ID | --ip IP)``: lift a lock, audited as ``*.unlocked``.

Locks live in the shared Redis (``FRMR_SSO_REDIS_URL``); without it they live
inside the broker process, which only ``POST /api/v1/admin/unlock`` can reach.
"""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from frmr_sso.cli.common import fail, operator_context, with_engine
from frmr_sso.config import Settings

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncEngine


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    unlock = sub.add_parser("unlock", help="lift the lockout of a client, subject or IP (audited)")
    target = unlock.add_mutually_exclusive_group(required=True)
    target.add_argument("--client", metavar="ID", help="a client_id locked after wrong secrets")
    target.add_argument("--subject", metavar="ID", help="a broker subject locked after wrong codes")
    target.add_argument("--ip", metavar="IP", help="a client IP address")


def run(settings: Settings, args: argparse.Namespace) -> int:
    from frmr_sso.bootstrap.commands import command_security
    from frmr_sso.security.services import LockKind
    from frmr_sso.storage.kv import open_kv

    if not settings.redis_url:
        return fail("locks are kept in the broker process without FRMR_SSO_REDIS_URL; "
                    "use POST /api/v1/admin/unlock")
    kind: LockKind = "client" if args.client else "subject" if args.subject else "ip"
    key: str = args.client or args.subject or args.ip

    async def action(engine: AsyncEngine) -> int:
        kv = open_kv(settings.redis_url)
        try:
            security = command_security(settings, kv, engine)
            was_locked = await security.unlock(kind, key, operator_context("unlock"), by="cli")
        finally:
            await kv.close()
        print(f"{kind} {key!r} " + ("unlocked" if was_locked else "was not locked; failures cleared"))
        return 0

    return with_engine(settings, action)

