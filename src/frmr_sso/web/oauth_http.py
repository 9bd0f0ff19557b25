"""The HTTP adapter of the protocol endpoints: Starlette request in, ``OAuthRequest`` out, errors back.

- ``read_form``: ``application/x-www-form-urlencoded`` only (RFC 6749 §3.2), at most
  ``MAX_FORM_BYTES`` and ``MAX_FIELDS``, strict UTF-8; repeated parameters are kept so
  that ``Params.get`` refuses them (RFC 6749 §3.1).
- ``authenticate_client``: ``client_secret_basic`` or ``client_secret_post`` or a public
  client's bare ``client_id`` (RFC 6749 §2.3.1), checked by ``ClientService``, under the
  per-client and per-IP lockout (``web/client_lockout.py``) when given ``security``.
- ``bearer_token``: RFC 6750 §2.1 header or §2.2 form body; never the query (§2.3).
- ``error_response``: an ``OAuthError`` as its own JSON body and headers; the error table
  (``web/error_table.py``) answers the protocol endpoints' errors with it. No token or secret is logged.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import parse_qsl

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from frmr_sso.audit.events import AuditContext
from frmr_sso.oauth.client_service import ClientService, client_credentials
from frmr_sso.oauth.clients import Client
from frmr_sso.oauth.errors import (
    NO_STORE_HEADERS,
    BearerError,
    InvalidClient,
    InvalidRequest,
    OAuthError,
)
from frmr_sso.oauth.request import OAuthRequest, Params
from frmr_sso.security.services import Security
from frmr_sso.web.client_ip import request_ip
from frmr_sso.web.client_lockout import authenticate_locked_out

FORM_TYPE = "application/x-www-form-urlencoded"
MAX_FORM_BYTES = 64 * 1024
MAX_FIELDS = 64
MAX_CLIENT_ID = 128
MAX_SECRET = 512
MAX_AUTHORIZATION = 4096
MAX_ACCESS_TOKEN = 8192
RETRY_AFTER = "5"


def media_type(request: Request) -> str:
    return _media_type(request.headers.get("content-type", ""))


def _media_type(content_type: str) -> str:
    return content_type.split(";", 1)[0].strip().lower()


async def read_form(request: Request) -> Params:
    """The form body; InvalidRequest for another media type, an oversized or undecodable body."""
    return await _read_form(request, request_headers(request))


async def _read_form(request: Request, headers: Mapping[str, str]) -> Params:
    if _media_type(headers.get("content-type", "")) != FORM_TYPE:
        raise InvalidRequest(f"the request body must be {FORM_TYPE}")
    body = await _read_body(request, headers, MAX_FORM_BYTES)
    try:
        pairs = parse_qsl(
            body.decode("utf-8"), keep_blank_values=True, max_num_fields=MAX_FIELDS, errors="strict"
        )
    except ValueError:  # UnicodeDecodeError included; also "too many fields"
        raise InvalidRequest("the form body is malformed or has too many fields") from None
    return Params(pairs)


async def _read_body(request: Request, headers: Mapping[str, str], limit: int) -> bytes:
    declared = headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise InvalidRequest("the request body is too large")
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise InvalidRequest("the request body is too large")
        chunks.append(chunk)
    return b"".join(chunks)


def request_headers(request: Request) -> dict[str, str]:
    """The request's headers by lower-case name, the first of a repeated one (as ``dict(request.headers)``),
    decoded straight from the ASGI scope rather than through Starlette's ``Headers``."""
    headers: dict[str, str] = {}
    for raw_name, raw_value in request.scope["headers"]:
        name = raw_name.decode("latin-1")
        if name not in headers:
            headers[name] = raw_value.decode("latin-1")
    return headers


async def oauth_request(request: Request, *, form: bool = True) -> OAuthRequest:
    """The neutral request of the core; with ``form`` the body must be a form (POST endpoints).
    Kept on the request's state, where the audit of a refused request finds it."""
    headers = request_headers(request)  # ASGI servers give lower-case names
    body = await _read_form(request, headers) if form else Params()
    parsed = OAuthRequest(
        method=request.method.upper(),
        query=Params(request.query_params) if request.scope.get("query_string") else Params(),
        form=body,
        headers=headers,
        client_ip=request_ip(request.scope),
    )
    request.scope.setdefault("state", {})["oauth"] = parsed  # what an audit of a refusal names
    return parsed


def audit_context(request: Request, oauth: OAuthRequest) -> AuditContext:
    state = request.scope.get("state", {})
    return AuditContext(oauth.client_ip, oauth.header("user-agent"), state.get("request_id"))


async def authenticate_client(
    clients: ClientService, request: OAuthRequest, *, security: Security | None = None,
    context: AuditContext | None = None,
) -> Client:
    """The authenticated client of a token, introspection or revocation request.

    With ``security`` wrong secrets count toward the client's and the IP's lockout.
    """
    authorization = request.header("authorization")
    if authorization is not None and len(authorization) > MAX_AUTHORIZATION:
        raise InvalidClient("client authentication failed")
    client_id, secret, method = client_credentials(
        authorization,
        request.form.get("client_id", max_length=MAX_CLIENT_ID),
        request.form.get("client_secret", max_length=MAX_SECRET),
    )
    if len(client_id) > MAX_CLIENT_ID:
        raise InvalidClient("client authentication failed")
    if security is not None:
        context = context or AuditContext(ip=request.client_ip)
        return await authenticate_locked_out(
            security, clients, client_id, secret=secret, method=method, context=context
        )
    return await clients.authenticate(client_id, secret=secret, method=method)


class BearerMissing(BearerError):
    """RFC 6750 §3.1: a request without credentials gets a challenge with no error code."""

    error = "invalid_token"
    status_code = 401

    def headers(self) -> dict[str, str]:
        return {**NO_STORE_HEADERS, "WWW-Authenticate": f'Bearer realm="{self.realm}"'}


class BearerInvalidRequest(BearerError):
    """RFC 6750 §3.1 invalid_request (400), announced in the Bearer challenge."""

    error = "invalid_request"
    status_code = 400


def bearer_token(request: OAuthRequest) -> str:
    """The access token of a protected-resource request: header or form body, exactly one."""
    if "access_token" in request.query:
        raise BearerInvalidRequest("send the access token in the Authorization header or the form body")
    try:
        in_form = request.form.get("access_token", max_length=MAX_ACCESS_TOKEN)
    except InvalidRequest as exc:
        raise BearerInvalidRequest(exc.description) from None
    header = request.header("authorization")
    if header:
        scheme, _, token = header.strip().partition(" ")
        if scheme.lower() != "bearer":
            raise BearerMissing("use the Bearer authentication scheme")
        if in_form is not None:
            raise BearerInvalidRequest("use one method to send the access token, not two")
        if not token.strip() or len(token) > MAX_ACCESS_TOKEN:
            raise BearerInvalidRequest("the bearer token is malformed")
        return token.strip()
    if in_form is None:
        raise BearerMissing("the request carries no access token")
    return in_form


async def api_bearer(request: Request) -> tuple[OAuthRequest, str]:
    """An API call's request and its access token; a malformed one is the Bearer ``invalid_request``."""
    oauth = await oauth_request(request, form=False)
    try:
        return oauth, bearer_token(oauth)
    except InvalidRequest as exc:
        raise BearerInvalidRequest(exc.description) from None


def json_response(body: Mapping[str, Any], headers: Mapping[str, str], status_code: int = 200) -> Response:
    return JSONResponse(dict(body), status_code=status_code, headers=dict(headers))


def error_response(exc: OAuthError) -> Response:
    return json_response(exc.body(), exc.headers(), exc.status_code)
