"""Passkeys at ``/login/2fa``: sign in with one, or enrol the first one, to finish a login.

    POST /login/2fa/passkey        ─ wrong CSRF / no pending login ─▶ FailurePage(stale_login)
                                   ─ subject or IP locked ──────────▶ LockedOut(status)
                                   ─ refused assertion ─────────────▶ CodeForm(passkey_error)
                                   ─ right assertion ───────────────▶ Redirect(code, frmr_sso_session)
    POST /login/2fa/passkey/enrol  ─ the person has a factor ───────▶ FailurePage(stale_login)
                                   ─ refused registration ──────────▶ CodeForm(passkey_error)
                                   ─ new passkey stored ────────────▶ Redirect(code, frmr_sso_session)

A refused assertion counts toward the subject's and the IP's lockout exactly
as a wrong TOTP code does (``Security.check``, kind ``subject``); so does a
refused registration, as a wrong first code of an authenticator app does. The
session gets ``acr`` …+mfa and ``amr`` ``hwk``, ``user``, ``mfa`` (RFC 8176).
"""

from __future__ import annotations

from typing import Any

from frmr_sso.audit.events import FAILURE, SUCCESS, AuditContext, Auditor, Event
from frmr_sso.second_factor.login_step import LockedOut, SecondFactorStep, StepOutcome
from frmr_sso.second_factor.passkeys import (
    Authentication,
    Passkeys,
    PasskeyVerdict,
    Registration,
    login_binding,
)
from frmr_sso.second_factor.policy import PendingLogin
from frmr_sso.security.lockout import LockStatus
from frmr_sso.security.services import Security

MAX_CREDENTIAL = 16_384


def passkey_details(passkey: Any, **more: Any) -> dict[str, Any]:
    """What the audit keeps of a passkey: its handle and name, never the key or the credential id."""
    found = {} if passkey is None else {"passkey": passkey.id, "passkey_name": passkey.name}
    return {**found, **{k: v for k, v in more.items() if v is not None}}


class PasskeyLoginStep:
    def __init__(
        self, *, step: SecondFactorStep, passkeys: Passkeys, security: Security, auditor: Auditor
    ) -> None:
        self._step, self._passkeys = step, passkeys
        self._security, self._audit = security, auditor

    async def submit(
        self,
        pending_id: str | None,
        csrf: str | None,
        credential: str,
        browser: str | None,
        context: AuditContext,
    ) -> StepOutcome:
        pending = await self._step.posted(pending_id, csrf, browser)
        if pending is None or pending.verified:
            return await self._step.stale(context, "passkey")
        if not credential.strip():  # the button without the script: nothing to check, nothing counted
            return await self._step.form(pending, context, passkey_error="malformed")
        found: list[Authentication] = []

        async def check() -> bool:
            found.append(
                await self._passkeys.authenticate(login_binding(pending.id), pending.subject, credential)
            )
            return found[-1].verdict is PasskeyVerdict.ACCEPTED

        checked = await self._security.check("subject", pending.subject, context, check)
        if not checked.ok:
            result = found[-1] if found else None
            reason = result.verdict.value if result is not None else "locked"
            event = Event.PASSKEY_CLONE if reason == PasskeyVerdict.CLONE else Event.PASSKEY_REJECTED
            await self._audit.record(
                event, context, outcome=FAILURE, subject_id=pending.subject, client_id=_client(pending),
                details=passkey_details(
                    result.passkey if result else None, reason=reason, where="login",
                    locked=checked.status.locked or None,
                ),
            )  # fmt: skip
            return await self._refused(pending, checked.status, context, reason)
        await self._audit.record(
            Event.PASSKEY_ACCEPTED, context, outcome=SUCCESS, subject_id=pending.subject,
            client_id=_client(pending), details=passkey_details(found[-1].passkey, where="login"),
        )  # fmt: skip
        return await self._step.finish(pending.id, browser, "passkey", context)

    async def enrol(
        self, pending_id: str | None, csrf: str | None, name: str, credential: str, browser: str | None,
        context: AuditContext,
    ) -> StepOutcome:  # fmt: skip
        """The first passkey of a person without any second factor, at the login that asks for one."""
        pending = await self._step.posted(pending_id, csrf, browser)
        if pending is None or pending.verified:
            return await self._step.stale(context, "passkey_enrol")
        if await self._step.enrolled(pending.subject):  # a factor appeared since: it must be used
            return await self._step.stale(context, "passkey_enrol")
        if not credential.strip():
            return await self._step.form(pending, context, passkey_error="malformed")
        found: list[Registration] = []

        async def check() -> bool:
            found.append(
                await self._passkeys.register(login_binding(pending.id), pending.subject, name, credential)
            )
            return found[-1].passkey is not None

        checked = await self._security.check("subject", pending.subject, context, check)
        if not checked.ok:
            reason = (found[-1].reason if found else None) or "locked"
            await self._audit.record(
                Event.PASSKEY_ENROLMENT_REFUSED, context, outcome=FAILURE, subject_id=pending.subject,
                client_id=_client(pending),
                details={"reason": reason, "where": "login", "locked": checked.status.locked or None},
            )  # fmt: skip
            return await self._refused(pending, checked.status, context, reason)
        await self._audit.record(
            Event.PASSKEY_ENROLLED, context, outcome=SUCCESS, subject_id=pending.subject,
            client_id=_client(pending), details=passkey_details(found[-1].passkey, where="login"),
        )  # fmt: skip
        return await self._step.finish(pending.id, browser, "passkey", context)

    async def _refused(
        self, pending: PendingLogin, status: LockStatus, context: AuditContext, reason: str
    ) -> StepOutcome:
        """A refused passkey: the lock page once the person is locked, else the form with the reason."""
        if status.locked:
            return LockedOut(status)
        return await self._step.form(pending, context, passkey_error=reason)


def _client(pending: PendingLogin) -> str:
    return str(pending.request["client_id"])
