"""``frmr-sso audit verify`` and ``frmr-sso audit purge``: the audit chain's operator commands.

``verify`` exits 0 when the chain is intact, 1 at the first broken link (its
record id and what is wrong), 2 when the database cannot be read. ``purge``
deletes records older than ``--older-than`` days in batches, each its own
short transaction that leaves a checkpoint (``frmr_sso.audit.retention``).
"""

from __future__ import annotations

import argparse
from contextlib import aclosing
from datetime import timedelta
from typing import TYPE_CHECKING

from frmr_sso.cli.common import with_engine
from frmr_sso.config import Settings

if TYPE_CHECKING:
    from collections.abc import Callable

    from sqlalchemy.ext.asyncio import AsyncEngine

    from frmr_sso.storage.sql import SqlAuditRepository

MAX_BATCH = 10_000


def _positive(low: int, high: int) -> Callable[[str], int]:
    def parse(text: str) -> int:
        if not text.isascii() or not text.isdigit() or not low <= int(text) <= high:
            raise argparse.ArgumentTypeError(f"must be a whole number from {low} to {high}")
        return int(text)

    return parse


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    audit = sub.add_parser("audit", help="verify the hash-chained audit log; purge old records")
    audit_sub = audit.add_subparsers(dest="action", required=True)
    verify = audit_sub.add_parser("verify", help="recompute every hash; exit 1 at the first broken link")
    verify.add_argument("--batch", type=_positive(1, MAX_BATCH), default=1000, help="records per read")
    purge = audit_sub.add_parser("purge", help="delete records older than --older-than days, in batches")
    purge.add_argument("--older-than", type=_positive(1, 100_000), required=True, metavar="DAYS")
    purge.add_argument("--batch", type=_positive(1, MAX_BATCH), default=1000, help="records per transaction")


def run(settings: Settings, args: argparse.Namespace) -> int:
    from frmr_sso.bootstrap.commands import audit_records

    async def action(engine: AsyncEngine) -> int:
        repo = audit_records(engine)
        return await (_verify(repo, args.batch) if args.action == "verify" else _purge(repo, args))

    return with_engine(settings, action, failure=2)


async def _verify(repo: SqlAuditRepository, batch: int) -> int:
    from frmr_sso.audit.verify import verify_chain

    async with aclosing(repo.chain(batch=batch)) as records:
        report = await verify_chain(records)
    if report.broken is not None:
        print(f"chain broken at record {report.broken.record_id}: {report.broken.detail}")
        print(f"{report.records} records verified before it")
        return 1
    if report.records == 0:
        print("chain intact: 0 records")
        return 0
    start = f"purge checkpoint {report.checkpoint_id}" if report.checkpoint_id else "genesis"
    print(f"chain intact: {report.records} records (ids {report.first_id}..{report.head_id}, from {start})")
    print(f"head: record {report.head_id} hash {report.head_hash}")
    return 0


async def _purge(repo: SqlAuditRepository, args: argparse.Namespace) -> int:
    from frmr_sso.audit.retention import purge_older_than

    result = await purge_older_than(repo, timedelta(days=args.older_than), batch=args.batch, pause=0.01)
    cutoff = result.cutoff.isoformat(timespec="seconds")
    print(f"purged {result.purged} records older than {cutoff} in {result.batches} batches")
    if result.last_purged_id is not None:
        print(f"the chain now starts after record {result.last_purged_id} (checkpoint: audit.purged)")
    return 0
