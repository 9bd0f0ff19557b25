"""``POST /aas/oauth2/v3/te`` (code and refresh-token grants) and the published keys.

Errors are HTTP 400 JSON ``{"error", "error_description", "state"}``, the state
echoed whenever one was sent. Client authentication failures are 400 too, not
401: ESIA answers 400 for every token error. Checks, in order:

1. form body, parameters not duplicated, oversized or malformed — 007003;
2. ``grant_type`` absent — 007014; not ``authorization_code``/``refresh_token`` — 007009;
3. a mandatory parameter absent or empty — 007014;
4. unknown client — 008010; ``token_type`` other than Bearer — 007003;
   certificate hash — 007002; grant not allowed to the client — 007005;
5. timestamp malformed — 007003, drifted — 007015; state not a UUID — 007003;
6. scope blank — 007013, unknown or not allowed — 007006;
7. client_secret not base64url, no key, inactive certificate — 007053;
   a signature that does not verify — 008010;
8. state already used by this client (in v2/ac or here): it must be new — 007003;
9. code or refresh token unknown, used, expired, or another client's (or, for a
   code, another redirect_uri's) — 007011; refresh with an unregistered
   redirect_uri — 007023; scope beyond the grant — 007006.

Codes and refresh tokens are taken with one atomic ``get_and_delete``, so each
is used once whatever the concurrency; each refresh returns a new refresh token.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import asdict
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from mock_esia import flow
from mock_esia.clients import RegisteredClient
from mock_esia.errors import EsiaError
from mock_esia.params import MalformedParameters, is_uuid, missing, parse_parameters
from mock_esia.routes.authorize import ac_request_string, seen_state_key
from mock_esia.routes.common import (
    NO_STORE,
    SecretCheck,
    check_certificate_hash,
    check_client_secret,
    check_scope,
    esia_json,
    mock_state,
)
from mock_esia.signature import request_string
from mock_esia.state import MockState
from mock_esia.timestamps import check_timestamp
from mock_esia.tokens import issue_tokens

TE_PATH = "/aas/oauth2/v3/te"
GRANTS = ("authorization_code", "refresh_token")
COMMON = (
    "client_id", "client_secret", "client_certificate_hash", "redirect_uri", "scope", "state", "timestamp",
)
FORM = "application/x-www-form-urlencoded"

router = APIRouter()


async def _read_form(request: Request, limit: int) -> bytes:
    if request.headers.get("content-type", "").split(";")[0].strip().lower() != FORM:
        raise MalformedParameters()
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > limit:
            raise MalformedParameters()
    return bytes(body)


def refresh_key(token: str) -> str:
    return f"rt:{token}"


async def _authenticate(st: MockState, params: dict[str, str], grant_type: str) -> RegisteredClient:
    client = st.clients.get(params["client_id"])
    if client is None:
        raise EsiaError("ESIA-008010")
    if params.get("token_type", "Bearer") != "Bearer":
        raise EsiaError("ESIA-007003")
    check_certificate_hash(client, params["client_certificate_hash"])
    if not client.allows_grant(grant_type):
        raise EsiaError("ESIA-007005")
    check_timestamp(params["timestamp"], drift_seconds=st.settings.timestamp_drift_seconds)
    if not is_uuid(params["state"]):
        raise EsiaError("ESIA-007003")
    check_scope(client, params["scope"])
    message = ac_request_string(params)
    if grant_type == "authorization_code":
        message += request_string(params["code"])
    verdict = await check_client_secret(client, message, params["client_secret"])
    if verdict is SecretCheck.UNUSABLE:
        raise EsiaError("ESIA-007053")
    if verdict is SecretCheck.WRONG:
        raise EsiaError("ESIA-008010")
    ttl = 2 * st.settings.timestamp_drift_seconds  # a replay needs a timestamp within the drift
    if not await st.kv.set_if_absent(seen_state_key(client.client_id, params["state"]), "te", ttl):
        raise EsiaError("ESIA-007003")
    return client


async def _redeem(
    st: MockState, params: dict[str, str], client: RegisteredClient, grant_type: str
) -> flow.Grant:
    if grant_type == "authorization_code":
        grant = await flow.redeem_code(st.kv, params["code"])
        expected = (client.client_id, params["redirect_uri"])
        if grant is None or (grant.client_id, grant.redirect_uri) != expected:
            raise EsiaError("ESIA-007011")
    else:
        key = refresh_key(params["refresh_token"])
        raw = await st.kv.get(key)
        if raw is None or json.loads(raw)["client_id"] != client.client_id:
            raise EsiaError("ESIA-007011")
        if params["redirect_uri"] not in client.redirect_uris:
            raise EsiaError("ESIA-007023")
        taken = await st.kv.get_and_delete(key)
        if taken is None:
            raise EsiaError("ESIA-007011")
        grant = flow.Grant(**json.loads(taken))
    check_scope(client, params["scope"], granted=grant.scope)
    return grant


async def _exchange(st: MockState, params: dict[str, str]) -> dict[str, Any]:
    grant_type = params.get("grant_type")
    if grant_type is None:
        raise EsiaError("ESIA-007014")
    if grant_type not in GRANTS:
        raise EsiaError("ESIA-007009")
    if missing(params, (*COMMON, "code" if grant_type == "authorization_code" else "refresh_token")):
        raise EsiaError("ESIA-007014")
    client = await _authenticate(st, params, grant_type)
    grant = await _redeem(st, params, client, grant_type)
    account = st.accounts.by_oid(grant.oid)
    if account is None:
        raise EsiaError("ESIA-007011")
    settings = st.settings
    tokens = issue_tokens(
        st.keys, grant, account, issuer=settings.issuer, ttl=settings.access_token_ttl,
        fault=st.faults.token_fault(),
    )
    body: dict[str, Any] = {
        "access_token": tokens.access_token,
        "id_token": tokens.id_token,
        "state": params["state"],
        "token_type": "Bearer",
        "expires_in": tokens.expires_in,
    }
    if grant.access_type == "offline" and client.allows_grant("refresh_token"):
        refresh_token = str(uuid.uuid4())
        await st.kv.set(refresh_key(refresh_token), json.dumps(asdict(grant)), settings.refresh_token_ttl)
        body["refresh_token"] = refresh_token
    return body


@router.post(TE_PATH, include_in_schema=False)
async def token(request: Request) -> JSONResponse:
    st = mock_state(request)
    limit = st.settings.max_parameter_length
    try:
        params = parse_parameters(await _read_form(request, limit * 16), max_length=limit)
    except MalformedParameters as exc:
        return esia_json(exc, exc.state)
    try:
        body = await _exchange(st, params)
    except EsiaError as exc:
        return esia_json(exc, params.get("state"))
    return JSONResponse(body, headers=NO_STORE)


@router.get("/jwks", include_in_schema=False)
@router.get("/aas/oauth2/jwks", include_in_schema=False)
async def jwks(request: Request) -> JSONResponse:
    return JSONResponse(mock_state(request).keys.jwks(), headers={"Cache-Control": "max-age=60"})
