"""Every e2e test runs with its servers' log lines captured; at the end none may hold a secret.

The servers run in this process (``tests/support/servers.py``), so one root handler sees the
broker's, mock ESIA's and the test OP's records, written as production writes them. The check
runs when the session ends and fails it (an error at teardown) naming each leaking line and,
through ``_name_the_test``, the test during which it was written.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest

from tests.support.log_capture import CapturedLogs, find_leaks, secrets_of_the_run


@pytest.fixture(scope="session", autouse=True)
def server_logs() -> Iterator[CapturedLogs]:
    handler = CapturedLogs()
    root = logging.getLogger()
    level = root.level
    root.addHandler(handler)
    root.setLevel(min(level or logging.WARNING, logging.INFO))
    try:
        yield handler
    finally:
        root.removeHandler(handler)
        root.setLevel(level)
    echoing = [test.split("::")[0].endswith("test_fuzz.py") for test in handler.tests]
    found = [
        f"{handler.tests[index] or 'between tests'}: {what}: {line[:300]}"
        for index, what, line in find_leaks(handler.lines, secrets_of_the_run(), echoing)
    ]
    assert not found, "secrets in the servers' log lines:\n" + "\n".join(found[:20])


@pytest.fixture(autouse=True)
def _name_the_test(server_logs: CapturedLogs, request: pytest.FixtureRequest) -> Iterator[None]:
    server_logs.test = request.node.nodeid
    yield
    server_logs.test = ""
