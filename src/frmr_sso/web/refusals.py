"""Audit records of refused protocol requests, written by the web layer that knows the request.

* ``token.refused``: an error answer of ``/token``, ``/introspect`` or ``/revoke`` (invalid_grant
  for a replayed code, a wrong PKCE verifier, another client's refresh token …; invalid_client).
* ``token.bearer_refused``: a bearer token refused at ``/userinfo``, the admin or the audit API
  (forged, expired, revoked, without the scope, or sent in the query). Anyone can send those,
  so they are counted per address and reason (``audit/refusal_digest.py``): the first of an
  interval is written at once, the rest as one record with ``details.count``.

A public client's refresh token reused outside its grace window (its family just revoked) also
ends the SSO session of the login it came from: the token leaked, so may have the session (RFC 9700
§4.14.2). A confidential client authenticates, so its reuse revokes that one family only.
The refusal of a public client's reuse names whether the refresh use case ended that session
(``session_ended``).

A record names the endpoint, the RFC error code and its description (fixed texts of the core:
never a token, code or secret), the client when it is a registered one, the ``grant_type``, and for
a bearer token the ``alg`` its header claims. A request without credentials at all (the RFC 6750
§3.1 challenge a client starts with) and a store outage (``temporarily_unavailable``) leave no
record; a failed audit write is logged and the client still gets its protocol error.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from fastapi import Depends
from starlette.requests import Request

from frmr_sso.audit.events import FAILURE, AuditContext, Event
from frmr_sso.jose import unverified_header
from frmr_sso.oauth.client_service import ClientService, client_credentials
from frmr_sso.oauth.clients import Client
from frmr_sso.oauth.errors import BearerError, OAuthError, TemporarilyUnavailable
from frmr_sso.oauth.refresh import RefreshReused
from frmr_sso.oauth.request import OAuthRequest
from frmr_sso.security.services import Security
from frmr_sso.web.client_ip import request_ip
from frmr_sso.web.errors import PROTOCOL_PATHS
from frmr_sso.web.oauth_http import MAX_CLIENT_ID, BearerMissing, bearer_token

log = logging.getLogger(__name__)
MAX_ALG = 32


@dataclass(frozen=True)
class RefusalAudit:
    """What recording a refusal uses: the auditor and refusal digest (``security``), the clients."""

    security: Security
    clients: ClientService


@dataclass
class Refusals:
    """What is known of a refused request: the parsed request (``oauth_request`` keeps it on the
    request's state), the client, the bearer token; built by ``record_refusal``."""

    request: Request
    audit: RefusalAudit
    endpoint: str
    oauth: OAuthRequest | None = None
    client: Client | None = None
    bearer: str | None = None

    async def record(self, exc: OAuthError) -> None:
        if isinstance(exc, BearerMissing | TemporarilyUnavailable):
            return
        auditor = self.audit.security.auditor
        if auditor is None:
            return
        bearer = isinstance(exc, BearerError)
        details: dict[str, Any] = {"endpoint": self.endpoint, "error": exc.error}
        details["description"] = exc.description
        if bearer:
            details["alg"] = _claimed_alg(self.bearer)
        else:
            details["grant_type"] = self._form_value("grant_type")
        event = Event.BEARER_REFUSED if bearer else Event.TOKEN_REFUSED
        try:
            if isinstance(exc, RefreshReused) and exc.ends_session:  # a public client's reuse
                details["session_ended"] = exc.session_ended  # the refresh use case ended it
            client_id = await self._client_id()
            digest = self.audit.security.bearer_refusals
            if bearer and digest is not None:
                await digest.refused(event, self._context(), client_id=client_id, details=details)
            else:
                await auditor.record(
                    event, self._context(), outcome=FAILURE, client_id=client_id, details=details
                )
        except Exception as error:  # the client gets its protocol error whatever happens here
            log.error("a refused request was not audited", extra={"error": type(error).__name__})

    def _context(self) -> AuditContext:
        state = self.request.scope.get("state", {})
        ip = self.oauth.client_ip if self.oauth is not None else request_ip(self.request.scope)
        return AuditContext(ip, self.request.headers.get("user-agent"), state.get("request_id"))

    def _form_value(self, name: str) -> str | None:
        if self.oauth is None:
            return None
        try:
            return self.oauth.form.get(name, max_length=64)
        except OAuthError:
            return None

    async def _client_id(self) -> str | None:
        """The authenticated client, or the registered client the request claims to be."""
        if self.client is not None:
            return self.client.client_id
        if self.oauth is None:
            return None
        try:
            claimed, _, _ = client_credentials(
                self.oauth.header("authorization"),
                self.oauth.form.get("client_id", max_length=MAX_CLIENT_ID),
                self.oauth.form.get("client_secret", max_length=512),
            )
        except OAuthError:
            return None
        if len(claimed) > MAX_CLIENT_ID or await self.audit.clients.get(claimed) is None:
            return None
        return claimed


AUDITED = "audit_refusals"


def audit_refusals(request: Request) -> None:
    """A route dependency: this API's refused bearer tokens are audited like the protocol endpoints'."""
    setattr(request.state, AUDITED, True)


AUDIT_REFUSALS = [Depends(audit_refusals)]


async def record_refusal(request: Request, exc: OAuthError, audit: RefusalAudit | None) -> None:
    """Audit a protocol error on a protocol endpoint or an API marked with ``AUDIT_REFUSALS``
    (``audit`` is ``None`` in an application whose services are not built)."""
    state = request.scope.get("state", {})
    if audit is None or not (request.url.path in PROTOCOL_PATHS or state.get(AUDITED)):
        return
    oauth = state.get("oauth")
    refusals = Refusals(request, audit, request.url.path[:64], oauth=oauth, bearer=_bearer_of(oauth))
    await refusals.record(exc)


def _bearer_of(oauth: OAuthRequest | None) -> str | None:
    if oauth is None:
        return None
    try:
        return bearer_token(oauth)
    except OAuthError:
        return None


def _claimed_alg(token: str | None) -> str | None:
    """The ``alg`` a bearer token's header names (unverified: it says what was tried)."""
    if not token:
        return None
    header = unverified_header(token)
    alg = None if header is None else header.get("alg")
    return alg[:MAX_ALG] if isinstance(alg, str) else None
