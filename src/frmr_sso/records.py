"""``field_values``: a dataclass's fields as a new dict (JSON): ``dataclasses.asdict`` without a deep copy.

``asdict`` copies every nested dict, list and tuple recursively; the records stored as JSON on the
login's path (transactions, codes, sessions) hold only JSON values, which ``json.dumps`` writes the
same either way, and nobody mutates the copy below its top level. The field names are read once per
class.
"""

from __future__ import annotations

from dataclasses import fields
from typing import Any

_NAMES: dict[type, tuple[str, ...]] = {}


def field_values(record: Any) -> dict[str, Any]:
    """``{name: value}`` of every field of the dataclass instance ``record`` (values not copied)."""
    kind = type(record)
    names = _NAMES.get(kind)
    if names is None:
        names = _NAMES[kind] = tuple(f.name for f in fields(record))
    return {name: getattr(record, name) for name in names}
