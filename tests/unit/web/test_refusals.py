from __future__ import annotations

from types import SimpleNamespace
from typing import Any

from starlette.requests import Request

from frmr_sso.audit.events import AuditContext, Event
from frmr_sso.oauth.errors import InvalidGrant, InvalidToken, TemporarilyUnavailable
from frmr_sso.storage.errors import StorageError
from frmr_sso.web.oauth_http import BearerMissing
from frmr_sso.web.refusals import Refusals

UNSIGNED = "eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0."  # {"alg":"none"}.{"sub":"x"}.


class Recorder:
    def __init__(self, fail: bool = False) -> None:
        self.calls: list[tuple[Event, AuditContext, dict[str, Any]]] = []
        self.fail = fail

    async def record(self, event: Event, context: AuditContext, **fields: Any) -> None:
        if self.fail:
            raise StorageError("the audit table is gone")
        self.calls.append((event, context, fields))


def refusals(recorder: Recorder, bearer: str | None = None) -> Refusals:
    scope = {
        "type": "http",
        "method": "GET",
        "path": "/userinfo",
        "headers": [(b"user-agent", b"ua")],
        "client": ("10.0.0.7", 5000),
        "state": {"request_id": "rid-1"},
    }
    audit = SimpleNamespace(security=SimpleNamespace(auditor=recorder, bearer_refusals=None))
    return Refusals(Request(scope), audit, "/userinfo", bearer=bearer)  # type: ignore[arg-type]


async def test_a_refused_bearer_token_is_recorded_with_its_claimed_alg() -> None:
    recorder = Recorder()
    await refusals(recorder, UNSIGNED).record(InvalidToken("the access token is invalid or expired"))
    [(event, context, fields)] = recorder.calls
    assert event is Event.BEARER_REFUSED
    assert (context.ip, context.user_agent, context.request_id) == ("10.0.0.7", "ua", "rid-1")
    assert fields["details"]["alg"] == "none"
    assert fields["details"]["error"] == "invalid_token"
    assert UNSIGNED not in repr(fields)


async def test_no_credentials_and_outages_are_not_refusals() -> None:
    recorder = Recorder()
    await refusals(recorder).record(BearerMissing("the request carries no access token"))
    await refusals(recorder).record(TemporarilyUnavailable("down"))
    assert recorder.calls == []


async def test_a_failed_audit_write_does_not_escape() -> None:
    await refusals(Recorder(fail=True)).record(InvalidGrant("authorization code is invalid"))
