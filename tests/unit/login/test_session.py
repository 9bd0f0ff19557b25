from __future__ import annotations

from frmr_sso.login.session import SessionStore, SsoSession, session_id_of
from frmr_sso.security.crypto import FieldCipher
from frmr_sso.storage.kv.memory import MemoryKV
from tests.unit.login.fakes import Clock

DRAFT = SsoSession(
    id="",
    subject="sub-1",
    connector="esia",
    auth_time=1_700_000_000,
    created_at=0,
    last_seen=0,
    amr=("pwd",),
    roles=("registry_admin",),
    claims={"snils": "112-233-445 95"},
)


def store() -> tuple[SessionStore, MemoryKV, Clock]:
    clock = Clock()
    kv = MemoryKV(clock=clock)
    sessions = SessionStore(
        kv, FieldCipher("k" * 32, purpose="sso-session"), idle_ttl=100, absolute_ttl=250, clock=clock
    )
    return sessions, kv, clock


async def test_create_and_get_round_trip_with_sealed_claims() -> None:
    sessions, kv, _ = store()
    session, cookie = await sessions.create(DRAFT)
    assert session_id_of(cookie) == session.id
    found = await sessions.get(cookie)
    assert found is not None
    assert found.claims == {"snils": "112-233-445 95"}
    assert found.roles == ("registry_admin",)
    raw = await kv.get("login:session:" + session.id)
    assert raw is not None
    assert "112-233-445" not in raw
    assert cookie.split(".")[1] not in raw


async def test_a_wrong_secret_or_garbage_finds_nothing() -> None:
    sessions, _, _ = store()
    session, _ = await sessions.create(DRAFT)
    assert await sessions.get(f"{session.id}.wrong") is None
    assert await sessions.get("garbage") is None
    assert await sessions.get(None) is None


async def test_idle_timeout_moves_with_use_and_absolute_timeout_does_not() -> None:
    sessions, _, clock = store()
    _, cookie = await sessions.create(DRAFT)
    for _ in range(2):
        clock.now += 90
        assert await sessions.get(cookie) is not None
    clock.now += 90  # 270 s after the login: past the absolute limit, though not idle
    assert await sessions.get(cookie) is None


async def test_idle_session_ends() -> None:
    sessions, _, clock = store()
    _, cookie = await sessions.create(DRAFT)
    clock.now += 101
    assert await sessions.get(cookie) is None


async def test_a_new_login_rotates_the_session() -> None:
    sessions, _, _ = store()
    first, old_cookie = await sessions.create(DRAFT)
    second, new_cookie = await sessions.create(DRAFT, replacing=old_cookie)
    assert first.id != second.id
    assert await sessions.get(old_cookie) is None
    assert await sessions.get(new_cookie) is not None


async def test_end_by_cookie_and_by_id() -> None:
    sessions, _, _ = store()
    session, cookie = await sessions.create(DRAFT)
    ended = await sessions.end(cookie)
    assert ended is not None
    assert ended.id == session.id
    assert await sessions.end(cookie) is None
    other, other_cookie = await sessions.create(DRAFT)
    assert await sessions.end_by_id(other.id)
    assert await sessions.get(other_cookie) is None
