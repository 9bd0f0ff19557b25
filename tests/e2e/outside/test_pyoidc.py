"""pyoidc (PyPI ``oic``), a relying party library nobody here wrote, logs in through the broker.

Discovery and JWKS through ``provider_config``, the code flow with PKCE (S256), the ID token as
pyoidc verifies it, UserInfo, a refresh, RP-initiated logout to a registered post-logout URI, and
the back-channel logout token as pyoidc's ``BackChannelLogoutRequest`` verifies it. The person's
browser is an HTTP client through the mock ESIA's pages.
"""

from __future__ import annotations

import secrets
from urllib.parse import parse_qs, urlsplit

from oic import rndstr
from oic.oauth2.message import TokenErrorResponse
from oic.oic import Client
from oic.oic.message import (
    AccessTokenResponse,
    AuthorizationResponse,
    BackChannelLogoutRequest,
    OpenIDSchema,
    RegistrationResponse,
)
from oic.utils.authn.client import CLIENT_AUTHN_METHOD

from frmr_sso.oauth.client_specs import ClientSpec
from tests.e2e.login.backchannel_support import running_receiver
from tests.e2e.login.support import DOCTOR, DOCTOR_PASSWORD, Rig, through_esia_logout
from tests.e2e.outside.support import register

CLIENT_ID, SECRET = "pyoidc-rp", secrets.token_urlsafe(32)
REDIRECT, LOGGED_OUT = "http://127.0.0.1:9996/callback", "http://127.0.0.1:9996/logged-out"
SCOPE = ["openid", "profile", "snils", "frmr", "offline_access"]
BASIC = "client_secret_basic"


def relying_party(rig: Rig) -> Client:
    client = Client(client_id=CLIENT_ID, client_authn_method=CLIENT_AUTHN_METHOD)
    client.provider_config(rig.broker)  # discovery, then the JWKS it names
    client.store_registration_info(RegistrationResponse(
        client_id=CLIENT_ID, client_secret=SECRET, redirect_uris=[REDIRECT], token_endpoint_auth_method=BASIC,
    ))
    return client


async def test_pyoidc_logs_in_refreshes_and_logs_out(rig: Rig) -> None:
    with running_receiver() as receiver:
        await register(rig.database_url, ClientSpec(
            client_id=CLIENT_ID, name="pyoidc", secret=SECRET, redirect_uris=(REDIRECT,),
            post_logout_redirect_uris=(LOGGED_OUT,), grant_types=("authorization_code", "refresh_token"),
            scopes=tuple(SCOPE), backchannel_logout_uri=receiver.url, first_party=True,
        ))
        client = relying_party(rig)
        assert client.provider_info["issuer"] == rig.broker
        assert "S256" in client.provider_info["code_challenge_methods_supported"]

        challenge, verifier = client.add_code_challenge()
        state, nonce = rndstr(), rndstr()
        request = client.construct_AuthorizationRequest(request_args={
            "client_id": CLIENT_ID, "response_type": "code", "scope": SCOPE, "redirect_uri": REDIRECT,
            "state": state, "nonce": nonce, **challenge,
        })
        rig.browser.cookies.clear()
        url = request.request(client.provider_info["authorization_endpoint"])
        back = await rig.browser.get(await rig.esia_answer(url, DOCTOR, DOCTOR_PASSWORD))
        assert back.status_code == 302, back.text
        location = back.headers["location"]
        assert location.startswith(REDIRECT + "?"), location
        query = urlsplit(location).query
        answer = client.parse_response(AuthorizationResponse, info=query, sformat="urlencoded")
        assert isinstance(answer, AuthorizationResponse)
        assert answer["state"] == state

        token = client.do_access_token_request(
            state=state, authn_method=BASIC,
            request_args={"code": answer["code"], "redirect_uri": REDIRECT, "code_verifier": verifier},
        )
        assert isinstance(token, AccessTokenResponse), token
        id_token = token["id_token"]  # signature, iss, aud, exp checked by pyoidc against the JWKS
        assert (id_token["iss"], id_token["aud"], id_token["nonce"]) == (rig.broker, [CLIENT_ID], nonce)
        assert id_token["sid"]

        userinfo = client.do_user_info_request(state=state, method="GET")
        assert isinstance(userinfo, OpenIDSchema), userinfo
        assert userinfo["sub"] == id_token["sub"]
        assert (userinfo["family_name"], userinfo["snils"]) == ("Иванова", "112-233-445 95")

        refreshed = client.do_access_token_refresh(state=state, authn_method=BASIC)
        assert isinstance(refreshed, AccessTokenResponse), refreshed
        assert refreshed["access_token"] != token["access_token"]
        assert refreshed["refresh_token"] != token["refresh_token"]

        end = client.construct_EndSessionRequest(
            state=state, request_args={"post_logout_redirect_uri": LOGGED_OUT, "state": state}
        )
        # the broker ends ESIA's session too (a shared workstation), then returns to the relying party
        answer = await rig.browser.get(end.request(client.provider_info["end_session_endpoint"]))
        logout = await through_esia_logout(rig, answer)
        assert logout.status_code == 302, logout.text
        assert logout.headers["location"].startswith(LOGGED_OUT + "?")
        assert parse_qs(urlsplit(logout.headers["location"]).query)["state"] == [state]

        assert len(receiver.received) == 1
        notice = BackChannelLogoutRequest(logout_token=receiver.tokens[0])
        assert notice.verify(keyjar=client.keyjar, iss=rig.broker, aud=CLIENT_ID)
        logout_token = notice["logout_token"]
        assert (logout_token["sid"], logout_token["sub"]) == (id_token["sid"], id_token["sub"])

        after = client.do_access_token_refresh(state=state, authn_method=BASIC)
        assert isinstance(after, TokenErrorResponse), after
        assert after["error"] == "invalid_grant"
