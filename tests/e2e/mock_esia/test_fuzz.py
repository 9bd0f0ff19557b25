"""Hostile input against every mock endpoint over real HTTP: never a 5xx, never a stack trace.

Hypothesis sends random parameter sets (duplicates, control characters, huge
values, unknown names, real names with junk) to each route, as query string and
as form body.
"""

from __future__ import annotations

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.support.esia_mock import MockEsia

NAMES = [
    "client_id", "client_secret", "client_certificate_hash", "redirect_uri", "scope", "scope_org",
    "response_type", "state", "timestamp", "access_type", "code", "grant_type", "refresh_token",
    "token_type", "tx", "csrf", "login", "password", "new_password", "new_password_confirm", "embed",
    "redirect_url", "junk",
]
VALUES = st.one_of(
    st.text(max_size=40),
    st.text(alphabet=st.characters(min_codepoint=0, max_codepoint=0x2FFF), max_size=20),
    st.sampled_from(["", "FRMR01", "TEST01", "openid", "code", "authorization_code", "refresh_token",
                     "2024.05.17 14:36:11 +0300", "00000000-0000-4000-8000-000000000000", "(elements)"]),
    st.just("x" * 5000),
)
PARAMS = st.lists(st.tuples(st.sampled_from(NAMES), VALUES), max_size=12)
FORM = "application/x-www-form-urlencoded"
ROUTES = [
    ("GET", "/aas/oauth2/v2/ac"),
    ("POST", "/aas/oauth2/v3/te"),
    ("GET", "/login"),
    ("POST", "/login"),
    ("POST", "/login/code"),
    ("POST", "/login/password"),
    ("POST", "/login/cancel"),
    ("POST", "/recovery"),
    ("POST", "/recovery/confirm"),
    ("GET", "/idp/ext/Logout"),
    ("GET", "/rs/prns/1000299654"),
    ("GET", "/rs/prns/1000299654/ctts"),
    ("GET", "/_dev/outbox"),
]


@pytest.mark.parametrize(("method", "path"), ROUTES)
def test_random_parameters_never_break_an_endpoint(shared_mock: MockEsia, method: str, path: str) -> None:
    with httpx.Client(base_url=shared_mock.base, timeout=30) as client:

        @settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
        @given(params=PARAMS)
        def check(params: list[tuple[str, str]]) -> None:
            clean = [(k, v.encode("utf-8", "surrogatepass").decode("utf-8", "replace")) for k, v in params]
            if method == "GET":
                response = client.get(path, params=clean)
            else:
                body = str(httpx.QueryParams(clean))
                response = client.post(path, content=body, headers={"content-type": FORM})
            assert response.status_code < 500, (response.status_code, response.text[:300])
            assert "Traceback" not in response.text

        check()
