"""What a login step ends in: a redirect, the upstream chooser, or a failure page.

The web layer turns each into a response; the failure kinds are the Russian
pages of DESIGN "User-facing failures" (``web/pages.py`` holds their texts).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any
from urllib.parse import urlencode


class Failure(StrEnum):
    INVALID_REQUEST = "invalid_request"
    STALE_LOGIN = "stale_login"
    UPSTREAM_UNAVAILABLE = "upstream_unavailable"
    UPSTREAM_ERROR = "upstream_error"
    NOT_CONFIRMED = "not_confirmed"
    SNILS_UNVERIFIED = "snils_unverified"
    SNILS_INVALID = "snils_invalid"
    NO_FRMR_DATA = "no_frmr_data"
    INSUFFICIENT_RIGHTS = "insufficient_rights"
    ACCOUNT_CONFLICT = "account_conflict"
    NO_UPSTREAM = "no_upstream"
    INTERNAL_ERROR = "internal_error"


@dataclass(frozen=True, slots=True)
class Redirect:
    location: str
    session_cookie: str | None = None
    """A new SSO session cookie value to set (after a login)."""
    browser_cookie: str | None = None
    """The ``frmr_sso_tx`` value binding an open login transaction to this browser."""


@dataclass(frozen=True, slots=True)
class UpstreamChoice:
    name: str
    display_name: str


@dataclass(frozen=True, slots=True)
class ChooseUpstream:
    choices: tuple[UpstreamChoice, ...]


@dataclass(frozen=True, slots=True)
class FailurePage:
    failure: Failure
    status: int
    retry_after: int | None = None
    restart_url: str | None = None
    """«Обновить данные»: the same authorization request again, through the same connector."""
    detail: str | None = None
    """A protocol error description (never personal data) for the invalid-request page."""
    upstream: str | None = None
    """The display name of the upstream the failure is about, when it is not ESIA: the page names it
    instead of ESIA and Госуслуги (None: an ESIA connector, whose wording stays)."""


Outcome = Redirect | ChooseUpstream | FailurePage


def restart_url(issuer: str, saved_request: Mapping[str, Any], connector: str) -> str:
    """``/authorize`` with the parameters of a saved ``AuthorizationRequest.to_dict()``."""
    params: dict[str, str] = {
        "response_type": "code",
        "client_id": saved_request["client_id"],
        "redirect_uri": saved_request["redirect_uri"],
        "scope": " ".join(saved_request["requested_scope"]),
        "idp_hint": connector,
        "prompt": "login",
    }
    for name in ("state", "nonce", "code_challenge", "code_challenge_method"):
        if saved_request.get(name) is not None:
            params[name] = saved_request[name]
    if saved_request.get("max_age") is not None:
        params["max_age"] = str(saved_request["max_age"])
    if saved_request.get("acr_values"):
        params["acr_values"] = " ".join(saved_request["acr_values"])
    return f"{issuer}/authorize?{urlencode(params)}"
