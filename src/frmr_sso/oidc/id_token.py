"""The ID Token (OIDC Core §2, §3.1.3.6, §12.2).

``id_token_claims`` builds the claim set; the caller signs it with the
client's ``id_token_alg`` (RS256 by default, ES256 per client). Identity claims
of the granted scopes (``oidc.claims``) come first and can never override a
protocol claim.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Callable, Mapping, Sequence
from typing import Any

_HASHES: dict[str, Callable[[bytes], Any]] = {
    "256": hashlib.sha256,
    "384": hashlib.sha384,
    "512": hashlib.sha512,
}


def token_hash(value: str, alg: str) -> str:
    """``at_hash`` / ``c_hash`` (OIDC Core §3.1.3.6, §3.3.2.11).

    "Its value is the base64url encoding of the left-most half of the hash of the
    octets of the ASCII representation of the access_token value, where the hash
    algorithm used is the hash algorithm used in the alg Header Parameter of the
    ID Token's JOSE Header." EdDSA (Ed25519) uses SHA-512.
    """
    digest_of = hashlib.sha512 if alg == "EdDSA" else _HASHES.get(alg[-3:])
    if digest_of is None:
        raise ValueError(f"no hash defined for the algorithm {alg!r}")
    digest: bytes = digest_of(value.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest[: len(digest) // 2]).rstrip(b"=").decode("ascii")


def id_token_claims(
    *,
    issuer: str,
    client_id: str,
    subject: str,
    now: int,
    ttl: int,
    auth_time: int,
    alg: str = "RS256",
    nonce: str | None = None,
    acr: str | None = None,
    amr: Sequence[str] = (),
    sid: str | None = None,
    access_token: str | None = None,
    identity: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """OIDC Core §2 claims for ``client_id``; ``identity`` are the scope claims of ``oidc.claims``.

    On refresh pass no ``nonce`` and the original ``auth_time`` (OIDC Core §12.2).
    """
    claims: dict[str, Any] = dict(identity) if identity else {}
    claims.update(
        iss=issuer,
        sub=subject,
        aud=client_id,
        azp=client_id,
        iat=now,
        exp=now + ttl,
        auth_time=auth_time,
    )
    if nonce is not None:
        claims["nonce"] = nonce
    if acr is not None:
        claims["acr"] = acr
    if amr:
        claims["amr"] = list(amr)
    if sid is not None:
        claims["sid"] = sid
    if access_token is not None:
        claims["at_hash"] = token_hash(access_token, alg)
    return claims
