from __future__ import annotations

import pytest
from starlette.requests import Request
from starlette.responses import Response

from frmr_sso.web.client_ip import client_ip
from frmr_sso.web.login_http import page_on_error


def request(peer: str, forwarded: str | None = None) -> Request:
    headers = [(b"x-forwarded-for", forwarded.encode())] if forwarded else []
    return Request({"type": "http", "client": (peer, 5000), "headers": headers})


@pytest.mark.parametrize(
    ("peer", "forwarded", "trusted", "expected"),
    [
        ("198.51.100.9", "203.0.113.5", [], "198.51.100.9"),  # no trusted proxies: never believe the header
        ("10.0.0.2", "203.0.113.5", ["10.0.0.0/8"], "203.0.113.5"),
        ("10.0.0.2", "203.0.113.5, 10.0.0.7", ["10.0.0.0/8"], "203.0.113.5"),
        ("10.0.0.2", "6.6.6.6, 203.0.113.5", ["10.0.0.0/8"], "203.0.113.5"),  # spoofed left part ignored
        ("10.0.0.2", None, ["10.0.0.0/8"], "10.0.0.2"),
        ("10.0.0.2", "not-an-ip", ["10.0.0.0/8"], "10.0.0.2"),
    ],
)
def test_client_ip_believes_forwarded_for_only_from_trusted_proxies(
    peer: str, forwarded: str | None, trusted: list[str], expected: str
) -> None:
    assert client_ip(request(peer, forwarded), trusted) == expected


async def test_an_unexpected_failure_of_a_login_step_is_a_russian_page_with_the_request_id(
    caplog: pytest.LogCaptureFixture,
) -> None:
    scope = {"type": "http", "client": ("192.0.2.1", 1), "headers": [], "state": {"request_id": "rid-12345"}}

    async def broken() -> Response:
        raise ConnectionError("the store is down")

    response = await page_on_error(Request(scope), broken)
    assert response.status_code == 500
    body = bytes(response.body).decode()
    assert "Вход временно невозможен" in body
    assert "rid-12345" in body
    assert "the store is down" not in body
    assert response.headers["cache-control"] == "no-store"
    assert "a login step failed" in caplog.text
