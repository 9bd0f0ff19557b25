from __future__ import annotations

import pytest
from starlette.requests import Request

from frmr_sso.web.client_ip import client_ip, resolve_client_ip
from frmr_sso.web.rate_limit import endpoint_group

PROXY = ["10.0.0.0/8"]


def request(peer: str, forwarded: str | None = None) -> Request:
    headers = [] if forwarded is None else [(b"x-forwarded-for", forwarded.encode())]
    return Request({"type": "http", "client": (peer, 4000), "headers": headers, "path": "/", "method": "GET"})


def test_spoofed_header_is_ignored_without_a_trusted_proxy() -> None:
    assert client_ip(request("203.0.113.9", "198.51.100.1"), []) == "203.0.113.9"


def test_spoofed_header_is_ignored_from_an_untrusted_peer() -> None:
    assert client_ip(request("203.0.113.9", "198.51.100.1"), PROXY) == "203.0.113.9"


def test_the_nearest_untrusted_hop_behind_a_trusted_proxy() -> None:
    assert client_ip(request("10.0.0.2", "198.51.100.1"), PROXY) == "198.51.100.1"
    # the client's own (spoofable) entry on the left is not believed
    assert client_ip(request("10.0.0.2", "1.2.3.4, 198.51.100.1, 10.0.0.7"), PROXY) == "198.51.100.1"


@pytest.mark.parametrize("forwarded", ["not-an-ip", "198.51.100.1, bogus", "198.51.100.1,  , 999.1.1.1"])
def test_a_malformed_hop_keeps_the_last_vouched_address(forwarded: str) -> None:
    assert client_ip(request("10.0.0.2", forwarded), PROXY) == "10.0.0.2"


def test_only_trusted_hops_or_no_header_give_the_proxy() -> None:
    assert client_ip(request("10.0.0.2"), PROXY) == "10.0.0.2"
    assert client_ip(request("10.0.0.2", "10.1.1.1"), PROXY) == "10.0.0.2"


def test_ipv6_and_no_peer() -> None:
    assert resolve_client_ip("::1", "2001:db8::5", ["::1/128"]) == "2001:db8::5"
    assert resolve_client_ip(None, "198.51.100.1", PROXY) is None


@pytest.mark.parametrize(
    ("path", "group"),
    [("/token", "token"), ("/introspect", "token"), ("/authorize", "authorize"),
     ("/callback/esia", "callback"), ("/login/2fa", "second_factor"), ("/tokens", None), ("/jwks", None),
     ("/revoke", None)],
)
def test_rate_limited_endpoint_groups(path: str, group: str | None) -> None:
    assert endpoint_group(path) == group
