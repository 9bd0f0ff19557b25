"""Verification of ``client_secret``: the client's signature over the request string.

``client_secret`` is base64url (with or without ``=`` padding) of a raw
signature over ``client_id + scope + scope_org + timestamp + state +
redirect_uri`` (``+ code`` for the authorization-code token request):

* ``rsa``: RSASSA-PKCS1-v1_5 with SHA-256 against the registered PEM key;
* ``gost``: GOST R 34.10-2012 (256 bit) over Streebog-256. The digest is read
  as a little-endian number (GOST R 34.10-2012 §6.1 as byte-oriented
  implementations apply it) and the signature is ``s || r`` in big-endian
  halves (RFC 4491 §2.2.2). The whole-signature byte reversal that CryptoPro
  CSP produces is accepted too (the sources disagree; ESIA's exact expectation
  is unverified).

This module is written independently of ``frmr_sso.upstream.esia_signer`` so
the mock checks the broker instead of agreeing with it by construction.
"""

from __future__ import annotations

import re
from functools import lru_cache

import gostcrypto
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from frmr_sso.jose import b64url_decode
from mock_esia.clients import RegisteredClient

_BASE64URL = re.compile(r"^[A-Za-z0-9_-]+={0,2}$")
MAX_SECRET_BYTES = 1024
GOST_SIZE = 32


def request_string(*parts: str) -> bytes:
    """The signed text: the parameters concatenated with no separators."""
    return "".join(parts).encode("utf-8")


def decode_client_secret(secret: str) -> bytes | None:
    """The raw signature, or None when ``secret`` is not base64url (padded or not)."""
    if not _BASE64URL.match(secret) or len(secret) > MAX_SECRET_BYTES * 2:
        return None
    unpadded = secret.rstrip("=")
    padding_needed = -len(unpadded) % 4
    if padding_needed == 3 or (secret != unpadded and len(secret) % 4):
        return None
    try:
        return b64url_decode(unpadded)  # ESIA takes the value with or without its "=" padding
    except ValueError:
        return None


@lru_cache(maxsize=256)
def _rsa_key(pem: str) -> rsa.RSAPublicKey | None:
    try:
        key = serialization.load_pem_public_key(pem.encode("ascii"))
    except (ValueError, TypeError):
        return None
    return key if isinstance(key, rsa.RSAPublicKey) else None


def verify_rsa(pem: str, message: bytes, signature: bytes) -> bool:
    key = _rsa_key(pem)
    if key is None:
        return False
    try:
        key.verify(signature, message, padding.PKCS1v15(), hashes.SHA256())
    except InvalidSignature:
        return False
    return True


def verify_gost_digest(public_key: bytes, digest: bytes, signature: bytes, curve: dict[str, int]) -> bool:
    """Check ``s || r`` over a Streebog-256 digest (as gostcrypto outputs it) with key ``X || Y``."""
    if len(public_key) != 2 * GOST_SIZE or len(signature) != 2 * GOST_SIZE:
        return False
    verifier = gostcrypto.gostsignature.new(gostcrypto.gostsignature.MODE_256, curve)
    r_s = signature[GOST_SIZE:] + signature[:GOST_SIZE]
    try:
        return bool(verifier.verify(bytearray(public_key), bytearray(digest[::-1]), bytearray(r_s)))
    except gostcrypto.gostsignature.GOSTSignatureError:
        return False


def verify_gost(public_key_hex: str, message: bytes, signature: bytes, curve_name: str) -> bool:
    curve = gostcrypto.gostsignature.CURVES_R_1323565_1_024_2019.get(curve_name)
    try:
        public_key = bytes.fromhex(public_key_hex)
    except ValueError:
        return False
    if curve is None:
        return False
    digest = bytes(gostcrypto.gosthash.new("streebog256", data=message).digest())
    return verify_gost_digest(public_key, digest, signature, curve) or verify_gost_digest(
        public_key, digest, signature[::-1], curve
    )


def signature_kind_is_slow(client: RegisteredClient) -> bool:
    """GOST verification is pure Python (tens of ms): callers run it off the event loop."""
    return client.signature == "gost"


def verify_client_secret(client: RegisteredClient, message: bytes, signature: bytes) -> bool:
    """True when ``signature`` (decoded ``client_secret``) is the client's over ``message``."""
    if client.public_key is None:
        return False
    if client.signature == "rsa":
        return verify_rsa(client.public_key, message, signature)
    return verify_gost(client.public_key, message, signature, client.gost_curve)
