"""The support-request use case: file (logged in or not), read one's own, list for the support desk.

A request filed with a worker's token belongs to that broker subject; every
request also gets an access key, shown once at filing and kept only as a
SHA-256, so an anonymous filer (whose problem may be that login fails) can read
the status later with the number and the key. Anyone else gets "not found".
"""

from __future__ import annotations

import dataclasses
import hashlib
import hmac
import secrets
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from frmr_sso.audit.events import SUCCESS, AuditContext, Event
from frmr_sso.cabinet_backend.base import audit_record
from frmr_sso.cabinet_backend.change_requests.uploads import Upload
from frmr_sso.cabinet_backend.support.model import TRANSITIONS, SupportRequest, SupportStatus, validate_form
from frmr_sso.storage.ports import AuditRecord, SupportRequestRepository


class SupportNotFound(Exception):
    pass


class SupportConflict(Exception):
    pass


@dataclass(frozen=True, slots=True)
class Filed:
    request: SupportRequest
    access_key: str


def _hash(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


class SupportService:
    def __init__(
        self,
        requests: SupportRequestRepository,
        *,
        observers: Sequence[Callable[[AuditRecord], None]] = (),
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._requests, self._observers, self._clock = requests, tuple(observers), clock

    async def file(
        self,
        values: dict[str, Any],
        screenshot: Upload | None,
        *,
        subject_id: str | None,
        client_id: str | None,
        context: AuditContext,
    ) -> Filed:
        now = self._clock()
        form = validate_form(values, now=now)
        key = secrets.token_urlsafe(24)
        details = {"anonymous": subject_id is None, "screenshot": screenshot is not None}
        record = audit_record(
            Event.SUPPORT_SUBMITTED,
            context,
            outcome=SUCCESS,
            now=now,
            subject_id=subject_id,
            client_id=client_id,
            details=details,
        )
        request, stored = await self._requests.create(
            form,
            created_at=now,
            subject_id=subject_id,
            access_key_hash=_hash(key),
            screenshot=screenshot,
            audit=record,
        )
        for observe in self._observers:
            observe(stored)
        return Filed(request, key)

    async def get(self, number: str, *, subject_id: str | None, access_key: str | None) -> SupportRequest:
        found = await self._requests.get_by_number(number)
        if found is None:
            raise SupportNotFound(number)
        request, key_hash = found
        by_subject = subject_id is not None and request.subject_id == subject_id
        by_key = (
            access_key is not None
            and key_hash is not None
            and hmac.compare_digest(key_hash, _hash(access_key))
        )
        if not (by_subject or by_key):
            raise SupportNotFound(number)
        return request

    async def desk_get(self, number: str) -> SupportRequest:
        """Any request, for the support desk."""
        found = await self._requests.get_by_number(number)
        if found is None:
            raise SupportNotFound(number)
        return found[0]

    async def move(self, number: str, to: SupportStatus, *, by: str, context: AuditContext) -> SupportRequest:
        """new → answered, new or answered → closed; ``SupportConflict`` from any other status."""
        request = await self.desk_get(number)
        now = self._clock()
        event = Event.SUPPORT_ANSWERED if to is SupportStatus.ANSWERED else Event.SUPPORT_CLOSED
        record = audit_record(event, context, outcome=SUCCESS, now=now, details={"number": number, "by": by})
        stored = await self._requests.move(
            request.id, to=to, allowed_from=TRANSITIONS[to], at=now, audit=record
        )
        if stored is None:
            raise SupportConflict(f"a request that is {request.status.value} cannot become {to.value}")
        for observe in self._observers:
            observe(stored)
        return dataclasses.replace(
            request, status=to, answered_at=now if to is SupportStatus.ANSWERED else request.answered_at
        )

    async def screenshot(self, request: SupportRequest) -> tuple[str, bytes] | None:
        return await self._requests.screenshot(request.id)

    async def desk(self, status: SupportStatus | None) -> Sequence[SupportRequest]:
        return await self._requests.list(status=status)

    def now(self) -> datetime:
        return self._clock()
