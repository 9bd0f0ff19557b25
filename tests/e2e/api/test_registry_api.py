"""The registry REST API over real HTTP: the worker's own record, its sections, the services' lookup."""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator, Iterator

import httpx
import pytest
import sqlalchemy as sa

from frmr_sso.bootstrap.commands import registry_records
from frmr_sso.cabinet.mount import DEMO_CABINET_SECRET
from frmr_sso.storage.kv import open_kv
from frmr_sso.storage.ports import AuditFilter
from frmr_sso.storage.sql import SqlAuditRepository, SqlRegistryRepository, create_engine
from frmr_sso.web.protocol_dispatch import ProtocolDispatch
from tests.e2e.web.provider import (
    CABINET_ID,
    SERVICE_ID,
    SERVICE_SECRET,
    WEB_ID,
    WEB_REDIRECT,
    WEB_SECRET,
    Provider,
    grant,
    running_provider,
)
from tests.support.databases import Databases

DOCTOR, CARDIOLOGIST = "FRMR-0000001", "FRMR-0000004"  # demo registry records
SECTIONS = (
    "documents",
    "employments",
    "education",
    "postgraduate",
    "courses",
    "certificates",
    "accreditations",
    "categories",
)
PROBLEM = "application/problem+json"


@pytest.fixture(scope="module")
async def database(databases: Databases) -> AsyncIterator[str]:
    url = await databases.migrated()
    yield url
    await databases.drop(url)


@pytest.fixture(scope="module")
def broker(
    database: str, redis_url: str | None, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Provider]:
    with running_provider(database, redis_url, tmp_path_factory.mktemp("registry-api")) as running:
        yield running


@pytest.fixture
async def http(broker: Provider) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=broker.base, timeout=30) as client:
        yield client


async def worker(
    http: httpx.AsyncClient,
    broker: Provider,
    frmr_id: str | None = DOCTOR,
    scope: tuple[str, ...] = ("openid", "frmr"),
    *,
    cabinet: bool = False,
) -> dict[str, str]:
    """A bearer header of an end-user token whose login was mapped to ``frmr_id``, of demo-web
    or (``cabinet``) of the first-party cabinet."""
    client, secret, redirect = (WEB_ID, WEB_SECRET, WEB_REDIRECT)
    if cabinet:
        client, secret, redirect = (CABINET_ID, DEMO_CABINET_SECRET, f"{broker.base}/cabinet/callback")
    code_grant = grant(scope=scope, client_id=client, redirect_uri=redirect)
    claims = {k: v for k, v in code_grant.claims.items() if k != "frmr_person_id"}
    if frmr_id is not None:
        claims["frmr_person_id"] = frmr_id
    code = await broker.mint_code(dataclasses.replace(code_grant, claims=claims))
    form = {"grant_type": "authorization_code", "code": code, "redirect_uri": redirect}
    response = await http.post("/token", data=form, auth=(client, secret))
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


async def service(http: httpx.AsyncClient, scope: str = "frmr.registry.read") -> dict[str, str]:
    form = {"grant_type": "client_credentials", "scope": scope}
    response = await http.post("/token", data=form, auth=(SERVICE_ID, SERVICE_SECRET))
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


def assert_problem(response: httpx.Response, status: int, field: str | None = None) -> None:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == PROBLEM
    body = response.json()
    assert body["status"] == status
    if field is not None:
        assert body["field"] == field
        assert field in [p["name"] for p in body["invalid-params"]]


async def test_the_worker_reads_their_whole_record(http: httpx.AsyncClient, broker: Provider) -> None:
    auth = await worker(http, broker, scope=("openid", "frmr", "frmr.documents"), cabinet=True)
    response = await http.get("/api/v1/me", headers=auth)
    assert response.status_code == 200, response.text
    assert response.headers["cache-control"] == "private, no-cache"
    assert response.headers["vary"] == "Authorization"
    record = response.json()
    assert (record["frmr_id"], record["snils"], record["last_name"]) == (DOCTOR, "112-233-445 95", "Иванова")
    assert record["inn"] == "770123456703"
    assert all(record[section] for section in SECTIONS)
    passport = record["documents"][0]
    assert (passport["kind"], passport["series"], passport["number"]) == ("RF_PASSPORT", "4509", "123456")
    job = record["employments"][0]
    assert (job["id"], job["post_name"], job["position_type_name"]) == (
        "emp-0000001-1",
        "врач-терапевт",
        "основное место работы",
    )
    assert (job["organization_inn"], job["oktmo"]) == ("7701234560", "45383000")
    assert record["courses"][0]["speciality_name"] == "Терапия"
    assert record["courses"][0]["kind_name"] == "Повышение квалификации"
    assert record["accreditations"][0]["end_date"] == "2029-06-20"
    assert_problem(await http.get("/api/v1/me?fields=all", headers=auth), 400, "fields")


async def test_an_unchanged_record_revalidates_with_304(http: httpx.AsyncClient, broker: Provider) -> None:
    auth = await worker(http, broker)
    first = await http.get("/api/v1/me/courses", headers=auth)
    etag = first.headers["etag"]
    assert etag.startswith('"')
    again = await http.get("/api/v1/me/courses", headers={**auth, "If-None-Match": f'"other", W/{etag}'})
    assert (again.status_code, again.content, again.headers["etag"]) == (304, b"", etag)
    stale = await http.get("/api/v1/me/courses", headers={**auth, "If-None-Match": '"stale"'})
    assert (stale.status_code, stale.json()) == (200, first.json())


async def test_a_section_comes_a_page_at_a_time(http: httpx.AsyncClient, broker: Provider) -> None:
    auth = await worker(http, broker)
    whole = (await http.get("/api/v1/me/courses", headers=auth)).json()
    assert (whole["total"], len(whole["items"]), whole["next"]) == (3, 3, None)
    seen = []
    url: str | None = "/api/v1/me/courses?limit=2"
    while url is not None:
        response = await http.get(url, headers=auth)
        assert response.status_code == 200, response.text
        page = response.json()
        seen += page["items"]
        url = page["next"]
        assert (response.headers.get("link") is None) == (url is None)
    assert seen == whole["items"]
    for name in SECTIONS:
        if name != "documents":
            assert (await http.get(f"/api/v1/me/{name}", headers=auth)).status_code == 200


async def test_identity_documents_need_a_first_party_scope(http: httpx.AsyncClient, broker: Provider) -> None:
    """A third-party app's frmr token reads the record without the passport data; the cabinet's reads it."""
    third_party = await worker(http, broker)  # /authorize grants demo-web no frmr.documents
    record = (await http.get("/api/v1/me", headers=third_party)).json()
    assert "documents" not in record
    assert record["employments"]
    for path in ("/api/v1/me/documents", "/api/v1/me/documents/doc-0000001-1"):
        refused = await http.get(path, headers=third_party)
        assert_problem(refused, 403)
        assert refused.json()["error"] == "insufficient_scope"
        assert 'scope="frmr frmr.documents openid"' in refused.headers["www-authenticate"]
    first_party = await worker(http, broker, scope=("openid", "frmr", "frmr.documents"), cabinet=True)
    documents = await http.get("/api/v1/me/documents", headers=first_party)
    assert documents.status_code == 200, documents.text
    assert documents.json()["items"][0]["series"] == "4509"


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("limit=0", "limit"),
        ("limit=101", "limit"),
        ("limit=ten", "limit"),
        ("cursor=nope", "cursor"),
        ("sort=date", "sort"),
    ],
)
async def test_bad_page_parameters_name_their_field(
    http: httpx.AsyncClient, broker: Provider, query: str, field: str
) -> None:
    response = await http.get(f"/api/v1/me/courses?{query}", headers=await worker(http, broker))
    assert_problem(response, 400, field)


async def test_another_workers_item_is_indistinguishable_from_none(
    http: httpx.AsyncClient, broker: Provider
) -> None:
    doctor, other = await worker(http, broker), await worker(http, broker, CARDIOLOGIST)
    own = await http.get("/api/v1/me/courses/crs-0000001-1", headers=doctor)
    assert (own.status_code, own.json()["theme"]) == (200, "Актуальные вопросы терапии")
    foreign = await http.get("/api/v1/me/courses/crs-0000001-1", headers=other)
    unknown = await http.get("/api/v1/me/courses/crs-0000009-9", headers=other)
    for response in (foreign, unknown):
        assert_problem(response, 404)
    strip = ("request_id",)
    assert {k: v for k, v in foreign.json().items() if k not in strip} == {
        k: v for k, v in unknown.json().items() if k not in strip
    }
    assert "crs-0000001-1" not in foreign.text


async def test_tokens_without_a_worker_are_refused(http: httpx.AsyncClient, broker: Provider) -> None:
    anonymous = await http.get("/api/v1/me")
    assert_problem(anonymous, 401)
    assert anonymous.headers["www-authenticate"].startswith("Bearer")
    in_query = await http.get("/api/v1/me?access_token=abc")
    assert_problem(in_query, 400)
    garbage = await http.get("/api/v1/me", headers={"Authorization": "Bearer not.a.jwt"})
    assert_problem(garbage, 401)
    without_frmr = await http.get(
        "/api/v1/me", headers=await worker(http, broker, scope=("openid", "profile"))
    )
    assert_problem(without_frmr, 403)
    assert without_frmr.json()["error"] == "insufficient_scope"
    service_token = await http.get("/api/v1/me", headers=await service(http, "frmr frmr.registry.read"))
    assert_problem(service_token, 403)
    no_record = await http.get("/api/v1/me", headers=await worker(http, broker, "FRMR-NOBODY"))
    assert_problem(no_record, 404)


async def test_a_service_looks_a_person_up_by_snils_or_frmr_id(
    http: httpx.AsyncClient, database: str
) -> None:
    auth = await service(http)
    by_snils = await http.post("/api/v1/registry/lookup", json={"snils": "11223344595"}, headers=auth)
    assert by_snils.status_code == 200, by_snils.text
    assert by_snils.headers["cache-control"] == "no-store"
    record = by_snils.json()
    assert record["frmr_id"] == DOCTOR
    assert "documents" not in record
    assert record["employments"][0]["id"] == "emp-0000001-1"
    by_id = await http.post("/api/v1/registry/lookup", json={"frmr_id": DOCTOR}, headers=auth)
    assert by_id.json() == record
    missing = await http.post("/api/v1/registry/lookup", json={"snils": "123-456-789 64"}, headers=auth)
    assert_problem(missing, 404)
    engine = create_engine(database)
    try:
        events = await SqlAuditRepository(engine).search(AuditFilter(event_type="registry.lookup"))
    finally:
        await engine.dispose()
    seen = [(e.client_id, e.snils_masked, e.details) for e in events[-3:]]
    assert seen == [
        (SERVICE_ID, "***-***-445 95", {"by": "snils", "found": True}),
        (SERVICE_ID, None, {"by": "frmr_id", "found": True, "frmr_id": DOCTOR}),
        (SERVICE_ID, "***-***-789 64", {"by": "snils", "found": False}),
    ]


@pytest.mark.parametrize(
    ("body", "status", "field"),
    [
        ({"snils": "112-233-445 96"}, 400, "snils"),
        ({"snils": "112-233"}, 400, "snils"),
        ({"snils": 11223344595}, 400, "snils"),
        ({"frmr_id": ""}, 400, "frmr_id"),
        ({"snils": "112-233-445 95", "frmr_id": DOCTOR}, 400, "snils"),
        ({}, 400, "snils"),
        ({"snils": "112-233-445 95", "full": True}, 400, "full"),
        (["112-233-445 95"], 400, "body"),
    ],
)
async def test_bad_lookups_name_the_field(
    http: httpx.AsyncClient, body: object, status: int, field: str
) -> None:
    response = await http.post("/api/v1/registry/lookup", json=body, headers=await service(http))
    assert_problem(response, status, field)
    assert "112-233-445" not in response.text


async def test_lookup_bodies_must_be_small_json(http: httpx.AsyncClient, broker: Provider) -> None:
    auth = await service(http)
    url = "/api/v1/registry/lookup"
    as_form = await http.post(url, data={"snils": "112-233-445 95"}, headers=auth)
    assert_problem(as_form, 415, "content-type")
    huge = await http.post(
        url,
        content=b'{"snils": "' + b"1" * 10_000 + b'"}',
        headers={**auth, "Content-Type": "application/json"},
    )
    assert_problem(huge, 413, "body")
    broken = await http.post(url, content=b'{"snils": ', headers={**auth, "Content-Type": "application/json"})
    assert_problem(broken, 400, "body")
    latin1 = await http.post(
        url, content='{"snils": "é"}'.encode("latin-1"), headers={**auth, "Content-Type": "application/json"}
    )
    assert_problem(latin1, 400, "body")
    assert (await http.get(url + "?snils=11223344595", headers=auth)).status_code == 405


async def test_lookup_needs_the_registry_scope(http: httpx.AsyncClient, broker: Provider) -> None:
    url = "/api/v1/registry/lookup"
    for auth in (await service(http, "frmr"), await worker(http, broker)):
        response = await http.post(url, json={"frmr_id": DOCTOR}, headers=auth)
        assert_problem(response, 403)
        assert response.headers["www-authenticate"].startswith(
            'Bearer realm="frmr-sso", error="insufficient_scope"'
        )
    assert_problem(await http.post(url, json={"frmr_id": DOCTOR}), 401)


async def test_etags_come_from_the_records_version(
    http: httpx.AsyncClient, broker: Provider, database: str
) -> None:
    """/me, the lookup and the length of service revalidate with 304 without reading the record's
    sections (the instance's cache, or else the version stamp alone); a write of the record through
    the broker gives each a new ETag at once."""
    auth, svc = await worker(http, broker, CARDIOLOGIST), await service(http)
    lookup = {"frmr_id": CARDIOLOGIST}

    async def fetch(path: str, etag: str | None = None) -> httpx.Response:
        headers = {**(svc if path == LOOKUP else auth), **({"If-None-Match": etag} if etag else {})}
        if path == LOOKUP:
            return await http.post(path, json=lookup, headers=headers)
        return await http.get(path, headers=headers)

    statements: list[str] = []

    def record(conn: object, cursor: object, statement: str, *args: object) -> None:
        if statement.split()[0].upper() == "SELECT" and "audit_events" not in statement:
            statements.append(statement)

    engine = broker.app.state.container.engine.sync_engine
    first = {path: await fetch(path) for path in ETAG_PATHS}
    for path, response in first.items():
        assert response.status_code == 200, response.text
        etag = response.headers["etag"]
        statements.clear()
        sa.event.listen(engine, "before_cursor_execute", record)
        try:
            again = await fetch(path, f'"other", {etag}')
        finally:
            sa.event.remove(engine, "before_cursor_execute", record)
        assert (again.status_code, again.content, again.headers["etag"]) == (304, b"", etag), path
        registry = [s for s in statements if "frmr_" in s]
        assert len(registry) <= 1, registry  # at most the stamp, no section
        assert all("frmr_persons.version" in s and "json_" not in s for s in registry), registry
    assert first[ME].headers["cache-control"] == first[SERVICE_LENGTH].headers["cache-control"]
    assert first[LOOKUP].headers["cache-control"] == "no-store"
    other_day = await http.get(SERVICE_LENGTH, params={"on": "2020-01-01"}, headers=auth)
    assert other_day.headers["etag"] != first[SERVICE_LENGTH].headers["etag"]

    engine_of_test = create_engine(database)
    # a writer as `frmr-sso registry import` builds it: it replaces the generation the broker follows
    kv = broker.app.state.container.kv if broker.redis_url is None else open_kv(broker.redis_url)
    try:
        repo = registry_records(engine_of_test, kv)
        person = await SqlRegistryRepository(engine_of_test).get(CARDIOLOGIST)
        assert person is not None
        await repo.upsert(dataclasses.replace(person, email="new@example.test"))
        changed = {path: await fetch(path, first[path].headers["etag"]) for path in ETAG_PATHS}
        await repo.upsert(person)
        audited = await SqlAuditRepository(engine_of_test).search(AuditFilter(event_type="registry.lookup"))
    finally:
        await engine_of_test.dispose()
        if broker.redis_url is not None:
            await kv.close()
    for path, response in changed.items():
        assert response.status_code == 200, path
        assert response.headers["etag"] != first[path].headers["etag"], path
    assert changed[ME].json()["email"] == "new@example.test"
    assert [e.details["found"] for e in audited[-3:]] == [True, True, True]  # a 304 is a lookup too


ME, LOOKUP, SERVICE_LENGTH = "/api/v1/me", "/api/v1/registry/lookup", "/api/v1/me/length-of-service"
ETAG_PATHS = (ME, LOOKUP, SERVICE_LENGTH)


async def test_the_whole_record_reads_answer_as_pinned_when_dispatched_directly(
    http: httpx.AsyncClient, broker: Provider
) -> None:
    """The three whole-record reads skip FastAPI's router and dependency solver
    (``web/protocol_dispatch.py``): status, every header and the body's kind of each answer and refusal
    are pinned here, so a framework upgrade that changed them would fail."""
    dispatch = [m for m in broker.app.user_middleware if m.cls is ProtocolDispatch]
    assert {("GET", ME), ("GET", SERVICE_LENGTH), ("POST", LOOKUP)} <= set(dispatch[0].kwargs["routes"])
    auth, svc = await worker(http, broker, CARDIOLOGIST), await service(http)
    private = {  # the edge adds the pragma on the worker's own paths (web/security_headers.py)
        "cache-control": "private, no-cache", "pragma": "no-cache", "vary": "Authorization", **_EDGE_HEADERS
    }
    for path in (ME, SERVICE_LENGTH):
        ok = await http.get(path, headers=auth)
        assert (ok.status_code, _stable(ok.headers)) == (200, {
            **private, "content-type": "application/json", "etag": ok.headers["etag"],
            "content-length": str(len(ok.content)),
        })
        again = await http.get(path, headers={**auth, "If-None-Match": ok.headers["etag"]})
        assert (again.status_code, _stable(again.headers), again.content) == (
            304, {**private, "etag": ok.headers["etag"]}, b""
        )
        anonymous = await http.get(path)
        assert anonymous.status_code == 401
        assert anonymous.headers["content-type"] == "application/problem+json"
        assert anonymous.headers["www-authenticate"] == 'Bearer realm="frmr-sso"'
        assert anonymous.json()["request_id"] == anonymous.headers["x-request-id"]
    found = await http.post(LOOKUP, json={"frmr_id": CARDIOLOGIST}, headers=svc)
    assert (found.status_code, _stable(found.headers)) == (200, {
        "cache-control": "no-store", "vary": "Authorization", "content-type": "application/json",
        "etag": found.headers["etag"], "content-length": str(len(found.content)), **_EDGE_HEADERS,
    })
    assert found.json()["frmr_id"] == CARDIOLOGIST
    form = await http.post(LOOKUP, data={"frmr_id": CARDIOLOGIST}, headers=svc)
    assert (form.status_code, form.headers["content-type"]) == (415, "application/problem+json")
    anonymous = await http.post(LOOKUP, json={"frmr_id": CARDIOLOGIST})
    assert (anonymous.status_code, anonymous.headers["www-authenticate"]) == (401, 'Bearer realm="frmr-sso"')


_EDGE_HEADERS = {
    "x-content-type-options": "nosniff",
    "x-frame-options": "DENY",
    "referrer-policy": "no-referrer",
    "content-security-policy": "default-src 'none'; frame-ancestors 'none'",
}


def _stable(headers: httpx.Headers) -> dict[str, str]:
    return {name: value for name, value in headers.items() if name not in ("date", "server", "x-request-id")}
