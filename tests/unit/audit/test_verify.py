"""``verify_chain`` on records built in memory: every kind of break, reported at the first one."""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator, Iterable
from datetime import UTC, datetime, timedelta

from frmr_sso.audit.retention import checkpoint_record
from frmr_sso.audit.verify import verify_chain
from frmr_sso.storage.ports import GENESIS_HASH, AuditRecord, PurgedBatch, audit_chain_hash

AT = datetime(2026, 2, 1, tzinfo=UTC)


def chain(count: int, *, start_id: int = 1, prev: str = GENESIS_HASH) -> list[AuditRecord]:
    records = []
    for n in range(count):
        at = AT + timedelta(seconds=n)
        record = AuditRecord(event_type="login.success", outcome="success", occurred_at=at, details={"n": n})
        digest = audit_chain_hash(record, prev)
        records.append(dataclasses.replace(record, id=start_id + n, prev_hash=prev, hash=digest))
        prev = digest
    return records


def extend(records: list[AuditRecord], extra: AuditRecord) -> list[AuditRecord]:
    last = records[-1]
    digest = audit_chain_hash(extra, last.hash)
    return [*records, dataclasses.replace(extra, id=(last.id or 0) + 1, prev_hash=last.hash, hash=digest)]


async def stream(records: Iterable[AuditRecord]) -> AsyncIterator[AuditRecord]:
    for record in records:
        yield record


async def test_intact() -> None:
    records = chain(5)
    report = await verify_chain(stream(records))
    assert report.intact
    assert (report.records, report.first_id, report.head_id, report.head_hash) == (5, 1, 5, records[-1].hash)


async def test_empty() -> None:
    report = await verify_chain(stream([]))
    assert report.intact
    assert report.records == 0


async def test_edited_first_record() -> None:
    records = chain(3)
    records[0] = dataclasses.replace(records[0], outcome="failure")
    report = await verify_chain(stream(records))
    assert report.broken is not None
    assert (report.broken.record_id, report.broken.kind, report.records) == (1, "edited", 0)


async def test_a_gap_with_intact_links_is_still_reported() -> None:
    records = chain(4)
    records[2:] = [dataclasses.replace(r, id=(r.id or 0) + 5) for r in records[2:]]
    report = await verify_chain(stream(records))
    assert report.broken is not None
    assert (report.broken.record_id, report.broken.kind) == (8, "id_gap")
    assert "ids 3..7 missing" in report.broken.detail


async def test_an_inserted_record_breaks_the_link_after_it() -> None:
    records = chain(4)
    intruder = dataclasses.replace(records[1], id=3, details={"n": "forged"})
    intruder = dataclasses.replace(intruder, hash=audit_chain_hash(intruder, intruder.prev_hash))
    shifted = [dataclasses.replace(r, id=(r.id or 0) + 1) for r in records[2:]]
    forged = [records[0], records[1], intruder, *shifted]
    report = await verify_chain(stream(forged))
    assert report.broken is not None
    assert (report.broken.record_id, report.broken.kind) == (3, "unlinked")


async def test_a_purged_chain_is_anchored_by_its_checkpoint() -> None:
    full = chain(10)
    batch = PurgedBatch(count=4, first_id=1, last_id=4, last_hash=full[3].hash)
    kept = extend(full[4:], checkpoint_record(batch, cutoff=AT, at=AT + timedelta(days=1)))
    report = await verify_chain(stream(kept))
    assert report.intact, report.broken
    assert (report.records, report.first_id, report.checkpoint_id) == (7, 5, 11)


async def test_a_checkpoint_for_other_records_does_not_anchor() -> None:
    full = chain(10)
    batch = PurgedBatch(count=3, first_id=1, last_id=3, last_hash=full[2].hash)
    kept = extend(full[4:], checkpoint_record(batch, cutoff=AT, at=AT))
    report = await verify_chain(stream(kept))
    assert report.broken is not None
    assert (report.broken.record_id, report.broken.kind, report.records) == (5, "unanchored", 0)


async def test_an_unanchored_start_wins_over_a_later_break() -> None:
    kept = chain(10)[4:]
    kept[3] = dataclasses.replace(kept[3], outcome="failure")
    report = await verify_chain(stream(kept))
    assert report.broken is not None
    assert report.broken.record_id == 5


async def test_a_later_break_after_a_valid_anchor() -> None:
    full = chain(10)
    batch = PurgedBatch(count=4, first_id=1, last_id=4, last_hash=full[3].hash)
    kept = extend(full[4:], checkpoint_record(batch, cutoff=AT, at=AT))
    kept[2] = dataclasses.replace(kept[2], ip="198.51.100.1")
    report = await verify_chain(stream(kept))
    assert report.broken is not None
    assert (report.broken.record_id, report.broken.kind, report.records) == (7, "edited", 2)
