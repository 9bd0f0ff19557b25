"""``/health/live`` (the process answers; its body names the broker's version) and ``/health/ready``
(every dependency answers).

Readiness names the failing part, so an orchestrator's log says what to fix: ``database``,
``kv``, ``migrations`` and ``jwks:<connector>`` (the upstream provider's signing keys, from the
connector's own cache: a probe fetches only when that cache is empty or expired, at most once per
its refetch interval). Every check is bounded by ``CHECK_TIMEOUT``, so a store that accepts
connections but never answers makes the probe say "failing", not hang. While the instance drains
before a shutdown it answers 503 ``draining`` at once.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from frmr_sso.storage.sql.engine import ping as ping_database
from frmr_sso.storage.sql.migrate import is_current
from frmr_sso.upstream.jwks import JwksCache
from frmr_sso.version import package_version
from frmr_sso.web.deps import ConnectorsDep, EngineDep, KvDep
from frmr_sso.web.shutdown import Draining

router = APIRouter(prefix="/health", tags=["health"])
CHECK_TIMEOUT = 2.0
NO_STORE = {"Cache-Control": "no-store"}


async def _check(name: str, probe: Awaitable[bool]) -> tuple[str, str]:
    try:
        ok = await asyncio.wait_for(probe, CHECK_TIMEOUT)
    except Exception:  # any failure of a probe means "not ready", never a 500
        ok = False
    return name, "ok" if ok else "failing"


@router.get("/live")
async def live() -> dict[str, str]:
    return {"status": "ok", "version": package_version()}


@router.get("/ready")
async def ready(request: Request, engine: EngineDep, kv: KvDep, connectors: ConnectorsDep) -> JSONResponse:
    draining = getattr(request.app.state, "draining", None)
    if isinstance(draining, Draining) and draining.active:
        body = {"status": "draining", "failing": ["shutdown"]}
        return JSONResponse(body, status_code=503, headers=NO_STORE)
    checks = [
        _check("database", ping_database(engine)),
        _check("kv", kv.ping()),
        _check("migrations", is_current(engine)),
    ]
    for name, connector in connectors.items():
        keys = getattr(connector, "keys", None)
        if isinstance(keys, JwksCache):
            # shielded: a probe that gives up does not cancel a fetch a login may be waiting for
            checks.append(_check(f"jwks:{name}", asyncio.shield(keys.reachable())))
    results = dict(await asyncio.gather(*checks))
    healthy = all(v == "ok" for v in results.values())
    report: dict[str, object] = {"status": "ok" if healthy else "unavailable", "checks": results}
    if not healthy:
        report["failing"] = [k for k, v in results.items() if v != "ok"]
    return JSONResponse(report, status_code=200 if healthy else 503, headers=NO_STORE)
