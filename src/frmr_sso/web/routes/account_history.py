"""The person's consents to applications and login history: ``/api/v1/me/consents``, ``/api/v1/me/logins``.

Both need a person's bearer access token issued with ``openid`` and the API's
first-party scope (``account.consents``, ``account.logins``: only first-party clients
such as the cabinet get them) and the API's audience; errors are problem+json
(``account_sessions.account_caller``).

- ``GET /api/v1/me/consents``: ``{consents: [{client_id, client_name, scopes, granted_at, updated_at}]}``.
- ``DELETE /api/v1/me/consents/{client_id}``: forgets the consent and revokes that client's
  refresh tokens of the person (204; 404 when there is no such consent).
- ``GET /api/v1/me/logins?cursor=&limit=``: the person's sign-ins of the last 90 days, newest
  first: ``{items: [...], next_cursor}``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse

from frmr_sso.audit.login_history import MAX_LIMIT, WINDOW_DAYS, entry_json
from frmr_sso.oauth.client_service import ClientService
from frmr_sso.oauth.resources import ACCOUNT_CONSENTS, ACCOUNT_LOGINS, CONSENTS_API, LOGINS_API
from frmr_sso.storage.ports import AuditRecord
from frmr_sso.upstream.base import Connector
from frmr_sso.web import api_docs
from frmr_sso.web.deps import (
    AccountConsentsDep,
    BearerDep,
    ClientsDep,
    ConnectorsDep,
    LoginHistoryDep,
    SettingsDep,
)
from frmr_sso.web.errors import problem
from frmr_sso.web.refusals import AUDIT_REFUSALS
from frmr_sso.web.routes.account_sessions import API_RESPONSES, account_caller

router = APIRouter(tags=["account"])
NO_STORE = {"Cache-Control": "no-store"}
_JSON = {"application/json": {"schema": {"type": "object"}}}
_PROBLEM = {"application/problem+json": {"schema": {"type": "object"}}}


def _responses(scope: str) -> dict[int | str, dict[str, Any]]:
    forbidden = {
        "description": f"insufficient_scope: not a person's token with openid {scope} "
        "(a scope only first-party clients such as the cabinet obtain)",
        "content": _PROBLEM,
    }
    return {**API_RESPONSES, 403: forbidden}


@router.get(
    CONSENTS_API,
    response_class=Response,
    dependencies=[*api_docs.BEARER_AUTH, *AUDIT_REFUSALS],
    responses={
        200: {
            "description": "`{consents: [{client_id, client_name, scopes, granted_at, updated_at}]}`, "
            "the most recently changed first",
            "content": _JSON,
        },
        **_responses(ACCOUNT_CONSENTS),
    },
)
async def list_consents(
    request: Request, consents: AccountConsentsDep, bearer: BearerDep, settings: SettingsDep
) -> Response:
    claims, _ = await account_caller(
        request, bearer, settings.issuer, scope=ACCOUNT_CONSENTS, api=CONSENTS_API
    )
    views = await consents.views(claims.subject)
    return JSONResponse({"consents": [v.to_json() for v in views]}, headers=NO_STORE)


@router.delete(
    CONSENTS_API + "/{client_id}",
    response_class=Response,
    status_code=204,
    dependencies=[*api_docs.BEARER_AUTH, *AUDIT_REFUSALS],
    openapi_extra={
        "parameters": [{"name": "client_id", "in": "path", "required": True, "schema": {"type": "string"}}]
    },
    responses={
        204: {"description": "the consent is forgotten, the client's refresh tokens of the person revoked"},
        404: {"description": "the person has no consent for that client", "content": _PROBLEM},
        **_responses(ACCOUNT_CONSENTS),
    },
)
async def revoke_consent(
    request: Request, consents: AccountConsentsDep, bearer: BearerDep, settings: SettingsDep
) -> Response:
    client_id = str(request.path_params["client_id"])[:128]
    claims, context = await account_caller(
        request, bearer, settings.issuer, scope=ACCOUNT_CONSENTS, api=CONSENTS_API
    )
    if not await consents.revoke(claims.subject, client_id, context, via="api"):
        return problem(404, "Not found", "the person has no consent for that client")
    return Response(status_code=204, headers=NO_STORE)


@router.get(
    LOGINS_API,
    response_class=Response,
    dependencies=[*api_docs.BEARER_AUTH, *AUDIT_REFUSALS],
    openapi_extra={
        "parameters": [
            {"name": "cursor", "in": "query", "required": False, "schema": {"type": "string"},
             "description": "`next_cursor` of the previous page"},
            {"name": "limit", "in": "query", "required": False,
             "schema": {"type": "integer", "minimum": 1, "maximum": MAX_LIMIT}},
        ]
    },
    responses={
        200: {
            "description": f"the person's sign-ins of the last {WINDOW_DAYS} days, newest first: "
            "`{items: [{id, occurred_at, event_type, outcome, outcome_label, ip, user_agent, client_id, "
            "client_name, upstream}], next_cursor}` (`next_cursor` null on the last page)",
            "content": _JSON,
        },
        400: {"description": "a cursor or limit out of range", "content": _PROBLEM},
        **_responses(ACCOUNT_LOGINS),
    },
)
async def list_logins(
    request: Request, history: LoginHistoryDep, clients: ClientsDep, connectors: ConnectorsDep,
    bearer: BearerDep, settings: SettingsDep,
) -> Response:
    params = request.query_params
    claims, _ = await account_caller(request, bearer, settings.issuer, scope=ACCOUNT_LOGINS, api=LOGINS_API)
    unknown = sorted(set(params) - {"cursor", "limit"})
    if unknown:
        return problem(400, "Bad request", f"{unknown[0]}: unknown parameter; use cursor, limit")
    page = await history.page(claims.subject, cursor=params.get("cursor"), limit=params.get("limit"))
    items = [await _entry(clients, connectors, record) for record in page.entries]
    return JSONResponse({"items": items, "next_cursor": page.next_cursor}, headers=NO_STORE)


async def _entry(
    clients: ClientService, connectors: Mapping[str, Connector], record: AuditRecord
) -> dict[str, Any]:
    client = await clients.get(record.client_id) if record.client_id else None
    connector_name = record.details.get("connector")
    connector = connectors.get(connector_name) if isinstance(connector_name, str) else None
    upstream = connector.display_name if connector is not None else connector_name
    return entry_json(
        record, client_name=client.name if client is not None else record.client_id,
        upstream=upstream if isinstance(upstream, str) else None,
    )
