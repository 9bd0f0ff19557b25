"""Hostile input against the cabinet request endpoints over real HTTP: a named field, never a 5xx."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.e2e.api.requests_support import broker, worker_auth
from tests.e2e.web.provider import Provider
from tests.support import documents
from tests.support.databases import Databases

TEXT = st.one_of(
    st.text(max_size=30),
    st.sampled_from(["workplace", "education", "contacts", "", "null", "[]", "{}", "x" * 70_000]),
    st.dictionaries(
        st.sampled_from(
            ["record_id", "rate", "begin_date", "email", "phone", "kind", "junk", "graduation_year"]
        ),
        st.one_of(
            st.text(max_size=12), st.integers(), st.floats(allow_nan=True), st.none(), st.lists(st.integers())
        ),
        max_size=6,
    ).map(json.dumps),
)
FIELDS = st.dictionaries(
    st.sampled_from(
        [
            "section",
            "fields",
            "comment",
            "junk",
            "name",
            "email",
            "snils",
            "description",
            "problem_time",
            "licence_number",
        ]
    ),
    TEXT,
    max_size=6,
)
FILES = st.lists(
    st.tuples(
        st.sampled_from(["documents", "screenshot", "junk"]),
        st.one_of(
            st.binary(max_size=64),
            st.sampled_from([documents.pdf(), documents.jpeg(), documents.png(), documents.EXECUTABLE, b""]),
        ),
    ),
    max_size=3,
)


@pytest.fixture(scope="module")
async def provider(
    databases: Databases, redis_url: str | None, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[Provider]:
    async with broker(
        databases, redis_url, tmp_path_factory.mktemp("fuzz"), rate_limit_support_per_hour=0
    ) as b:
        yield b


@pytest.fixture(scope="module")
async def doctor(provider: Provider) -> dict[str, str]:
    async with httpx.AsyncClient(base_url=provider.base, timeout=30) as http:
        return await worker_auth(http, provider)


@pytest.mark.parametrize("path", ["/api/v1/me/change-requests", "/api/v1/support-requests"])
def test_random_forms_never_break_an_endpoint(provider: Provider, doctor: dict[str, str], path: str) -> None:
    with httpx.Client(base_url=provider.base, timeout=30) as client:

        @settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
        @given(fields=FIELDS, files=FILES)
        def check(fields: dict[str, str], files: list[tuple[str, bytes]]) -> None:
            clean = {
                k: v.encode("utf-8", "surrogatepass").decode("utf-8", "replace") for k, v in fields.items()
            }
            parts = [(name, ("f.bin", data, "application/octet-stream")) for name, data in files]
            response = client.post(path, data=clean, files=parts or None, headers=doctor)
            assert response.status_code < 500, (response.status_code, response.text[:300])
            if response.status_code >= 400:
                body = response.json()
                assert response.headers["content-type"].startswith("application/problem+json")
                assert body["status"] == response.status_code
                if response.status_code in (400, 413, 415):
                    assert body["field"]
                    assert body["invalid-params"]

        check()
