"""Refused bearer tokens in the audit log, counted rather than written one by one.

Anyone can send garbage tokens, and every audit record is a durable link of the hash
chain; so refusals are grouped by address and reason (the RFC 6750 error and its fixed
description) per ``interval``. The first refusal of a group is written at once, as
before; the ones after it within the interval become ONE record when the interval
ends, with ``details.count`` (how many) and ``details.interval_seconds``, carrying the
request id, endpoint and client of the first of them. At most two records per address
and reason per interval, whatever the flood. ``aclose`` writes what is pending (shutdown).
An interval of 0 writes every refusal.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import dataclass
from typing import Any

from frmr_sso.audit.events import FAILURE, AuditContext, Auditor, Event

log = logging.getLogger(__name__)
INTERVAL_SECONDS = 60.0
MAX_GROUPS = 10_000  # groups one interval holds before it is written early

Group = tuple[str | None, str | None, str | None]


@dataclass
class _Repeats:
    event: Event
    context: AuditContext
    client_id: str | None
    details: dict[str, Any]
    count: int = 1


class RefusalDigest:
    def __init__(self, auditor: Auditor, interval: float = INTERVAL_SECONDS) -> None:
        self._auditor, self.interval = auditor, interval
        self._seen: set[Group] = set()
        self._repeats: dict[Group, _Repeats] = {}
        self._flusher: asyncio.Task[None] | None = None

    async def refused(
        self, event: Event, context: AuditContext, *, client_id: str | None, details: dict[str, Any]
    ) -> None:
        group = (context.ip, details.get("error"), details.get("description"))
        if self.interval <= 0:  # counting turned off: every refusal is a record
            await self._auditor.record(event, context, outcome=FAILURE, client_id=client_id, details=details)
            return
        if group not in self._seen:
            self._seen.add(group)
            self._schedule()
            await self._auditor.record(event, context, outcome=FAILURE, client_id=client_id, details=details)
            return
        repeats = self._repeats.get(group)
        if repeats is None:
            self._repeats[group] = _Repeats(event, context, client_id, details)
        else:
            repeats.count += 1
        if len(self._seen) >= MAX_GROUPS:
            await self.flush()

    def _schedule(self) -> None:
        if self._flusher is None or self._flusher.done():
            self._flusher = asyncio.get_running_loop().create_task(self._flush_later())

    async def _flush_later(self) -> None:
        await asyncio.sleep(self.interval)
        try:
            await self.flush()
        except Exception as exc:  # a store outage: the counts of this interval are lost, and logged
            log.error("refused-token counts not audited", extra={"error": type(exc).__name__})

    async def flush(self) -> None:
        """Start a new interval: write one record per group that repeated in this one."""
        repeats, self._repeats, self._seen = self._repeats, {}, set()
        for r in repeats.values():
            details = {**r.details, "count": r.count, "interval_seconds": int(self.interval)}
            await self._auditor.record(
                r.event, r.context, outcome=FAILURE, client_id=r.client_id, details=details, durable=False
            )

    async def aclose(self) -> None:
        if self._flusher is not None:
            self._flusher.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._flusher
        await self.flush()
