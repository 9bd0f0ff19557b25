"""A scripted ESIA behind httpx.MockTransport: tokens, person and JWKS that tests bend at will."""

from __future__ import annotations

import time
from typing import Any
from urllib.parse import parse_qsl

import httpx
import pytest

from frmr_sso.upstream.base import UpstreamIdentity, new_state
from frmr_sso.upstream.errors import UpstreamFailure, UpstreamProtocolError
from frmr_sso.upstream.esia import EsiaConnector
from frmr_sso.upstream.esia_signer import RsaSecretSigner
from mock_esia.jws import SigningKey

ISSUER = "http://esia.gosuslugi.ru/"
CLIENT = "FRMR01"
OID = 1000299654
REDIRECT = "https://sso.example/callback/esia"
SIGNER = RsaSecretSigner.generate()


class ScriptedEsia:
    """Answers /v3/te, /rs/prns and the JWKS like ESIA; attributes bend each answer."""

    def __init__(self) -> None:
        self.key = SigningKey.generate("RS256")
        self.id_claims: dict[str, Any] = {}
        self.access_claims: dict[str, Any] = {}
        self.person: dict[str, Any] = {
            "firstName": "Мария",
            "lastName": "Иванова",
            "middleName": "Петровна",
            "birthDate": "14.03.1985",
            "gender": "F",
            "snils": "112-233-445 95",
            "trusted": True,
        }
        self.echo_state: str | None = None  # None: echo what was sent
        self.swap_tokens = False
        self.token_answer: httpx.Response | None = None
        self.forms: list[dict[str, str]] = []

    def tokens(self) -> dict[str, Any]:
        now = int(time.time())
        times = {"nbf": now, "iat": now, "exp": now + 3600}
        sbj = {
            "urn:esia:sbj:typ": "P",
            "urn:esia:sbj:oid": OID,
            "urn:esia:sbj:lvl": "PR",
            "urn:esia:sbj:is_tru": True,
        }
        id_claims = {
            **times,
            "iss": ISSUER,
            "aud": CLIENT,
            "sub": str(OID),
            "auth_time": now,
            "amr": "PWD",
            "urn:esia:sid": "sid-1",
            "urn:esia:sbj": sbj,
            **self.id_claims,
        }
        access = {
            **times,
            "iss": ISSUER,
            "client_id": CLIENT,
            "urn:esia:sbj_id": OID,
            "urn:esia:sid": "sid-1",
            "scope": f"openid snils?oid={OID}",
            **self.access_claims,
        }
        id_token = self.key.encode({"sbt": "id"}, {k: v for k, v in id_claims.items() if v is not None})
        access_token = self.key.encode({"sbt": "access"}, {k: v for k, v in access.items() if v is not None})
        if self.swap_tokens:
            id_token, access_token = access_token, id_token
        return {
            "id_token": id_token,
            "access_token": access_token,
            "token_type": "Bearer",
            "expires_in": 3600,
        }

    def handle(self, request: httpx.Request) -> httpx.Response:
        path = request.url.path
        if path == "/aas/oauth2/jwks":
            return httpx.Response(200, json={"keys": [self.key.jwk()]})
        if path == "/aas/oauth2/v3/te":
            form = dict(parse_qsl(request.content.decode()))
            self.forms.append(form)
            if self.token_answer is not None:
                return self.token_answer
            state = form["state"] if self.echo_state is None else self.echo_state
            return httpx.Response(200, json={**self.tokens(), "state": state})
        if path == f"/rs/prns/{OID}":
            assert request.headers["authorization"].startswith("Bearer ")
            return httpx.Response(200, json={k: v for k, v in self.person.items() if v is not None})
        return httpx.Response(404)


async def complete(connector: EsiaConnector, **params: str) -> UpstreamIdentity:
    state = new_state()
    return await connector.complete(
        params={"state": state, "code": "the-code", **params},
        expected_state=state,
        nonce="n",
        code_verifier=None,
        redirect_uri=REDIRECT,
    )


async def reason_of(connector: EsiaConnector, error: type[UpstreamFailure] = UpstreamProtocolError) -> str:
    with pytest.raises(error) as caught:
        await complete(connector)
    return caught.value.reason
