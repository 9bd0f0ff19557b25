"""``/metrics`` on a port of its own (``FRMR_SSO_METRICS_PORT``), in the same process as the broker.

One uvicorn server listens on two sockets, the public one and the metrics one, and runs one
application: one lifespan, one metrics registry, one drain. ``MetricsPortDispatcher`` sits outside
the whole application and tells the listeners apart by the local port of the connection
(``scope["server"]``), so the split holds whatever the middleware stack inside does:

- on the metrics port only ``/metrics`` and the health probes (``/health/live``,
  ``/health/ready``, for a scraper's or a sidecar's checks) reach the application; anything else
  is a 404 problem — the broker's protocol and API endpoints are never reachable there;
- on the public port ``/metrics`` (and anything under it) is a 404 problem, so an ingress that
  forwards every path cannot publish the metrics by mistake.

The refusals pass through the request-id and security-header middlewares, so they carry an
``X-Request-ID``, the usual headers and an access-log line like any other answer. Lifespan
events go straight to the application.
"""

from __future__ import annotations

import socket
from collections.abc import Sequence

from starlette.types import ASGIApp, Receive, Scope, Send

from frmr_sso.web.errors import problem
from frmr_sso.web.request_id import RequestIdMiddleware
from frmr_sso.web.security_headers import SecurityHeadersMiddleware

METRICS_PATH = "/metrics"
METRICS_PORT_PATHS = frozenset({METRICS_PATH, "/health/live", "/health/ready"})


def served_on_metrics_port(path: str) -> bool:
    """Whether ``path`` is served on the metrics port."""
    return path in METRICS_PORT_PATHS


def is_metrics_path(path: str) -> bool:
    """``/metrics`` and anything under it (``/metrics/`` would otherwise redirect to it)."""
    return path == METRICS_PATH or path.startswith(METRICS_PATH + "/")


async def _not_found(scope: Scope, receive: Receive, send: Send) -> None:
    await problem(404, "Not Found")(scope, receive, send)


async def _metrics_port_only(scope: Scope, receive: Receive, send: Send) -> None:
    detail = "this port serves only " + ", ".join(sorted(METRICS_PORT_PATHS))
    await problem(404, "Not Found", detail)(scope, receive, send)


class MetricsPortDispatcher:
    """The outermost ASGI layer when ``/metrics`` has a port of its own (see the module docstring)."""

    def __init__(self, app: ASGIApp, metrics_port: int) -> None:
        self.app = app
        self.metrics_port = metrics_port
        self._refuse_public = SecurityHeadersMiddleware(RequestIdMiddleware(_not_found))
        self._refuse_metrics = SecurityHeadersMiddleware(RequestIdMiddleware(_metrics_port_only))

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):  # lifespan: once, straight to the application
            await self.app(scope, receive, send)
            return
        path = str(scope.get("path", ""))
        server = scope.get("server")
        if server is not None and server[1] == self.metrics_port:
            allowed, refuse = served_on_metrics_port(path), self._refuse_metrics
        else:
            allowed, refuse = not is_metrics_path(path), self._refuse_public
        if allowed:
            await self.app(scope, receive, send)
        elif scope["type"] == "websocket":
            await send({"type": "websocket.close", "code": 1008})  # before accept: an HTTP 403
        else:
            await refuse(scope, receive, send)


def bind_sockets(addresses: Sequence[tuple[str, int]]) -> list[socket.socket]:
    """A bound TCP socket per (host, port), not yet listening: uvicorn starts listening on them after
    the lifespan's startup, as it does with a socket of its own. OSError names a failing address;
    the sockets bound before it are closed.
    """
    sockets: list[socket.socket] = []
    try:
        for host, port in addresses:
            sockets.append(_bind(host, port))
    except BaseException:
        for sock in sockets:
            sock.close()
        raise
    return sockets


def _bind(host: str, port: int) -> socket.socket:
    try:
        family, kind, proto, _, address = socket.getaddrinfo(
            host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE
        )[0]
        sock = socket.socket(family, kind, proto)
    except OSError as exc:
        raise OSError(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from None
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(address)
    except OSError as exc:
        sock.close()
        raise OSError(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from None
    sock.set_inheritable(True)
    return sock
