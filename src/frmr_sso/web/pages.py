"""Russian HTML pages of the login: rendering, failure texts and the security headers.

A failure about the upstream names it: the ESIA texts speak of ESIA and
Госуслуги; for any other connector (``FailurePage.upstream``, its display name)
the same page speaks of "служба входа «<display name>»" (``failure_text``).

Every page carries the request id (what support asks for) and is sent with a
strict CSP (no scripts, the one inline stylesheet allowed by its hash,
``frame-ancestors 'none'``), ``no-store`` and ``nosniff``. The pages that offer a
passkey load one static script of the broker (``script-src 'self'``; nothing inline).
"""

from __future__ import annotations

import base64
import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, FileSystemLoader, select_autoescape

from frmr_sso.login.outcomes import Failure, FailurePage
from frmr_sso.registry.labels import technical_reason
from frmr_sso.web.site import DEFAULT_SITE

TEMPLATES = Path(__file__).parent / "templates"
_STYLE = (TEMPLATES / "_style.css").read_text(encoding="utf-8")
_STYLE_HASH = base64.b64encode(hashlib.sha256(_STYLE.encode("utf-8")).digest()).decode("ascii")
CSP = (
    "default-src 'none'; "
    f"style-src 'sha256-{_STYLE_HASH}'; "
    "img-src 'self'; base-uri 'none'; frame-ancestors 'none'"
)
SCRIPT_PATH = "/static/passkeys.js"
SCRIPT_CSP = f"{CSP}; script-src 'self'"
"""The pages that offer a passkey: the one static script of the broker (``SCRIPT_PATH``), nothing inline."""
SECURITY_HEADERS = {
    "Content-Security-Policy": CSP,
    "Cache-Control": "no-store",
    "Pragma": "no-cache",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
}
_env = Environment(
    loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape(["html"]), auto_reload=False
)


@dataclass(frozen=True, slots=True)
class PageText:
    title: str
    lead: str
    advice: str
    alert: bool = True
    retry: str = "Повторить вход"
    """The label of the page's button that starts the same login again (when the page has one)."""


_BACK = "Вернитесь в приложение и начните вход заново."
FAILURE_TEXTS: dict[Failure, PageText] = {
    Failure.INVALID_REQUEST: PageText(
        "Некорректный запрос на вход",
        "Приложение, из которого вы пришли, отправило запрос на вход, который нельзя выполнить.",
        "Сообщите в поддержку этого приложения код запроса, указанный ниже.",
    ),
    Failure.STALE_LOGIN: PageText(
        "Сеанс входа устарел",
        "Вход не был завершён вовремя, уже был завершён или начат в другом окне или браузере.",
        _BACK,
    ),
    Failure.UPSTREAM_UNAVAILABLE: PageText(
        "ЕСИА временно недоступна",
        "Госуслуги (ЕСИА) сейчас не отвечают. Это техническая неполадка, ваши данные в порядке.",
        "Подождите немного и нажмите «Повторить вход».",
    ),
    Failure.UPSTREAM_ERROR: PageText(
        "Не удалось получить данные из ЕСИА",
        "Ответ Госуслуг (ЕСИА) не прошёл проверку, поэтому вход остановлен.",
        _BACK + " Если ошибка повторяется, сообщите в поддержку код запроса.",
    ),
    Failure.NOT_CONFIRMED: PageText(
        "Учётная запись не подтверждена",
        "Для входа в ФРМР нужна подтверждённая учётная запись Госуслуг.",
        "Подтвердите личность на Госуслугах (в центре обслуживания, через онлайн-банк или "
        "электронной подписью), затем начните вход заново.",
    ),
    Failure.SNILS_UNVERIFIED: PageText(
        "СНИЛС не подтверждён",
        "Служба входа не подтвердила ваш СНИЛС, поэтому по нему нельзя найти вашу запись в ФРМР.",
        "Войдите через Госуслуги или подтвердите СНИЛС в службе входа, затем начните вход заново.",
    ),
    Failure.SNILS_INVALID: PageText(
        "СНИЛС не указан или указан с ошибкой",
        "В учётной записи Госуслуг нет СНИЛС или он не прошёл проверку, а по нему ищется запись в ФРМР.",
        "Проверьте СНИЛС в профиле Госуслуг, затем начните вход заново.",
    ),
    Failure.NO_FRMR_DATA: PageText(
        "В ФРМР нет данных о вас",
        "Вход через Госуслуги выполнен, но в Федеральном регистре медицинских работников нет данных "
        "с вашим СНИЛС.",
        "Обратитесь к кадровой службе вашей медицинской организации: она вносит сведения в ФРМР. "
        "Когда данные внесены, нажмите «Обновить данные».",
        retry="Обновить данные",
    ),
    Failure.INSUFFICIENT_RIGHTS: PageText(
        "Недостаточно прав",
        "У приложения или у вашей роли в ФРМР нет доступа к запрошенным сведениям.",
        "Обратитесь к администратору приложения или вашей медицинской организации.",
    ),
    Failure.ACCOUNT_CONFLICT: PageText(
        "СНИЛС связан с другой учётной записью",
        "Ваш СНИЛС уже связан с другой учётной записью Госуслуг, поэтому вход остановлен.",
        "Обратитесь в службу поддержки ФРМР и назовите код запроса.",
    ),
    Failure.INTERNAL_ERROR: PageText(
        "Вход временно невозможен",
        "Во время входа произошла техническая ошибка на стороне ФРМР.",
        "Начните вход заново через несколько минут. Если ошибка повторяется, сообщите в службу "
        "поддержки ФРМР код запроса.",
    ),
    Failure.NO_UPSTREAM: PageText(
        "Вход временно невозможен",
        "Вход через Госуслуги сейчас не настроен.",
        "Попробуйте позже или обратитесь в службу поддержки.",
    ),
}
UPSTREAM_TEXTS: dict[Failure, PageText] = {
    Failure.UPSTREAM_UNAVAILABLE: PageText(
        "Служба входа «{name}» временно недоступна",
        "Служба входа «{name}» сейчас не отвечает. Это техническая неполадка, ваши данные в порядке.",
        "Подождите немного и нажмите «Повторить вход».",
    ),
    Failure.UPSTREAM_ERROR: PageText(
        "Не удалось получить данные от службы входа «{name}»",
        "Ответ службы входа «{name}» не прошёл проверку, поэтому вход остановлен.",
        _BACK + " Если ошибка повторяется, сообщите в поддержку код запроса.",
    ),
    Failure.NOT_CONFIRMED: PageText(
        "Учётная запись не подтверждена",
        "Для входа в ФРМР нужна подтверждённая учётная запись службы входа «{name}».",
        "Узнайте в службе входа «{name}», как подтвердить учётную запись, затем начните вход заново.",
    ),
    Failure.SNILS_UNVERIFIED: PageText(
        "СНИЛС не подтверждён",
        "Служба входа «{name}» не подтвердила ваш СНИЛС, поэтому по нему нельзя найти вашу запись в ФРМР.",
        "Подтвердите СНИЛС в службе входа «{name}» или войдите другим способом, затем начните вход заново.",
    ),
    Failure.SNILS_INVALID: PageText(
        "СНИЛС не указан или указан с ошибкой",
        "В учётной записи службы входа «{name}» нет СНИЛС или он не прошёл проверку, а по нему ищется "
        "запись в ФРМР.",
        "Проверьте СНИЛС в профиле службы входа «{name}», затем начните вход заново.",
    ),
    Failure.NO_FRMR_DATA: PageText(
        "В ФРМР нет данных о вас",
        "Вход через «{name}» выполнен, но в Федеральном регистре медицинских работников нет данных "
        "с вашим СНИЛС.",
        FAILURE_TEXTS[Failure.NO_FRMR_DATA].advice,
    ),
    Failure.ACCOUNT_CONFLICT: PageText(
        "СНИЛС связан с другой учётной записью",
        "Ваш СНИЛС уже связан с другой учётной записью, поэтому вход через «{name}» остановлен.",
        FAILURE_TEXTS[Failure.ACCOUNT_CONFLICT].advice,
    ),
}
"""The texts of ``FAILURE_TEXTS`` that name ESIA or Госуслуги, for another upstream (``{name}``)."""
NOT_FOUND = PageText(
    "Страница не найдена",
    "По этому адресу в ФРМР ничего нет: возможно, ссылка устарела или в ней опечатка.",
    "Перейдите на главную страницу или в личный кабинет по ссылкам внизу страницы.",
)
LOGOUT_REFUSED = PageText(
    "Выход не выполнен",
    "Приложение отправило запрос на выход, который нельзя выполнить.",
    "Закройте браузер, чтобы завершить сеанс, и сообщите в поддержку приложения код запроса.",
)


def failure_text(failure: Failure, upstream: str | None = None) -> PageText:
    """The page of ``failure``; naming ``upstream`` (a display name) instead of ESIA when given."""
    text = UPSTREAM_TEXTS.get(failure) if upstream else None
    if text is None:
        return FAILURE_TEXTS[failure]
    title, lead, advice = (part.format(name=upstream) for part in (text.title, text.lead, text.advice))
    return PageText(title, lead, advice, text.alert, FAILURE_TEXTS[failure].retry)


def request_id(request: Request) -> str:
    return str(request.state.request_id) if hasattr(request.state, "request_id") else "-"


def render(
    request: Request, template: str, *, status: int = 200, script: bool = False, **context: Any
) -> HTMLResponse:
    """``script``: the page loads the passkey script (``SCRIPT_PATH``) and its CSP allows it."""
    app = request.scope.get("app")
    site = getattr(app.state, "site", DEFAULT_SITE) if app is not None else DEFAULT_SITE
    html = _env.get_template(template).render(
        style=_STYLE, request_id=request_id(request), site=site,
        script_url=SCRIPT_PATH if script else None, **context,
    )  # fmt: skip
    headers = dict(SECURITY_HEADERS)
    if script:
        headers["Content-Security-Policy"] = SCRIPT_CSP
    return HTMLResponse(html, status_code=status, headers=headers)


def internal_error_page(request: Request) -> HTMLResponse:
    """A page that failed unexpectedly (a store down): «Вход временно невозможен», 500, the request id."""
    return failure_page(request, FailurePage(Failure.INTERNAL_ERROR, 500))


def failure_page(request: Request, page: FailurePage) -> HTMLResponse:
    rid = request_id(request)
    response = render(
        request,
        "message.html",
        status=page.status,
        page=failure_text(page.failure, page.upstream),
        retry_after=page.retry_after,
        restart_url=page.restart_url,
        detail=technical_reason(page.detail),
        support_reference=f"ФРМР-{rid}" if page.failure is Failure.NO_FRMR_DATA else None,
    )
    if page.retry_after is not None:
        response.headers["Retry-After"] = str(page.retry_after)
    return response
