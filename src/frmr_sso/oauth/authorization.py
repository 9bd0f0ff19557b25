"""The authorization endpoint of the code flow (RFC 6749 §4.1.1, OIDC Core §3.1.2, RFC 7636, RFC 9207).

``validate_authorization_request`` checks client_id and redirect_uri first:
until both are known good an error carries no ``redirect_uri`` and the web
layer shows an error page (RFC 6749 §4.1.2.1 "MUST NOT automatically redirect
the user-agent to the invalid redirection URI"). Every later error carries the
redirect_uri and state, and ``error_redirect`` sends it back to the client.

Choices: ``openid`` is required (every request is an authentication request);
scopes the client is not registered for are dropped (``oauth.scope``);
``prompt=consent`` asks a third-party client's consent again (``oauth.consent``);
``select_account`` is accepted and has no effect (an ESIA person has one account);
``ui_locales``, ``display``, ``login_hint`` and ``claims`` are ignored.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode, urlsplit, urlunsplit

from frmr_sso.oauth import pkce
from frmr_sso.oauth.clients import Client
from frmr_sso.oauth.errors import (
    InvalidRequest,
    InvalidScope,
    LoginRequired,
    OAuthError,
    RequestNotSupported,
    RequestUriNotSupported,
    UnauthorizedClient,
    UnsupportedResponseType,
)
from frmr_sso.oauth.ports import ClientLookup
from frmr_sso.oauth.request import OAuthRequest, Params
from frmr_sso.oauth.scope import OPENID, Scope, narrow, parse_scope

MAX_CLIENT_ID = 128
MAX_URI = 2048
MAX_STATE = 2048
MAX_NONCE = 512
MAX_SCOPE = 1024
MAX_ACR_VALUES = 512
MAX_IDP_HINT = 64
PROMPT_VALUES = frozenset({"none", "login", "consent", "select_account"})
_MAX_AGE = re.compile(r"[0-9]{1,9}")


@dataclass(frozen=True, slots=True)
class AuthorizationRequest:
    """A validated authorization request; ``scope`` is what will be granted."""

    client: Client
    redirect_uri: str
    scope: Scope
    requested_scope: Scope
    state: str | None = None
    nonce: str | None = None
    code_challenge: str | None = None
    code_challenge_method: str | None = None
    prompt: frozenset[str] = frozenset()
    max_age: int | None = None
    acr_values: tuple[str, ...] = ()
    idp_hint: str | None = None

    @property
    def client_id(self) -> str:
        return self.client.client_id

    def accepts_session(self, auth_time: int, now: int) -> bool:
        """Whether a login made at ``auth_time`` may serve this request (OIDC Core §3.1.2.1).

        False under ``prompt=login`` and when older than ``max_age`` (``max_age=0``
        always asks for a new login). The login use case asks once, before it
        starts a login, and not again for the login it has just completed.
        """
        if "login" in self.prompt:
            return False
        return self.max_age is None or (self.max_age > 0 and now - auth_time <= self.max_age)

    def redirect_error(self, error: type[OAuthError], description: str | None = None) -> OAuthError:
        """An error of this request that goes back to the client by redirect."""
        return error(description, redirect_uri=self.redirect_uri, state=self.state)

    def login_required(self) -> OAuthError:
        """``prompt=none`` but the user has to log in (OIDC Core §3.1.2.6)."""
        return self.redirect_error(LoginRequired, "the user has to log in")

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready, to keep in the login transaction across the upstream round trip."""
        return {
            "client_id": self.client.client_id,
            "redirect_uri": self.redirect_uri,
            "scope": list(self.scope),
            "requested_scope": list(self.requested_scope),
            "state": self.state,
            "nonce": self.nonce,
            "code_challenge": self.code_challenge,
            "code_challenge_method": self.code_challenge_method,
            "prompt": sorted(self.prompt),
            "max_age": self.max_age,
            "acr_values": list(self.acr_values),
            "idp_hint": self.idp_hint,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], client: Client) -> AuthorizationRequest:
        """The request ``to_dict`` saved, with its client looked up again by the caller."""
        if data["client_id"] != client.client_id:
            raise ValueError("the saved authorization request belongs to another client")
        fields = {k: v for k, v in data.items() if k != "client_id"}
        for name in ("scope", "requested_scope", "acr_values"):
            fields[name] = tuple(fields[name])
        fields["prompt"] = frozenset(fields["prompt"])
        return cls(client=client, **fields)


async def validate_authorization_request(
    request: OAuthRequest, client_lookup: ClientLookup
) -> AuthorizationRequest:
    if request.method not in ("GET", "POST"):
        raise InvalidRequest("the authorization endpoint accepts GET and POST")
    params = request.params
    client = await _client(params, client_lookup)
    redirect_uri = _redirect_uri(params, client)
    with _redirecting(redirect_uri, None):
        state = params.get("state", max_length=MAX_STATE)
    with _redirecting(redirect_uri, state):
        return _validated(params, client, redirect_uri, state)


def authorization_response(request: AuthorizationRequest, code: str, *, issuer: str) -> str:
    """The redirect carrying the code (RFC 6749 §4.1.2) and ``iss`` (RFC 9207 §2)."""
    params = [("code", code)]
    if request.state is not None:
        params.append(("state", request.state))
    params.append(("iss", issuer))
    return _with_query(request.redirect_uri, params)


def error_redirect(error: OAuthError, *, issuer: str) -> str:
    """The redirect carrying ``error`` (RFC 6749 §4.1.2.1) with state and ``iss`` (RFC 9207 §2)."""
    if error.redirect_uri is None:
        raise ValueError("this error must be shown as a page: the redirect_uri is not validated")
    params = list(error.body().items())
    if error.state is not None:
        params.append(("state", error.state))
    params.append(("iss", issuer))
    return _with_query(error.redirect_uri, params)


async def _client(params: Params, client_lookup: ClientLookup) -> Client:
    client_id = params.require("client_id", max_length=MAX_CLIENT_ID)
    client = await client_lookup(client_id)
    if client is None:
        raise InvalidRequest("unknown client_id")
    return client


def _redirect_uri(params: Params, client: Client) -> str:
    # OIDC Core §3.1.2.1: REQUIRED, exact match with a registered URI (RFC 8252 loopback rule aside).
    redirect_uri = params.require("redirect_uri", max_length=MAX_URI)
    if not client.redirect_uri_allowed(redirect_uri):
        raise InvalidRequest("redirect_uri is not registered for this client")
    return redirect_uri


@contextmanager
def _redirecting(redirect_uri: str, state: str | None) -> Iterator[None]:
    try:
        yield
    except OAuthError as exc:
        exc.redirect_uri, exc.state = redirect_uri, state
        raise


def _validated(params: Params, client: Client, redirect_uri: str, state: str | None) -> AuthorizationRequest:
    if "request" in params:
        raise RequestNotSupported("request objects are not supported")
    if "request_uri" in params:
        raise RequestUriNotSupported("request_uri is not supported")
    response_type = params.require("response_type", max_length=64)
    if response_type != "code":
        raise UnsupportedResponseType("only response_type=code is supported")
    if not client.allows_grant("authorization_code"):
        raise UnauthorizedClient("the client may not use the authorization code flow")
    if params.get("response_mode", max_length=32) not in (None, "query"):
        raise InvalidRequest("only response_mode=query is supported")
    requested = parse_scope(params.get("scope", max_length=MAX_SCOPE))
    if OPENID not in requested:
        raise InvalidScope("scope must include openid")
    scope = narrow(requested, client.scopes)
    if OPENID not in scope:
        raise InvalidScope("the client is not registered for the openid scope")
    challenge, method = _pkce(params, client)
    acr_values = params.get("acr_values", max_length=MAX_ACR_VALUES)
    return AuthorizationRequest(
        client=client,
        redirect_uri=redirect_uri,
        scope=scope,
        requested_scope=requested,
        state=state,
        nonce=params.get("nonce", max_length=MAX_NONCE),
        code_challenge=challenge,
        code_challenge_method=method,
        prompt=_prompt(params),
        max_age=_max_age(params),
        acr_values=tuple(acr_values.split()) if acr_values else (),
        idp_hint=params.get("idp_hint", max_length=MAX_IDP_HINT),
    )


def _pkce(params: Params, client: Client) -> tuple[str | None, str | None]:
    challenge = params.get("code_challenge", max_length=128)
    method = params.get("code_challenge_method", max_length=16)
    if challenge is None:
        if method is not None:
            raise InvalidRequest("code_challenge_method without code_challenge")
        if client.requires_pkce:
            raise InvalidRequest("code_challenge is required: public clients use PKCE with S256")
        return None, None
    if method != pkce.S256:  # absent means "plain" (RFC 7636 §4.3), which is refused too
        raise InvalidRequest("code_challenge_method must be S256")
    if not pkce.is_well_formed(challenge):
        raise InvalidRequest("code_challenge is malformed")
    return challenge, method


def _prompt(params: Params) -> frozenset[str]:
    raw = params.get("prompt", max_length=64)
    values = frozenset(raw.split()) if raw else frozenset()
    if values - PROMPT_VALUES:
        raise InvalidRequest("unsupported prompt value")
    if "none" in values and len(values) > 1:
        raise InvalidRequest("prompt=none cannot be combined with other values")
    return values


def _max_age(params: Params) -> int | None:
    raw = params.get("max_age", max_length=9)
    if raw is None:
        return None
    if _MAX_AGE.fullmatch(raw) is None:
        raise InvalidRequest("max_age must be a non-negative integer")
    return int(raw)


def _with_query(uri: str, params: list[tuple[str, str]]) -> str:
    # RFC 6749 §3.1.2: a query component of the registered URI MUST be retained.
    parts = urlsplit(uri)
    extra = urlencode(params)
    query = f"{parts.query}&{extra}" if parts.query else extra
    return urlunsplit((parts.scheme, parts.netloc, parts.path, query, ""))
