"""Passkeys on both backends: store, list, the counter moved once under races, remove, reset, cascade."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from frmr_sso.audit.events import AuditContext, Auditor
from frmr_sso.bootstrap import build_second_factor
from frmr_sso.config import load_settings
from frmr_sso.second_factor.credentials import reset_second_factor
from frmr_sso.storage.ports import KeyValueStore, PasskeyRecord
from frmr_sso.storage.sql import SqlAuditRepository, SqlPasskeyRepository, SqlSubjectRepository
from tests.integration.storage.sql.round_trips import sent_to
from tests.support.soft_authenticator import SoftAuthenticator

NOW = datetime(2026, 12, 7, 12, 0, tzinfo=UTC)


@pytest.fixture
def repo(engine: AsyncEngine) -> SqlPasskeyRepository:
    return SqlPasskeyRepository(engine)


@pytest.fixture
async def subject(engine: AsyncEngine) -> str:
    return (await SqlSubjectRepository(engine).get_or_create_by_esia_oid("1000299661")).id


def _passkey(subject: str, n: int, **changes: object) -> PasskeyRecord:
    record = PasskeyRecord(
        id=f"pk-{n}", subject_id=subject, credential_id="c" * 1300 + str(n), name=f"Ключ {n}",
        public_key=bytes(range(77)), sign_count=0, created_at=NOW + timedelta(minutes=n),
        transports=("usb", "nfc"),
    )  # fmt: skip
    return replace(record, **changes)  # type: ignore[arg-type]


async def test_store_list_and_find_by_credential_id(repo: SqlPasskeyRepository, subject: str) -> None:
    assert await repo.of_subject(subject) == []
    assert await repo.add(_passkey(subject, 2))
    assert await repo.add(_passkey(subject, 1, transports=()))
    assert [p.id for p in await repo.of_subject(subject)] == ["pk-1", "pk-2"]  # oldest first
    assert await repo.by_credential_id("c" * 1300 + "2") == _passkey(subject, 2)
    assert await repo.by_credential_id("nope") is None
    assert not await repo.add(_passkey(subject, 3, credential_id="c" * 1300 + "2"))  # the same credential


async def test_the_counter_moves_forward_once_under_concurrent_uses(
    repo: SqlPasskeyRepository, subject: str
) -> None:
    await repo.add(_passkey(subject, 1, sign_count=5))
    assert not await repo.record_use("pk-1", 5, at=NOW)  # not above the stored one: a clone or a replay
    assert not await repo.record_use("pk-1", 4, at=NOW)
    results = await asyncio.gather(*(repo.record_use("pk-1", 6, at=NOW) for _ in range(8)))
    assert sorted(results) == [False] * 7 + [True]
    [stored] = await repo.of_subject(subject)
    assert (stored.sign_count, stored.last_used_at) == (6, NOW)


async def test_an_authenticator_without_a_counter_is_recorded_at_zero(
    repo: SqlPasskeyRepository, subject: str
) -> None:
    await repo.add(_passkey(subject, 1))
    assert await repo.record_use("pk-1", 0, at=NOW)
    assert await repo.record_use("pk-1", 0, at=NOW + timedelta(hours=1))
    assert await repo.record_use("pk-1", 3, at=NOW)
    assert not await repo.record_use("pk-1", 0, at=NOW)  # once it counted, zero is a clone


async def test_remove_only_ones_own_then_all(
    repo: SqlPasskeyRepository, subject: str, engine: AsyncEngine
) -> None:
    other = (await SqlSubjectRepository(engine).get_or_create_by_esia_oid("1000299662")).id
    for n in (1, 2, 3):
        await repo.add(_passkey(subject, n))
    await repo.add(_passkey(other, 4))
    assert await repo.remove(other, "pk-1") is None
    assert await repo.remove(subject, "pk-1") == _passkey(subject, 1)
    assert await repo.remove(subject, "pk-1") is None
    assert await repo.remove_all(subject) == 2
    assert await repo.of_subject(subject) == []
    assert [p.id for p in await repo.of_subject(other)] == ["pk-4"]


async def test_the_administrators_reset_removes_the_passkeys(
    engine: AsyncEngine, kv: KeyValueStore, subject: str
) -> None:
    settings = load_settings(mode="demo", secret_key="integration-secret-key-0123456789abcdef")
    auditor = Auditor(SqlAuditRepository(engine))
    _, credentials, passkeys = build_second_factor(settings, engine, kv, auditor)
    assert passkeys.rp.id == "127.0.0.1"
    device = SoftAuthenticator(passkeys.rp.origin)
    options = await passkeys.creation_options("account:s", subject, "x", [])
    assert (
        await passkeys.register("account:s", subject, "Телефон", device.create(options))
    ).passkey is not None
    context = AuditContext(ip="127.0.0.1")
    assert await reset_second_factor(credentials, auditor, subject, context, by="cli", passkeys=passkeys)
    assert await passkeys.of(subject) == []
    assert not await reset_second_factor(credentials, auditor, subject, context, by="cli", passkeys=passkeys)
    records = [r for r in await SqlAuditRepository(engine).list() if r.event_type == "second_factor.reset"]
    assert [r.details["passkeys_removed"] for r in records] == [1, 0]


async def test_the_logins_enrolment_check_reads_without_a_transaction(
    repo: SqlPasskeyRepository, subject: str, engine: AsyncEngine, sql_dialect: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert await repo.add(_passkey(subject, 1))
    with sent_to(engine, monkeypatch) as sent:
        assert [p.id for p in await repo.of_subject(subject)] == ["pk-1"]
    assert sent.statements == ["SELECT"]
    if sql_dialect == "postgresql":  # one round trip: no BEGIN and ROLLBACK around it
        assert sent.transaction_control == []
