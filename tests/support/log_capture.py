"""Every log line the in-process servers (broker, mock ESIA, test OP) write during the e2e run.

``CapturedLogs`` is a root handler that formats each record exactly as ``frmr_sso.logs`` does in
production (``RedactingFilter`` then ``JsonFormatter``), on a copy, so other handlers (caplog)
still see the record as it was. It keeps only records of the servers' threads (``servers.serve``
runs each in a thread of its own), not the test's own clients, and ``test`` names the test
running when a line was written. ``raw`` keeps the lines without redaction: application code
must not rely on the filter either.

``leaks(lines, secrets)`` names every secret found in the lines: the demo accounts' SNILS (with
or without separators) and passwords, the demo and test client secrets, and whatever tokens and
codes tests ``remember``.
"""

from __future__ import annotations

import copy
import functools
import logging
import re
import threading
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote, quote_plus

import yaml

from frmr_sso.logs import JsonFormatter, RedactingFilter

ROOT = Path(__file__).resolve().parents[2]
DEMO_FILES = (ROOT / "mock_esia/data/accounts.yaml", ROOT / "src/frmr_sso/registry/data/demo_persons.yaml")
CLIENT_SECRETS = (
    "demo-web-secret", "demo-service-secret", "demo-service-opaque-secret", "demo-web-opaque-secret",
    "demo-web-opaque-es256-secret", "p@ss:w/rd+&=%é ü?#~",
    "rp secret/with:odd+chars",
)
MIN_REMEMBERED = 16  # shorter values (SMS codes) are too likely to occur by chance


class CapturedLogs(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.lines: list[str] = []
        self.raw: list[str] = []
        self.tests: list[str] = []  # the test that was running, line by line
        self.test = ""
        self._redact = RedactingFilter()
        self._json = JsonFormatter()
        self._guard = threading.Lock()

    def emit(self, record: logging.LogRecord) -> None:
        if record.thread == threading.main_thread().ident:
            return  # the test and its clients, not a server
        try:
            raw = self._json.format(copy.copy(record))
            written = copy.copy(record)
            self._redact.filter(written)
            line = self._json.format(written)
        except Exception:  # a record that cannot be formatted is reported, not lost silently
            raw = line = f"unformattable record of {record.name}: {record.msg!r}"
        with self._guard:
            self.raw.append(raw)
            self.lines.append(line)
            self.tests.append(self.test)

    def mark(self) -> int:
        with self._guard:
            return len(self.lines)


_remembered: set[str] = set()


def remember(*values: str | None) -> None:
    """Tokens, codes or secrets a test saw: none of them may appear in any log line."""
    _remembered.update(v for v in values if v and len(v) >= MIN_REMEMBERED)


def _walk(node: Any, key: str | None = None) -> Iterator[tuple[str, str]]:
    if isinstance(node, dict):
        for k, v in node.items():
            yield from _walk(v, str(k))
    elif isinstance(node, list):
        for v in node:
            yield from _walk(v, key)
    elif isinstance(node, str) and key is not None:
        yield key, node


@functools.cache
def demo_values(name: str) -> frozenset[str]:
    """Every value of the field ``name`` (``snils``, ``password``) in the demo data files."""
    found: set[str] = set()
    for path in DEMO_FILES:
        found.update(v for k, v in _walk(yaml.safe_load(path.read_text(encoding="utf-8"))) if k == name)
    return frozenset(found)


def snils_pattern(snils: str) -> re.Pattern[str]:
    digits = re.sub(r"\D", "", snils)
    parts = (digits[:3], digits[3:6], digits[6:9], digits[9:])
    return re.compile(r"(?<!\d)" + r"(?:[- ]|%20|\+)?".join(parts) + r"(?!\d)")


def secrets_of_the_run() -> dict[str, str]:
    """Exact secrets (their encoded forms too) → what they are."""
    named: dict[str, str] = {}
    for value, what in [
        *((p, "demo password") for p in demo_values("password")),
        *((s, "client secret") for s in CLIENT_SECRETS),
        *((t, "token or code") for t in _remembered),
    ]:
        for form in {value, quote_plus(value), quote(value, safe="")}:
            named[form] = what
    return named


def leaks(lines: Iterable[str], extra: Iterable[str] = (), *, echoing: Iterable[bool] = ()) -> list[str]:
    """``what: line`` for each line holding a secret; empty when the lines are clean.

    ``echoing`` (line by line): the line was written while a fuzz test sent the demo client
    secrets as values of arbitrary fields, which a server's URL log writes as given; client
    secrets are not looked for in those lines, everything else is."""
    exact = secrets_of_the_run()
    for value in extra:
        if len(value) >= MIN_REMEMBERED:
            exact[value] = "token or code"
    return [f"{what}: {line[:300]}" for _, what, line in find_leaks(lines, exact, echoing)]


def find_leaks(
    lines: Iterable[str], exact: dict[str, str], echoing: Iterable[bool] = ()
) -> Iterator[tuple[int, str, str]]:
    """(index, what, line) of each secret found."""
    snils = [(snils_pattern(s), s) for s in demo_values("snils")]
    anything = re.compile("|".join(re.escape(v) for v in sorted(exact, key=len, reverse=True)) or "(?!)")
    flags = iter(echoing)
    for index, line in enumerate(lines):
        echoed = next(flags, False)
        if anything.search(line):  # one pass over the line; then which ones
            for value, what in exact.items():
                if value in line and not (echoed and what == "client secret"):
                    yield index, what, line
        for pattern, value in snils:
            if pattern.search(line):
                yield index, f"SNILS {value[-6:]}", line
