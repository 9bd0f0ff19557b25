from __future__ import annotations

import pytest
from starlette.requests import Request

from frmr_sso.security.lockout import PERMANENT_SECONDS, LockStatus
from frmr_sso.web.security_pages import locked_page, locked_text, too_many_requests_page


def request() -> Request:
    return Request({"type": "http", "headers": [], "path": "/login/2fa", "method": "POST"})


@pytest.mark.parametrize(
    ("seconds", "text"),
    [(30, "1 минуту"), (120, "2 минуты"), (300, "5 минут"), (660, "11 минут"), (1260, "21 минуту"),
     (840, "14 минут")],
)
def test_the_locked_page_says_how_long_is_left(seconds: float, text: str) -> None:
    assert locked_text(LockStatus(True, seconds)).advice == f"Повторите попытку через {text}."


def test_a_temporary_lock_is_429_with_retry_after() -> None:
    response = locked_page(request(), LockStatus(True, 90.2))
    assert response.status_code == 429
    assert response.headers["Retry-After"] == "91"
    assert "Повторите попытку через 2 минуты." in bytes(response.body).decode()


def test_a_permanent_lock_sends_to_the_administrator() -> None:
    response = locked_page(request(), LockStatus(True, PERMANENT_SECONDS, permanent=True))
    assert response.status_code == 403
    assert "Retry-After" not in response.headers
    assert "администратору" in bytes(response.body).decode()


def test_too_many_requests_page() -> None:
    response = too_many_requests_page(request(), 17)
    assert response.status_code == 429
    assert response.headers["Retry-After"] == "17"
    assert response.headers["Cache-Control"] == "no-store"
    assert "Слишком много запросов" in bytes(response.body).decode()
