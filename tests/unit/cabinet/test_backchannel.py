"""The cabinet ends its sessions when the broker's session ends, and never shows kept data without one."""

from __future__ import annotations

import time
import uuid
from collections.abc import AsyncIterator
from typing import Any

import httpx
import jwt
import pytest

from frmr_sso.cabinet.app import create_cabinet
from frmr_sso.cabinet.backchannel import EVENT
from frmr_sso.cabinet.oidc_client import Tokens
from frmr_sso.cabinet.runtime import COOKIE, Runtime
from frmr_sso.cabinet.session import CabinetSession
from frmr_sso.cabinet.session import _key as session_key
from tests.unit.cabinet.fake_broker import _KEY, CLIENT_ID, ISSUER, FakeBroker
from tests.unit.cabinet.test_pages import CONFIG, broker, runtime  # noqa: F401 - fixtures

SID = "broker-session-1"
EDUCATION = "/api/v1/me/education?limit=100"


@pytest.fixture
async def session(runtime: Runtime) -> CabinetSession:  # noqa: F811
    tokens = Tokens("at-1", "rt-1", None, time.time() + 300, "openid frmr")
    created = await runtime.sessions.create(sub="subject-1", name="Иванова Мария", tokens=tokens, sid=SID)
    created.cache[EDUCATION] = {"etag": '"v1"', "data": {"items": [{"institution": "ПМГМУ"}], "total": 1}}
    await runtime.sessions.save(created)
    return created


@pytest.fixture
async def browser(runtime: Runtime, session: CabinetSession) -> AsyncIterator[httpx.AsyncClient]:  # noqa: F811
    app = create_cabinet(CONFIG)
    app.state.runtime = runtime
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://cabinet.test", cookies={COOKIE: session.id}
    ) as client:
        yield client


def logout_token(**changes: Any) -> str:
    now = int(time.time())
    claims = {
        "iss": ISSUER, "aud": CLIENT_ID, "iat": now, "exp": now + 120, "jti": str(uuid.uuid4()),
        "sub": "subject-1", "sid": SID, "events": {EVENT: {}},
    }
    claims.update(changes)
    body = {k: v for k, v in claims.items() if v is not None}
    return jwt.encode(body, _KEY, algorithm="RS256", headers={"kid": "k1", "typ": "logout+jwt"})


async def _stored(runtime: Runtime, session: CabinetSession) -> str | None:  # noqa: F811
    return await runtime.kv.get(session_key("cabinet:session:", session.id))


async def test_a_logout_token_ends_the_cabinet_session_at_once(
    browser: httpx.AsyncClient, runtime: Runtime, session: CabinetSession  # noqa: F811
) -> None:
    assert "ПМГМУ" in (await browser.get("/education")).text
    answer = await browser.post("/backchannel-logout", data={"logout_token": logout_token()})
    assert answer.status_code == 200
    assert answer.headers["cache-control"] == "no-store"
    assert await _stored(runtime, session) is None
    page = await browser.get("/education")
    assert page.status_code == 303
    assert page.headers["location"] == "/login?next=education"


@pytest.mark.parametrize(
    ("why", "changes"),
    [
        ("another audience", {"aud": "demo-web"}),
        ("another issuer", {"iss": "https://evil.test"}),
        ("no event", {"events": {"other": {}}}),
        ("a nonce", {"nonce": "n"}),
        ("no sid", {"sid": None}),
        ("expired", {"exp": int(time.time()) - 3600, "iat": int(time.time()) - 4000}),
    ],
)
async def test_a_bad_logout_token_is_refused_and_ends_nothing(
    browser: httpx.AsyncClient, runtime: Runtime, session: CabinetSession, why: str, changes: dict[str, Any]  # noqa: F811
) -> None:
    answer = await browser.post("/backchannel-logout", data={"logout_token": logout_token(**changes)})
    assert answer.status_code == 400, why
    assert answer.json()["error"] == "invalid_request"
    assert await _stored(runtime, session) is not None, why


async def test_a_forged_signature_or_a_missing_token_is_refused(browser: httpx.AsyncClient) -> None:
    forged = logout_token()[:-4] + "AAAA"
    assert (await browser.post("/backchannel-logout", data={"logout_token": forged})).status_code == 400
    assert (await browser.post("/backchannel-logout", data={})).status_code == 400
    assert (await browser.post("/backchannel-logout", json={"logout_token": "x"})).status_code == 400


async def test_kept_data_is_not_shown_once_the_broker_refuses_the_session(
    browser: httpx.AsyncClient, broker: FakeBroker, runtime: Runtime, session: CabinetSession  # noqa: F811
) -> None:
    assert "ПМГМУ" in (await browser.get("/education")).text
    broker.valid_tokens = set()  # the session ended at the broker: tokens refused, refresh too
    session.tokens = Tokens("at-1", "rt-revoked", None, time.time() + 300, "openid frmr")
    await runtime.sessions.save(session)
    page = await browser.get("/education")
    assert page.status_code == 303
    assert "ПМГМУ" not in page.text
    assert await _stored(runtime, session) is None  # removed on the server, not only the cookie


async def test_a_session_past_its_absolute_lifetime_is_removed_from_the_server(
    runtime: Runtime, session: CabinetSession  # noqa: F811
) -> None:
    session.created_at = time.time() - runtime.sessions.absolute_ttl - 1
    await runtime.kv.set(
        session_key("cabinet:session:", session.id),
        runtime.sessions._seal(session_key("cabinet:session:", session.id), session.to_json()),
        ttl=60,
    )
    assert await runtime.sessions.get(session.id) is None
    assert await _stored(runtime, session) is None
