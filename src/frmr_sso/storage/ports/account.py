"""What a person's account pages read and change: consents to clients and the person's own login history."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from frmr_sso.storage.ports.audit import AuditRecord


@dataclass(frozen=True, slots=True)
class ConsentRecord:
    """The scopes a person allowed a third-party client (the union of every consent given to it)."""

    subject_id: str
    client_id: str
    scopes: tuple[str, ...]
    granted_at: datetime
    updated_at: datetime


class ConsentRepository(Protocol):
    async def get(self, subject_id: str, client_id: str) -> ConsentRecord | None: ...

    async def grant(
        self, subject_id: str, client_id: str, scopes: Sequence[str], *, at: datetime
    ) -> ConsentRecord:
        """Remember ``scopes`` besides those already allowed; the record as it is now."""

    async def list_for(self, subject_id: str) -> Sequence[ConsentRecord]:
        """The person's consents, the most recently changed first."""

    async def revoke(self, subject_id: str, client_id: str) -> bool:
        """False when the person had no consent for that client."""


class PersonAuditReader(Protocol):
    async def person_events(
        self, subject_id: str, event_types: frozenset[str], *,
        since: datetime, before_id: int | None, limit: int,
    ) -> Sequence[AuditRecord]:
        """The person's records of those types since ``since``, newest first, ids below ``before_id``."""
