"""ESIA request time: ``yyyy.MM.dd HH:mm:ss Z``, e.g. ``2024.05.17 14:36:11 +0300``.

A value that does not parse is ESIA-007003; one further than
``timestamp_drift_seconds`` from the server clock (either way) is ESIA-007015.
The offset must be sent as ``+HHMM``: an unencoded ``+`` in a query string
arrives as a space, and the signature was made over the ``+``, so such a value
is refused rather than repaired.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime

from mock_esia.errors import EsiaError

TIMESTAMP_FORMAT = "%Y.%m.%d %H:%M:%S %z"
_SHAPE = re.compile(r"^\d{4}\.\d{2}\.\d{2} \d{2}:\d{2}:\d{2} [+-]\d{4}$")


def format_timestamp(moment: datetime) -> str:
    if moment.tzinfo is None:
        raise ValueError("an ESIA timestamp needs an aware datetime")
    return moment.strftime(TIMESTAMP_FORMAT)


def parse_timestamp(raw: str) -> datetime | None:
    if not _SHAPE.match(raw):
        return None
    try:
        return datetime.strptime(raw, TIMESTAMP_FORMAT)
    except ValueError:
        return None


def check_timestamp(raw: str, *, drift_seconds: float, now: datetime | None = None) -> datetime:
    """The parsed time, or EsiaError 007003 (malformed) / 007015 (too far from now)."""
    moment = parse_timestamp(raw)
    if moment is None:
        raise EsiaError("ESIA-007003")
    now = now or datetime.now(UTC)
    if abs((moment - now).total_seconds()) > drift_seconds:
        raise EsiaError("ESIA-007015")
    return moment
