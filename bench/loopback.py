"""The benchmark generates load only against this machine: ``require_loopback`` refuses anything else.

A URL or host name whose addresses are not all loopback (127.0.0.0/8, ::1) stops the run with
exit status 2 before a single request is sent; a name that does not resolve is refused too.
``python bench/loopback.py TARGET...`` checks targets from the command line.
"""

from __future__ import annotations

import ipaddress
import socket
import sys
from urllib.parse import urlsplit


class NotLoopback(SystemExit):
    def __init__(self, target: str, reason: str) -> None:
        print(f"bench: refusing to run against {target!r}: {reason}", file=sys.stderr)
        super().__init__(2)


def host_of(target: str) -> str:
    if "://" in target:
        host = urlsplit(target).hostname
        if not host:
            raise NotLoopback(target, "no host in the URL")
        return host
    return target.strip("[]")


def require_loopback(target: str) -> str:
    """``target`` (a URL or a host) when every address it names is a loopback address."""
    host = host_of(target)
    try:
        addresses = {info[4][0] for info in socket.getaddrinfo(host, None, proto=socket.IPPROTO_TCP)}
    except (OSError, UnicodeError):
        raise NotLoopback(target, "the host does not resolve") from None
    outside = sorted(a for a in addresses if not ipaddress.ip_address(a.split("%", 1)[0]).is_loopback)
    if not addresses or outside:
        raise NotLoopback(
            target,
            f"not a loopback address ({', '.join(outside) or 'none'}); "
            "the benchmark runs only on 127.0.0.1 / ::1",
        )
    return target


if __name__ == "__main__":
    for argument in sys.argv[1:]:
        require_loopback(argument)
