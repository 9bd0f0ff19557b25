"""Development endpoints (included only when ``settings.dev`` is true).

* ``GET /_dev/faults`` — the active ``FaultConfig``; ``PUT`` replaces it (422 when
  invalid); ``DELETE`` turns every fault off and releases hanging requests.
* ``POST /_dev/keys/rotate`` — a new token signing key; the previous one stays
  in the JWKS.
* ``POST /_dev/codes`` — ``{"tx": …, "oid": …, "amr": "PWD"}``: finish the login
  of an open ``/v2/ac`` transaction without the login pages (tests of the
  protocol side). Answers ``{"location": …}``: the redirect the login pages
  would make, with ``code`` and ``state`` (or ESIA-007055 for an unconfirmed
  account at a client that requires confirmed ones).
"""

from __future__ import annotations

import time
import uuid
from typing import Any

from fastapi import APIRouter, FastAPI, Request, Response
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from mock_esia import flow
from mock_esia.errors import EsiaError
from mock_esia.fault_middleware import FaultMiddleware
from mock_esia.faults import FaultConfig
from mock_esia.routes.common import mock_state
from mock_esia.state import MockState

router = APIRouter(prefix="/_dev", include_in_schema=False)


def install_fault_middleware(app: FastAPI, state: MockState) -> None:
    app.add_middleware(FaultMiddleware, faults=state.faults)


@router.get("/faults")
async def read_faults(request: Request) -> dict[str, Any]:
    return mock_state(request).faults.config.model_dump(mode="json")


@router.put("/faults")
async def replace_faults(request: Request, config: FaultConfig) -> dict[str, Any]:
    mock_state(request).faults.set(config)
    return config.model_dump(mode="json")


@router.delete("/faults", status_code=204)
async def clear_faults(request: Request) -> Response:
    mock_state(request).faults.clear()
    return Response(status_code=204)


@router.post("/keys/rotate")
async def rotate_keys(request: Request) -> dict[str, Any]:
    keys = mock_state(request).keys
    kid = keys.rotate()
    return {"kid": kid, "kids": [key["kid"] for key in keys.jwks()["keys"]]}


class CodeRequest(BaseModel):
    tx: str = Field(min_length=1, max_length=256)
    oid: int
    amr: str = Field(default="PWD", pattern="^(PWD|DS|SMS|TOTP)$")


@router.post("/codes")
async def mint_code(request: Request, body: CodeRequest) -> JSONResponse:
    st = mock_state(request)
    account = st.accounts.by_oid(body.oid)
    if account is None:
        return JSONResponse({"detail": "unknown oid"}, status_code=404)
    auth = await flow.close_transaction(st.kv, body.tx)
    if auth is None:
        return JSONResponse({"detail": "unknown or finished transaction"}, status_code=404)
    client = st.clients.get(auth.client_id)
    if client is not None and client.require_trusted and not account.trusted:
        return JSONResponse({"location": flow.error_redirect(auth, EsiaError("ESIA-007055"))})
    grant = flow.Grant(
        client_id=auth.client_id,
        redirect_uri=auth.redirect_uri,
        scope=auth.scope,
        scope_org=auth.scope_org,
        oid=account.oid,
        auth_time=int(time.time()),
        amr=body.amr,
        sid=str(uuid.uuid4()),
        access_type=auth.access_type,
    )
    code = await flow.issue_code(st.kv, grant, st.settings.code_ttl)
    return JSONResponse({"location": flow.success_redirect(auth, code)})
