"""``frmr-sso subjects links SUBJECT`` and ``frmr-sso subjects unlink SUBJECT CONNECTOR``.

A subject is one person: the upstream identity it was created with, and every
other upstream identity whose verified SNILS is the same, linked at its first
login (audited as ``subject.linked``). ``unlink`` removes the links through one
upstream (audited as ``subject.unlinked``, ``by=cli``); the person's live
sessions stay until they end. If the identity logs in again with the same
verified SNILS it is linked again: unlinking is for a link made in error while
the SNILS at that upstream is corrected.
"""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from frmr_sso.cli.common import fail, operator_context, print_table, with_engine
from frmr_sso.config import Settings
from frmr_sso.storage.ports.subjects import SUBJECT_ID_LENGTH

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncEngine


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    subjects = sub.add_parser("subjects", help="a subject's linked upstream identities")
    actions = subjects.add_subparsers(dest="action", required=True)
    links = actions.add_parser("links", help="list the upstream identities of a subject")
    links.add_argument("subject", help="the broker subject (the sub of its tokens)")
    unlink = actions.add_parser("unlink", help="remove a subject's links through one upstream (audited)")
    unlink.add_argument("subject", help="the broker subject (the sub of its tokens)")
    unlink.add_argument("connector", help="the upstream's name in the upstreams file")


def run(settings: Settings, args: argparse.Namespace) -> int:
    from frmr_sso.audit.events import SUCCESS, Auditor, Event
    from frmr_sso.storage.sql import SqlAuditRepository, SqlSubjectRepository

    subject_id: str = args.subject
    if not 1 <= len(subject_id) <= SUBJECT_ID_LENGTH:
        return fail(f"the subject must be 1-{SUBJECT_ID_LENGTH} characters", 2)

    async def action(engine: AsyncEngine) -> int:
        repo = SqlSubjectRepository(engine)
        subject = await repo.get(subject_id)
        if subject is None:
            return fail(f"no subject {subject_id!r}", 1)
        if args.action == "links":
            rows = [("first", subject.esia_oid, subject.created_at.isoformat(timespec="seconds"))]
            rows += [(link.connector, link.link_key, link.linked_at.isoformat(timespec="seconds"))
                     for link in await repo.links_of(subject_id)]
            print_table([("UPSTREAM", "IDENTITY", "SINCE"), *rows])
            return 0
        removed = await repo.unlink(subject_id, args.connector)
        if removed:
            await Auditor(SqlAuditRepository(engine)).record(
                Event.SUBJECT_UNLINKED, operator_context("subjects unlink"), outcome=SUCCESS,
                subject_id=subject_id, details={"connector": args.connector, "links": removed, "by": "cli"},
            )
            print(f"subject {subject_id!r}: {removed} link(s) through {args.connector!r} removed")
        else:
            print(f"subject {subject_id!r} has no link through {args.connector!r}; nothing removed")
        return 0

    return with_engine(settings, action)
