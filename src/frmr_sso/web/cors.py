"""CORS for the endpoints a browser-based client calls directly (a public SPA with PKCE).

Discovery, JWKS, token, userinfo and revocation answer any origin, without
credentials: none of them reads a cookie, so a cross-origin caller gains only
what its own tokens or client credentials already give it (node-oidc-provider
behaves the same by default). Pages (``/authorize``, ``/callback``, ``/logout``)
and the confidential-client endpoints get no CORS headers at all.
"""

from __future__ import annotations

from starlette.middleware.cors import CORSMiddleware
from starlette.types import ASGIApp, Receive, Scope, Send

CORS_PATHS = frozenset({"/.well-known/openid-configuration", "/jwks", "/token", "/userinfo", "/revoke"})


class ProtocolCors:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.cors = CORSMiddleware(
            app,
            allow_origins=["*"],
            allow_methods=["GET", "POST"],
            allow_headers=["Authorization", "Content-Type", "DPoP"],
            expose_headers=["WWW-Authenticate", "Retry-After"],
            allow_credentials=False,
            max_age=600,
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["path"] in CORS_PATHS:
            await self.cors(scope, receive, send)
        else:
            await self.app(scope, receive, send)
