"""``frmr-sso serve`` (one broker process) and ``frmr-sso demo`` (broker and mock ESIA with demo data)."""

from __future__ import annotations

import argparse
import logging
from collections.abc import Awaitable, Callable

from frmr_sso.cli.common import fail
from frmr_sso.cli.config_check import file_problem
from frmr_sso.config import Settings, check_metrics_port

log = logging.getLogger(__name__)


def add_parsers(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    serve = sub.add_parser("serve", help="run the broker, one process (settings from FRMR_SSO_* variables)")
    serve.add_argument("--host", default=None)
    serve.add_argument("--port", type=int, default=None)
    demo = sub.add_parser("demo", help="run broker and mock ESIA on embedded stores with demo data")
    demo.add_argument("--host", default="127.0.0.1")
    demo.add_argument("--port", type=int, default=8000)
    demo.add_argument("--esia-port", type=int, default=8001)


def run_demo(args: argparse.Namespace) -> int:
    from frmr_sso.demo import run_demo as demo

    return demo(host=args.host, port=args.port, esia_port=args.esia_port)


def run_serve(settings: Settings, args: argparse.Namespace) -> int:
    """One process, one event loop: more cores means more instances (see the README's "Several instances")."""
    import uvicorn

    from frmr_sso.app import create_app
    from frmr_sso.logs import configure_logging
    from frmr_sso.web.metrics_port import MetricsPortDispatcher, bind_sockets
    from frmr_sso.web.shutdown import DrainingServer

    host, port = args.host or settings.host, args.port or settings.port
    try:
        check_metrics_port(port, settings.metrics_port)  # --port may have moved the public port onto it
    except ValueError as exc:
        return fail(f"invalid configuration: {exc}", 2)
    if problem := file_problem(settings):  # the same reading the app makes at start, said in one line
        return fail(problem, 2)
    configure_logging(settings.log_level)
    app = create_app(settings)
    asgi: Callable[..., Awaitable[None]] = app
    sockets = None
    if settings.metrics_port is not None:
        metrics_host = settings.metrics_host or host
        try:
            sockets = bind_sockets([(host, port), (metrics_host, settings.metrics_port)])
        except OSError as exc:
            return fail(str(exc))
        asgi = MetricsPortDispatcher(app, settings.metrics_port)
        log.info("listening on http://%s:%d, /metrics on http://%s:%d",
                 host, port, metrics_host, settings.metrics_port)
    config = uvicorn.Config(
        asgi,
        host=host,
        port=port,
        log_config=None,
        access_log=False,  # frmr_sso.access logs each request, without its query string
        proxy_headers=False,
        timeout_graceful_shutdown=settings.shutdown_timeout,
    )
    DrainingServer(config, app.state.draining, settings.shutdown_drain_seconds).run(sockets=sockets)
    return 0
