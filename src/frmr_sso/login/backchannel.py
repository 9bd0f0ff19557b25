"""OpenID Connect Back-Channel Logout 1.0: tell the clients of an ended session, server to server.

When an SSO session ends (RP-initiated logout, the person ending it on
``/account/sessions`` or through the API), every client that received a code in
it and registered a ``backchannel_logout_uri`` gets a POST of the form
``logout_token=<JWT>`` (§2.5). The Logout Token (§2.4) is signed with the
broker's key of the client's ``id_token_alg``, typed ``logout+jwt``, and
carries ``iss``, ``aud`` (the client), ``iat``, a short ``exp``, ``jti``,
``sub``, ``sid`` and the back-channel ``events`` member, never a ``nonce``.
The broker always sends ``sid``, so ``backchannel_logout_session_required`` is
always met.

Deliveries run concurrently and all of them together take at most ``timeout``
seconds, so the person's logout page waits no longer than that. Redirects are
not followed (§2.5); a 200 or 204 answer is a delivery. Each outcome is an
audit record (client, session, status or error), never the token itself.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import httpx

from frmr_sso.audit.events import FAILURE, SUCCESS, AuditContext, Auditor, Event
from frmr_sso.errors import FrmrSsoError
from frmr_sso.login.session_store import SsoSession
from frmr_sso.oauth.clients import Client
from frmr_sso.oauth.ports import ClientLookup, JwtSigner

BACKCHANNEL_EVENT = "http://schemas.openid.net/event/backchannel-logout"
LOGOUT_JWT = "logout+jwt"
TOKEN_TTL = 120
DEFAULT_TIMEOUT = 2.0
_LOOPBACK = frozenset({"127.0.0.1", "::1", "localhost"})


@dataclass(frozen=True, slots=True)
class Delivery:
    client_id: str
    session_id: str
    ok: bool
    status: int | None = None
    error: str | None = None


def uri_allowed(uri: str, *, allow_http_loopback: bool) -> bool:
    """https, or (in the demo) http to a loopback address; nothing else is ever contacted."""
    try:
        parts = urlsplit(uri)
    except ValueError:
        return False
    if parts.scheme == "https" and parts.hostname:
        return True
    return allow_http_loopback and parts.scheme == "http" and parts.hostname in _LOOPBACK


class BackchannelLogout:
    def __init__(
        self,
        *,
        issuer: str,
        signer: JwtSigner,
        clients: ClientLookup,
        http: httpx.AsyncClient,
        auditor: Auditor,
        allow_http_loopback: bool = False,
        timeout: float = DEFAULT_TIMEOUT,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._issuer, self._signer, self._clients, self._http = issuer, signer, clients, http
        self._audit, self._timeout, self._clock = auditor, timeout, clock
        self._allow_http = allow_http_loopback

    def logout_token(self, client: Client, *, subject: str, session_id: str) -> str:
        now = int(self._clock())
        claims: dict[str, Any] = {
            "iss": self._issuer,
            "aud": client.client_id,
            "iat": now,
            "exp": now + TOKEN_TTL,
            "jti": uuid.uuid4().hex,
            "sub": subject,
            "sid": session_id,
            "events": {BACKCHANNEL_EVENT: {}},
        }
        return self._signer.sign(claims, alg=client.id_token_alg, typ=LOGOUT_JWT)

    async def notify(self, sessions: Iterable[SsoSession], context: AuditContext) -> list[Delivery]:
        """Send the logout tokens of every client of ``sessions``; their outcomes, each audited."""
        targets: list[tuple[Client, SsoSession]] = []
        for session in sessions:
            for client_id in session.clients:
                client = await self._clients(client_id)
                if client is not None and client.backchannel_logout_uri:
                    targets.append((client, session))
        if not targets:
            return []
        tasks = [asyncio.ensure_future(self._deliver(client, session)) for client, session in targets]
        done, pending = await asyncio.wait(tasks, timeout=self._timeout)
        for task in pending:
            task.cancel()
        deliveries: list[Delivery] = []
        for task, (client, session) in zip(tasks, targets, strict=True):
            if task in done:
                deliveries.append(task.result())
            else:
                deliveries.append(Delivery(client.client_id, session.id, ok=False, error="timeout"))
        for delivery, (_, session) in zip(deliveries, targets, strict=True):
            await self._record(delivery, session.subject, context)
        return deliveries

    async def _deliver(self, client: Client, session: SsoSession) -> Delivery:
        uri = client.backchannel_logout_uri
        assert uri is not None
        if not uri_allowed(uri, allow_http_loopback=self._allow_http):
            return Delivery(client.client_id, session.id, ok=False, error="uri_not_allowed")
        try:
            token = self.logout_token(client, subject=session.subject, session_id=session.id)
            response = await self._http.post(
                uri,
                data={"logout_token": token},
                timeout=self._timeout,
                headers={"Cache-Control": "no-store"},
                follow_redirects=False,
            )
        except FrmrSsoError as exc:  # no signing key
            return Delivery(client.client_id, session.id, ok=False, error=type(exc).__name__)
        except httpx.HTTPError as exc:
            return Delivery(client.client_id, session.id, ok=False, error=type(exc).__name__)
        ok = response.status_code in (200, 204)
        return Delivery(client.client_id, session.id, ok=ok, status=response.status_code)

    async def _record(self, delivery: Delivery, subject: str, context: AuditContext) -> None:
        details = {"session": delivery.session_id, "status": delivery.status, "error": delivery.error}
        await self._audit.record(
            Event.BACKCHANNEL_DELIVERED if delivery.ok else Event.BACKCHANNEL_FAILED,
            context,
            outcome=SUCCESS if delivery.ok else FAILURE,
            client_id=delivery.client_id,
            subject_id=subject,
            details=details,
        )
