"""``Running``: what the middlewares use of the services, for an application assembled before they exist.

``create_app`` adds the middlewares at once, but the lifespan builds the ``Container`` only when the
server starts. The middlewares are given this holder instead: it names nothing until the lifespan
calls ``start`` (a request before that is neither counted nor rate-limited, as none can be).
"""

from __future__ import annotations

from collections.abc import Mapping

from frmr_sso.bootstrap.container import Container
from frmr_sso.security.limiter import RateLimiter
from frmr_sso.web.metrics import Metrics


class Running:
    def __init__(self) -> None:
        self.metrics: Metrics | None = None
        self.rates: Mapping[str, RateLimiter] | None = None  # per-IP limiters by endpoint group

    def start(self, container: Container) -> None:
        self.metrics = container.metrics
        self.rates = container.security.rates
