"""The mock's signing keys and the ESIA-shaped access and ID tokens.

``TokenKeys`` holds the active key and the previous ones (``rotate`` keeps the
last ``keep`` published, so tokens signed before a rotation still verify).
Token faults (``TokenFault``) are applied here, at signing time: ``unsigned``
(``alg: none``), ``wrong_key`` (a key that is not in the JWKS, under the active
``kid``), ``wrong_issuer``, ``wrong_audience`` (ID token ``aud``) and ``expired``.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from mock_esia.accounts import Account
from mock_esia.flow import Grant
from mock_esia.jws import InvalidToken, SigningKey, encode_unsigned, parse

WRONG_ISSUER = "https://wrong-issuer.esia.invalid/"


class TokenFault(StrEnum):
    UNSIGNED = "unsigned"
    WRONG_KEY = "wrong_key"
    WRONG_ISSUER = "wrong_issuer"
    WRONG_AUDIENCE = "wrong_audience"
    EXPIRED = "expired"


class TokenKeys:
    def __init__(self, alg: str, *, keep: int = 2) -> None:
        self.alg = alg
        self._keep = max(1, keep)
        self._keys = [SigningKey.generate(alg)]
        self._rogue: SigningKey | None = None

    @property
    def active(self) -> SigningKey:
        return self._keys[0]

    def rotate(self) -> str:
        self._keys = [SigningKey.generate(self.alg), *self._keys][: self._keep]
        return self.active.kid

    def jwks(self) -> dict[str, list[dict[str, Any]]]:
        return {"keys": [key.jwk() for key in self._keys]}

    def sign(self, header: dict[str, Any], payload: dict[str, Any], fault: TokenFault | None = None) -> str:
        if fault is TokenFault.UNSIGNED:
            return encode_unsigned(header, payload)
        if fault is TokenFault.WRONG_KEY:
            self._rogue = self._rogue or SigningKey.generate(self.alg)
            return SigningKey(self.active.kid, self.alg, self._rogue.private, self._rogue.public).encode(
                header, payload
            )
        return self.active.encode(header, payload)

    def verify(self, token: str) -> tuple[dict[str, Any], dict[str, Any]]:
        """Header and payload of a token signed by a published key; claims are not checked here."""
        header, payload = parse(token)
        key = next((k for k in self._keys if k.kid == header.get("kid")), None)
        if key is None or header.get("alg") != key.alg or not key.verify(token):
            raise InvalidToken("signature")
        return header, payload


@dataclass(frozen=True)
class IssuedTokens:
    access_token: str
    id_token: str
    expires_in: int


def scoped(scope: str, oid: int) -> str:
    """ESIA's access-token scope: every scope but ``openid`` carries ``?oid=<oid>``."""
    return " ".join(s if s == "openid" else f"{s}?oid={oid}" for s in scope.split())


def _times(now: int, ttl: int, fault: TokenFault | None) -> dict[str, int]:
    start = now - 2 * ttl if fault is TokenFault.EXPIRED else now
    return {"nbf": start, "iat": start, "exp": start + ttl}


def access_claims(
    grant: Grant, *, issuer: str, now: int, ttl: int, fault: TokenFault | None
) -> dict[str, Any]:
    return {
        **_times(now, ttl, fault),
        "scope": scoped(grant.scope, grant.oid),
        "iss": WRONG_ISSUER if fault is TokenFault.WRONG_ISSUER else issuer,
        "urn:esia:sid": grant.sid,
        "urn:esia:sbj_id": grant.oid,
        "client_id": grant.client_id,
    }


def id_token_claims(
    grant: Grant, account: Account, *, issuer: str, now: int, ttl: int, fault: TokenFault | None
) -> dict[str, Any]:
    subject: dict[str, Any] = {
        "urn:esia:sbj:typ": "P",
        "urn:esia:sbj:oid": grant.oid,
        "urn:esia:sbj:nam": f"OID.{grant.oid}",
        "urn:esia:sbj:lvl": "PR" if account.trusted else "P",
    }
    if account.trusted:
        subject["urn:esia:sbj:is_tru"] = True
    wrong_aud = fault is TokenFault.WRONG_AUDIENCE
    return {
        **_times(now, ttl, fault),
        "aud": f"NOT-{grant.client_id}" if wrong_aud else grant.client_id,
        "sub": str(grant.oid),
        "auth_time": grant.auth_time,
        "iss": WRONG_ISSUER if fault is TokenFault.WRONG_ISSUER else issuer,
        "amr": grant.amr,
        "urn:esia:amd": grant.amr,
        "urn:esia:sid": grant.sid,
        "urn:esia:sbj": subject,
    }


def issue_tokens(
    keys: TokenKeys,
    grant: Grant,
    account: Account,
    *,
    issuer: str,
    ttl: int,
    fault: TokenFault | None = None,
    now: int | None = None,
) -> IssuedTokens:
    now = int(time.time()) if now is None else now
    access = keys.sign(
        {"ver": 1, "typ": "JWT", "sbt": "access"},
        access_claims(grant, issuer=issuer, now=now, ttl=ttl, fault=fault),
        fault,
    )
    id_token = keys.sign(
        {"ver": 0, "typ": "JWT", "sbt": "id"},
        id_token_claims(grant, account, issuer=issuer, now=now, ttl=ttl, fault=fault),
        fault,
    )
    return IssuedTokens(access_token=access, id_token=id_token, expires_in=ttl)


def verify_access_token(
    keys: TokenKeys, token: str, *, issuer: str, now: int | None = None, leeway: int = 30
) -> dict[str, Any]:
    """The payload of a valid ESIA access token of this mock, else InvalidToken."""
    header, payload = keys.verify(token)
    now = int(time.time()) if now is None else now
    if header.get("sbt") != "access":
        raise InvalidToken("not an access token")
    if payload.get("iss") != issuer:
        raise InvalidToken("issuer")
    exp, nbf = payload.get("exp"), payload.get("nbf", 0)
    if not isinstance(exp, int) or not isinstance(nbf, int) or exp + leeway < now or nbf - leeway > now:
        raise InvalidToken("expired or not yet valid")
    if not isinstance(payload.get("urn:esia:sbj_id"), int):
        raise InvalidToken("no subject")
    return payload
