"""Assembling and signing the tokens of one grant (RFC 9068 §2; OIDC Core §2, §3.1.3.3, §12.2).

``TokenIssuer`` turns an end-user login (or a client alone) and a scope into
an RFC 9068 access token, an ID Token when the scope has ``openid``, and the
RFC 6749 §5.1 response. Claims are built as dicts and signed once each. For a
client registered for opaque access tokens the same claims become the record
of an ``oauth.opaque_tokens`` handle instead of a JWT; the record is among the
key-value writes each issue returns for the caller to store (``Writes``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from frmr_sso.oauth.access_tokens import AT_JWT, access_token_claims, new_jti
from frmr_sso.oauth.clients import Client
from frmr_sso.oauth.codes import CodeGrant
from frmr_sso.oauth.errors import NO_STORE_HEADERS
from frmr_sso.oauth.opaque_tokens import OPAQUE, OpaqueTokens
from frmr_sso.oauth.ports import JwtSigner
from frmr_sso.oauth.resources import token_audience
from frmr_sso.oauth.scope import OPENID, Scope, format_scope
from frmr_sso.oidc.claims import claims_for_scope
from frmr_sso.oidc.id_token import id_token_claims
from frmr_sso.storage.ports import RefreshFamilyRecord


@dataclass(frozen=True, slots=True)
class TokenResponse:
    """RFC 6749 §5.1; tokens are kept out of ``repr`` and so out of logs."""

    access_token: str = field(repr=False)
    expires_in: int
    scope: str
    refresh_token: str | None = field(default=None, repr=False)
    id_token: str | None = field(default=None, repr=False)
    token_type: str = "Bearer"  # noqa: S105 - the RFC 6750 token type, not a secret

    def body(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "access_token": self.access_token,
            "token_type": self.token_type,
            "expires_in": self.expires_in,
            "scope": self.scope,
        }
        if self.refresh_token is not None:
            body["refresh_token"] = self.refresh_token
        if self.id_token is not None:
            body["id_token"] = self.id_token
        return body

    def headers(self) -> dict[str, str]:
        return dict(NO_STORE_HEADERS)  # RFC 6749 §5.1


Writes = dict[str, str]
"""Key-value entries to store for the access token's lifetime before the response goes out."""


@dataclass(frozen=True, slots=True)
class Login:
    """The end-user authentication behind a code or a refresh family."""

    subject: str
    auth_time: int
    acr: str | None
    amr: tuple[str, ...]
    sid: str | None
    claims: dict[str, Any]

    @classmethod
    def of_grant(cls, g: CodeGrant) -> Login:
        return cls(g.subject, g.auth_time, g.acr, g.amr, g.session_id, g.claims)

    @classmethod
    def of_family(cls, f: RefreshFamilyRecord) -> Login:
        return cls(f.subject, int(f.auth_time.timestamp()), f.acr, f.amr, f.session_id, f.claims)


class TokenIssuer:
    def __init__(
        self,
        *,
        issuer: str,
        audience: str,
        signer: JwtSigner,
        access_token_ttl: int,
        access_token_alg: str = "RS256",  # noqa: S107 - an algorithm name
        opaque: OpaqueTokens | None = None,
    ) -> None:
        self.issuer, self.audience, self.ttl = issuer, audience, access_token_ttl
        self._signer, self._alg, self._opaque = signer, access_token_alg, opaque

    def _access_token(
        self, client: Client, claims: dict[str, Any], writes: Writes, family_id: str | None
    ) -> str:
        """The JWT of ``claims``, or for an opaque client a handle whose record joins ``writes``."""
        if client.access_token_format != OPAQUE:
            return self._signer.sign(claims, alg=self._alg, typ=AT_JWT)
        if self._opaque is None:
            raise RuntimeError("opaque access tokens are not configured")
        token, key, record = self._opaque.mint(claims, family_id)
        writes[key] = record
        return token

    def _audience(self, scope: Scope) -> str | list[str]:
        if self.audience != self.issuer:
            return self.audience
        return token_audience(self.issuer, scope)

    def for_login(
        self,
        client: Client,
        login: Login,
        scope: Scope,
        *,
        now: float,
        jti: str | None = None,
        refresh_token: str | None = None,
        nonce: str | None = None,
        family_id: str | None = None,
    ) -> tuple[TokenResponse, Writes]:
        """Access token for ``login``, with an ID Token when ``scope`` has openid.

        On refresh pass no ``nonce`` (OIDC Core §12.2); ``auth_time`` stays the login's.
        ``family_id``: the refresh family, whose revocation also revokes an opaque token.
        """
        iat, scope_text = int(now), format_scope(scope)
        claims = access_token_claims(
            issuer=self.issuer,
            audience=self._audience(scope),
            subject=login.subject,
            client_id=client.client_id,
            scope=scope_text,
            jti=jti or new_jti(),
            now=iat,
            ttl=self.ttl,
            auth_time=login.auth_time,
            acr=login.acr,
            sid=login.sid,
        )
        writes: Writes = {}
        access_token = self._access_token(client, claims, writes, family_id)
        id_token = None
        if OPENID in scope:
            alg = client.id_token_alg
            id_claims = id_token_claims(
                issuer=self.issuer,
                client_id=client.client_id,
                subject=login.subject,
                now=iat,
                ttl=self.ttl,
                auth_time=login.auth_time,
                alg=alg,
                nonce=nonce,
                acr=login.acr,
                amr=login.amr,
                sid=login.sid,
                access_token=access_token,
                identity=claims_for_scope(login.claims, scope),
            )
            id_token = self._signer.sign(id_claims, alg=alg)
        return TokenResponse(access_token, self.ttl, scope_text, refresh_token, id_token), writes

    def for_client(
        self, client: Client, scope: Scope, *, now: float, jti: str | None = None
    ) -> tuple[TokenResponse, Writes]:
        """client_credentials: ``sub`` is the client itself (RFC 9068 §2.2), no ID Token."""
        scope_text = format_scope(scope)
        claims = access_token_claims(
            issuer=self.issuer,
            audience=self._audience(scope),
            subject=client.client_id,
            client_id=client.client_id,
            scope=scope_text,
            jti=jti or new_jti(),
            now=int(now),
            ttl=self.ttl,
        )
        writes: Writes = {}
        access_token = self._access_token(client, claims, writes, None)
        return TokenResponse(access_token, self.ttl, scope_text), writes
