"""The batching audit writer: order, batching, durability for waiting callers, failures, back pressure."""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Sequence
from datetime import UTC, datetime

import pytest

from frmr_sso.audit.writer import BatchingAuditWriter
from frmr_sso.logs import NO_REQUEST, request_id_var
from frmr_sso.storage.errors import StorageError
from frmr_sso.storage.ports import AuditRecord


def event(n: int) -> AuditRecord:
    return AuditRecord(
        event_type="token.issued", outcome="success", occurred_at=datetime.now(UTC), details={"n": n}
    )


class BatchSink:
    def __init__(self) -> None:
        self.batches: list[list[AuditRecord]] = []
        self.fail = False
        self.gate: asyncio.Event | None = None
        self.entered = asyncio.Event()

    async def append_batch(self, records: Sequence[AuditRecord]) -> list[AuditRecord]:
        self.entered.set()
        if self.gate is not None:
            await self.gate.wait()
        if self.fail:
            raise StorageError("appending audit events failed: the database is unavailable")
        start = sum(len(b) for b in self.batches)
        stored = [dataclasses.replace(r, id=start + i + 1) for i, r in enumerate(records)]
        self.batches.append(stored)
        return stored

    def numbers(self) -> list[int]:
        return [r.details["n"] for batch in self.batches for r in batch]


async def test_concurrent_appends_share_batches_in_order_and_get_their_ids() -> None:
    sink = BatchSink()
    writer = BatchingAuditWriter(sink, max_batch=16)
    stored = await asyncio.gather(*(writer.append(event(n)) for n in range(50)))
    assert [r.details["n"] for r in stored] == list(range(50))
    assert [r.id for r in stored] == list(range(1, 51))
    assert sink.numbers() == list(range(50))
    assert 4 <= len(sink.batches) < 50  # batched, never more than max_batch at once
    assert max(len(b) for b in sink.batches) <= 16
    await writer.aclose()


async def test_submitted_records_are_flushed_on_close() -> None:
    sink = BatchSink()
    sink.gate = asyncio.Event()
    writer = BatchingAuditWriter(sink)
    for n in range(10):
        await writer.submit(event(n))
    assert sink.batches == []  # queued, not yet written
    sink.gate.set()
    await writer.aclose()
    assert sink.numbers() == list(range(10))
    await writer.submit(event(10))  # after close: written at once
    assert sink.numbers() == list(range(11))


async def test_a_store_failure_reaches_waiting_callers_and_counts_lost_records(
    caplog: pytest.LogCaptureFixture,
) -> None:
    sink = BatchSink()
    sink.fail = True
    writer = BatchingAuditWriter(sink)
    await writer.submit(event(1))
    with pytest.raises(StorageError):
        await writer.append(event(2))
    assert writer.records_lost == 1
    assert "audit records not written" in caplog.text
    sink.fail = False
    assert (await writer.append(event(3))).details["n"] == 3  # the writer keeps going
    await writer.aclose()


async def test_a_full_queue_makes_callers_wait() -> None:
    sink = BatchSink()
    sink.gate = asyncio.Event()
    writer = BatchingAuditWriter(sink, max_batch=2, max_queue=3)
    await writer.submit(event(0))
    await asyncio.wait_for(sink.entered.wait(), 5)  # the writer has taken it and waits on the store
    for n in range(1, 4):  # the queue takes 3 more
        await asyncio.wait_for(writer.submit(event(n)), 1)
    blocked = asyncio.create_task(writer.submit(event(4)))
    await asyncio.sleep(0)
    assert not blocked.done()
    sink.gate.set()
    await asyncio.wait_for(blocked, 1)
    await writer.aclose()
    assert sink.numbers() == list(range(5))


def test_limits_are_checked() -> None:
    with pytest.raises(ValueError, match="at least 1"):
        BatchingAuditWriter(BatchSink(), max_batch=0)


async def test_the_writer_runs_outside_the_request_that_started_it() -> None:
    """Its log lines and spans belong to no request: the first caller's request id stays with the caller."""
    seen: list[str] = []

    class Watching(BatchSink):
        async def append_batch(self, records: Sequence[AuditRecord]) -> list[AuditRecord]:
            seen.append(request_id_var.get())
            return await super().append_batch(records)

    writer = BatchingAuditWriter(Watching())
    token = request_id_var.set("first-request-01")
    try:
        await writer.append(event(1))
    finally:
        request_id_var.reset(token)
    await writer.append(event(2))
    await writer.aclose()
    assert seen == [NO_REQUEST, NO_REQUEST]
