from __future__ import annotations

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from mock_esia.accounts import AccountDirectory, hash_password
from mock_esia.config import DATA_DIR
from mock_esia.password_policy import (
    COMMON_WORD,
    MISMATCH,
    NO_DIGIT,
    NO_LOWER,
    NO_SYMBOL,
    NO_UPPER,
    REPEATED,
    REUSED,
    SEQUENCE,
    TOO_LONG,
    TOO_SHORT,
    new_password_problems,
    policy_violations,
)

GOOD = "Vrach-2026-Demo!"
ALL_MESSAGES = {
    TOO_SHORT, TOO_LONG, NO_UPPER, NO_LOWER, NO_DIGIT, NO_SYMBOL, SEQUENCE, REPEATED, COMMON_WORD,
}  # fmt: skip


@pytest.mark.parametrize("password", [GOOD, "Bez-Zapisi-2026!", "Tochka;Zapyataya7", "Ёлка-Зелёная-83!"])
def test_strong_passwords_pass(password: str) -> None:
    assert policy_violations(password) == []


def test_every_broken_rule_is_reported_at_once() -> None:
    assert set(policy_violations("aaaa")) == {TOO_SHORT, NO_UPPER, NO_DIGIT, NO_SYMBOL, REPEATED}
    assert set(policy_violations("")) == {TOO_SHORT, NO_UPPER, NO_LOWER, NO_DIGIT, NO_SYMBOL}


@pytest.mark.parametrize(
    ("password", "message"),
    [
        ("Kor0tkiy-1!", TOO_SHORT),
        ("Aa1!" + "x7Yz" * 40, TOO_LONG),
        ("vrach-2026-demo!", NO_UPPER),
        ("VRACH-2026-DEMO!", NO_LOWER),
        ("Vrach-Dvadtsat-Demo!", NO_DIGIT),
        ("Vrach2026Demo77", NO_SYMBOL),
        ("Vrach-1234-Demo!", SEQUENCE),
        ("Vrach-9876-Demo!", SEQUENCE),
        ("Abcd-2026-Demo!", SEQUENCE),
        ("Vrach-2026-Qwer!", SEQUENCE),
        ("Vrach-2026-Asdf!", SEQUENCE),
        ("Врач-2026-Йцук!", SEQUENCE),
        ("Врач-2026-Абвг!", SEQUENCE),
        ("Vrach-2026-Deeee!", REPEATED),
        ("Vrach-2026-7777!", REPEATED),
        ("My-Password-2026!", COMMON_WORD),
        ("My-PASSWORD-2026!", COMMON_WORD),
        ("My-P@ssw0rd-2026!", COMMON_WORD),
        ("Moi-Пароль-2026!", COMMON_WORD),
        ("Moi-Parol-2026!", COMMON_WORD),
        ("Moi-Gfhjkm-2026!", COMMON_WORD),
        ("Super-Admin-2026!", COMMON_WORD),
        ("Super-Админ-2026!", COMMON_WORD),
        ("Vhod-Gosuslugi-26!", COMMON_WORD),
        ("Vhod-Госуслуги-26!", COMMON_WORD),
        ("Vhod-ESIA-2026!x", COMMON_WORD),
        ("Vhod-Есиа-2026!x", COMMON_WORD),
        ("Vhod-3s1@-2026!x", COMMON_WORD),
    ],
)
def test_each_rule_is_enforced(password: str, message: str) -> None:
    assert message in policy_violations(password)


def test_demo_passwords_follow_the_policy_except_the_expired_one() -> None:
    entries = yaml.safe_load((DATA_DIR / "accounts.yaml").read_text(encoding="utf-8"))["accounts"]
    for entry in entries:
        if entry.get("password_age_days", 0) <= 90:
            assert policy_violations(entry["password"]) == [], entry["email"]


def test_reuse_of_the_current_or_a_previous_password_is_refused() -> None:
    account = AccountDirectory.from_yaml(DATA_DIR / "accounts.yaml").by_login("+79990000001")
    assert account is not None
    assert new_password_problems(GOOD, GOOD, account) == [REUSED]
    account.replace_password(hash_password("Novyi-Klyuch-2026!"))
    assert new_password_problems(GOOD, GOOD, account) == [REUSED]
    assert new_password_problems("Novyi-Klyuch-2026!", "Novyi-Klyuch-2026!", account) == [REUSED]
    assert new_password_problems("Tretii-Klyuch-2026!", "Tretii-Klyuch-2026!", account) == []
    assert new_password_problems("Tretii-Klyuch-2026!", "Tretii-Klyuch-2027!", account) == [MISMATCH]


@given(st.text(max_size=300))
@settings(max_examples=300)
def test_any_text_gets_a_list_of_known_messages(password: str) -> None:
    problems = policy_violations(password)
    assert set(problems) <= ALL_MESSAGES
    assert len(problems) == len(set(problems))
    assert (TOO_SHORT in problems) == (len(password) < 12)
    assert (TOO_LONG in problems) == (len(password) > 128)
    assert (NO_DIGIT in problems) == (not any(ch.isdigit() for ch in password))


_letters = st.text(alphabet="bcfhjkmnpruvxyz", min_size=1, max_size=3)


@given(
    prefix=_letters,
    suffix=_letters,
    inserted=st.sampled_from(
        ["1234", "6789", "4321", "abcd", "zyxw", "qwer", "ytre", "jkl;", "йцук", "эждл"]
    ),
)
def test_a_run_of_four_anywhere_is_a_sequence(prefix: str, suffix: str, inserted: str) -> None:
    assert SEQUENCE in policy_violations(f"X{prefix}{inserted}{suffix}-5!")


@given(
    word=st.sampled_from(
        ["password", "qwerty", "admin", "gosuslugi", "esia", "пароль", "госуслуги", "админ"]
    ),
    cases=st.lists(st.booleans(), min_size=12, max_size=12),
    prefix=_letters,
)
def test_common_words_are_found_in_any_case(word: str, cases: list[bool], prefix: str) -> None:
    mixed = "".join(ch.upper() if up else ch for ch, up in zip(word, cases, strict=False))
    assert COMMON_WORD in policy_violations(f"Z{prefix}-{mixed}-58!")


@given(
    pieces=st.lists(
        st.sampled_from(["Vr", "ch", "Zm", "ey", "Lu", "g", "7", "5", "0", "-", "!", "?", "_"]), min_size=8
    )
)
def test_composition_rules_match_the_characters_present(pieces: list[str]) -> None:
    password = "".join(pieces)
    problems = policy_violations(password)
    assert (NO_UPPER in problems) == (not any(c.isupper() for c in password))
    assert (NO_LOWER in problems) == (not any(c.islower() for c in password))
    assert (NO_SYMBOL in problems) == (not any(c in "-!?_" for c in password))
