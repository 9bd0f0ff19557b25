from __future__ import annotations

import pytest

from frmr_sso.oauth import errors
from frmr_sso.oauth.errors import (
    AccessDenied,
    ConsentRequired,
    InsufficientScope,
    InteractionRequired,
    InvalidClient,
    InvalidGrant,
    InvalidRequest,
    InvalidScope,
    InvalidToken,
    LoginRequired,
    OAuthError,
    RequestNotSupported,
    RequestUriNotSupported,
    ServerError,
    TemporarilyUnavailable,
    UnauthorizedClient,
    UnsupportedGrantType,
    UnsupportedResponseType,
    UnsupportedTokenType,
)

TABLE = [
    (InvalidRequest, "invalid_request", 400, "RFC 6749 §5.2"),
    (InvalidClient, "invalid_client", 401, "RFC 6749 §5.2"),
    (InvalidGrant, "invalid_grant", 400, "RFC 6749 §5.2"),
    (UnauthorizedClient, "unauthorized_client", 400, "RFC 6749 §5.2"),
    (UnsupportedGrantType, "unsupported_grant_type", 400, "RFC 6749 §5.2"),
    (UnsupportedTokenType, "unsupported_token_type", 400, "RFC 7009 §2.2.1"),
    (InvalidScope, "invalid_scope", 400, "RFC 6749 §5.2"),
    (AccessDenied, "access_denied", 403, "RFC 6749 §4.1.2.1"),
    (UnsupportedResponseType, "unsupported_response_type", 400, "RFC 6749 §4.1.2.1"),
    (ServerError, "server_error", 500, "RFC 6749 §4.1.2.1"),
    (TemporarilyUnavailable, "temporarily_unavailable", 503, "RFC 6749 §4.1.2.1"),
    (InteractionRequired, "interaction_required", 400, "OIDC Core §3.1.2.6"),
    (LoginRequired, "login_required", 400, "OIDC Core §3.1.2.6"),
    (ConsentRequired, "consent_required", 400, "OIDC Core §3.1.2.6"),
    (RequestNotSupported, "request_not_supported", 400, "OIDC Core §3.1.2.6"),
    (RequestUriNotSupported, "request_uri_not_supported", 400, "OIDC Core §3.1.2.6"),
    (InvalidToken, "invalid_token", 401, "RFC 6750 §3.1"),
    (InsufficientScope, "insufficient_scope", 403, "RFC 6750 §3.1"),
]


@pytest.mark.parametrize(("cls", "code", "status", "section"), TABLE)
def test_error_code_status_and_section(cls: type[OAuthError], code: str, status: int, section: str) -> None:
    error = cls("why")
    assert (error.error, error.status_code, error.section) == (code, status, section)
    assert error.body() == {"error": code, "error_description": "why"}
    assert isinstance(error, OAuthError)
    assert cls.__doc__ is not None
    assert section in cls.__doc__, "the docstring quotes the section that defines the error"


def test_every_error_class_is_in_the_table() -> None:
    defined = {
        obj
        for obj in vars(errors).values()
        if isinstance(obj, type) and issubclass(obj, OAuthError) and obj.__module__ == errors.__name__
    }
    assert defined - {OAuthError, errors.BearerError} == {row[0] for row in TABLE}


def test_body_without_description_and_with_uri() -> None:
    assert InvalidGrant().body() == {"error": "invalid_grant"}
    assert InvalidGrant(uri="https://docs.test/e").body() == {
        "error": "invalid_grant",
        "error_uri": "https://docs.test/e",
    }


def test_token_endpoint_errors_are_not_cached() -> None:
    assert InvalidGrant("x").headers() == {"Cache-Control": "no-store", "Pragma": "no-cache"}


def test_invalid_client_asks_for_basic_authentication() -> None:
    headers = InvalidClient("client authentication failed").headers()
    assert headers["WWW-Authenticate"] == 'Basic realm="frmr-sso"'
    assert headers["Cache-Control"] == "no-store"


def test_invalid_token_announces_a_bearer_challenge() -> None:
    header = InvalidToken('token "expired"\\').headers()["WWW-Authenticate"]
    assert header == 'Bearer realm="frmr-sso", error="invalid_token", error_description="token expired"'


def test_insufficient_scope_names_the_scope() -> None:
    error = InsufficientScope("needs more", scope="frmr profile")
    assert error.status_code == 403
    assert error.headers()["WWW-Authenticate"] == (
        'Bearer realm="frmr-sso", error="insufficient_scope", error_description="needs more", '
        'scope="frmr profile"'
    )


def test_non_ascii_description_is_dropped_from_the_header_only() -> None:
    error = InvalidToken("токен просрочен")
    assert error.body()["error_description"] == "токен просрочен"
    assert error.headers()["WWW-Authenticate"] == 'Bearer realm="frmr-sso", error="invalid_token"'


def test_redirect_target_makes_an_error_redirectable() -> None:
    assert InvalidRequest("x").redirectable is False
    error = InvalidScope("x", redirect_uri="https://app.test/cb", state="s")
    assert error.redirectable is True
    assert (error.redirect_uri, error.state) == ("https://app.test/cb", "s")


def test_message_and_repr_carry_only_the_description() -> None:
    error = InvalidGrant("authorization code is invalid")
    assert str(error) == "authorization code is invalid"
    assert str(InvalidGrant()) == "invalid_grant"
    assert repr(error) == "InvalidGrant(error='invalid_grant', description='authorization code is invalid')"
