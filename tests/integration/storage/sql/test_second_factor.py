"""TOTP credentials and recovery codes on both backends: enrol, spend once under races, reset."""

from __future__ import annotations

import asyncio
import hashlib
import time
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from frmr_sso.audit.events import Auditor
from frmr_sso.bootstrap import build_second_factor
from frmr_sso.config import load_settings
from frmr_sso.second_factor import totp
from frmr_sso.second_factor.credentials import TotpCredentials, Verdict
from frmr_sso.security.crypto import FieldCipher, derive_key
from frmr_sso.storage.ports import KeyValueStore, PasskeyRecord, TotpCredentialRecord
from frmr_sso.storage.sql import (
    SqlAuditRepository,
    SqlPasskeyRepository,
    SqlSecondFactorRepository,
    SqlSubjectRepository,
)
from frmr_sso.storage.sql.second_factor import recovery_codes, totp_credentials
from tests.integration.storage.sql.round_trips import sent_to

NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)
KEY = derive_key("integration-secret", "recovery-codes")


@pytest.fixture
def repo(engine: AsyncEngine) -> SqlSecondFactorRepository:
    return SqlSecondFactorRepository(engine)


@pytest.fixture
async def subject(engine: AsyncEngine) -> str:
    return (await SqlSubjectRepository(engine).get_or_create_by_esia_oid("1000299660")).id


def _credential(subject: str, sealed: str = "sealed-1", step: int | None = 10) -> TotpCredentialRecord:
    return TotpCredentialRecord(subject, sealed, NOW, step)


async def test_enrol_stores_the_credential_and_hashed_codes(
    repo: SqlSecondFactorRepository, subject: str, engine: AsyncEngine
) -> None:
    assert await repo.get(subject) is None
    await repo.enrol(_credential(subject), ["h1", "h2", "h3"])
    assert await repo.get(subject) == _credential(subject)
    assert await repo.remaining_recovery_codes(subject) == 3
    async with engine.connect() as conn:
        stored = (await conn.execute(sa.select(recovery_codes.c.code_hash))).scalars().all()
    assert sorted(stored) == ["h1", "h2", "h3"]


async def test_enrol_again_replaces_secret_and_codes(repo: SqlSecondFactorRepository, subject: str) -> None:
    await repo.enrol(_credential(subject), ["h1", "h2"])
    assert await repo.use_recovery_code(subject, "h1", at=NOW)
    await repo.enrol(_credential(subject, "sealed-2", None), ["h3"])
    found = await repo.get(subject)
    assert found is not None
    assert (found.secret_encrypted, found.last_used_step) == ("sealed-2", None)
    assert await repo.remaining_recovery_codes(subject) == 1
    assert not await repo.use_recovery_code(subject, "h2", at=NOW)


async def test_the_step_moves_only_forward(repo: SqlSecondFactorRepository, subject: str) -> None:
    await repo.enrol(_credential(subject, step=None), [])
    assert await repo.advance_step(subject, 10)
    assert not await repo.advance_step(subject, 10)
    assert not await repo.advance_step(subject, 9)
    assert await repo.advance_step(subject, 11)
    assert not await repo.advance_step("no-such-subject", 12)


async def test_parallel_spends_of_one_step_or_code_succeed_once(
    repo: SqlSecondFactorRepository, subject: str
) -> None:
    await repo.enrol(_credential(subject, step=None), ["h1"])
    steps = await asyncio.gather(*(repo.advance_step(subject, 42) for _ in range(10)))
    codes = await asyncio.gather(*(repo.use_recovery_code(subject, "h1", at=NOW) for _ in range(10)))
    assert steps.count(True) == 1
    assert codes.count(True) == 1
    assert await repo.remaining_recovery_codes(subject) == 0


async def test_reset_forgets_credential_and_codes(
    repo: SqlSecondFactorRepository, subject: str, engine: AsyncEngine
) -> None:
    await repo.enrol(_credential(subject), ["h1"])
    assert await repo.reset(subject)
    assert not await repo.reset(subject)
    assert await repo.get(subject) is None
    async with engine.connect() as conn:
        left = (await conn.execute(sa.select(sa.func.count()).select_from(recovery_codes))).scalar_one()
    assert left == 0


async def test_credentials_seal_the_secret_and_refuse_replays(
    repo: SqlSecondFactorRepository, subject: str, engine: AsyncEngine, kv: KeyValueStore
) -> None:
    cipher = FieldCipher("integration-secret-key-0123456789", purpose="totp")
    credentials = TotpCredentials(repo, kv, cipher, recovery_key=KEY, namespace="it")
    secret = totp.new_secret()
    step = totp.current_step(time.time())
    codes = await credentials.enrol(subject, secret, step)
    async with engine.connect() as conn:
        column = (await conn.execute(sa.select(totp_credentials.c.secret_encrypted))).scalar_one()
    assert secret not in column
    assert cipher.decrypt_text(column, associated_data=subject) == secret

    assert (
        await credentials.verify(subject, totp.code_at(secret, step)) is Verdict.REPLAY
    )  # the enrolling code
    fresh = totp.code_at(secret, step + 1)
    verdicts = await asyncio.gather(*(credentials.verify(subject, fresh) for _ in range(8)))
    assert verdicts.count(Verdict.TOTP) == 1
    assert set(verdicts) == {Verdict.TOTP, Verdict.REPLAY}
    assert await credentials.verify(subject, codes[0]) is Verdict.RECOVERY
    assert await credentials.verify(subject, codes[0]) is Verdict.WRONG
    assert await credentials.remaining_recovery_codes(subject) == 9


async def test_new_recovery_codes_replace_the_old_set_and_keep_the_secret(
    repo: SqlSecondFactorRepository, subject: str, kv: KeyValueStore
) -> None:
    cipher = FieldCipher("integration-secret-key-0123456789", purpose="totp")
    credentials = TotpCredentials(repo, kv, cipher, recovery_key=KEY, namespace="it")
    assert await credentials.replace_recovery_codes(subject) is None  # nothing enrolled: nothing written
    assert await repo.remaining_recovery_codes(subject) == 0
    secret = totp.new_secret()
    old = await credentials.enrol(subject, secret, totp.current_step(time.time()))
    assert await credentials.verify(subject, old[0]) is Verdict.RECOVERY
    before = await repo.get(subject)
    new = await credentials.replace_recovery_codes(subject)
    assert new is not None
    assert len(new) == 10
    assert not set(new) & set(old)
    assert await repo.get(subject) == before  # the authenticator stays
    assert await credentials.remaining_recovery_codes(subject) == 10
    assert await credentials.verify(subject, old[1]) is Verdict.WRONG  # the earlier set stopped working
    assert await credentials.verify(subject, new[0]) is Verdict.RECOVERY


async def test_recovery_codes_keyed_by_the_earlier_version_or_a_previous_secret_still_pass(
    repo: SqlSecondFactorRepository, subject: str, engine: AsyncEngine, kv: KeyValueStore
) -> None:
    old, new = "earlier-secret-key-0123456789-abcdef", "current-secret-key-0123456789-abcdef"
    earlier_key = hashlib.sha256(b"frmr-sso/recovery-codes\x00" + old.encode()).digest()  # how it was keyed
    earlier = TotpCredentials(repo, kv, FieldCipher(old, purpose="totp"), recovery_key=earlier_key)
    codes = await earlier.enrol(subject, totp.new_secret(), totp.current_step(time.time()))
    rotated = load_settings(mode="demo", secret_key=new, previous_secret_keys=[old])
    _, credentials, _ = build_second_factor(rotated, engine, kv, Auditor(SqlAuditRepository(engine)))
    assert await credentials.verify(subject, codes[0]) is Verdict.RECOVERY
    assert await credentials.verify(subject, codes[0]) is Verdict.WRONG
    forgotten = load_settings(mode="demo", secret_key=new)
    _, without_old, _ = build_second_factor(forgotten, engine, kv, Auditor(SqlAuditRepository(engine)))
    assert await without_old.verify(subject, codes[1]) is Verdict.WRONG  # the old secret is needed
    assert await credentials.remaining_recovery_codes(subject) == 9


async def test_the_client_flag_is_stored(engine: AsyncEngine) -> None:
    from frmr_sso.storage.ports import ClientRecord
    from frmr_sso.storage.sql import SqlClientRepository

    clients = SqlClientRepository(engine)
    await clients.add(
        ClientRecord("strict", "Strict", ("https://s.test/cb",), True, require_second_factor=True)
    )
    await clients.add(ClientRecord("plain", "Plain", ("https://p.test/cb",), True))
    strict, plain = await clients.get("strict"), await clients.get("plain")
    assert strict is not None
    assert plain is not None
    assert (strict.require_second_factor, plain.require_second_factor) == (True, False)


async def test_the_logins_enrolment_check_reads_without_a_transaction(
    repo: SqlSecondFactorRepository, subject: str, engine: AsyncEngine, sql_dialect: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    await repo.enrol(_credential(subject), [])
    with sent_to(engine, monkeypatch) as sent:
        assert await repo.get(subject) == _credential(subject)
        assert await repo.get("no-such-subject") is None
    assert sent.statements == ["SELECT", "SELECT"]
    if sql_dialect == "postgresql":  # one round trip each: no BEGIN and ROLLBACK around them
        assert sent.transaction_control == []


async def test_enrolled_is_a_totp_secret_or_a_passkey_read_in_one_statement(
    repo: SqlSecondFactorRepository, subject: str, engine: AsyncEngine, sql_dialect: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    other = (await SqlSubjectRepository(engine).get_or_create_by_esia_oid("1000299662")).id
    assert await SqlPasskeyRepository(engine).add(_passkey_of(other))
    await repo.enrol(_credential(subject), [])
    nobody = (await SqlSubjectRepository(engine).get_or_create_by_esia_oid("1000299663")).id
    with sent_to(engine, monkeypatch) as sent:
        answers = [await repo.any_enrolled(s) for s in (subject, other, nobody)]
    assert answers == [True, True, False]
    assert sent.statements == ["SELECT"] * 3
    if sql_dialect == "postgresql":
        assert sent.transaction_control == []


def _passkey_of(subject: str) -> PasskeyRecord:
    return PasskeyRecord(
        id="pk-1", subject_id=subject, credential_id="c1", name="Ключ", public_key=b"k", sign_count=0,
        created_at=NOW, transports=(), last_used_at=None,
    )
