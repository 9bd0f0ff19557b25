"""CSRF and hostile form input: every refusal is a Russian page with a request id, never a 500."""

from __future__ import annotations

import httpx
import pytest

from tests.support.esia_mock import MockEsia, submit
from tests.support.forms import find_form

POST_ENDPOINTS = (
    "/login",
    "/login/code",
    "/login/password",
    "/login/resend",
    "/login/cancel",
    "/recovery",
    "/recovery/confirm",
)
FORM = "application/x-www-form-urlencoded"
HOSTILE_BODIES: list[tuple[str, bytes, str, int]] = [
    ("duplicated", b"csrf=a&csrf=b&tx=x&rid=y", FORM, 400),
    ("oversized field", b"csrf=" + b"a" * 5000, FORM, 413),
    ("oversized body", b"x=" + b"a" * 100_000, FORM, 413),
    ("invalid utf-8 escape", b"csrf=%FF%FE", FORM, 400),
    ("invalid utf-8 bytes", b"csrf=\xff\xfe", FORM, 400),
    ("control character", b"csrf=a%00b", FORM, 400),
    ("too many fields", b"&".join(b"f%d=1" % n for n in range(40)), FORM, 400),
    ("json", b'{"login": "+79990000001"}', "application/json", 415),
    (
        "multipart",
        b"--b\r\nContent-Disposition: form-data; name=csrf\r\n\r\nx\r\n--b--\r\n",
        "multipart/form-data; boundary=b",
        415,
    ),
    ("no content type", b"csrf=x", "", 415),
    ("empty", b"", FORM, 400),
]


def assert_russian_page(response: httpx.Response, status: int) -> None:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("text/html")
    assert "Код запроса" in response.text
    assert response.headers["x-request-id"] in response.text
    assert response.headers["cache-control"] == "no-store"


@pytest.mark.parametrize("endpoint", POST_ENDPOINTS)
@pytest.mark.parametrize(
    ("case", "body", "content_type", "status"), HOSTILE_BODIES, ids=[c[0] for c in HOSTILE_BODIES]
)
async def test_hostile_bodies_get_a_russian_page(
    shared_mock: MockEsia,
    browser: httpx.AsyncClient,
    endpoint: str,
    case: str,
    body: bytes,
    content_type: str,
    status: int,
) -> None:
    headers = {"content-type": content_type} if content_type else {}
    response = await browser.post(shared_mock.url(endpoint), content=body, headers=headers)
    assert_russian_page(response, status)


async def test_a_post_without_the_csrf_field_is_refused(mock: MockEsia, browser: httpx.AsyncClient) -> None:
    page = await mock.authorize(browser)
    form = find_form(page.text, action="/login")
    data = {
        k: v for k, v in form.fill(login="+79990000001", password="Vrach-2026-Demo!").items() if k != "csrf"
    }
    response = await browser.post(mock.url("/login"), data=data)
    assert_russian_page(response, 400)
    assert "Сессия устарела" in response.text


@pytest.mark.parametrize("tamper", ["wrong token", "no cookie", "another transaction"])
async def test_a_forged_csrf_token_is_refused(
    mock: MockEsia, browser: httpx.AsyncClient, tamper: str
) -> None:
    page = await mock.authorize(browser)
    other = await mock.authorize(browser)
    data = find_form(page.text, action="/login").fill(login="+79990000001", password="Vrach-2026-Demo!")
    if tamper == "wrong token":
        data["csrf"] = "0" * 64
    elif tamper == "another transaction":
        data["csrf"] = find_form(other.text, action="/login").inputs["csrf"]
    else:
        browser.cookies.delete("esia_csrf")
    response = await browser.post(mock.url("/login"), data=data)
    assert_russian_page(response, 400)
    assert (await browser.get(mock.url("/_dev/outbox"), params={"login": "+79990000001"})).json() == []


async def test_the_csrf_cookie_is_httponly_and_lax(mock: MockEsia, browser: httpx.AsyncClient) -> None:
    response = await browser.get(mock.url("/aas/oauth2/v2/ac"), params=mock.authorize_params())
    page = await browser.get(mock.url(response.headers["location"]))
    cookie = next(c for c in page.headers.get_list("set-cookie") if c.startswith("esia_csrf="))
    assert "HttpOnly" in cookie
    assert "samesite=lax" in cookie.lower()
    assert page.headers["x-frame-options"] == "DENY"
    assert "frame-ancestors 'none'" in page.headers["content-security-policy"]


@pytest.mark.parametrize(
    "params",
    [
        [],
        [("tx", "")],
        [("tx", "unknown")],
        [("tx", "a"), ("tx", "b")],
        [("tx", "x" * 5000)],
    ],
    ids=["missing", "empty", "unknown", "duplicated", "oversized"],
)
async def test_login_page_without_a_live_transaction_is_a_russian_page(
    shared_mock: MockEsia, browser: httpx.AsyncClient, params: list[tuple[str, str]]
) -> None:
    response = await browser.get(shared_mock.url("/login"), params=tuple(params))
    assert_russian_page(response, 400)
    assert "Запрос на вход устарел" in response.text


async def test_later_steps_need_the_earlier_ones(mock: MockEsia, browser: httpx.AsyncClient) -> None:
    page = await mock.authorize(browser)
    form = find_form(page.text, action="/login")
    for endpoint, extra in (("/login/code", {"code": "123456"}), ("/login/password", {"new_password": "x"})):
        response = await browser.post(mock.url(endpoint), data={**form.hidden, **extra})
        assert_russian_page(response, 400)


async def test_empty_login_or_password_redisplays_the_form(
    mock: MockEsia, browser: httpx.AsyncClient
) -> None:
    page = await mock.authorize(browser)
    response = await submit(browser, mock, page, "/login", login="   ", password="")
    assert response.status_code == 400
    assert "Введите логин и пароль" in response.text
    assert find_form(response.text, action="/login")
