"""The mock's "SMS gateway": one-time codes land here instead of on a phone.

Messages are kept per recipient, newest first, in bounded queues, and are
readable by every login form of the account (phone, e-mail, SNILS) through
``GET /_dev/outbox?login=…`` in dev mode. The outbox is in-process memory:
mock ESIA is meant to run as a single process (one uvicorn worker), so the
process that sends a code is the one that serves the outbox. Codes never go to
the logs.
"""

from __future__ import annotations

from collections import OrderedDict, deque
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from datetime import UTC, datetime

from mock_esia.accounts import login_candidates

MAX_PER_RECIPIENT = 20
MAX_RECIPIENTS = 1000


@dataclass(frozen=True)
class SmsMessage:
    login: str
    phone: str
    text: str
    code: str
    sent_at: str

    def as_json(self) -> dict[str, str]:
        return asdict(self)


class Outbox:
    """SMS messages per recipient, newest first; the oldest recipients are forgotten first."""

    def __init__(self, *, per_recipient: int = MAX_PER_RECIPIENT, recipients: int = MAX_RECIPIENTS) -> None:
        self._per_recipient = per_recipient
        self._recipients = recipients
        self._queues: OrderedDict[str, deque[SmsMessage]] = OrderedDict()
        self._aliases: dict[str, str] = {}

    def send(self, *, phone: str, text: str, code: str, aliases: Iterable[str] = ()) -> SmsMessage:
        """Deliver to ``phone``; ``aliases`` are the other normalised logins that read the same queue."""
        message = SmsMessage(
            login=phone, phone=phone, text=text, code=code, sent_at=datetime.now(UTC).isoformat()
        )
        queue = self._queues.pop(phone, None) or deque(maxlen=self._per_recipient)
        queue.appendleft(message)
        self._queues[phone] = queue
        for alias in (phone, *aliases):
            if alias:
                self._aliases[alias] = phone
        while len(self._queues) > self._recipients:
            dropped, _ = self._queues.popitem(last=False)
            self._aliases = {k: v for k, v in self._aliases.items() if v != dropped}
        return message

    def messages(self, raw_login: str) -> list[SmsMessage]:
        """Messages for a login typed in any form the login page accepts, newest first."""
        for key in login_candidates(raw_login):
            recipient = self._aliases.get(key)
            if recipient is not None:
                return list(self._queues.get(recipient, ()))
        return []

    def latest_code(self, raw_login: str) -> str | None:
        found = self.messages(raw_login)
        return found[0].code if found else None

    def clear(self) -> None:
        self._queues.clear()
        self._aliases.clear()
