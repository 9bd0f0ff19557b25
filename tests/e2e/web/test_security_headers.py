"""Security headers on every route of the broker, CSRF tokens on every form, and the pages' CSP.

Every route of the app is called without credentials (path parameters filled
with a placeholder), so whatever answers — a page, a problem, a redirect, a
429 — is checked, and a route added later is checked too.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from starlette.routing import Route

from frmr_sso.upstream.esia_signer import RsaSecretSigner
from frmr_sso.web import pages
from tests.e2e.login.support import Rig, login_rig
from tests.e2e.web.provider import SPA_ID, SPA_REDIRECT, Provider
from tests.support.forms import parse_forms

TEMPLATES = Path(pages.__file__).parent / "templates"
NO_STORE = ("/authorize", "/callback", "/token", "/logout", "/account", "/api/v1/me")
HTML_PAGES = [
    ("GET", "/authorize", {}),
    (
        "GET",
        "/authorize",
        {
            "client_id": SPA_ID,
            "redirect_uri": SPA_REDIRECT,
            "response_type": "code",
            "scope": "openid",
            "code_challenge": "x" * 43,
            "code_challenge_method": "S256",
        },
    ),
    ("GET", "/callback/esia", {"state": "unknown"}),
    ("GET", "/logout", {}),
    ("GET", "/logout", {"id_token_hint": "not-a-token"}),
    ("POST", "/logout", {"csrf": "forged"}),
    ("GET", "/account/sessions", {}),
    ("POST", "/account/sessions/end", {"csrf": "x", "sid": "y"}),
    ("POST", "/account/sessions/end-others", {}),
]


def all_routes(routes: list[Any]) -> Iterator[Route]:
    """The app's routes, also those inside included routers (FastAPI wraps them)."""
    for route in routes:
        inner = getattr(route, "original_router", None)
        if inner is not None:
            yield from all_routes(inner.routes)
        elif isinstance(route, Route) and route.methods is not None:
            yield route


def assert_baseline(response: httpx.Response, path: str) -> None:
    headers = response.headers
    where = f"{response.request.method} {path} -> {response.status_code}"
    assert headers.get("x-content-type-options") == "nosniff", where
    assert headers.get("x-frame-options") == "DENY", where
    assert headers.get("referrer-policy") == "no-referrer", where
    assert "frame-ancestors 'none'" in headers.get("content-security-policy", ""), where
    if any(path == p or path.startswith(p + "/") for p in NO_STORE):
        assert headers.get("cache-control") == "no-store", where


def assert_page_headers(response: httpx.Response) -> None:
    assert response.headers["content-type"].startswith("text/html"), response.text
    csp = response.headers["content-security-policy"]
    assert "default-src 'none'" in csp
    scripts = re.findall(r"<script[^>]*>(.*?)</script>", response.text, re.S)
    if scripts:  # a passkey page: the broker's one static script, nothing inline
        assert csp == pages.SCRIPT_CSP
        assert scripts == [""]
        assert f'<script src="{pages.SCRIPT_PATH}" defer></script>' in response.text
    else:
        assert csp == pages.CSP
        assert "script-src" not in csp
    assert response.headers["cache-control"] == "no-store"
    assert ' style="' not in response.text, "inline style attributes would need 'unsafe-inline'"
    for form in parse_forms(response.text):
        if form.method == "post":
            assert form.hidden.get("csrf"), f"a POST form to {form.action} without a CSRF token"


async def test_every_route_answers_with_the_security_headers(
    provider: Provider, http: httpx.AsyncClient
) -> None:
    checked = 0
    for route in all_routes(provider.app.routes):
        assert route.methods is not None
        path = re.sub(r"\{[^}]+\}", "x", route.path)
        for method in sorted(route.methods - {"HEAD", "OPTIONS"}):
            response = await http.request(method, path)
            assert_baseline(response, path)
            if response.headers.get("content-type", "").startswith("text/html"):
                assert_page_headers(response)
            checked += 1
    assert checked >= 20


@pytest.mark.parametrize(("method", "path", "params"), HTML_PAGES)
async def test_every_page_has_the_strict_policy_and_csrf_on_its_forms(
    http: httpx.AsyncClient, method: str, path: str, params: dict[str, str]
) -> None:
    if method == "GET":
        response = await http.get(path, params=params)
    else:
        response = await http.post(path, data=params)
    assert response.status_code < 500 or response.status_code == 503, response.text
    assert_baseline(response, path)
    assert_page_headers(response)


async def test_a_logout_without_a_session_has_nothing_to_confirm(http: httpx.AsyncClient) -> None:
    """No session, nothing to end: no confirmation form (so no CSRF token stored for anonymous requests)."""
    response = await http.get("/logout")
    assert response.status_code == 200
    assert [f for f in parse_forms(response.text) if f.method == "post"] == []


def test_every_post_form_of_every_template_has_a_csrf_field() -> None:
    for template in TEMPLATES.glob("*.html"):
        text = template.read_text(encoding="utf-8")
        assert " style=" not in text, f"{template.name}: the CSP allows only the hashed stylesheet"
        scripts = re.findall(r"<script[^>]*>.*?</script>", text, re.S)
        allowed = ['<script src="{{ script_url }}" defer></script>'] if template.name == "base.html" else []
        assert scripts == allowed, f"{template.name}: no inline script, only the passkey script"
        for form in re.findall(r"<form[^>]*>.*?</form>", text, re.S | re.I):
            if 'method="post"' in form.lower():
                assert 'name="csrf"' in form, template.name


@pytest.fixture
async def two_upstreams(
    migrated_database_url: str, redis_url: str | None, tmp_path: Path
) -> AsyncIterator[Rig]:
    extra = (("reserve", "Резервный вход"),)
    async with login_rig(
        migrated_database_url, redis_url, RsaSecretSigner.generate(), tmp_path, extra
    ) as rig:
        yield rig


async def test_the_upstream_chooser_page_has_the_policy_too(two_upstreams: Rig) -> None:
    rig = two_upstreams
    params = {
        "client_id": SPA_ID,
        "redirect_uri": SPA_REDIRECT,
        "response_type": "code",
        "scope": "openid",
        "code_challenge": "x" * 43,
        "code_challenge_method": "S256",
    }
    response = await rig.browser.get(f"{rig.broker}/authorize", params=params)
    assert response.status_code == 200, response.text
    assert "Выберите способ входа" in response.text
    assert_baseline(response, "/authorize")
    assert_page_headers(response)
