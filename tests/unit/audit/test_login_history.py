"""The person's login history: the 90-day window, newest-first pages by cursor, outcome labels, bad input."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

import pytest

from frmr_sso.audit.login_history import (
    EVENT_TYPES,
    WINDOW_DAYS,
    InvalidHistoryQuery,
    LoginHistory,
    entry_json,
    outcome_label,
)
from frmr_sso.storage.ports import AuditRecord

NOW = datetime(2026, 12, 7, 12, 0, tzinfo=UTC)


def record(n: int, event: str = "login.success", subject: str = "me", **details: object) -> AuditRecord:
    return AuditRecord(
        id=n, event_type=event, outcome="success", occurred_at=NOW - timedelta(days=n), subject_id=subject,
        details=dict(details),
    )


class Reader:
    """Applies the port's contract to a list, and remembers what it was asked."""

    def __init__(self, records: list[AuditRecord]) -> None:
        self.records, self.asked = records, []

    async def person_events(
        self, subject_id: str, event_types: frozenset[str], *,
        since: datetime, before_id: int | None, limit: int,
    ) -> Sequence[AuditRecord]:
        self.asked.append((subject_id, since, before_id, limit))
        found = [
            r for r in self.records
            if r.subject_id == subject_id and r.event_type in event_types and r.occurred_at >= since
            and (before_id is None or (r.id or 0) < before_id)
        ]
        return sorted(found, key=lambda r: -(r.id or 0))[:limit]


async def test_pages_run_newest_first_until_the_cursor_runs_out() -> None:
    reader = Reader([record(n) for n in range(1, 6)] + [record(9, subject="other")])
    history = LoginHistory(reader, clock=lambda: NOW)
    first = await history.page("me", limit="2")
    assert [r.id for r in first.entries] == [5, 4]
    assert first.next_cursor == "4"
    second = await history.page("me", cursor=first.next_cursor, limit="2")
    assert [r.id for r in second.entries] == [3, 2]
    last = await history.page("me", cursor=second.next_cursor, limit="2")
    assert ([r.id for r in last.entries], last.next_cursor) == ([1], None)
    assert all(since == NOW - timedelta(days=WINDOW_DAYS) for _, since, _, _ in reader.asked)


async def test_the_window_is_ninety_days() -> None:
    reader = Reader([record(89), record(91)])
    page = await LoginHistory(reader, clock=lambda: NOW).page("me")
    assert [r.id for r in page.entries] == [89]


@pytest.mark.parametrize(
    ("name", "value"), [("cursor", "0"), ("cursor", "-1"), ("cursor", "abc"), ("cursor", "٣"),
                        ("limit", "0"), ("limit", "101"), ("limit", "1e3"), ("cursor", "9" * 25)],
)
async def test_a_bad_cursor_or_limit_names_the_parameter(name: str, value: str) -> None:
    with pytest.raises(InvalidHistoryQuery) as caught:
        await LoginHistory(Reader([]), clock=lambda: NOW).page("me", **{name: value})
    assert caught.value.field == name


def test_outcomes_say_what_happened_in_russian() -> None:
    assert outcome_label(record(1)) == "Вход выполнен"
    assert outcome_label(record(1, second_factor="totp")) == "Вход выполнен с кодом второго фактора"
    rejected = "second_factor.code_rejected"
    assert outcome_label(record(1, rejected, reason="wrong")) == "Неверный код второго фактора"
    assert outcome_label(record(1, rejected, reason="locked")).startswith("Код не проверен")
    assert outcome_label(record(1, "subject.locked")) == "Вход заблокирован после неверных кодов"
    assert {"login.success", "login.sso_session", rejected, "subject.locked"} <= EVENT_TYPES
    assert all(not e.startswith(("consent.", "token.")) for e in EVENT_TYPES)


def test_an_entry_carries_the_time_in_utc_and_no_subject() -> None:
    entry = entry_json(record(1), client_name="МИС", upstream="Госуслуги")
    assert entry["occurred_at"] == "2026-12-06T12:00:00Z"
    assert (entry["client_name"], entry["upstream"]) == ("МИС", "Госуслуги")
    assert "subject_id" not in entry
