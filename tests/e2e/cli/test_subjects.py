"""``frmr-sso subjects …`` as an operator runs it: real subprocesses against a migrated database."""

from __future__ import annotations

import asyncio

from frmr_sso.storage.ports import AuditRecord
from frmr_sso.storage.sql import SqlAuditRepository, SqlSubjectRepository, create_engine
from tests.e2e.cli.support import ok, one_line_error, run


def _linked_subject(url: str) -> str:
    async def seed() -> str:
        engine = create_engine(url)
        try:
            repo = SqlSubjectRepository(engine)
            first = await repo.for_login("1000299353", connector="esia", snils_hash="h")
            await repo.for_login("partner:4711", connector="partner", snils_hash="h")
            return first.subject.id
        finally:
            await engine.dispose()

    return asyncio.run(seed())


def _state(url: str, subject: str) -> tuple[list[str], list[AuditRecord]]:
    async def read() -> tuple[list[str], list[AuditRecord]]:
        engine = create_engine(url)
        try:
            links = await SqlSubjectRepository(engine).links_of(subject)
            return [link.connector for link in links], await SqlAuditRepository(engine).list()
        finally:
            await engine.dispose()

    return asyncio.run(read())


def test_links_lists_and_unlink_removes_one_upstream_audited(migrated: dict[str, str]) -> None:
    url = migrated["FRMR_SSO_DATABASE_URL"]
    subject = _linked_subject(url)
    listed = ok(migrated, "subjects", "links", subject).splitlines()
    assert listed[0].split() == ["UPSTREAM", "IDENTITY", "SINCE"]
    assert [line.split()[:2] for line in listed[1:]] == [["first", "1000299353"], ["partner", "partner:4711"]]

    assert "1 link(s) through 'partner' removed" in ok(migrated, "subjects", "unlink", subject, "partner")
    assert "nothing removed" in ok(migrated, "subjects", "unlink", subject, "partner")
    links, records = _state(url, subject)
    assert links == []
    [unlinked] = [r for r in records if r.event_type == "subject.unlinked"]
    assert unlinked.subject_id == subject
    assert unlinked.details == {"connector": "partner", "links": 1, "by": "cli"}
    assert str(unlinked.user_agent).startswith("frmr-sso subjects unlink (")


def test_an_unknown_subject_is_one_line(migrated: dict[str, str]) -> None:
    assert "no subject" in one_line_error(run(migrated, "subjects", "links", "nobody"), 1)
    assert one_line_error(run(migrated, "subjects", "unlink", "x" * 40, "partner"), 2)
