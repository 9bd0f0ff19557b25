"""Request bodies limited while they arrive, per kind of route, before any route reads them.

Uploads (the change-request and support forms, in the API and in the cabinet) may carry
``MAX_UPLOAD_BODY_BYTES``; every other body (forms, JSON, the protocol endpoints)
``MAX_BODY_BYTES``. The per-file size and the number of files stay the upload parsers'
own checks (``web/multipart_form.py``, ``cabinet/forms.py``).

A declared ``Content-Length`` above the limit is answered at once, before a byte of the body
is read (the server holds the connection to that length, so a smaller one needs nothing
more). A body without one (``Transfer-Encoding: chunked``) is counted as it arrives: the
chunk that crosses the limit raises ``BodyTooLarge`` in the route that reads it, whatever
the route then answers is dropped, and the client gets the 413 instead. The connection stays
open: the server drops the rest of the body as it comes (a reset would lose the answer).

The 413 speaks the route's language: RFC 6749 JSON on the protocol endpoints, problem+json
on ``/api/``, a Russian page on every browser page.
"""

from __future__ import annotations

import json
from typing import Any, Literal

from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from frmr_sso.logs import request_id_var
from frmr_sso.web.pages import PageText, render

Kind = Literal["protocol", "api", "page"]
UPLOAD_PATHS = frozenset({
    "/api/v1/me/change-requests", "/api/v1/support-requests", "/cabinet/requests", "/cabinet/support",
})
PROTOCOL_PATHS = frozenset({"/token", "/introspect", "/revoke", "/userinfo"})
TOO_LARGE = PageText(
    "Слишком большой запрос",
    "Форма отправила больше данных, чем принимает сервис.",
    "Вернитесь назад, сократите текст или приложите файлы меньшего размера и отправьте форму снова.",
)
_NO_STORE = [(b"cache-control", b"no-store")]


class BodyTooLarge(Exception):
    """Raised by ``receive`` when a streamed body crosses its limit; the middleware answers 413."""


def kind_of(path: str) -> Kind:
    """How the route answers errors: RFC 6749 JSON, problem+json or a Russian page."""
    if path in PROTOCOL_PATHS:
        return "protocol"
    return "api" if path.startswith("/api/") else "page"


class BodyLimitMiddleware:
    def __init__(self, app: ASGIApp, *, limit: int, upload_limit: int) -> None:
        self.app = app
        self.limit, self.upload_limit = limit, upload_limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared: bytes | None = None
        chunked = False
        for name, value in scope.get("headers") or ():
            if name == b"content-length":
                declared = value
            elif name == b"transfer-encoding":
                chunked = True
        if declared is None and not chunked:  # no body at all
            await self.app(scope, receive, send)
            return
        kind = kind_of(scope["path"])
        limit = self.upload_limit if scope["path"] in UPLOAD_PATHS else self.limit
        if declared is not None and declared.isdigit() and int(declared) > limit:
            await too_large(kind, limit, scope, receive, send)
            return
        if not chunked:
            await self.app(scope, receive, send)
            return
        await self._counted(kind, limit, scope, receive, send)

    async def _counted(self, kind: Kind, limit: int, scope: Scope, receive: Receive, send: Send) -> None:
        received = 0
        over = started = False

        async def counting_receive() -> Message:
            nonlocal received, over
            if over:
                raise BodyTooLarge
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    over = True
                    raise BodyTooLarge
            return message

        async def guarded_send(message: Message) -> None:
            nonlocal started
            if over and not started:  # the route's answer to a body it could not read: replaced
                return
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counting_receive, guarded_send)
        except Exception:
            if not over or started:
                raise
        if over and not started:
            await too_large(kind, limit, scope, receive, send)


async def too_large(kind: Kind, limit: int, scope: Scope, receive: Receive, send: Send) -> None:
    """The 413 of ``kind`` (the request id and security headers come from the edge layer)."""
    described = f"the request body is larger than {limit} bytes"
    if kind == "page":
        await render(Request(scope), "message.html", status=413, page=TOO_LARGE)(scope, receive, send)
        return
    body: dict[str, Any]
    if kind == "protocol":
        body, media = {"error": "invalid_request", "error_description": described}, b"application/json"
    else:
        body = {"type": "about:blank", "title": "Content Too Large", "status": 413, "detail": described,
                "field": "body", "request_id": request_id_var.get()}
        media = b"application/problem+json"
    content = json.dumps(body).encode()
    headers = [(b"content-type", media), (b"content-length", str(len(content)).encode()), *_NO_STORE]
    await send({"type": "http.response.start", "status": 413, "headers": headers})
    await send({"type": "http.response.body", "body": content})
