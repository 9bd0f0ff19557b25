"""``/login/consent``: the person allows or refuses what a third-party client asks for (``ConsentStep``).

``GET /login/consent?id=…`` lists in Russian what each requested scope shares;
``POST /login/consent`` (fields ``id``, ``csrf``, ``decision`` = ``allow`` | ``deny``)
answers: the code, or ``error=access_denied`` with ``state`` and ``iss``, back to the client.
"""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from frmr_sso.login.consent import PAGE_PATH, ConsentForm
from frmr_sso.login.session_store import SESSION_COOKIE
from frmr_sso.oidc.scope_labels import scope_labels
from frmr_sso.web.deps import ConsentDep
from frmr_sso.web.login_http import LoginServicesDep, audit_context, page_fields, respond
from frmr_sso.web.pages import render

router = APIRouter(tags=["login"])
MAX_FIELD = 256


@router.get(PAGE_PATH, include_in_schema=False)
async def consent_page(request: Request, services: LoginServicesDep, consent: ConsentDep) -> Response:
    outcome = await consent.page(
        request.query_params.get("id", "")[:MAX_FIELD], request.cookies.get(SESSION_COOKIE),
        audit_context(request),
    )
    if isinstance(outcome, ConsentForm):
        return render(
            request, "consent.html", action=PAGE_PATH, pending_id=outcome.pending_id, csrf=outcome.csrf,
            client_name=outcome.client_name, scopes=scope_labels(outcome.scopes),
        )
    return respond(request, services, outcome)


@router.post(PAGE_PATH, include_in_schema=False)
async def consent_answer(request: Request, services: LoginServicesDep, consent: ConsentDep) -> Response:
    form = await page_fields(request, MAX_FIELD)
    outcome = await consent.answer(
        form.get("id"), form.get("csrf"), form.get("decision") == "allow",
        request.cookies.get(SESSION_COOKIE), audit_context(request),
    )
    return respond(request, services, outcome)
