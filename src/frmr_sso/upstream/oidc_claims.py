"""ID token validation (OpenID Connect Core §3.1.3.7) and the mapping of provider claims to ours.

Checked here, after the signature: ``iss`` exactly the provider's issuer,
``aud`` containing our client_id (and ``azp`` = client_id when there are other
audiences, or whenever ``azp`` is present), ``exp``/``iat`` (both required),
``nbf`` when present, all with bounded skew, ``nonce`` equal to this login's,
and ``at_hash`` against the access token when the provider sent one (§3.1.3.8).

The SNILS comes from the claim ``ClaimsMapping.snils`` names (a dotted path
reaches into nested objects); ``trusted`` likewise names the per-person claim
that says the SNILS is verified. Without such a claim the SNILS counts as
verified only when the operator vouches for the whole provider
(``provider_trusted``, the upstream's ``trusted: true``); otherwise it is not.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from frmr_sso.jose.digests import token_hash
from frmr_sso.oidc.amr import registered
from frmr_sso.upstream.base import same
from frmr_sso.upstream.errors import UpstreamProtocolError
from frmr_sso.upstream.jose import Jws, check_times

PROTOCOL_CLAIMS = frozenset(
    {
        "iss",
        "sub",
        "aud",
        "azp",
        "exp",
        "iat",
        "nbf",
        "nonce",
        "auth_time",
        "acr",
        "amr",
        "sid",
        "at_hash",
        "c_hash",
        "jti",
    }
)
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


@dataclass(frozen=True)
class ClaimsMapping:
    snils: str = "snils"
    trusted: str | None = None
    trusted_values: tuple[str, ...] = ("true",)
    provider_trusted: bool = False


def _reject(connector: str, message: str, reason: str) -> UpstreamProtocolError:
    return UpstreamProtocolError(message, connector=connector, reason=reason)


def check_id_token(
    jws: Jws,
    *,
    issuer: str,
    client_id: str,
    nonce: str,
    access_token: str,
    now: float,
    skew: float,
    connector: str,
) -> dict[str, Any]:
    claims = jws.claims
    if claims.get("iss") != issuer:
        raise _reject(connector, "id token issuer is not the provider's", "wrong_issuer")
    aud = claims.get("aud")
    audiences = [aud] if isinstance(aud, str) else aud if isinstance(aud, list) else []
    if client_id not in audiences:
        raise _reject(connector, "id token audience is not our client_id", "wrong_audience")
    azp = claims.get("azp")
    if (len(audiences) > 1 or azp is not None) and azp != client_id:
        raise _reject(connector, "id token authorized party is not our client_id", "wrong_audience")
    if "iat" not in claims:
        raise _reject(connector, "id token has no iat", "malformed_token")
    check_times(claims, now=now, skew=skew, connector=connector, what="id token")
    if not isinstance(claims.get("nonce"), str) or not same(claims["nonce"], nonce):
        raise _reject(connector, "id token nonce is not this login's", "nonce_mismatch")
    at_hash = claims.get("at_hash")
    if at_hash is not None and not same(str(at_hash), token_hash(access_token, jws.alg)):
        raise _reject(connector, "id token at_hash does not match the access token", "at_hash_mismatch")
    sub = claims.get("sub")
    if not isinstance(sub, str) or not sub or len(sub) > 255:
        raise _reject(connector, "id token has no usable sub", "malformed_token")
    return dict(claims)


def merge_userinfo(
    id_claims: Mapping[str, Any], userinfo: Mapping[str, Any], *, connector: str
) -> dict[str, Any]:
    """Profile claims from userinfo over the ID token's; protocol claims stay the ID token's."""
    if userinfo.get("sub") != id_claims.get("sub"):
        raise _reject(connector, "userinfo sub is not the id token's", "subject_mismatch")
    merged = {**id_claims, **{k: v for k, v in userinfo.items() if k not in PROTOCOL_CLAIMS}}
    return merged


def claim(claims: Mapping[str, Any], path: str) -> Any:
    value: Any = claims
    for part in path.split("."):
        if not isinstance(value, Mapping) or part not in value:
            return None
        value = value[part]
    return value


def trust(claims: Mapping[str, Any], mapping: ClaimsMapping) -> tuple[bool, str]:
    """``(trusted, level)``: the mapped claim's verdict, or the operator's word for the provider."""
    if mapping.trusted is None:
        return (True, "provider") if mapping.provider_trusted else (False, "unverified")
    value = claim(claims, mapping.trusted)
    if value is None:
        return False, "absent"
    text = str(value).lower() if isinstance(value, bool) else str(value)
    return text in mapping.trusted_values, text[:32]


def profile(claims: Mapping[str, Any]) -> dict[str, Any]:
    def text(name: str) -> str | None:
        value = claims.get(name)
        return value.strip() or None if isinstance(value, str) else None

    birthdate, gender = text("birthdate"), text("gender")
    amr, acr, auth_time = claims.get("amr"), claims.get("acr"), claims.get("auth_time")
    sid = claims.get("sid")
    return {
        "family_name": text("family_name"),
        "given_name": text("given_name"),
        "middle_name": text("middle_name"),
        "birthdate": birthdate if birthdate and _ISO_DATE.match(birthdate) else None,
        "gender": gender if gender in ("male", "female") else None,
        "auth_time": auth_time if isinstance(auth_time, int) and not isinstance(auth_time, bool) else None,
        "amr": registered(a for a in amr if isinstance(a, str)) if isinstance(amr, list) else (),
        "acr": acr if isinstance(acr, str) else None,
        "session_id": sid if isinstance(sid, str) else None,
    }
