"""One-time codes that confirm a new contact (e-mail or phone) of a change request.

Six digits, sent to the new contact through the ``Notifier``; only an HMAC of
the code is kept, in the key-value store, for ``ttl`` seconds, bound to the
request (a code sent before a secret key change matches under ``older_keys``).
Guesses count per worker in a ``security.limiter.Lockout`` (the broker's lockout
policy: a few wrong codes lock further tries for an escalating wait), and a
right code is consumed by one atomic read-and-delete: it works once.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Sequence
from dataclasses import dataclass

from frmr_sso.cabinet_backend.notifications import Channel, Notifier
from frmr_sso.security.limiter import Locked, Lockout
from frmr_sso.security.lockout import LockStatus
from frmr_sso.storage.ports import KeyValueStore

CODE_TTL = 600.0
DIGITS = 6


@dataclass(frozen=True, slots=True)
class CodeCheck:
    ok: bool
    lock: LockStatus | None = None  # set when the worker is locked out


class ContactCodes:
    def __init__(
        self, kv: KeyValueStore, notifier: Notifier, lockout: Lockout, *, key: bytes,
        older_keys: Sequence[bytes] = (), ttl: float = CODE_TTL,
    ) -> None:
        self._kv, self._notifier, self._lockout, self._ttl = kv, notifier, lockout, ttl
        self._keys = (key, *older_keys)

    def _digest(self, request_id: str, code: str, key: bytes | None = None) -> str:
        message = f"{request_id}:{code}".encode()
        return hmac.new(key or self._keys[0], message, hashlib.sha256).hexdigest()

    @staticmethod
    def _slot(request_id: str) -> str:
        return f"cabinet:contact-code:{request_id}"

    async def send(self, request_id: str, channel: Channel, address: str) -> None:
        code = f"{secrets.randbelow(10**DIGITS):0{DIGITS}d}"
        await self._kv.set(self._slot(request_id), self._digest(request_id, code), self._ttl)
        minutes = int(self._ttl // 60)
        await self._notifier.send(
            channel, address, f"Код подтверждения контакта в ФРМР: {code}. Действует {minutes} мин."
        )

    async def check(self, request_id: str, code: str, *, worker: str) -> CodeCheck:
        attempt = await self._lockout.attempt(worker)
        if isinstance(attempt, Locked):
            return CodeCheck(False, attempt.status)
        stored = await self._kv.get(self._slot(request_id))
        right = stored is not None and any(
            hmac.compare_digest(stored, self._digest(request_id, code, key)) for key in self._keys
        )
        if right and await self._kv.get_and_delete(self._slot(request_id)) == stored:  # once, even when raced
            await self._lockout.succeeded(worker)
            return CodeCheck(True)
        status = await self._lockout.failed(attempt)
        return CodeCheck(False, status if status.locked else None)
