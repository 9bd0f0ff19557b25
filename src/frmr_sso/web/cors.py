"""CORS for the endpoints a browser-based client calls directly (a public SPA with PKCE).

Discovery, JWKS, token, userinfo and revocation answer any origin, without
credentials: none of them reads a cookie, so a cross-origin caller gains only
what its own tokens or client credentials already give it (node-oidc-provider
behaves the same by default). Pages (``/authorize``, ``/callback``, ``/logout``)
and the confidential-client endpoints get no CORS headers at all.

``web/edge.py`` applies it: a request to one of ``CORS_PATHS`` with an ``Origin``
header (a preflight or a cross-origin call) goes through Starlette's
``CORSMiddleware`` built by ``protocol_cors``; one without ``Origin`` (a server-side
client, the usual case) only gets the ``Vary: Origin`` that ``CORSMiddleware`` adds
to such answers, without its layer around the request.
"""

from __future__ import annotations

from starlette.middleware.cors import CORSMiddleware
from starlette.types import ASGIApp

CORS_PATHS = frozenset({"/.well-known/openid-configuration", "/jwks", "/token", "/userinfo", "/revoke"})
_VARY = b"vary"
_ORIGIN = b"Origin"


def protocol_cors(app: ASGIApp) -> CORSMiddleware:
    return CORSMiddleware(
        app,
        allow_origins=["*"],
        allow_methods=["GET", "POST"],
        allow_headers=["Authorization", "Content-Type", "DPoP"],
        expose_headers=["WWW-Authenticate", "Retry-After"],
        allow_credentials=False,
        max_age=600,
    )


def vary_origin(headers: list[tuple[bytes, bytes]]) -> list[tuple[bytes, bytes]]:
    """``Vary`` with ``Origin`` added, as ``CORSMiddleware`` answers a request without ``Origin``:
    every ``Vary`` value joined into the first ``Vary`` header, the others dropped."""
    values = [value for name, value in headers if name == _VARY]
    if not values:
        headers.append((_VARY, _ORIGIN))
        return headers
    merged = b", ".join([*values, _ORIGIN])
    out: list[tuple[bytes, bytes]] = []
    for name, value in headers:
        if name != _VARY:
            out.append((name, value))
        elif merged:
            out.append((name, merged))
            merged = b""
    return out
