"""Back-Channel Logout deliveries against scripted HTTP answers (httpx.MockTransport)."""

from __future__ import annotations

import asyncio
import time
from dataclasses import replace
from urllib.parse import parse_qs

import httpx
import jwt
import pytest

from frmr_sso.audit.events import AuditContext, Auditor
from frmr_sso.login.backchannel import BACKCHANNEL_EVENT, BackchannelLogout, uri_allowed
from frmr_sso.oauth.client_specs import ClientSpec, ClientSpecError
from frmr_sso.oauth.clients import Client
from frmr_sso.storage.ports import ClientRecord
from tests.support.oauth import ISSUER, TestSigner
from tests.unit.login.fakes import Clock, ListAudit
from tests.unit.login.test_session_store import DRAFT


def _client(client_id: str, uri: str | None, alg: str = "RS256") -> Client:
    record = ClientRecord(client_id=client_id, name=client_id, backchannel_logout_uri=uri, id_token_alg=alg)
    return Client.from_record(record)


CLIENTS = {
    c.client_id: c
    for c in (
        _client("rp-a", "https://a.test/bcl"),
        _client("rp-b", "https://b.test/bcl", alg="ES256"),
        _client("rp-none", None),
        _client("rp-plain", "http://b.test/bcl"),
        _client("rp-loop", "http://127.0.0.1:9/bcl"),
    )
}
SESSION = replace(DRAFT, id="6f1c0c8e-5a3d-4d55-9d0e-2f7f4f0a1b11", clients=("rp-a", "rp-b", "rp-none"))
CONTEXT = AuditContext(ip="192.0.2.1", request_id="rid-1")


async def lookup(client_id: str) -> Client | None:
    return CLIENTS.get(client_id)


def service(
    handler: httpx.MockTransport, *, timeout: float = 2.0, demo: bool = False
) -> tuple[BackchannelLogout, ListAudit, TestSigner]:
    audit, signer = ListAudit(), TestSigner()
    http = httpx.AsyncClient(transport=handler)
    bcl = BackchannelLogout(
        issuer=ISSUER,
        signer=signer,
        clients=lookup,
        http=http,
        auditor=Auditor(audit),
        allow_http_loopback=demo,
        timeout=timeout,
        clock=Clock(time.time()),
    )
    return bcl, audit, signer


async def test_each_client_with_a_uri_gets_a_signed_logout_token() -> None:
    received: dict[str, str] = {}

    def answer(request: httpx.Request) -> httpx.Response:
        assert request.headers["content-type"] == "application/x-www-form-urlencoded"
        received[request.url.host] = parse_qs(request.content.decode())["logout_token"][0]
        return httpx.Response(200)

    bcl, audit, signer = service(httpx.MockTransport(answer))
    deliveries = await bcl.notify([SESSION], CONTEXT)
    assert sorted((d.client_id, d.ok, d.status) for d in deliveries) == [
        ("rp-a", True, 200),
        ("rp-b", True, 200),
    ]
    for host, client_id, alg in (("a.test", "rp-a", "RS256"), ("b.test", "rp-b", "ES256")):
        header = jwt.get_unverified_header(received[host])
        assert (header["typ"], header["alg"]) == ("logout+jwt", alg)
        claims = signer.decode(received[host], audience=client_id)
        assert claims["iss"] == ISSUER
        assert claims["sub"] == "sub-1"
        assert claims["sid"] == SESSION.id
        assert claims["events"] == {BACKCHANNEL_EVENT: {}}
        assert 0 < claims["exp"] - claims["iat"] <= 120
        assert "nonce" not in claims
    assert len({jwt.decode(t, options={"verify_signature": False})["jti"] for t in received.values()}) == 2
    events = [(r.event_type, r.client_id, r.outcome) for r in audit.records]
    assert sorted(events) == [
        ("logout.backchannel_delivered", "rp-a", "success"),
        ("logout.backchannel_delivered", "rp-b", "success"),
    ]
    for record in audit.records:
        assert record.details["session"] == SESSION.id
        assert all(token not in str(record.details) for token in received.values())


@pytest.mark.parametrize("status", [400, 302, 500])
async def test_an_error_answer_or_a_redirect_is_a_failed_delivery(status: int) -> None:
    bcl, audit, _ = service(httpx.MockTransport(lambda r: httpx.Response(status, headers={"location": "/x"})))
    deliveries = await bcl.notify([replace(SESSION, clients=("rp-a",))], CONTEXT)
    assert [(d.ok, d.status) for d in deliveries] == [(False, status)]
    assert [(r.event_type, r.outcome, r.details["status"]) for r in audit.records] == [
        ("logout.backchannel_failed", "failure", status)
    ]


async def test_an_unreachable_client_is_a_failed_delivery() -> None:
    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("refused", request=request)

    bcl, audit, _ = service(httpx.MockTransport(refuse))
    deliveries = await bcl.notify([replace(SESSION, clients=("rp-a",))], CONTEXT)
    assert [(d.ok, d.error) for d in deliveries] == [(False, "ConnectError")]
    assert audit.records[0].event_type == "logout.backchannel_failed"


async def test_a_hanging_client_costs_at_most_the_bound_and_the_others_still_get_theirs() -> None:
    async def answer(request: httpx.Request) -> httpx.Response:
        if request.url.host == "a.test":
            await asyncio.Event().wait()  # never answers
        return httpx.Response(204)

    bcl, audit, _ = service(httpx.MockTransport(answer), timeout=0.3)
    deliveries = {d.client_id: d for d in await bcl.notify([SESSION], CONTEXT)}
    assert (deliveries["rp-a"].ok, deliveries["rp-a"].error) == (False, "timeout")
    assert (deliveries["rp-b"].ok, deliveries["rp-b"].status) == (True, 204)
    assert sorted(r.event_type for r in audit.records) == [
        "logout.backchannel_delivered",
        "logout.backchannel_failed",
    ]


async def test_plain_http_is_contacted_only_on_loopback_in_the_demo() -> None:
    calls: list[str] = []

    def answer(request: httpx.Request) -> httpx.Response:
        calls.append(str(request.url))
        return httpx.Response(200)

    session = replace(SESSION, clients=("rp-plain", "rp-loop"))
    production, _, _ = service(httpx.MockTransport(answer))
    assert {d.error for d in await production.notify([session], CONTEXT)} == {"uri_not_allowed"}
    demo, _, _ = service(httpx.MockTransport(answer), demo=True)
    outcome = {d.client_id: d.ok for d in await demo.notify([session], CONTEXT)}
    assert outcome == {"rp-plain": False, "rp-loop": True}
    assert calls == ["http://127.0.0.1:9/bcl"]


async def test_no_clients_to_tell_means_no_request_and_no_record() -> None:
    bcl, audit, _ = service(httpx.MockTransport(lambda r: httpx.Response(500)))
    assert await bcl.notify([replace(SESSION, clients=("rp-none", "unknown"))], CONTEXT) == []
    assert audit.records == []


def test_uri_rules() -> None:
    assert uri_allowed("https://rp.test/bcl", allow_http_loopback=False)
    assert not uri_allowed("http://127.0.0.1/bcl", allow_http_loopback=False)
    assert uri_allowed("http://[::1]:8080/bcl", allow_http_loopback=True)
    assert not uri_allowed("http://10.0.0.1/bcl", allow_http_loopback=True)
    assert not uri_allowed("ftp://rp.test/", allow_http_loopback=True)


@pytest.mark.parametrize(
    ("uri", "problem"),
    [
        ("https://rp.test/bcl", False),
        ("http://127.0.0.1:9000/bcl", False),
        ("http://localhost/bcl", False),
        ("http://rp.test/bcl", True),
        ("https://rp.test/bcl#frag", True),
        ("urn:rp:bcl", True),
    ],
)
def test_client_registration_checks_the_backchannel_uri(uri: str, problem: bool) -> None:
    spec = ClientSpec.from_mapping(
        {
            "client_id": "rp",
            "name": "RP",
            "secret": "s" * 16,
            "redirect_uris": ["https://rp.test/cb"],
            "backchannel_logout_uri": uri,
            "backchannel_logout_session_required": True,
        },
        label="#1",
    )
    assert any("backchannel_logout_uri" in p for p in spec.problems()) is problem


def test_the_session_required_flag_must_be_a_boolean() -> None:
    with pytest.raises(ClientSpecError, match="backchannel_logout_session_required: must be true or false"):
        ClientSpec.from_mapping(
            {"client_id": "rp", "name": "RP", "backchannel_logout_session_required": "yes"}, label="#1"
        )
