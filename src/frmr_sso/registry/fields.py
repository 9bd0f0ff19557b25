"""Reading the fields of one import record, collecting a ``path: message`` problem for each bad one.

Messages never quote the value: it may be personal data. Dates are written
``YYYY-MM-DD``, lie between 1900 and, where a future date makes no sense,
today; known keys are listed per object and any other key is an
``unknown field`` problem, so a misspelt column is not silently dropped.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Callable, Collection
from datetime import date
from typing import Any, TypeVar

from frmr_sso.registry.checks import InvalidValue

EARLIEST = date(1900, 1, 1)
_ISO_DATE = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")
_RECORD_ID = re.compile(r"^[A-Za-z0-9._:-]{1,64}$")
T = TypeVar("T")


class Fields:
    def __init__(self, today: date) -> None:
        self.today = today
        self.problems: list[str] = []

    def fail(self, path: str, message: str) -> None:
        self.problems.append(f"{path}: {message}")

    def known(self, obj: dict[str, Any], keys: Collection[str], prefix: str = "") -> None:
        for key in obj:
            if key not in keys:
                self.fail(prefix + str(key)[:64], "unknown field")

    def text(self, obj: dict[str, Any], key: str, limit: int, prefix: str = "") -> str:
        value = self.optional_text(obj, key, limit, prefix)
        if value is None and obj.get(key) in (None, ""):
            self.fail(prefix + key, "is required")
        return value or ""

    def optional_text(self, obj: dict[str, Any], key: str, limit: int, prefix: str = "") -> str | None:
        value = obj.get(key)
        if value is None or value == "":
            return None
        if not isinstance(value, str) or not value.strip():
            self.fail(prefix + key, "must be a non-blank string")
        elif len(value) > limit:
            self.fail(prefix + key, f"must be at most {limit} characters")
        else:
            return value
        return None

    def checked(
        self,
        obj: dict[str, Any],
        key: str,
        check: Callable[[Any], T],
        prefix: str = "",
        *,
        required: bool = False,
    ) -> T | None:
        value = obj.get(key)
        if value is None or value == "":
            if required:
                self.fail(prefix + key, "is required")
            return None
        try:
            return check(value)
        except InvalidValue as exc:
            self.fail(prefix + key, str(exc))
            return None

    def day(
        self, obj: dict[str, Any], key: str, prefix: str = "", *, required: bool = True, future: bool = False
    ) -> date | None:
        value = obj.get(key)
        if value is None or value == "":
            if required:
                self.fail(prefix + key, "is required")
            return None
        parsed = None
        if isinstance(value, str) and _ISO_DATE.match(value):
            with contextlib.suppress(ValueError):
                parsed = date.fromisoformat(value)
        if parsed is None:
            self.fail(prefix + key, "must be a date written YYYY-MM-DD")
        elif parsed < EARLIEST:
            self.fail(prefix + key, f"must not be before {EARLIEST.isoformat()}")
        elif not future and parsed > self.today:
            self.fail(prefix + key, "must not be in the future")
        else:
            return parsed
        return None

    def order(self, first: date | None, last: date | None, path: str, first_name: str) -> None:
        if first is not None and last is not None and last < first:
            self.fail(path, f"must not be before {first_name}")

    def integer(
        self, obj: dict[str, Any], key: str, low: int, high: int, prefix: str = "", *, required: bool = True
    ) -> int | None:
        value = obj.get(key)
        if value is None and not required:
            return None
        if type(value) is not int or not low <= value <= high:
            self.fail(prefix + key, f"must be a whole number from {low} to {high}")
            return None
        return value

    def code(
        self,
        obj: dict[str, Any],
        key: str,
        known: Collection[str],
        what: str,
        prefix: str = "",
        *,
        required: bool = True,
    ) -> str | None:
        value = obj.get(key)
        if value is None or value == "":
            if required:
                self.fail(prefix + key, "is required")
            return None
        if not isinstance(value, str) or value not in known:
            self.fail(prefix + key, f"is not a code of {what}")
            return None
        return value

    def strings(self, obj: dict[str, Any], key: str, limit: int) -> tuple[str, ...]:
        value = obj.get(key) or []
        if not isinstance(value, list) or not all(isinstance(v, str) and 0 < len(v) <= limit for v in value):
            self.fail(key, f"must be a list of non-empty strings of at most {limit} characters")
            return ()
        return tuple(value)

    def record_id(self, obj: dict[str, Any], prefix: str) -> str:
        value = obj.get("id")
        if value is None or value == "":
            return ""
        if not isinstance(value, str) or not _RECORD_ID.match(value):
            self.fail(prefix + "id", "must be 1 to 64 letters, digits or . _ : -")
            return ""
        return value
