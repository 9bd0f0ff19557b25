"""Statements over real HTTP: order, poll, download the signed PDF, verify it against the published cert."""

from __future__ import annotations

import asyncio
import dataclasses
import time
from collections.abc import AsyncIterator

import httpx
import pytest

from tests.e2e.web.provider import WEB_ID, WEB_REDIRECT, WEB_SECRET, Provider, grant, running_provider
from tests.support.databases import Databases
from tests.support.pdf_signatures import check_signature, pdf_text

DOCTOR_FRMR_ID = "FRMR-0000001"  # the demo registry's doctor (seeded in demo mode)
BASE = "/api/v1/me/statements"


@pytest.fixture(scope="module")
async def broker(
    databases: Databases, redis_url: str | None, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[Provider]:
    url = await databases.migrated()
    try:
        with running_provider(url, redis_url, tmp_path_factory.mktemp("statements")) as running:
            yield running
    finally:
        await databases.drop(url)


@pytest.fixture
async def http(broker: Provider) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=broker.base, timeout=30) as client:
        yield client


async def _token(
    http: httpx.AsyncClient,
    broker: Provider,
    frmr_id: str = DOCTOR_FRMR_ID,
    scope: tuple[str, ...] = ("openid", "profile", "frmr"),
) -> dict[str, str]:
    code_grant = grant(scope=scope)
    code_grant = dataclasses.replace(code_grant, claims={**code_grant.claims, "frmr_person_id": frmr_id})
    code = await broker.mint_code(code_grant)
    form = {"grant_type": "authorization_code", "code": code, "redirect_uri": WEB_REDIRECT}
    response = await http.post("/token", data=form, auth=(WEB_ID, WEB_SECRET))
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


async def _until_ready(http: httpx.AsyncClient, location: str, auth: dict[str, str]) -> dict[str, object]:
    deadline = time.monotonic() + 60  # the promise: ready within a minute
    while time.monotonic() < deadline:
        response = await http.get(location, headers=auth)
        assert response.status_code == 200, response.text
        if response.json()["status"] != "pending":
            return dict(response.json())
        await asyncio.sleep(0.2)
    raise AssertionError("the statement was not ready within a minute")


@pytest.mark.parametrize("kind", ["extract", "activity-certificate"])
async def test_order_and_download_a_signed_statement(
    http: httpx.AsyncClient, broker: Provider, kind: str
) -> None:
    auth = await _token(http, broker)
    ordered = await http.post(BASE, json={"kind": kind}, headers=auth)
    assert ordered.status_code == 202, ordered.text
    location = ordered.headers["location"]
    assert location == f"{BASE}/{ordered.json()['id']}"
    assert ordered.json()["status"] == "pending"

    ready = await _until_ready(http, location, auth)
    assert ready["status"] == "ready"
    listed = (await http.get(BASE, headers=auth)).json()["statements"]
    assert ready["id"] in [s["id"] for s in listed]

    pdf = await http.get(f"{location}/pdf", headers=auth)
    assert pdf.status_code == 200
    assert pdf.headers["content-type"] == "application/pdf"
    assert pdf.headers["content-disposition"].startswith("attachment;")
    certificate = await http.get("/api/v1/statements/certificate.pem")
    assert certificate.status_code == 200
    assert (await check_signature(pdf.content, certificate.content)).ok
    assert "Иванова Мария Петровна" in pdf_text(pdf.content)


async def test_statements_are_visible_only_to_their_owner(http: httpx.AsyncClient, broker: Provider) -> None:
    doctor = await _token(http, broker)
    other = await _token(http, broker, frmr_id="FRMR-0000004")
    location = (await http.post(BASE, json={"kind": "extract"}, headers=doctor)).headers["location"]
    await _until_ready(http, location, doctor)
    for path in (location, f"{location}/pdf"):
        response = await http.get(path, headers=other)
        assert response.status_code == 404
        assert response.headers["content-type"] == "application/problem+json"
    assert location.rsplit("/", 1)[1] not in (await http.get(BASE, headers=other)).text


async def test_bad_requests_get_problems(http: httpx.AsyncClient, broker: Provider) -> None:
    auth = await _token(http, broker)
    unknown = await http.post(BASE, json={"kind": "diploma"}, headers=auth)
    assert (unknown.status_code, unknown.json()["field"]) == (400, "kind")
    not_json = await http.post(BASE, content=b"kind=extract", headers=auth)
    assert not_json.status_code == 400
    assert (await http.get(f"{BASE}/not-an-id", headers=auth)).status_code == 404

    anonymous = await http.get(BASE)
    assert anonymous.status_code == 401
    assert anonymous.headers["www-authenticate"].startswith("Bearer")
    without_frmr = await _token(http, broker, scope=("openid", "profile"))
    refused = await http.get(BASE, headers=without_frmr)
    assert (refused.status_code, refused.json()["error"]) == (403, "insufficient_scope")
    nobody = await _token(http, broker, frmr_id="FRMR-NOBODY")
    assert (await http.post(BASE, json={"kind": "extract"}, headers=nobody)).status_code == 404
