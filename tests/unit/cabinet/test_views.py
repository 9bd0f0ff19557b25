from __future__ import annotations

from frmr_sso.cabinet.views import label, show, visible
from frmr_sso.registry.ru_format import zone


def test_values_are_shown_the_russian_way() -> None:
    assert show("2012-09-01") == "01.09.2012"
    assert show("2026-11-26T14:54:00+00:00") == "26.11.2026 17:54 МСК"  # Moscow time unless configured
    assert show("2026-11-26T14:54:00+00:00", tz=zone("Asia/Vladivostok")) == "27.11.2026 00:54 МСК+7"
    assert show("2026-11-26T14:54:00+00:00", tz=zone("Europe/Berlin")) == "26.11.2026 15:54 UTC+01:00"
    assert show(0.25, "rate") == "0,25"
    assert show("periodic", "kind") == "периодическая"
    assert show("first", "category") == "первая"
    ua = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0"
    assert show(ua, "user_agent") == "Chrome 131, Windows 10"
    assert show("", "user_agent") == "—"
    assert show(None) == "—"
    assert show(True) == "да"
    assert show("F", "gender") == "женский"
    assert show(4, "position_type") == "внешнее совместительство"
    assert show(0.5, "progress") == "50 %"
    assert show(["врач-терапевт", "врач-кардиолог"]) == "врач-терапевт, врач-кардиолог"


def test_labels_are_russian_and_unknown_fields_still_show() -> None:
    assert label("birth_date") == "Дата рождения"
    assert label("name") == "ФИО"
    assert label("name", "frmr_organizations") == "Название"
    assert label("brand_new_field") == "brand new field"


def test_internal_fields_are_not_shown() -> None:
    shown = dict(visible({"id": "x", "links": {}, "last_name": "Иванова", "photo_url": "u"}))
    assert shown == {"last_name": "Иванова"}
