"""``FRMR_SSO_UPSTREAMS_FILE``: the identity providers, validated before anything starts.

    - {name: esia, type: esia, base_url: "https://esia.gosuslugi.ru", issuer: "http://esia.gosuslugi.ru/",
       client_id: FRMR01, certificate_hash: <64 hex>, signer: {kind: gost, key_file: keys/esia.hex},
       access_type: offline}
    - {name: partner, type: oidc, issuer: "https://idp.example", client_id: frmr,
       client_secret_env: PARTNER_SECRET, claims: {snils: snils, trusted: verified}}

An OIDC provider's SNILS is unverified unless ``claims.trusted`` names the
per-person claim that says it is verified, or the entry says ``trusted: true``
(the operator vouches for every account of that provider).

A list, or ``{upstreams: [...]}``; ``EsiaEntry``/``OidcEntry`` list every field.
Relative key paths are read from the YAML file's directory. Every problem reads
``upstreams[1] 'esia': signer.key_file: …``. ``build_connectors`` makes the
connectors, ESIA first.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any, Literal

import httpx
import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    SecretStr,
    ValidationError,
    field_validator,
    model_validator,
)

from frmr_sso.config import ConfigurationError
from frmr_sso.jose.gost_openssl import OpenSslGost
from frmr_sso.upstream.base import Connector, TokenSealer
from frmr_sso.upstream.breaker import CircuitBreaker
from frmr_sso.upstream.esia import EsiaConnector
from frmr_sso.upstream.esia_protocol import DEFAULT_SCOPES, EsiaOptions
from frmr_sso.upstream.esia_signer import ClientSecretSigner
from frmr_sso.upstream.oidc import OidcConnector, OidcOptions
from frmr_sso.upstream.oidc_claims import ClaimsMapping
from frmr_sso.upstream.signers import SignerConfig, load_signer

log = logging.getLogger(__name__)
SIGNER_KINDS = frozenset({"rsa", "gost", "command", "pkcs11"})
EsiaAlgorithm = Literal["RS256", "GOST3410_2012_256"]
_NAME = r"^[a-z][a-z0-9_-]{0,31}$"
_URL = r"^https?://[^\s]+$"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class TimeoutConfig(_Strict):
    connect: float = Field(default=2.0, gt=0, le=60)
    read: float = Field(default=5.0, gt=0, le=120)

    def build(self) -> httpx.Timeout:
        return httpx.Timeout(self.read, connect=self.connect)


class BreakerConfig(_Strict):
    failures: int = Field(default=5, ge=1, le=1000)
    window: float = Field(default=60.0, gt=0)
    cool_down: float = Field(default=30.0, gt=0, le=3600)

    def build(self) -> CircuitBreaker:
        return CircuitBreaker(failure_threshold=self.failures, window=self.window, cool_down=self.cool_down)


def _scopes(value: Any) -> Any:
    return value.split() if isinstance(value, str) else value


class _Entry(_Strict):
    name: str = Field(pattern=_NAME)
    display_name: str = ""
    skew: float = Field(default=60.0, ge=0, le=300)
    require_trusted: bool = True
    timeout: TimeoutConfig = TimeoutConfig()
    breaker: BreakerConfig = BreakerConfig()


class EsiaEntry(_Entry):
    type: Literal["esia"]
    display_name: str = "Госуслуги"
    base_url: str = Field(pattern=_URL)
    issuer: str = Field(min_length=1)
    client_id: str = Field(min_length=1, max_length=64)
    certificate_hash: str = Field(pattern=r"^[0-9A-Fa-f]{64}$")
    signer: Annotated[SignerConfig, Field(discriminator="kind")]
    scopes: list[str] = Field(default_factory=lambda: list(DEFAULT_SCOPES))
    scope_org: str = ""
    access_type: Literal["online", "offline"] = "online"
    jwks_uri: str | None = Field(default=None, pattern=_URL)
    algorithms: list[EsiaAlgorithm] = Field(default=["RS256", "GOST3410_2012_256"], min_length=1)

    _split = field_validator("scopes", mode="before")(_scopes)

    @field_validator("scopes")
    @classmethod
    def _needs_snils(cls, value: list[str]) -> list[str]:
        if not {"openid", "snils"} <= set(value):
            raise ValueError("ESIA scopes must include openid and snils")
        return value

    def options(self) -> EsiaOptions:
        same_names = {"name", "display_name", "base_url", "issuer", "client_id", "scope_org", "access_type"}
        return EsiaOptions(
            **self.model_dump(include=same_names | {"skew", "jwks_uri", "require_trusted"}),
            certificate_hash=self.certificate_hash.upper(),
            scopes=tuple(self.scopes),
            algorithms=tuple(self.algorithms),
        )


class ClaimsConfig(_Strict):
    snils: str = Field(default="snils", min_length=1)
    trusted: str | None = None
    trusted_values: list[str] = Field(default=["true"], min_length=1)


class OidcEntry(_Entry):
    type: Literal["oidc"]
    issuer: str = Field(pattern=_URL)
    client_id: str = Field(min_length=1)
    client_secret: SecretStr | None = None
    client_secret_env: str | None = None
    scopes: list[str] = Field(default=["openid", "profile"])
    claims: ClaimsConfig = ClaimsConfig()
    trusted: bool = False

    _split = field_validator("scopes", mode="before")(_scopes)

    @field_validator("scopes")
    @classmethod
    def _needs_openid(cls, value: list[str]) -> list[str]:
        if "openid" not in value:
            raise ValueError("OIDC scopes must include openid")
        return value

    @model_validator(mode="after")
    def _one_secret(self) -> OidcEntry:
        if (self.client_secret is None) == (self.client_secret_env is None):
            raise ValueError("give exactly one of client_secret and client_secret_env")
        if self.trusted and self.claims.trusted is not None:
            raise ValueError("give either trusted: true or claims.trusted (the per-person claim), not both")
        return self

    def options(self) -> OidcOptions:
        if self.client_secret is not None:
            secret = self.client_secret.get_secret_value()
        else:
            secret = os.environ.get(str(self.client_secret_env), "")
            if not secret:
                raise ValueError(f"client_secret_env: {self.client_secret_env} is not set")
        claims = self.claims
        return OidcOptions(
            **self.model_dump(
                include={"name", "issuer", "client_id", "display_name", "skew", "require_trusted"}
            ),
            client_secret=secret,
            scopes=tuple(self.scopes),
            claims=ClaimsMapping(claims.snils, claims.trusted, tuple(claims.trusted_values), self.trusted),
        )


UpstreamEntry = Annotated[EsiaEntry | OidcEntry, Field(discriminator="type")]


class UpstreamsConfig(_Strict):
    upstreams: list[UpstreamEntry] = Field(default_factory=list)
    base_dir: Path = Path()

    @field_validator("upstreams")
    @classmethod
    def _unique(cls, value: list[EsiaEntry | OidcEntry]) -> list[EsiaEntry | OidcEntry]:
        names = [entry.name for entry in value]
        if duplicated := sorted({name for name in names if names.count(name) > 1}):
            raise ValueError(f"connector names must be unique: {', '.join(duplicated)}")
        return value


def _where(loc: tuple[int | str, ...], entries: list[Any]) -> str:
    if len(loc) >= 2 and loc[0] == "upstreams" and isinstance(loc[1], int):
        raw = entries[loc[1]] if loc[1] < len(entries) else None
        name = raw.get("name") if isinstance(raw, dict) else None
        parts = [str(p) for p in loc[3:]]  # loc[2] is the type tag, and signer's kind the next one
        if len(parts) >= 2 and parts[0] == "signer" and parts[1] in SIGNER_KINDS:
            del parts[1]
        field = ".".join(parts) or "entry"
        return f"upstreams[{loc[1]}] {name!r}: {field}" if name else f"upstreams[{loc[1]}]: {field}"
    return ".".join(str(p) for p in loc) or "upstreams"


def parse_upstreams(data: Any, *, base_dir: Path = Path()) -> UpstreamsConfig:
    entries = data.get("upstreams") if isinstance(data, dict) else data
    entries = [] if entries is None else entries
    if not isinstance(entries, list):
        raise ConfigurationError("upstreams: expected a list of providers")
    try:
        return UpstreamsConfig.model_validate({"upstreams": entries, "base_dir": base_dir})
    except ValidationError as exc:
        problems = "; ".join(f"{_where(e['loc'], entries)}: {e['msg']}" for e in exc.errors())
        raise ConfigurationError(f"invalid upstreams configuration: {problems}") from None


def load_upstreams(path: Path) -> UpstreamsConfig:
    try:
        data = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise ConfigurationError(f"cannot read the upstreams file {path}: {exc}") from None
    return parse_upstreams(data, base_dir=Path(path).parent)


def gost_engine(choice: str, command: str, config: UpstreamsConfig) -> OpenSslGost | None:
    """OpenSSL's GOST engine for ESIA entries that accept GOST tokens (``FRMR_SSO_GOST_ENGINE``)."""
    gost = any(isinstance(e, EsiaEntry) and "GOST3410_2012_256" in e.algorithms for e in config.upstreams)
    if choice == "off" or not gost:
        return None
    engine = OpenSslGost(command)
    problem = engine.probe()
    if problem is None:
        log.info("ESIA's GOST signatures are verified through OpenSSL's GOST engine")
        return engine
    if choice == "openssl":
        raise ConfigurationError(f"FRMR_SSO_GOST_ENGINE=openssl: {problem}")
    log.info("ESIA's GOST signatures are verified in pure Python", extra={"engine": problem})
    return None


def build_connectors(
    config: UpstreamsConfig,
    http: httpx.AsyncClient,
    cipher: TokenSealer | None,
    *,
    clock: Callable[[], float] = time.time,
    signers: dict[str, ClientSecretSigner] | None = None,
    gost_engine: OpenSslGost | None = None,
) -> dict[str, Connector]:
    """Connectors by name, ESIA entries first (the login page lists them in this order)."""
    connectors: dict[str, Connector] = {}
    ordered = sorted(enumerate(config.upstreams), key=lambda pair: (pair[1].type != "esia", pair[0]))
    for index, entry in ordered:
        where = f"upstreams[{index}] {entry.name!r}"
        try:
            if isinstance(entry, EsiaEntry):
                signer = (signers or {}).get(entry.name) or load_signer(
                    entry.signer, config.base_dir, connector=entry.name
                )
                if entry.access_type == "offline" and cipher is None:
                    raise ValueError("access_type: offline needs the upstream-token cipher")
                connectors[entry.name] = EsiaConnector(
                    entry.options(),
                    signer=signer,
                    http=http,
                    sealer=cipher,
                    breaker=entry.breaker.build(),
                    timeout=entry.timeout.build(),
                    clock=clock,
                    gost_engine=gost_engine,
                )
            else:
                connectors[entry.name] = OidcConnector(
                    entry.options(),
                    http=http,
                    breaker=entry.breaker.build(),
                    timeout=entry.timeout.build(),
                    clock=clock,
                )
        except ValueError as exc:
            raise ConfigurationError(f"{where}: {exc}") from None
    return connectors
