"""Support requests over real HTTP: anonymous or logged in, number, deadlines, owner-only reading, desk."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from datetime import datetime, timedelta

import httpx
import pytest

from tests.e2e.api.requests_support import admin_auth, broker, problem_fields, worker_auth
from tests.e2e.web.provider import Provider
from tests.support import documents
from tests.support.databases import Databases

BASE, DESK = "/api/v1/support-requests", "/api/v1/admin/support-requests"
FORM = {
    "name": "Иванова Мария Петровна",
    "snils": "112-233-445 95",
    "email": "doctor@example.test",
    "description": "Не приходит СМС-код при входе через Госуслуги",
    "problem_time": "2026-01-10T09:30",
}


@pytest.fixture(scope="module")
async def provider(
    databases: Databases, redis_url: str | None, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[Provider]:
    async with broker(
        databases, redis_url, tmp_path_factory.mktemp("support"), rate_limit_support_per_hour=0
    ) as b:
        yield b


@pytest.fixture
async def http(provider: Provider) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=provider.base, timeout=30) as client:
        yield client


def screenshot(data: bytes) -> list[tuple[str, tuple[str, bytes, str]]]:
    return [("screenshot", ("screen.png", data, "image/png"))]


async def test_an_anonymous_request_gets_a_number_deadlines_and_a_key(http: httpx.AsyncClient) -> None:
    filed = await http.post(BASE, data=FORM, files=screenshot(documents.png()))
    assert filed.status_code == 201, filed.text
    body = filed.json()
    assert re.fullmatch(r"SR-\d{4}-\d{6}", body["number"])
    assert filed.headers["location"] == f"{BASE}/{body['number']}"
    created = datetime.fromisoformat(body["created_at"])
    assert datetime.fromisoformat(body["answer_due"]) - created == timedelta(hours=24)
    assert datetime.fromisoformat(body["escalate_at"]) - created == timedelta(hours=72)
    assert (body["status_label"], body["answer_overdue"], body["screenshot"]) == ("Новое", False, True)
    assert body["problem_time"] == "2026-01-10T06:30:00+00:00"  # no offset: Moscow time
    number, key = body["number"], body["access_key"]
    mine = await http.get(f"{BASE}/{number}", headers={"X-Support-Key": key})
    assert mine.status_code == 200
    assert "access_key" not in mine.json()
    assert (await http.get(f"{BASE}/{number}")).status_code == 404
    assert (await http.get(f"{BASE}/{number}", headers={"X-Support-Key": key + "x"})).status_code == 404
    assert (await http.get(f"{BASE}/SR-1999-000001", headers={"X-Support-Key": key})).status_code == 404


async def test_a_workers_request_is_theirs_to_read(http: httpx.AsyncClient, provider: Provider) -> None:
    doctor = await worker_auth(http, provider)
    other = await worker_auth(http, provider, "FRMR-0000004", subject="subject-0004")
    filed = await http.post(
        BASE, data={**FORM, "snils": "", "licence_number": "ЛО-77-01-012345"}, headers=doctor
    )
    assert filed.status_code == 201, filed.text
    number = filed.json()["number"]
    assert (await http.get(f"{BASE}/{number}", headers=doctor)).status_code == 200
    assert (await http.get(f"{BASE}/{number}", headers=other)).status_code == 404


@pytest.mark.parametrize(
    ("data", "files", "status", "fields"),
    [
        ({**FORM, "snils": "112-233-445 96"}, None, 400, {"snils"}),
        ({**FORM, "snils": ""}, None, 400, {"snils"}),
        ({**FORM, "problem_time": "10.01.2026 09:30"}, None, 400, {"problem_time"}),
        ({**FORM, "email": "doctor at example"}, None, 400, {"email"}),
        ({**FORM, "priority": "high"}, None, 400, {"priority"}),
        (FORM, screenshot(documents.EXECUTABLE), 415, {"screenshot"}),
        (FORM, screenshot(documents.pdf()), 415, {"screenshot"}),
        (FORM, screenshot(documents.jpeg(padding=5 * 1024 * 1024)), 413, {"screenshot"}),
    ],
)
async def test_bad_input_names_the_field_and_files_nothing(
    http: httpx.AsyncClient, data: dict[str, str], files: object, status: int, fields: set[str]
) -> None:
    admin = await admin_auth(http)
    before = len((await http.get(DESK, headers=admin)).json()["support_requests"])
    response = await http.post(BASE, data=data, files=files)  # type: ignore[arg-type]
    assert response.status_code == status, response.text
    assert problem_fields(response) == fields
    assert len((await http.get(DESK, headers=admin)).json()["support_requests"]) == before


async def test_the_desk_sees_every_request_with_its_flags(
    http: httpx.AsyncClient, provider: Provider
) -> None:
    filed = (await http.post(BASE, data=FORM, files=screenshot(documents.png()))).json()
    admin = await admin_auth(http)
    desk = await http.get(DESK, params={"status": "new"}, headers=admin)
    assert desk.status_code == 200
    item = next(r for r in desk.json()["support_requests"] if r["number"] == filed["number"])
    assert (item["snils"], item["email"], item["answer_overdue"], item["escalation_due"]) == (
        "112-233-445 95",
        "doctor@example.test",
        False,
        False,
    )
    shot = await http.get(f"{DESK}/{filed['number']}/screenshot", headers=admin)
    assert shot.content == documents.png()
    assert shot.headers["content-type"] == "image/png"
    assert problem_fields(await http.get(DESK, params={"status": "lost"}, headers=admin)) == {"status"}
    doctor = await worker_auth(http, provider)
    assert (await http.get(DESK, headers=doctor)).status_code == 403


async def test_the_desk_answers_then_closes_and_the_flags_follow(http: httpx.AsyncClient) -> None:
    filed = (await http.post(BASE, data=FORM)).json()
    admin = await admin_auth(http)
    number = filed["number"]
    closed_early = await http.post(f"{DESK}/{number}/close", headers=admin)
    assert closed_early.status_code == 200
    assert closed_early.json()["status"] == "closed"
    assert (await http.post(f"{DESK}/{number}/answer", headers=admin)).status_code == 409
    second = (await http.post(BASE, data=FORM)).json()["number"]
    answered = await http.post(f"{DESK}/{second}/answer", headers=admin)
    assert (answered.json()["status_label"], answered.json()["answer_overdue"]) == ("Дан ответ", False)
    assert (await http.post(f"{DESK}/{second}/answer", headers=admin)).status_code == 409
    assert (await http.post(f"{DESK}/SR-2026-999999/close", headers=admin)).status_code == 404


async def test_anonymous_filing_is_rate_limited_per_address(
    databases: Databases, redis_url: str | None, tmp_path_factory: pytest.TempPathFactory
) -> None:
    tmp = tmp_path_factory.mktemp("support-limited")
    async with (
        broker(databases, redis_url, tmp, rate_limit_support_per_hour=2) as limited,
        httpx.AsyncClient(base_url=limited.base, timeout=30) as client,
    ):
        codes = [(await client.post(BASE, data=FORM)).status_code for _ in range(3)]
        assert codes == [201, 201, 429]
        refused = await client.post(BASE, data=FORM)
        assert int(refused.headers["retry-after"]) > 0
