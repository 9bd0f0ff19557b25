"""The client's IP address: the socket peer, or X-Forwarded-For only behind a trusted proxy.

``X-Forwarded-For`` is read right to left and only while each hop is one of
``FRMR_SSO_TRUSTED_PROXIES``: the first untrusted hop is the client. A spoofed
header from a direct client is ignored; a malformed hop stops the walk at the
last address a trusted proxy vouched for.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence
from functools import lru_cache

from starlette.requests import HTTPConnection
from starlette.types import Scope

Network = ipaddress.IPv4Network | ipaddress.IPv6Network
Address = ipaddress.IPv4Address | ipaddress.IPv6Address
CLIENT_IP = "client_ip"  # the key of ``scope["state"]`` where the edge puts the resolved address


@lru_cache(maxsize=32)
def _networks(trusted_proxies: tuple[str, ...]) -> tuple[Network, ...]:
    return tuple(ipaddress.ip_network(p, strict=False) for p in trusted_proxies)


def _address(text: str | None) -> Address | None:
    try:
        return ipaddress.ip_address(text) if text else None
    except ValueError:
        return None


def resolve_client_ip(
    peer: str | None, forwarded_for: str | None, trusted_proxies: Sequence[str]
) -> str | None:
    """The client address from the socket ``peer`` and the X-Forwarded-For header value."""
    networks = _networks(tuple(trusted_proxies))

    def trusted(text: str | None) -> bool:
        found = _address(text)
        return found is not None and any(found in network for network in networks)

    if not networks or not trusted(peer):
        return peer
    hops = [hop.strip() for hop in (forwarded_for or "").split(",") if hop.strip()]
    for hop in reversed(hops):
        if _address(hop) is None:
            return peer  # a malformed hop: keep the last address we can vouch for
        if not trusted(hop):
            return hop
    return peer


def client_ip(request: HTTPConnection, trusted_proxies: Sequence[str]) -> str | None:
    """The peer address, or the nearest untrusted hop of X-Forwarded-For behind trusted proxies."""
    peer = request.client.host if request.client else None
    return resolve_client_ip(peer, request.headers.get("x-forwarded-for"), trusted_proxies)


def request_ip(scope: Scope) -> str | None:
    """The address ``web/edge.py`` resolved for this request (with the trusted proxies it was given),
    or the socket peer of a request that did not pass the edge."""
    state = scope.get("state")
    if state is not None and CLIENT_IP in state:
        found: str | None = state[CLIENT_IP]
        return found
    peer = scope.get("client")
    return peer[0] if peer else None
