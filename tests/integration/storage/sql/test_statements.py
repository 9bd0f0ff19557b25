from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from frmr_sso.storage.ports import StatementRecord, StatementSignerRecord
from frmr_sso.storage.sql import SqlStatementRepository

NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)
ID_A, ID_B, ID_C = (f"00000000-0000-4000-8000-00000000000{n}" for n in "abc")


@pytest.fixture
def repo(engine: AsyncEngine) -> SqlStatementRepository:
    return SqlStatementRepository(engine)


def _record(statement_id: str, frmr_id: str = "F-1", minutes: int = 0) -> StatementRecord:
    return StatementRecord(statement_id, frmr_id, "extract", "pending", NOW + timedelta(minutes=minutes))


async def test_a_statement_goes_from_pending_to_ready_once(repo: SqlStatementRepository) -> None:
    await repo.add(_record(ID_A))
    assert await repo.get(ID_A) == _record(ID_A)
    assert await repo.pdf(ID_A) is None
    pdf = b"%PDF-1.7 \x00\xff binary"
    assert await repo.finish(ID_A, pdf=pdf, at=NOW + timedelta(seconds=3)) is True
    assert await repo.finish(ID_A, pdf=b"second", at=NOW) is False
    assert await repo.fail(ID_A, at=NOW) is False
    ready = await repo.get(ID_A)
    assert ready is not None
    assert (ready.status, ready.ready_at, ready.size) == ("ready", NOW + timedelta(seconds=3), len(pdf))
    assert await repo.pdf(ID_A) == pdf


async def test_listing_is_per_person_and_newest_first(repo: SqlStatementRepository) -> None:
    await repo.add(_record(ID_A, minutes=0))
    await repo.add(_record(ID_B, minutes=5))
    await repo.add(_record(ID_C, frmr_id="F-2"))
    assert [s.id for s in await repo.list_for("F-1")] == [ID_B, ID_A]
    assert [s.id for s in await repo.list_for("F-1", limit=1)] == [ID_B]
    assert await repo.list_for("F-3") == []
    assert await repo.fail(ID_C, at=NOW) is True
    failed = await repo.get(ID_C)
    assert failed is not None
    assert failed.status == "failed"


async def test_racing_signers_end_with_one(repo: SqlStatementRepository) -> None:
    candidates = [
        StatementSignerRecord("statements", f"cert-{n}".encode(), f"v1.key-{n}", NOW) for n in range(4)
    ]
    stored = await asyncio.gather(*(repo.add_signer_if_absent(c) for c in candidates))
    assert len({s.certificate_der for s in stored}) == 1
    assert await repo.get_signer("statements") == stored[0]
    assert await repo.get_signer("other") is None
