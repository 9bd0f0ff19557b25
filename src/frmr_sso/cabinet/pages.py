"""The cabinet's reading pages: profile and the registry sections, requests, sessions, second factor.

Each page reads the broker's API with the person's access token (``api.py``);
registry sections are kept in the session and revalidated (ETag) on every view.
A section the broker does not offer is said to be unavailable, never filled in.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from frmr_sso.cabinet.accreditation_text import status_text
from frmr_sso.cabinet.api import Reading, SessionExpired
from frmr_sso.cabinet.change_forms import proposal_rows
from frmr_sso.cabinet.runtime import current_session, runtime
from frmr_sso.cabinet.session import CabinetSession
from frmr_sso.cabinet.views import render

router = APIRouter()
PROFILE = "/api/v1/me"
PAGE_LIMIT = "?limit=100"


@dataclass(frozen=True, slots=True)
class Part:
    title: str
    path: str
    what: str  # «В ФРМР нет сведений: …»


SECTIONS: dict[str, tuple[str, tuple[Part, ...]]] = {
    "education": (
        "Образование",
        (
            Part("Образование", "/api/v1/me/education" + PAGE_LIMIT, "об образовании"),
            Part(
                "Послевузовское образование",
                "/api/v1/me/postgraduate" + PAGE_LIMIT,
                "о послевузовском образовании",
            ),
        ),
    ),
    "work": (
        "Места работы",
        (Part("Места работы", "/api/v1/me/employments" + PAGE_LIMIT, "о местах работы"),),
    ),
    "qualification": (
        "Повышение квалификации",
        (Part("Курсы", "/api/v1/me/courses" + PAGE_LIMIT, "о повышении квалификации"),),
    ),
    "service-length": ("Стаж", (Part("Стаж", "/api/v1/me/length-of-service", "о стаже"),)),
}
TEMPLATES = {"service-length": "service_length.html"}  # sections with a page of their own
ACCREDITATION_STATUS = "/api/v1/me/accreditation-status"
ACCREDITATION_PARTS = (
    Part("Аккредитации", "/api/v1/me/accreditations" + PAGE_LIMIT, "об аккредитации"),
    Part("Сертификаты специалиста", "/api/v1/me/certificates" + PAGE_LIMIT, "о сертификатах"),
    Part("Квалификационные категории", "/api/v1/me/categories" + PAGE_LIMIT, "о категориях"),
)
CACHED = (
    PROFILE,
    ACCREDITATION_STATUS,
    *(p.path for _, parts in SECTIONS.values() for p in parts),
    *(p.path for p in ACCREDITATION_PARTS),
)
CHANGE_REQUESTS = "/api/v1/me/change-requests"
SESSIONS = "/api/v1/me/sessions"
async def signed_in(request: Request) -> CabinetSession:
    session = await current_session(request)
    if session is None:
        raise SessionExpired("not signed in")
    return session


async def page(
    request: Request,
    template: str,
    session: CabinetSession,
    current: str,
    *,
    status: int = 200,
    **context: Any,
) -> Response:
    """A page of the signed-in cabinet; a notice left by the last form is shown once."""
    notice, session.notice = session.notice, None
    if notice:
        await runtime(request).sessions.save(session)
    return render(
        request, template, status=status, session=session, current=current, notice=notice, **context
    )


def _is_empty(data: Any) -> bool:
    if not isinstance(data, dict):
        return not data
    lists = [v for v in data.values() if isinstance(v, list)]
    return bool(lists) and not any(lists)


def items_of(reading: Reading) -> Any:
    """A section page's ``items``, or the body itself."""
    data = reading.data
    return data.get("items", data) if isinstance(data, dict) and "items" in data else data


def _scalars(data: Any) -> dict[str, Any]:
    if not isinstance(data, dict):
        return {}
    return {k: v for k, v in data.items() if not isinstance(v, list | dict)}


@router.get("/profile", include_in_schema=False)
async def profile(request: Request) -> Response:
    session = await signed_in(request)
    reading = await runtime(request).api.read(session, PROFILE, cache=True)
    info = session.cache.get("userinfo", {}).get("data", {})
    if reading.ok:
        data, source = _scalars(reading.data), "api"
    else:
        data, source = _scalars(info), "userinfo"
    empty = reading.state == "missing" or (reading.ok and _is_empty(reading.data))
    return await page(
        request, "profile.html", session, "profile", title="Профиль", profile=data, source=source, empty=empty
    )


async def _parts(
    request: Request, session: CabinetSession, parts: tuple[Part, ...]
) -> list[tuple[Part, Reading]]:
    api = runtime(request).api
    return [(part, await api.read(session, part.path, cache=True)) for part in parts]


@router.get("/accreditation", include_in_schema=False)
async def accreditation(request: Request) -> Response:
    session = await signed_in(request)
    reading = await runtime(request).api.read(session, ACCREDITATION_STATUS, cache=True)
    body = reading.data if reading.ok and isinstance(reading.data, dict) else {}
    status = body.get("status")
    text = status_text(body) if status else None
    parts = await _parts(request, session, ACCREDITATION_PARTS)
    return await page(
        request,
        "accreditation.html",
        session,
        "accreditation",
        title="Аккредитация",
        reading=reading,
        accreditation_status=status if text else None,
        status_text=text,
        parts=parts,
        items_of=items_of,
    )


@router.get("/requests", include_in_schema=False)
async def requests_list(request: Request) -> Response:
    session = await signed_in(request)
    reading = await runtime(request).api.read(session, CHANGE_REQUESTS)
    return await page(
        request,
        "requests.html",
        session,
        "requests",
        title="Заявки на исправление",
        reading=reading,
        rows=proposal_rows,
    )


@router.get("/sessions", include_in_schema=False)
async def sessions(request: Request) -> Response:
    session = await signed_in(request)
    rt = runtime(request)
    reading = await rt.api.read(session, SESSIONS)
    return await page(
        request,
        "sessions.html",
        session,
        "sessions",
        title="Сеансы",
        reading=reading,
        account_sessions_url=f"{rt.config.issuer}/account/sessions",
    )


@router.get("/second-factor", include_in_schema=False)
async def second_factor(request: Request) -> Response:
    session = await signed_in(request)
    url = f"{runtime(request).config.issuer}/account/2fa"
    return await page(
        request, "second_factor.html", session, "second-factor", title="Второй фактор", second_factor_url=url,
        passkeys_url=f"{url}/passkeys",
    )


def _section_route(slug: str, title: str, parts: tuple[Part, ...]) -> None:
    async def section(request: Request) -> Response:
        session = await signed_in(request)
        found = await _parts(request, session, parts)
        template = TEMPLATES.get(slug, "section.html")
        return await page(request, template, session, slug, title=title, parts=found, items_of=items_of)

    router.add_api_route(
        f"/{slug}", section, methods=["GET"], include_in_schema=False, name=f"section_{slug}"
    )


for _slug, (_title, _parts_of_page) in SECTIONS.items():
    _section_route(_slug, _title, _parts_of_page)


@router.post("/refresh", include_in_schema=False)
async def refresh(request: Request) -> Response:
    """«Обновить данные»: revalidate every kept section (If-None-Match) and the login's claims."""
    from frmr_sso.cabinet.forms import checked_form

    session, form = await checked_form(request)
    rt = runtime(request)
    for path in CACHED:
        await rt.api.read(session, path, cache=True)
    info = await rt.client.userinfo(await rt.api.access_token(session))
    session.cache["userinfo"] = {"etag": None, "data": info}
    session.notice = "Данные обновлены из ФРМР."
    await rt.sessions.save(session)
    target = str(form.get("next", "profile"))
    target = target if target in (*SECTIONS, "accreditation") else "profile"
    return RedirectResponse(f"{request.scope['root_path']}/{target}", status_code=303)
