"""Audit ports: the hash-chained event log, its verification, retention and queries."""

from __future__ import annotations

import hashlib
import json
from collections.abc import AsyncGenerator, Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Protocol

from frmr_sso.storage.ports.kv import utcnow

GENESIS_HASH = "0" * 64


@dataclass(frozen=True, slots=True)
class AuditRecord:
    """One audit event; ``id``, ``prev_hash`` and ``hash`` are filled in by ``append``."""

    event_type: str
    outcome: str
    occurred_at: datetime = field(default_factory=utcnow)
    ip: str | None = None
    user_agent: str | None = None
    request_id: str | None = None
    client_id: str | None = None
    subject_id: str | None = None
    snils_masked: str | None = None
    details: dict[str, Any] = field(default_factory=dict)
    id: int | None = None
    prev_hash: str = ""
    hash: str = ""


def audit_chain_hash(record: AuditRecord, prev_hash: str) -> str:
    """SHA-256 over the canonical JSON of the event and the previous record's hash.

    ``id`` and ``hash`` are left out: the database assigns the first, the second
    is the result. ``frmr-sso audit verify`` recomputes exactly this value.
    """
    payload = {
        "prev_hash": prev_hash,
        "occurred_at": record.occurred_at.astimezone(UTC).isoformat(timespec="microseconds"),
        "event_type": record.event_type,
        "outcome": record.outcome,
        "ip": record.ip,
        "user_agent": record.user_agent,
        "request_id": record.request_id,
        "client_id": record.client_id,
        "subject_id": record.subject_id,
        "snils_masked": record.snils_masked,
        "details": record.details,
    }
    canonical = json.dumps(
        payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
    )
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


class AuditRepository(Protocol):
    async def append(self, record: AuditRecord) -> AuditRecord:
        """Chain and store the event; returns it with ``id``, ``prev_hash`` and ``hash`` set."""

    async def list(self, *, after_id: int = 0, limit: int = 1000) -> Sequence[AuditRecord]:
        """Records with ``id > after_id`` in id order (the chain order), at most ``limit``."""


# -- audit verification, retention and queries (see frmr_sso.audit) ------------------------------


@dataclass(frozen=True, slots=True)
class PurgedBatch:
    """One retention batch: the oldest records ``first_id``..``last_id`` of the chain, deleted."""

    count: int
    first_id: int
    last_id: int
    last_hash: str


@dataclass(frozen=True, slots=True)
class AuditFilter:
    """Conditions of an audit search, all optional and combined with AND; ``occurred_to`` is exclusive."""

    subject_id: str | None = None
    client_id: str | None = None
    event_type: str | None = None
    ip: str | None = None
    occurred_from: datetime | None = None
    occurred_to: datetime | None = None


class AuditLog(AuditRepository, Protocol):
    def chain(self, *, batch: int = 1000) -> AsyncGenerator[AuditRecord, None]:
        """Every record in id order from one consistent snapshot, read ``batch`` rows at a time.

        Close it (``contextlib.aclosing``) when stopping early: it holds a connection.
        """

    async def purge_batch(
        self, before: datetime, *, limit: int, checkpoint: Callable[[PurgedBatch], AuditRecord]
    ) -> PurgedBatch | None:
        """In one transaction under the chain lock: delete the oldest records older than ``before``
        (at most ``limit``, stopping at the first newer one) and append ``checkpoint(batch)``.
        None, and nothing written, when no record is old enough."""

    async def search(
        self, where: AuditFilter, *, after_id: int = 0, limit: int = 100
    ) -> Sequence[AuditRecord]:
        """Matching records with ``id > after_id`` in id order, at most ``limit``."""
