"""Compact JWS for the mock's tokens: RS256 through PyJWT, GOST3410_2012_256 by hand.

``GOST3410_2012_256`` (ESIA's production algorithm, not in any JOSE registry):
the signature is GOST R 34.10-2012 (256 bit, curve ``paramSetB``) over the
Streebog-256 digest of the JWS signing input ``b64url(header).b64url(payload)``,
encoded like the client_secret signature (digest read little-endian, ``s || r``
in big-endian halves) and base64url without padding.

Published keys: RSA as a standard JWK; GOST in a documented non-standard form
``{"kty": "GOST3410", "crv": "<gostcrypto curve name>", "x": b64url(X), "y":
b64url(Y), "alg": "GOST3410_2012_256", "use": "sig", "kid": …}`` with X and Y
the 32-byte big-endian coordinates. Libraries that do not know ``GOST3410``
skip the key.
"""

from __future__ import annotations

import json
import secrets
from dataclasses import dataclass
from typing import Any

import gostcrypto
import jwt
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm

from frmr_sso.jose import b64url_decode as jose_b64url_decode
from frmr_sso.jose import b64url_encode

RS256 = "RS256"
GOST256 = "GOST3410_2012_256"
ALGORITHMS = (RS256, GOST256)
GOST_CURVE = "id-tc26-gost-3410-2012-256-paramSetB"
_SIZE = 32
_SIGNATURE_ONLY: Any = {
    "verify_signature": True, "verify_exp": False, "verify_nbf": False, "verify_iat": False,
    "verify_aud": False, "verify_iss": False,
}


b64url = b64url_encode


class InvalidToken(Exception):
    """The token is malformed, unsigned, or its signature does not verify."""


def b64url_decode(text: str) -> bytes:
    try:
        return jose_b64url_decode(text)
    except ValueError as exc:
        raise InvalidToken("bad base64url") from exc


def _gost() -> Any:
    curve = gostcrypto.gostsignature.CURVES_R_1323565_1_024_2019[GOST_CURVE]
    return gostcrypto.gostsignature.new(gostcrypto.gostsignature.MODE_256, curve)


def _streebog_le(data: bytes) -> bytearray:
    return bytearray(bytes(gostcrypto.gosthash.new("streebog256", data=data).digest())[::-1])


@dataclass(frozen=True)
class SigningKey:
    kid: str
    alg: str
    private: Any  # RSAPrivateKey for RS256, the 32-byte scalar for GOST
    public: Any  # RSAPublicKey for RS256, the 64-byte X || Y for GOST

    @classmethod
    def generate(cls, alg: str) -> SigningKey:
        kid = secrets.token_urlsafe(12)
        if alg == RS256:
            private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
            return cls(kid, alg, private, private.public_key())
        if alg == GOST256:
            q = gostcrypto.gostsignature.CURVES_R_1323565_1_024_2019[GOST_CURVE]["q"]
            scalar = (1 + secrets.randbelow(q - 1)).to_bytes(_SIZE, "big")
            return cls(kid, alg, scalar, bytes(_gost().public_key_generate(bytearray(scalar))))
        raise ValueError(f"unsupported token algorithm {alg}")

    def jwk(self) -> dict[str, Any]:
        if self.alg == RS256:
            jwk: dict[str, Any] = RSAAlgorithm.to_jwk(self.public, as_dict=True)
        else:
            jwk = {"kty": "GOST3410", "crv": GOST_CURVE, "x": b64url(self.public[:_SIZE])}
            jwk["y"] = b64url(self.public[_SIZE:])
        return {**jwk, "kid": self.kid, "alg": self.alg, "use": "sig"}

    def encode(self, header: dict[str, Any], payload: dict[str, Any]) -> str:
        header = {**header, "alg": self.alg, "kid": self.kid}
        if self.alg == RS256:
            return jwt.encode(payload, self.private, algorithm=RS256, headers=header, sort_headers=False)
        signing_input = _signing_input(header, payload)
        r_s = bytes(_gost().sign(bytearray(self.private), _streebog_le(signing_input)))
        return f"{signing_input.decode('ascii')}.{b64url(r_s[_SIZE:] + r_s[:_SIZE])}"

    def verify(self, token: str) -> bool:
        signing_input, _, signature = token.rpartition(".")
        if self.alg == RS256:
            try:
                jwt.decode(token, self.public, algorithms=[RS256], options=_SIGNATURE_ONLY)
            except jwt.PyJWTError:
                return False
            return True
        raw = b64url_decode(signature)
        if len(raw) != 2 * _SIZE:
            return False
        digest = _streebog_le(signing_input.encode("ascii"))
        try:
            return bool(_gost().verify(bytearray(self.public), digest, bytearray(raw[_SIZE:] + raw[:_SIZE])))
        except gostcrypto.gostsignature.GOSTSignatureError:
            return False


def _json_b64(obj: dict[str, Any]) -> str:
    return b64url(json.dumps(obj, separators=(",", ":"), ensure_ascii=False).encode("utf-8"))


def _signing_input(header: dict[str, Any], payload: dict[str, Any]) -> bytes:
    return f"{_json_b64(header)}.{_json_b64(payload)}".encode("ascii")


def encode_unsigned(header: dict[str, Any], payload: dict[str, Any]) -> str:
    """An ``alg: none`` token (a fault the mock can inject; never accepted by ``verify``)."""
    header = {k: v for k, v in header.items() if k != "kid"}
    return _signing_input({**header, "alg": "none"}, payload).decode("ascii") + "."


def parse(token: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """Header and payload of a compact JWS, unverified."""
    parts = token.split(".")
    if len(parts) != 3 or not all(parts[:2]):
        raise InvalidToken("not a compact JWS")
    try:
        header = json.loads(b64url_decode(parts[0]))
        payload = json.loads(b64url_decode(parts[1]))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InvalidToken("not JSON") from exc
    if not isinstance(header, dict) or not isinstance(payload, dict):
        raise InvalidToken("not a JSON object")
    return header, payload
