"""A relying party's back-channel logout endpoint (a tiny Starlette app on loopback) and its client."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import jwt
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from frmr_sso.oauth.client_service import ClientService
from frmr_sso.oauth.client_specs import ClientSpec
from frmr_sso.storage.sql import SqlClientRepository
from frmr_sso.storage.sql.engine import create_engine
from tests.e2e.login.support import AsyncOAuth2Client
from tests.support.servers import serve

RP_ID, RP_SECRET, RP_REDIRECT = "bcl-rp", "bcl-rp-secret-value", "http://127.0.0.1:9997/callback"


@dataclass
class Receiver:
    url: str = ""
    status: int = 200
    received: list[dict[str, Any]] = field(default_factory=list)

    @property
    def tokens(self) -> list[str]:
        return [form["logout_token"] for form in self.received]


@contextmanager
def running_receiver() -> Iterator[Receiver]:
    receiver = Receiver()

    async def backchannel(request: Request) -> Response:
        form = await request.form()
        receiver.received.append(
            {"content_type": request.headers.get("content-type", ""), **{k: str(v) for k, v in form.items()}}
        )
        return Response(status_code=receiver.status, headers={"Cache-Control": "no-store"})

    app = Starlette(routes=[Route("/backchannel", backchannel, methods=["POST"])])
    with serve(app) as base:
        receiver.url = f"{base}/backchannel"
        yield receiver


async def register_rp(database_url: str, backchannel_uri: str) -> None:
    engine = create_engine(database_url)
    try:
        spec = ClientSpec(
            client_id=RP_ID,
            name="Больничная МИС",
            secret=RP_SECRET,
            redirect_uris=(RP_REDIRECT,),
            grant_types=("authorization_code", "refresh_token"),
            scopes=("openid", "profile", "snils", "frmr", "offline_access"),
            backchannel_logout_uri=backchannel_uri,
            backchannel_logout_session_required=True,
            first_party=True,  # the operator's hospital system: no consent page
        )
        await ClientService(SqlClientRepository(engine)).add(spec)
    finally:
        await engine.dispose()


def verify_logout_token(token: str, jwks: dict[str, Any], *, issuer: str, audience: str) -> dict[str, Any]:
    """What a relying party checks (Back-Channel Logout §2.6), with pyjwt alone."""
    header = jwt.get_unverified_header(token)
    assert header["typ"] == "logout+jwt"
    key = jwt.PyJWKSet.from_dict(jwks)[header["kid"]]
    claims: dict[str, Any] = jwt.decode(
        token,
        key.key,
        algorithms=[header["alg"]],
        audience=audience,
        issuer=issuer,
        options={"require": ["iss", "aud", "iat", "exp", "jti", "sub", "sid", "events"]},
    )
    return claims


def rp_client() -> AsyncOAuth2Client:
    """The relying party with a back-channel logout URI, as an OAuth client (offline access, PKCE)."""
    return AsyncOAuth2Client(
        client_id=RP_ID,
        client_secret=RP_SECRET,
        redirect_uri=RP_REDIRECT,
        scope="openid profile offline_access",
        token_endpoint_auth_method="client_secret_basic",
        code_challenge_method="S256",
    )
