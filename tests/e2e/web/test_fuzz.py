"""Hostile input against every protocol endpoint over real HTTP: RFC errors, never a 5xx.

Hypothesis sends random parameter sets (duplicates, control characters, huge
values, unknown names, real names with junk), random Authorization headers and
random content types.
"""

from __future__ import annotations

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.e2e.web.provider import SERVICE_ID, SERVICE_SECRET, Provider, basic

NAMES = [
    "grant_type",
    "code",
    "redirect_uri",
    "code_verifier",
    "refresh_token",
    "scope",
    "client_id",
    "client_secret",
    "token",
    "token_type_hint",
    "access_token",
    "junk",
]
VALUES = st.one_of(
    st.text(max_size=40),
    st.text(alphabet=st.characters(min_codepoint=0, max_codepoint=0x2FFF), max_size=20),
    st.sampled_from(
        [
            "",
            "client_credentials",
            "authorization_code",
            "refresh_token",
            "openid frmr",
            SERVICE_ID,
            SERVICE_SECRET,
            "demo-spa",
            "a.b.c",
            "access_token",
            "http://127.0.0.1:9999/callback",
        ]
    ),
    st.just("x" * 5000),
)
PARAMS = st.lists(st.tuples(st.sampled_from(NAMES), VALUES), max_size=12)
AUTHORIZATION = st.one_of(
    st.none(),
    st.just(basic(SERVICE_ID, SERVICE_SECRET)["Authorization"]),
    st.sampled_from(["Basic", "Basic !!!", "Basic Og==", "Bearer", "Bearer a.b.c", "Digest x"]),
    st.text(alphabet=st.characters(min_codepoint=0x20, max_codepoint=0x7E), max_size=60).map(
        lambda t: ("Basic " + t).strip()
    ),
)
CONTENT_TYPES = st.sampled_from(
    [
        "application/x-www-form-urlencoded",
        "application/x-www-form-urlencoded; charset=utf-8",
        "application/json",
        "multipart/form-data; boundary=x",
        "text/plain",
    ]
)
ROUTES = [
    ("POST", "/token"),
    ("POST", "/introspect"),
    ("POST", "/revoke"),
    ("GET", "/userinfo"),
    ("POST", "/userinfo"),
]


@pytest.mark.parametrize(("method", "path"), ROUTES)
def test_random_requests_never_break_an_endpoint(provider: Provider, method: str, path: str) -> None:
    with httpx.Client(base_url=provider.base, timeout=30) as client:

        @settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
        @given(params=PARAMS, authorization=AUTHORIZATION, content_type=CONTENT_TYPES)
        def check(params: list[tuple[str, str]], authorization: str | None, content_type: str) -> None:
            clean = [(k, v.encode("utf-8", "surrogatepass").decode("utf-8", "replace")) for k, v in params]
            headers = {"content-type": content_type}
            if authorization is not None:
                headers["authorization"] = authorization
            if method == "GET":
                response = client.get(path, params=clean, headers=headers)
            else:
                response = client.post(path, content=str(httpx.QueryParams(clean)), headers=headers)
            assert response.status_code < 500, (response.status_code, response.text[:300])
            assert "Traceback" not in response.text
            if response.status_code >= 400 and response.status_code != 405:
                assert "error" in response.json()
                assert response.headers["cache-control"] == "no-store"

        check()
