"""The sealed-values port: durable values encrypted under the secret key, read and rewritten in batches.

Each ``SealedColumn`` is one kind of value (signing keys, TOTP secrets …) in one
place of the store. A value is bound to its row: the row id is the associated
data it was sealed with. ``replace`` is a compare-and-set, so a row the broker
rewrote in the meantime (a new enrolment, a new key) is left as the broker wrote it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Protocol


@dataclass(frozen=True, slots=True)
class SealedValue:
    row_id: str
    sealed: str = field(repr=False)


class SealedColumn(Protocol):
    @property
    def kind(self) -> str:
        """What the values are, as the operator reads it (``signing keys``)."""

    @property
    def purpose(self) -> str:
        """The ``FieldCipher`` purpose the values are sealed for."""

    async def batch(self, after: str | None, limit: int) -> Sequence[SealedValue]:
        """Up to ``limit`` values with a row id greater than ``after``, in row id order."""

    async def replace(self, changes: Sequence[tuple[SealedValue, str]]) -> int:
        """In one transaction, each row that still holds the old value gets the new one; how many did."""
