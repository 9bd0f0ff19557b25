"""Reading client credentials from a token request (RFC 6749 §2.3.1)."""

from __future__ import annotations

import base64

import pytest

from frmr_sso.oauth.client_service import client_credentials, parse_basic_credentials
from frmr_sso.oauth.errors import InvalidClient, InvalidRequest


def basic(user: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


def test_basic_credentials_are_form_url_decoded() -> None:
    # RFC 6749 §2.3.1: id and secret are application/x-www-form-urlencoded before Basic encoding
    assert parse_basic_credentials(basic("my%3Aapp", "p%40ss+word%25")) == ("my:app", "p@ss word%")
    assert parse_basic_credentials(basic("app", "a:b")) == ("app", "a:b")
    assert parse_basic_credentials("basic " + basic("app", "s")[6:]) == ("app", "s")


@pytest.mark.parametrize(
    "header",
    [
        "Bearer abc",
        "Basic",
        "Basic !!!",
        "Basic " + base64.b64encode(b"no-colon").decode(),
        "Basic " + base64.b64encode(b":secret").decode(),
        "Basic " + base64.b64encode(b"\xff:x").decode(),
    ],
)
def test_malformed_basic_credentials_are_invalid_client(header: str) -> None:
    with pytest.raises(InvalidClient):
        parse_basic_credentials(header)


def test_method_is_chosen_from_the_request() -> None:
    assert client_credentials(basic("app", "s"), None, None) == ("app", "s", "client_secret_basic")
    assert client_credentials(basic("app", "s"), "app", None) == ("app", "s", "client_secret_basic")
    assert client_credentials(None, "app", "s") == ("app", "s", "client_secret_post")
    assert client_credentials(None, "spa", None) == ("spa", None, "none")


def test_two_methods_at_once_are_refused() -> None:
    with pytest.raises(InvalidRequest):
        client_credentials(basic("app", "s"), "app", "s")
    with pytest.raises(InvalidClient):
        client_credentials(basic("app", "s"), "other", None)
    with pytest.raises(InvalidClient):
        client_credentials(None, None, None)
