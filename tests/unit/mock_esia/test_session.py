from __future__ import annotations

import pytest
from starlette.requests import Request
from starlette.responses import Response

from frmr_sso.storage.ports import KeyValueStore
from mock_esia.session import (
    CSRF_COOKIE,
    Csrf,
    SsoSessions,
    csrf_token,
    csrf_valid,
    secure_cookies,
    set_cookie,
)


def request_with(cookies: dict[str, str]) -> Request:
    header = "; ".join(f"{k}={v}" for k, v in cookies.items()).encode()
    return Request({"type": "http", "method": "POST", "path": "/", "headers": [(b"cookie", header)]})


async def test_sessions_start_get_and_end(kv: KeyValueStore) -> None:
    sessions = SsoSessions(kv)
    token, session = await sessions.start(oid=42, auth_time=1700000000, amr="PWD SMS")
    assert token != session.sid
    assert await sessions.get(token) == session
    assert await sessions.end(token)
    assert await sessions.get(token) is None
    assert not await sessions.end(token)


@pytest.mark.parametrize(
    "token", [None, "", "short", "x" * 200, "bad token with spaces and more than 32 chars"]
)
async def test_malformed_session_cookies_find_nothing(kv: KeyValueStore, token: str | None) -> None:
    sessions = SsoSessions(kv)
    assert await sessions.get(token) is None
    assert not await sessions.end(token)


def test_csrf_token_is_bound_to_the_browser_and_the_purpose() -> None:
    secret = "s" * 43
    request = request_with({CSRF_COOKIE: secret})
    token = csrf_token(secret, "tx:abc")
    assert csrf_valid(request, "tx:abc", token)
    assert not csrf_valid(request, "tx:other", token)
    assert not csrf_valid(request_with({CSRF_COOKIE: "t" * 43}), "tx:abc", token)
    assert not csrf_valid(request_with({}), "tx:abc", token)
    assert not csrf_valid(request, "tx:abc", None)
    assert not csrf_valid(request, "tx:abc", "")


def test_a_browser_without_the_cookie_gets_a_fresh_secret_cookie() -> None:
    csrf = Csrf(request_with({}))
    assert csrf.fresh
    response = Response()
    csrf.attach(response, secure=False)
    cookie = response.headers["set-cookie"]
    assert cookie.startswith(f"{CSRF_COOKIE}={csrf.secret};")
    assert "HttpOnly" in cookie
    assert "samesite=lax" in cookie.lower()
    assert "Secure" not in cookie

    again = Csrf(request_with({CSRF_COOKIE: csrf.secret}))
    assert not again.fresh
    assert again.token("recovery") == csrf.token("recovery")


def test_cookies_are_secure_only_on_https() -> None:
    assert secure_cookies("https://esia.example")
    assert not secure_cookies("http://127.0.0.1:8001")
    response = Response()
    set_cookie(response, "esia_sid", "v", secure=True)
    assert "Secure" in response.headers["set-cookie"]
