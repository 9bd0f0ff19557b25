"""JSON request bodies parsed with a nesting limit: deeper input is a 400, never a RecursionError."""

from __future__ import annotations

import json
from typing import Any

MAX_DEPTH = 32


class TooDeep(ValueError):
    def __init__(self, max_depth: int) -> None:
        super().__init__(f"JSON nested deeper than {max_depth} levels")


def nesting(value: Any, stop_after: int = MAX_DEPTH) -> int:
    """How deep arrays and objects nest in a parsed JSON value (a scalar is 0), level by level;
    counting stops once it passes ``stop_after``."""
    deepest, level = 0, [value]
    while deepest <= stop_after:
        containers = [item for item in level if isinstance(item, dict | list)]
        if not containers:
            break
        deepest += 1
        level = [child for item in containers for child in _children(item)]
    return deepest


def _children(item: dict[str, Any] | list[Any]) -> Any:
    return item.values() if isinstance(item, dict) else item


def loads(raw: bytes | str, max_depth: int = MAX_DEPTH) -> Any:
    """``json.loads`` of a request body: ValueError when it is not JSON, ``TooDeep`` (a ValueError)
    when it nests deeper than ``max_depth``."""
    try:
        value = json.loads(raw)
    except RecursionError:  # far deeper than any limit: the parser gave up
        raise TooDeep(max_depth) from None
    if nesting(value, max_depth) > max_depth:
        raise TooDeep(max_depth)
    return value
