"""TOTP credentials of broker subjects: check a code once, enrol, reset (storage through the ports).

A TOTP code passes once: its time step must be newer than the last accepted
one (kept durably, moved by one conditional UPDATE) and an atomic KV marker
``set_if_absent`` per (subject, step) refuses the same code racing in from
several requests or instances. A recovery code passes once through one
``UPDATE … WHERE used_at IS NULL``; codes keyed under a previous secret key (or
by an earlier version's key derivation) are tried after the current key. The
secret is sealed at rest (``FieldCipher`` purpose ``totp``, bound to the subject id).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from enum import StrEnum
from typing import Protocol

from frmr_sso.audit.events import INFO, AuditContext, Auditor, Event
from frmr_sso.second_factor import totp
from frmr_sso.storage.ports import KeyValueStore, SecondFactorRepository, TotpCredentialRecord


class Cipher(Protocol):
    def encrypt(self, plaintext: bytes | str, *, associated_data: bytes | str = b"") -> str: ...

    def decrypt_text(self, token: str, *, associated_data: bytes | str = b"") -> str: ...


class PasskeyRemoval(Protocol):
    async def remove_all(self, subject: str) -> int: ...


class Verdict(StrEnum):
    TOTP = "totp"
    RECOVERY = "recovery"
    WRONG = "wrong"
    REPLAY = "replay"

    @property
    def ok(self) -> bool:
        return self in (Verdict.TOTP, Verdict.RECOVERY)


class TotpCredentials:
    def __init__(
        self,
        repository: SecondFactorRepository,
        kv: KeyValueStore,
        cipher: Cipher,
        *,
        recovery_key: bytes,
        older_recovery_keys: Sequence[bytes] = (),
        namespace: str = "",
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._repo, self._kv, self._cipher = repository, kv, cipher
        self._recovery_key, self._ns, self._clock = recovery_key, namespace, clock
        self._recovery_keys = tuple(dict.fromkeys((recovery_key, *older_recovery_keys)))

    async def enrolled(self, subject: str) -> bool:
        return await self._repo.get(subject) is not None

    async def verify(self, subject: str, code: str) -> Verdict:
        """Check a TOTP or recovery code of an enrolled subject; WRONG when none is enrolled."""
        credential = await self._repo.get(subject)
        if credential is None:
            return Verdict.WRONG
        if totp.looks_like_recovery_code(code):
            for key in self._recovery_keys:
                code_hash = totp.hash_recovery_code(key, code)
                if await self._repo.use_recovery_code(subject, code_hash, at=self._now()):
                    return Verdict.RECOVERY
            return Verdict.WRONG
        secret = self._cipher.decrypt_text(credential.secret_encrypted, associated_data=subject)
        step = totp.matching_step(secret, code, self._clock())
        if step is None:
            return Verdict.WRONG
        return await self._spend(credential, step)

    async def _spend(self, credential: TotpCredentialRecord, step: int) -> Verdict:
        subject = credential.subject_id
        if credential.last_used_step is not None and step <= credential.last_used_step:
            return Verdict.REPLAY
        marker = f"totp:used:{self._ns}:{subject}:{step}"
        if not await self._kv.set_if_absent(marker, "1", ttl=totp.INTERVAL * (2 * totp.VALID_WINDOW + 2)):
            return Verdict.REPLAY
        return Verdict.TOTP if await self._repo.advance_step(subject, step) else Verdict.REPLAY

    def confirm(self, secret: str, code: str) -> int | None:
        """The step of a first code for a secret being enrolled; None when it does not match."""
        return totp.matching_step(secret, code, self._clock())

    async def enrol(self, subject: str, secret: str, step: int) -> list[str]:
        """Store ``secret`` (replacing any earlier one) with new recovery codes, returned in clear once.

        ``step`` (the confirming code's) counts as used.
        """
        await self._kv.set_if_absent(
            f"totp:used:{self._ns}:{subject}:{step}", "1", ttl=totp.INTERVAL * (2 * totp.VALID_WINDOW + 2)
        )
        codes = totp.new_recovery_codes()
        credential = TotpCredentialRecord(
            subject_id=subject,
            secret_encrypted=self._cipher.encrypt(secret, associated_data=subject),
            confirmed_at=self._now(),
            last_used_step=step,
        )
        await self._repo.enrol(credential, [totp.hash_recovery_code(self._recovery_key, c) for c in codes])
        return codes

    async def remaining_recovery_codes(self, subject: str) -> int:
        return await self._repo.remaining_recovery_codes(subject)

    async def replace_recovery_codes(self, subject: str) -> list[str] | None:
        """Ten new recovery codes, returned in clear once; every earlier one stops working.

        None when the subject has no authenticator (there is nothing the codes could stand in for).
        """
        codes = totp.new_recovery_codes()
        hashes = [totp.hash_recovery_code(self._recovery_key, c) for c in codes]
        return codes if await self._repo.replace_recovery_codes(subject, hashes) else None

    async def reset(self, subject: str) -> bool:
        return await self._repo.reset(subject)

    def _now(self) -> datetime:
        return datetime.fromtimestamp(self._clock(), UTC)


async def reset_second_factor(
    credentials: TotpCredentials, auditor: Auditor, subject: str, context: AuditContext, *, by: str,
    passkeys: PasskeyRemoval | None = None,
) -> bool:
    """An administrator's reset: the authenticator app, the recovery codes and every passkey go; the next
    login enrols again. Audited whether or not anything was enrolled; True when something was."""
    was_enrolled = await credentials.reset(subject)
    removed = await passkeys.remove_all(subject) if passkeys is not None else 0
    await auditor.record(
        Event.SECOND_FACTOR_RESET,
        context,
        outcome=INFO,
        subject_id=subject,
        details={"by": by, "was_enrolled": was_enrolled, "passkeys_removed": removed},
    )
    return was_enrolled or removed > 0
