"""When the broker asks for its own second factor, and the login that waits for it.

The second factor is required when the person has enrolled one (then at every
login, whatever the client), when the client is registered with
``require_second_factor``, when the person holds one of the configured FRMR
roles (``FRMR_SSO_SECOND_FACTOR_ROLES``, ``registry_admin`` by default), or
when the client asks ``acr_values`` for ``…esia-confirmed+mfa``. The factor is a
TOTP code (or a recovery code) or a passkey. A session that already passed it
(``acr`` of that level; ``otp``, or ``hwk`` and ``user``, in its ``amr``, RFC 8176)
serves such requests; an older one steps up.

Until the code is given no session exists: the finished upstream login is kept
as a ``PendingLogin`` in the KV store for ``FRMR_SSO_SECOND_FACTOR_PENDING_TTL``
seconds, sealed (it holds the claims snapshot) and bound to the browser like a
login transaction (the ``frmr_sso_tx`` cookie, of which only a hash is kept).
The browser goes to ``/login/2fa?id=…``; the page's form carries the id and a
CSRF token bound to the pending login (``security.csrf``).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
import time
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import asdict, dataclass, field, replace
from typing import Any
from urllib.parse import urlencode

from frmr_sso.audit.events import AuditContext, Auditor, Event
from frmr_sso.login.outcomes import Redirect
from frmr_sso.login.session_store import Sealer, SsoSession
from frmr_sso.login.transaction import is_browser_binding, new_browser_binding
from frmr_sso.oauth.authorization import AuthorizationRequest, error_redirect
from frmr_sso.oauth.errors import InteractionRequired
from frmr_sso.oidc.amr import with_method
from frmr_sso.storage.ports import KeyValueStore

CONFIRMED_ACR = "urn:frmr-sso:acr:esia-confirmed"
"""Every brokered login: a confirmed upstream account whose SNILS maps to an FRMR record."""
MFA_ACR = "urn:frmr-sso:acr:esia-confirmed+mfa"
OTP_AMR = "otp"
PAGE_PATH = "/login/2fa"
_PREFIX = "login:2fa:"


def _digest(value: str) -> str:
    return hashlib.sha256(value.encode("ascii")).hexdigest()


@dataclass(frozen=True, slots=True)
class SecondFactorPolicy:
    roles: frozenset[str] = frozenset({"registry_admin"})

    def required(self, req: AuthorizationRequest, roles: Iterable[str]) -> bool:
        return (
            req.client.require_second_factor or MFA_ACR in req.acr_values or not self.roles.isdisjoint(roles)
        )

    @staticmethod
    def satisfied(session: SsoSession) -> bool:
        """The broker's own second factor (a code or a passkey) was passed in this session (an upstream's
        ``otp`` does not count)."""
        return session.acr == MFA_ACR


SECOND_FACTOR_AMR: dict[str, tuple[str, ...]] = {
    "totp": (OTP_AMR,),
    "recovery": (OTP_AMR,),
    "passkey": ("hwk", "user", "mfa"),
}
"""RFC 8176 values each way of passing the broker's second factor adds: a passkey is a key held in
hardware (``hwk``) that the person unlocked on the device (``user``), two factors by itself (``mfa``)."""


def with_second_factor(session: SsoSession, method: str = "totp") -> SsoSession:
    """The session after the second factor: ``acr`` of the higher level, the method's values in ``amr``."""
    amr = session.amr
    for value in SECOND_FACTOR_AMR[method]:
        amr = with_method(amr, value)
    return replace(session, acr=MFA_ACR, amr=amr)


@dataclass(frozen=True, slots=True)
class PendingLogin:
    id: str
    browser_hash: str
    request: dict[str, Any]
    """``AuthorizationRequest.to_dict()`` of the request the login serves."""
    session: dict[str, Any] = field(repr=False)
    """The draft ``SsoSession`` (as a dict) to create once the code is right."""
    expires_at: int
    replacing_session: str | None = None
    """The id of the browser's current session, ended when this login completes (step-up)."""
    enrol_secret: str | None = field(default=None, repr=False)
    """A new TOTP secret shown for enrolment and not yet confirmed."""
    verified: str | None = None
    """``totp`` once an enrolment is confirmed: only «continue» is left (after the recovery codes)."""

    @property
    def subject(self) -> str:
        return str(self.session["subject"])

    def draft(self) -> SsoSession:
        data = dict(self.session)
        data["amr"], data["roles"] = tuple(data["amr"]), tuple(data["roles"])
        return SsoSession(**data)

    def bound_to(self, browser: str | None) -> bool:
        return browser is not None and hmac.compare_digest(self.browser_hash, _digest(browser))


class PendingLogins:
    def __init__(
        self, kv: KeyValueStore, sealer: Sealer, *, ttl: int, clock: Callable[[], float] = time.time
    ) -> None:
        self._kv, self._sealer, self.ttl, self._clock = kv, sealer, ttl, clock

    async def open(
        self, req: AuthorizationRequest, draft: SsoSession, *, browser: str, replacing: str | None = None
    ) -> PendingLogin:
        pending = PendingLogin(
            id=secrets.token_urlsafe(24),
            browser_hash=_digest(browser),
            request=req.to_dict(),
            session=asdict(draft),
            expires_at=int(self._clock()) + self.ttl,
            replacing_session=replacing,
        )
        await self.save(pending)
        return pending

    async def save(self, pending: PendingLogin) -> None:
        ttl = pending.expires_at - int(self._clock())
        if ttl <= 0:
            return
        sealed = self._sealer.encrypt(
            json.dumps(asdict(pending), ensure_ascii=False), associated_data=pending.id
        )
        await self._kv.set(_PREFIX + pending.id, sealed, ttl=ttl)

    async def get(self, pending_id: str | None, browser: str | None) -> PendingLogin | None:
        """The pending login of ``pending_id`` opened by this browser; None when unknown or expired."""
        if not _well_formed(pending_id) or pending_id is None:
            return None
        return self._open(await self._kv.get(_PREFIX + pending_id), pending_id, browser)

    async def consume(self, pending_id: str, browser: str | None) -> PendingLogin | None:
        """As ``get``, removed in the same step: one login completes, however many requests race."""
        raw = await self._kv.get_and_delete(_PREFIX + pending_id) if _well_formed(pending_id) else None
        return self._open(raw, pending_id, browser)

    def _open(self, raw: str | None, pending_id: str, browser: str | None) -> PendingLogin | None:
        if raw is None:
            return None
        data = json.loads(self._sealer.decrypt_text(raw, associated_data=pending_id))
        data.pop("csrf", None)  # kept by earlier versions; the token is now derived (``security.csrf``)
        pending = PendingLogin(**data)
        if not pending.bound_to(browser) or pending.expires_at <= int(self._clock()):
            return None
        return pending


def _well_formed(pending_id: str | None) -> bool:
    return (
        pending_id is not None
        and 16 <= len(pending_id) <= 64
        and pending_id.replace("-", "").replace("_", "").isalnum()
    )


class SecondFactorGate:
    """What the login use case asks: is the second factor required, and if so, park the login."""

    def __init__(
        self,
        policy: SecondFactorPolicy,
        pending: PendingLogins,
        *,
        issuer: str,
        auditor: Auditor,
        enrolled: Callable[[str], Awaitable[bool]],
    ) -> None:
        self.policy, self.pending = policy, pending
        self._issuer, self._audit, self._enrolled = issuer, auditor, enrolled

    async def required(self, req: AuthorizationRequest, subject: str, roles: Iterable[str]) -> bool:
        """A login asks for the factor when policy says so, and always once the person has enrolled one."""
        return self.policy.required(req, roles) or await self._enrolled(subject)

    def needs_step_up(self, req: AuthorizationRequest, session: SsoSession) -> bool:
        return self.policy.required(req, session.roles) and not self.policy.satisfied(session)

    async def step_up(
        self, req: AuthorizationRequest, session: SsoSession, *, browser: str | None, context: AuditContext
    ) -> Redirect:
        """An SSO session without the second factor meets a request that needs it."""
        if "none" in req.prompt:
            error = req.redirect_error(InteractionRequired, "the second factor is required")
            return Redirect(error_redirect(error, issuer=self._issuer))
        return await self.begin(req, session, browser=browser, context=context, replacing=session.id)

    async def begin(
        self,
        req: AuthorizationRequest,
        draft: SsoSession,
        *,
        browser: str | None,
        context: AuditContext,
        replacing: str | None = None,
    ) -> Redirect:
        if browser is None or not is_browser_binding(browser):
            browser = new_browser_binding()
        pending = await self.pending.open(req, draft, browser=browser, replacing=replacing)
        await self._audit.record(
            Event.SECOND_FACTOR_REQUIRED,
            context,
            client_id=req.client_id,
            subject_id=draft.subject,
            details={"step_up": replacing is not None, "acr_values": list(req.acr_values) or None},
        )
        location = f"{self._issuer}{PAGE_PATH}?{urlencode({'id': pending.id})}"
        return Redirect(location, browser_cookie=browser)
