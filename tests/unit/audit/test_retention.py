"""``purge_older_than`` against a fake store: the cut-off, the batches, the checkpoint content."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest

from frmr_sso.audit.retention import AUDIT_PURGED, checkpoint_of, checkpoint_record, purge_older_than
from frmr_sso.storage.ports import AuditRecord, PurgedBatch

NOW = datetime(2026, 3, 1, 12, tzinfo=UTC)


class FakeStore:
    def __init__(self, old: int) -> None:
        self.old = old
        self.calls: list[tuple[datetime, int]] = []
        self.checkpoints: list[AuditRecord] = []
        self.next_id = 1

    async def purge_batch(
        self, before: datetime, *, limit: int, checkpoint: Callable[[PurgedBatch], AuditRecord]
    ) -> PurgedBatch | None:
        self.calls.append((before, limit))
        count = min(limit, self.old)
        if count == 0:
            return None
        self.old -= count
        batch = PurgedBatch(count, self.next_id, self.next_id + count - 1, f"hash-{self.next_id + count - 1}")
        self.next_id += count
        self.checkpoints.append(checkpoint(batch))
        return batch


async def test_batches_until_nothing_is_old_enough() -> None:
    store = FakeStore(old=7)
    result = await purge_older_than(store, timedelta(days=30), batch=3, clock=lambda: NOW)
    assert (result.purged, result.batches, result.last_purged_id) == (7, 3, 7)
    assert result.cutoff == NOW - timedelta(days=30)
    assert store.calls == [(NOW - timedelta(days=30), 3)] * 4
    assert [checkpoint_of(c) for c in store.checkpoints] == [(3, "hash-3"), (6, "hash-6"), (7, "hash-7")]
    last = store.checkpoints[-1]
    assert (last.event_type, last.outcome, last.occurred_at) == (AUDIT_PURGED, "success", NOW)
    assert last.details == {
        "purged_count": 1, "first_purged_id": 7, "last_purged_id": 7, "last_purged_hash": "hash-7",
        "cutoff": "2026-01-30T12:00:00+00:00", "actor": "cli",
    }


async def test_nothing_to_purge() -> None:
    result = await purge_older_than(FakeStore(old=0), timedelta(days=1), clock=lambda: NOW)
    assert (result.purged, result.batches, result.last_purged_id) == (0, 0, None)


@pytest.mark.parametrize(
    ("age", "batch"), [(timedelta(days=-1), 10), (timedelta(days=1), 0), (timedelta(1), 10_001)]
)
async def test_refused_arguments(age: timedelta, batch: int) -> None:
    with pytest.raises(ValueError, match="must"):
        await purge_older_than(FakeStore(old=1), age, batch=batch)


def test_checkpoint_of_other_records() -> None:
    assert checkpoint_of(AuditRecord(event_type="login.success", outcome="success")) is None
    odd = AuditRecord(event_type=AUDIT_PURGED, outcome="success", details={"last_purged_id": "7"})
    assert checkpoint_of(odd) is None
    record = checkpoint_record(PurgedBatch(2, 1, 2, "h"), cutoff=NOW, at=NOW, actor="test")
    assert checkpoint_of(record) == (2, "h")
