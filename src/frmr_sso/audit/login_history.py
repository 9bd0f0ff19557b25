"""A person's own sign-ins, read from the audit log: what the cabinet's «Журнал входов» shows.

Only the records of the person (``subject_id``) of the sign-in event types below, of
the last ``WINDOW_DAYS`` days, newest first, a page at a time: the cursor is the id of
the last record shown (the next page holds smaller ids). A cursor or limit that is not
a number in range is an ``InvalidHistoryQuery`` naming the parameter.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from frmr_sso.audit.events import Event
from frmr_sso.errors import FrmrSsoError
from frmr_sso.storage.ports import AuditRecord, PersonAuditReader

WINDOW_DAYS = 90
DEFAULT_LIMIT = 20
MAX_LIMIT = 100
OUTCOMES: Mapping[str, str] = {
    Event.LOGIN_SUCCESS.value: "Вход выполнен",
    Event.SSO_REUSED.value: "Вход по действующему сеансу",
    Event.SECOND_FACTOR_REJECTED.value: "Неверный код второго фактора",
    Event.SECOND_FACTOR_REPLAY.value: "Код второго фактора уже был использован",
    Event.SUBJECT_LOCKED.value: "Вход заблокирован после неверных кодов",
    Event.SUBJECT_UNLOCKED.value: "Блокировка входа снята",
    Event.INSUFFICIENT_RIGHTS.value: "Отказано: недостаточно прав в ФРМР",
}
"""Each sign-in event type with what the person reads about it."""
EVENT_TYPES = frozenset(OUTCOMES)


class InvalidHistoryQuery(FrmrSsoError):
    def __init__(self, name: str, message: str) -> None:
        super().__init__(f"{name}: {message}")
        self.field, self.message = name, message


@dataclass(frozen=True, slots=True)
class HistoryPage:
    entries: tuple[AuditRecord, ...]
    next_cursor: str | None


def outcome_label(record: AuditRecord) -> str:
    if record.event_type == Event.SECOND_FACTOR_REJECTED.value and record.details.get("reason") == "locked":
        return "Код не проверен: вход временно заблокирован"
    if record.event_type == Event.LOGIN_SUCCESS.value and record.details.get("second_factor"):
        return "Вход выполнен с кодом второго фактора"
    return OUTCOMES.get(record.event_type, record.event_type)


def _number(name: str, value: str | None, low: int, high: int) -> int | None:
    if value is None:
        return None
    if not value.isascii() or not value.isdigit() or len(value) > 19 or not low <= int(value) <= high:
        raise InvalidHistoryQuery(name, f"must be an integer from {low} to {high}")
    return int(value)


class LoginHistory:
    def __init__(
        self, reader: PersonAuditReader, *, clock: Callable[[], datetime] = lambda: datetime.now(UTC)
    ) -> None:
        self._reader, self._clock = reader, clock

    async def page(self, subject: str, *, cursor: str | None = None, limit: str | None = None) -> HistoryPage:
        before = _number("cursor", cursor, 1, 2**63 - 1)
        size = _number("limit", limit, 1, MAX_LIMIT) or DEFAULT_LIMIT
        since = self._clock() - timedelta(days=WINDOW_DAYS)
        found = list(await self._reader.person_events(
            subject, EVENT_TYPES, since=since, before_id=before, limit=size + 1
        ))
        more = len(found) > size
        entries = tuple(found[:size])
        return HistoryPage(entries, str(entries[-1].id) if more and entries else None)


def iso_utc(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def entry_json(record: AuditRecord, *, client_name: str | None, upstream: str | None) -> dict[str, Any]:
    return {
        "id": record.id,
        "occurred_at": iso_utc(record.occurred_at),
        "event_type": record.event_type,
        "outcome": record.outcome,
        "outcome_label": outcome_label(record),
        "ip": record.ip,
        "user_agent": record.user_agent,
        "client_id": record.client_id,
        "client_name": client_name,
        "upstream": upstream,
    }
