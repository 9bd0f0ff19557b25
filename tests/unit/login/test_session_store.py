from __future__ import annotations

from dataclasses import replace

from frmr_sso.login.session_store import SessionStore, SsoSession, session_id_of
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


async def test_each_session_is_new_and_creating_one_ends_no_other() -> None:
    """Ending the browser's previous session is SessionManager.end_replaced (tests/unit/login/
    test_replaced_sessions.py), so it is revoked, audited and announced; the store never ends it silently."""
    sessions, _, _ = store()
    first, old_cookie = await sessions.create(DRAFT)
    second, new_cookie = await sessions.create(DRAFT)
    assert first.id != second.id
    assert old_cookie != new_cookie
    assert await sessions.get(old_cookie) is not None
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


async def test_the_subject_index_lists_live_sessions_newest_first_with_their_clients() -> None:
    sessions, _, clock = store()
    first, _ = await sessions.create(DRAFT)
    clock.now += 10
    second, _ = await sessions.create(replace(DRAFT, ip="192.0.2.7", user_agent="Firefox"))
    await sessions.create(replace(DRAFT, subject="someone-else"))
    await sessions.add_client(second.id, "app-b")
    await sessions.add_client(second.id, "app-a")
    await sessions.add_client(second.id, "app-a")
    listed = await sessions.sessions_of("sub-1")
    assert [s.id for s in listed] == [second.id, first.id]
    assert listed[0].clients == ("app-a", "app-b")
    assert (listed[0].ip, listed[0].user_agent) == ("192.0.2.7", "Firefox")
    assert listed[1].clients == ()


async def test_expired_sessions_drop_out_of_the_index() -> None:
    sessions, kv, clock = store()
    old, _ = await sessions.create(DRAFT)
    clock.now += 60
    fresh, fresh_cookie = await sessions.create(DRAFT)
    clock.now += 60  # the first is idle for 120 s (> 100), the second for 60 s
    assert [s.id for s in await sessions.sessions_of("sub-1")] == [fresh.id]
    assert old.id not in await kv.set_members("login:subject-sessions:sub-1")
    assert await sessions.get(fresh_cookie) is not None


async def test_ending_returns_the_clients_and_clears_the_index() -> None:
    sessions, kv, _ = store()
    session, cookie = await sessions.create(DRAFT)
    await sessions.add_client(session.id, "app")
    ended = await sessions.end_by_id(session.id)
    assert ended is not None
    assert ended.clients == ("app",)
    assert await sessions.end_by_id(session.id) is None
    assert await sessions.get(cookie) is None
    assert await sessions.sessions_of("sub-1") == []
    assert await kv.set_members("login:session-clients:" + session.id) == frozenset()


async def test_a_request_that_was_using_the_session_cannot_write_it_back_after_it_ended() -> None:
    sessions, kv, _ = store()
    session, cookie = await sessions.create(DRAFT)
    raw = await kv.get("login:session:" + session.id)
    assert raw is not None
    assert await sessions.end(cookie) is not None
    await kv.set("login:session:" + session.id, raw, ttl=100)  # what a racing `get` writes
    assert await sessions.get(cookie) is None
    assert await kv.get("login:session:" + session.id) is None


async def test_peek_needs_a_well_formed_id_and_does_not_move_the_idle_deadline() -> None:
    sessions, _, clock = store()
    session, cookie = await sessions.create(DRAFT)
    clock.now += 60
    peeked = await sessions.peek(session.id)
    assert peeked is not None
    assert peeked.last_seen == session.last_seen
    clock.now += 50  # idle 110 s: peek did not count as use
    assert await sessions.get(cookie) is None
    assert await sessions.peek("../../etc") is None
    assert await sessions.peek(session.id.upper()) is None
