"""The batching audit writer: many concurrent events, one chained transaction per batch.

Every event used to be its own write transaction holding the chain lock, so
audit appends ran one after another and bounded the throughput of every
audited endpoint. ``BatchingAuditWriter`` puts records on a bounded
``asyncio.Queue``; one writer task takes whatever has queued up (at most
``max_batch``) and hands it to ``append_batch``, which chains the records in
queue order and inserts them in one transaction. The hash chain is therefore
exactly the one single appends would build, in the order the events were
recorded.

Two ways in:

- ``append`` (the login steps, locks, unlocks, admin actions, revocations)
  waits until its batch has committed and returns the stored record; a store
  failure reaches the caller as before (a page or a 503);
- ``submit`` (token issue and refresh rotation, the hot paths) returns once the
  record is queued. The record is written with the next batch; a store failure
  is logged with the number of records lost.

A full queue makes both wait (back pressure, no unbounded memory). ``aclose``
stops taking records and writes what is queued: call it before the engine is
disposed.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import logging
from collections.abc import Sequence
from typing import Protocol

from frmr_sso.storage.ports import AuditRecord

log = logging.getLogger(__name__)

DEFAULT_MAX_BATCH = 500
DEFAULT_MAX_QUEUE = 10_000


class BatchSink(Protocol):
    async def append_batch(self, records: Sequence[AuditRecord]) -> list[AuditRecord]: ...


_Item = tuple[AuditRecord, "asyncio.Future[AuditRecord] | None"]


class BatchingAuditWriter:
    def __init__(
        self, sink: BatchSink, *, max_batch: int = DEFAULT_MAX_BATCH, max_queue: int = DEFAULT_MAX_QUEUE
    ) -> None:
        if max_batch < 1 or max_queue < 1:
            raise ValueError("max_batch and max_queue must be at least 1")
        self._sink = sink
        self.max_batch = max_batch
        self._max_queue = max_queue
        self._queue: asyncio.Queue[_Item] | None = None
        self._task: asyncio.Task[None] | None = None
        self._closed = False
        self.batches_written = 0
        self.records_lost = 0

    async def append(self, record: AuditRecord) -> AuditRecord:
        """Queue ``record`` and wait until it is committed; the stored record (id, hashes)."""
        if self._closed:
            return (await self._sink.append_batch([record]))[0]
        future: asyncio.Future[AuditRecord] = asyncio.get_running_loop().create_future()
        await self._put((record, future))
        return await future

    async def submit(self, record: AuditRecord) -> None:
        """Queue ``record``; it is written with the next batch (``aclose`` flushes it)."""
        if self._closed:
            await self._sink.append_batch([record])
            return
        await self._put((record, None))

    @property
    def pending(self) -> int:
        return 0 if self._queue is None else self._queue.qsize()

    async def aclose(self) -> None:
        """Write every queued record, then stop the writer task."""
        self._closed = True
        if self._queue is not None and self._task is not None and not self._task.done():
            await self._queue.join()
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        self._task = None

    async def _put(self, item: _Item) -> None:
        if self._queue is None:
            self._queue = asyncio.Queue(self._max_queue)
        if self._task is None or self._task.done():
            # in a context of its own: the writer serves every request, not the one that started it
            # (its log lines and spans must not carry that request's id or trace)
            self._task = asyncio.create_task(
                self._run(self._queue), name="audit-writer", context=contextvars.Context()
            )
        await self._queue.put(item)

    async def _run(self, queue: asyncio.Queue[_Item]) -> None:
        while True:
            batch = [await queue.get()]
            while len(batch) < self.max_batch and not queue.empty():
                batch.append(queue.get_nowait())
            try:
                await self._write(batch)
            finally:
                for _ in batch:
                    queue.task_done()

    async def _write(self, batch: list[_Item]) -> None:
        try:
            stored = await self._sink.append_batch([record for record, _ in batch])
        except Exception as exc:  # the store is down: waiting callers get the error, others are logged
            lost = sum(1 for _, future in batch if future is None)
            if lost:
                self.records_lost += lost
                log.error("audit records not written", extra={"lost": lost, "error": type(exc).__name__})
            for _, future in batch:
                if future is not None and not future.done():
                    future.set_exception(exc)
            return
        self.batches_written += 1
        for (_, future), record in zip(batch, stored, strict=True):
            if future is not None and not future.done():
                future.set_result(record)
