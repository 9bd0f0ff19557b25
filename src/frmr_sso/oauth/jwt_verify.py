"""Verification of the provider's own JWTs (introspection, revocation, userinfo).

``KeyLookupVerifier`` is the ``JwtVerifier`` of ``oauth.ports`` over any key
lookup by ``kid`` such as ``KeyRing.verification_key``: the header's ``alg``
must be one we sign with and equal to the key's algorithm (no algorithm
confusion), the signature, ``iss``, ``exp`` and ``iat`` (and ``nbf`` when
present) must hold, and the ``typ`` must match when asked (RFC 9068 §4:
"at+jwt" or "application/at+jwt").

It reads only the tokens this provider signs, so it is strict where a general
JOSE library must be lenient: parsing and the signature are the JOSE module's
(``jose.parse_compact``, ``jose.signature_valid``), and the header may hold only
``alg``, ``kid`` and ``typ`` (so no ``crit``, ``jku``, ``b64`` …). It is on the
hot path of every API, introspection and UserInfo; ``bench/jose_hot_path.py``
measures it against pyjwt (the RSA operation is most of the time). A token
whose signature verified is remembered (``memo`` tokens, the oldest forgotten
first), so the same token checked again (a resource server introspecting it
per request) skips the parse and the signature; its key must still be
published and its times must still hold, as on the first check.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable, Iterable
from typing import Any

import jwt

from frmr_sso.jose import JwsError, parse_compact, signature_valid

KeyLookup = Callable[[str], Awaitable[jwt.PyJWK | None]]

_HEADER_MEMBERS = frozenset({"alg", "kid", "typ"})
_MAX_TOKEN = 16 * 1024


def _media_type(value: object) -> str:
    text = str(value).lower()
    return text.removeprefix("application/")


def _ours(header: dict[str, Any]) -> tuple[str, str, str] | None:
    """(alg, kid, typ) of a header, or None when it is not one of ours."""
    if not header.keys() <= _HEADER_MEMBERS:
        return None
    alg, kid, typ = header.get("alg"), header.get("kid"), header.get("typ", "")
    if not isinstance(alg, str) or not isinstance(kid, str) or not isinstance(typ, str):
        return None
    return alg, kid, typ


def _time(value: object) -> float | None:
    """A NumericDate; None when absent, a string, or a JSON true/false."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value)


class KeyLookupVerifier:
    def __init__(
        self,
        key_lookup: KeyLookup,
        *,
        issuer: str,
        algorithms: Iterable[str] = ("RS256", "ES256"),
        clock: Callable[[], float] = time.time,
        memo: int = 4096,
    ) -> None:
        self._lookup = key_lookup
        self._issuer = issuer
        self._algorithms = frozenset(algorithms)
        self._clock = clock
        self._memo_size = memo
        self._verified: dict[tuple[str, str | None], tuple[str, str, dict[str, Any]]] = {}

    async def verify(self, token: str, *, typ: str | None = None) -> dict[str, Any] | None:
        known = self._verified.get((token, typ))
        if known is not None:
            alg, kid, claims = known
            key = await self._lookup(kid)
            if key is None or key.algorithm_name != alg or not self._claims_hold(claims):
                self._verified.pop((token, typ), None)
                return None
            return claims
        if len(token) > _MAX_TOKEN:
            return None
        try:
            jws = parse_compact(token)
        except JwsError:
            return None
        header = _ours(jws.header)
        if header is None:
            return None
        alg, kid, token_typ = header
        if alg not in self._algorithms:
            return None
        if typ is not None and _media_type(token_typ) != _media_type(typ):
            return None
        key = await self._lookup(kid)
        if key is None or key.algorithm_name != alg:
            return None
        if not signature_valid(key.key, alg, jws.signing_input, jws.signature):
            return None
        if not self._claims_hold(jws.claims):
            return None
        if self._memo_size > 0:
            if len(self._verified) >= self._memo_size:
                self._verified.pop(next(iter(self._verified)))
            self._verified[(token, typ)] = (alg, kid, jws.claims)
        return jws.claims

    def _claims_hold(self, claims: dict[str, Any]) -> bool:
        """``iss`` ours; ``exp`` in the future; ``iat`` (and ``nbf``) not in it. No leeway: our own clock."""
        exp, iat, nbf = _time(claims.get("exp")), _time(claims.get("iat")), _time(claims.get("nbf", 0))
        if claims.get("iss") != self._issuer or exp is None or iat is None or nbf is None:
            return False
        now = self._clock()
        return exp > now and iat <= now and nbf <= now
