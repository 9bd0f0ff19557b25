"""Run an ASGI app under a real uvicorn server on a free loopback port, in a thread.

Tests talk to it over real HTTP; the server owns its event loop, so the app's
lifespan (engine, KV, HTTP clients) runs exactly as in production.
"""

from __future__ import annotations

import asyncio
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import uvicorn


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        port: int = sock.getsockname()[1]
        return port


class _ThreadServer(uvicorn.Server):
    def install_signal_handlers(self) -> None:  # the main thread keeps its handlers
        pass


@contextmanager
def serve(app: Any, *, port: int | None = None, host: str = "127.0.0.1") -> Iterator[str]:
    """Serve ``app`` until the block ends; yields its base URL (no trailing slash)."""
    port = port or free_port(host)
    config = uvicorn.Config(  # like `frmr-sso serve`: the app alone reads X-Forwarded-For
        app, host=host, port=port, log_config=None, lifespan="on", loop="asyncio", proxy_headers=False,
        access_log=False,  # as `frmr-sso serve`: frmr_sso.access logs requests without query strings
    )
    server = _ThreadServer(config)
    thread = threading.Thread(target=lambda: asyncio.run(server.serve()), daemon=True)
    thread.start()
    deadline = time.monotonic() + 60  # a busy machine starts a server slowly; it fails fast if it dies
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError(f"server on {host}:{port} did not start")
        time.sleep(0.02)
    try:
        yield f"http://{host}:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=20)
