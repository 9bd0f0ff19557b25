"""Verification of the provider's own JWTs (introspection, revocation, userinfo).

``KeyLookupVerifier`` is the ``JwtVerifier`` of ``oauth.ports`` over any key
lookup by ``kid`` such as ``KeyRing.verification_key``: the header's ``alg``
must be one we sign with and equal to the key's algorithm (no algorithm
confusion), the signature, ``iss``, ``exp`` and ``iat`` (and ``nbf`` when
present) must hold, and the ``typ`` must match when asked (RFC 9068 §4:
"at+jwt" or "application/at+jwt").

It reads only the tokens this provider signs, so it is strict where a general
JOSE library must be lenient. Base64url and the signature check are the JOSE
module's (``frmr_sso.jose``); the parsing stays here, written for speed, as it
is on the hot path of every API, introspection and UserInfo
(``bench/jose_hot_path.py`` compares it with ``jose.parse_compact``): the
compact form must be three unpadded base64url segments (one C regex), the
header may hold only ``alg``, ``kid`` and ``typ`` (so no ``crit``, ``jku``,
``b64`` …), the signature is checked before the payload is decoded, and
headers that verified are remembered (a handful: one per key and ``typ``).
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Awaitable, Callable, Iterable
from typing import Any

import jwt

from frmr_sso.jose import b64url_decode, signature_valid

KeyLookup = Callable[[str], Awaitable[jwt.PyJWK | None]]

_SEGMENT = re.compile(r"[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+")
_HEADER_MEMBERS = frozenset({"alg", "kid", "typ"})
_MAX_TOKEN = 16 * 1024
_MAX_HEADERS = 64


def _media_type(value: object) -> str:
    text = str(value).lower()
    return text.removeprefix("application/")


def _header(segment: str) -> tuple[str, str, str] | None:
    """(alg, kid, typ) of a header segment, or None when it is not one of ours."""
    try:
        header = json.loads(b64url_decode(segment))
    except (ValueError, UnicodeDecodeError):
        return None
    if not isinstance(header, dict) or not header.keys() <= _HEADER_MEMBERS:
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
    ) -> None:
        self._lookup = key_lookup
        self._issuer = issuer
        self._algorithms = frozenset(algorithms)
        self._clock = clock
        self._headers: dict[str, tuple[str, str, str]] = {}

    async def verify(self, token: str, *, typ: str | None = None) -> dict[str, Any] | None:
        if len(token) > _MAX_TOKEN or not _SEGMENT.fullmatch(token):
            return None
        header_segment, payload_segment, signature_segment = token.split(".")
        header = self._headers.get(header_segment) or _header(header_segment)
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
        try:
            signature = b64url_decode(signature_segment)
        except ValueError:
            return None
        signing_input = token[: len(header_segment) + 1 + len(payload_segment)].encode("ascii")
        if not signature_valid(key.key, alg, signing_input, signature):
            return None
        if header_segment not in self._headers and len(self._headers) < _MAX_HEADERS:
            self._headers[header_segment] = header
        try:
            claims = json.loads(b64url_decode(payload_segment))
        except (ValueError, UnicodeDecodeError):
            return None
        if not isinstance(claims, dict) or not self._claims_hold(claims):
            return None
        return claims

    def _claims_hold(self, claims: dict[str, Any]) -> bool:
        """``iss`` ours; ``exp`` in the future; ``iat`` (and ``nbf``) not in it. No leeway: our own clock."""
        exp, iat, nbf = _time(claims.get("exp")), _time(claims.get("iat")), _time(claims.get("nbf", 0))
        if claims.get("iss") != self._issuer or exp is None or iat is None or nbf is None:
            return False
        now = self._clock()
        return exp > now and iat <= now and nbf <= now
