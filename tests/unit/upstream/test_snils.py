"""SNILS parsing and checksum (the Pension Fund's checksum rule)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from frmr_sso.identity.snils import (
    InvalidSnils,
    Snils,
    control_number,
    format_snils,
    is_valid_snils,
    mask_snils,
)

first_nine = st.integers(min_value=0, max_value=999_999_999).map(lambda n: f"{n:09d}")
checked_nine = st.integers(min_value=1_001_999, max_value=999_999_999).map(lambda n: f"{n:09d}")


def with_control(nine: str) -> str:
    return nine + f"{control_number(nine):02d}"


@pytest.mark.parametrize(
    "text", ["112-233-445 95", "11223344595", "112-233-445-95", " 112-233-445 95 ", "112233445 95"]
)
def test_accepted_layouts(text: str) -> None:
    snils = Snils.parse(text)
    assert snils.digits == "11223344595"
    assert snils.formatted == "112-233-445 95"


@pytest.mark.parametrize(
    "text",
    [
        "112-233-445 96",
        "112-233-445",
        "1122334459",
        "112233445955",
        "112.233.445 95",
        "abc-def-ghi jk",
        "",
        "112 233 445 95",
        "１１２-２３３-４４５ ９５",
        "000-000-000 00",
    ],
)
def test_refused(text: str) -> None:
    assert not is_valid_snils(text)
    with pytest.raises(InvalidSnils):
        Snils.parse(text)


def test_demo_accounts_pass() -> None:
    for text in ("123-456-789 64", "234-567-890 99", "345-678-901 23", "456-789-012 38"):
        assert is_valid_snils(text), text


def weighted_sum(nine: str) -> int:
    return sum(int(d) * w for d, w in zip(nine, range(9, 0, -1), strict=True))


def test_control_number_examples() -> None:
    assert control_number("112233445") == 95  # 9+8+14+12+15+12+12+8+5
    assert control_number("001001999") == (7 + 4 + 27 + 18 + 9) % 101


def test_sums_of_100_and_101_give_00() -> None:
    by_remainder = {weighted_sum(f"{n:09d}") % 101: f"{n:09d}" for n in range(2_000_000, 999_999_999, 99_991)}
    hundred, zero = by_remainder[100], by_remainder[0]
    assert weighted_sum(hundred) % 101 == 100
    assert control_number(hundred) == control_number(zero) == 0
    assert is_valid_snils(hundred + "00")
    assert not is_valid_snils(hundred + "99")


def test_numbers_up_to_001_001_998_are_not_checked() -> None:
    assert is_valid_snils("001-001-998 00")
    assert is_valid_snils("001-001-998 57")
    assert is_valid_snils("000-000-600 06")  # the example of ESIA's documentation
    assert not is_valid_snils("001-001-999 00")  # the first checked number needs its control digits
    assert is_valid_snils(with_control("001001999"))


def test_masked_everywhere_but_formatted() -> None:
    snils = Snils.parse("112-233-445 95")
    assert snils.mask() == "***-***-445 95"
    assert mask_snils("11223344595") == "***-***-445 95"
    assert repr(snils) == "Snils('***-***-445 95')"
    assert str(snils) == "***-***-445 95"
    assert "112" not in f"{snils} {snils!r}"
    assert format_snils("11223344595") == "112-233-445 95"


@given(checked_nine)
def test_generated_numbers_round_trip(nine: str) -> None:
    digits = with_control(nine)
    snils = Snils.parse(digits)
    assert Snils.parse(snils.formatted) == snils
    assert snils.mask().endswith(snils.formatted[-6:])


@given(checked_nine, st.integers(min_value=1, max_value=99))
def test_any_other_control_number_is_refused(nine: str, delta: int) -> None:
    wrong = (control_number(nine) + delta) % 100
    assert not is_valid_snils(nine + f"{wrong:02d}")


@given(first_nine, st.integers(min_value=0, max_value=8), st.integers(min_value=1, max_value=9))
def test_a_single_digit_change_is_caught(nine: str, position: int, delta: int) -> None:
    if int(nine) <= 1_001_998:
        return
    digits = with_control(nine)
    changed = digits[:position] + str((int(digits[position]) + delta) % 10) + digits[position + 1 :]
    if int(changed[:9]) > 1_001_998:
        assert not is_valid_snils(changed)
