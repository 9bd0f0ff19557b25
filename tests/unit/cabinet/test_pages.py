"""The cabinet's pages against an imitation of the broker (no network): empty profile, CSRF, failures."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator

import httpx
import pytest

from frmr_sso.cabinet.api import BrokerApi
from frmr_sso.cabinet.app import create_cabinet
from frmr_sso.cabinet.oidc_client import OidcClient, Tokens
from frmr_sso.cabinet.runtime import COOKIE, CabinetConfig, Runtime
from frmr_sso.cabinet.session import CabinetSession, CabinetSessions
from frmr_sso.security.crypto import FieldCipher
from frmr_sso.security.csrf import CsrfTokens
from frmr_sso.storage.kv.memory import MemoryKV
from tests.unit.cabinet.fake_broker import CLIENT_ID, ISSUER, SECRET, FakeBroker

CONFIG = CabinetConfig(issuer=ISSUER, client_id=CLIENT_ID, client_secret=SECRET, secret_key="k" * 40)


@pytest.fixture
def broker() -> FakeBroker:
    return FakeBroker()


@pytest.fixture
async def runtime(broker: FakeBroker) -> AsyncIterator[Runtime]:
    async with broker.client() as http:
        kv = MemoryKV()
        sessions = CabinetSessions(
            kv, FieldCipher("k" * 40, purpose="cabinet-session"),
            csrf=CsrfTokens(b"c" * 32), idle_ttl=600, absolute_ttl=3600
        )
        client = OidcClient(
            http,
            issuer=ISSUER,
            client_id=CLIENT_ID,
            client_secret=SECRET,
            redirect_uri=f"{ISSUER}/cabinet/callback",
            scope="openid frmr",
        )
        yield Runtime(CONFIG, http, kv, sessions, client, BrokerApi(client, http, sessions))


@pytest.fixture
async def session(runtime: Runtime) -> CabinetSession:
    tokens = Tokens("at-1", "rt-1", None, time.time() + 300, "openid frmr")
    created = await runtime.sessions.create(sub="s-1", name="Иванова Мария Петровна", tokens=tokens)
    created.cache["userinfo"] = {
        "etag": None,
        "data": {"name": "Иванова Мария Петровна", "frmr_person_id": "F-1"},
    }
    await runtime.sessions.save(created)
    return created


@pytest.fixture
async def browser(runtime: Runtime, session: CabinetSession) -> AsyncIterator[httpx.AsyncClient]:
    app = create_cabinet(CONFIG)
    app.state.runtime = runtime
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(
        transport=transport, base_url="http://cabinet.test", cookies={COOKIE: session.id}
    ) as client:
        yield client


async def test_a_record_without_data_explains_why_and_what_to_do(browser: httpx.AsyncClient) -> None:
    page = await browser.get("/profile")
    assert page.status_code == 200
    assert "В ФРМР пока нет сведений о вас" in page.text
    assert "кадровую службу" in page.text
    assert 'href="/support"' in page.text
    assert "frame-ancestors 'none'" in page.headers["content-security-policy"]
    assert page.headers["cache-control"] == "no-store"


async def test_a_full_record_shows_without_the_explanation(
    browser: httpx.AsyncClient, broker: FakeBroker
) -> None:
    broker.me = {"last_name": "Иванова", "employments": [{"organization_name": "ГКБ № 1"}]}
    page = await browser.get("/profile")
    assert "Иванова" in page.text
    assert "нет сведений о вас" not in page.text


async def test_a_form_without_the_csrf_token_changes_nothing(
    browser: httpx.AsyncClient, broker: FakeBroker
) -> None:
    calls = len(broker.seen)
    refused = await browser.post("/statements", data={"kind": "extract", "csrf": "forged"})
    assert refused.status_code == 403
    assert "Форма устарела" in refused.text
    assert len(broker.seen) == calls


async def test_without_a_session_the_person_is_sent_to_sign_in(browser: httpx.AsyncClient) -> None:
    browser.cookies.clear()
    answer = await browser.get("/statements")
    assert answer.status_code == 303
    assert answer.headers["location"] == "/login?next=statements"


async def test_a_broker_outage_is_a_russian_page_with_the_request_id(
    browser: httpx.AsyncClient, broker: FakeBroker
) -> None:
    broker.down = True
    page = await browser.get("/education")
    assert page.status_code == 502
    assert "Сервис ФРМР временно недоступен" in page.text
    assert "Код запроса" in page.text
    assert page.headers["retry-after"] == "30"


async def test_an_unknown_page_is_a_russian_404(browser: httpx.AsyncClient) -> None:
    page = await browser.get("/no-such-page")
    assert page.status_code == 404
    assert "Страница не найдена" in page.text
