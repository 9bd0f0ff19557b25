"""Re-seal every durable sealed value under the current secret key (``frmr-sso secrets reseal``).

After ``FRMR_SSO_SECRET_KEY`` changes, the old key goes to
``FRMR_SSO_PREVIOUS_SECRET_KEYS`` and values sealed under it still open. This
use case walks each ``SealedColumn`` in batches (keyset order by row id, one
short write transaction per batch, so a running broker keeps serving), opens
each value with any accepted key and seals it again under the current one. A
value already under the current key is left alone, which makes a second run a
no-op; a value no accepted key opens is counted and left as it is; a row the
broker rewrote meanwhile (compare-and-set) already holds a current value.

Values in the key-value store (SSO and cabinet sessions, logins waiting for the
second factor, enrolments in progress) are not rewritten: they expire within
the session lifetime and open under the previous key until then.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from frmr_sso.security.crypto import DecryptionError, SecretKeys
from frmr_sso.storage.ports.sealed import SealedColumn, SealedValue

DEFAULT_BATCH_SIZE = 100


@dataclass(slots=True)
class ResealCount:
    kind: str
    resealed: int = 0  # moved from a previous key to the current one
    current: int = 0  # already under the current key
    changed: int = 0  # rewritten by the broker during the run (so already current)
    unreadable: int = 0  # opened by no accepted key: left as it is

    @property
    def total(self) -> int:
        return self.resealed + self.current + self.changed + self.unreadable


async def reseal_column(
    column: SealedColumn, keys: SecretKeys, *, batch_size: int = DEFAULT_BATCH_SIZE
) -> ResealCount:
    if batch_size < 1:
        raise ValueError("batch_size must be positive")
    cipher = keys.cipher(column.purpose)
    count = ResealCount(column.kind)
    after: str | None = None
    while batch := await column.batch(after, batch_size):
        after = batch[-1].row_id
        changes: list[tuple[SealedValue, str]] = []
        for value in batch:
            try:
                fresh = cipher.reseal(value.sealed, associated_data=value.row_id)
            except DecryptionError:
                count.unreadable += 1
                continue
            if fresh is None:
                count.current += 1
            else:
                changes.append((value, fresh))
        if changes:
            written = await column.replace(changes)
            count.resealed += written
            count.changed += len(changes) - written
    return count


async def reseal_all(
    columns: Sequence[SealedColumn], keys: SecretKeys, *, batch_size: int = DEFAULT_BATCH_SIZE
) -> list[ResealCount]:
    """One count per column, in order; a storage failure stops the run (a rerun carries on)."""
    return [await reseal_column(column, keys, batch_size=batch_size) for column in columns]
