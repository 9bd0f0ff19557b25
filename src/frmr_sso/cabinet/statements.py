"""The cabinet's statements page: order an extract or a certificate, follow it, download the signed PDF."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from frmr_sso.cabinet.forms import CsrfRefused, broker_errors, checked_form, csrf_page
from frmr_sso.cabinet.oidc_client import BrokerError
from frmr_sso.cabinet.pages import page, signed_in
from frmr_sso.cabinet.runtime import runtime
from frmr_sso.cabinet.views import render

router = APIRouter()
STATEMENTS = "/api/v1/me/statements"


@router.get("/statements", include_in_schema=False)
async def statements(request: Request) -> Response:
    session = await signed_in(request)
    rt = runtime(request)
    reading = await rt.api.read(session, STATEMENTS)
    items = reading.data.get("statements", []) if reading.ok and isinstance(reading.data, dict) else []
    return await page(
        request,
        "statements.html",
        session,
        "statements",
        title="Выписки",
        reading=reading,
        statements=items,
        certificate_url=f"{rt.config.issuer}/api/v1/statements/certificate.pem",
    )


@router.post("/statements", include_in_schema=False)
async def order_statement(request: Request) -> Response:
    try:
        session, form = await checked_form(request)
    except CsrfRefused:
        return csrf_page(request)
    rt = runtime(request)
    response = await rt.api.call(session, "POST", STATEMENTS, json={"kind": str(form.get("kind", ""))})
    if response.status_code == 202:
        session.notice = "Документ заказан. Он будет готов через несколько секунд — обновите страницу."
    elif response.status_code == 429:
        session.notice = "Уже готовятся несколько документов. Дождитесь их и закажите снова."
    elif response.status_code == 404:
        session.notice = "Документ не заказан: в ФРМР нет вашей записи."
    elif response.status_code == 400:
        session.notice = "Документ не заказан: " + " ".join(broker_errors(response).values())
    else:
        raise BrokerError(f"statement order refused with {response.status_code}", status=response.status_code)
    await rt.sessions.save(session)
    return RedirectResponse(f"{request.scope['root_path']}/statements", status_code=303)


@router.get("/statements/{statement_id}/pdf", include_in_schema=False)
async def statement_pdf(statement_id: str, request: Request) -> Response:
    session = await signed_in(request)
    if not statement_id.replace("-", "").isalnum() or len(statement_id) > 64:
        return render(
            request,
            "message.html",
            status=404,
            title="Документ не найден",
            alert=True,
            lead="Такого документа нет среди ваших.",
        )
    response = await runtime(request).api.call(session, "GET", f"{STATEMENTS}/{statement_id}/pdf")
    if response.status_code == 200 and response.headers.get("content-type") == "application/pdf":
        headers = {
            "Content-Disposition": response.headers.get("content-disposition", "attachment"),
            "Cache-Control": "no-store",
            "X-Content-Type-Options": "nosniff",
        }
        return Response(response.content, media_type="application/pdf", headers=headers)
    if response.status_code in (404, 409):
        lead = (
            "Документ ещё готовится или его нет среди ваших."
            if response.status_code == 409
            else "Такого документа нет среди ваших."
        )
        return render(
            request,
            "message.html",
            status=response.status_code,
            title="Документ недоступен",
            alert=True,
            lead=lead,
            link=(f"{request.scope['root_path']}/statements", "К выпискам"),
        )
    raise BrokerError(f"statement download refused with {response.status_code}", status=response.status_code)
