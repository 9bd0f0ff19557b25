"""``/account/2fa``: a person replaces their own authenticator, with a live SSO session.

The new secret waits in the KV store (sealed, bound to the SSO session id)
until a first code of it is right; only then does it replace the old one, in
one transaction with ten new recovery codes (the old ones stop working). A
person who already has an authenticator must have used it in this session
(``otp`` in the session's ``amr``): a stolen upstream login alone cannot swap it.
Wrong codes count toward the subject's lockout like at login. The same page gives
new recovery codes (``new_recovery_codes``): the earlier set stops working at once.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from frmr_sso.audit.events import SUCCESS, AuditContext, Auditor, Event
from frmr_sso.login.session_store import Sealer, SessionStore, SsoSession
from frmr_sso.second_factor import totp
from frmr_sso.second_factor.account_forms import ENROLMENT_TTL, AccountForms, Refused
from frmr_sso.second_factor.credentials import TotpCredentials
from frmr_sso.second_factor.login_step import CodeForm, LockedOut, RecoveryCodes, enrolment
from frmr_sso.second_factor.policy import SecondFactorPolicy
from frmr_sso.security.csrf import CsrfTokens, FormKind
from frmr_sso.security.services import Security
from frmr_sso.storage.ports import KeyValueStore

_PREFIX = "account:2fa:"
__all__ = ["ENROLMENT_TTL", "AccountOutcome", "AccountSecondFactor", "Refused"]


AccountOutcome = CodeForm | RecoveryCodes | LockedOut | Refused


class AccountSecondFactor:
    def __init__(
        self, *, sessions: SessionStore, credentials: TotpCredentials, security: Security, kv: KeyValueStore,
        sealer: Sealer, auditor: Auditor, csrf: CsrfTokens, ttl: int = ENROLMENT_TTL,
        enrolled: Callable[[str], Awaitable[bool]] | None = None,
    ) -> None:  # fmt: skip
        self._credentials, self._security, self._audit = credentials, security, auditor
        self._forms = AccountForms(
            sessions, kv, sealer, csrf=csrf, kind=FormKind.ACCOUNT_SECOND_FACTOR, prefix=_PREFIX, ttl=ttl
        )
        self._enrolled = enrolled or credentials.enrolled

    async def page(self, session_cookie: str | None, context: AuditContext) -> AccountOutcome:
        session = await self._forms.session(session_cookie)
        if session is None:
            return Refused("not_signed_in")
        if await self._guarded(session):
            return Refused("needs_second_factor")
        draft = await self._forms.draft(session.id)
        if draft is None:
            draft = {"secret": totp.new_secret()}
            await self._forms.save(session.id, draft)
            await self._audit.record(
                Event.SECOND_FACTOR_ENROLMENT_STARTED,
                context,
                subject_id=session.subject,
                details={"where": "account"},
            )
        return CodeForm("", self._forms.token(session), enrolment(draft["secret"], session.claims))

    async def submit(
        self, session_cookie: str | None, csrf: str | None, code: str, context: AuditContext
    ) -> AccountOutcome:
        posted = await self._forms.posted(session_cookie, csrf)
        if isinstance(posted, Refused):
            return posted
        session, draft = posted
        if await self._guarded(session):
            return Refused("needs_second_factor")
        subject, secret = session.subject, draft["secret"]
        steps: list[int | None] = []

        async def check() -> bool:
            steps.append(self._credentials.confirm(secret, code.strip()[:64]))
            return steps[-1] is not None

        checked = await self._security.check("subject", subject, context, check)
        if not checked.ok:
            reason = "wrong" if steps else "locked"
            await self._audit.record(
                Event.SECOND_FACTOR_REJECTED,
                context,
                outcome="failure",
                subject_id=subject,
                details={"reason": reason, "where": "account", "locked": checked.status.locked or None},
            )
            if checked.status.locked:
                return LockedOut(checked.status)
            return CodeForm("", self._forms.token(session), enrolment(secret, session.claims), error=True)
        replaced = await self._credentials.enrolled(subject)
        step = steps[-1]
        assert step is not None
        codes = await self._credentials.enrol(subject, secret, step)
        await self._forms.drop(session.id)
        await self._audit.record(
            Event.SECOND_FACTOR_ENROLLED,
            context,
            outcome=SUCCESS,
            subject_id=subject,
            details={"where": "account", "replaced": replaced, "recovery_codes": len(codes)},
        )
        return RecoveryCodes("", self._forms.token(session), tuple(codes))

    async def new_recovery_codes(
        self, session_cookie: str | None, csrf: str | None, context: AuditContext
    ) -> AccountOutcome:
        """Ten new recovery codes for a person with an authenticator who used it in this session."""
        posted = await self._forms.posted(session_cookie, csrf)
        if isinstance(posted, Refused):
            return posted
        session, _ = posted
        if not SecondFactorPolicy.satisfied(session):
            return Refused("needs_second_factor")
        codes = await self._credentials.replace_recovery_codes(session.subject)
        if codes is None:
            return Refused("needs_second_factor")
        await self._audit.record(
            Event.RECOVERY_CODES_REPLACED, context, outcome=SUCCESS, subject_id=session.subject,
            details={"where": "account", "recovery_codes": len(codes)},
        )  # fmt: skip
        return RecoveryCodes("", self._forms.token(session), tuple(codes))

    async def _guarded(self, session: SsoSession) -> bool:
        """An enrolled person whose session did not pass the second factor may not replace it."""
        return not SecondFactorPolicy.satisfied(session) and await self._enrolled(session.subject)
