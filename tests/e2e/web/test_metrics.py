from __future__ import annotations

import httpx


async def test_metrics_are_served_in_the_prometheus_format(http: httpx.AsyncClient) -> None:
    response = await http.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    assert "# TYPE frmr_sso_logins_total counter" in response.text
