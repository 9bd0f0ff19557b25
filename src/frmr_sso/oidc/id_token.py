"""The ID Token (OIDC Core §2, §3.1.3.6, §12.2).

``id_token_claims`` builds the claim set; the caller signs it with the
client's ``id_token_alg`` (RS256 by default, ES256 per client). Identity claims
of the granted scopes (``oidc.claims``) come first and can never override a
protocol claim.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from frmr_sso.jose.digests import token_hash


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
