"""``frmr-sso registry import FILE``: upsert FRMR records from JSON, JSON Lines or CSV."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING

from frmr_sso.cli.common import admin_audit, fail, with_engine
from frmr_sso.config import Settings
from frmr_sso.registry.sections import SECTIONS

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncEngine


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    registry = sub.add_parser("registry", help="the FRMR registry")
    registry_sub = registry.add_subparsers(dest="action", required=True)
    load = registry_sub.add_parser("import", help="upsert FRMR records: JSON, JSON Lines or CSV")
    load.add_argument("file", type=Path)
    load.add_argument("--section", choices=["persons", *SECTIONS], default=None,
                      help="what a CSV file holds (default: its name, e.g. courses.csv)")
    load.add_argument("--batch-size", type=_batch_size, default=500, help="persons per transaction (1-1000)")


def _batch_size(text: str) -> int:
    if not text.isdigit() or not 1 <= int(text) <= 1000:
        raise argparse.ArgumentTypeError("must be a whole number from 1 to 1000")
    return int(text)


def run(settings: Settings, args: argparse.Namespace) -> int:
    """Exit 0: every record imported; 1: some skipped; 2: the file is unreadable or not what its name says."""
    from frmr_sso.bootstrap.commands import registry_records
    from frmr_sso.registry.import_run import plan_import, records_of, run_import
    from frmr_sso.registry.json_stream import UnreadableFile
    from frmr_sso.storage.kv import open_kv

    async def action(engine: AsyncEngine) -> int:
        kv = open_kv(settings.redis_url)  # running instances on Redis see the import at once
        try:
            writer = registry_records(engine, kv)
            report = await run_import(plan, records, writer, batch_size=args.batch_size)
        finally:
            await kv.close()
        counts: dict[str, object] = {"imported": report.imported, "skipped": report.skipped,
                                     "stopped": bool(report.fatal)}
        await admin_audit(engine, "REGISTRY_IMPORTED", "registry import", details=counts)
        print(report.summary())
        if report.fatal:
            return fail(f"{args.file}: {report.fatal}", 2)
        return 1 if report.skipped else 0

    try:
        plan = plan_import(args.file, args.section)  # the whole file is read once before anything is written
        with records_of(plan) as records:
            return with_engine(settings, action)
    except UnreadableFile as exc:
        return fail(f"{args.file}: {exc}", 2)
