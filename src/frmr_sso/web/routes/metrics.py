"""``/metrics`` in the Prometheus text format (prometheus-client)."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import Response

from frmr_sso.web.deps import ContainerDep

router = APIRouter(include_in_schema=False)


@router.get("/metrics")
async def metrics(container: ContainerDep) -> Response:
    return Response(
        container.metrics.exposition(),
        media_type=container.metrics.content_type,
        headers={"Cache-Control": "no-store"},
    )
