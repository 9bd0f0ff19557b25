"""What the protocol core needs from the rest of the broker, as small Protocols.

``bootstrap`` passes the real implementations: ``oidc.keys.KeyRing`` is a
``JwtSigner``; ``oauth.jwt_verify.KeyLookupVerifier`` over
``KeyRing.verification_key`` is a ``JwtVerifier``; the client registry's lookup
is a ``ClientLookup``.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, Protocol

from frmr_sso.oauth.clients import Client

ClientLookup = Callable[[str], Awaitable[Client | None]]
"""Find a registered client by ``client_id`` (no authentication); None when unknown."""


class JwtSigner(Protocol):
    def sign(self, claims: dict[str, Any], *, alg: str = "RS256", typ: str = "JWT") -> str:
        """A compact JWS over ``claims`` with the active key for ``alg`` and header ``typ``."""
        ...


class JwtVerifier(Protocol):
    async def verify(self, token: str, *, typ: str | None = None) -> dict[str, Any] | None:
        """The claims of ``token`` when its signature verifies under one of our published keys,
        its ``iss`` is this provider, it has not expired and (when given) its header ``typ``
        matches; None otherwise.
        """
        ...
