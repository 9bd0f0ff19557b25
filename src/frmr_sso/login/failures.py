"""Why a login failed → the outcome the person sees, and the one audit event that records it.

A page about the upstream names it: ESIA's pages speak of ESIA and Госуслуги, any
other connector's carry its ``display_name`` (``FailurePage.upstream``).
"""

from __future__ import annotations

from functools import partial
from typing import Any

from frmr_sso.audit.events import FAILURE, AuditContext, Auditor, Event
from frmr_sso.login.mapping import InsufficientRights, NoFrmrRecord, NotConfirmed
from frmr_sso.login.outcomes import Failure, FailurePage, Outcome, Redirect, restart_url
from frmr_sso.login.transaction import LoginTransaction
from frmr_sso.oauth.authorization import AuthorizationRequest, error_redirect
from frmr_sso.oauth.errors import AccessDenied, OAuthError
from frmr_sso.storage.errors import StorageConflict
from frmr_sso.upstream.base import Connector, UpstreamIdentity
from frmr_sso.upstream.errors import (
    AccountNotConfirmed,
    SnilsNotVerified,
    UpstreamDenied,
    UpstreamFailure,
    UpstreamSnilsError,
    UpstreamUnavailable,
)

DENIED = "the login was cancelled or refused at the identity provider"


def upstream_label(connector: Connector) -> str | None:
    """What a failure page calls the upstream: None for ESIA (its own wording), else its display name."""
    return None if connector.kind == "esia" else connector.display_name


class FailureMapper:
    def __init__(self, issuer: str, auditor: Auditor) -> None:
        self._issuer, self._audit = issuer, auditor

    async def invalid_request(self, exc: OAuthError, context: AuditContext) -> Outcome:
        details = {"error": exc.error, "description": exc.description}
        if exc.redirectable:
            await self._audit.record(Event.AUTHORIZE_ERROR, context, outcome=FAILURE, details=details)
            return Redirect(error_redirect(exc, issuer=self._issuer))
        await self._audit.record(Event.AUTHORIZE_INVALID, context, outcome=FAILURE, details=details)
        return FailurePage(Failure.INVALID_REQUEST, 400, detail=exc.description)

    async def upstream(
        self, exc: UpstreamFailure, req: AuthorizationRequest, context: AuditContext, *, connector: Connector
    ) -> Outcome:
        details: dict[str, Any] = {"connector": exc.connector, "reason": exc.reason}
        details["esia_code"] = exc.esia_code
        page = partial(FailurePage, upstream=upstream_label(connector))
        retry = restart_url(self._issuer, req.to_dict(), connector.name)  # «Повторить вход»
        event = Event.UPSTREAM_PROTOCOL_ERROR
        outcome: Outcome = page(Failure.UPSTREAM_ERROR, 502, restart_url=retry)
        if isinstance(exc, UpstreamUnavailable):
            details["retry_after"] = exc.retry_after
            event = Event.UPSTREAM_UNAVAILABLE
            outcome = page(Failure.UPSTREAM_UNAVAILABLE, 503, retry_after=exc.retry_after, restart_url=retry)
        elif isinstance(exc, UpstreamDenied):
            event = Event.UPSTREAM_DENIED
            outcome = Redirect(error_redirect(req.redirect_error(AccessDenied, DENIED), issuer=self._issuer))
        elif isinstance(exc, SnilsNotVerified):
            event, outcome = Event.ACCOUNT_NOT_CONFIRMED, page(Failure.SNILS_UNVERIFIED, 403)
        elif isinstance(exc, AccountNotConfirmed):
            event, outcome = Event.ACCOUNT_NOT_CONFIRMED, page(Failure.NOT_CONFIRMED, 403)
        elif isinstance(exc, UpstreamSnilsError):
            event, outcome = Event.SNILS_INVALID, page(Failure.SNILS_INVALID, 403)
        await self._audit.record(event, context, outcome=FAILURE, client_id=req.client_id, details=details)
        return outcome

    async def identity(
        self, exc: Exception, req: AuthorizationRequest, tx: LoginTransaction, identity: UpstreamIdentity,
        context: AuditContext, *, connector: Connector,
    ) -> Outcome:
        details: dict[str, Any] = {"connector": tx.connector}
        page = partial(FailurePage, upstream=upstream_label(connector))
        if isinstance(exc, NotConfirmed):
            unverified = connector.kind != "esia"  # another provider did not vouch for the SNILS
            if unverified:
                details["reason"] = "snils_unverified"
            failure = Failure.SNILS_UNVERIFIED if unverified else Failure.NOT_CONFIRMED
            event, outcome = Event.ACCOUNT_NOT_CONFIRMED, page(failure, 403)
        elif isinstance(exc, NoFrmrRecord):
            restart = restart_url(self._issuer, tx.request, tx.connector)
            event = Event.NO_FRMR_RECORD
            outcome = page(Failure.NO_FRMR_DATA, 403, restart_url=restart)
        elif isinstance(exc, InsufficientRights):
            details["scopes"] = list(exc.scopes)
            event, outcome = Event.INSUFFICIENT_RIGHTS, FailurePage(Failure.INSUFFICIENT_RIGHTS, 403)
        elif isinstance(exc, StorageConflict):
            event, outcome = Event.SUBJECT_CONFLICT, page(Failure.ACCOUNT_CONFLICT, 409)
        else:
            raise exc
        await self._audit.record(
            event, context, outcome=FAILURE, client_id=req.client_id, snils=identity.snils, details=details
        )
        return outcome

    async def rights(
        self, exc: InsufficientRights, req: AuthorizationRequest, subject: str, context: AuditContext
    ) -> Outcome:
        await self._audit.record(
            Event.INSUFFICIENT_RIGHTS, context, outcome=FAILURE, client_id=req.client_id, subject_id=subject,
            details={"scopes": list(exc.scopes)},
        )
        return FailurePage(Failure.INSUFFICIENT_RIGHTS, 403)
