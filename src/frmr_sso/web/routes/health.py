"""``/health/live`` (the process answers) and ``/health/ready`` (every dependency answers).

Readiness names the failing part, so an orchestrator's log says what to fix.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from frmr_sso.storage.sql.engine import ping as ping_database
from frmr_sso.storage.sql.migrate import is_current
from frmr_sso.web.deps import ContainerDep

router = APIRouter(prefix="/health", tags=["health"])
CHECK_TIMEOUT = 2.0


async def _check(name: str, probe: Awaitable[bool]) -> tuple[str, str]:
    try:
        ok = await asyncio.wait_for(probe, CHECK_TIMEOUT)
    except Exception:  # any failure of a probe means "not ready", never a 500
        ok = False
    return name, "ok" if ok else "failing"


@router.get("/live")
async def live() -> dict[str, str]:
    return {"status": "ok"}


@router.get("/ready")
async def ready(container: ContainerDep) -> JSONResponse:
    results = dict(
        await asyncio.gather(
            _check("database", ping_database(container.engine)),
            _check("kv", container.kv.ping()),
            _check("migrations", is_current(container.engine)),
        )
    )
    healthy = all(v == "ok" for v in results.values())
    body: dict[str, object] = {"status": "ok" if healthy else "unavailable", "checks": results}
    if not healthy:
        body["failing"] = [k for k, v in results.items() if v != "ok"]
    return JSONResponse(body, status_code=200 if healthy else 503, headers={"Cache-Control": "no-store"})
