"""Strict parsing of ESIA request parameters (query string or form body).

A parameter sent twice, a value longer than ``max_length``, bytes that are not
UTF-8 after percent-decoding, control characters, or more than ``MAX_FIELDS``
parameters: all ESIA-007003. An empty value counts as absent.
"""

from __future__ import annotations

import re
import uuid
from urllib.parse import parse_qsl

from mock_esia.errors import EsiaError

MAX_FIELDS = 64
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_UUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")


class MalformedParameters(EsiaError):
    """ESIA-007003 while parsing; ``state`` is the state to echo when it was sent exactly once."""

    def __init__(self, state: str | None = None) -> None:
        super().__init__("ESIA-007003")
        self.state = state


def _lenient_state(text: str, max_length: int) -> str | None:
    try:
        pairs = parse_qsl(text, keep_blank_values=True, max_num_fields=MAX_FIELDS)
    except ValueError:
        return None
    values = [value for name, value in pairs if name == "state"]
    if len(values) == 1 and 0 < len(values[0]) <= max_length and not _CONTROL.search(values[0]):
        return values[0]
    return None


def parse_parameters(raw: str | bytes, *, max_length: int) -> dict[str, str]:
    """Name → value of every non-empty parameter; MalformedParameters when ESIA would refuse."""
    try:
        text = raw.decode("utf-8") if isinstance(raw, bytes) else raw
    except UnicodeDecodeError:
        raise MalformedParameters() from None
    if len(text) > max_length * MAX_FIELDS:
        raise MalformedParameters()
    try:
        pairs = parse_qsl(text, keep_blank_values=True, max_num_fields=MAX_FIELDS, errors="strict")
    except (ValueError, UnicodeDecodeError):
        raise MalformedParameters(_lenient_state(text, max_length)) from None
    params: dict[str, str] = {}
    seen: set[str] = set()
    for name, value in pairs:
        if name in seen or len(value) > max_length or _CONTROL.search(name + value):
            raise MalformedParameters(_lenient_state(text, max_length))
        seen.add(name)
        if value:
            params[name] = value
    return params


def missing(params: dict[str, str], names: tuple[str, ...]) -> list[str]:
    return [name for name in names if name not in params]


def is_uuid(value: str) -> bool:
    if not _UUID.match(value):
        return False
    uuid.UUID(value)
    return True
