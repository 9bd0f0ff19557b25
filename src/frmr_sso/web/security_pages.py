"""Russian pages of the security policy: too many requests (429) and a locked account (423-style 429).

``locked_page`` is what the broker's 2FA form shows after too many wrong codes:
it says how many minutes are left, or that only an administrator can unlock.
"""

from __future__ import annotations

from fastapi import Request
from fastapi.responses import HTMLResponse

from frmr_sso.security.lockout import LockStatus
from frmr_sso.web.pages import PageText, render

TOO_MANY_REQUESTS = PageText(
    "Слишком много запросов",
    "С вашего адреса пришло слишком много запросов на вход за короткое время.",
    "Подождите немного и повторите попытку.",
)


def _minutes(count: int) -> str:
    if count % 10 == 1 and count % 100 != 11:
        return f"{count} минуту"
    if count % 10 in (2, 3, 4) and count % 100 not in (12, 13, 14):
        return f"{count} минуты"
    return f"{count} минут"


def locked_text(status: LockStatus) -> PageText:
    if status.permanent:
        return PageText(
            "Вход заблокирован",
            "Вход заблокирован после многократного ввода неверного кода.",
            "Обратитесь к администратору, чтобы снять блокировку.",
        )
    return PageText(
        "Вход временно заблокирован",
        "Слишком много неверных попыток ввода кода.",
        f"Повторите попытку через {_minutes(status.minutes_left)}.",
    )


def too_many_requests_page(request: Request, retry_after: int) -> HTMLResponse:
    response = render(request, "message.html", status=429, page=TOO_MANY_REQUESTS, retry_after=retry_after)
    response.headers["Retry-After"] = str(retry_after)
    return response


def locked_page(request: Request, status: LockStatus) -> HTMLResponse:
    """429 with Retry-After while a temporary lock lasts; 403 for a permanent one."""
    status_code = 403 if status.permanent else 429
    response = render(request, "message.html", status=status_code, page=locked_text(status))
    if not status.permanent:
        response.headers["Retry-After"] = str(status.retry_after)
    return response
