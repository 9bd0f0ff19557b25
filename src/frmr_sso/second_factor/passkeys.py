"""A person's passkeys: enrol, authenticate, list, remove (storage through the ports).

A challenge is 32 random bytes kept in the KV store under the ceremony's
binding (``login:<pending login id>`` or ``account:<SSO session id>``) with the
subject and the kind of ceremony; it is read once (``get_and_delete``) when the
browser's answer arrives, so an answer can be checked against it only once and
only for the login or session it was issued to. A passkey's use moves its
signature counter forward with one conditional UPDATE: the same assertion
racing in twice passes once.
"""

from __future__ import annotations

import json
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import Literal

from frmr_sso.second_factor import ceremony
from frmr_sso.second_factor.ceremony import CeremonyFailed, CloneDetected, RelyingParty
from frmr_sso.storage.ports import KeyValueStore, PasskeyRecord, PasskeyRepository

CHALLENGE_TTL = 300
MAX_PASSKEYS = 10
MAX_NAME = 64
Kind = Literal["create", "get"]


class PasskeyVerdict(StrEnum):
    ACCEPTED = "accepted"
    WRONG = "wrong"
    """The signature, origin, RP id or user verification does not hold, or the answer is malformed."""
    UNKNOWN = "unknown_credential"
    """No passkey of this person has the credential id."""
    REPLAY = "replay"
    """No challenge waits for this login (already answered, expired, or never issued)."""
    CLONE = "clone"
    """The signature holds but the counter did not increase: a copy of the authenticator."""


@dataclass(frozen=True, slots=True)
class Authentication:
    verdict: PasskeyVerdict
    passkey: PasskeyRecord | None = None


@dataclass(frozen=True, slots=True)
class Registration:
    passkey: PasskeyRecord | None
    reason: str | None = None
    """Why nothing was stored: ``replay``, ``malformed``, ``registration``, ``duplicate``, ``too_many``."""


def login_binding(pending_id: str) -> str:
    """A challenge issued at the page of a pending login answers that login only."""
    return f"login:{pending_id}"


def account_binding(session_id: str) -> str:
    return f"account:{session_id}"


def clean_name(name: str, count: int) -> str:
    """A passkey's name as typed (control characters dropped), or «Ключ доступа N»."""
    cleaned = " ".join("".join(ch for ch in name if ch.isprintable()).split())[:MAX_NAME]
    return cleaned or f"Ключ доступа {count + 1}"


class Passkeys:
    def __init__(
        self, repository: PasskeyRepository, kv: KeyValueStore, rp: RelyingParty, *, namespace: str = "",
        ttl: int = CHALLENGE_TTL, clock: Callable[[], float] = time.time,
    ) -> None:  # fmt: skip
        self._repo, self._kv, self.rp = repository, kv, rp
        self._ns, self._ttl, self._clock = namespace, ttl, clock

    async def of(self, subject: str) -> list[PasskeyRecord]:
        return await self._repo.of_subject(subject)

    async def enrolled(self, subject: str) -> bool:
        return bool(await self._repo.of_subject(subject))

    async def request_options(self, binding: str, subject: str, passkeys: list[PasskeyRecord]) -> str:
        challenge = await self._issue(binding, subject, "get")
        allowed = [(p.credential_id, p.transports) for p in passkeys]
        return ceremony.request_options(self.rp, challenge=challenge, allowed=allowed)

    async def creation_options(
        self, binding: str, subject: str, display_name: str, passkeys: list[PasskeyRecord]
    ) -> str:
        challenge = await self._issue(binding, subject, "create")
        return ceremony.creation_options(
            self.rp, challenge=challenge, user_id=subject.encode(), user_name=display_name,
            display_name=display_name, existing=[(p.credential_id, p.transports) for p in passkeys],
        )  # fmt: skip

    async def authenticate(self, binding: str, subject: str, credential_json: str) -> Authentication:
        """Check an assertion of ``subject``; the passkey used when it is right."""
        challenge = await self._take(binding, subject, "get")
        if challenge is None:
            return Authentication(PasskeyVerdict.REPLAY)
        try:
            credential = ceremony.parse(credential_json)
        except CeremonyFailed:
            return Authentication(PasskeyVerdict.WRONG)
        passkey = await self._repo.by_credential_id(str(credential["id"]))
        if passkey is None or passkey.subject_id != subject:
            return Authentication(PasskeyVerdict.UNKNOWN)
        try:
            counter = ceremony.verify_assertion(
                self.rp, credential, challenge=challenge, public_key=passkey.public_key,
                sign_count=passkey.sign_count,
            )  # fmt: skip
        except CloneDetected:
            return Authentication(PasskeyVerdict.CLONE, passkey)
        except CeremonyFailed:
            return Authentication(PasskeyVerdict.WRONG, passkey)
        if not await self._repo.record_use(passkey.id, counter, at=self._now()):
            return Authentication(PasskeyVerdict.REPLAY if counter == 0 else PasskeyVerdict.CLONE, passkey)
        return Authentication(PasskeyVerdict.ACCEPTED, passkey)

    async def register(self, binding: str, subject: str, name: str, credential_json: str) -> Registration:
        """Verify a new credential of ``subject`` and store it under ``name``."""
        challenge = await self._take(binding, subject, "create")
        if challenge is None:
            return Registration(None, "replay")
        try:
            credential = ceremony.parse(credential_json)
            created = ceremony.verify_creation(self.rp, credential, challenge=challenge)
        except CeremonyFailed as exc:
            return Registration(None, exc.reason)
        existing = await self._repo.of_subject(subject)
        if len(existing) >= MAX_PASSKEYS:
            return Registration(None, "too_many")
        passkey = PasskeyRecord(
            id=secrets.token_urlsafe(12), subject_id=subject, credential_id=created.credential_id,
            name=clean_name(name, len(existing)), public_key=created.public_key,
            sign_count=created.sign_count, created_at=self._now(), transports=created.transports,
        )  # fmt: skip
        if not await self._repo.add(passkey):
            return Registration(None, "duplicate")
        return Registration(passkey)

    async def remove(self, subject: str, passkey_id: str) -> PasskeyRecord | None:
        return await self._repo.remove(subject, passkey_id[:64])

    async def remove_all(self, subject: str) -> int:
        return await self._repo.remove_all(subject)

    async def _issue(self, binding: str, subject: str, kind: Kind) -> bytes:
        challenge = secrets.token_bytes(32)
        value = json.dumps({"c": challenge.hex(), "s": subject, "k": kind})
        await self._kv.set(self._key(binding), value, ttl=self._ttl)
        return challenge

    async def _take(self, binding: str, subject: str, kind: Kind) -> bytes | None:
        raw = await self._kv.get_and_delete(self._key(binding))
        if raw is None:
            return None
        stored = json.loads(raw)
        if stored.get("s") != subject or stored.get("k") != kind:
            return None
        return bytes.fromhex(stored["c"])

    def _key(self, binding: str) -> str:
        return f"passkey:challenge:{self._ns}:{binding}"

    def _now(self) -> datetime:
        return datetime.fromtimestamp(self._clock(), UTC)
