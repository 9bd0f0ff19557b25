"""The one Protocol every upstream identity provider is reached through, and what it returns.

A login through any connector is two calls, with the login layer keeping the
transaction (state, nonce, PKCE verifier) one-time and bound to the browser:

    url = await connector.authorization_url(state=s, nonce=n, code_verifier=v, redirect_uri=r)
    ... the browser goes there and comes back to /callback/{connector.name} ...
    identity = await connector.complete(params=query, expected_state=s, nonce=n, code_verifier=v,
                                        redirect_uri=r)

``state`` must be ``new_state()`` (a UUID v4): ESIA refuses any other shape, and
one rule for every connector keeps the login layer simple. Connectors that keep
an upstream refresh token (ESIA with ``access_type: offline``) also implement
``RefreshingConnector.refresh``; those whose session can be ended by a
front-channel redirect implement ``LoggingOutConnector.logout_url``.
"""

from __future__ import annotations

import hmac
import secrets
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal, Protocol, runtime_checkable

from frmr_sso.identity.snils import InvalidSnils, Snils
from frmr_sso.upstream.errors import UpstreamSnilsInvalid, UpstreamSnilsMissing

ConnectorKind = Literal["esia", "oidc"]


@dataclass(frozen=True, slots=True)
class UpstreamIdentity:
    """A person as an upstream provider vouched for them, after every check passed."""

    connector: str
    subject: str  # ESIA oid as a string, or the OIDC ``sub``
    snils: Snils
    trusted: bool
    trust_level: str  # ESIA ``urn:esia:sbj:lvl`` (PR, P …) or the mapped claim's value
    family_name: str | None = None
    given_name: str | None = None
    middle_name: str | None = None
    birthdate: str | None = None  # ISO 8601 date
    gender: Literal["male", "female"] | None = None
    auth_time: int | None = None
    amr: tuple[str, ...] = ()  # RFC 8176 values only
    acr: str | None = None
    session_id: str | None = None  # ESIA ``urn:esia:sid`` / OIDC ``sid``
    sealed_refresh_token: str | None = field(default=None, repr=False)
    upstream_amr: tuple[str, ...] = ()  # ESIA's own method names ("PWD", "SMS" …), as it sent them
    id_token: str | None = field(default=None, repr=False)  # the provider's ID token: id_token_hint at logout


class TokenSealer(Protocol):
    """Encrypts upstream refresh tokens at rest; ``security.crypto.FieldCipher`` is one.

    ``decrypt_text`` raises ``security.crypto.DecryptionError`` for anything it cannot open.
    """

    def encrypt(self, plaintext: bytes | str, *, associated_data: bytes | str = b"") -> str: ...

    def decrypt_text(self, token: str, *, associated_data: bytes | str = b"") -> str: ...


@runtime_checkable
class Connector(Protocol):
    name: str
    kind: ConnectorKind
    display_name: str

    async def authorization_url(
        self, *, state: str, nonce: str, code_verifier: str | None, redirect_uri: str
    ) -> str: ...

    async def complete(
        self,
        *,
        params: Mapping[str, str],
        expected_state: str,
        nonce: str,
        code_verifier: str | None,
        redirect_uri: str,
    ) -> UpstreamIdentity: ...


@runtime_checkable
class RefreshingConnector(Connector, Protocol):
    async def refresh(self, identity: UpstreamIdentity, *, redirect_uri: str) -> UpstreamIdentity:
        """Fresh tokens and person data from the sealed refresh token of ``identity``."""
        ...


@runtime_checkable
class LoggingOutConnector(Connector, Protocol):
    async def logout_url(self, *, id_token: str | None, return_to: str) -> str | None:
        """Where the browser ends its session at the provider and then comes back to ``return_to``;
        None when the provider offers no such endpoint (or cannot be asked now)."""
        ...


def new_state() -> str:
    return str(uuid.uuid4())


def new_nonce() -> str:
    return secrets.token_urlsafe(32)


def new_code_verifier() -> str:
    return secrets.token_urlsafe(48)  # 64 characters of the RFC 7636 alphabet


def is_uuid(value: str) -> bool:
    try:
        return str(uuid.UUID(value)) == value.lower() and len(value) == 36
    except (ValueError, AttributeError, TypeError):
        return False


def same(a: str | None, b: str | None) -> bool:
    """Constant-time equality for values an attacker may probe (state, nonce)."""
    if a is None or b is None:
        return False
    return hmac.compare_digest(a.encode(), b.encode())


def refresh_binding(connector: str, subject: str) -> str:
    """Associated data that ties a sealed refresh token to its connector and person."""
    return f"upstream-refresh:{connector}:{subject}"


def snils_of(value: object, *, connector: str) -> Snils:
    """The validated SNILS a provider gave, or the error that says why there is none."""
    if value is None or (isinstance(value, str) and not value.strip()):
        raise UpstreamSnilsMissing("the provider gave no SNILS", connector=connector)
    if not isinstance(value, str):
        raise UpstreamSnilsInvalid("the provider's SNILS is not a string", connector=connector)
    try:
        return Snils.parse(value)
    except InvalidSnils as exc:
        raise UpstreamSnilsInvalid(f"the provider's SNILS is invalid: {exc}", connector=connector) from None
