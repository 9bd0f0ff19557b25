"""What the support form takes from the FRMR record: sent as it is, shown read-only, the SNILS masked."""

from __future__ import annotations

from frmr_sso.cabinet.support import Known, known_of

RECORD = {
    "last_name": "Иванова",
    "first_name": "Мария",
    "middle_name": "Петровна",
    "snils": "112-233-445 95",
    "email": "doctor@example.test",
    "phone": "+79990000001",
}


def test_the_record_gives_the_name_the_address_and_the_masked_snils() -> None:
    known = known_of(RECORD)
    assert known.values == {
        "name": "Иванова Мария Петровна",
        "email": "doctor@example.test",
        "snils": "112-233-445 95",
    }
    assert known.shown == {
        "name": "Иванова Мария Петровна",
        "email": "doctor@example.test",
        "snils": "***-***-445 95",
    }


def test_what_the_record_lacks_is_typed() -> None:
    partial = known_of(
        {"last_name": "Петров", "first_name": "Пётр", "snils": "000-000-000 00", "email": None}
    )
    assert partial.values == {"name": "Петров Пётр"}  # a SNILS that is no SNILS is not taken
    assert known_of(None) == Known()
    assert known_of(["not", "a", "record"]) == Known()
