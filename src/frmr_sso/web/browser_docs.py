"""OpenAPI descriptions of the browser endpoints of the login flow for ``openapi.yaml``.

``/authorize``, ``/callback/{connector}`` and ``/logout`` answer with redirects and
HTML pages, so their routes stay out of FastAPI's schema. Integrators still need
them; ``document_browser_endpoints`` adds these descriptions for exactly the
methods the app's routes accept, so the file cannot announce a route the app
does not have.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from fastapi import FastAPI
from fastapi.routing import APIRoute
from starlette.routing import BaseRoute

Operation = dict[str, Any]


def _query(
    name: str, description: str, *, required: bool = False, enum: list[str] | None = None
) -> Operation:
    schema: dict[str, Any] = {"type": "string"}
    if enum:
        schema["enum"] = enum
    return {"name": name, "in": "query", "required": required, "description": description, "schema": schema}


_HTML = {"text/html": {"schema": {"type": "string"}}}
_REDIRECT = {"description": "Redirect (Location) to the upstream login or back to the client"}


def _page(description: str) -> Operation:
    return {"description": description, "content": _HTML}


_UPSTREAM_PAGES: dict[str, Operation] = {
    "403": _page("Error page: the upstream account is not confirmed, its SNILS is invalid, no FRMR record, "
                 "or the person lacks the rights the client asked for"),
    "409": _page("Error page: the SNILS belongs to another account of this provider"),
    "429": _page("Too many requests from this address (Retry-After)"),
    "502": _page("Error page: the upstream answered wrongly"),
    "503": _page("Error page: the upstream or this provider's store is unavailable (Retry-After)"),
}

AUTHORIZE: Operation = {
    "tags": ["login"],
    "summary": "Authorization request (OIDC Core §3.1.2)",
    "description": (
        "Authorization code flow only; PKCE S256 required for public clients; exact redirect_uri match. "
        "The response carries iss (RFC 9207). POST takes the same parameters as a form body."
    ),
    "parameters": [
        _query("response_type", "must be code", required=True, enum=["code"]),
        _query("client_id", "the registered client", required=True),
        _query("redirect_uri", "exactly one of the client's redirect URIs", required=True),
        _query("scope", "space-separated; must contain openid", required=True),
        _query("state", "opaque, returned unchanged"),
        _query("nonce", "copied into the ID Token"),
        _query("code_challenge", "RFC 7636 S256 challenge"),
        _query("code_challenge_method", "S256", enum=["S256"]),
        _query("prompt", "none or login", enum=["none", "login"]),
        _query("max_age", "seconds since the last login"),
        _query("acr_values", "requested authentication context"),
    ],
    "responses": {
        "302": {
            "description": "To the upstream login, or to redirect_uri with code (or error), state and iss"
        },
        "200": _page("The chooser of upstream identity providers"),
        "400": _page("Error page: unknown client or redirect_uri, or an unreadable body (never redirected)"),
        "403": _page("Error page: the person of the browser's session lacks the rights the client asked for"),
        "429": _UPSTREAM_PAGES["429"],
        "503": _page("Error page: no upstream identity provider can be used now"),
    },
}
CALLBACK: Operation = {
    "tags": ["login"],
    "summary": "Return from the upstream identity provider (ESIA)",
    "parameters": [
        {"name": "connector", "in": "path", "required": True, "schema": {"type": "string"}},
        _query("code", "the upstream authorization code"),
        _query("state", "the login transaction's state"),
        _query("error", "the upstream's error code"),
    ],
    "responses": {
        "302": _REDIRECT,
        "200": {"description": "A page: second factor, or a failure with a request id", "content": _HTML},
        "400": _page("Error page: no login under way for this state in this browser (expired or replayed)"),
        **_UPSTREAM_PAGES,
    },
}
LOGOUT: Operation = {
    "tags": ["login"],
    "summary": "RP-Initiated Logout 1.0",
    "parameters": [
        _query("id_token_hint", "an ID Token this provider issued"),
        _query("client_id", "the client asking"),
        _query("post_logout_redirect_uri", "one of the client's registered post-logout URIs"),
        _query("state", "returned to post_logout_redirect_uri"),
    ],
    "responses": {
        "302": {"description": "To post_logout_redirect_uri"},
        "200": {"description": "Confirmation or logged-out page", "content": _HTML},
        "400": _page(
            "Error page: the logout request is refused (id_token_hint, client or post_logout_redirect_uri "
            "not valid together), or an unreadable body"
        ),
    },
}
BROWSER_OPERATIONS: dict[str, Operation] = {
    "/authorize": AUTHORIZE,
    "/callback/{connector}": CALLBACK,
    "/logout": LOGOUT,
}


def document_browser_endpoints(app: FastAPI, document: dict[str, Any]) -> dict[str, Any]:
    """``document`` with the browser endpoints the app routes (any method they accept) described."""
    paths = document.setdefault("paths", {})
    for route in _api_routes(app.routes):
        if route.path not in BROWSER_OPERATIONS:
            continue
        item = paths.setdefault(route.path, {})
        for method in sorted(route.methods or ()):
            item.setdefault(method.lower(), dict(BROWSER_OPERATIONS[route.path]))
    return document


def _api_routes(routes: Iterable[BaseRoute]) -> Iterator[APIRoute]:
    """Every APIRoute, also inside included routers (which FastAPI wraps; none here has a prefix)."""
    for route in routes:
        if isinstance(route, APIRoute):
            yield route
        inner = getattr(route, "original_router", None)
        if inner is not None:
            yield from _api_routes(inner.routes)
