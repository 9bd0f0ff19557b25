"""The two digests OAuth and OpenID Connect put in URLs and tokens: PKCE S256 and ``at_hash``."""

from __future__ import annotations

import hashlib
from collections.abc import Callable

from frmr_sso.jose.b64 import b64url_encode

_HASHES: dict[str, Callable[..., hashlib._Hash]] = {
    "256": hashlib.sha256,
    "384": hashlib.sha384,
    "512": hashlib.sha512,
}


def s256_challenge(code_verifier: str) -> str:
    """RFC 7636 §4.2: ``BASE64URL-ENCODE(SHA256(ASCII(code_verifier)))``."""
    return b64url_encode(hashlib.sha256(code_verifier.encode("ascii")).digest())


def token_hash(value: str, alg: str) -> str:
    """``at_hash`` / ``c_hash`` (OIDC Core §3.1.3.6, §3.3.2.11).

    "Its value is the base64url encoding of the left-most half of the hash of the octets of the ASCII
    representation of the access_token value, where the hash algorithm used is the hash algorithm used
    in the alg Header Parameter of the ID Token's JOSE Header." The hash follows the algorithm's
    suffix (256, 384, 512); EdDSA (Ed25519) uses SHA-512. ValueError for any other algorithm.
    """
    digest_of = hashlib.sha512 if alg == "EdDSA" else _HASHES.get(alg[-3:])
    if digest_of is None:
        raise ValueError(f"no hash defined for the algorithm {alg!r}")
    digest = digest_of(value.encode("ascii")).digest()
    return b64url_encode(digest[: len(digest) // 2])
