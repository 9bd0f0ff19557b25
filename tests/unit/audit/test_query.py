"""The auditors' read side without HTTP: query parsing, the token check, the JSON shape."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest

from frmr_sso.audit.query import (
    MAX_LIMIT,
    AuditQuery,
    InvalidAuditQuery,
    authorize_reader,
    event_json,
    parse_query,
)
from frmr_sso.oauth.access_tokens import deny
from frmr_sso.oauth.bearer import BearerValidator
from frmr_sso.oauth.errors import InsufficientScope, InvalidToken
from frmr_sso.storage.kv.memory import MemoryKV
from frmr_sso.storage.ports import AuditFilter, AuditRecord

ISSUER = "https://sso.example"
NOW = 1_800_000_000.0


def test_no_parameters() -> None:
    assert parse_query([]) == AuditQuery()


def test_every_parameter() -> None:
    query = parse_query([
        ("subject_id", "s-1"), ("client_id", "emr"), ("event_type", "login.success"), ("ip", "2001:DB8::1"),
        ("from", "2026-02-01T03:00:00+03:00"), ("to", "2026-02-02"), ("after_id", "41"), ("limit", "1000"),
    ])
    assert query == AuditQuery(
        where=AuditFilter(
            subject_id="s-1", client_id="emr", event_type="login.success", ip="2001:db8::1",
            occurred_from=datetime(2026, 2, 1, tzinfo=UTC), occurred_to=datetime(2026, 2, 2, tzinfo=UTC),
        ),
        after_id=41,
        limit=MAX_LIMIT,
    )
    assert query.where.occurred_from is not None
    assert query.where.occurred_from.tzinfo is UTC


def test_z_suffix_and_offsets_become_utc() -> None:
    query = parse_query([("from", "2026-02-01T10:00:00Z")])
    assert query.where.occurred_from == datetime(2026, 2, 1, 10, tzinfo=timezone(timedelta(0)))


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ([("from", "yesterday")], "from"),
        ([("to", "2026-13-01")], "to"),
        ([("from", "0001-01-01T00:00:00+01:00")], "from"),  # before the year 1 in UTC
        ([("to", "9999-12-31T23:59:59-01:00")], "to"),  # after the year 9999 in UTC
        ([("from", "1000-01-01T00:00:00Z")], "from"),
        ([("from", "2026-02-02"), ("to", "2026-02-01")], "to"),
        ([("limit", "0")], "limit"),
        ([("limit", "1001")], "limit"),
        ([("limit", "-5")], "limit"),
        ([("after_id", "1e3")], "after_id"),
        ([("ip", "not-an-ip")], "ip"),
        ([("subject_id", "x" * 37)], "subject_id"),
        ([("client_id", "")], "client_id"),
        ([("snils", "112-233-445 95")], "snils"),
        ([("client_id", "a"), ("client_id", "b")], "client_id"),
    ],
)
def test_invalid_parameters_name_their_field(params: list[tuple[str, str]], field: str) -> None:
    with pytest.raises(InvalidAuditQuery) as caught:
        parse_query(params)
    assert caught.value.field == field


def test_the_export_has_no_limit() -> None:
    with pytest.raises(InvalidAuditQuery, match="limit"):
        parse_query([("limit", "10")], paged=False)
    assert parse_query([("after_id", "3")], paged=False).after_id == 3


class StaticVerifier:
    def __init__(self, claims: dict[str, Any] | None) -> None:
        self.claims = claims
        self.typ: str | None = None

    async def verify(self, token: str, *, typ: str | None = None) -> dict[str, Any] | None:
        self.typ = typ
        return self.claims


def claims(**changes: Any) -> dict[str, Any]:
    base = {"iss": ISSUER, "aud": ISSUER, "jti": "j-1", "exp": int(NOW) + 60, "scope": "frmr audit.read"}
    base |= {"sub": "auditor", "client_id": "auditor"}
    return base | changes


async def _authorize(found: dict[str, Any] | None, kv: MemoryKV | None = None) -> dict[str, Any]:
    verifier = StaticVerifier(found)
    bearer = BearerValidator(issuer=ISSUER, verifier=verifier, kv=kv or MemoryKV(), clock=lambda: NOW)
    result = await authorize_reader("t", bearer)
    assert verifier.typ == "at+jwt"
    return dict(result.raw)


async def test_a_token_with_audit_read_passes() -> None:
    assert (await _authorize(claims()))["jti"] == "j-1"
    assert (await _authorize(claims(aud=["other", ISSUER])))["jti"] == "j-1"


@pytest.mark.parametrize(
    "found",
    [None, claims(exp=int(NOW)), claims(jti=None), claims(aud=[]), claims(aud="other")],
)
async def test_invalid_tokens(found: dict[str, Any] | None) -> None:
    with pytest.raises(InvalidToken):
        await _authorize(found)


async def test_a_revoked_token_is_invalid() -> None:
    kv = MemoryKV()
    await deny(kv, "j-1", exp=int(NOW) + 60, now=NOW)
    with pytest.raises(InvalidToken):
        await _authorize(claims(), kv)


@pytest.mark.parametrize("scope", ["frmr", "audit.reader", "", "audit.write"])
async def test_without_audit_read_the_scope_is_insufficient(scope: str) -> None:
    with pytest.raises(InsufficientScope) as caught:
        await _authorize(claims(scope=scope))
    assert caught.value.scope == "audit.read"


def test_event_json_keeps_only_the_masked_snils() -> None:
    record = AuditRecord(
        event_type="login.success", outcome="success", occurred_at=datetime(2026, 2, 1, 13, tzinfo=UTC),
        snils_masked="***-***-445 95", id=7, prev_hash="a" * 64, hash="b" * 64, details={"amr": ["pwd"]},
    )
    body = event_json(record)
    assert body["occurred_at"] == "2026-02-01T13:00:00.000000Z"
    assert body["snils_masked"] == "***-***-445 95"
    assert "snils" not in body
    assert (body["id"], body["hash"], body["details"]) == (7, "b" * 64, {"amr": ["pwd"]})
