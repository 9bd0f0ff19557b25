"""The auditors' read side: who may read, what they ask for, what they get.

- ``authorize_reader``: a live access token of this broker (``oauth.bearer``)
  whose scope holds ``audit.read``; InvalidToken (401) or InsufficientScope (403) otherwise.
- ``parse_query``: the filters ``subject_id``, ``client_id``, ``event_type``,
  ``ip``, ``from``, ``to`` (ISO 8601; without an offset read as UTC; ``to`` is
  exclusive) and the page ``after_id`` and ``limit`` (1..1000); an
  ``InvalidAuditQuery`` names the offending parameter.
- ``export``: every matching record, page by page (constant memory).
- ``event_json``: a record as the API shows it; the SNILS only masked, as stored.
"""

from __future__ import annotations

import ipaddress
from collections.abc import AsyncIterator, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Protocol

from frmr_sso.errors import FrmrSsoError
from frmr_sso.oauth.bearer import AccessClaims, BearerValidator
from frmr_sso.storage.ports import AuditFilter, AuditRecord

AUDIT_READ = "audit.read"
DEFAULT_LIMIT = 100
MAX_LIMIT = 1000
EXPORT_PAGE = 500
_TEXT_LIMITS = {"subject_id": 36, "client_id": 128, "event_type": 64}
_PAGE_PARAMS = ("after_id", "limit")
FILTER_PARAMS = ("subject_id", "client_id", "event_type", "ip", "from", "to")


class InvalidAuditQuery(FrmrSsoError):
    def __init__(self, name: str, message: str) -> None:
        super().__init__(f"{name}: {message}")
        self.field = name
        self.message = message


class AuditSearch(Protocol):
    async def search(
        self, where: AuditFilter, *, after_id: int = 0, limit: int = 100
    ) -> Sequence[AuditRecord]: ...


@dataclass(frozen=True, slots=True)
class AuditQuery:
    where: AuditFilter = field(default_factory=AuditFilter)
    after_id: int = 0
    limit: int = DEFAULT_LIMIT


async def authorize_reader(token: str, bearer: BearerValidator) -> AccessClaims:
    return await bearer.require(token, scopes={AUDIT_READ})


def _time(name: str, value: str) -> datetime:
    """An ISO 8601 date-time in UTC, between the years 1900 and 9998 (with a day to spare)."""
    try:
        parsed = datetime.fromisoformat(value)
        moment = parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)
    except ValueError:
        raise InvalidAuditQuery(name, "must be an ISO 8601 date-time, e.g. 2026-02-01T00:00:00Z") from None
    except OverflowError:  # the offset moves it outside the years datetime holds
        moment = datetime.min.replace(tzinfo=UTC)
    if not 1900 <= moment.year <= 9998:
        raise InvalidAuditQuery(name, "must lie between the years 1900 and 9998")
    return moment


def _integer(name: str, value: str, low: int, high: int) -> int:
    if not value.isascii() or not value.isdigit() or not low <= int(value) <= high:
        raise InvalidAuditQuery(name, f"must be an integer from {low} to {high}")
    return int(value)


def _ip(value: str) -> str:
    try:
        return str(ipaddress.ip_address(value))
    except ValueError:
        raise InvalidAuditQuery("ip", "must be an IPv4 or IPv6 address") from None


def parse_query(params: Iterable[tuple[str, str]], *, paged: bool = True) -> AuditQuery:
    allowed = FILTER_PARAMS + (_PAGE_PARAMS if paged else ("after_id",))
    values: dict[str, str] = {}
    for name, value in params:
        if name not in allowed:
            raise InvalidAuditQuery(name, f"unknown parameter; use {', '.join(allowed)}")
        if name in values:
            raise InvalidAuditQuery(name, "must appear at most once")
        values[name] = value
    for name, limit in _TEXT_LIMITS.items():
        if name in values and not 1 <= len(values[name]) <= limit:
            raise InvalidAuditQuery(name, f"must be 1 to {limit} characters")
    start = _time("from", values["from"]) if "from" in values else None
    end = _time("to", values["to"]) if "to" in values else None
    if start is not None and end is not None and end <= start:
        raise InvalidAuditQuery("to", "must be later than from")
    where = AuditFilter(
        subject_id=values.get("subject_id"),
        client_id=values.get("client_id"),
        event_type=values.get("event_type"),
        ip=_ip(values["ip"]) if "ip" in values else None,
        occurred_from=start,
        occurred_to=end,
    )
    after_id = _integer("after_id", values["after_id"], 0, 2**63 - 1) if "after_id" in values else 0
    limit = _integer("limit", values["limit"], 1, MAX_LIMIT) if "limit" in values else DEFAULT_LIMIT
    return AuditQuery(where=where, after_id=after_id, limit=limit)


async def export(
    store: AuditSearch, where: AuditFilter, *, after_id: int = 0, page: int = EXPORT_PAGE
) -> AsyncIterator[AuditRecord]:
    while True:
        records: list[AuditRecord] = list(await store.search(where, after_id=after_id, limit=page))
        for record in records:
            yield record
        if len(records) < page:
            return
        after_id = records[-1].id or 0


def event_json(record: AuditRecord) -> dict[str, Any]:
    return {
        "id": record.id,
        "occurred_at": record.occurred_at.astimezone(UTC)
        .isoformat(timespec="microseconds")
        .replace("+00:00", "Z"),
        "event_type": record.event_type,
        "outcome": record.outcome,
        "ip": record.ip,
        "user_agent": record.user_agent,
        "request_id": record.request_id,
        "client_id": record.client_id,
        "subject_id": record.subject_id,
        "snils_masked": record.snils_masked,
        "details": record.details,
        "prev_hash": record.prev_hash,
        "hash": record.hash,
    }
