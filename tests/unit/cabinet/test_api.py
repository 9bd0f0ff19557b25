from __future__ import annotations

import time
from collections.abc import AsyncIterator

import pytest

from frmr_sso.cabinet.api import BrokerApi, SessionExpired
from frmr_sso.cabinet.oidc_client import OidcClient, Tokens
from frmr_sso.cabinet.session import CabinetSession, CabinetSessions
from frmr_sso.security.crypto import FieldCipher
from frmr_sso.security.csrf import CsrfTokens
from frmr_sso.storage.kv.memory import MemoryKV
from tests.unit.cabinet.fake_broker import CLIENT_ID, ISSUER, SECRET, FakeBroker

EDUCATION = "/api/v1/me/education"


@pytest.fixture
def broker() -> FakeBroker:
    return FakeBroker()


@pytest.fixture
def sessions() -> CabinetSessions:
    return CabinetSessions(
        MemoryKV(), FieldCipher("k" * 40, purpose="cabinet-session"),
        csrf=CsrfTokens(b"c" * 32), idle_ttl=600, absolute_ttl=3600
    )


@pytest.fixture
async def api(broker: FakeBroker, sessions: CabinetSessions) -> AsyncIterator[BrokerApi]:
    async with broker.client() as http:
        client = OidcClient(
            http,
            issuer=ISSUER,
            client_id=CLIENT_ID,
            client_secret=SECRET,
            redirect_uri=f"{ISSUER}/cabinet/callback",
            scope="openid frmr",
        )
        yield BrokerApi(client, http, sessions)


async def _session(
    sessions: CabinetSessions, access: str = "at-1", expires_in: float = 300, refresh: str | None = "rt-1"
) -> CabinetSession:
    return await sessions.create(
        sub="s", name="n", tokens=Tokens(access, refresh, None, time.time() + expires_in, "")
    )


async def test_sections_are_kept_and_revalidated_by_etag(
    api: BrokerApi, broker: FakeBroker, sessions: CabinetSessions
) -> None:
    session = await _session(sessions)
    first = await api.read(session, EDUCATION, cache=True)
    assert first.ok
    assert first.data == broker.section
    broker.section = {"items": [], "total": 0}  # changed at the broker, same ETag: 304 keeps the copy
    calls = len(broker.seen)
    assert (await api.read(session, EDUCATION, cache=True)).data["total"] == 1
    assert len(broker.seen) == calls + 1  # every view asks the broker: the kept copy only on its 304
    assert broker.seen[-1].headers["if-none-match"] == '"v1"'
    broker.etag = '"v2"'
    assert (await api.read(session, EDUCATION, cache=True)).data["total"] == 0
    stored = await sessions.get(session.id)
    assert stored is not None
    assert stored.cache[EDUCATION]["etag"] == '"v2"'


async def test_an_expired_access_token_is_refreshed_first(
    api: BrokerApi, broker: FakeBroker, sessions: CabinetSessions
) -> None:
    session = await _session(sessions, expires_in=5)
    assert (await api.read(session, EDUCATION)).ok
    assert broker.refreshed == 1
    assert broker.seen[-1].headers["authorization"] == "Bearer at-2"


async def test_a_refused_token_is_refreshed_once_then_the_session_ends(
    api: BrokerApi, broker: FakeBroker, sessions: CabinetSessions
) -> None:
    session = await _session(sessions, access="revoked")
    assert (await api.read(session, EDUCATION)).ok  # 401, refresh, retry
    assert broker.refreshed == 1
    broker.valid_tokens.clear()
    with pytest.raises(SessionExpired):
        await api.read(session, EDUCATION)
    without_refresh = await _session(sessions, expires_in=0, refresh=None)
    with pytest.raises(SessionExpired):
        await api.read(without_refresh, EDUCATION)


async def test_missing_and_absent_resources_are_told_apart(api: BrokerApi, sessions: CabinetSessions) -> None:
    session = await _session(sessions)
    missing = await api.read(session, "/api/v1/me/missing")
    assert (missing.state, missing.detail) == ("missing", "no FRMR record")
    assert (await api.read(session, "/api/v1/me/nothing-here")).state == "absent"
