"""What ESIA's tokens and person record must say before we believe them.

ID token: ``iss`` exactly the configured issuer, ``aud`` our mnemonic, the
times within the skew, ``sub`` the oid and the same oid in ``urn:esia:sbj``;
a ``nonce``, should ESIA ever echo one, must be ours. Access token: the same
issuer and times, our ``client_id``, the same person (``urn:esia:sbj_id``)
and session (``urn:esia:sid``). A header ``sbt`` (ESIA's token kind) must fit
where the token was used, so an ID token is never taken as an access token.

Trust: confirmed only when the ID token says ``urn:esia:sbj:lvl`` = ``PR`` and
``urn:esia:sbj:is_tru`` = true (the key is absent otherwise) AND the person
record says ``trusted: true``; any disagreement counts as not confirmed.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from frmr_sso.oidc.amr import from_esia
from frmr_sso.upstream.base import same
from frmr_sso.upstream.errors import UpstreamProtocolError
from frmr_sso.upstream.jose import Jws, check_times

CONFIRMED_LEVEL = "PR"
SBJ = "urn:esia:sbj"
GENDERS: dict[str, Literal["male", "female"]] = {"M": "male", "F": "female"}


@dataclass(frozen=True)
class TokenRules:
    connector: str
    issuer: str
    client_id: str
    skew: float


@dataclass(frozen=True)
class IdTokenFacts:
    subject: str
    trusted: bool
    trust_level: str
    auth_time: int | None
    amr: tuple[str, ...]  # RFC 8176 values (``oidc.amr.ESIA_AMR``)
    session_id: str | None
    esia_amr: tuple[str, ...] = ()  # ESIA's own method names, as it sent them


def _reject(rules: TokenRules, message: str, reason: str) -> UpstreamProtocolError:
    return UpstreamProtocolError(message, connector=rules.connector, reason=reason)


def _oid(value: Any) -> str | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int) and value > 0:
        return str(value)
    if isinstance(value, str) and value.isdigit() and not value.startswith("0"):
        return value
    return None


def _common(jws: Jws, rules: TokenRules, *, now: float, kind: str) -> None:
    sbt = jws.header.get("sbt")
    if sbt is not None and sbt != kind:
        raise _reject(rules, f"a {sbt!r} token where an {kind} token belongs", "wrong_token_kind")
    if jws.claims.get("iss") != rules.issuer:
        raise _reject(rules, f"{kind} token issuer is not {rules.issuer}", "wrong_issuer")
    check_times(jws.claims, now=now, skew=rules.skew, connector=rules.connector, what=f"{kind} token")


def _amr(value: Any) -> tuple[str, ...]:
    if isinstance(value, str):
        return tuple(part[:32] for part in value.replace(",", " ").split()[:16] if part)
    if isinstance(value, list):
        return tuple(part[:32] for part in value[:16] if isinstance(part, str) and part)
    return ()


def check_id_token(jws: Jws, rules: TokenRules, *, now: float, nonce: str | None) -> IdTokenFacts:
    claims = jws.claims
    _common(jws, rules, now=now, kind="id")
    aud = claims.get("aud")
    if aud != rules.client_id and aud != [rules.client_id]:
        raise _reject(rules, "id token audience is not our client_id", "wrong_audience")
    if nonce is not None and "nonce" in claims and not same(str(claims["nonce"]), nonce):
        raise _reject(rules, "id token nonce is not ours", "nonce_mismatch")
    subject = _oid(claims.get("sub"))
    sbj = claims.get(SBJ)
    if subject is None or not isinstance(sbj, dict):
        raise _reject(rules, "id token has no ESIA subject", "malformed_token")
    if "urn:esia:sbj:oid" in sbj and _oid(sbj["urn:esia:sbj:oid"]) != subject:
        raise _reject(rules, "id token subject and urn:esia:sbj disagree", "subject_mismatch")
    level = str(sbj.get("urn:esia:sbj:lvl", ""))
    auth_time = claims.get("auth_time")
    sid = claims.get("urn:esia:sid")
    methods = _amr(claims.get("amr", claims.get("urn:esia:amd")))
    return IdTokenFacts(
        subject=subject,
        trusted=level == CONFIRMED_LEVEL and sbj.get("urn:esia:sbj:is_tru") is True,
        trust_level=level,
        auth_time=auth_time if isinstance(auth_time, int) and not isinstance(auth_time, bool) else None,
        amr=from_esia(methods),
        session_id=sid if isinstance(sid, str) else None,
        esia_amr=methods,
    )


def check_access_token(
    jws: Jws, rules: TokenRules, *, now: float, subject: str | None, session_id: str | None
) -> str:
    """The access token's subject (oid); it must be ``subject`` when one is known."""
    claims = jws.claims
    _common(jws, rules, now=now, kind="access")
    if claims.get("client_id") != rules.client_id:
        raise _reject(rules, "access token was issued to another client", "wrong_audience")
    token_subject = _oid(claims.get("urn:esia:sbj_id"))
    if token_subject is None:
        raise _reject(rules, "access token has no subject", "malformed_token")
    if subject is not None and token_subject != subject:
        raise _reject(rules, "access token and id token name different people", "subject_mismatch")
    sid = claims.get("urn:esia:sid")
    if session_id is not None and sid is not None and sid != session_id:
        raise _reject(rules, "access token and id token belong to different sessions", "subject_mismatch")
    return token_subject


def _text(person: Mapping[str, Any], name: str) -> str | None:
    value = person.get(name)
    return value.strip() or None if isinstance(value, str) else None


def iso_birthdate(value: Any) -> str | None:
    if not isinstance(value, str):
        return None
    try:
        return datetime.strptime(value.strip(), "%d.%m.%Y").date().isoformat()
    except ValueError:
        return None


def person_details(person: Mapping[str, Any]) -> dict[str, Any]:
    """Names, ISO birth date and gender from ``/rs/prns/{oid}`` (absent fields become None)."""
    gender = person.get("gender")
    return {
        "family_name": _text(person, "lastName"),
        "given_name": _text(person, "firstName"),
        "middle_name": _text(person, "middleName"),
        "birthdate": iso_birthdate(person.get("birthDate")),
        "gender": GENDERS.get(gender) if isinstance(gender, str) else None,
    }
