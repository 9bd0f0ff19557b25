from __future__ import annotations

import time

import pytest

from frmr_sso.cabinet.oidc_client import LoginStart, Tokens
from frmr_sso.cabinet.session import CabinetSessions
from frmr_sso.security.crypto import FieldCipher
from frmr_sso.security.csrf import CsrfTokens
from frmr_sso.storage.kv.memory import MemoryKV

TOKENS = Tokens("access-secret", "refresh-secret", "id.token", time.time() + 300, "openid frmr")


@pytest.fixture
def kv() -> MemoryKV:
    return MemoryKV()


@pytest.fixture
def sessions(kv: MemoryKV) -> CabinetSessions:
    return CabinetSessions(
        kv, FieldCipher("k" * 40, purpose="cabinet-session"),
        csrf=CsrfTokens(b"c" * 32), idle_ttl=600, absolute_ttl=3600
    )


async def test_a_session_round_trips_sealed(sessions: CabinetSessions, kv: MemoryKV) -> None:
    session = await sessions.create(sub="s-1", name="Иванова Мария", tokens=TOKENS)
    session.cache["/api/v1/me"] = {"etag": '"e"', "data": {"last_name": "Иванова"}}
    await sessions.save(session)
    loaded = await sessions.get(session.id)
    assert loaded is not None
    assert (loaded.sub, loaded.name, loaded.tokens, loaded.csrf) == (
        "s-1",
        "Иванова Мария",
        TOKENS,
        session.csrf,
    )
    assert loaded.cache == session.cache
    stored = " ".join(value for value, _ in kv._data.values())
    for secret in ("access-secret", "refresh-secret", session.id, "Иванова"):
        assert secret not in stored  # neither the tokens, the name nor the cookie value is readable in the KV
    await sessions.delete(session.id)
    assert await sessions.get(session.id) is None


async def test_unknown_or_oversized_ids_find_nothing(sessions: CabinetSessions) -> None:
    assert await sessions.get("") is None
    assert await sessions.get("x" * 500) is None
    assert await sessions.get("not-a-session") is None


async def test_a_session_past_its_absolute_lifetime_is_gone(kv: MemoryKV) -> None:
    short = CabinetSessions(
        kv, FieldCipher("k" * 40, purpose="cabinet-session"),
        csrf=CsrfTokens(b"c" * 32), idle_ttl=600, absolute_ttl=60
    )
    session = await short.create(sub="s-1", name="n", tokens=TOKENS)
    session.created_at -= 61
    await short.save(session)
    assert await short.get(session.id) is None


async def test_a_login_transaction_is_read_once(sessions: CabinetSessions) -> None:
    await sessions.begin_login(
        LoginStart("https://sso.test/authorize", "state-1", "nonce-1", "verifier-1"), "statements"
    )
    pending = await sessions.take_login("state-1")
    assert pending is not None
    assert (pending.nonce, pending.verifier, pending.next_path) == ("nonce-1", "verifier-1", "statements")
    assert await sessions.take_login("state-1") is None
    assert await sessions.take_login("other") is None


async def test_a_value_moved_to_another_key_does_not_open(sessions: CabinetSessions, kv: MemoryKV) -> None:
    first = await sessions.create(sub="s-1", name="a", tokens=TOKENS)
    second = await sessions.create(sub="s-2", name="b", tokens=TOKENS)
    keys = list(kv._data)
    kv._data[keys[1]] = kv._data[keys[0]]  # swap the sealed value of one session into the other's key
    assert await sessions.get(second.id) is None
    assert await sessions.get(first.id) is not None


async def test_a_form_token_is_bound_to_its_cabinet_session(sessions: CabinetSessions) -> None:
    mine = await sessions.create(sub="s-1", name="n", tokens=TOKENS)
    theirs = await sessions.create(sub="s-2", name="m", tokens=TOKENS)
    assert sessions.csrf_ok(mine, mine.csrf)
    assert not sessions.csrf_ok(mine, theirs.csrf)
    for forged in (None, "", "forged", mine.csrf[:-1]):
        assert not sessions.csrf_ok(mine, forged)
    assert not sessions.csrf_ok(None, mine.csrf)
    assert "csrf" not in str(sessions._kv._data)  # derived, never stored
