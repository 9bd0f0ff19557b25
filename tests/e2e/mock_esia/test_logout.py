"""The mock SSO session over real HTTP: the form is skipped while it lives, and logout ends it."""

from __future__ import annotations

import httpx
import pytest

from tests.support.esia_mock import REDIRECT_URI, MockEsia, sms_login

DOCTOR = "+79990000001"
DOCTOR_PASSWORD = "Vrach-2026-Demo!"


async def test_sso_session_skips_the_form_until_logout(mock: MockEsia, browser: httpx.AsyncClient) -> None:
    first = await sms_login(browser, mock, DOCTOR, DOCTOR_PASSWORD)
    first_grant = await mock.grant(first.headers["location"])

    skipped = await mock.authorize(browser)
    assert skipped.status_code == 302
    second_grant = await mock.grant(skipped.headers["location"])
    assert second_grant.sid == first_grant.sid
    assert (second_grant.auth_time, second_grant.amr) == (first_grant.auth_time, "PWD SMS")

    out = await browser.get(
        mock.url("/idp/ext/Logout"), params={"client_id": "TEST01", "redirect_url": REDIRECT_URI}
    )
    assert out.status_code == 302
    assert out.headers["location"] == REDIRECT_URI
    assert any(c.startswith('esia_sid=""') or "Max-Age=0" in c for c in out.headers.get_list("set-cookie"))
    assert (await mock.authorize(browser)).status_code == 200


async def test_logout_ends_the_session_server_side_even_if_the_cookie_is_kept(
    mock: MockEsia, browser: httpx.AsyncClient
) -> None:
    await sms_login(browser, mock, DOCTOR, DOCTOR_PASSWORD)
    token = browser.cookies["esia_sid"]
    await browser.get(mock.url("/idp/ext/Logout"), params={"client_id": "TEST01"})
    browser.cookies.set("esia_sid", token)
    assert (await mock.authorize(browser)).status_code == 200


@pytest.mark.parametrize(
    ("params", "status", "text"),
    [
        ({"client_id": "TEST01", "redirect_url": "http://127.0.0.1:9/other/path"}, 302, None),
        ({"client_id": "TEST01", "redirect_url": "https://evil.example/"}, 400, "не зарегистрирован"),
        (
            {"client_id": "TEST01", "redirect_url": "http://127.0.0.1:9@evil.example/"},
            400,
            "не зарегистрирован",
        ),
        ({"client_id": "NOPE", "redirect_url": REDIRECT_URI}, 400, "не зарегистрирован"),
        ({"client_id": "TEST01"}, 200, "Выход выполнен"),
        ({}, 200, "Выход выполнен"),
    ],
)
async def test_logout_redirects_only_to_the_clients_own_addresses(
    mock: MockEsia, browser: httpx.AsyncClient, params: dict[str, str], status: int, text: str | None
) -> None:
    out = await browser.get(mock.url("/idp/ext/Logout"), params=params)
    assert out.status_code == status
    if text is not None:
        assert text in out.text
        assert "location" not in out.headers
