"""The broker's lockouts and rate limiters built from the settings.

Keys live under a namespace derived from the issuer, so brokers sharing one
Redis (staging and production, or the test suite's many brokers) never lock
each other's clients; every instance of one broker shares the counters.
"""

from __future__ import annotations

import hashlib

from frmr_sso.audit.events import Auditor
from frmr_sso.audit.refusal_digest import RefusalDigest
from frmr_sso.config import Settings
from frmr_sso.security.limiter import Lockout, RateLimiter
from frmr_sso.security.lockout import LockoutPolicy
from frmr_sso.security.person_limits import PersonLimits
from frmr_sso.security.services import RateGroup, Security
from frmr_sso.storage.ports import KeyValueStore


def namespace(settings: Settings) -> str:
    return hashlib.sha256(settings.issuer.encode()).hexdigest()[:12]


def policies(settings: Settings) -> tuple[LockoutPolicy, LockoutPolicy]:
    """(per subject or client, per IP): the same waits, the IP tolerating more failures."""
    common = {
        "base_wait": float(settings.lockout_base_wait),
        "max_wait": float(settings.lockout_max_wait),
        "reset_after": float(settings.lockout_reset_after),
        "permanent_after": settings.lockout_permanent_after,
    }
    return (
        LockoutPolicy(max_failures=settings.lockout_max_failures, **common),  # type: ignore[arg-type]
        LockoutPolicy(max_failures=settings.lockout_ip_max_failures, **common),  # type: ignore[arg-type]
    )


def build_security(settings: Settings, kv: KeyValueStore, auditor: Auditor | None = None) -> Security:
    ns = namespace(settings)
    per_key, per_ip = policies(settings)
    limits: dict[RateGroup, int] = {
        "authorize": settings.rate_limit_authorize_per_minute,
        "callback": settings.rate_limit_callback_per_minute,
        "token": settings.rate_limit_token_per_minute,
        "second_factor": settings.rate_limit_second_factor_per_minute,
        "bearer_failure": settings.rate_limit_bearer_failures_per_minute,
    }
    return Security(
        clients=Lockout(kv, per_key, f"{ns}:client"),
        subjects=Lockout(kv, per_key, f"{ns}:subject"),
        ips=Lockout(kv, per_ip, f"{ns}:ip"),
        auditor=auditor,
        rates={g: RateLimiter(kv, limit, 60.0, namespace=f"{ns}:{g}") for g, limit in limits.items()},
        bearer_refusals=(
            RefusalDigest(auditor, float(settings.audit_refusal_interval)) if auditor is not None else None
        ),
    )


def person_limits(settings: Settings, kv: KeyValueStore) -> PersonLimits:
    """The per-person budgets and mutexes of the cabinet's orders (``security/person_limits.py``)."""
    ns = namespace(settings)
    hourly = {
        "statement_orders": settings.rate_limit_statements_per_hour,
        "change_requests": settings.rate_limit_change_requests_per_hour,
        "contact_codes": settings.rate_limit_contact_codes_per_hour,
    }
    rates = {kind: RateLimiter(kv, limit, 3600.0, namespace=f"{ns}:{kind}") for kind, limit in hourly.items()}
    return PersonLimits(kv, rates, namespace=ns)
