"""Graceful shutdown: report "draining" first, keep serving, then let uvicorn finish in-flight requests.

On the first SIGTERM (or SIGINT) the instance does not stop at once:

1. ``Draining.begin()`` flips ``/health/ready`` to 503 ``draining``, so a load balancer or
   Kubernetes takes the instance out of rotation while it still answers everything;
2. after ``FRMR_SSO_SHUTDOWN_DRAIN_SECONDS`` uvicorn stops accepting connections, closes idle
   keep-alive ones and waits up to ``FRMR_SSO_SHUTDOWN_TIMEOUT`` seconds for in-flight requests;
3. the lifespan closes the engine, the KV and the HTTP client.

A second signal during the drain skips the rest of it (uvicorn's own handling: a second
SIGINT also stops waiting for in-flight requests).
"""

from __future__ import annotations

import logging
import threading
import time
from types import FrameType

import uvicorn

log = logging.getLogger(__name__)


class Draining:
    """Whether this instance is shutting down; the readiness probe reads it."""

    def __init__(self) -> None:
        self._since: float | None = None

    @property
    def active(self) -> bool:
        return self._since is not None

    def begin(self) -> None:
        if self._since is None:
            self._since = time.monotonic()


class DrainingServer(uvicorn.Server):
    """uvicorn's server with a drain period between the first signal and the stop of accepting."""

    def __init__(self, config: uvicorn.Config, draining: Draining, drain_seconds: float) -> None:
        super().__init__(config)
        self.draining = draining
        self.drain_seconds = drain_seconds
        self._timer: threading.Timer | None = None

    def handle_exit(self, sig: int, frame: FrameType | None) -> None:
        if self.drain_seconds <= 0 or self._timer is not None or self.should_exit:
            self.draining.begin()
            if self._timer is not None:  # a second signal: stop draining now
                self._timer.cancel()
            super().handle_exit(sig, frame)
            return
        self.draining.begin()
        log.info("shutdown requested: draining", extra={"drain_seconds": self.drain_seconds})
        # A signal handler must not block: a timer thread lets the drain run, then stops the server
        # exactly as the signal itself would have (uvicorn polls should_exit every 0.1 s).
        self._timer = threading.Timer(self.drain_seconds, super().handle_exit, args=(sig, None))
        self._timer.daemon = True
        self._timer.start()
