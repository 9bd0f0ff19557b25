"""Provider metadata (OpenID Connect Discovery 1.0 §4, RFC 8414 §3) and the JWKS (RFC 7517 §5).

Both are bytes rendered once and kept in memory: the discovery document never
changes while the process runs; the key set is reloaded by ``KeyRing`` at most
every refresh interval, so its cache lifetime stays short enough for a rotated
key to reach every client before it signs.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from fastapi.responses import Response

from frmr_sso.web.deps import ContainerDep

router = APIRouter(tags=["discovery"])
DISCOVERY_CACHE = "public, max-age=3600"
JWKS_CACHE = "public, max-age=60"


def _json(description: str) -> dict[int | str, dict[str, Any]]:
    return {
        200: {"description": description, "content": {"application/json": {"schema": {"type": "object"}}}}
    }


@router.get(
    "/.well-known/openid-configuration",
    response_class=Response,
    responses=_json("OpenID Provider metadata (Discovery 1.0 §3)"),
)
async def openid_configuration(container: ContainerDep) -> Response:
    return Response(
        container.discovery.json_bytes,
        media_type="application/json",
        headers={"Cache-Control": DISCOVERY_CACHE},
    )


@router.get("/jwks", response_class=Response, responses=_json("The public signing keys (RFC 7517 §5)"))
async def jwks(container: ContainerDep) -> Response:
    await container.keys.refresh_if_stale()
    return Response(
        container.keys.jwks_json(), media_type="application/json", headers={"Cache-Control": JWKS_CACHE}
    )
