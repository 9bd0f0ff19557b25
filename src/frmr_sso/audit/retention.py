"""Audit retention: purge the oldest records in batches and leave a checkpoint the chain can trust.

Deleting the oldest records leaves the first remaining one linked to a hash
nobody can recompute. Each batch therefore appends, in its own transaction, an
``audit.purged`` record whose details name the last deleted record
(``last_purged_id``, ``last_purged_hash``). That record is chained like any
other, so an edit of the checkpoint breaks the chain, and ``verify_chain``
accepts a first record whose ``prev_hash`` is the newest checkpoint's
``last_purged_hash``. One batch is one short transaction: appends wait for a
few milliseconds at most, and a purge stopped half way leaves a valid chain.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Protocol

from frmr_sso.storage.ports import AuditRecord, PurgedBatch

AUDIT_PURGED = "audit.purged"
DEFAULT_BATCH = 1000
MAX_BATCH = 10_000


class PurgeStore(Protocol):
    async def purge_batch(
        self, before: datetime, *, limit: int, checkpoint: Callable[[PurgedBatch], AuditRecord]
    ) -> PurgedBatch | None: ...


@dataclass(frozen=True, slots=True)
class PurgeResult:
    cutoff: datetime
    purged: int
    batches: int
    last_purged_id: int | None


def checkpoint_record(
    batch: PurgedBatch, *, cutoff: datetime, at: datetime, actor: str = "cli"
) -> AuditRecord:
    return AuditRecord(
        event_type=AUDIT_PURGED,
        outcome="success",
        occurred_at=at,
        details={
            "purged_count": batch.count,
            "first_purged_id": batch.first_id,
            "last_purged_id": batch.last_id,
            "last_purged_hash": batch.last_hash,
            "cutoff": cutoff.astimezone(UTC).isoformat(timespec="seconds"),
            "actor": actor,
        },
    )


def checkpoint_of(record: AuditRecord) -> tuple[int, str] | None:
    """``(last_purged_id, last_purged_hash)`` of a checkpoint record, None for any other record."""
    if record.event_type != AUDIT_PURGED:
        return None
    last_id, last_hash = record.details.get("last_purged_id"), record.details.get("last_purged_hash")
    if isinstance(last_id, int) and isinstance(last_hash, str):
        return last_id, last_hash
    return None


async def purge_older_than(
    store: PurgeStore,
    age: timedelta,
    *,
    batch: int = DEFAULT_BATCH,
    clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    pause: float = 0.0,
    actor: str = "cli",
) -> PurgeResult:
    """Delete every record older than ``age`` (measured from now), ``batch`` at a time."""
    if age < timedelta(0):
        raise ValueError("the retention age must not be negative")
    if not 1 <= batch <= MAX_BATCH:
        raise ValueError(f"the batch size must be between 1 and {MAX_BATCH}")
    cutoff = clock() - age
    purged = batches = 0
    last_id: int | None = None
    while True:
        done = await store.purge_batch(
            cutoff,
            limit=batch,
            checkpoint=lambda b: checkpoint_record(b, cutoff=cutoff, at=clock(), actor=actor),
        )
        if done is None:
            return PurgeResult(cutoff=cutoff, purged=purged, batches=batches, last_purged_id=last_id)
        purged, batches, last_id = purged + done.count, batches + 1, done.last_id
        await asyncio.sleep(pause)  # let waiting appends take the chain lock between batches
