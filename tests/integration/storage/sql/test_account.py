"""Consents and a person's login history in SQL, on both backends."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from frmr_sso.storage.ports import AuditRecord
from frmr_sso.storage.sql import SqlAuditRepository
from frmr_sso.storage.sql.account import SqlConsentRepository, SqlPersonAuditReader, person_events_statement

NOW = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)
LOGINS = frozenset({"login.success", "second_factor.code_rejected"})


@pytest.fixture
def consents(engine: AsyncEngine) -> SqlConsentRepository:
    return SqlConsentRepository(engine)


async def test_a_consent_remembers_every_scope_allowed_until_revoked(consents: SqlConsentRepository) -> None:
    assert await consents.get("me", "app") is None
    first = await consents.grant("me", "app", ("openid", "frmr"), at=NOW)
    assert (first.scopes, first.granted_at, first.updated_at) == (("openid", "frmr"), NOW, NOW)
    later = NOW + timedelta(hours=1)
    wider = await consents.grant("me", "app", ("openid", "snils"), at=later)
    assert (wider.scopes, wider.granted_at, wider.updated_at) == (("openid", "frmr", "snils"), NOW, later)
    assert await consents.get("me", "app") == wider
    await consents.grant("me", "other", ("openid",), at=NOW)
    await consents.grant("someone", "app", ("openid",), at=NOW)
    assert [c.client_id for c in await consents.list_for("me")] == ["app", "other"]  # latest change first
    assert await consents.revoke("me", "app") is True
    assert await consents.revoke("me", "app") is False
    assert await consents.get("me", "app") is None
    assert await consents.get("someone", "app") is not None


async def test_consents_given_at_once_all_count(consents: SqlConsentRepository) -> None:
    scopes = [("openid", s) for s in ("profile", "frmr", "snils", "offline_access")]
    await asyncio.gather(*(consents.grant("me", "app", s, at=NOW) for s in scopes))
    found = await consents.get("me", "app")
    assert found is not None
    assert set(found.scopes) == {"openid", "profile", "frmr", "snils", "offline_access"}


async def test_the_history_reads_one_persons_sign_ins_newest_first_in_the_window(
    engine: AsyncEngine,
) -> None:
    audit = SqlAuditRepository(engine)

    async def add(subject: str, event: str, days: float) -> int:
        stored = await audit.append(AuditRecord(
            event_type=event, outcome="success", occurred_at=NOW - timedelta(days=days), subject_id=subject,
        ))
        assert stored.id is not None
        return stored.id

    old = await add("me", "login.success", 91)
    recent = [await add("me", "login.success", 3), await add("me", "second_factor.code_rejected", 2)]
    await add("me", "consent.granted", 1)  # not a sign-in
    await add("other", "login.success", 1)  # another person
    newest = await add("me", "login.success", 0)
    reader = SqlPersonAuditReader(engine)
    since = NOW - timedelta(days=90)
    found = await reader.person_events("me", LOGINS, since=since, before_id=None, limit=10)
    assert [r.id for r in found] == [newest, *reversed(recent)]
    assert old not in [r.id for r in found]
    assert all(r.subject_id == "me" for r in found)
    page = await reader.person_events("me", LOGINS, since=since, before_id=newest, limit=1)
    assert [r.id for r in page] == [recent[1]]


async def test_the_history_query_uses_the_persons_index(engine: AsyncEngine, sql_dialect: str) -> None:
    if sql_dialect != "postgresql":
        pytest.skip("index use is checked on PostgreSQL")
    stmt = person_events_statement("me", LOGINS, since=NOW - timedelta(days=90), before_id=500, limit=21)
    compiled = stmt.compile(engine.sync_engine, compile_kwargs={"literal_binds": True})
    async with engine.begin() as conn:
        await conn.execute(sa.text("SET LOCAL enable_seqscan = off"))
        plan = "\n".join((await conn.execute(sa.text(f"EXPLAIN {compiled}"))).scalars().all())
    assert "ix_audit_events_subject_id_id" in plan, plan
    assert "Sort" not in plan, plan  # the index gives the order: no sort of the person's whole history
