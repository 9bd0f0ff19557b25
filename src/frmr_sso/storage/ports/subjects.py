"""Subject ports: the broker's own people (one per ESIA account) and their second factor."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

SUBJECT_ID_LENGTH = 36
"""A subject id is a UUID in its 36-character text form; the stores hold no longer one."""


@dataclass(frozen=True, slots=True)
class SubjectRecord:
    id: str
    esia_oid: str
    snils_hash: str | None
    created_at: datetime
    last_login_at: datetime | None


@dataclass(frozen=True, slots=True)
class SubjectLink:
    """A further upstream identity of a subject, linked because its verified SNILS is the subject's."""

    link_key: str
    subject_id: str
    connector: str
    linked_at: datetime


@dataclass(frozen=True, slots=True)
class LoginSubject:
    """The subject a login maps to; ``linked`` when this login linked a new identity to it."""

    subject: SubjectRecord
    linked: bool = False


class SubjectRepository(Protocol):
    async def get(self, subject_id: str) -> SubjectRecord | None: ...

    async def get_by_esia_oid(self, esia_oid: str) -> SubjectRecord | None: ...

    async def get_or_create_by_esia_oid(
        self, esia_oid: str, *, snils_hash: str | None = None, earlier_snils_hashes: Sequence[str] = ()
    ) -> SubjectRecord:
        """The one subject for this ESIA oid, created on first sight even under concurrent calls.

        ``snils_hash`` is stored on creation; StorageConflict when another subject
        already holds it or one of ``earlier_snils_hashes`` (the same SNILS keyed
        under a previous secret key). A found subject holding one of those is
        re-keyed to ``snils_hash``.
        """

    async def for_login(
        self, link_key: str, *, connector: str, snils_hash: str, earlier_snils_hashes: Sequence[str] = ()
    ) -> LoginSubject:
        """The one subject for a login whose SNILS the upstream verified: found by ``link_key`` (the
        subject's first identity or a link), else by the SNILS hash (the identity is linked to that
        subject), else created. Concurrent first logins of one person end on one subject. The login
        is recorded on the subject (``last_login_at``, as ``touch_login`` does)."""

    async def links_of(self, subject_id: str) -> list[SubjectLink]: ...

    async def unlink(self, subject_id: str, connector: str) -> int:
        """Remove the subject's links through ``connector``; how many went. The first identity stays."""

    async def touch_login(self, subject_id: str, at: datetime | None = None) -> bool: ...


# -- the broker's second factor (see frmr_sso.second_factor.policy) --------------------------------


@dataclass(frozen=True, slots=True)
class TotpCredentialRecord:
    """A subject's confirmed TOTP secret, sealed (``FieldCipher`` purpose ``totp``, bound to the subject)."""

    subject_id: str
    secret_encrypted: str
    confirmed_at: datetime
    last_used_step: int | None = None


class SecondFactorRepository(Protocol):
    async def get(self, subject_id: str) -> TotpCredentialRecord | None: ...

    async def enrol(self, credential: TotpCredentialRecord, recovery_code_hashes: Sequence[str]) -> None:
        """In one transaction: the subject's previous credential and recovery codes go, these come."""

    async def advance_step(self, subject_id: str, step: int) -> bool:
        """Record ``step`` as the last accepted one; False (nothing written) when it is not newer."""

    async def use_recovery_code(self, subject_id: str, code_hash: str, *, at: datetime) -> bool:
        """Spend one unused code (one conditional UPDATE); False when unknown or already used."""

    async def remaining_recovery_codes(self, subject_id: str) -> int: ...

    async def replace_recovery_codes(self, subject_id: str, recovery_code_hashes: Sequence[str]) -> bool:
        """In one transaction: every earlier recovery code goes, these come; False (nothing written)
        when the subject has no credential."""

    async def reset(self, subject_id: str) -> bool:
        """Delete the credential and its recovery codes; False when there was none."""


@dataclass(frozen=True, slots=True)
class PasskeyRecord:
    """A subject's WebAuthn credential: its public key (COSE) and the last signature counter seen.

    ``id`` is the broker's own short handle (forms name a passkey by it); ``credential_id`` is the
    authenticator's id in base64url. Nothing here is secret.
    """

    id: str
    subject_id: str
    credential_id: str
    name: str
    public_key: bytes = field(repr=False)
    sign_count: int
    created_at: datetime
    transports: tuple[str, ...] = ()
    last_used_at: datetime | None = None


class PasskeyRepository(Protocol):
    async def of_subject(self, subject_id: str) -> list[PasskeyRecord]:
        """The subject's passkeys, oldest first."""

    async def by_credential_id(self, credential_id: str) -> PasskeyRecord | None: ...

    async def add(self, record: PasskeyRecord) -> bool:
        """False (nothing written) when the credential id is already registered."""

    async def record_use(self, passkey_id: str, sign_count: int, *, at: datetime) -> bool:
        """Store a newer counter and the time of use, in one conditional UPDATE: False (nothing
        written) when ``sign_count`` is not above the stored one (both zero: the authenticator keeps none)."""

    async def remove(self, subject_id: str, passkey_id: str) -> PasskeyRecord | None:
        """Delete one of the subject's passkeys; the removed record, None when there was none."""

    async def remove_all(self, subject_id: str) -> int:
        """Delete every passkey of the subject; how many there were."""
