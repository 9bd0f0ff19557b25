"""The lockouts and rate limiters of one broker, with their audit events (``bootstrap/security.py``
builds them from the settings).

``Security.check(kind, key, context, verify)`` is the one call a second factor
(or any secret check) needs. Client secrets are counted per (client, address)
(``client_key``) and per address, never per client alone: client ids are
public, so a lock of the whole client would let anyone shut it out, while its
high-entropy secret needs no such lock. ``unlock("client", id)`` lifts the
client's locks at every address. ``Security.locked`` and ``Security.unlock``
are the only places a lock becomes an audit event: ``client.locked``,
``subject.locked``, ``ip.locked`` and their ``*.unlocked`` twins
(``details.by``: ``expiry``, ``cli`` or ``admin-api``).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Literal

from frmr_sso.audit.events import FAILURE, INFO, AuditContext, Auditor, Event
from frmr_sso.audit.refusal_digest import RefusalDigest
from frmr_sso.security.limiter import Attempt, Locked, Lockout, RateLimiter
from frmr_sso.security.lockout import OPEN, LockStatus

LockKind = Literal["client", "subject", "ip"]
RateGroup = Literal["authorize", "callback", "token", "second_factor", "bearer_failure"]
_LOCKED = {"client": Event.CLIENT_LOCKED, "subject": Event.SUBJECT_LOCKED, "ip": Event.IP_LOCKED}
_UNLOCKED = {"client": Event.CLIENT_UNLOCKED, "subject": Event.SUBJECT_UNLOCKED, "ip": Event.IP_UNLOCKED}


def client_key(client_id: str, ip: str | None) -> str:
    """The lockout key of a client's secret tried from one address."""
    return f"{client_id}@{ip or '-'}"


def _client_and_ip(key: str) -> tuple[str, str]:
    client_id, _, ip = key.rpartition("@")
    return client_id, ip


@dataclass(frozen=True, slots=True)
class Checked:
    """``ok``: the check ran and passed. Otherwise ``status`` is the lock in force or just begun
    (``OPEN`` for a plain failure): what the locked page shows."""

    ok: bool
    status: LockStatus


@dataclass
class Security:
    clients: Lockout
    subjects: Lockout
    ips: Lockout
    auditor: Auditor | None = None
    rates: dict[str, RateLimiter] = field(default_factory=dict)
    bearer_refusals: RefusalDigest | None = None  # refused bearer tokens, counted per address and reason

    def lockout(self, kind: LockKind) -> Lockout:
        return {"client": self.clients, "subject": self.subjects, "ip": self.ips}[kind]

    async def locked(self, kind: LockKind, key: str, status: LockStatus, context: AuditContext) -> None:
        """Audit a lock that a failure has just started."""
        if self.auditor is None or not status.locked:
            return
        await self.auditor.record(
            _LOCKED[kind], context, outcome=FAILURE,
            client_id=_client_and_ip(key)[0] if kind == "client" else None,
            subject_id=key if kind == "subject" else None,
            details={"lock_number": status.lock_number, "permanent": status.permanent,
                     "seconds": None if status.permanent else int(status.seconds_left), **_target(kind, key)},
        )

    async def unlocked(self, kind: LockKind, key: str, context: AuditContext, *, by: str) -> None:
        if self.auditor is not None:
            await self.auditor.record(
                _UNLOCKED[kind], context, outcome=INFO,
                client_id=key if kind == "client" else None, subject_id=key if kind == "subject" else None,
                details={"by": by, **_target(kind, key)},
            )

    async def check(
        self, kind: LockKind, key: str, context: AuditContext, verify: Callable[[], Awaitable[bool]]
    ) -> Checked:
        """Run ``verify`` (the secret or code check) only when neither ``key`` nor the IP is locked.

        Slots are reserved before ``verify`` runs, so parallel guesses never
        exceed the limit; locks and automatic unlocks are audited here.
        """
        ip_attempt = await self.ips.attempt(context.ip) if context.ip else None
        if isinstance(ip_attempt, Locked):
            return Checked(False, ip_attempt.status)
        lockout = self.lockout(kind)
        attempt = await lockout.attempt(key)
        if isinstance(attempt, Locked):
            await self._ip_failed(ip_attempt, context)
            return Checked(False, attempt.status)
        if attempt.after_lock:
            await self.unlocked(kind, key, context, by="expiry")
        if ip_attempt is not None and ip_attempt.after_lock:
            await self.unlocked("ip", ip_attempt.key, context, by="expiry")
        if await verify():
            await lockout.succeeded(key)
            if ip_attempt is not None:
                await self.ips.succeeded(ip_attempt.key)
            return Checked(True, OPEN)
        if kind == "client":  # so that unlocking the client finds its addresses
            await lockout.group_add(_client_and_ip(key)[0], key)
        status = await lockout.failed(attempt)
        await self.locked(kind, key, status, context)
        await self._ip_failed(ip_attempt, context)
        return Checked(False, status)

    async def _ip_failed(self, ip_attempt: Attempt | None, context: AuditContext) -> None:
        if ip_attempt is not None:
            await self.locked("ip", ip_attempt.key, await self.ips.failed(ip_attempt), context)

    async def unlock(self, kind: LockKind, key: str, context: AuditContext, *, by: str) -> bool:
        """Lift the lock of a client, subject or IP; audited whether or not one was in force."""
        lockout = self.lockout(kind)
        was_locked = await (lockout.unlock_group(key) if kind == "client" else lockout.unlock(key))
        await self.unlocked(kind, key, context, by=by)
        return was_locked


def _target(kind: LockKind, key: str) -> dict[str, str]:
    if kind == "client" and "@" in key:
        return {"locked_ip": _client_and_ip(key)[1]}
    return {"locked_ip": key} if kind == "ip" else {}
