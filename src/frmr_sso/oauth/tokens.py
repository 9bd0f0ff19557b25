"""The token endpoint (RFC 6749 §4.1.3, §4.4, §5, §6; RFC 7636 §4.6; RFC 9068; OIDC Core §3.1.3, §12).

``TokenService`` takes a client the registry has already authenticated and the
form parameters, and returns a ``TokenResponse`` or raises an ``OAuthError``.
Access tokens are RFC 9068 JWTs (``typ: at+jwt``); an ID Token comes with every
grant whose scope has ``openid``; a refresh token only with ``offline_access``
for a client registered for the ``refresh_token`` grant. Every end-user access
token leaves its scope's claims in the key-value store for UserInfo
(``oidc.userinfo.snapshot_entry``), keyed by its ``jti`` for its lifetime, when
its scope has ``openid`` (UserInfo refuses other tokens). A client registered for
opaque access tokens gets an ``oauth.opaque_tokens`` handle instead of the JWT;
its record goes into the store with the snapshot, in one round trip.

With an ``Auditor`` every grant writes one audit record (``token.issued`` or
``token.refresh_rotated``: grant, client, subject, ``jti``, never a token) through
the batching writer without waiting for its commit; a refresh reuse
(``token.refresh_reused``) and a replayed code (``token.code_replayed``) wait.

A refresh token reused outside its grace window revokes its family
(``oauth.refresh``) and, through ``end_session``, ends the SSO session of the
login it came from, whether or not anything is audited.
"""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime

from frmr_sso.audit.events import FAILURE, SUCCESS, AuditContext, Auditor, Event
from frmr_sso.config import Settings
from frmr_sso.errors import FrmrSsoError
from frmr_sso.oauth import codes, pkce
from frmr_sso.oauth.access_tokens import deny, new_jti
from frmr_sso.oauth.clients import Client
from frmr_sso.oauth.codes import CodeGrant, RedeemedCode
from frmr_sso.oauth.errors import (
    InvalidGrant,
    InvalidRequest,
    InvalidScope,
    UnauthorizedClient,
    UnsupportedGrantType,
)
from frmr_sso.oauth.issuance import Login, TokenIssuer, TokenResponse, Writes
from frmr_sso.oauth.opaque_tokens import OpaqueTokens
from frmr_sso.oauth.ports import JwtSigner
from frmr_sso.oauth.privileged import PERSON_KEY, RoleLookup, not_covered, privileged
from frmr_sso.oauth.refresh import RefreshReused, RefreshTokens
from frmr_sso.oauth.request import Params
from frmr_sso.oauth.scope import OFFLINE_ACCESS, OPENID, USER_SCOPES, Scope, narrow, parse_scope
from frmr_sso.oidc.userinfo import snapshot_entry
from frmr_sso.storage.ports import KeyValueStore, RefreshFamilyRecord, RefreshTokenRepository

log = logging.getLogger(__name__)

MAX_CODE = 128
MAX_REFRESH_TOKEN = 128
MAX_SCOPE = 1024
REPLAY_REASON = "authorization_code_replayed"
NO_CONTEXT = AuditContext()

EndSession = Callable[[str, AuditContext], Awaitable[bool]]
"""Ends the SSO session ``sid`` whose refresh token leaked (its families revoked, its clients told);
True when a live session ended."""


@dataclass(frozen=True, slots=True)
class TokenLifetimes:
    """Seconds; the defaults of ``Settings``."""

    code: int = 60
    access_token: int = 300
    refresh_absolute: int = 30 * 86_400
    refresh_idle: int = 7 * 86_400

    @classmethod
    def from_settings(cls, settings: Settings) -> TokenLifetimes:
        return cls(
            settings.code_ttl,
            settings.access_token_ttl,
            settings.refresh_absolute_ttl,
            settings.refresh_idle_ttl,
        )


class TokenService:
    def __init__(
        self,
        *,
        issuer: str,
        signer: JwtSigner,
        refresh_tokens: RefreshTokenRepository,
        kv: KeyValueStore,
        lifetimes: TokenLifetimes,
        audience: str | None = None,
        access_token_alg: str = "RS256",  # noqa: S107 - an algorithm name
        clock: Callable[[], float] = time.time,
        auditor: Auditor | None = None,
        end_session: EndSession | None = None,
        roles: RoleLookup | None = None,
        opaque: OpaqueTokens | None = None,
    ) -> None:
        self.lifetimes = lifetimes
        self._kv, self._clock, self._auditor = kv, clock, auditor
        self._end_session, self._roles = end_session, roles
        self.issuance = TokenIssuer(
            issuer=issuer,
            audience=audience or issuer,
            signer=signer,
            access_token_ttl=lifetimes.access_token,
            access_token_alg=access_token_alg,
            opaque=opaque,
        )
        self.refresh_tokens = RefreshTokens(
            refresh_tokens,
            kv,
            absolute_ttl=lifetimes.refresh_absolute,
            idle_ttl=lifetimes.refresh_idle,
            access_token_ttl=lifetimes.access_token,
        )

    async def token(self, client: Client, form: Params, context: AuditContext = NO_CONTEXT) -> TokenResponse:
        """Dispatch on ``grant_type`` (RFC 6749 §4.1.3, §4.4.2, §6)."""
        grant_type = form.require("grant_type", max_length=64)
        if grant_type == "authorization_code":
            return await self.exchange_code(client, form, context)
        if grant_type == "refresh_token":
            return await self.refresh(client, form, context)
        if grant_type == "client_credentials":
            return await self.client_credentials(client, form, context)
        raise UnsupportedGrantType("grant_type is not supported")

    async def exchange_code(
        self, client: Client, form: Params, context: AuditContext = NO_CONTEXT
    ) -> TokenResponse:
        """RFC 6749 §4.1.3, with the replay defence of §4.1.2.

        The ids of what this exchange will issue (access token ``jti``, refresh
        family) are chosen first; the redemption stores them as the code's mark
        in the same atomic step that takes the grant, so a replay at any later
        moment finds them and revokes them (``_revoke_replayed``). A code refused
        after its redemption (another client, redirect_uri, PKCE) stays used.

        The refresh family lives in SQL, so one window remains: a replay after
        the redemption but before this exchange has inserted the family finds
        no row to revoke. So the replay first sets a *family replayed* flag in the
        key-value store and only then revokes the family in SQL, and this
        exchange reads the flag after its insert has committed:

        - flag set before that read: this exchange sees it, revokes the family
          itself and answers invalid_grant (the replay won);
        - flag set after that read: the replay's SQL revocation comes later
          still, after the insert committed, so it finds the family and revokes it.

        Either way the family ends revoked, and the access token is on the deny
        list from the replay's first step on, whenever it gets signed.
        """
        _allow(client, "authorization_code")
        code = form.require("code", max_length=MAX_CODE)
        redirect_uri = form.require("redirect_uri", max_length=2048)
        verifier = form.get("code_verifier", max_length=128)
        if verifier is not None and not pkce.is_well_formed(verifier):
            raise InvalidRequest("code_verifier is malformed")
        now = self._clock()
        jti = new_jti()
        family_id = str(uuid.uuid4()) if client.allows_grant("refresh_token") else None
        issued = RedeemedCode(client.client_id, jti, int(now) + self.lifetimes.access_token, family_id)
        grant = await codes.redeem(self._kv, code, issued, self.lifetimes.code)
        if not isinstance(grant, CodeGrant):
            if grant is not None:
                await self._revoke_replayed(grant, context)
            raise InvalidGrant("authorization code is invalid, expired or already used")
        if grant.client_id != client.client_id:
            raise InvalidGrant("authorization code was issued to another client")
        if grant.redirect_uri != redirect_uri:
            raise InvalidGrant("redirect_uri does not match the authorization request")
        _check_pkce(client, grant, verifier)
        scope = grant.scope
        if family_id is None or OFFLINE_ACCESS not in scope:  # no refresh token; the mark names it anyway
            family_id = None
            scope = tuple(token for token in scope if token != OFFLINE_ACCESS)
        refresh_token = None
        if family_id is not None:
            refresh_token = await self.refresh_tokens.start(family_id, grant, scope, _utc(now))
            await self._lost_to_replay(family_id, now)
        login = Login.of_grant(grant)
        issued_response, writes = self.issuance.for_login(
            client, login, scope, now=now, jti=jti, refresh_token=refresh_token, nonce=grant.nonce,
            family_id=family_id,
        )
        await self._store(jti, login, scope, writes)
        await self._issued(
            Event.TOKEN_ISSUED,
            context,
            client,
            login.subject,
            {
                "grant": "authorization_code",
                "jti": jti,
                "scope": issued_response.scope,
                "family_id": family_id,
            },
        )
        return issued_response

    async def refresh(
        self, client: Client, form: Params, context: AuditContext = NO_CONTEXT
    ) -> TokenResponse:
        _allow(client, "refresh_token")
        token = form.require("refresh_token", max_length=MAX_REFRESH_TOKEN)
        requested = parse_scope(form.get("scope", max_length=MAX_SCOPE))
        now = self._clock()
        try:
            rotated = await self.refresh_tokens.rotate(
                client.client_id,
                token,
                _utc(now),
                requested_scope=requested,
                rotation=client.refresh_rotation or client.public,
                grace=client.refresh_grace,
            )
        except RefreshReused as reused:
            reused.ends_session = client.public  # a confidential client's reuse revokes its family only
            await self._reused(reused, context)
            if self._auditor is not None:
                family = reused.family
                details = {"family_id": family.id, "family_revoked": reused.revoked}
                await self._auditor.record(
                    Event.REFRESH_REUSED,
                    context,
                    outcome=FAILURE,
                    client_id=client.client_id,
                    subject_id=family.subject,
                    details={**details, "session_ended": reused.session_ended},
                )
            raise
        scope = narrow(requested or rotated.family.scope, client.scopes)
        scope = await self._still_privileged(client, rotated.family, scope, context)
        login, jti = Login.of_family(rotated.family), new_jti()
        issued, writes = self.issuance.for_login(
            client, login, scope, now=now, jti=jti, refresh_token=rotated.token, family_id=rotated.family.id
        )
        await self._store(jti, login, scope, writes)
        details = {
            "grant": "refresh_token",
            "jti": jti,
            "scope": issued.scope,
            "family_id": rotated.family.id,
            "grace": rotated.grace or None,
        }
        await self._issued(Event.REFRESH_ROTATED, context, client, login.subject, details)
        return issued

    async def _reused(self, reused: RefreshReused, context: AuditContext) -> None:
        """RFC 9700 §4.14.2: the token leaked, so may have the SSO session it came from: end it too."""
        session_id = reused.family.session_id
        if not (reused.revoked and reused.ends_session) or session_id is None or self._end_session is None:
            return
        try:
            reused.session_ended = await self._end_session(session_id, context)
        except FrmrSsoError as exc:  # the family is revoked; the client gets invalid_grant regardless
            log.error("the session of a reused refresh token was not ended", extra={"error": str(exc)})

    async def _still_privileged(
        self, client: Client, family: RefreshFamilyRecord, scope: Scope, context: AuditContext
    ) -> Scope:
        """``scope`` without the privileged scopes the person's FRMR roles no longer cover (audited)."""
        if not privileged(scope):
            return scope
        frmr_id = family.claims.get(PERSON_KEY)
        roles = await self._roles(frmr_id) if self._roles is not None and isinstance(frmr_id, str) else None
        refused = not_covered(scope, roles or ())
        if not refused:
            return scope
        if self._auditor is not None:
            await self._auditor.record(
                Event.PRIVILEGE_REFUSED, context, outcome=FAILURE, client_id=client.client_id,
                subject_id=family.subject, details={"scopes": list(refused), "family_id": family.id},
            )
        return tuple(token for token in scope if token not in refused)

    async def client_credentials(
        self, client: Client, form: Params, context: AuditContext = NO_CONTEXT
    ) -> TokenResponse:
        _allow(client, "client_credentials")
        if client.public:
            raise UnauthorizedClient("client_credentials is for confidential clients only")
        requested = parse_scope(form.get("scope", max_length=MAX_SCOPE))
        allowed = client.scopes - USER_SCOPES
        scope = narrow(requested, allowed) if requested else tuple(sorted(allowed))
        if requested and not scope:
            raise InvalidScope("the client is registered for none of the requested scopes")
        jti = new_jti()
        issued, writes = self.issuance.for_client(client, scope, now=self._clock(), jti=jti)
        if writes:
            await self._kv.set_many(writes, ttl=self.lifetimes.access_token)
        details = {"grant": "client_credentials", "jti": jti, "scope": issued.scope}
        await self._issued(Event.TOKEN_ISSUED, context, client, None, details)
        return issued

    async def _issued(
        self,
        event: Event,
        context: AuditContext,
        client: Client,
        subject: str | None,
        details: Mapping[str, object],
    ) -> None:
        """One audit record per grant, queued: the token's answer does not wait for its commit."""
        if self._auditor is not None:
            await self._auditor.record(
                event,
                context,
                outcome=SUCCESS,
                client_id=client.client_id,
                subject_id=subject,
                details=details,
                durable=False,
            )

    async def _store(self, jti: str, login: Login, scope: Scope, writes: Writes) -> None:
        """An opaque token's record and what UserInfo will release for this access token (without
        openid UserInfo refuses it), in one round trip."""
        if OPENID in scope:
            key, snapshot = snapshot_entry(jti, login.claims, scope)
            writes[key] = snapshot
        if writes:
            await self._kv.set_many(writes, ttl=self.lifetimes.access_token)

    async def _revoke_replayed(self, issued: RedeemedCode, context: AuditContext) -> None:
        """RFC 6749 §4.1.2: revoke what a replayed code was exchanged for.

        The flag goes into the key-value store before the SQL revocation: the
        ordering ``exchange_code`` relies on when the family is not inserted yet.
        """
        now = self._clock()
        await deny(self._kv, issued.access_token_jti, exp=issued.access_token_exp, now=now)
        if issued.refresh_family_id is not None:
            await codes.mark_family_replayed(self._kv, issued.refresh_family_id, self.lifetimes.code)
            await self.refresh_tokens.revoke(issued.refresh_family_id, reason=REPLAY_REASON, now=_utc(now))
        log.warning("authorization code replayed: its tokens revoked", extra={"client_id": issued.client_id})
        if self._auditor is not None:
            await self._auditor.record(
                Event.CODE_REPLAYED,
                context,
                outcome=FAILURE,
                client_id=issued.client_id,
                details={"jti": issued.access_token_jti, "family_id": issued.refresh_family_id},
            )

    async def _lost_to_replay(self, family_id: str, now: float) -> None:
        """After the family's insert: a replay that came meanwhile wins, and the family is revoked here."""
        if await codes.family_replayed(self._kv, family_id):
            await self.refresh_tokens.revoke(family_id, reason=REPLAY_REASON, now=_utc(now))
            log.warning("authorization code replayed during its exchange: its tokens revoked")
            raise InvalidGrant("authorization code was used again during its exchange")


def _allow(client: Client, grant_type: str) -> None:
    if not client.allows_grant(grant_type):
        raise UnauthorizedClient(f"the client may not use the {grant_type} grant")


def _check_pkce(client: Client, grant: CodeGrant, verifier: str | None) -> None:
    if grant.code_challenge is None:
        if verifier is not None:  # RFC 9700 §4.8.2: no PKCE downgrade
            raise InvalidGrant("code_verifier given, but the authorization request had no code_challenge")
        if client.requires_pkce:
            raise InvalidGrant("the authorization request of a public client had no code_challenge")
        return
    if verifier is None:
        raise InvalidRequest("code_verifier is missing")
    if not pkce.verify(verifier, grant.code_challenge, grant.code_challenge_method or pkce.S256):
        raise InvalidGrant("code_verifier does not match the code_challenge")


def _utc(timestamp: float) -> datetime:
    return datetime.fromtimestamp(timestamp, UTC)
