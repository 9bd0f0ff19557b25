"""``/api/v1/audit/events`` and ``/events.jsonl`` over real HTTP, with client_credentials tokens.

An ``audit.read`` service client is registered in the database before the
broker starts; the demo's ``demo-service`` (scope ``frmr``) stands for a
client without the scope.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from frmr_sso.oauth.client_service import ClientService
from frmr_sso.oauth.client_specs import ClientSpec
from frmr_sso.storage.ports import AuditRecord
from frmr_sso.storage.sql import SqlAuditRepository, SqlClientRepository, create_engine
from tests.e2e.web.provider import SERVICE_ID, SERVICE_SECRET, Provider, basic, running_provider
from tests.support.databases import Databases

AUDITOR_ID, AUDITOR_SECRET = "audit-reader", "audit-reader-secret-2026"
SUBJECT = str(uuid.uuid4())
EVENTS = "/api/v1/audit/events"
T0 = datetime(2026, 2, 1, 9, tzinfo=UTC)


async def _prepare(url: str) -> None:
    engine = create_engine(url)
    try:
        await ClientService(SqlClientRepository(engine)).add(ClientSpec(
            client_id=AUDITOR_ID, name="Auditors' service", secret=AUDITOR_SECRET,
            grant_types=("client_credentials",), scopes=("audit.read",),
        ))
        audit = SqlAuditRepository(engine)
        for n in range(25):
            await audit.append(AuditRecord(
                event_type="login.success" if n % 5 else "login.no_frmr_record", outcome="success",
                occurred_at=T0 + timedelta(minutes=n), ip="198.51.100.20", client_id="demo-web",
                subject_id=SUBJECT, snils_masked="***-***-445 95", details={"n": n},
            ))
    finally:
        await engine.dispose()


@pytest.fixture(scope="module")
async def provider(
    databases: Databases, redis_url: str | None, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[Provider]:
    url = await databases.migrated()
    try:
        await _prepare(url)
        with running_provider(url, redis_url, tmp_path_factory.mktemp("audit-provider")) as running:
            yield running
    finally:
        await databases.drop(url)


async def _token(http: httpx.AsyncClient, client_id: str, secret: str, scope: str | None = None) -> str:
    data = {"grant_type": "client_credentials"} | ({"scope": scope} if scope else {})
    response = await http.post("/token", data=data, headers=basic(client_id, secret))
    assert response.status_code == 200, response.text
    token: str = response.json()["access_token"]
    return token


@pytest.fixture(scope="module")
async def auditor(provider: Provider) -> str:
    async with httpx.AsyncClient(base_url=provider.base, timeout=30) as http:
        return await _token(http, AUDITOR_ID, AUDITOR_SECRET, "audit.read")


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def assert_problem(response: httpx.Response, status: int) -> dict[str, object]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body: dict[str, object] = response.json()
    assert body["status"] == status
    return body


async def test_pages_follow_the_next_link(http: httpx.AsyncClient, auditor: str) -> None:
    seen: list[int] = []
    url: str | None = f"{EVENTS}?subject_id={SUBJECT}&limit=10"
    pages = 0
    while url is not None:
        response = await http.get(url, headers=bearer(auditor))
        assert response.status_code == 200, response.text
        assert response.headers["cache-control"] == "no-store"
        body = response.json()
        seen += [event["details"]["n"] for event in body["events"]]
        if body["next"]:
            assert response.headers["link"] == f'<{body["next"]}>; rel="next"'
        url, pages = body["next"], pages + 1
    assert seen == list(range(25))
    assert pages == 3


async def test_filters_and_the_event_shape(http: httpx.AsyncClient, auditor: str) -> None:
    params = {"subject_id": SUBJECT, "event_type": "login.no_frmr_record", "ip": "198.51.100.20",
              "client_id": "demo-web", "from": "2026-02-01T12:05:00+03:00", "to": "2026-02-01T09:20:00Z"}
    response = await http.get(EVENTS, params=params, headers=bearer(auditor))
    assert response.status_code == 200, response.text
    events = response.json()["events"]
    assert [e["details"]["n"] for e in events] == [5, 10, 15]
    first = events[0]
    assert first["occurred_at"] == "2026-02-01T09:05:00.000000Z"
    assert first["snils_masked"] == "***-***-445 95"
    assert len(first["hash"]) == len(first["prev_hash"]) == 64
    assert response.json()["next"] is None


async def test_jsonl_export_lines_parse(http: httpx.AsyncClient, auditor: str) -> None:
    async with http.stream("GET", f"{EVENTS}.jsonl", params={"subject_id": SUBJECT},
                           headers=bearer(auditor)) as response:
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("application/jsonl")
        lines = [line async for line in response.aiter_lines() if line]
    events = [json.loads(line) for line in lines]
    assert [e["details"]["n"] for e in events] == list(range(25))
    assert {e["subject_id"] for e in events} == {SUBJECT}


async def test_without_a_token_401_with_a_bearer_challenge(http: httpx.AsyncClient) -> None:
    for path in (EVENTS, f"{EVENTS}.jsonl"):
        response = await http.get(path)
        assert_problem(response, 401)
        assert response.headers["www-authenticate"].startswith("Bearer")


async def test_an_invalid_token_is_401(http: httpx.AsyncClient) -> None:
    response = await http.get(EVENTS, headers=bearer("not.a.jwt"))
    body = assert_problem(response, 401)
    assert body["error"] == "invalid_token"
    assert 'error="invalid_token"' in response.headers["www-authenticate"]


async def test_a_token_without_audit_read_is_403(http: httpx.AsyncClient) -> None:
    token = await _token(http, SERVICE_ID, SERVICE_SECRET)
    for path in (EVENTS, f"{EVENTS}.jsonl"):
        response = await http.get(path, headers=bearer(token))
        body = assert_problem(response, 403)
        assert body["error"] == "insufficient_scope"
        assert 'scope="audit.read"' in response.headers["www-authenticate"]


async def test_a_revoked_token_is_401(http: httpx.AsyncClient, provider: Provider) -> None:
    token = await _token(http, AUDITOR_ID, AUDITOR_SECRET)
    revoked = await http.post("/revoke", data={"token": token}, headers=basic(AUDITOR_ID, AUDITOR_SECRET))
    assert revoked.status_code == 200
    assert_problem(await http.get(EVENTS, headers=bearer(token)), 401)


@pytest.mark.parametrize(
    ("query", "field"),
    [("from=yesterday", "from"), ("to=2026-99-01", "to"), ("limit=5000", "limit"), ("ip=x", "ip"),
     ("after_id=-1", "after_id"), ("colour=red", "colour"),
     ("from=0001-01-01T00:00:00%2B01:00", "from"), ("to=9999-12-31T23:59:59-01:00", "to")],
)
async def test_bad_parameters_name_their_field(
    http: httpx.AsyncClient, auditor: str, query: str, field: str
) -> None:
    body = assert_problem(await http.get(f"{EVENTS}?{query}", headers=bearer(auditor)), 400)
    assert body["field"] == field


async def test_the_export_refuses_a_limit(http: httpx.AsyncClient, auditor: str) -> None:
    body = assert_problem(await http.get(f"{EVENTS}.jsonl?limit=5", headers=bearer(auditor)), 400)
    assert body["field"] == "limit"


async def test_a_token_in_the_query_is_refused(http: httpx.AsyncClient, auditor: str) -> None:
    assert_problem(await http.get(f"{EVENTS}?access_token={auditor}"), 400)


async def test_the_audit_request_id_is_the_brokers_never_the_clients(
    http: httpx.AsyncClient, auditor: str
) -> None:
    chosen = "client-chosen-0001"
    refused = await http.post("/token", data={"grant_type": "client_credentials"},
                              headers={**basic(SERVICE_ID, "not-the-secret"), "X-Request-ID": chosen})
    assert refused.status_code == 401
    ours = refused.headers["x-request-id"]
    assert ours != chosen
    found = await http.get(EVENTS, params={"event_type": "token.refused", "client_id": SERVICE_ID},
                           headers=bearer(auditor))
    request_ids = [e["request_id"] for e in found.json()["events"]]
    assert ours in request_ids
    assert chosen not in request_ids


async def test_absolute_redirects_name_the_issuer_not_the_clients_host(
    http: httpx.AsyncClient, provider: Provider
) -> None:
    moved = await http.get("/jwks/", headers={"Host": "evil.example"})
    assert moved.status_code == 307
    assert moved.headers["location"] == f"{provider.issuer}/jwks"
