"""The broker's outermost ASGI layer: request metrics, security headers, request id and CORS in one.

It does what ``MetricsMiddleware``, ``SecurityHeadersMiddleware``, ``RequestIdMiddleware`` and
the protocol endpoints' CORS did stacked in that order (the first three remain for the small
apps that use one of them), with one ``send`` wrapper instead of four: a layer costs a
coroutine frame and a closure call per message on every request, a visible share of the
protocol endpoints' budget (bench/README.md).

Per request, in this order (the order of the three layers it replaces, outermost first):

* **metrics**: the request's duration by route template (``/callback/{connector}``, never the
  raw path), method and status class, once the app has answered or failed, into the ``Metrics``
  its ``services`` name (the composition root's holder: none before the lifespan has built them
  means nothing is recorded);
* **security headers** on every response start, the fallback 500 below included: see
  ``web/security_headers.py``; a header the route already set is kept;
* **canonical origin**: given the issuer, the request's ``Host`` header and scheme become the
  issuer's before anything else sees them, so every absolute URL the framework builds (the
  trailing-slash redirect of ``/cabinet``, ``request.url``) names the issuer, never a host the
  client chose;
* **request id**: always a new one of ours; it goes into the log context, ``scope["state"]``
  (the audit records' request id) and the ``X-Request-ID`` answer header. An incoming
  ``X-Request-ID`` that looks like an id (short, safe characters) is the client's own: kept as
  ``client_request_id`` in ``scope["state"]`` and on the access-log line, never as ours. The
  client's address (``web/client_ip.py``, X-Forwarded-For only from the ``trusted_proxies``) goes
  into ``scope["state"]`` too, for the rate limits, the audit records and the protocol requests. An
  exception escaping the app is logged (redacted) and answered with a 500 naming only the request
  id (``web/errors.fallback_body``: the Russian page on a page, ``application/problem+json``
  elsewhere), or re-raised when the answer has already started. A client that went away before
  the app read its request (``ClientDisconnect``) is no server error: nothing is answered, the
  request counts as status 499 (as nginx names it) and is logged at info;
* **CORS** (``web/cors.py``) on ``CORS_PATHS``: a request with ``Origin`` passes through
  Starlette's ``CORSMiddleware`` (preflight answers, ``Access-Control-*`` headers), one
  without gets ``Vary: Origin`` on the app's answer, as that middleware would add.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any, Protocol
from urllib.parse import urlsplit

from starlette.requests import ClientDisconnect
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from frmr_sso.logs import request_id_var
from frmr_sso.web.client_ip import CLIENT_IP, resolve_client_ip
from frmr_sso.web.cors import CORS_PATHS, protocol_cors, vary_origin
from frmr_sso.web.errors import fallback_body
from frmr_sso.web.metrics import Metrics, route_label
from frmr_sso.web.pages import CSP
from frmr_sso.web.request_id import (
    SAFE_REQUEST_ID,
    error_log,
    log_request,
    new_request_id,
    send_fallback_error,
)
from frmr_sso.web.security_headers import ALWAYS, NON_HTML_CSP, no_store_path

_ALWAYS = tuple((name.encode("latin-1"), value.encode("latin-1")) for name, value in ALWAYS.items())
_CSP = b"content-security-policy"
_HTML_CSP = CSP.encode("latin-1")
_OTHER_CSP = NON_HTML_CSP.encode("latin-1")
_NO_STORE = ((b"cache-control", b"no-store"), (b"pragma", b"no-cache"))
_CONTENT_TYPE = b"content-type"
_HTML = b"text/html"
_REQUEST_ID = b"x-request-id"
_ORIGIN = b"origin"
_HOST = b"host"
_FORWARDED_FOR = b"x-forwarded-for"
_METHODS = frozenset({"GET", "POST", "HEAD", "OPTIONS", "PUT", "PATCH", "DELETE"})
CLIENT_CLOSED = 499  # the client closed the connection before the answer (nginx's name for it)
_CLASSES = ("0xx", "1xx", "2xx", "3xx", "4xx", "5xx")


def security_headers(headers: list[tuple[bytes, bytes]], no_store: bool) -> list[tuple[bytes, bytes]]:
    """``headers`` (raw, lower-case names) with the broker's security headers the route left out."""
    present = set()
    content_type = None
    for name, value in headers:
        present.add(name)
        if content_type is None and name == _CONTENT_TYPE:
            content_type = value
    html = content_type is not None and content_type.startswith(_HTML)
    for pair in _ALWAYS:
        if pair[0] not in present:
            headers.append(pair)
    if _CSP not in present:
        headers.append((_CSP, _HTML_CSP if html else _OTHER_CSP))
    if html or no_store:
        for pair in _NO_STORE:
            if pair[0] not in present:
                headers.append(pair)
    return headers


class MetricsHolder(Protocol):
    """Where the edge finds the application's metrics: None until the lifespan has built them."""

    @property
    def metrics(self) -> Metrics | None: ...


def _status_class(status: int) -> str:
    index = status // 100
    return _CLASSES[index] if 0 <= index < len(_CLASSES) else f"{index}xx"


class EdgeMiddleware:
    def __init__(
        self, app: ASGIApp, *, issuer: str | None = None, trusted_proxies: Sequence[str] = (),
        services: MetricsHolder | None = None,
    ) -> None:
        self.app = app
        self.services = services
        self.trusted_proxies = tuple(trusted_proxies)
        origin = urlsplit(issuer) if issuer else None
        self._host = origin.netloc.encode("latin-1") if origin else None
        self._scheme = origin.scheme if origin else None
        self.cors = protocol_cors(app)
        self._observers: dict[tuple[str, str, str], Any] = {}
        self._observers_of: object = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        metrics = self.services.metrics if self.services is not None else None
        started = time.perf_counter()
        incoming = ""
        origin = False
        host = None
        forwarded = None
        headers = scope.get("headers") or ()
        for name, value in headers:
            if name == _REQUEST_ID:
                incoming = value.decode("latin-1")  # the last one, as a dict of the headers keeps
            elif name == _ORIGIN:
                origin = True
            elif name == _HOST:
                host = value
            elif name == _FORWARDED_FOR and forwarded is None:
                forwarded = value.decode("latin-1")  # the first one, as ``request.headers.get`` reads
        if self._host is not None and host != self._host:
            scope["headers"] = [(n, v) for n, v in headers if n != _HOST] + [(_HOST, self._host)]
        if self._scheme is not None:
            scope["scheme"] = self._scheme
        cors = scope["path"] in CORS_PATHS
        vary = cors and not origin
        request_id = new_request_id()
        id_header = (_REQUEST_ID, request_id.encode("latin-1"))
        token = request_id_var.set(request_id)
        state = scope.setdefault("state", {})
        state["request_id"] = request_id
        if incoming and SAFE_REQUEST_ID.match(incoming):
            state["client_request_id"] = incoming
        peer = scope.get("client")
        state[CLIENT_IP] = resolve_client_ip(peer[0] if peer else None, forwarded, self.trusted_proxies)
        no_store = no_store_path(str(scope.get("path", "")))
        status = 0

        async def send_edge(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                headers = [*message.get("headers", ())]
                if vary:
                    headers = vary_origin(headers)
                headers.append(id_header)
                message["headers"] = security_headers(headers, no_store)
            await send(message)

        try:
            await (self.cors if cors and origin else self.app)(scope, receive, send_edge)
        except ClientDisconnect:
            if status:
                raise
            status = CLIENT_CLOSED
            error_log.info("client disconnected before its request was read")
        except Exception as exc:
            error_log.error("unhandled error", exc_info=exc)
            if status:
                raise
            vary = False  # the CORS layer never saw this answer
            await send_fallback_error(send_edge, send, *fallback_body(scope, request_id))
        finally:
            elapsed = time.perf_counter() - started
            log_request(scope, status, elapsed)
            request_id_var.reset(token)
            if metrics is not None:
                self._observe(metrics, scope, status or 500, elapsed)

    def _observe(self, metrics: Any, scope: Scope, status: int, seconds: float) -> None:
        """The histogram child of (route, method, status class), looked up once per combination."""
        if metrics is not self._observers_of:
            self._observers = {}
            self._observers_of = metrics
        method = scope["method"] if scope["method"] in _METHODS else "other"
        key = (route_label(scope), method, _status_class(status))
        child = self._observers.get(key)
        if child is None:
            child = self._observers[key] = metrics.requests.labels(*key)
        child.observe(seconds)
