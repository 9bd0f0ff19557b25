"""ASGI middleware: the security headers of every broker response, whatever produced it.

The pages set these themselves (``web.pages.render``); this layer makes sure
no response goes without them — a redirect, a problem+json answer, the
fallback 500 of ``RequestIdMiddleware``, a page added later. A header a route
already set is kept as it is.

- every response: ``X-Content-Type-Options: nosniff``, ``X-Frame-Options: DENY``,
  ``Referrer-Policy: no-referrer``, and a ``Content-Security-Policy`` with
  ``frame-ancestors 'none'`` (HTML gets the pages' policy: no scripts, the one
  inline stylesheet by its hash; a page that offers a passkey sets its own, which
  adds the broker's one static script; anything else ``default-src 'none'``);
- HTML and the login, token and account paths: ``Cache-Control: no-store``.
"""

from __future__ import annotations

import re

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from frmr_sso.web.pages import CSP

NON_HTML_CSP = "default-src 'none'; frame-ancestors 'none'"
ALWAYS = {
    "x-content-type-options": "nosniff",
    "x-frame-options": "DENY",
    "referrer-policy": "no-referrer",
}
NO_STORE_PATHS = ("/authorize", "/callback", "/token", "/logout", "/account", "/api/v1/me", "/login")
_NO_STORE = re.compile("(?:" + "|".join(re.escape(prefix) for prefix in NO_STORE_PATHS) + r")(?:/|\Z)")


def no_store_path(path: str) -> bool:
    """``path`` is one of ``NO_STORE_PATHS`` or below one."""
    return _NO_STORE.match(path) is not None


class SecurityHeadersMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        no_store = no_store_path(str(scope.get("path", "")))

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in ALWAYS.items():
                    headers.setdefault(name, value)
                html = headers.get("content-type", "").startswith("text/html")
                headers.setdefault("content-security-policy", CSP if html else NON_HTML_CSP)
                if html or no_store:
                    headers.setdefault("cache-control", "no-store")
                    headers.setdefault("pragma", "no-cache")
            await send(message)

        await self.app(scope, receive, send_with_headers)
