"""Compact JWS from upstream providers: parse, pick the key, verify the signature, check the times.

Standard algorithms (RS/PS/ES 256–512, EdDSA) are verified by PyJWT's
algorithm objects against the JWK; ``GOST3410_2012_256`` (ESIA production, see
``mock_esia/jws.py`` for the wire format) by ``esia_signer.gost_verify_digest``:
Streebog-256 of ``b64url(header).b64url(payload)``, signature ``s || r``,
key ``{"kty": "GOST3410", "crv", "x", "y"}``. The header's ``alg`` must be
one the connector accepts (never ``none``, never HMAC: the key is public), and
the key must declare the same algorithm or none. The token is parsed here, not
by PyJWT, so both families share one strict path.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import json
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from typing import Any

import jwt
from jwt.exceptions import InvalidKeyError, PyJWTError

from frmr_sso.upstream.errors import UpstreamProtocolError
from frmr_sso.upstream.esia_signer import GOST_SIZE, gost_curve, gost_verify_digest, streebog256
from frmr_sso.upstream.jwks import JwksCache

GOST256 = "GOST3410_2012_256"
STANDARD_ALGORITHMS = frozenset(
    {"RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA"}
)


@dataclass(frozen=True)
class Jws:
    header: dict[str, Any]
    claims: dict[str, Any]
    signing_input: bytes
    signature: bytes

    @property
    def alg(self) -> str:
        return str(self.header.get("alg"))


def _reject(message: str, reason: str, connector: str) -> UpstreamProtocolError:
    return UpstreamProtocolError(message, connector=connector, reason=reason)


def _b64decode(text: str) -> bytes:
    if "=" in text:
        raise ValueError("padded base64url")
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def parse_jws(token: str, *, connector: str = "") -> Jws:
    parts = token.split(".") if isinstance(token, str) else []
    try:
        if len(parts) != 3 or not parts[0] or not parts[1]:
            raise ValueError("not three parts")
        header, claims = json.loads(_b64decode(parts[0])), json.loads(_b64decode(parts[1]))
        signature = _b64decode(parts[2])
    except (ValueError, binascii.Error, UnicodeDecodeError):
        raise _reject("a token is not a compact JWS", "malformed_token", connector) from None
    if not isinstance(header, dict) or not isinstance(claims, dict):
        raise _reject("a token is not a JSON object", "malformed_token", connector)
    return Jws(header, claims, f"{parts[0]}.{parts[1]}".encode("ascii"), signature)


def _gost_public_key(jwk: Mapping[str, Any]) -> tuple[bytes, dict[str, int]]:
    curve = gost_curve(str(jwk.get("crv")))
    x, y = _b64decode(str(jwk.get("x", ""))), _b64decode(str(jwk.get("y", "")))
    if len(x) != GOST_SIZE or len(y) != GOST_SIZE:
        raise ValueError("GOST key coordinates are 32 bytes each")
    return x + y, curve


def _verify_gost(jws: Jws, jwk: Mapping[str, Any]) -> bool:
    try:
        public_key, curve = _gost_public_key(jwk)
    except (ValueError, binascii.Error):
        return False
    return gost_verify_digest(public_key, streebog256(jws.signing_input), jws.signature, curve)


def _verify_standard(jws: Jws, jwk: Mapping[str, Any]) -> bool:
    try:
        algorithm = jwt.get_algorithm_by_name(jws.alg)
        key = algorithm.from_jwk(dict(jwk))
        return bool(algorithm.verify(jws.signing_input, key, jws.signature))
    except (PyJWTError, InvalidKeyError, NotImplementedError, ValueError, TypeError):
        return False


async def verify_jws(token: str, keys: JwksCache, *, algorithms: Collection[str], connector: str = "") -> Jws:
    """The parsed token when a published key of an accepted algorithm signed it."""
    jws = parse_jws(token, connector=connector)
    alg, kid = jws.header.get("alg"), jws.header.get("kid")
    if not isinstance(alg, str) or alg.lower() == "none" or not jws.signature:
        raise _reject("an unsigned token", "unsigned_token", connector)
    if alg not in algorithms or (alg != GOST256 and alg not in STANDARD_ALGORITHMS):
        raise _reject(f"token algorithm {alg} not accepted", "bad_algorithm", connector)
    if kid is not None and not isinstance(kid, str):
        raise _reject("a token kid is not a string", "malformed_token", connector)
    candidates = await keys.candidates(kid=kid, alg=alg)
    if not candidates:
        raise _reject("no published key for the token", "unknown_key", connector)
    for jwk in candidates:
        if alg == GOST256:
            valid = await asyncio.to_thread(_verify_gost, jws, jwk)  # pure Python, tens of ms
        else:
            valid = _verify_standard(jws, jwk)
        if valid:
            return jws
    raise _reject("a token signature does not verify", "bad_signature", connector)


def _number(claims: Mapping[str, Any], name: str) -> float | None:
    value = claims.get(name)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError(name)
    return float(value)


def check_times(
    claims: Mapping[str, Any], *, now: float, skew: float, connector: str = "", what: str = "a token"
) -> None:
    """``exp`` (required), ``nbf`` and ``iat`` against ``now`` with ``skew`` seconds either way."""
    try:
        exp, nbf, iat = (_number(claims, name) for name in ("exp", "nbf", "iat"))
    except ValueError as exc:
        raise _reject(f"{what} {exc} is not a number", "malformed_token", connector) from None
    if exp is None:
        raise _reject(f"{what} has no exp", "malformed_token", connector)
    if exp + skew <= now:
        raise _reject(f"{what} has expired", "expired_token", connector)
    if nbf is not None and nbf - skew > now:
        raise _reject(f"{what} is not valid yet", "token_not_yet_valid", connector)
    if iat is not None and iat - skew > now:
        raise _reject(f"{what} is issued in the future", "token_from_future", connector)
