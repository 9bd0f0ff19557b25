"""Compact JWS from upstream providers: pick the published key, verify the signature, check the times.

Parsing and signature checks are the JOSE module's (``frmr_sso.jose``): strict base64url, an
unknown ``crit`` header refused, RS/PS/ES 256–512, EdDSA and ``GOST3410_2012_256`` (ESIA
production, see ``mock_esia/jws.py`` for the wire format: Streebog-256 of the signing input,
signature ``s || r``, key ``{"kty": "GOST3410", "crv", "x", "y"}``). A JWK becomes a key through
PyJWT's JWK reader, a GOST one here. The header's ``alg`` must be one the connector accepts (never
``none``, never HMAC: the key is public), and the key must declare the same algorithm or none.
"""

from __future__ import annotations

import asyncio
from collections.abc import Collection, Mapping
from typing import Any

import jwt
from jwt.exceptions import InvalidKeyError, PyJWTError

from frmr_sso.jose import Jws, JwsError, b64url_decode, parse_compact, signature_valid
from frmr_sso.jose.gost import GOST_SIZE, gost_curve, gost_point_on_curve
from frmr_sso.jose.gost_openssl import OpenSslGost
from frmr_sso.jose.jws import ALGORITHMS, GOST256, GostPublicKey
from frmr_sso.upstream.errors import UpstreamProtocolError
from frmr_sso.upstream.jwks import JwksCache

STANDARD_ALGORITHMS = ALGORITHMS - {GOST256}
__all__ = ["GOST256", "STANDARD_ALGORITHMS", "Jws", "check_times", "parse_jws", "public_key", "verify_jws"]


def _reject(message: str, reason: str, connector: str) -> UpstreamProtocolError:
    return UpstreamProtocolError(message, connector=connector, reason=reason)


def parse_jws(token: str, *, connector: str = "") -> Jws:
    try:
        return parse_compact(token)
    except JwsError as exc:
        reason = "critical_header" if "critical" in str(exc) else "malformed_token"
        raise _reject(f"a token is not a compact JWS we accept: {exc}", reason, connector) from None


def public_key(jwk: Mapping[str, Any], alg: str) -> Any:
    """The key of a published JWK for ``verify``; ValueError when it is not one."""
    if alg == GOST256:
        x, y = b64url_decode(str(jwk.get("x", ""))), b64url_decode(str(jwk.get("y", "")))
        if len(x) != GOST_SIZE or len(y) != GOST_SIZE:
            raise ValueError("GOST key coordinates are 32 bytes each")
        return GostPublicKey(x + y, gost_curve(str(jwk.get("crv"))))
    try:
        return jwt.PyJWK(dict(jwk), alg).key
    except (PyJWTError, InvalidKeyError, NotImplementedError, TypeError, KeyError) as exc:
        raise ValueError("not a usable JWK") from exc


def _verify(jws: Jws, jwk: Mapping[str, Any]) -> bool:
    try:
        key = public_key(jwk, jws.alg)
    except ValueError:
        return False
    return signature_valid(key, jws.alg, jws.signing_input, jws.signature)


async def _verify_gost(jws: Jws, jwk: Mapping[str, Any], engine: OpenSslGost | None) -> bool:
    """Through OpenSSL's GOST engine when there is one and it answers; else pure Python in a thread."""
    try:
        key = public_key(jwk, GOST256)
    except ValueError:
        return False
    if engine is not None:
        if not gost_point_on_curve(key.point, key.curve):
            return False
        answer = await engine.verify(key.point, str(jwk.get("crv")), jws.signing_input, jws.signature)
        if answer is not None:
            return answer
    return await asyncio.to_thread(signature_valid, key, GOST256, jws.signing_input, jws.signature)


async def verify_jws(
    token: str,
    keys: JwksCache,
    *,
    algorithms: Collection[str],
    connector: str = "",
    gost_engine: OpenSslGost | None = None,
) -> Jws:
    """The parsed token when a published key of an accepted algorithm signed it (GOST: through
    ``gost_engine`` when given, see ``jose.gost_openssl``)."""
    jws = parse_jws(token, connector=connector)
    alg, kid = jws.header.get("alg"), jws.header.get("kid")
    if not isinstance(alg, str) or alg.lower() == "none" or not jws.signature:
        raise _reject("an unsigned token", "unsigned_token", connector)
    if alg not in algorithms or alg not in ALGORITHMS:
        raise _reject(f"token algorithm {alg} not accepted", "bad_algorithm", connector)
    if kid is not None and not isinstance(kid, str):
        raise _reject("a token kid is not a string", "malformed_token", connector)
    candidates = await keys.candidates(kid=kid, alg=alg)
    if not candidates:
        raise _reject("no published key for the token", "unknown_key", connector)
    for jwk in candidates:
        valid = await _verify_gost(jws, jwk, gost_engine) if alg == GOST256 else _verify(jws, jwk)
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
