"""A memory ``PasskeyRepository`` for the use-case tests (the SQL one runs in tests/integration)."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from frmr_sso.storage.ports import PasskeyRecord


class FakePasskeys:
    def __init__(self) -> None:
        self.rows: dict[str, PasskeyRecord] = {}

    async def of_subject(self, subject_id: str) -> list[PasskeyRecord]:
        return sorted(
            (p for p in self.rows.values() if p.subject_id == subject_id), key=lambda p: p.created_at
        )

    async def by_credential_id(self, credential_id: str) -> PasskeyRecord | None:
        return next((p for p in self.rows.values() if p.credential_id == credential_id), None)

    async def add(self, record: PasskeyRecord) -> bool:
        if await self.by_credential_id(record.credential_id) is not None:
            return False
        self.rows[record.id] = record
        return True

    async def record_use(self, passkey_id: str, sign_count: int, *, at: datetime) -> bool:
        found = self.rows.get(passkey_id)
        if found is None or not (found.sign_count < sign_count or found.sign_count == sign_count == 0):
            return False
        self.rows[passkey_id] = replace(found, sign_count=sign_count, last_used_at=at)
        return True

    async def remove(self, subject_id: str, passkey_id: str) -> PasskeyRecord | None:
        found = self.rows.get(passkey_id)
        if found is None or found.subject_id != subject_id:
            return None
        return self.rows.pop(passkey_id)

    async def remove_all(self, subject_id: str) -> int:
        mine = [k for k, p in self.rows.items() if p.subject_id == subject_id]
        for key in mine:
            del self.rows[key]
        return len(mine)
