"""OpenAPI descriptions of the protocol endpoints, which read their form bodies themselves.

The endpoints parse ``application/x-www-form-urlencoded`` by hand (duplicate
detection, size limits), so FastAPI cannot infer their bodies; these helpers
describe the bodies, the answers and the client authentication for
``openapi.yaml``. The security dependencies only document: with
``auto_error=False`` they never answer on their own.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar, cast

from fastapi import Security
from fastapi.params import Depends
from fastapi.responses import Response
from fastapi.security import HTTPBearer
from fastapi.security.http import HTTPBase

from frmr_sso.web.oauth_http import FORM_TYPE

Schema = dict[str, Any]
_Endpoint = TypeVar("_Endpoint", bound=Callable[..., Any])

CLIENT_BASIC = HTTPBase(
    scheme="basic",
    scheme_name="clientSecretBasic",
    description="RFC 6749 §2.3.1: client_id and client_secret, each form-urlencoded, in HTTP Basic",
    auto_error=False,
)
BEARER = HTTPBearer(
    scheme_name="accessToken",
    bearerFormat="JWT",
    description=(
        "RFC 6750 §2.1: an access token of this provider: an RFC 9068 JWT, or for a client registered "
        "with `access_token_format: opaque` a 51-character handle (`frmr_at_…`). Its `aud` names the issuer "
        "(UserInfo, the registry, audit and admin APIs) and, per first-party scope granted, that API: "
        "`account.sessions` → `<issuer>/api/v1/me/sessions`, `frmr.documents` → "
        "`<issuer>/api/v1/me/documents`. Only clients registered with `first_party: true` (the personal "
        "cabinet) obtain those scopes; any other token gets 403 insufficient_scope there."
    ),
    auto_error=False,
)
CLIENT_AUTH: list[Depends] = [Security(CLIENT_BASIC)]
BEARER_AUTH: list[Depends] = [Security(BEARER)]

OAUTH_ERROR: Schema = {
    "type": "object",
    "required": ["error"],
    "properties": {
        "error": {"type": "string", "example": "invalid_request"},
        "error_description": {"type": "string"},
        "error_uri": {"type": "string"},
    },
}
CLIENT_FIELDS: dict[str, Schema] = {
    "client_id": {"type": "string", "description": "client_secret_post, or a public client"},
    "client_secret": {"type": "string", "description": "client_secret_post only"},
}


def bearer_route(route: Callable[..., Any], path: str, **options: Any) -> Callable[[_Endpoint], _Endpoint]:
    """``route`` (``router.get``, ``router.post``) at ``path`` for an API endpoint that takes a bearer
    access token and builds its own ``Response``."""
    decorate = route(path, response_class=Response, dependencies=BEARER_AUTH, **options)
    return cast("Callable[[_Endpoint], _Endpoint]", decorate)


def _string(description: str, enum: list[str] | None = None) -> Schema:
    schema: Schema = {"type": "string", "description": description}
    if enum:
        schema["enum"] = enum
    return schema


def form_body(
    title: str, fields: dict[str, Schema], required: list[str], *, optional: bool = False
) -> Schema:
    """``openapi_extra`` for a form body with ``fields``."""
    schema: Schema = {"title": title, "type": "object", "properties": fields, "required": required}
    return {"requestBody": {"required": not optional, "content": {FORM_TYPE: {"schema": schema}}}}


def responses(ok: str, ok_schema: Schema | None, errors: dict[int, str]) -> dict[int | str, Any]:
    """``responses`` for a JSON endpoint: its 200 and the OAuth errors it may answer."""
    documented: dict[int | str, Any] = {
        200: {"description": ok, "content": {"application/json": {"schema": ok_schema or {"type": "object"}}}}
    }
    for status, description in errors.items():
        documented[status] = {
            "description": description,
            "content": {"application/json": {"schema": OAUTH_ERROR}},
        }
    return documented


TOKEN_FIELDS: dict[str, Schema] = {
    "grant_type": _string(
        "RFC 6749 §4.1.3, §4.4.2, §6", ["authorization_code", "refresh_token", "client_credentials"]
    ),
    "code": _string("authorization_code: the code from /authorize"),
    "redirect_uri": _string("authorization_code: exactly the redirect_uri of the authorization request"),
    "code_verifier": _string("authorization_code: the PKCE verifier (RFC 7636), required for public clients"),
    "refresh_token": _string("refresh_token: the current refresh token; it is rotated"),
    "scope": _string("refresh_token, client_credentials: space-separated scopes"),
    **CLIENT_FIELDS,
}
TOKEN_RESPONSE: Schema = {
    "type": "object",
    "required": ["access_token", "token_type", "expires_in", "scope"],
    "properties": {
        "access_token": {
            "type": "string",
            "description": "RFC 9068 JWT (typ at+jwt); for a client registered with access_token_format: "
            "opaque, `frmr_at_` and 43 base64url characters (introspect it)",
        },
        "token_type": {"type": "string", "enum": ["Bearer"]},
        "expires_in": {"type": "integer"},
        "scope": {"type": "string"},
        "refresh_token": {"type": "string", "description": "with offline_access; rotated on every use"},
        "id_token": {"type": "string", "description": "with openid (OIDC Core §3.1.3.3)"},
    },
}
TOKEN_FORM_FIELDS: dict[str, Schema] = {
    "token": _string("the access token or refresh token"),
    "token_type_hint": _string("access_token or refresh_token", ["access_token", "refresh_token"]),
    **CLIENT_FIELDS,
}
INTROSPECTION_RESPONSE: Schema = {
    "type": "object",
    "required": ["active"],
    "properties": {
        "active": {"type": "boolean"},
        **{
            name: {"type": "string"}
            for name in ("scope", "client_id", "sub", "iss", "jti", "acr", "token_type")
        },
        **{name: {"type": "integer"} for name in ("exp", "iat", "auth_time")},
        "aud": {"oneOf": [{"type": "string"}, {"type": "array", "items": {"type": "string"}}]},
    },
}
USERINFO_RESPONSE: Schema = {
    "type": "object",
    "required": ["sub"],
    "properties": {"sub": {"type": "string"}},
    "additionalProperties": True,
    "description": "sub and the claims of the token's scopes: profile, snils, frmr (OIDC Core §5.3.2)",
}

BEARER_INVALID_REQUEST = (
    "invalid_request (RFC 6750 §3.1): a malformed bearer token, or the token sent in more than one way"
)


BEARER_TOO_MANY = "too many refused access tokens from this address (Retry-After)"


def document_bearer_refusals(document: dict[str, Any]) -> dict[str, Any]:
    """``document`` with the bearer check's 400 and 429 on every operation behind ``accessToken``.

    The check (``oauth_http.bearer_token``) runs before any route's own work, so every such
    operation can answer ``invalid_request``, in the media type of its 401 (the same refusal
    path); a route that documents a 400 of its own gets the bearer case added to its description.
    """
    for item in document.get("paths", {}).values():
        for operation in item.values():
            if not any(BEARER.scheme_name in requirement for requirement in operation.get("security", ())):
                continue
            responses = operation["responses"]
            own = responses.get("400")
            if own is None:
                content = responses["401"].get("content", {})
                responses["400"] = {"description": BEARER_INVALID_REQUEST, "content": content}
            elif "invalid_request" not in own["description"]:
                own["description"] = f"{own['description']}; or {BEARER_INVALID_REQUEST}"
            limited = responses.get("429")
            if limited is None:
                content = responses["401"].get("content", {})
                responses["429"] = {"description": BEARER_TOO_MANY, "content": content}
            elif BEARER_TOO_MANY not in limited["description"]:
                limited["description"] = f"{limited['description']}; or {BEARER_TOO_MANY}"
    return document
