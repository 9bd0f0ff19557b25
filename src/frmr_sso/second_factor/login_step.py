"""The broker's 2FA page as a use case: show the form (or the enrolment), check a code, finish the login.

    GET  /login/2fa?id ─ no pending login for id+browser ──▶ FailurePage(stale_login)
                       ─ subject enrolled ─────────────────▶ CodeForm
                       ─ not enrolled ─────────────────────▶ CodeForm(enrolment: QR, URI, secret)
    POST /login/2fa    ─ wrong CSRF ───────────────────────▶ FailurePage(stale_login)
                       ─ subject or IP locked ─────────────▶ LockedOut(status)
                       ─ wrong code / replay ──────────────▶ CodeForm(error)
                       ─ first code of an enrolment ───────▶ RecoveryCodes (shown once)
                       ─ right code or recovery code ──────▶ Redirect(code, frmr_sso_session)
    POST /login/2fa/continue (after the recovery codes) ───▶ Redirect(code, frmr_sso_session)

Wrong codes count per subject and per IP (``Security.check``, kind ``subject``):
slots are reserved before a code is checked, so parallel guesses never exceed
the limit. Every step is an audit event. The browser's previous session (a
step-up, or another login in the same browser) lives on until the code is
right; then ``LoginService.complete`` ends it as any login does.
"""

from __future__ import annotations

from collections.abc import Awaitable
from dataclasses import dataclass, replace
from typing import Any, Literal, Protocol

from frmr_sso.audit.events import FAILURE, SUCCESS, AuditContext, Auditor, Event
from frmr_sso.identity.snils import InvalidSnils, Snils
from frmr_sso.login.outcomes import Failure, FailurePage, Redirect
from frmr_sso.login.session_store import SsoSession
from frmr_sso.oauth.authorization import AuthorizationRequest
from frmr_sso.oauth.ports import ClientLookup
from frmr_sso.second_factor import totp
from frmr_sso.second_factor.credentials import TotpCredentials, Verdict
from frmr_sso.second_factor.passkeys import Passkeys, login_binding
from frmr_sso.second_factor.policy import PendingLogin, PendingLogins, with_second_factor
from frmr_sso.security.csrf import CsrfTokens, FormKind
from frmr_sso.security.lockout import LockStatus
from frmr_sso.security.services import Security

MAX_CODE = 64


@dataclass(frozen=True, slots=True)
class Enrolment:
    qr_svg: str
    uri: str
    secret_groups: str


@dataclass(frozen=True, slots=True)
class PasskeyPrompt:
    """What the page's script hands to ``navigator.credentials``: ``create`` (enrol) or ``get`` (sign in)."""

    mode: Literal["create", "get"]
    options_json: str


@dataclass(frozen=True, slots=True)
class CodeForm:
    pending_id: str
    csrf: str
    enrolment: Enrolment | None = None
    error: bool = False
    passkey: PasskeyPrompt | None = None
    totp: bool = True
    """The person can answer with a code (has an authenticator app, or is enrolling one)."""
    passkey_error: str | None = None


@dataclass(frozen=True, slots=True)
class RecoveryCodes:
    """Shown once after an enrolment; ``codes`` is empty when the page is opened again."""

    pending_id: str
    csrf: str
    codes: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class LockedOut:
    status: LockStatus


StepOutcome = CodeForm | RecoveryCodes | LockedOut | Redirect | FailurePage


class Completer(Protocol):
    def __call__(
        self,
        req: AuthorizationRequest,
        draft: SsoSession,
        *,
        context: AuditContext,
        replacing: str | None = None,
        snils: Snils | None = None,
        details: dict[str, Any] | None = None,
    ) -> Awaitable[Redirect]: ...


def display_name(claims: dict[str, Any]) -> str:
    """How an authenticator names the person's account: «Фамилия Имя», or «ФРМР»."""
    return " ".join(str(claims[k]) for k in ("family_name", "given_name") if claims.get(k)) or "ФРМР"


def enrolment(secret: str, claims: dict[str, Any]) -> Enrolment:
    uri = totp.provisioning_uri(secret, display_name(claims))
    return Enrolment(qr_svg=totp.qr_svg(uri), uri=uri, secret_groups=totp.grouped(secret))


class SecondFactorStep:
    def __init__(
        self,
        *,
        pending: PendingLogins,
        credentials: TotpCredentials,
        security: Security,
        clients: ClientLookup,
        complete: Completer,
        auditor: Auditor,
        csrf: CsrfTokens,
        passkeys: Passkeys | None = None,
    ) -> None:
        self._pending, self._credentials, self._security = pending, credentials, security
        self._clients, self._complete, self._audit, self._csrf = clients, complete, auditor, csrf
        self._passkeys = passkeys

    async def enrolled(self, subject: str) -> bool:
        """The person has a second factor of any kind: an authenticator app or a passkey."""
        return await self._credentials.enrolled(subject) or (
            self._passkeys is not None and await self._passkeys.enrolled(subject)
        )

    async def page(self, pending_id: str | None, browser: str | None, context: AuditContext) -> StepOutcome:
        pending = await self._pending.get(pending_id, browser)
        if pending is None:
            return await self.stale(context, "page")
        if pending.verified:
            return RecoveryCodes(pending.id, self.token(pending))
        return await self.form(pending, context)

    async def form(
        self,
        pending: PendingLogin,
        context: AuditContext,
        *,
        error: bool = False,
        passkey_error: str | None = None,
    ) -> CodeForm:
        """The page of a pending login: the code form and the passkey button of an enrolled person,
        else the enrolment (an authenticator app, or a passkey). Each showing issues a new challenge."""
        subject, binding = pending.subject, login_binding(pending.id)
        has_totp = await self._credentials.enrolled(subject)
        passkeys = await self._passkeys.of(subject) if self._passkeys is not None else []
        if has_totp or passkeys:
            prompt = None
            if passkeys and self._passkeys is not None:
                options = await self._passkeys.request_options(binding, subject, passkeys)
                prompt = PasskeyPrompt("get", options)
            return CodeForm(
                pending.id, self.token(pending), error=error, passkey=prompt, totp=has_totp,
                passkey_error=passkey_error,
            )  # fmt: skip
        if pending.enrol_secret is None:
            pending = replace(pending, enrol_secret=totp.new_secret())
            await self._pending.save(pending)
            await self._audit.record(
                Event.SECOND_FACTOR_ENROLMENT_STARTED,
                context,
                subject_id=pending.subject,
                client_id=pending.request["client_id"],
                details={"where": "login"},
            )
        assert pending.enrol_secret is not None
        claims = pending.session["claims"]
        prompt = None
        if self._passkeys is not None:
            options = await self._passkeys.creation_options(binding, subject, display_name(claims), [])
            prompt = PasskeyPrompt("create", options)
        return CodeForm(
            pending.id, self.token(pending), enrolment(pending.enrol_secret, claims), error=error,
            passkey=prompt, passkey_error=passkey_error,
        )  # fmt: skip

    async def submit(
        self, pending_id: str | None, csrf: str | None, code: str, browser: str | None, context: AuditContext
    ) -> StepOutcome:
        pending = await self.posted(pending_id, csrf, browser)
        if pending is None:
            return await self.stale(context, "submit")
        if pending.verified:
            return RecoveryCodes(pending.id, self.token(pending))
        subject, code = pending.subject, code.strip()[:MAX_CODE]
        secret = None if await self.enrolled(subject) else pending.enrol_secret
        found: list[Verdict | int | None] = []

        async def check() -> bool:
            if secret is not None:
                found.append(self._credentials.confirm(secret, code))
                return found[-1] is not None
            found.append(await self._credentials.verify(subject, code))
            return found[-1] in (Verdict.TOTP, Verdict.RECOVERY)

        checked = await self._security.check("subject", subject, context, check)
        result = found[-1] if found else None
        if not checked.ok:
            await self._rejected(pending, found, checked.status, context)
            if checked.status.locked:
                return LockedOut(checked.status)
            return await self.form(pending, context, error=True)
        if secret is not None:
            assert isinstance(result, int)
            codes = await self._credentials.enrol(subject, secret, result)
            await self._pending.save(replace(pending, enrol_secret=None, verified="totp"))
            await self._audit.record(
                Event.SECOND_FACTOR_ENROLLED,
                context,
                outcome=SUCCESS,
                subject_id=subject,
                client_id=pending.request["client_id"],
                details={"where": "login", "recovery_codes": len(codes)},
            )
            return RecoveryCodes(pending.id, self.token(pending), tuple(codes))
        method = "recovery" if result is Verdict.RECOVERY else "totp"
        await self._accepted(pending, method, context)
        return await self.finish(pending.id, browser, method, context)

    async def proceed(
        self, pending_id: str | None, csrf: str | None, browser: str | None, context: AuditContext
    ) -> StepOutcome:
        """«Продолжить» after the recovery codes of a new enrolment."""
        pending = await self.posted(pending_id, csrf, browser)
        if pending is None or not pending.verified:
            return await self.stale(context, "continue")
        return await self.finish(pending.id, browser, pending.verified, context)

    async def posted(
        self, pending_id: str | None, csrf: str | None, browser: str | None
    ) -> PendingLogin | None:
        """The pending login a form was posted for, when its CSRF token is bound to it."""
        pending = await self._pending.get(pending_id, browser)
        bound = pending is not None and self._csrf.valid(FormKind.LOGIN_SECOND_FACTOR, pending.id, csrf)
        return pending if bound else None

    def token(self, pending: PendingLogin) -> str:
        """The CSRF token of the pending login's forms."""
        return self._csrf.issue(FormKind.LOGIN_SECOND_FACTOR, pending.id)

    async def finish(
        self, pending_id: str, browser: str | None, method: str, context: AuditContext
    ) -> StepOutcome:
        pending = await self._pending.consume(pending_id, browser)
        client = None if pending is None else await self._clients(pending.request["client_id"])
        if pending is None or client is None:
            return await self.stale(context, "finish")
        draft = with_second_factor(pending.draft(), method)
        req = AuthorizationRequest.from_dict(pending.request, client)
        details: dict[str, Any] = {"second_factor": method, "step_up": pending.replacing_session is not None}
        replacing, snils = pending.replacing_session, _snils(draft)
        return await self._complete(
            req, draft, context=context, replacing=replacing, snils=snils, details=details
        )

    async def _accepted(self, pending: PendingLogin, method: str, context: AuditContext) -> None:
        subject, client_id = pending.subject, pending.request["client_id"]
        if method == "recovery":
            left = await self._credentials.remaining_recovery_codes(subject)
            await self._audit.record(
                Event.RECOVERY_CODE_USED,
                context,
                outcome=SUCCESS,
                subject_id=subject,
                client_id=client_id,
                details={"remaining": left},
            )
        else:
            await self._audit.record(
                Event.SECOND_FACTOR_ACCEPTED,
                context,
                outcome=SUCCESS,
                subject_id=subject,
                client_id=client_id,
            )

    async def _rejected(
        self,
        pending: PendingLogin,
        found: list[Verdict | int | None],
        status: LockStatus,
        context: AuditContext,
    ) -> None:
        """``found`` is empty when a lock refused the code before it was checked."""
        event, reason = Event.SECOND_FACTOR_REJECTED, "wrong" if found else "locked"
        if found and found[-1] is Verdict.REPLAY:
            event, reason = Event.SECOND_FACTOR_REPLAY, "replay"
        await self._audit.record(
            event,
            context,
            outcome=FAILURE,
            subject_id=pending.subject,
            client_id=pending.request["client_id"],
            details={"reason": reason, "locked": status.locked or None},
        )

    async def stale(self, context: AuditContext, where: str) -> FailurePage:
        await self._audit.record(
            Event.STALE_TRANSACTION, context, outcome=FAILURE, details={"second_factor": where}
        )
        return FailurePage(Failure.STALE_LOGIN, 400)


def _snils(session: SsoSession) -> Snils | None:
    try:
        return Snils.parse(str(session.claims["snils"])) if session.claims.get("snils") else None
    except InvalidSnils:
        return None
