"""ESIA's wire rules (docs/esia.md): the signed request string, the timestamp, and its error codes.

``client_secret`` is the signer's output over the plain concatenation
``client_id + scope + scope_org + timestamp + state + redirect_uri`` (``+ code``
for the authorization-code token request; nothing more for a refresh).

Errors arrive as ``error`` + ``error_description`` = ``"ESIA-0070NN: text"``,
on the callback (a redirect) or from ``/v3/te`` (HTTP 400 JSON). How each
becomes one of our error classes:

=========================  ============================================
ESIA-007004, access_denied  UpstreamDenied (the person cancelled)
ESIA-007055                 AccountNotConfirmed
ESIA-007008, 007007         UpstreamUnavailable (counts for the breaker)
ESIA-007011                 UpstreamProtocolError ``invalid_grant``
ESIA-007002/007053/008010   UpstreamProtocolError ``client_rejected``
ESIA-007015                 UpstreamProtocolError ``request_time`` (our clock)
anything else               UpstreamProtocolError ``esia_0070NN``
=========================  ============================================
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Literal

from frmr_sso.upstream.errors import (
    AccountNotConfirmed,
    UpstreamDenied,
    UpstreamFailure,
    UpstreamProtocolError,
)
from frmr_sso.upstream.transport import UpstreamHttp

DEFAULT_SCOPES = ("openid", "fullname", "birthdate", "gender", "snils")


@dataclass(frozen=True)
class EsiaOptions:
    base_url: str
    issuer: str
    client_id: str
    certificate_hash: str
    name: str = "esia"
    display_name: str = "Госуслуги"
    scopes: tuple[str, ...] = DEFAULT_SCOPES
    scope_org: str = ""
    access_type: Literal["online", "offline"] = "online"
    skew: float = 60.0
    jwks_uri: str | None = None  # default: {base_url}/aas/oauth2/jwks
    algorithms: tuple[str, ...] = ("RS256", "GOST3410_2012_256")
    require_trusted: bool = True
    jwks_ttl: float = 300.0
    jwks_min_refetch: float = 30.0

    def url(self, path: str) -> str:
        return self.base_url.rstrip("/") + path


AC_PATH = "/aas/oauth2/v2/ac"
TE_PATH = "/aas/oauth2/v3/te"
PERSON_PATH = "/rs/prns/{oid}"
LOGOUT_PATH = "/idp/ext/Logout"
TIMESTAMP_FORMAT = "%Y.%m.%d %H:%M:%S %z"
SIGNED_FIELDS = ("client_id", "scope", "scope_org", "timestamp", "state", "redirect_uri")
UNAVAILABLE_CODES = frozenset({"ESIA-007007", "ESIA-007008"})
CLIENT_REJECTED = frozenset({"ESIA-007002", "ESIA-007053", "ESIA-008010"})
KNOWN_CODES = frozenset(  # docs/esia.md; other codes get one reason so metric labels stay bounded
    f"ESIA-{n}"
    for n in (
        "007002",
        "007003",
        "007004",
        "007005",
        "007006",
        "007007",
        "007008",
        "007009",
        "007011",
        "007013",
        "007014",
        "007015",
        "007019",
        "007023",
        "007053",
        "007055",
        "008010",
    )
)
OAUTH_ERRORS = frozenset(
    {
        "invalid_request",
        "unauthorized_client",
        "access_denied",
        "unsupported_response_type",
        "invalid_scope",
        "server_error",
        "temporarily_unavailable",
        "invalid_client",
        "invalid_grant",
        "unsupported_grant_type",
    }
)
_CODE = re.compile(r"^\s*(ESIA-\d{6})\b")


def esia_timestamp(now: float) -> str:
    return datetime.fromtimestamp(now, UTC).strftime(TIMESTAMP_FORMAT)


def request_string(params: Mapping[str, str], *extra: str) -> bytes:
    return ("".join(params.get(name, "") for name in SIGNED_FIELDS) + "".join(extra)).encode("utf-8")


def esia_code(description: str | None) -> str | None:
    match = _CODE.match(description or "")
    return match.group(1) if match else None


def _describe(error: str, code: str | None) -> str:
    """A log-safe description: the OAuth error and the ESIA code, never the free text."""
    return f"ESIA answered {error}" + (f" ({code})" if code else "")


def esia_failure(transport: UpstreamHttp, error: str, description: str | None, *, at: str) -> UpstreamFailure:
    """The exception for an ESIA error answer (``at`` is ``callback`` or ``token``)."""
    code = esia_code(description)
    error = error if error in OAUTH_ERRORS else "error"
    message, name = f"{_describe(error, code)} at the {at}", transport.connector
    if code == "ESIA-007055":
        return AccountNotConfirmed(message, connector=name, esia_code=code)
    if code == "ESIA-007004" or (code is None and error == "access_denied"):
        return UpstreamDenied(message, connector=name, esia_code=code)
    if code in UNAVAILABLE_CODES or (code is None and error in ("temporarily_unavailable", "server_error")):
        reason = f"esia_{code[5:]}" if code else "temporarily_unavailable"
        if at == "callback":  # the browser brought it, anyone can forge it: shown, not held against ESIA
            return transport.unavailable(message, reason=reason, esia_code=code)
        return transport.failed(message, reason=reason, esia_code=code)
    if code == "ESIA-007011":
        reason = "invalid_grant"
    elif code in CLIENT_REJECTED:
        reason = "client_rejected"
    elif code == "ESIA-007015":
        reason = "request_time"
    else:
        reason = f"esia_{code[5:]}" if code in KNOWN_CODES else "esia_error"
    return UpstreamProtocolError(message, connector=name, reason=reason, esia_code=code)
