"""With tracing on, a token request yields its server span and the SQL and Redis spans beneath it, all
carrying the request id; the request id and the trace reach the upstream calls too (test_login_spans)."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from opentelemetry.trace import SpanKind, StatusCode

from frmr_sso.app import create_app
from frmr_sso.config import Settings
from frmr_sso.tracing.spans import REQUEST_ID
from tests.e2e.tracing.support import Spans
from tests.support.servers import serve

SERVICE = ("demo-service", "demo-service-secret")
TRACEPARENT = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"


@pytest.fixture
def spans() -> Spans:
    return Spans()


@pytest.fixture
def broker(migrated_database_url: str, redis_url: str | None, spans: Spans) -> Iterator[str]:
    settings = Settings(mode="demo", database_url=migrated_database_url, redis_url=redis_url)
    with serve(create_app(settings, tracing=spans.tracing)) as base_url:
        yield base_url


def test_a_token_request_has_its_span_and_those_of_its_sql_and_redis_calls(
    broker: str, spans: Spans, backend: str
) -> None:
    answer = httpx.post(
        f"{broker}/token", data={"grant_type": "client_credentials", "scope": "frmr.registry.read"},
        auth=SERVICE, headers={"X-Request-ID": "token-request-0001", "traceparent": TRACEPARENT},
    )
    assert answer.status_code == 200, answer.text
    assert answer.headers["x-request-id"] != "token-request-0001"  # a client's id is never the broker's
    mine = spans.wait_for_request(answer.headers["x-request-id"])

    (server,) = [s for s in mine if s.kind is SpanKind.SERVER]
    assert server.name == "POST /token"
    assert server.attributes is not None
    assert server.attributes["http.route"] == "/token"
    assert server.attributes["http.response.status_code"] == 200
    assert format(server.context.trace_id, "032x") == TRACEPARENT.split("-")[1]  # the caller's trace goes on
    sql = [s for s in mine if (s.attributes or {}).get("db.system") in ("sqlite", "postgresql")]
    assert sql, [s.name for s in mine]
    assert {(s.attributes or {})["db.system"] for s in sql} == {backend.split("+")[0]}
    assert all(s.context.trace_id == server.context.trace_id for s in mine)
    assert any("client" in str((s.attributes or {}).get("db.statement", "")) for s in sql)
    redis = [s for s in mine if (s.attributes or {}).get("db.system") == "redis"]
    if backend == "postgresql+redis":
        assert redis, [s.name for s in mine]  # rate limit and lockout counters
        statements = [str((s.attributes or {}).get("db.statement", "")) for s in redis]
        assert all(" ?" in text for text in statements if " " in text)  # arguments never recorded
    else:
        assert not redis  # the embedded key-value store makes no network calls


def test_a_refused_token_request_is_an_answer_not_an_error_span(broker: str, spans: Spans) -> None:
    answer = httpx.post(
        f"{broker}/token", data={"grant_type": "client_credentials"}, auth=("demo-service", "wrong-secret"),
        headers={"X-Request-ID": "token-request-0002"},
    )
    assert answer.status_code == 401
    found = spans.wait_for_request(answer.headers["x-request-id"])
    (server,) = [s for s in found if s.kind is SpanKind.SERVER]
    assert (server.attributes or {})["http.response.status_code"] == 401
    assert server.status.status_code is not StatusCode.ERROR  # a refusal is an answer, not a failure


def test_spans_outside_requests_carry_no_request_id(broker: str, spans: Spans) -> None:
    """The start-up statements (keys, demo data) belong to no request."""
    startup = [s for s in spans.all() if (s.attributes or {}).get("db.system")]
    assert startup
    assert not [s for s in startup if REQUEST_ID in (s.attributes or {})]
