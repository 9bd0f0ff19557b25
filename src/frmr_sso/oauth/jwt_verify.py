"""Verification of the provider's own JWTs (introspection, revocation, id_token_hint).

``KeyLookupVerifier`` is the ``JwtVerifier`` of ``oauth.ports`` over any key
lookup by ``kid`` such as ``KeyRing.verification_key``: the header's ``alg``
must be one we sign with and equal to the key's algorithm (no algorithm
confusion), the signature, ``iss``, ``exp`` and ``iat`` must hold, and the
``typ`` must match when asked (RFC 9068 §4: "at+jwt" or "application/at+jwt").
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable
from typing import Any

import jwt

KeyLookup = Callable[[str], Awaitable[jwt.PyJWK | None]]


def _media_type(value: object) -> str:
    text = str(value).lower()
    return text.removeprefix("application/")


class KeyLookupVerifier:
    def __init__(
        self, key_lookup: KeyLookup, *, issuer: str, algorithms: Iterable[str] = ("RS256", "ES256")
    ) -> None:
        self._lookup = key_lookup
        self._issuer = issuer
        self._algorithms = frozenset(algorithms)

    async def verify(self, token: str, *, typ: str | None = None) -> dict[str, Any] | None:
        try:
            header = jwt.get_unverified_header(token)
        except jwt.InvalidTokenError:
            return None
        alg, kid = header.get("alg"), header.get("kid")
        if alg not in self._algorithms or not isinstance(kid, str):
            return None
        if typ is not None and _media_type(header.get("typ", "")) != _media_type(typ):
            return None
        key = await self._lookup(kid)
        if key is None or key.algorithm_name != alg:
            return None
        try:
            claims: dict[str, Any] = jwt.decode(
                token,
                key.key,
                algorithms=[alg],
                issuer=self._issuer,
                options={"verify_aud": False, "require": ["exp", "iat", "iss"]},
            )
        except jwt.InvalidTokenError:
            return None
        return claims
