from __future__ import annotations

from datetime import UTC, datetime

import pytest

from frmr_sso.registry.labels import _KIND_TABLES, ENUMS, enum_label, technical_reason
from frmr_sso.registry.ru_format import decimal, duration, local_time, plural, zone

NB = "\u00a0"


@pytest.mark.parametrize(
    ("n", "form"),
    [(1, "год"), (2, "года"), (4, "года"), (5, "лет"), (11, "лет"), (12, "лет"), (14, "лет"), (21, "год"),
     (22, "года"), (25, "лет"), (101, "год"), (111, "лет"), (0, "лет")],
)
def test_plural_forms(n: int, form: str) -> None:
    assert plural(n, "год", "года", "лет") == form


def test_durations_read_as_russian() -> None:
    assert duration(12, 3, 5).replace(NB, " ") == "12 лет 3 мес. 5 дн."
    assert duration(1, 0, 0).replace(NB, " ") == "1 год"
    assert duration(22, 0, 1).replace(NB, " ") == "22 года 1 дн."
    assert duration(0, 0, 0).replace(NB, " ") == "0 дн."


def test_decimal_comma_and_local_time() -> None:
    assert (decimal(0.25), decimal(1.0), decimal(0.5)) == ("0,25", "1", "0,5")
    moment = datetime(2026, 12, 7, 10, 0, tzinfo=UTC)
    assert local_time(moment, zone(None)) == "07.12.2026 13:00 МСК"
    assert local_time(moment, zone("Asia/Yekaterinburg")) == "07.12.2026 15:00 МСК+2"
    assert local_time(moment.replace(tzinfo=None), zone("no/such")) == "07.12.2026 13:00 МСК"


def test_kind_codes_do_not_collide_and_enums_have_russian_names() -> None:
    codes = [code for table in _KIND_TABLES for code in ENUMS[table]]
    assert len(codes) == len(set(codes))
    assert enum_label("kind", "periodic") == "периодическая"
    assert enum_label("kind", "higher") == "Высшее образование — специалитет"
    assert enum_label("category", "highest") == "высшая"
    assert enum_label("position_type", 2) == "внутреннее совместительство"
    assert enum_label("comment", "x") is None


def test_refusal_reasons_are_given_in_russian() -> None:
    assert technical_reason("unknown client_id") == "приложение не зарегистрировано в сервисе"
    assert technical_reason("parameter state is repeated") == "параметр state передан несколько раз"
    assert technical_reason("something new") == "запрос приложения составлен неверно"
    assert technical_reason(None) is None
