"""Client registrations as operators write them: CLI options, the YAML file, the demo set.

A ``ClientSpec`` carries either a plain ``secret`` (hashed before it is stored)
or a ready ``secret_hash``. Validation follows RFC 6749 (§2.1 client types,
§3.1.2 absolute redirect URIs without a fragment, §3.3 scope tokens) and names
the client and the field of every problem, all at once.

Only a client with ``first_party: true`` (the broker's own personal cabinet; a
confidential client) may be registered for the scopes of the account and
sensitive sections (``oauth.resources.FIRST_PARTY_SCOPES``), so no other client
is ever granted them. Every client without ``first_party`` is third-party: the
person is asked once for consent to what it requests (``oauth.consent``).

The YAML file (``FRMR_SSO_CLIENTS_FILE``) is a list of clients, or a mapping
with a ``clients`` list; the keys are the ``ClientSpec`` field names.

Outside demo mode (``production_problems``) a published demo secret is refused,
and so is a plain-http redirect URI to anything but a loopback address (RFC 8252
§7.3: only native apps on the same machine may be redirected over http).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import yaml

from frmr_sso.config import DEMO_CABINET_SECRET
from frmr_sso.errors import FrmrSsoError
from frmr_sso.oauth.opaque_tokens import FORMATS
from frmr_sso.oauth.resources import FIRST_PARTY_SCOPES
from frmr_sso.oidc.jwks import SUPPORTED_ALGORITHMS
from frmr_sso.security.secrets import MalformedSecretHash, parse_secret_hash
from frmr_sso.storage.ports import ClientRecord

GRANT_TYPES = ("authorization_code", "refresh_token", "client_credentials")
MIN_SECRET_LENGTH = 12
_CLIENT_ID = re.compile(r"[A-Za-z0-9._~-]{1,128}")
_SCOPE_TOKEN = re.compile(r"[\x21\x23-\x5B\x5D-\x7E]+")  # RFC 6749 §3.3 NQCHAR
_LISTS = ("redirect_uris", "grant_types", "scopes", "post_logout_redirect_uris")
_FLAGS = (
    "public",
    "require_second_factor",
    "backchannel_logout_session_required",
    "first_party",
    "refresh_rotation",
)
_NUMBERS = ("refresh_grace",)
MAX_REFRESH_GRACE = 60
LOOPBACK_HOSTS = ("127.0.0.1", "::1", "localhost")


class ClientSpecError(FrmrSsoError):
    """A client registration is invalid; ``problems`` lists ``client '<id>': <field>: <why>``."""

    def __init__(self, problems: list[str], *, source: str | None = None) -> None:
        self.problems = problems
        prefix = f"{source}: " if source else ""
        super().__init__(prefix + "; ".join(problems))


@dataclass(frozen=True, slots=True)
class ClientSpec:
    client_id: str
    name: str
    redirect_uris: tuple[str, ...] = ()
    public: bool = False
    secret: str | None = field(default=None, repr=False)
    secret_hash: str | None = field(default=None, repr=False)
    grant_types: tuple[str, ...] = ("authorization_code",)
    scopes: tuple[str, ...] = ("openid",)
    post_logout_redirect_uris: tuple[str, ...] = ()
    id_token_alg: str = "RS256"  # noqa: S105 - an algorithm name
    backchannel_logout_uri: str | None = None
    require_second_factor: bool = False
    backchannel_logout_session_required: bool = False  # always met: logout tokens carry sid
    first_party: bool = False  # the broker's own app (the cabinet): may hold the scopes of FIRST_PARTY_SCOPES
    refresh_rotation: bool = True  # off: the same refresh token serves again (confidential clients only)
    refresh_grace: int = 5  # seconds a rotated-away refresh token still returns its child
    access_token_format: str = "jwt"  # noqa: S105 - "opaque": a short handle (oauth.opaque_tokens)

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any], *, label: str) -> ClientSpec:
        who = f"client {data.get('client_id', label)!r}"
        known = {f.name for f in fields(cls)}
        problems = [f"{who}: {key}: unknown field" for key in data if key not in known]
        values: dict[str, Any] = {}
        for key, value in data.items():
            if key in _LISTS:
                value = value.split() if isinstance(value, str) else value
                if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                    problems.append(f"{who}: {key}: must be a list of strings")
                    continue
                value = tuple(value)
            elif key in _FLAGS and not isinstance(value, bool):
                problems.append(f"{who}: {key}: must be true or false")
            elif key in _NUMBERS and (isinstance(value, bool) or not isinstance(value, int)):
                problems.append(f"{who}: {key}: must be a whole number")
            elif key in known and key not in _FLAGS + _NUMBERS and not isinstance(value, str | None):
                problems.append(f"{who}: {key}: must be a string")
            values[key] = value
        for required in ("client_id", "name"):
            if not values.get(required):
                problems.append(f"{who}: {required}: is required")
        if problems:
            raise ClientSpecError(problems)
        return cls(**{k: v for k, v in values.items() if k in known})

    def problems(self) -> list[str]:
        found: list[tuple[str, str]] = []
        if not _CLIENT_ID.fullmatch(self.client_id):
            found.append(("client_id", "1-128 characters of A-Z a-z 0-9 . _ ~ -"))
        if not self.name.strip() or len(self.name) > 200:
            found.append(("name", "must be 1-200 characters"))
        found += _grant_problems(self)
        found += _secret_problems(self)
        for name in ("redirect_uris", "post_logout_redirect_uris"):
            found += [(name, why) for uri in getattr(self, name) if (why := _uri_problem(uri))]
        if self.backchannel_logout_uri and (why := _backchannel_problem(self.backchannel_logout_uri)):
            found.append(("backchannel_logout_uri", why))
        if not self.scopes or not all(_SCOPE_TOKEN.fullmatch(scope) for scope in self.scopes):
            found.append(("scopes", "one or more scope tokens without spaces, quotes or backslashes"))
        found += _first_party_problems(self)
        if not 0 <= self.refresh_grace <= MAX_REFRESH_GRACE:
            found.append(("refresh_grace", f"must be 0-{MAX_REFRESH_GRACE} seconds"))
        if self.public and not self.refresh_rotation:
            found.append(("refresh_rotation", "a public client's refresh tokens always rotate"))
        if self.access_token_format not in FORMATS:
            found.append(("access_token_format", f"must be one of {', '.join(FORMATS)}"))
        if self.id_token_alg not in SUPPORTED_ALGORITHMS:
            found.append(("id_token_alg", f"must be one of {', '.join(SUPPORTED_ALGORITHMS)}"))
        return [f"client {self.client_id!r}: {name}: {why}" for name, why in found]

    def validated(self) -> ClientSpec:
        if problems := self.problems():
            raise ClientSpecError(problems)
        return self

    def to_record(self, secret_hash: str | None) -> ClientRecord:
        return ClientRecord(
            client_id=self.client_id,
            name=self.name,
            redirect_uris=self.redirect_uris,
            public=self.public,
            secret_hash=None if self.public else secret_hash,
            post_logout_redirect_uris=self.post_logout_redirect_uris,
            grant_types=tuple(dict.fromkeys(self.grant_types)),
            scopes=tuple(dict.fromkeys(self.scopes)),
            id_token_alg=self.id_token_alg,
            backchannel_logout_uri=self.backchannel_logout_uri,
            require_second_factor=self.require_second_factor,
            refresh_rotation=self.refresh_rotation,
            refresh_grace=self.refresh_grace,
            first_party=self.first_party,
            access_token_format=self.access_token_format,
        )

    def with_secret(self, secret: str) -> ClientSpec:
        return replace(self, secret=secret, secret_hash=None)


def _grant_problems(spec: ClientSpec) -> list[tuple[str, str]]:
    grants = set(spec.grant_types)
    found = [("grant_types", f"unknown grant type {g!r}") for g in spec.grant_types if g not in GRANT_TYPES]
    if not grants:
        found.append(("grant_types", "at least one grant type is required"))
    if "refresh_token" in grants and "authorization_code" not in grants:
        found.append(("grant_types", "refresh_token needs authorization_code"))
    if "authorization_code" in grants and not spec.redirect_uris:
        found.append(("redirect_uris", "authorization_code needs at least one redirect URI"))
    if spec.public and "client_credentials" in grants:
        found.append(("grant_types", "a public client cannot use client_credentials"))
    return found


def _first_party_problems(spec: ClientSpec) -> list[tuple[str, str]]:
    """The account and sensitive sections' scopes belong to first-party, confidential clients only.

    A public client may be marked first-party (the operator vouches for it: no consent page),
    but is never registered for those scopes."""
    reserved = sorted(set(spec.scopes) & FIRST_PARTY_SCOPES)
    if reserved and not spec.first_party:
        return [("scopes", f"{' '.join(reserved)} only for a client with first_party: true")]
    if reserved and spec.public:
        return [("scopes", f"{' '.join(reserved)} only for a confidential first-party client")]
    return []


def _secret_problems(spec: ClientSpec) -> list[tuple[str, str]]:
    if spec.public:
        given = spec.secret is not None or spec.secret_hash is not None
        return [("secret", "a public client has no secret")] if given else []
    if (spec.secret is None) == (spec.secret_hash is None):
        return [("secret", "a confidential client needs exactly one of secret or secret_hash")]
    if spec.secret is not None and len(spec.secret) < MIN_SECRET_LENGTH:
        return [("secret", f"must be at least {MIN_SECRET_LENGTH} characters")]
    if spec.secret_hash is not None:
        try:
            parse_secret_hash(spec.secret_hash)
        except MalformedSecretHash as exc:
            return [("secret_hash", str(exc))]
    return []


def _uri_problem(uri: str, *, web: bool = False) -> str | None:
    try:
        parts = urlsplit(uri)
    except ValueError:
        return f"{uri!r} is not a URI"
    if not parts.scheme or len(uri) > 2048:
        return f"{uri!r} must be an absolute URI"
    if parts.fragment or "#" in uri:
        return f"{uri!r} must not have a fragment"
    is_web = parts.scheme in ("http", "https")
    if (web or is_web) and not (is_web and parts.hostname):
        return f"{uri!r} must be an http(s) URL with a host"
    return None


def _backchannel_problem(uri: str) -> str | None:
    """OIDC Back-Channel Logout §2.2: https; http only to a loopback address (the demo: the broker
    contacts a plain-http one only in demo mode)."""
    if why := _uri_problem(uri, web=True):
        return why
    parts = urlsplit(uri)
    if parts.scheme == "http" and parts.hostname not in LOOPBACK_HOSTS:
        return f"{uri!r} must be https (http only to a loopback address)"
    return None


def production_problems(spec: ClientSpec) -> list[str]:
    """What demo mode tolerates and production refuses: a published demo secret, plain-http redirects."""
    found: list[tuple[str, str]] = []
    if spec.secret is not None and spec.secret in demo_secrets():
        found.append(("secret", "is a published demo secret; generate one (frmr-sso clients add prints one)"))
    for name in ("redirect_uris", "post_logout_redirect_uris"):
        for uri in getattr(spec, name):
            parts = urlsplit(uri)
            if parts.scheme == "http" and parts.hostname not in LOOPBACK_HOSTS:
                found.append((name, f"{uri!r} must be https (plain http only to a loopback address)"))
    return [f"client {spec.client_id!r}: {name}: {why}" for name, why in found]


def demo_secrets() -> frozenset[str]:
    return frozenset({DEMO_CABINET_SECRET, *(spec.secret for spec in DEMO_CLIENTS if spec.secret)})


def read_clients_file(path: Path, *, production: bool = False) -> list[ClientSpec]:
    """The file's clients, or ClientSpecError with every problem; ``production`` adds its own rules."""
    source = f"clients file {path}"
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise ClientSpecError([f"cannot be read ({type(exc).__name__})"], source=source) from None
    entries = data.get("clients") if isinstance(data, dict) else data
    if not isinstance(entries, list):
        expected = "must be a list of clients (or a mapping with a 'clients' list)"
        raise ClientSpecError([expected], source=source)
    specs: list[ClientSpec] = []
    problems: list[str] = []
    for number, entry in enumerate(entries, start=1):
        if not isinstance(entry, dict):
            problems.append(f"client #{number}: must be a mapping of fields")
            continue
        try:
            spec = ClientSpec.from_mapping(entry, label=f"#{number}")
            problems += spec.problems() + (production_problems(spec) if production else [])
            specs.append(spec)
        except ClientSpecError as exc:
            problems += exc.problems
    seen: set[str] = set()
    for spec in specs:
        if spec.client_id in seen:
            problems.append(f"client {spec.client_id!r}: client_id: appears more than once")
        seen.add(spec.client_id)
    if problems:
        raise ClientSpecError(problems, source=source)
    return specs


_DEMO_SCOPES = ("openid", "profile", "snils", "frmr", "offline_access")
DEMO_CLIENTS = (
    ClientSpec(
        client_id="demo-web",
        name="Демо: веб-приложение больницы",
        secret="demo-web-secret",  # noqa: S106 - published demo
        redirect_uris=("http://127.0.0.1:9999/callback",),
        post_logout_redirect_uris=("http://127.0.0.1:9999/",),
        grant_types=("authorization_code", "refresh_token"),
        scopes=_DEMO_SCOPES,
        first_party=True,  # the demo operator's own hospital app
    ),
    ClientSpec(
        client_id="demo-spa",
        name="Демо: одностраничное приложение (PKCE)",
        public=True,
        redirect_uris=("http://127.0.0.1:9998/callback",),
        post_logout_redirect_uris=("http://127.0.0.1:9998/",),
        grant_types=("authorization_code", "refresh_token"),
        scopes=_DEMO_SCOPES,
        first_party=True,
    ),
    ClientSpec(
        client_id="demo-partner",
        name="Демо: стороннее приложение",
        secret="demo-partner-secret",  # noqa: S106 - published demo
        redirect_uris=("http://127.0.0.1:9997/callback",),
        grant_types=("authorization_code", "refresh_token"),
        scopes=_DEMO_SCOPES,
    ),
    ClientSpec(
        client_id="demo-service",
        name="Демо: сервис (client_credentials)",
        secret="demo-service-secret",  # noqa: S106
        grant_types=("client_credentials",),
        scopes=("frmr", "frmr.registry.read"),
    ),
    ClientSpec(
        client_id="demo-service-opaque",
        name="Демо: сервис с непрозрачными токенами доступа",
        secret="demo-service-opaque-secret",  # noqa: S106
        grant_types=("client_credentials",),
        scopes=("frmr", "frmr.registry.read"),
        access_token_format="opaque",  # noqa: S106 - a format name
    ),
    ClientSpec(
        client_id="demo-web-opaque",
        name="Демо: веб-приложение с непрозрачными токенами доступа",
        secret="demo-web-opaque-secret",  # noqa: S106 - published demo
        redirect_uris=("http://127.0.0.1:9999/callback",),
        post_logout_redirect_uris=("http://127.0.0.1:9999/",),
        grant_types=("authorization_code", "refresh_token"),
        scopes=_DEMO_SCOPES,
        access_token_format="opaque",  # noqa: S106 - a format name
    ),
    ClientSpec(
        client_id="demo-web-opaque-es256",
        name="Демо: веб-приложение с непрозрачными токенами доступа и ID Token ES256",
        secret="demo-web-opaque-es256-secret",  # noqa: S106 - published demo
        redirect_uris=("http://127.0.0.1:9999/callback",),
        post_logout_redirect_uris=("http://127.0.0.1:9999/",),
        grant_types=("authorization_code", "refresh_token"),
        scopes=_DEMO_SCOPES,
        id_token_alg="ES256",  # noqa: S106 - an algorithm name
        access_token_format="opaque",  # noqa: S106 - a format name
    ),
)
