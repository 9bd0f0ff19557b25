from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from frmr_sso.cabinet_backend.change_requests.form_fields import Invalid
from frmr_sso.cabinet_backend.support.model import (
    SupportRequest,
    SupportStatus,
    format_number,
    parse_number,
    validate_form,
)

NOW = datetime(2026, 11, 26, 10, tzinfo=UTC)
FORM = {
    "name": "Иванова Мария Петровна",
    "snils": "112-233-445 95",
    "email": "Doctor@Example.test",
    "description": "Не приходит СМС-код при входе",
    "problem_time": "2026-11-26T09:30:00+03:00",
}


def test_a_valid_form_is_cleaned() -> None:
    cleaned = validate_form(FORM, now=NOW)
    assert cleaned["snils"] == "11223344595"
    assert cleaned["email"] == "doctor@example.test"
    assert cleaned["problem_time"] == datetime(2026, 11, 26, 6, 30, tzinfo=UTC)


def test_a_licence_number_stands_in_for_the_snils() -> None:
    form = {k: v for k, v in FORM.items() if k != "snils"} | {"licence_number": "ЛО-77-01-012345"}
    assert validate_form(form, now=NOW)["licence_number"] == "ЛО-77-01-012345"


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"snils": "112-233-445 96"}, "snils"),
        ({"snils": None}, "snils"),
        ({"email": "not-an-email"}, "email"),
        ({"problem_time": "вчера"}, "problem_time"),
        ({"problem_time": "2026-11-27T10:00:00Z"}, "problem_time"),
        ({"description": "help"}, "description"),
        ({"name": ""}, "name"),
        ({"priority": "high"}, "priority"),
    ],
)
def test_each_bad_field_is_named(change: dict[str, object], field: str) -> None:
    with pytest.raises(Invalid) as raised:
        validate_form({**FORM, **change}, now=NOW)
    assert [e.field for e in raised.value.errors] == [field]


def test_numbers_round_trip() -> None:
    assert format_number(2026, 123) == "SR-2026-000123"
    assert parse_number("SR-2026-000123") == 123
    assert parse_number("SR-2026-1234567") == 1234567
    for bad in ("SR-26-000123", "sr-2026-000123", "SR-2026-000123 ", "123"):
        assert parse_number(bad) is None


def test_deadlines_and_overdue_flags() -> None:
    request = SupportRequest(
        1, "SR-2026-000001", SupportStatus.NEW, "n", "e@example.test", "d" * 10, NOW, created_at=NOW
    )
    assert (request.answer_due, request.escalate_at) == (NOW + timedelta(hours=24), NOW + timedelta(hours=72))
    assert not request.answer_overdue(NOW + timedelta(hours=24))
    assert request.answer_overdue(NOW + timedelta(hours=24, seconds=1))
    assert request.escalation_due(NOW + timedelta(hours=72, seconds=1))
    answered = SupportRequest(
        1, "SR-2026-000001", SupportStatus.ANSWERED, "n", "e@example.test", "d" * 10, NOW, created_at=NOW
    )
    assert not answered.answer_overdue(NOW + timedelta(days=5))
    assert answered.escalation_due(NOW + timedelta(days=5))
    assert answered.status_label == "Дан ответ"
