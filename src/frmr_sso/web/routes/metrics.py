"""``/metrics`` in the Prometheus text format (prometheus-client).

Served on the public port, or only on ``FRMR_SSO_METRICS_PORT`` when that is set
(``web/metrics_port.py`` keeps the two apart).
"""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import Response

from frmr_sso.web.deps import MetricsDep
from frmr_sso.web.metrics_port import METRICS_PATH

router = APIRouter(include_in_schema=False)


@router.get(METRICS_PATH)
async def metrics(metrics: MetricsDep) -> Response:
    return Response(
        metrics.exposition(),
        media_type=metrics.content_type,
        headers={"Cache-Control": "no-store"},
    )
