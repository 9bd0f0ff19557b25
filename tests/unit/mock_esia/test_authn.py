from __future__ import annotations

import time
from dataclasses import replace

import pyotp
import pytest

from frmr_sso.storage.ports import KeyValueStore
from mock_esia.accounts import AccountDirectory, SecondFactor
from mock_esia.authn import (
    LoginProgress,
    Progress,
    Stage,
    Verdict,
    check_sms_code,
    check_totp_code,
    new_code,
    normalise_code,
    send_sms_code,
    with_sms_code,
)
from mock_esia.config import DATA_DIR
from mock_esia.outbox import Outbox

ACCOUNTS = AccountDirectory.from_yaml(DATA_DIR / "accounts.yaml")


@pytest.mark.parametrize(
    ("raw", "code"), [("123456", "123456"), (" 123 456 ", "123456"), ("123-456", "123456")]
)
def test_codes_may_be_typed_with_spaces_or_dashes(raw: str, code: str) -> None:
    assert normalise_code(raw) == code


@pytest.mark.parametrize("raw", ["", "12345", "1234567", "12345a", "１２３４５６", "12\t3456"])
def test_anything_but_six_ascii_digits_is_not_a_code(raw: str) -> None:
    assert normalise_code(raw) is None


def test_new_codes_are_six_digits() -> None:
    codes = {new_code() for _ in range(200)}
    assert all(len(c) == 6 and c.isdigit() for c in codes)
    assert len(codes) > 150


def test_sms_code_goes_to_the_outbox_and_only_its_digest_is_kept() -> None:
    account = ACCOUNTS.by_login("+79990000001")
    assert account is not None
    outbox = Outbox()
    code = send_sms_code(outbox, account, text="Код: {code}")
    assert outbox.latest_code("doctor@example.test") == code
    assert outbox.messages("112-233-445 95")[0].text == f"Код: {code}"
    progress = with_sms_code(
        Progress(oid=account.oid, stage=Stage.SECOND_FACTOR, auth_time=0), "tx", code, 60
    )
    assert code not in repr(progress)
    assert check_sms_code(progress, "tx", code) is Verdict.OK
    assert check_sms_code(progress, "other-tx", code) is Verdict.WRONG
    wrong = f"{(int(code) + 1) % 10**6:06d}"
    assert check_sms_code(progress, "tx", wrong) is Verdict.WRONG
    expired = replace(progress, code_expires_at=time.time() - 1)
    assert check_sms_code(expired, "tx", code) is Verdict.EXPIRED


def test_no_code_sent_means_every_code_is_wrong() -> None:
    progress = Progress(oid=1, stage=Stage.SECOND_FACTOR, auth_time=0)
    assert check_sms_code(progress, "tx", "000000") is Verdict.WRONG


async def test_totp_accepts_the_neighbouring_steps_once_each(kv: KeyValueStore) -> None:
    account = next(a for a in ACCOUNTS if a.second_factor is SecondFactor.TOTP)
    assert account.totp_secret is not None
    totp = pyotp.TOTP(account.totp_secret)
    now = time.time()
    previous = totp.at(now - 30)
    assert await check_totp_code(kv, account, previous, now) is Verdict.OK
    assert await check_totp_code(kv, account, previous, now) is Verdict.REPLAYED
    assert await check_totp_code(kv, account, totp.at(now), now) is Verdict.OK
    assert await check_totp_code(kv, account, totp.at(now - 90), now) in (Verdict.WRONG, Verdict.REPLAYED)
    assert await check_totp_code(kv, account, totp.at(now - 90), now + 3600) is Verdict.WRONG


async def test_an_account_without_a_totp_secret_never_passes(kv: KeyValueStore) -> None:
    account = ACCOUNTS.by_login("+79990000001")
    assert account is not None
    assert await check_totp_code(kv, account, "123456") is Verdict.WRONG


async def test_progress_round_trips_through_the_kv(kv: KeyValueStore) -> None:
    store = LoginProgress(kv, ttl=60)
    progress = with_sms_code(Progress(oid=7, stage=Stage.CHANGE_PASSWORD, auth_time=1), "tx", "123456", 60)
    await store.save("tx", progress)
    assert await store.load("tx") == progress
    await store.drop("tx")
    assert await store.load("tx") is None
