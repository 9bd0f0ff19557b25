"""Length of service and accreditation status of the demo doctor over real HTTP."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from tests.e2e.api.requests_support import broker, problem_fields, worker_auth
from tests.e2e.web.provider import Provider
from tests.support.databases import Databases


@pytest.fixture(scope="module")
async def provider(
    databases: Databases, redis_url: str | None, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[Provider]:
    async with broker(databases, redis_url, tmp_path_factory.mktemp("service")) as running:
        yield running


@pytest.fixture
async def http(provider: Provider) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=provider.base, timeout=30) as client:
        yield client


async def test_length_of_service_merges_the_part_time_job(
    http: httpx.AsyncClient, provider: Provider
) -> None:
    doctor = await worker_auth(http, provider)
    response = await http.get("/api/v1/me/length-of-service", params={"on": "2022-08-31"}, headers=doctor)
    assert response.status_code == 200, response.text
    body = response.json()
    # 2010-09-01..2012-08-31 trainee, then the main job from 2012-09-01; the part-time job adds nothing
    assert (body["total"]["years"], body["total"]["months"], body["total"]["days"]) == (12, 0, 0)
    assert body["total"]["periods"] == [{"begin": "2010-09-01", "end": "2022-08-31"}]
    therapist = next(p for p in body["by_post"] if p["post_id"] == "109")
    assert (therapist["years"], therapist["months"], therapist["days"]) == (10, 0, 0)


async def test_accreditation_status_counts_hours_and_credits_of_the_cycle(
    http: httpx.AsyncClient, provider: Provider
) -> None:
    doctor = await worker_auth(http, provider)
    response = await http.get("/api/v1/me/accreditation-status", params={"on": "2026-11-26"}, headers=doctor)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["status"] == "behind"  # 24 % done where 49 % is due
    assert (body["hours_needed"], body["hours_with_credits_needed"], body["credits_needed"]) == (126, 56, 30)
    assert body["cycle_begin"] == "2024-06-20"
    assert body["accreditation_ends"] == "2029-06-20"
    assert body["required"] == {"hours_only": 144, "hours_with_credits": 74, "credits": 70}
    expired = await http.get("/api/v1/me/accreditation-status", params={"on": "2029-06-21"}, headers=doctor)
    assert (expired.json()["status"], expired.json()["status_label"]) == ("expired", "Аккредитация истекла")


@pytest.mark.parametrize("path", ["/api/v1/me/length-of-service", "/api/v1/me/accreditation-status"])
async def test_a_malformed_date_or_unknown_parameter_is_named(
    http: httpx.AsyncClient, provider: Provider, path: str
) -> None:
    doctor = await worker_auth(http, provider)
    assert problem_fields(await http.get(path, params={"on": "31.12.2025"}, headers=doctor)) == {"on"}
    for far in ("9999-12-31", "0001-01-01"):  # the period arithmetic would overflow
        assert problem_fields(await http.get(path, params={"on": far}, headers=doctor)) == {"on"}
    assert problem_fields(await http.get(path, params={"at": "2025-12-31"}, headers=doctor)) == {"at"}
    assert (await http.get(path)).status_code == 401
