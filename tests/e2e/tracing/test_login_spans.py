"""A brokered login, a token, userinfo and a registry read with tracing on: the upstream calls have
spans under the callback's request, and no span carries a SNILS, password, code, token or secret."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.trace import SpanKind

from frmr_sso.tracing.spans import REQUEST_ID
from frmr_sso.upstream.esia_signer import RsaSecretSigner
from tests.e2e.login.conftest import esia_signer  # noqa: F401 - fixture of the login rig
from tests.e2e.login.support import (
    DOCTOR,
    DOCTOR_PASSWORD,
    WEB_REDIRECT,
    Rig,
    assert_code_redirect,
    login_rig,
    query,
    start,
)
from tests.e2e.tracing.support import Spans, flattened, wait
from tests.support.log_capture import leaks


@pytest.fixture
def spans() -> Spans:
    return Spans()


@pytest.fixture
async def rig(
    migrated_database_url: str,
    redis_url: str | None,
    esia_signer: RsaSecretSigner,  # noqa: F811
    tmp_path: Path,
    spans: Spans,
) -> AsyncIterator[Rig]:
    tracing = spans.tracing
    async with login_rig(migrated_database_url, redis_url, esia_signer, tmp_path, tracing=tracing) as rig:
        yield rig


def _attributes(span: ReadableSpan) -> dict[str, object]:
    return dict(span.attributes or {})


async def test_the_callback_span_holds_the_upstream_calls(rig: Rig, spans: Spans) -> None:
    async with rig.web() as client:
        url, state, *_ = start(rig, client)
        answer = await rig.esia_login(url, DOCTOR, DOCTOR_PASSWORD)
    assert_code_redirect(rig, answer, WEB_REDIRECT, state)
    mine = spans.wait_for_request(answer.headers["x-request-id"])

    (server,) = [s for s in mine if s.kind is SpanKind.SERVER]
    assert server.name == "GET /callback/{connector}"
    upstream = [s for s in mine if s.kind is SpanKind.CLIENT and "http.method" in _attributes(s)]
    urls = [str(_attributes(s)["http.url"]) for s in upstream]
    assert any(u.startswith(rig.mock.url("/aas/oauth2/v3/te")) for u in urls), urls  # the token exchange
    assert any("/rs/prns/" in u for u in urls), urls  # the person's data
    assert all(s.context.trace_id == server.context.trace_id for s in upstream)
    assert all(_attributes(s)["http.status_code"] == 200 for s in upstream)
    assert [s for s in mine if _attributes(s).get("db.system") in ("sqlite", "postgresql")]


async def test_no_span_carries_a_secret(rig: Rig, spans: Spans) -> None:
    seen: list[str] = []
    async with rig.web() as client:
        url, state, *_ = start(rig, client)
        callback = await rig.esia_answer(url, DOCTOR, DOCTOR_PASSWORD)
        sms = await rig.mock.sms_code(rig.browser, DOCTOR)  # the code the login used, still in the outbox
        seen += [query(callback)["code"], query(callback)["state"]]
        done = await rig.browser.get(callback)
        location = assert_code_redirect(rig, done, WEB_REDIRECT, state)
        seen.append(query(location)["code"])
        token = await client.fetch_token(f"{rig.broker}/token", authorization_response=location, state=state)
    seen += [token[name] for name in ("access_token", "id_token", "refresh_token") if name in token]
    bearer = {"Authorization": f"Bearer {token['access_token']}"}
    userinfo = await rig.browser.get(f"{rig.broker}/userinfo", headers=bearer)
    assert userinfo.status_code == 200, userinfo.text
    record = await rig.browser.get(f"{rig.broker}/api/v1/me", headers=bearer)
    assert record.status_code == 200, record.text
    assert record.json()["snils"] == "112-233-445 95"
    wait(lambda: {"GET /userinfo", "GET /api/v1/me"} <= {s.name for s in spans.all()})

    collected = spans.all()
    kinds = {(s.kind, _attributes(s).get("db.system")) for s in collected}
    assert (SpanKind.SERVER, None) in kinds  # requests
    assert (SpanKind.CLIENT, None) in kinds  # upstream calls
    assert any(system in ("sqlite", "postgresql") for _, system in kinds)
    assert len({_attributes(s).get(REQUEST_ID) for s in collected}) > 5
    lines = [flattened(s) for s in collected]
    found = leaks(lines, seen)  # the demo SNILS and passwords, client secrets, and the values seen
    assert not found, "\n".join(found)
    assert not [line for line in lines if f"code={sms}" in line or f'"{sms}"' in line]
