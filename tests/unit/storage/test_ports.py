from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta, timezone

import pytest

from frmr_sso.storage.ports import GENESIS_HASH, AuditRecord, audit_chain_hash

MOSCOW = timezone(timedelta(hours=3))
EVENT = AuditRecord(
    event_type="login.succeeded",
    outcome="success",
    occurred_at=datetime(2026, 1, 15, 9, 30, 0, 123456, tzinfo=UTC),
    ip="192.0.2.10",
    user_agent="Mozilla/5.0",
    request_id="req-1",
    client_id="demo-web",
    subject_id="5f0c",
    snils_masked="***-***-445 95",
    details={"acr": "esia", "amr": ["pwd", "sms"]},
)


def test_hash_is_sha256_hex_and_deterministic() -> None:
    digest = audit_chain_hash(EVENT, GENESIS_HASH)
    assert len(digest) == 64
    assert int(digest, 16) >= 0
    assert audit_chain_hash(dataclasses.replace(EVENT), GENESIS_HASH) == digest


def test_hash_depends_on_the_previous_hash() -> None:
    assert audit_chain_hash(EVENT, GENESIS_HASH) != audit_chain_hash(EVENT, "f" * 64)


@pytest.mark.parametrize(
    "change",
    [
        {"event_type": "login.failed"},
        {"outcome": "failure"},
        {"occurred_at": EVENT.occurred_at + timedelta(microseconds=1)},
        {"ip": "192.0.2.11"},
        {"user_agent": "curl/8"},
        {"request_id": "req-2"},
        {"client_id": "demo-spa"},
        {"subject_id": None},
        {"snils_masked": "***-***-445 96"},
        {"details": {"acr": "esia", "amr": ["pwd"]}},
    ],
)
def test_every_event_field_is_covered(change: dict[str, object]) -> None:
    edited = dataclasses.replace(EVENT, **change)  # type: ignore[arg-type]
    assert audit_chain_hash(edited, GENESIS_HASH) != audit_chain_hash(EVENT, GENESIS_HASH)


def test_storage_assigned_fields_are_not_covered() -> None:
    stored = dataclasses.replace(EVENT, id=42, prev_hash="a" * 64, hash="b" * 64)
    assert audit_chain_hash(stored, GENESIS_HASH) == audit_chain_hash(EVENT, GENESIS_HASH)


def test_same_instant_in_another_zone_hashes_the_same() -> None:
    local = dataclasses.replace(EVENT, occurred_at=EVENT.occurred_at.astimezone(MOSCOW))
    assert audit_chain_hash(local, GENESIS_HASH) == audit_chain_hash(EVENT, GENESIS_HASH)


def test_details_key_order_does_not_matter() -> None:
    reordered = dataclasses.replace(EVENT, details={"amr": ["pwd", "sms"], "acr": "esia"})
    assert audit_chain_hash(reordered, GENESIS_HASH) == audit_chain_hash(EVENT, GENESIS_HASH)
