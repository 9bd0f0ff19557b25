"""RP-Initiated Logout 1.0: end the SSO session and its refresh families, then go back or say so.

A request with a valid ``id_token_hint`` (its signature ours; expired accepted,
§2: "The OP need not be the same as the one that issued it, expired ones are
allowed") comes from the relying party and ends the session at once. Without
one the person confirms on a page whose form carries a CSRF token bound to
their current session for ten minutes (``security.csrf``). A browser without a live session and a request
without a valid hint have nothing to end: they are answered as logged out (or
refused), and nothing is stored for them — no audit record, and a token is never stored — so
anonymous requests cannot fill the store or the audit log. ``post_logout_redirect_uri`` is followed only
when registered for the client (§3: exact match), with ``state`` echoed. The
clients of each ended session get back-channel logout tokens
(``login.backchannel``), within its time bound, before the answer goes out.
When the browser's own session ended, the browser then ends its upstream
session too (``login.upstream_logout``) on its way to that redirect.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode, urlsplit, urlunsplit

import jwt

from frmr_sso.audit.events import FAILURE, SUCCESS, AuditContext, Auditor, Event
from frmr_sso.jose import JwsError, parse_compact, signature_valid
from frmr_sso.login.backchannel import BackchannelLogout
from frmr_sso.login.session_store import SessionStore, SsoSession, session_id_of
from frmr_sso.login.upstream_logout import UpstreamLogout
from frmr_sso.oauth.errors import InvalidRequest
from frmr_sso.oauth.ports import ClientLookup
from frmr_sso.oauth.request import Params
from frmr_sso.security.csrf import CsrfTokens, FormKind

KeyLookup = Callable[[str], Awaitable[jwt.PyJWK | None]]
RevokeSession = Callable[[str, datetime], Awaitable[int]]
MAX_HINT = 8192


@dataclass(frozen=True, slots=True)
class LoggedOut:
    redirect: str | None


@dataclass(frozen=True, slots=True)
class ConfirmLogout:
    csrf: str
    client_id: str | None
    post_logout_redirect_uri: str | None
    state: str | None
    client_name: str | None = None


@dataclass(frozen=True, slots=True)
class LogoutRefused:
    reason: str


LogoutOutcome = LoggedOut | ConfirmLogout | LogoutRefused


async def verify_id_token_hint(token: str, key_lookup: KeyLookup, *, issuer: str) -> dict[str, Any] | None:
    """Claims of an ID Token we signed, expired or not; None for anything else (access tokens too)."""
    try:
        jws = parse_compact(token)
    except JwsError:
        return None
    kid, alg, claims, typ = jws.header.get("kid"), jws.alg, jws.claims, str(jws.header.get("typ", ""))
    if not isinstance(kid, str) or alg not in ("RS256", "ES256") or "at+jwt" in typ:
        return None
    key = await key_lookup(kid)
    if key is None or key.algorithm_name != alg:
        return None
    if not signature_valid(key.key, alg, jws.signing_input, jws.signature):
        return None
    if claims.get("iss") != issuer or not isinstance(claims.get("sub"), str) or "aud" not in claims:
        return None
    return claims


def _with_state(uri: str, state: str | None) -> str:
    if state is None:
        return uri
    parts = urlsplit(uri)
    extra = urlencode({"state": state})
    return urlunsplit(parts._replace(query=f"{parts.query}&{extra}" if parts.query else extra))


class LogoutService:
    def __init__(
        self,
        *,
        issuer: str,
        clients: ClientLookup,
        sessions: SessionStore,
        key_lookup: KeyLookup,
        revoke_session: RevokeSession,
        auditor: Auditor,
        csrf: CsrfTokens,
        backchannel: BackchannelLogout | None = None,
        upstream: UpstreamLogout | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._issuer, self._clients, self._sessions = issuer, clients, sessions
        self._keys, self._revoke, self._audit, self._clock = key_lookup, revoke_session, auditor, clock
        self._backchannel, self._upstream, self._csrf = backchannel, upstream, csrf

    async def logout(
        self, method: str, params: Params, *, session_cookie: str | None, context: AuditContext
    ) -> LogoutOutcome:
        try:
            hint = params.get("id_token_hint", max_length=MAX_HINT)
            client_id = params.get("client_id", max_length=128)
            redirect = params.get("post_logout_redirect_uri", max_length=2048)
            state = params.get("state", max_length=2048)
            csrf = params.get("csrf", max_length=128) if method == "POST" else None
        except InvalidRequest as exc:
            return await self._refuse(str(exc.description), context, session_cookie)
        claims = None
        if hint is not None:
            claims = await verify_id_token_hint(hint, self._keys, issuer=self._issuer)
            if claims is None:
                reason = "id_token_hint is not an ID Token of this provider"
                return await self._refuse(reason, context, session_cookie)
            audience = [claims["aud"]] if isinstance(claims["aud"], str) else list(claims["aud"])
            if client_id is not None and client_id not in audience:
                reason = "client_id is not the audience of id_token_hint"
                return await self._refuse(reason, context, session_cookie, verified_hint=True)
            client_id = client_id or (audience[0] if len(audience) == 1 else None)
        client = await self._clients(client_id) if client_id is not None else None
        if client_id is not None and client is None:
            return await self._refuse("unknown client_id", context, session_cookie)
        if redirect is not None and (client is None or redirect not in client.post_logout_redirect_uris):
            reason = "post_logout_redirect_uri is not registered for the client"
            return await self._refuse(reason, context, session_cookie)
        if claims is not None and not await self._hint_matches_session(claims, session_cookie):
            claims = None  # someone else's ID Token must not end this browser's session unasked
        if claims is None and await self._sessions.get(session_cookie) is None:  # nothing to end
            return LoggedOut(_with_state(redirect, state) if redirect is not None else None)
        own_id = session_id_of(session_cookie)
        if claims is None and not self._csrf.valid(FormKind.LOGOUT, own_id, csrf):
            token = self._csrf.issue(FormKind.LOGOUT, own_id or "-")
            await self._audit.record(Event.LOGOUT_CONFIRM, context, client_id=client_id)
            name = client.name if client is not None else None
            return ConfirmLogout(token, client_id, redirect, state, name)
        own, ended = await self._end(session_cookie, claims)
        subject = claims["sub"] if claims else next((s.subject for s in ended), None)
        await self._audit.record(
            Event.LOGOUT, context, outcome=SUCCESS, client_id=client_id, subject_id=subject,
            details={"sessions": [s.id for s in ended], "hint": claims is not None,
                     "redirect": redirect is not None},
        )
        if self._backchannel is not None:
            await self._backchannel.notify(ended, context)
        final = _with_state(redirect, state) if redirect is not None else None
        return LoggedOut(await self.upstream_redirect(own, final) or final)

    async def upstream_redirect(self, session: SsoSession | None, final: str | None = None) -> str | None:
        """Where the browser whose ``session`` just ended ends its upstream session too (then ``final``)."""
        return await self._upstream.redirect(session, final) if self._upstream is not None else None

    async def back_from_upstream(self, key: str | None) -> str | None:
        """After the upstream's logout: the relying party's redirect, or None for the «Вы вышли» page."""
        return await self._upstream.back(key) if self._upstream is not None else None

    async def _hint_matches_session(self, claims: dict[str, Any], session_cookie: str | None) -> bool:
        session = await self._sessions.get(session_cookie)
        return session is None or session.subject == claims["sub"]

    async def _end(
        self, session_cookie: str | None, claims: dict[str, Any] | None
    ) -> tuple[SsoSession | None, list[SsoSession]]:
        """(the browser's own ended session, every session ended)."""
        ended: list[SsoSession] = []
        session = await self._sessions.end(session_cookie)
        if session is not None:
            ended.append(session)
        hinted = claims.get("sid") if claims else None
        now = datetime.fromtimestamp(self._clock(), UTC)
        if isinstance(hinted, str) and all(s.id != hinted for s in ended):
            other = await self._sessions.end_by_id(hinted)
            if other is not None:
                ended.append(other)
            else:
                await self._revoke(hinted, now)  # expired already: its refresh families still go
        for gone in ended:
            await self._revoke(gone.id, now)
        return session, ended

    async def _refuse(
        self, reason: str, context: AuditContext, session_cookie: str | None, *, verified_hint: bool = False
    ) -> LogoutRefused:
        """Refused; audited when a live session or an ID Token of ours was at stake (not anonymous noise)."""
        if verified_hint or await self._sessions.get(session_cookie) is not None:
            await self._audit.record(
                Event.LOGOUT_REFUSED, context, outcome=FAILURE, details={"reason": reason}
            )
        return LogoutRefused(reason)
