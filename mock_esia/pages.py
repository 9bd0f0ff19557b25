"""HTML plumbing of the login pages: strict form reading, rendering, Russian error pages.

``read_form`` accepts only ``application/x-www-form-urlencoded`` bodies of a
bounded size, decodes them strictly as UTF-8, and refuses duplicated,
oversized or control-character fields with ``FormError`` (a Russian message
and an HTTP status), so no malformed input can reach a handler as a 500.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import parse_qsl

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from mock_esia.session import Csrf, secure_cookies
from mock_esia.state import MockState

MAX_BODY = 32 * 1024
MAX_FIELDS = 24
SECURITY_HEADERS = {
    "Cache-Control": "no-store",
    "Pragma": "no-cache",
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Content-Security-Policy": (
        "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'; base-uri 'none'"
    ),
}


class FormError(Exception):
    def __init__(self, message: str, status_code: int = 400) -> None:
        super().__init__(message)
        self.message = message
        self.status_code = status_code


def state_of(request: Request) -> MockState:
    state: MockState = request.app.state.mock
    return state


def request_id(request: Request) -> str:
    return str(getattr(request.state, "request_id", "-"))


def _clean(value: str, limit: int) -> str:
    if len(value) > limit:
        raise FormError("Значение поля слишком длинное. Проверьте введённые данные.", 413)
    if any(ord(ch) < 32 or ord(ch) == 127 for ch in value):
        raise FormError("Поле содержит недопустимые символы.")
    return value


async def read_form(request: Request, limits: Mapping[str, int]) -> dict[str, str]:
    """The named fields of a posted form (unknown fields are ignored); absent fields are absent."""
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type != "application/x-www-form-urlencoded":
        raise FormError("Неподдерживаемый формат данных формы.", 415)
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_BODY:
            raise FormError("Слишком большой объём данных формы.", 413)
    try:
        pairs = parse_qsl(
            body.decode("utf-8"), keep_blank_values=True, max_num_fields=MAX_FIELDS, errors="strict"
        )
    except (UnicodeDecodeError, ValueError) as exc:
        raise FormError("Не удалось прочитать данные формы.") from exc
    values: dict[str, str] = {}
    for name, value in pairs:
        if name not in limits:
            continue
        if name in values:
            raise FormError("Поле формы передано несколько раз.")
        values[name] = _clean(value, limits[name])
    return values


def single_query(request: Request, name: str, limit: int) -> str | None:
    """One query parameter, or None when it is absent, repeated, empty or oversized."""
    found = request.query_params.getlist(name)
    if len(found) != 1 or not found[0] or len(found[0]) > limit:
        return None
    return found[0]


def render(
    request: Request,
    template: str,
    context: dict[str, Any] | None = None,
    *,
    status_code: int = 200,
    csrf: Csrf | None = None,
) -> Response:
    state = state_of(request)
    page = {"request_id": request_id(request), **(context or {})}
    response = state.templates.TemplateResponse(
        request, template, page, status_code=status_code, headers=SECURITY_HEADERS
    )
    if csrf is not None:
        csrf.attach(response, secure=secure_cookies(state.settings.base_url))
    return response


def error_page(
    request: Request,
    title: str,
    message: str,
    *,
    status_code: int = 400,
    hint: str | None = None,
    links: list[tuple[str, str]] | None = None,
) -> Response:
    context = {"title": title, "message": message, "hint": hint, "links": links or [], "error": True}
    return render(request, "message.html", context, status_code=status_code)


def form_error_page(request: Request, exc: FormError) -> Response:
    return error_page(
        request,
        "Ошибка в запросе",
        exc.message,
        status_code=exc.status_code,
        hint="Вернитесь на предыдущую страницу и отправьте форму ещё раз или начните вход заново.",
    )


def csrf_error_page(request: Request) -> Response:
    return error_page(
        request,
        "Сессия устарела",
        "Страница устарела или была открыта в другом окне. Вернитесь в систему, "
        "из которой вы пришли, и начните вход заново.",
    )


def redirect(url: str) -> Response:
    return RedirectResponse(url, status_code=302, headers=SECURITY_HEADERS)
