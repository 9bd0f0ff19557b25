"""``/account/2fa/passkeys``: a person lists, adds and removes their passkeys, with a live SSO session.

A person who has any second factor must have passed it in this session (``acr``
…+mfa): a stolen upstream login alone can neither add a passkey nor remove one.
Each showing of the page issues a new challenge bound to the SSO session; a
refused registration counts toward the subject's lockout as a wrong code does.
Every addition, refusal and removal is an audit event.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from frmr_sso.audit.events import FAILURE, SUCCESS, AuditContext, Auditor, Event
from frmr_sso.login.session_store import Sealer, SessionStore, SsoSession
from frmr_sso.second_factor.account_forms import AccountForms, Refused
from frmr_sso.second_factor.login_step import LockedOut, PasskeyPrompt, display_name
from frmr_sso.second_factor.passkey_login import passkey_details
from frmr_sso.second_factor.passkeys import MAX_PASSKEYS, Passkeys, Registration, account_binding
from frmr_sso.second_factor.policy import SecondFactorPolicy
from frmr_sso.security.csrf import CsrfTokens, FormKind
from frmr_sso.security.services import Security
from frmr_sso.storage.ports import KeyValueStore, PasskeyRecord

_PREFIX = "account:passkeys:"


@dataclass(frozen=True, slots=True)
class PasskeyList:
    csrf: str
    passkeys: tuple[PasskeyRecord, ...]
    prompt: PasskeyPrompt | None
    """None when the person has as many passkeys as allowed."""
    notice: str | None = None
    """``added`` or ``removed``: what the last post did."""
    error: str | None = None


PasskeyAccountOutcome = PasskeyList | LockedOut | Refused


class AccountPasskeys:
    def __init__(
        self, *, sessions: SessionStore, passkeys: Passkeys, security: Security, kv: KeyValueStore,
        sealer: Sealer, auditor: Auditor, csrf: CsrfTokens, enrolled: Callable[[str], Awaitable[bool]],
    ) -> None:  # fmt: skip
        self._passkeys, self._security, self._audit, self._enrolled = passkeys, security, auditor, enrolled
        self._forms = AccountForms(
            sessions, kv, sealer, csrf=csrf, kind=FormKind.ACCOUNT_PASSKEYS, prefix=_PREFIX
        )

    async def page(self, session_cookie: str | None) -> PasskeyAccountOutcome:
        session = await self._forms.session(session_cookie)
        if session is None:
            return Refused("not_signed_in")
        if await self._guarded(session):
            return Refused("needs_second_factor")
        return await self._list(session)

    async def add(
        self, session_cookie: str | None, csrf: str | None, name: str, credential: str, context: AuditContext
    ) -> PasskeyAccountOutcome:
        posted = await self._forms.posted(session_cookie, csrf, with_draft=False)
        if isinstance(posted, Refused):
            return posted
        session = posted[0]
        if await self._guarded(session):
            return Refused("needs_second_factor")
        if not credential.strip():  # the button without the script: nothing to check, nothing counted
            return await self._list(session, error="malformed")
        subject, found = session.subject, list[Registration]()

        async def check() -> bool:
            binding = account_binding(session.id)
            found.append(await self._passkeys.register(binding, subject, name, credential))
            return found[-1].passkey is not None

        checked = await self._security.check("subject", subject, context, check)
        if not checked.ok:
            reason = (found[-1].reason if found else None) or "locked"
            await self._audit.record(
                Event.PASSKEY_ENROLMENT_REFUSED, context, outcome=FAILURE, subject_id=subject,
                details={"reason": reason, "where": "account", "locked": checked.status.locked or None},
            )  # fmt: skip
            if checked.status.locked:
                return LockedOut(checked.status)
            return await self._list(session, error=reason)
        await self._audit.record(
            Event.PASSKEY_ENROLLED, context, outcome=SUCCESS, subject_id=subject,
            details=passkey_details(found[-1].passkey, where="account"),
        )  # fmt: skip
        return await self._list(session, notice="added")

    async def remove(
        self, session_cookie: str | None, csrf: str | None, passkey_id: str, context: AuditContext
    ) -> PasskeyAccountOutcome:
        posted = await self._forms.posted(session_cookie, csrf, with_draft=False)
        if isinstance(posted, Refused):
            return posted
        session = posted[0]
        if await self._guarded(session):
            return Refused("needs_second_factor")
        removed = await self._passkeys.remove(session.subject, passkey_id)
        if removed is None:
            return await self._list(session, error="not_found")
        left = len(await self._passkeys.of(session.subject))
        await self._audit.record(
            Event.PASSKEY_REMOVED, context, outcome=SUCCESS, subject_id=session.subject,
            details=passkey_details(removed, where="account", remaining=left),
        )  # fmt: skip
        return await self._list(session, notice="removed")

    async def _list(
        self, session: SsoSession, *, notice: str | None = None, error: str | None = None
    ) -> PasskeyList:
        passkeys = await self._passkeys.of(session.subject)
        prompt = None
        if len(passkeys) < MAX_PASSKEYS:
            options = await self._passkeys.creation_options(
                account_binding(session.id), session.subject, display_name(session.claims), passkeys
            )
            prompt = PasskeyPrompt("create", options)
        return PasskeyList(self._forms.token(session), tuple(passkeys), prompt, notice, error)

    async def _guarded(self, session: SsoSession) -> bool:
        """A person with a second factor whose session did not pass it may change none of them."""
        return not SecondFactorPolicy.satisfied(session) and await self._enrolled(session.subject)
