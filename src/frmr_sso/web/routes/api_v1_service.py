"""A worker's length of service and accreditation status, computed from their FRMR record.

``GET /api/v1/me/length-of-service``: total and per post, as years, months and
days (``registry/service_length.py`` states the rule and its sources); its ETag
comes from the record's version stamp and the day, so ``If-None-Match`` gets
304 after reading that stamp alone.
``GET /api/v1/me/accreditation-status``: the five-year cycle of the latest
accreditation, hours and credits counted in it, the end date and the status
(``registry/accreditation.py``). ``?on=YYYY-MM-DD`` computes as of another day
(default: today, UTC).
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response

from frmr_sso.cabinet_backend.base import NotFound
from frmr_sso.cabinet_backend.change_requests.form_fields import FieldError, Invalid, parse_date
from frmr_sso.registry import accreditation as acc
from frmr_sso.registry.models import FrmrPerson
from frmr_sso.web import api_docs
from frmr_sso.web.cabinet_auth import worker
from frmr_sso.web.cabinet_http import AUTH_ERRORS, INPUT_ERRORS, JSON_DOC, PROBLEM_DOC, no_store
from frmr_sso.web.deps import CallersDep, RegistryApiDep, RegistryDep
from frmr_sso.web.routes.api_v1_registry_http import reading_answer, revalidated

router = APIRouter(tags=["cabinet"])
_ON = {
    "parameters": [
        {
            "name": "on",
            "in": "query",
            "required": False,
            "schema": {"type": "string", "format": "date"},
            "description": "compute as of this day (YYYY-MM-DD); default today",
        }
    ]
}
_ERRORS = {
    **AUTH_ERRORS,
    **INPUT_ERRORS,
    422: {"description": "the record holds a period that cannot count; `field` names it", **PROBLEM_DOC},
}


def _on(request: Request) -> date:
    unknown = [k for k in request.query_params if k != "on"]
    if unknown:
        raise Invalid([FieldError(k[:64], "unknown parameter") for k in unknown])
    raw = request.query_params.get("on")
    if raw is None:
        return datetime.now(UTC).date()
    try:
        return parse_date(raw)
    except ValueError as exc:
        raise Invalid([FieldError("on", str(exc))]) from None


async def _person(request: Request, callers: CallersDep, registry: RegistryDep) -> FrmrPerson:
    me = await worker(request, callers)
    person = await registry.get(me.frmr_id)
    if person is None:
        raise NotFound("there is no FRMR record of this person")
    return person


async def length_of_service(request: Request, callers: CallersDep, api: RegistryApiDep) -> Response:
    me, on = await worker(request, callers), _on(request)
    unchanged = await revalidated(request, lambda: api.service_length_etag(me.frmr_id, on))
    return unchanged or reading_answer(request, await api.service_length(me.frmr_id, on))


async def accreditation_status(request: Request, callers: CallersDep, registry: RegistryDep) -> Response:
    person, today = await _person(request, callers, registry), _on(request)
    accreditations = [
        acc.Accreditation(a.speciality_name or a.speciality_code, a.pass_date, a.end_date)
        for a in person.accreditations
    ]
    status = acc.cycle_status(accreditations, acc.activities(list(person.courses)), today)
    body = {
        "on": today.isoformat(),
        "status": status.status.value,
        "status_label": status.label,
        "speciality": status.speciality,
        "cycle_begin": status.cycle_begin.isoformat() if status.cycle_begin else None,
        "accreditation_ends": status.ends_on.isoformat() if status.ends_on else None,
        "days_left": status.days_left,
        "hours": status.hours,
        "credits": status.credits,
        "required": {
            "hours_only": acc.HOURS_ONLY,
            "hours_with_credits": acc.HOURS_WITH_CREDITS,
            "credits": acc.CREDITS,
        },
        "requirement_met": status.met,
        "hours_needed": status.hours_needed,
        "hours_with_credits_needed": status.hours_with_credits_needed,
        "credits_needed": status.credits_needed,
        "progress": status.progress,
        "expected_progress": status.expected,
    }
    return JSONResponse(body, headers=no_store())


_DOCS: dict[str, Any] = {
    "response_class": Response,
    "dependencies": api_docs.BEARER_AUTH,
    "openapi_extra": _ON,
}
_LENGTH_OK = {
    200: {"description": "total and per-post length of service", **JSON_DOC},
    304: {"description": "If-None-Match matched the current ETag"},
    **_ERRORS,
}
_STATUS_OK = {200: {"description": "the cycle, the end date and the status", **JSON_DOC}, **_ERRORS}
router.add_api_route(
    "/api/v1/me/length-of-service", length_of_service, methods=["GET"], responses=_LENGTH_OK, **_DOCS
)
router.add_api_route(
    "/api/v1/me/accreditation-status", accreditation_status, methods=["GET"], responses=_STATUS_OK, **_DOCS
)
