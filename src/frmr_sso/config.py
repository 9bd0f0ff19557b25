"""Settings from the environment (prefix ``FRMR_SSO_``), validated once at start.

Outside demo mode a missing, short, guessable or demo secret stops the process,
and so does an ``http://`` issuer: production tokens must never be signed under
a guessable key or announced over plain HTTP. A bad value is reported in one
line naming the variable and what it expects (``ConfigurationError``).
"""

from __future__ import annotations

import ipaddress
import json
import math
import re
from collections import Counter
from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from frmr_sso.security.pkcs11 import Pkcs11Config

DEMO_SECRET_KEY = "demo-only-secret-key-do-not-use-in-production"  # noqa: S105
DEMO_CABINET_SECRET = "frmr-cabinet-demo-secret"  # noqa: S105 - published demo
MIN_SECRET_LENGTH = 32
MIN_SECRET_BITS = 100
DATABASE_SCHEMES = ("sqlite+aiosqlite", "postgresql+asyncpg")
# Settings whose values an error message never repeats (secrets, URLs that may carry a password).
_HIDDEN_VALUES = frozenset({
    "secret_key", "previous_secret_keys", "cabinet_client_secret", "database_url", "redis_url",
    "otel_exporter_otlp_endpoint", "OTEL_EXPORTER_OTLP_ENDPOINT",
})
# A list setting is a JSON list or comma-separated values: ["10.0.0.0/8", "::1"] or 10.0.0.0/8,::1
StrList = Annotated[list[str], NoDecode]


class ConfigurationError(Exception):
    """The settings cannot run safely; the message says which one and why."""


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="FRMR_SSO_", extra="ignore")

    mode: Literal["demo", "production"] = "production"
    issuer: str = "http://127.0.0.1:8000"
    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=1, le=65535)
    # /metrics on a port of its own: the public port then answers 404 for it (see web/metrics_port.py).
    # Unset: /metrics is served on the public port. The host defaults to the public one.
    metrics_port: int | None = Field(default=None, ge=1, le=65535)
    metrics_host: str | None = None
    database_url: str = "sqlite+aiosqlite:///./var/frmr_sso.db"
    # PostgreSQL connections per process: kept open, and opened beyond them under load (SQLite ignores both).
    database_pool_size: int = Field(default=10, ge=1, le=100)
    database_max_overflow: int = Field(default=10, ge=0, le=100)
    redis_url: str | None = None
    secret_key: SecretStr = SecretStr("")
    # Earlier secret keys (JSON list): values sealed under them still open until `secrets reseal` moves them.
    previous_secret_keys: list[SecretStr] = Field(default_factory=list)
    clients_file: Path | None = None
    upstreams_file: Path | None = None
    trusted_proxies: StrList = Field(default_factory=list)
    log_level: str = "INFO"
    # The personal cabinet (/cabinet), a client of this broker: its client id and secret (the demo seeds
    # both), and the broker's address as the cabinet reaches it (default: the issuer).
    cabinet_client_id: str = "frmr-cabinet"
    cabinet_client_secret: SecretStr = SecretStr("")
    cabinet_internal_url: str | None = None
    # Who runs the service and how people reach its support: every page's footer, the start page and the
    # personal-data notice (/privacy) show them.
    operator_name: str = Field(
        default="Федеральный регистр медицинских работников", min_length=1, max_length=300
    )
    support_email: str | None = Field(default=None, max_length=200)
    support_phone: str | None = Field(default=None, max_length=50)
    # The time zone the cabinet's pages and the statements show times in (IANA name), labelled «МСК» etc.
    time_zone: str = "Europe/Moscow"
    # Graceful shutdown: after SIGTERM /health/ready answers 503 "draining" while requests are still
    # served for shutdown_drain_seconds; then no new connections, and in-flight requests get up to
    # shutdown_timeout seconds to finish.
    shutdown_drain_seconds: float = Field(default=5.0, ge=0, le=300)
    shutdown_timeout: int = Field(default=20, ge=0, le=600)
    # ESIA's GOST tokens: verified through OpenSSL's GOST engine (the `openssl_command` program with
    # Debian's libengine-gost-openssl) when it passes a known-answer test at start ("auto"), always
    # ("openssl": a failing test stops the start) or never ("off": the pure-Python path).
    gost_engine: Literal["auto", "openssl", "off"] = "auto"
    openssl_command: str = Field(default="openssl", min_length=1)
    # Statements signed by a key on a PKCS#11 token or HSM (JSON: {"kind": "pkcs11", "module", "token_label",
    # "key_label", "pin_file" or "pin_env", "certificate_file" or "cert_label"}); unset: the self-issued
    # certificate the service makes itself.
    statement_signer: Pkcs11Config | None = None
    # How often each instance reloads the signing keys from the database (rotation by another instance).
    key_refresh_interval: float = Field(default=30.0, ge=0.5, le=3600)

    code_ttl: int = Field(default=60, ge=10, le=600)
    access_token_ttl: int = Field(default=300, ge=30, le=86_400)
    # With Redis: seconds an instance may keep a revocation check or an opaque token's record in its
    # own cache (storage/kv/near_cache.py; Redis's invalidation drops it sooner); 0 turns the cache off.
    token_cache_seconds: float = Field(default=5.0, ge=0, le=60)
    refresh_absolute_ttl: int = Field(default=30 * 86_400, ge=60)
    refresh_idle_ttl: int = Field(default=7 * 86_400, ge=60)
    session_idle_ttl: int = Field(default=30 * 60, ge=60)
    session_absolute_ttl: int = Field(default=10 * 3600, ge=60)
    login_transaction_ttl: int = Field(default=600, ge=60)

    # Lockout (README "Broker settings"): per subject, per (client, address) and per address.
    lockout_max_failures: int = Field(default=5, ge=1, le=1000)
    lockout_ip_max_failures: int = Field(default=100, ge=1, le=100_000)
    lockout_base_wait: int = Field(default=60, ge=1)
    lockout_max_wait: int = Field(default=900, ge=1)
    lockout_reset_after: int = Field(default=43_200, ge=60)
    lockout_permanent_after: int | None = Field(default=None, ge=0)
    # Requests per minute per client IP and endpoint group; 0 turns a limit off.
    rate_limit_authorize_per_minute: int = Field(default=600, ge=0)
    rate_limit_callback_per_minute: int = Field(default=600, ge=0)
    rate_limit_token_per_minute: int = Field(default=1200, ge=0)
    rate_limit_second_factor_per_minute: int = Field(default=60, ge=0)
    # Refused bearer tokens per minute per client IP at /userinfo and the APIs; beyond, 429.
    rate_limit_bearer_failures_per_minute: int = Field(default=60, ge=0)
    # Refused bearer tokens are audited one per address and reason per this many seconds, the
    # rest as one record with their count; 0 writes every one.
    audit_refusal_interval: int = Field(default=60, ge=0, le=3600)
    # Support requests per client IP and hour (filing needs no login); 0 turns the limit off.
    rate_limit_support_per_hour: int = Field(default=10, ge=0)
    # Per person and hour (0 turns a limit off): statement orders, change requests, contact codes.
    rate_limit_statements_per_hour: int = Field(default=20, ge=0)
    rate_limit_change_requests_per_hour: int = Field(default=10, ge=0)
    rate_limit_contact_codes_per_hour: int = Field(default=5, ge=0)
    # The broker's own second factor (TOTP): asked of these FRMR roles, of clients registered with
    # require_second_factor, and when acr_values asks for the "+mfa" level.
    second_factor_roles: StrList = Field(default_factory=lambda: ["registry_admin"])
    second_factor_pending_ttl: int = Field(default=300, ge=60, le=3600)
    # OpenTelemetry tracing (frmr_sso/tracing/), on when the standard variable names the collector; the
    # OTLP exporter reads the other OTEL_EXPORTER_OTLP_* and OTEL_* variables itself.
    otel_exporter_otlp_endpoint: str | None = Field(
        default=None, validation_alias="OTEL_EXPORTER_OTLP_ENDPOINT"
    )
    # Request bodies, counted while they arrive: forms and JSON, and the upload forms (five files
    # of 5 MB and their fields).
    max_body_bytes: int = Field(default=64 * 1024, ge=8 * 1024, le=1024 * 1024)
    max_upload_body_bytes: int = Field(default=26 * 1024 * 1024, ge=6 * 1024 * 1024, le=64 * 1024 * 1024)

    @property
    def is_demo(self) -> bool:
        return self.mode == "demo"

    @field_validator("time_zone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        from zoneinfo import ZoneInfo

        try:
            ZoneInfo(value)
        except (ValueError, KeyError) as exc:
            raise ValueError(f"unknown time zone {value!r}") from exc
        return value

    @field_validator("metrics_port", "metrics_host", "otel_exporter_otlp_endpoint", mode="before")
    @classmethod
    def _empty_is_unset(cls, value: object) -> object:
        """``FRMR_SSO_METRICS_PORT=`` (an empty variable, as ``${VAR:-}`` leaves it) means unset."""
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator("trusted_proxies", "second_factor_roles", mode="before")
    @classmethod
    def _list(cls, value: object) -> object:
        if not isinstance(value, str):
            return value
        if value.strip().startswith("["):
            try:
                return json.loads(value)
            except ValueError:
                raise ValueError("expected a JSON list or comma-separated values") from None
        return [item.strip() for item in value.split(",") if item.strip()]

    @field_validator("trusted_proxies")
    @classmethod
    def _networks(cls, value: list[str]) -> list[str]:
        for item in value:
            try:
                ipaddress.ip_network(item, strict=False)
            except ValueError:
                raise ValueError(f"{item!r} is not an IP address or network (e.g. 10.0.0.0/8)") from None
        return value

    @field_validator("database_url")
    @classmethod
    def _database_scheme(cls, value: str) -> str:
        scheme = value.split("://", 1)[0] if "://" in value else ""
        if scheme not in DATABASE_SCHEMES:
            shown = f"scheme {scheme!r}" if scheme else "no scheme"
            expected = "sqlite+aiosqlite:///PATH or postgresql+asyncpg://USER:PASSWORD@HOST/DB"
            raise ValueError(f"expected {expected}, got {shown}")
        return value

    @field_validator("otel_exporter_otlp_endpoint")
    @classmethod
    def _collector_url(cls, value: str | None) -> str | None:
        if value is not None and not value.startswith(("http://", "https://")):
            raise ValueError("must be the collector's http:// or https:// URL (OTLP over HTTP)")
        return value

    @model_validator(mode="after")
    def _refuse_unsafe_production(self) -> Settings:
        if self.lockout_base_wait > self.lockout_max_wait:
            raise ValueError("FRMR_SSO_LOCKOUT_BASE_WAIT must not exceed FRMR_SSO_LOCKOUT_MAX_WAIT")
        check_metrics_port(self.port, self.metrics_port)
        if self.metrics_host is not None and self.metrics_port is None:
            raise ValueError("FRMR_SSO_METRICS_HOST is set but FRMR_SSO_METRICS_PORT is not")
        if self.is_demo:
            if not self.secret_key.get_secret_value():
                self.secret_key = SecretStr(DEMO_SECRET_KEY)
            return self
        secret = self.secret_key.get_secret_value()
        if not secret:
            raise ValueError("FRMR_SSO_SECRET_KEY is not set; production mode needs a random secret")
        if secret == DEMO_SECRET_KEY:
            raise ValueError("FRMR_SSO_SECRET_KEY is the demo secret; generate a new one for production")
        if len(secret) < MIN_SECRET_LENGTH:
            raise ValueError(f"FRMR_SSO_SECRET_KEY must be at least {MIN_SECRET_LENGTH} characters")
        if (bits := estimated_entropy_bits(secret)) < MIN_SECRET_BITS:
            raise ValueError(
                f"FRMR_SSO_SECRET_KEY is guessable (about {bits:.0f} bits, at least {MIN_SECRET_BITS} "
                "needed); generate one with: openssl rand -base64 48"
            )
        if self.cabinet_client_secret.get_secret_value() == DEMO_CABINET_SECRET:
            raise ValueError("FRMR_SSO_CABINET_CLIENT_SECRET is the published demo secret; set the cabinet "
                             "client's own secret for production")
        if not self.issuer.startswith("https://"):
            raise ValueError("FRMR_SSO_ISSUER must be an https:// URL in production mode")
        return self


def estimated_entropy_bits(secret: str) -> float:
    """Length × the Shannon entropy of the secret's own character frequencies: an upper estimate that
    catches repeated and low-variety secrets ("aaaa…", "abab…"); 48 random bytes in base64 score ~330,
    16 in hex ~115."""
    counts, length = Counter(secret), len(secret)
    return abs(length * sum(n / length * math.log2(n / length) for n in counts.values()))


def check_metrics_port(port: int, metrics_port: int | None) -> None:
    """The two listeners are told apart by port alone, so they must differ (whatever the hosts)."""
    if metrics_port is not None and metrics_port == port:
        raise ValueError(f"FRMR_SSO_METRICS_PORT must differ from the public port ({port})")


def load_settings(**overrides: object) -> Settings:
    """Build settings or raise ConfigurationError with a readable message."""
    from pydantic import ValidationError
    from pydantic_settings import SettingsError

    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        problems = "; ".join(_describe(err) for err in exc.errors())
        raise ConfigurationError(f"invalid configuration: {problems}") from None
    except SettingsError as exc:  # a value the environment source could not decode
        field = re.search(r'field "(\w+)"', str(exc))
        name = f"FRMR_SSO_{field.group(1).upper()}" if field else "a FRMR_SSO_* variable"
        raise ConfigurationError(f"invalid configuration: {name}: cannot be parsed") from None


def _describe(err: object) -> str:
    """``FRMR_SSO_<NAME>: <what is expected> (got <value>)``; secrets' values are never shown."""
    from pydantic_core import ErrorDetails

    assert isinstance(err, dict)
    detail: ErrorDetails = err  # type: ignore[assignment]
    message = detail["msg"].removeprefix("Value error, ")
    loc = [str(p) for p in detail["loc"]]
    if not loc:  # a rule over several settings: its message names them
        return message
    name = loc[0] if loc[0].isupper() else f"FRMR_SSO_{loc[0].upper()}"  # an alias is the variable itself
    where = name + "".join(f"[{p}]" for p in loc[1:])
    value = detail.get("input")
    shown = "" if loc[0] in _HIDDEN_VALUES or isinstance(value, dict) else f" (got {str(value)[:60]!r})"
    return f"{where}: {message}{shown}"
