"""Notifier port: how the broker sends a one-time code to a worker's new e-mail or phone.

``DevOutbox`` (demo mode only) keeps the messages in the key-value store, newest
first, where ``GET /_dev/outbox?address=…`` reads them, as the mock ESIA does for
its SMS codes. ``UnavailableNotifier`` is the production default until a mail or
SMS gateway is wired in: sending fails with ``NotifierUnavailable``, and the API
answers 503, so no request waits for a code that never comes.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Literal, Protocol

from frmr_sso.errors import FrmrSsoError
from frmr_sso.storage.ports import KeyValueStore

Channel = Literal["email", "sms"]
OUTBOX_TTL = 3600.0
OUTBOX_SIZE = 20


class NotifierUnavailable(FrmrSsoError):
    """No gateway can deliver the message now."""


class Notifier(Protocol):
    async def send(self, channel: Channel, address: str, text: str) -> None: ...


class DevOutbox:
    def __init__(
        self, kv: KeyValueStore, *, clock: Callable[[], datetime] = lambda: datetime.now(UTC)
    ) -> None:
        self._kv, self._clock = kv, clock

    @staticmethod
    def _key(address: str) -> str:
        return f"dev-outbox:{address.lower()}"

    async def send(self, channel: Channel, address: str, text: str) -> None:
        messages = await self.read(address)
        entry = {"channel": channel, "address": address, "text": text, "sent_at": self._clock().isoformat()}
        messages.insert(0, entry)
        await self._kv.set(
            self._key(address), json.dumps(messages[:OUTBOX_SIZE], ensure_ascii=False), OUTBOX_TTL
        )

    async def read(self, address: str) -> list[dict[str, str]]:
        raw = await self._kv.get(self._key(address))
        messages: list[dict[str, str]] = json.loads(raw) if raw else []
        return messages


class UnavailableNotifier:
    async def send(self, channel: Channel, address: str, text: str) -> None:
        raise NotifierUnavailable("no e-mail or SMS gateway is configured")
