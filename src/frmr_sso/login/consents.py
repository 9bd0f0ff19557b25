"""The person's consents as the account API serves them: list, and revoke with the client's refresh tokens."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from frmr_sso.audit.events import SUCCESS, AuditContext, Auditor, Event
from frmr_sso.audit.login_history import iso_utc
from frmr_sso.oauth.ports import ClientLookup
from frmr_sso.storage.ports import ConsentRecord, ConsentRepository

RevokeGrants = Callable[[str, str, datetime], Awaitable[int]]
"""(subject, client_id, at) → the number of refresh-token families revoked."""


@dataclass(frozen=True, slots=True)
class ConsentView:
    record: ConsentRecord
    client_name: str

    def to_json(self) -> dict[str, Any]:
        r = self.record
        return {
            "client_id": r.client_id,
            "client_name": self.client_name,
            "scopes": list(r.scopes),
            "granted_at": iso_utc(r.granted_at),
            "updated_at": iso_utc(r.updated_at),
        }


class AccountConsents:
    def __init__(
        self, consents: ConsentRepository, *, clients: ClientLookup, revoke_grants: RevokeGrants,
        auditor: Auditor, clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._consents, self._clients, self._revoke = consents, clients, revoke_grants
        self._audit, self._clock = auditor, clock

    async def views(self, subject: str) -> list[ConsentView]:
        views = []
        for record in await self._consents.list_for(subject):
            client = await self._clients(record.client_id)
            views.append(ConsentView(record, client.name if client is not None else record.client_id))
        return views

    async def revoke(self, subject: str, client_id: str, context: AuditContext, *, via: str) -> bool:
        """Forget the consent and revoke the client's refresh tokens of the person; False when none."""
        if not await self._consents.revoke(subject, client_id):
            return False
        revoked = await self._revoke(subject, client_id, self._clock())
        await self._audit.record(
            Event.CONSENT_REVOKED, context, outcome=SUCCESS, client_id=client_id, subject_id=subject,
            details={"via": via, "refresh_families": revoked},
        )
        return True
