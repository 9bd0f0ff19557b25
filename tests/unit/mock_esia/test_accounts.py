from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from mock_esia.accounts import (
    AccountDirectory,
    SecondFactor,
    Trust,
    hash_password,
    login_candidates,
    verify_password,
)
from mock_esia.config import DATA_DIR


@pytest.fixture(scope="module")
def directory() -> AccountDirectory:
    return AccountDirectory.from_yaml(DATA_DIR / "accounts.yaml")


@pytest.mark.parametrize(
    ("typed", "first"),
    [
        ("+79990000001", "+79990000001"),
        ("+7 999 000-00-01", "+79990000001"),
        ("+7 (999) 000-00-01", "+79990000001"),
        ("89990000001", "+79990000001"),
        ("8 (999) 000-00-01", "+79990000001"),
        ("8-999-000-00-01", "+79990000001"),
        ("9990000001", "+79990000001"),
        ("  +79990000001  ", "+79990000001"),
        ("doctor@example.test", "doctor@example.test"),
        ("Doctor@Example.TEST", "doctor@example.test"),
        (" doctor@example.test ", "doctor@example.test"),
        ("112-233-445 95", "11223344595"),
        ("11223344595", "11223344595"),
        ("112 233 445 95", "11223344595"),
    ],
)
def test_login_candidates_normalise_every_login_form(typed: str, first: str) -> None:
    assert login_candidates(typed)[0] == first


def test_eleven_digits_starting_with_7_are_tried_as_snils_and_as_phone() -> None:
    assert login_candidates("79990000001") == ["79990000001", "+79990000001"]
    assert login_candidates("89990000001") == ["+79990000001", "89990000001"]


@pytest.mark.parametrize("typed", ["", "   ", "12345", "+1 555 0100", "999000000012345", "логин"])
def test_login_candidates_refuse_what_no_login_form_matches(typed: str) -> None:
    assert login_candidates(typed) == []


@pytest.mark.parametrize(
    "typed",
    [
        "+79990000001",
        "+7 999 000-00-01",
        "89990000001",
        "8 (999) 000 00 01",
        "9990000001",
        "DOCTOR@example.test",
        "112-233-445 95",
        "11223344595",
    ],
)
def test_directory_finds_the_demo_doctor_by_every_login_form(directory: AccountDirectory, typed: str) -> None:
    account = directory.by_login(typed)
    assert account is not None
    assert account.oid == 1000299654


def test_directory_tells_apart_a_snils_starting_with_7_from_a_phone(directory: AccountDirectory) -> None:
    account = directory.by_login("789-012-345 23")
    assert account is not None
    assert account.email == "simple@example.test"


def test_directory_returns_none_for_unknown_logins(directory: AccountDirectory) -> None:
    assert directory.by_login("+79991112233") is None
    assert directory.by_login("nobody@example.test") is None
    assert directory.by_login("") is None


def test_demo_accounts_cover_every_case_the_login_pages_handle(directory: AccountDirectory) -> None:
    accounts = list(directory)
    assert {a.second_factor for a in accounts} == set(SecondFactor)
    assert {a.trust for a in accounts} == set(Trust)
    assert any(a.blocked for a in accounts)
    assert any(a.password_expired(90) for a in accounts)
    totp = [a for a in accounts if a.second_factor is SecondFactor.TOTP]
    assert all(a.totp_secret for a in totp)


def test_passwords_are_kept_only_as_scrypt_hashes(directory: AccountDirectory) -> None:
    account = directory.by_login("+79990000001")
    assert account is not None
    assert account.password_hash.startswith("scrypt$")
    assert "Vrach" not in account.password_hash
    assert verify_password("Vrach-2026-Demo!", account.password_hash)
    assert not verify_password("vrach-2026-demo!", account.password_hash)


def test_replace_password_keeps_the_history_and_restarts_the_age() -> None:
    directory = AccountDirectory.from_yaml(DATA_DIR / "accounts.yaml")
    account = directory.by_login("expired@example.test")
    assert account is not None
    assert account.password_expired(90)
    old = account.password_hash
    account.replace_password(hash_password("Novyi-Klyuch-Ok-7?"))
    assert account.password_history == [old]
    assert not account.password_expired(90)
    assert account.password_expired(90, now=datetime.now(UTC) + timedelta(days=91))
