"""HTTP helpers of the registry API: the bearer token, ETags, JSON bodies.

Errors are raised and answered by the app's error table (``web/error_table.py``) as
``application/problem+json`` (RFC 9457): a bad parameter answers 400 with ``invalid-params``
(``name``, ``reason``) and ``field`` naming the first; 401/403 carry the RFC 6750 ``Bearer``
challenge; a store outage answers 503.
Answers carry a strong ``ETag``: of the record's version stamp for the whole
record (``registry.api.Reading``; ``revalidated`` answers a matching
``If-None-Match`` with 304 after reading that stamp alone), of the body for the
rest; ``If-None-Match`` with it gives 304. They are private to the token holder
(``Cache-Control: private, no-cache``, ``Vary: Authorization``).
"""

from __future__ import annotations

import hashlib
from collections.abc import Awaitable, Callable
from typing import Any

from fastapi import Request
from fastapi.responses import Response

from frmr_sso.registry.api import Reading, encoded
from frmr_sso.web.errors import PROBLEM
from frmr_sso.web.oauth_http import api_bearer

PRIVATE = {"Cache-Control": "private, no-cache", "Vary": "Authorization"}
PROBLEM_DOC = {"content": {PROBLEM: {"schema": {"type": "object"}}}}
JSON_DOC = {"content": {"application/json": {"schema": {"type": "object"}}}}


async def token_of(request: Request) -> str:
    return (await api_bearer(request))[1]


def etag_of(body: bytes) -> str:
    return '"' + hashlib.sha256(body).hexdigest()[:32] + '"'


def etag_matches(header: str | None, etag: str) -> bool:
    if header is None:
        return False
    if header.strip() == "*":
        return True
    return any(tag.strip().removeprefix("W/") == etag for tag in header.split(","))


def json_answer(request: Request, data: Any, headers: dict[str, str] | None = None) -> Response:
    body = encoded(data)
    etag = etag_of(body)
    out = {**PRIVATE, "ETag": etag, **(headers or {})}
    if etag_matches(request.headers.get("if-none-match"), etag):
        return Response(status_code=304, headers=out)
    return Response(body, media_type="application/json", headers=out)


def reading_answer(request: Request, reading: Reading, headers: dict[str, str] | None = None) -> Response:
    """The whole record with the ETag of its version stamp (304 when If-None-Match names it)."""
    out = {**PRIVATE, "ETag": reading.etag, **(headers or {})}
    if etag_matches(request.headers.get("if-none-match"), reading.etag):
        return Response(status_code=304, headers=out)
    return Response(reading.body, media_type="application/json", headers=out)


async def revalidated(
    request: Request, current: Callable[[], Awaitable[str | None]], headers: dict[str, str] | None = None
) -> Response | None:
    """304 when the request's If-None-Match names the ``current`` ETag (read without the record)."""
    header = request.headers.get("if-none-match")
    if header is None:
        return None
    etag = await current()
    if etag is None or not etag_matches(header, etag):
        return None
    return Response(status_code=304, headers={**PRIVATE, "ETag": etag, **(headers or {})})


AUTH_ERRORS: dict[int | str, Any] = {
    304: {"description": "If-None-Match matched the current ETag"},
    400: {"description": "a parameter is invalid; `invalid-params` and `field` name it", **PROBLEM_DOC},
    401: {"description": "no or an invalid access token (WWW-Authenticate: Bearer)", **PROBLEM_DOC},
    403: {
        "description": "insufficient_scope: not openid frmr; for the documents section also frmr.documents "
        "(first-party clients only)",
        **PROBLEM_DOC,
    },
    404: {"description": "no such record, or an item of another person's record", **PROBLEM_DOC},
    503: {"description": "the registry store is unavailable", **PROBLEM_DOC},
}
