from __future__ import annotations

import pytest
from starlette.requests import Request

from frmr_sso.web.client_ip import client_ip


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
