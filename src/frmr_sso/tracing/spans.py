"""The request's span and the request id on every span.

``RequestSpans`` opens a server span per HTTP request, continuing a W3C ``traceparent`` the request
brings. It is named after the method and the route template (``POST /token``, ``GET
/callback/{connector}``), never the raw path or query string, which can carry an authorization code
or state. Its attributes: method, route, status code, and ``error.type`` (the exception's class,
never its message) when the app fails. ``RequestIdSpans`` stamps every span started while a request
is served — the request's, and the SQL, Redis and upstream spans beneath it — with the request id.
"""

from __future__ import annotations

from opentelemetry import context
from opentelemetry.sdk.trace import Span, SpanProcessor
from opentelemetry.trace import SpanKind, StatusCode, Tracer
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from frmr_sso.logs import NO_REQUEST, request_id_var
from frmr_sso.web.metrics import route_label

REQUEST_ID = "frmr_sso.request_id"
_PROPAGATOR = TraceContextTextMapPropagator()
_TRACE_HEADERS = frozenset({b"traceparent", b"tracestate"})


class RequestIdSpans(SpanProcessor):
    def on_start(self, span: Span, parent_context: context.Context | None = None) -> None:
        request_id = request_id_var.get()
        if request_id != NO_REQUEST:
            span.set_attribute(REQUEST_ID, request_id)


class RequestSpans:
    def __init__(self, app: ASGIApp, tracer: Tracer) -> None:
        self.app = app
        self.tracer = tracer

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        carrier = {
            name.decode("latin-1"): value.decode("latin-1")
            for name, value in scope.get("headers") or ()
            if name in _TRACE_HEADERS
        }
        parent = _PROPAGATOR.extract(carrier)  # the caller's trace, or a root span: never an ambient one
        method = scope["method"]
        status = 0

        async def send_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        with self.tracer.start_as_current_span(
            method, context=parent, kind=SpanKind.SERVER, record_exception=False,
            set_status_on_exception=False, attributes={"http.request.method": method},
        ) as span:
            try:
                await self.app(scope, receive, send_status)
            except Exception as exc:
                span.set_attribute("error.type", type(exc).__name__)
                span.set_status(StatusCode.ERROR)
                raise
            finally:
                route = route_label(scope)
                span.update_name(f"{method} {route}")
                span.set_attribute("http.route", route)
                if status:
                    span.set_attribute("http.response.status_code", status)
                    if status >= 500:
                        span.set_status(StatusCode.ERROR)
