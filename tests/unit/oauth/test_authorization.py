from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest

from frmr_sso.jose.digests import s256_challenge
from frmr_sso.oauth.authorization import (
    AuthorizationRequest,
    authorization_response,
    error_redirect,
    validate_authorization_request,
)
from frmr_sso.oauth.errors import (
    AccessDenied,
    InvalidRequest,
    InvalidScope,
    LoginRequired,
    OAuthError,
    RequestNotSupported,
    RequestUriNotSupported,
    UnauthorizedClient,
    UnsupportedResponseType,
)
from frmr_sso.oauth.request import OAuthRequest
from tests.support.oauth import ISSUER, NATIVE, SPA, SPA_REDIRECT, WEB, WEB_REDIRECT, lookup

CHALLENGE = s256_challenge("v" * 43)
Pairs = list[tuple[str, str]]


def web(**extra: str) -> dict[str, str]:
    params = {
        "client_id": "demo-web",
        "redirect_uri": WEB_REDIRECT,
        "response_type": "code",
        "scope": "openid profile",
        "state": "st-1",
    }
    params.update(extra)
    return params


def spa(**extra: str) -> dict[str, str]:
    params = web(client_id="demo-spa", redirect_uri=SPA_REDIRECT, code_challenge=CHALLENGE)
    params["code_challenge_method"] = "S256"
    params.update(extra)
    return params


async def validate(params: dict[str, str] | Pairs, method: str = "GET") -> AuthorizationRequest:
    if method == "POST":
        return await validate_authorization_request(OAuthRequest.build("POST", form=params), lookup)
    return await validate_authorization_request(OAuthRequest.build(method, query=params), lookup)


async def page_error(params: dict[str, str] | Pairs, method: str = "GET") -> OAuthError:
    with pytest.raises(OAuthError) as caught:
        await validate(params, method)
    assert caught.value.redirectable is False, "must be an error page, never a redirect"
    assert caught.value.redirect_uri is None
    return caught.value


async def redirected(params: dict[str, str] | Pairs, error: type[OAuthError]) -> OAuthError:
    with pytest.raises(error) as caught:
        await validate(params)
    assert caught.value.redirectable is True
    return caught.value


def without(params: dict[str, str], name: str) -> dict[str, str]:
    return {k: v for k, v in params.items() if k != name}


# -- client and redirect_uri: errors are pages --------------------------------------------


async def test_a_valid_request() -> None:
    request = await validate(web(nonce="n-1"))
    assert request.client is WEB
    assert request.client_id == "demo-web"
    assert request.redirect_uri == WEB_REDIRECT
    assert (request.scope, request.requested_scope) == (("openid", "profile"), ("openid", "profile"))
    assert (request.state, request.nonce) == ("st-1", "n-1")
    assert (request.code_challenge, request.code_challenge_method) == (None, None)
    assert (request.prompt, request.max_age, request.acr_values, request.idp_hint) == (
        frozenset(),
        None,
        (),
        None,
    )


@pytest.mark.parametrize(
    "params",
    [
        without(web(), "client_id"),
        web(client_id=""),
        web(client_id="nobody"),
        web(client_id="x" * 129),
        without(web(), "redirect_uri"),
        web(redirect_uri="http://127.0.0.1:9999/callback/"),
        web(redirect_uri="http://127.0.0.1:9999/callback?x=1"),
        web(redirect_uri="http://127.0.0.1:9999/callback#frag"),
        web(redirect_uri="https://evil.test/callback"),
        web(redirect_uri=SPA_REDIRECT),
        web(redirect_uri="http://127.0.0.1:9990/callback"),  # loopback port freedom is for public clients
        web(redirect_uri=WEB_REDIRECT + "x" * 2048),
    ],
)
async def test_bad_client_or_redirect_uri_is_shown_as_a_page(params: dict[str, str]) -> None:
    error = await page_error(params)
    assert isinstance(error, InvalidRequest)
    assert error.state is None


async def test_a_repeated_client_id_or_redirect_uri_is_a_page() -> None:
    for name, value in (("client_id", "demo-web"), ("redirect_uri", WEB_REDIRECT)):
        pairs = [*web().items(), (name, value)]
        error = await page_error(pairs)
        assert "repeated" in str(error)


async def test_other_methods_are_a_page() -> None:
    await page_error(web(), method="PUT")


async def test_redirect_uri_query_of_the_registration_matches_exactly() -> None:
    request = await validate(web(redirect_uri="https://app.test/cb?tenant=7"))
    assert request.redirect_uri == "https://app.test/cb?tenant=7"


async def test_native_public_client_may_use_any_loopback_port() -> None:
    params = spa(client_id="native", redirect_uri="http://127.0.0.1:51234/native")
    request = await validate(params)
    assert request.client is NATIVE
    await page_error(spa(client_id="native", redirect_uri="http://localhost:51234/native"))


async def test_a_loopback_uri_registered_with_its_port_matches_only_that_port() -> None:
    """RFC 8252 §7.3 port freedom is for URIs registered without a port (native apps); the SPA's
    ``http://127.0.0.1:9998/callback`` must not send codes to another local program's port."""
    await page_error(spa(redirect_uri="http://127.0.0.1:9996/callback"))


async def test_post_reads_the_form() -> None:
    request = await validate(web(), method="POST")
    assert request.client is WEB
    with pytest.raises(InvalidRequest, match="client_id is missing") as caught:
        await validate_authorization_request(OAuthRequest.build("POST", query=web()), lookup)
    assert caught.value.redirectable is False


# -- after client and redirect_uri: errors go back by redirect, with state -----------------


@pytest.mark.parametrize(
    ("params", "error"),
    [
        (without(web(), "response_type"), InvalidRequest),
        (web(response_type="token"), UnsupportedResponseType),
        (web(response_type="code id_token"), UnsupportedResponseType),
        (web(response_mode="fragment"), InvalidRequest),
        (web(response_mode="form_post"), InvalidRequest),
        (without(web(), "scope"), InvalidScope),
        (web(scope="profile frmr"), InvalidScope),
        (web(scope='openid "quoted"'), InvalidScope),
        (web(scope="openid " + "x" * 1024), InvalidRequest),
        (web(request="eyJhbGciOiJub25lIn0.e30."), RequestNotSupported),
        (web(request_uri="https://app.test/request.jwt"), RequestUriNotSupported),
        (web(nonce="n" * 513), InvalidRequest),
        (web(prompt="none login"), InvalidRequest),
        (web(prompt="bogus"), InvalidRequest),
        (web(max_age="-1"), InvalidRequest),
        (web(max_age="1.5"), InvalidRequest),
        (web(max_age="abc"), InvalidRequest),
        (web(max_age="\u0663"), InvalidRequest),  # an Arabic-Indic digit is not a number here
        (web(max_age="1234567890"), InvalidRequest),
        (web(acr_values="x" * 513), InvalidRequest),
        (web(idp_hint="x" * 65), InvalidRequest),
    ],
)
async def test_request_errors_are_redirected_with_state(
    params: dict[str, str], error: type[OAuthError]
) -> None:
    raised = await redirected(params, error)
    assert raised.redirect_uri == WEB_REDIRECT
    assert raised.state == "st-1"


async def test_a_client_without_the_code_flow_is_unauthorized() -> None:
    raised = await redirected(web(client_id="no-code-flow"), UnauthorizedClient)
    assert raised.state == "st-1"


async def test_a_client_not_registered_for_openid_gets_invalid_scope() -> None:
    await redirected(web(client_id="no-openid"), InvalidScope)


async def test_a_repeated_parameter_after_the_redirect_uri_is_redirected() -> None:
    raised = await redirected([*web().items(), ("scope", "openid")], InvalidRequest)
    assert raised.state == "st-1"


async def test_a_repeated_or_too_long_state_is_redirected_without_state() -> None:
    for params in ([*web().items(), ("state", "other")], web(state="s" * 2049)):
        raised = await redirected(params, InvalidRequest)
        assert raised.state is None


async def test_error_without_state_when_the_client_sent_none() -> None:
    raised = await redirected(without(web(response_type="token"), "state"), UnsupportedResponseType)
    assert raised.state is None


# -- scope -----------------------------------------------------------------------------------


async def test_unknown_and_unregistered_scopes_are_dropped_in_request_order() -> None:
    request = await validate(web(scope="frmr openid unknown profile frmr registry.read"))
    assert request.scope == ("frmr", "openid", "profile")
    assert request.requested_scope == ("frmr", "openid", "unknown", "profile", "registry.read")


async def test_offline_access_only_for_clients_registered_for_it() -> None:
    assert "offline_access" in (await validate(web(scope="openid offline_access"))).scope
    request = await validate(web(client_id="basic", scope="openid profile offline_access"))
    assert request.scope == ("openid", "profile")
    assert request.requested_scope == ("openid", "profile", "offline_access")


# -- PKCE (RFC 7636) -------------------------------------------------------------------------


async def test_public_client_with_s256() -> None:
    request = await validate(spa())
    assert request.client is SPA
    assert (request.code_challenge, request.code_challenge_method) == (CHALLENGE, "S256")


async def test_confidential_client_may_use_pkce_too() -> None:
    request = await validate(web(code_challenge=CHALLENGE, code_challenge_method="S256"))
    assert request.code_challenge == CHALLENGE


@pytest.mark.parametrize(
    ("params", "message"),
    [
        (without(without(spa(), "code_challenge"), "code_challenge_method"), "code_challenge is required"),
        (without(spa(), "code_challenge"), "code_challenge_method without code_challenge"),
        (without(spa(), "code_challenge_method"), "must be S256"),
        (spa(code_challenge_method="plain"), "must be S256"),
        (spa(code_challenge_method="s256"), "must be S256"),
        (spa(code_challenge="a" * 42), "malformed"),
        (spa(code_challenge="a" * 129), "too long"),
        (spa(code_challenge=CHALLENGE[:-1] + "+"), "malformed"),
        (spa(code_challenge=CHALLENGE[:-1] + "="), "malformed"),
    ],
)
async def test_pkce_errors(params: dict[str, str], message: str) -> None:
    with pytest.raises(InvalidRequest, match=message) as caught:
        await validate(params)
    assert caught.value.redirect_uri == SPA_REDIRECT
    assert caught.value.state == "st-1"


# -- prompt, max_age, acr_values, hints --------------------------------------------------


async def test_prompt_values() -> None:
    assert (await validate(web(prompt="none"))).prompt == {"none"}
    assert (await validate(web(prompt="login consent"))).prompt == {"login", "consent"}
    assert (await validate(web(prompt="select_account"))).prompt == {"select_account"}


async def test_max_age_acr_values_and_idp_hint() -> None:
    request = await validate(
        web(max_age="300", acr_values="urn:a  urn:b", idp_hint="esia", ui_locales="ru en", display="page")
    )
    assert (request.max_age, request.acr_values, request.idp_hint) == (300, ("urn:a", "urn:b"), "esia")
    assert (await validate(web(max_age="0"))).max_age == 0


async def test_accepts_session() -> None:
    plain = await validate(web())
    assert plain.accepts_session(auth_time=0, now=10**9) is True
    assert (await validate(web(prompt="login"))).accepts_session(auth_time=999, now=1000) is False
    aged = await validate(web(max_age="60"))
    assert aged.accepts_session(auth_time=940, now=1000) is True
    assert aged.accepts_session(auth_time=939, now=1000) is False
    assert (await validate(web(max_age="0"))).accepts_session(auth_time=1000, now=1000) is False


async def test_prompt_none_turns_a_needed_login_into_login_required() -> None:
    request = await validate(web(prompt="none"))
    error = request.login_required()
    assert isinstance(error, LoginRequired)
    assert (error.redirect_uri, error.state) == (WEB_REDIRECT, "st-1")
    query = parse_qs(urlsplit(error_redirect(error, issuer=ISSUER)).query)
    assert query == {
        "error": ["login_required"],
        "error_description": ["the user has to log in"],
        "state": ["st-1"],
        "iss": [ISSUER],
    }


async def test_redirect_error_for_the_login_use_case() -> None:
    error = (await validate(web())).redirect_error(AccessDenied, "insufficient rights")
    assert isinstance(error, AccessDenied)
    assert error.redirectable


# -- responses (RFC 6749 §4.1.2, RFC 9207) -------------------------------------------------


async def test_authorization_response_carries_code_state_and_iss() -> None:
    url = authorization_response(await validate(web(state="a b&c")), "the-code", issuer=ISSUER)
    parts = urlsplit(url)
    assert f"{parts.scheme}://{parts.netloc}{parts.path}" == WEB_REDIRECT
    assert parse_qs(parts.query) == {"code": ["the-code"], "state": ["a b&c"], "iss": [ISSUER]}
    assert parts.fragment == ""


async def test_authorization_response_keeps_the_registered_query_and_omits_absent_state() -> None:
    request = await validate(without(web(redirect_uri="https://app.test/cb?tenant=7"), "state"))
    url = authorization_response(request, "c", issuer=ISSUER)
    assert url == "https://app.test/cb?tenant=7&code=c&iss=https%3A%2F%2Fsso.test"


async def test_error_redirect_of_a_validation_error() -> None:
    raised = await redirected(web(scope="profile"), InvalidScope)
    query = parse_qs(urlsplit(error_redirect(raised, issuer=ISSUER)).query)
    assert query["error"] == ["invalid_scope"]
    assert query["state"] == ["st-1"]
    assert query["iss"] == [ISSUER]


async def test_a_page_error_cannot_be_redirected() -> None:
    error = await page_error(web(client_id="nobody"))
    with pytest.raises(ValueError, match="page"):
        error_redirect(error, issuer=ISSUER)


# -- keeping the request across the upstream login ----------------------------------------


async def test_a_request_survives_the_login_transaction() -> None:
    import json

    request = await validate(
        spa(nonce="n", prompt="login consent", max_age="60", acr_values="a b", idp_hint="esia")
    )
    saved = json.loads(json.dumps(request.to_dict()))
    assert AuthorizationRequest.from_dict(saved, SPA) == request
    with pytest.raises(ValueError, match="another client"):
        AuthorizationRequest.from_dict(saved, WEB)


async def test_code_grant_for_a_request() -> None:
    from frmr_sso.oauth.codes import CodeGrant

    request = await validate(spa(nonce="n-9"))
    grant = CodeGrant.for_request(
        request,
        subject="sub-1",
        auth_time=100,
        claims={"snils": "1"},
        acr="urn:x",
        amr=("pwd",),
        session_id="sid",
    )
    assert (grant.client_id, grant.redirect_uri, grant.scope, grant.nonce) == (
        "demo-spa",
        SPA_REDIRECT,
        ("openid", "profile"),
        "n-9",
    )
    assert (grant.code_challenge, grant.code_challenge_method) == (CHALLENGE, "S256")
    assert (grant.subject, grant.auth_time, grant.claims, grant.acr, grant.amr, grant.session_id) == (
        "sub-1",
        100,
        {"snils": "1"},
        "urn:x",
        ("pwd",),
        "sid",
    )
