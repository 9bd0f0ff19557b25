from __future__ import annotations

import pytest

from frmr_sso.registry import checks
from frmr_sso.registry.checks import InvalidValue


@pytest.mark.parametrize("inn", ["7701234560", "770123456703", "7707083893", "500100732259"])
def test_valid_inns_pass(inn: str) -> None:
    assert checks.check_inn(inn) == inn


@pytest.mark.parametrize(
    ("inn", "length", "message"),
    [
        ("7701234561", None, "the INN control digits do not match"),
        ("770123456704", None, "the INN control digits do not match"),
        ("770123456713", None, "the INN control digits do not match"),
        ("77012345", None, "10 or 12 digits are expected"),
        ("7701234560", 12, "12 digits are expected"),
        ("77O1234560", None, "must be a string of digits"),
        ("７７０１２３４５６０", None, "must be a string of digits"),
        (7701234560, None, "must be a string of digits"),
    ],
)
def test_bad_inns_are_named_without_their_value(inn: object, length: int | None, message: str) -> None:
    with pytest.raises(InvalidValue) as refused:
        checks.check_inn(inn, length=length)
    assert str(refused.value) == message


def test_inn_with_control_completes_both_lengths() -> None:
    assert checks.check_inn(checks.inn_with_control("770123456")) == "7701234560"
    assert checks.check_inn(checks.inn_with_control("7701234567")) == "770123456703"


def test_passport_series_and_number() -> None:
    assert checks.check_passport("45 09", "123456") == ("4509", "123456")
    for series, number, message in [
        ("450", "123456", "series is 4 digits"),
        ("4509", "12345", "number is 6 digits"),
        ("45O9", "123456", "series"),
        ("4509", "1234567", "number"),
    ]:
        with pytest.raises(InvalidValue, match=message):
            checks.check_passport(series, number)
    assert checks.check_issuer_code("772045") == "772-045"
    with pytest.raises(InvalidValue, match="NNN-NNN"):
        checks.check_issuer_code("77-2045")


@pytest.mark.parametrize(
    ("value", "ok"),
    [
        ("45383000", True),
        ("45383000001", True),
        ("4538300", False),
        ("453830001", False),
        ("4538300O", False),
    ],
)
def test_oktmo_is_8_or_11_digits(value: str, ok: bool) -> None:
    if ok:
        assert checks.check_oktmo(value) == value
    else:
        with pytest.raises(InvalidValue):
            checks.check_oktmo(value)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("+79990000001", "+79990000001"),
        ("+7 (999) 000-00-01", "+79990000001"),
        ("89990000001", "+79990000001"),
        ("+1 999 000 0001", None),
        ("+7999000000", None),
        ("+7999000000a", None),
        (79990000001, None),
    ],
)
def test_phones_become_plus_seven_and_ten_digits(value: object, expected: str | None) -> None:
    if expected is not None:
        assert checks.check_phone(value) == expected
    else:
        with pytest.raises(InvalidValue):
            checks.check_phone(value)


@pytest.mark.parametrize(
    ("value", "ok"),
    [
        ("doctor@example.test", True),
        ("a.b+c@gkb1.moscow.ru", True),
        ("doctor@", False),
        ("doctor example@x.ru", False),
        ("@x.ru", False),
    ],
)
def test_emails(value: str, ok: bool) -> None:
    if ok:
        assert checks.check_email(value) == value
    else:
        with pytest.raises(InvalidValue):
            checks.check_email(value)
