"""Provider metadata (OpenID Connect Discovery 1.0 §4, RFC 8414 §3) and the JWKS (RFC 7517 §5).

Both are bytes rendered once and kept in memory: the discovery document never
changes while the process runs; the key set is reloaded by ``KeyRing`` at most
every refresh interval, so its cache lifetime stays short enough for a rotated
key to reach every client before it signs. The answer to each body (headers
included) is built once, when the body changes, and carries a strong ``ETag``
(a digest of the body): a client that sends it back in ``If-None-Match`` gets
``304 Not Modified`` (RFC 9110 §13.1.2).
"""

from __future__ import annotations

import hashlib
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from starlette.types import Receive, Scope, Send

from frmr_sso.web.deps import DiscoveryDep, KeysDep

router = APIRouter(tags=["discovery"])
DISCOVERY_CACHE = "public, max-age=3600"
JWKS_CACHE = "public, max-age=60"


class SharedResponse(Response):
    """A response answered to many requests: each gets its own copy of the header list."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        headers = [*self.raw_headers]
        await send({"type": "http.response.start", "status": self.status_code, "headers": headers})
        await send({"type": "http.response.body", "body": self.body})


class CachedJson:
    """The 200 and 304 answers for one JSON body."""

    def __init__(self, body: bytes, cache_control: str) -> None:
        self.body = body
        self.etag = '"' + hashlib.sha256(body).hexdigest()[:32] + '"'
        headers = {"Cache-Control": cache_control, "ETag": self.etag}
        self.ok = SharedResponse(body, media_type="application/json", headers=headers)
        self.not_modified = SharedResponse(None, status_code=304, headers=headers)

    def answer(self, request: Request) -> Response:
        for name, value in request.scope["headers"]:
            if name == b"if-none-match" and self.matches(value.decode("latin-1")):
                return self.not_modified
        return self.ok

    def matches(self, if_none_match: str) -> bool:
        """RFC 9110 §13.1.2: ``*``, or any listed tag equal to ours under the weak comparison."""
        tags = [tag.strip() for tag in if_none_match.split(",")]
        return any(tag == "*" or tag.removeprefix("W/") == self.etag for tag in tags)


class _Answers:
    """The ``CachedJson`` of the latest body of each document (rebuilt when the body changes)."""

    def __init__(self, cache_control: str) -> None:
        self.cache_control = cache_control
        self.cached: CachedJson | None = None

    def of(self, body: bytes) -> CachedJson:
        cached = self.cached
        if cached is None or cached.body is not body:
            cached = self.cached = CachedJson(body, self.cache_control)
        return cached


def _json(description: str) -> dict[int | str, dict[str, Any]]:
    return {
        200: {"description": description, "content": {"application/json": {"schema": {"type": "object"}}}}
    }


@router.get(
    "/.well-known/openid-configuration",
    response_class=Response,
    responses=_json("OpenID Provider metadata (Discovery 1.0 §3)"),
)
async def openid_configuration(request: Request, discovery: DiscoveryDep) -> Response:
    return _DISCOVERY.of(discovery.json_bytes).answer(request)


@router.get("/jwks", response_class=Response, responses=_json("The public signing keys (RFC 7517 §5)"))
async def jwks(request: Request, keys: KeysDep) -> Response:
    await keys.refresh_if_stale()
    return _JWKS.of(keys.jwks_json()).answer(request)


_DISCOVERY = _Answers(DISCOVERY_CACHE)
_JWKS = _Answers(JWKS_CACHE)
