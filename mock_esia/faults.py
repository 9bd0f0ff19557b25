"""Failures the mock can be told to produce at run time (``/_dev/faults`` in dev mode).

* ``latency``: seconds added before the endpoint answers;
* ``status``: answer with this HTTP 5xx instead (each time with ``probability``,
  for the next ``count`` hits when a count is given);
* ``timeout``: hang without answering (at most ``hang_seconds``, ended early when
  the fault is cleared or the client goes away), then 504;
* ``downtime``: ``"503"`` answers 503 ESIA-007008 with ``Retry-After``;
  ``"drop"`` closes the connection mid-response;
* ``token``: the token endpoint issues broken tokens (see ``tokens.TokenFault``).

``scope`` names the endpoints hit: ``ac`` (/aas/oauth2/v2/ac), ``te``
(/aas/oauth2/v3/te), ``rs`` (/rs/…), ``jwks``, ``login`` (the login pages), or
``all``. ``/_dev`` and ``/health`` are never hit.
"""

from __future__ import annotations

import asyncio
import secrets
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from mock_esia.tokens import TokenFault

Endpoint = Literal["ac", "te", "rs", "jwks", "login"]
Scope = Literal["ac", "te", "rs", "jwks", "login", "all"]
MAX_HANG_SECONDS = 30.0

_random = secrets.SystemRandom()


def _everywhere() -> list[Scope]:
    return ["all"]


class FaultConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    latency: float = Field(default=0.0, ge=0, le=MAX_HANG_SECONDS)
    status: int | None = Field(default=None, ge=500, le=599)
    probability: float = Field(default=1.0, ge=0, le=1)
    count: int | None = Field(default=None, ge=1)
    timeout: bool = False
    hang_seconds: float = Field(default=MAX_HANG_SECONDS, gt=0, le=MAX_HANG_SECONDS)
    downtime: Literal["503", "drop"] | None = None
    token: TokenFault | None = None
    scope: list[Scope] = Field(default_factory=_everywhere, min_length=1)


def endpoint_of(path: str) -> Endpoint | None:
    """Which protocol endpoint a path belongs to; None for paths faults never touch."""
    if path.startswith(("/_dev", "/health")):
        return None
    if path.startswith("/aas/oauth2/v2/ac"):
        return "ac"
    if path.startswith("/aas/oauth2/v3/te"):
        return "te"
    if path.startswith("/rs/"):
        return "rs"
    if path in ("/jwks", "/aas/oauth2/jwks"):
        return "jwks"
    return "login"


class Faults:
    def __init__(self) -> None:
        self.config = FaultConfig()
        self._released = asyncio.Event()

    def set(self, config: FaultConfig) -> None:
        self.release()
        self.config = config

    def clear(self) -> None:
        self.set(FaultConfig())

    def release(self) -> None:
        """End every hanging request now; later hangs wait on a fresh event."""
        self._released.set()
        self._released = asyncio.Event()

    @property
    def released(self) -> asyncio.Event:
        return self._released

    def hits(self, endpoint: Endpoint) -> bool:
        scope = self.config.scope
        return "all" in scope or endpoint in scope

    def token_fault(self) -> TokenFault | None:
        return self.config.token if self.hits("te") else None

    def take_status(self) -> int | None:
        """The 5xx to answer now, consuming one of ``count``; None to answer normally."""
        config = self.config
        if config.status is None or _random.random() >= config.probability:
            return None
        if config.count is not None:
            remaining = config.count - 1
            self.config = config.model_copy(
                update={"count": remaining or None, "status": config.status if remaining else None}
            )
        return config.status
