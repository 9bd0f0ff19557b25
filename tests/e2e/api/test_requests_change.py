"""Change requests over real HTTP: submit with documents, review, apply; contacts by one-time code."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator

import httpx
import pytest

from tests.e2e.api.requests_support import (
    CARDIOLOGIST,
    admin_auth,
    audited,
    broker,
    problem_fields,
    worker_auth,
)
from tests.e2e.web.provider import Provider
from tests.support import documents
from tests.support.databases import Databases

BASE = "/api/v1/me/change-requests"
ADMIN = "/api/v1/admin/change-requests"
DOCTOR_JOB = "emp-0000001-1"
WORKPLACE = {
    "record_id": DOCTOR_JOB,
    "organization_oid": "1.2.643.5.1.13.13.12.2.77.7871",
    "organization_name": "ГБУЗ «ГКБ № 1 ДЗМ»",
    "post_id": "110",
    "position_type": 1,
    "rate": 0.75,
    "begin_date": "2012-09-01",
}
NEW_JOB = {k: v for k, v in WORKPLACE.items() if k != "record_id"}


@pytest.fixture(scope="module")
async def provider(
    databases: Databases, redis_url: str | None, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[Provider]:
    async with broker(databases, redis_url, tmp_path_factory.mktemp("change-requests")) as running:
        yield running


@pytest.fixture
async def http(provider: Provider) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=provider.base, timeout=30) as client:
        yield client


def form(section: str, fields: object, comment: str = "") -> dict[str, str]:
    return {"section": section, "fields": json.dumps(fields, ensure_ascii=False), "comment": comment}


def pdf_file(
    name: str = "справка.pdf", data: bytes | None = None
) -> list[tuple[str, tuple[str, bytes, str]]]:
    return [("documents", (name, data if data is not None else documents.pdf(), "application/pdf"))]


async def test_a_workplace_correction_is_reviewed_and_applied(
    http: httpx.AsyncClient, provider: Provider
) -> None:
    doctor = await worker_auth(http, provider)
    files = [*pdf_file(), ("documents", ("приказ.jpg", documents.jpeg(), "image/jpeg"))]
    sent = await http.post(BASE, data=form("workplace", WORKPLACE, "перевод"), files=files, headers=doctor)
    assert sent.status_code == 201, sent.text
    created = sent.json()
    assert (created["status"], created["status_label"]) == ("pending", "На проверке")
    assert sent.headers["location"] == f"{BASE}/{created['id']}"
    assert [d["content_type"] for d in created["documents"]] == ["application/pdf", "image/jpeg"]
    download = await http.get(created["documents"][0]["href"], headers=doctor)
    assert download.status_code == 200
    assert download.content == documents.pdf()
    assert download.headers["content-disposition"].startswith("attachment;")
    assert download.headers["x-content-type-options"] == "nosniff"

    admin = await admin_auth(http)
    queue = (await http.get(ADMIN, params={"status": "pending"}, headers=admin)).json()["change_requests"]
    assert created["id"] in [r["id"] for r in queue]
    no_reason = await http.post(f"{ADMIN}/{created['id']}/reject", json={"reason": " "}, headers=admin)
    assert no_reason.status_code == 400
    assert problem_fields(no_reason) == {"reason"}
    approved = await http.post(f"{ADMIN}/{created['id']}/approve", headers=admin)
    assert approved.status_code == 200, approved.text
    assert approved.json()["status_label"] == "Одобрено"
    assert approved.json()["decided_by"] == "client:registry-admin"
    job = (await http.get(f"/api/v1/me/employments/{DOCTOR_JOB}", headers=doctor)).json()
    assert (job["rate"], job["post_id"]) == (0.75, "110")
    again = await http.post(f"{ADMIN}/{created['id']}/reject", json={"reason": "поздно"}, headers=admin)
    assert again.status_code == 409
    mine = (await http.get(f"{BASE}/{created['id']}", headers=doctor)).json()
    assert mine["status"] == "approved"
    for event in ("change_request.submitted", "change_request.approved"):
        details = [e["details"] for e in await audited(http, event)]
        assert created["id"] in [d["request_id"] for d in details]


async def test_a_rejection_keeps_the_record_and_tells_the_reason(
    http: httpx.AsyncClient, provider: Provider
) -> None:
    doctor = await worker_auth(http, provider)
    before = (await http.get("/api/v1/me/education", headers=doctor)).json()
    fields = {
        "kind": "higher",
        "institution": "РНИМУ",
        "speciality_code": "31.05.01",
        "diploma_number": "0012",
        "diploma_date": "2010-06-30",
        "graduation_year": 2010,
    }
    created = (await http.post(BASE, data=form("education", fields), files=pdf_file(), headers=doctor)).json()
    admin = await admin_auth(http)
    rejected = await http.post(
        f"{ADMIN}/{created['id']}/reject", json={"reason": "диплом не читается"}, headers=admin
    )
    assert rejected.status_code == 200
    mine = (await http.get(f"{BASE}/{created['id']}", headers=doctor)).json()
    assert (mine["status_label"], mine["reason"]) == ("Отклонено", "диплом не читается")
    assert (await http.get("/api/v1/me/education", headers=doctor)).json() == before


async def test_requests_and_documents_of_another_worker_are_not_found(
    http: httpx.AsyncClient, provider: Provider
) -> None:
    doctor = await worker_auth(http, provider)
    other = await worker_auth(http, provider, CARDIOLOGIST, subject="subject-0004")
    created = (
        await http.post(BASE, data=form("workplace", WORKPLACE), files=pdf_file(), headers=doctor)
    ).json()
    for path in (f"{BASE}/{created['id']}", created["documents"][0]["href"]):
        assert (await http.get(path, headers=other)).status_code == 404
    assert created["id"] not in [
        r["id"] for r in (await http.get(BASE, headers=other)).json()["change_requests"]
    ]
    foreign = await http.post(BASE, data=form("workplace", WORKPLACE), files=pdf_file(), headers=other)
    assert foreign.status_code == 400
    assert problem_fields(foreign) == {"fields.record_id"}
    assert (await http.post(f"{ADMIN}/{created['id']}/approve", headers=other)).status_code == 403


def multipart(fields: dict[str, str]) -> tuple[bytes, dict[str, str]]:
    """A multipart body of text parts only (httpx sends a form without files urlencoded)."""
    parts = [
        f'--b0undary\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n' for k, v in fields.items()
    ]
    return ("".join(parts) + "--b0undary--\r\n").encode(), {
        "Content-Type": "multipart/form-data; boundary=b0undary"
    }


@pytest.mark.parametrize(
    ("data", "files", "status", "fields"),
    [
        (
            form("workplace", {**NEW_JOB, "begin_date": "01.09.2012", "salary": 1}),
            None,
            400,
            {"fields.begin_date", "fields.salary"},
        ),
        (form("salary", {}), None, 400, {"section"}),
        ({"section": "workplace", "fields": "{not json"}, None, 400, {"fields"}),
        ({**form("workplace", NEW_JOB), "priority": "high"}, None, 400, {"priority"}),
        (form("workplace", NEW_JOB), [], 400, {"documents"}),
        (form("workplace", NEW_JOB), pdf_file("diploma.pdf", documents.EXECUTABLE), 415, {"documents"}),
        (form("workplace", NEW_JOB), pdf_file("diploma.pdf", documents.HTML_AS_PDF), 415, {"documents"}),
        (
            form("workplace", NEW_JOB),
            pdf_file("big.pdf", documents.pdf(padding=5 * 1024 * 1024)),
            413,
            {"documents"},
        ),
    ],
)
async def test_bad_input_names_the_field_and_stores_nothing(
    http: httpx.AsyncClient,
    provider: Provider,
    data: dict[str, str],
    files: list[object] | None,
    status: int,
    fields: set[str],
) -> None:
    cardiologist = await worker_auth(http, provider, CARDIOLOGIST, subject="subject-0004")
    before = (await http.get(BASE, headers=cardiologist)).json()["change_requests"]
    if files == []:
        body, headers = multipart(data)
        response = await http.post(BASE, content=body, headers={**cardiologist, **headers})
    else:
        response = await http.post(BASE, data=data, files=files or pdf_file(), headers=cardiologist)  # type: ignore[arg-type]
    assert response.status_code == status, response.text
    assert problem_fields(response) == fields
    assert (await http.get(BASE, headers=cardiologist)).json()["change_requests"] == before


async def test_without_a_token_the_answer_is_a_bearer_challenge(http: httpx.AsyncClient) -> None:
    response = await http.post(BASE, data=form("workplace", WORKPLACE), files=pdf_file())
    assert response.status_code == 401
    assert response.headers["www-authenticate"].startswith("Bearer")


async def test_a_new_email_is_confirmed_by_a_one_time_code(
    http: httpx.AsyncClient, provider: Provider
) -> None:
    doctor = await worker_auth(http, provider)
    address = "ivanova.new@example.test"
    sent = await http.post(BASE, data=form("contacts", {"email": address}), headers=doctor)
    assert sent.status_code == 202, sent.text
    assert sent.json()["status_label"] == "Ожидает подтверждения"
    outbox = (await http.get("/_dev/outbox", params={"address": address})).json()["messages"]
    code = outbox[0]["text"].split(": ")[1][:6]
    request_id = sent.json()["id"]
    wrong = await http.post(
        "/api/v1/me/contacts/confirm",
        json={"request_id": request_id, "code": "000000" if code != "000000" else "111111"},
        headers=doctor,
    )
    assert wrong.status_code == 400
    assert problem_fields(wrong) == {"code"}
    malformed = await http.post(
        "/api/v1/me/contacts/confirm", json={"request_id": request_id, "code": "12"}, headers=doctor
    )
    assert problem_fields(malformed) == {"code"}
    confirmed = await http.post(
        "/api/v1/me/contacts/confirm", json={"request_id": request_id, "code": code}, headers=doctor
    )
    assert confirmed.status_code == 200, confirmed.text
    assert confirmed.json()["status"] == "approved"
    assert (await http.get("/api/v1/me", headers=doctor)).json()["email"] == address
    replay = await http.post(
        "/api/v1/me/contacts/confirm", json={"request_id": request_id, "code": code}, headers=doctor
    )
    assert replay.status_code == 409
    assert request_id in [e["details"]["request_id"] for e in await audited(http, "change_request.code_sent")]
    assert request_id in [
        e["details"]["request_id"] for e in await audited(http, "change_request.code_failed")
    ]
    assert request_id in [e["details"]["request_id"] for e in await audited(http, "change_request.confirmed")]


async def test_a_registry_admin_worker_reviews_others_requests_but_not_their_own(
    http: httpx.AsyncClient, provider: Provider
) -> None:
    reviewer = await worker_auth(http, provider, "FRMR-0000007", subject="subject-0007", admin=True)
    doctor = await worker_auth(http, provider)
    fields = {k: v for k, v in NEW_JOB.items()}
    theirs = (await http.post(BASE, data=form("workplace", fields), files=pdf_file(), headers=doctor)).json()
    decided = await http.post(
        f"{ADMIN}/{theirs['id']}/reject", json={"reason": "нет печати"}, headers=reviewer
    )
    assert decided.status_code == 200, decided.text
    assert decided.json()["decided_by"] == "subject:subject-0007"
    own = await http.post(BASE, data=form("workplace", fields), files=pdf_file(), headers=reviewer)
    assert own.status_code == 201, own.text
    assert (await http.post(f"{ADMIN}/{own.json()['id']}/approve", headers=reviewer)).status_code == 409
