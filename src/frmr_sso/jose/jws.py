"""Compact JWS (RFC 7515 §7.1): parse, sign and verify, with the algorithms of RFC 7518 and ESIA's GOST.

``parse_compact`` is strict: three segments of unpadded base64url, a header and payload that are
JSON objects (an empty signature parses; no key verifies it); a header with ``crit`` is refused
(RFC 7515 §4.1.11: no extension is understood here, and "b64": false (RFC 7797) only ever comes
with ``crit``).

Keys are ``cryptography`` key objects (RSA, EC on the curve the algorithm names, Ed25519/Ed448) or,
for ``GOST3410_2012_256``, ``GostPublicKey`` / ``GostPrivateKey`` (``jose.gost`` byte order).
``signature_valid`` never raises for a wrong key type or a malformed signature: it answers False.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, ed448, ed25519, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature, encode_dss_signature

from frmr_sso.jose.b64 import b64url_decode, b64url_encode, json_segment
from frmr_sso.jose.gost import GOST_SIZE, gost_sign_digest, gost_verify_digest, streebog256

GOST256 = "GOST3410_2012_256"
_HASH: dict[str, type[hashes.SHA256 | hashes.SHA384 | hashes.SHA512]] = {
    "256": hashes.SHA256,
    "384": hashes.SHA384,
    "512": hashes.SHA512,
}
_EC_CURVES: dict[str, tuple[type[ec.EllipticCurve], int]] = {
    "ES256": (ec.SECP256R1, 32),
    "ES384": (ec.SECP384R1, 48),
    "ES512": (ec.SECP521R1, 66),
}
ALGORITHMS = frozenset(
    {"RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA", GOST256}
)


class JwsError(ValueError):
    """Not a compact JWS this module accepts; the text says why (never quotes the token)."""


@dataclass(frozen=True, slots=True)
class GostPublicKey:
    point: bytes  # X || Y, 32 bytes each, big-endian
    curve: dict[str, int]


@dataclass(frozen=True, slots=True)
class GostPrivateKey:
    scalar: bytes  # 32 bytes, big-endian
    curve: dict[str, int]


@dataclass(frozen=True)
class Jws:
    header: dict[str, Any]
    claims: dict[str, Any]
    signing_input: bytes
    signature: bytes

    @property
    def alg(self) -> str:
        return str(self.header.get("alg"))


def _json_object(segment: str, what: str) -> dict[str, Any]:
    try:
        value = json.loads(b64url_decode(segment))
    except (ValueError, UnicodeDecodeError):
        raise JwsError(f"the {what} is not base64url JSON") from None
    if not isinstance(value, dict):
        raise JwsError(f"the {what} is not a JSON object")
    return value


def parse_compact(token: str) -> Jws:
    """The parts of a compact JWS; ``JwsError`` for anything malformed or with a ``crit`` header."""
    parts = token.split(".") if isinstance(token, str) else []
    if len(parts) != 3 or not parts[0] or not parts[1]:
        raise JwsError("not three segments")
    header, claims = _json_object(parts[0], "header"), _json_object(parts[1], "payload")
    if "crit" in header:
        raise JwsError("a critical header extension is not understood")
    try:
        signature = b64url_decode(parts[2])
    except ValueError:
        raise JwsError("the signature is not base64url") from None
    return Jws(header, claims, f"{parts[0]}.{parts[1]}".encode("ascii"), signature)


def unverified_header(token: str) -> dict[str, Any] | None:
    """The header of a compact JWS, nothing checked but its encoding (to say what a refused token
    claimed); None when the first segment is not a base64url JSON object."""
    try:
        return _json_object(token.split(".", 1)[0], "header")
    except JwsError:
        return None


def signature_of(key: Any, alg: str, signing_input: bytes) -> bytes:
    """The JWS signature of ``signing_input`` (RFC 7518 §3; ES*: the raw ``r || s``, not DER)."""
    if alg[:2] in ("RS", "PS") and isinstance(key, rsa.RSAPrivateKey):
        return key.sign(signing_input, _rsa_padding(alg), _HASH[alg[2:]]())
    if alg in _EC_CURVES and isinstance(key, ec.EllipticCurvePrivateKey):
        size = _EC_CURVES[alg][1]
        r, s = decode_dss_signature(key.sign(signing_input, ec.ECDSA(_HASH[alg[2:]]())))
        return r.to_bytes(size, "big") + s.to_bytes(size, "big")
    if alg == "EdDSA" and isinstance(key, ed25519.Ed25519PrivateKey | ed448.Ed448PrivateKey):
        return key.sign(signing_input)
    if alg == GOST256 and isinstance(key, GostPrivateKey):
        return gost_sign_digest(key.scalar, streebog256(signing_input), key.curve)
    raise ValueError(f"cannot sign {alg} with this key")


def signature_valid(key: Any, alg: str, signing_input: bytes, signature: bytes) -> bool:
    """True when ``signature`` is ``alg``'s signature of ``signing_input`` under the public ``key``."""
    try:
        if alg[:2] in ("RS", "PS") and alg in ALGORITHMS and isinstance(key, rsa.RSAPublicKey):
            key.verify(signature, signing_input, _rsa_padding(alg), _HASH[alg[2:]]())
            return True
        if alg in _EC_CURVES and isinstance(key, ec.EllipticCurvePublicKey):
            curve, size = _EC_CURVES[alg]
            if not isinstance(key.curve, curve) or len(signature) != 2 * size:
                return False
            r, s = int.from_bytes(signature[:size], "big"), int.from_bytes(signature[size:], "big")
            key.verify(encode_dss_signature(r, s), signing_input, ec.ECDSA(_HASH[alg[2:]]()))
            return True
        if alg == "EdDSA" and isinstance(key, ed25519.Ed25519PublicKey | ed448.Ed448PublicKey):
            key.verify(signature, signing_input)
            return True
        if alg == GOST256 and isinstance(key, GostPublicKey) and len(key.point) == 2 * GOST_SIZE:
            return gost_verify_digest(key.point, streebog256(signing_input), signature, key.curve)
    except InvalidSignature:
        return False
    return False


def sign_compact(claims: dict[str, Any], key: Any, *, alg: str, header: dict[str, Any]) -> str:
    """A compact JWS of ``claims``: ``alg`` and ``header`` and the signature by ``key``."""
    signing_input = json_segment({"alg": alg, **header}) + "." + json_segment(claims)
    return signing_input + "." + b64url_encode(signature_of(key, alg, signing_input.encode("ascii")))


def _rsa_padding(alg: str) -> padding.AsymmetricPadding:
    if alg.startswith("PS"):
        digest = _HASH[alg[2:]]()
        return padding.PSS(mgf=padding.MGF1(digest), salt_length=digest.digest_size)
    return padding.PKCS1v15()
