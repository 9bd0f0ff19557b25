from __future__ import annotations

import httpx
import pytest

from tests.e2e.web.provider import SERVICE_ID, SERVICE_SECRET, basic, running_provider
from tests.support.databases import Databases
from tests.support.servers import free_port


async def test_metrics_are_served_in_the_prometheus_format(http: httpx.AsyncClient) -> None:
    response = await http.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    assert "# TYPE frmr_sso_logins_total counter" in response.text


async def test_tokens_and_request_latency_by_route_template(http: httpx.AsyncClient) -> None:
    before = await http.get("/metrics")
    token = await http.post(
        "/token", data={"grant_type": "client_credentials"}, headers=basic(SERVICE_ID, SERVICE_SECRET)
    )
    assert token.status_code == 200
    assert (await http.get("/callback/no-such-connector-1234")).status_code in {400, 404}
    assert (await http.get("/no-such-page-5678")).status_code == 404
    text = (await http.get("/metrics")).text
    assert 'frmr_sso_tokens_issued_total{grant="client_credentials"}' in text
    assert _sample(text, 'frmr_sso_tokens_issued_total{grant="client_credentials"}') == 1 + _sample(
        before.text, 'frmr_sso_tokens_issued_total{grant="client_credentials"}'
    )
    assert 'frmr_sso_http_request_duration_seconds_count{method="POST",route="/token",status="2xx"}' in text
    assert 'route="/callback/{connector}"' in text  # the template, never the raw path
    assert "no-such" not in text
    assert 'route="unmatched"' in text


def _sample(text: str, name: str) -> float:
    for line in text.splitlines():
        if line.startswith(name + " "):
            return float(line.split()[-1])
    return 0.0


async def test_metrics_answer_at_once_while_redis_is_down(
    databases: Databases, tmp_path_factory: pytest.TempPathFactory
) -> None:
    url = await databases.migrated()
    dead_redis = f"redis://127.0.0.1:{free_port()}/0"  # nothing listens there
    try:
        with running_provider(url, dead_redis, tmp_path_factory.mktemp("no-redis")) as provider:
            async with httpx.AsyncClient(base_url=provider.base, timeout=5) as http:
                refused = await http.post(
                    "/token",
                    data={"grant_type": "client_credentials"},
                    headers=basic(SERVICE_ID, SERVICE_SECRET),
                )
                assert refused.status_code == 503  # the endpoint itself reports the outage
                metrics = await http.get("/metrics")
                assert metrics.status_code == 200
                assert "frmr_sso_http_request_duration_seconds" in metrics.text
    finally:
        await databases.drop(url)
