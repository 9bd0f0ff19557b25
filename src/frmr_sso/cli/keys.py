"""``frmr-sso keys rotate|list``: the token signing keys."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from frmr_sso.cli.common import operator_context, print_table, with_engine
from frmr_sso.config import Settings

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncEngine


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    keys = sub.add_parser("keys", help="token signing keys")
    keys_sub = keys.add_subparsers(dest="action", required=True)
    rotate = keys_sub.add_parser("rotate", help="new active key; the previous one stays in the JWKS")
    rotate.add_argument("--alg", choices=["RS256", "ES256"], default=None, help="default: both")
    keys_sub.add_parser("list", help="every key with its status")


def run(settings: Settings, args: argparse.Namespace) -> int:
    from frmr_sso.bootstrap.resources import build_key_ring

    async def action(engine: AsyncEngine) -> int:
        ring = build_key_ring(settings, engine)
        if args.action == "rotate":
            from frmr_sso.bootstrap.commands import command_auditor

            auditor, context = command_auditor(engine), operator_context("keys rotate")
            for record in await ring.rotate(args.alg, auditor=auditor, context=context):
                print(f"{record.alg}: new active key {record.kid}")
            delay = int(ring.activation_delay.total_seconds())
            if delay:
                print(f"running instances publish it at once and sign with it after {delay} s")
            print(f"previous keys stay in the JWKS for {int(ring.retention.total_seconds())} s")
            return 0
        rows: list[tuple[str, ...]] = [("kid", "alg", "status", "created", "not after")]
        for k in await ring.list_keys():
            not_after = k.not_after.isoformat(timespec="seconds") if k.not_after else "-"
            rows.append((k.kid, k.alg, k.status, k.created_at.isoformat(timespec="seconds"), not_after))
        print_table(rows)
        return 0

    return with_engine(settings, action)
