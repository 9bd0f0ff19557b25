"""Two broker instances behind nginx: any step on any instance, one stopping loses nothing, keys rotate.

Runs in the PostgreSQL + Redis pass (the instances share those and nothing else). "A" and
"B" are the instances' own ports, used to pin a step to one of them; everything else goes
through nginx, as a browser or client would.
"""

from __future__ import annotations

import asyncio
import signal
import time
from typing import Any

import httpx
import pytest
from joserfc import jwt
from joserfc.jwk import KeySet

from frmr_sso.storage.sql import SqlAuditRepository
from frmr_sso.storage.sql.engine import create_engine
from tests.e2e.cluster.conftest import Cluster
from tests.e2e.cluster.flows import Login as BrowserLogin
from tests.e2e.cluster.flows import StepFailed, full_login, introspect, on, redeem, refresh
from tests.e2e.cluster.processes import UPSTREAM_HEADER

SERVICE = ("demo-service", "demo-service-secret")
CLIENT_IP = "127.0.0.2"  # the browser's source address: nginx must pass it on in X-Forwarded-For


def browser(**transport: Any) -> httpx.AsyncClient:
    kwargs: dict[str, Any] = {"follow_redirects": False, "timeout": 30}
    if transport:
        kwargs["transport"] = httpx.AsyncHTTPTransport(**transport)
    return httpx.AsyncClient(**kwargs)


async def jwks(http: httpx.AsyncClient, base: str) -> dict[str, Any]:
    response = await http.get(f"{base}/jwks")
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def id_token_claims(token: str, keys: dict[str, Any], issuer: str, nonce: str) -> dict[str, Any]:
    decoded = jwt.decode(token, KeySet.import_key_set(keys))
    jwt.JWTClaimsRegistry(
        iss={"essential": True, "value": issuer}, nonce={"essential": True, "value": nonce}
    ).validate(decoded.claims)
    return dict(decoded.claims)


async def test_nginx_spreads_requests_over_both_instances(cluster: Cluster) -> None:
    async with browser() as http:
        answered = set()
        for _ in range(6):
            response = await http.get(f"{cluster.url}/.well-known/openid-configuration")
            assert response.status_code == 200
            assert response.json()["issuer"] == cluster.url
            answered.add(response.headers[UPSTREAM_HEADER])
    assert answered == {f"127.0.0.1:{cluster.a.port}", f"127.0.0.1:{cluster.b.port}"}


async def test_a_login_whose_steps_land_on_different_instances(cluster: Cluster) -> None:
    a, b = cluster.a.url, cluster.b.url
    async with browser() as person:
        login = BrowserLogin(person)
        callback = await login.through_esia(a, cluster.mock)  # transaction stored by A
        assert callback.startswith(f"{cluster.url}/callback/esia?"), "ESIA returns to the issuer (nginx)"
        code = await login.callback(on(callback, b))  # B finishes it and opens the SSO session
        tokens = await redeem(person, a, code, login.verifier)  # A redeems B's code

        claims = id_token_claims(tokens["id_token"], await jwks(person, b), cluster.url, login.nonce)
        assert claims["aud"] == "demo-web"
        userinfo = await person.get(
            f"{b}/userinfo", headers={"Authorization": f"Bearer {tokens['access_token']}"}
        )
        assert userinfo.status_code == 200, userinfo.text
        assert userinfo.json()["sub"] == claims["sub"]
        assert (await introspect(person, b, tokens["access_token"]))["active"] is True

        rotated = await refresh(person, b, tokens["refresh_token"])  # family started by A, rotated by B
        rotated = await refresh(person, a, rotated["refresh_token"])
        assert (await introspect(person, b, rotated["refresh_token"]))["active"] is True

        again = await login.silent(a)  # B's SSO session, used at A: no ESIA round trip
        assert (await redeem(person, b, again, login.verifier))["access_token"]


async def test_client_address_passes_through_nginx(cluster: Cluster) -> None:
    async with browser(local_address=CLIENT_IP) as person:
        await full_login(person, cluster.url, cluster.mock)
    engine = create_engine(cluster.env["FRMR_SSO_DATABASE_URL"])
    try:
        records = list(await SqlAuditRepository(engine).list())
    finally:
        await engine.dispose()
    logins = [r for r in records if r.event_type.startswith("login.")]
    assert logins
    assert {r.ip for r in logins} == {CLIENT_IP}, "nginx's own address would mean X-Forwarded-For was lost"


@pytest.mark.parametrize("stop_signal", [signal.SIGTERM, signal.SIGKILL], ids=["SIGTERM", "SIGKILL"])
async def test_stopping_an_instance_in_the_middle_of_logins_loses_nothing(
    cluster: Cluster, stop_signal: signal.Signals
) -> None:
    a, mock = cluster.a.url, cluster.mock
    sms = asyncio.Lock()
    async with browser() as p1, browser() as p2, browser() as p3, browser() as p4:
        # made on A before it stops: two sessions with refresh families, a code not yet redeemed,
        # a login waiting at the callback
        done = [await full_login(p, a, mock) for p in (p1, p2)]
        coded = BrowserLogin(p3)
        code = await coded.callback(on(await coded.through_esia(a, mock), a))
        waiting = BrowserLogin(p4)
        callback = await waiting.through_esia(a, mock)

        # logins through nginx that are under way when A stops; a client restarts a login whose
        # step was lost with the instance (at most twice)
        started = asyncio.Event()
        restarts: list[str] = []

        async def login_through_nginx() -> dict[str, Any]:
            async with browser() as person:
                for attempt in range(3):
                    try:
                        login = BrowserLogin(person)
                        url = await login.through_esia(cluster.url, mock, sms)
                        started.set()
                        code = await login.callback(url)
                        return await redeem(person, cluster.url, code, login.verifier)
                    except (StepFailed, httpx.TransportError) as exc:
                        restarts.append(f"{type(exc).__name__}: {exc}"[:200])
                        if attempt == 2:
                            raise
            raise AssertionError("unreachable")

        running = [asyncio.create_task(login_through_nginx()) for _ in range(6)]
        await asyncio.wait_for(started.wait(), 60)
        cluster.a.send(stop_signal)
        exit_code = await asyncio.to_thread(cluster.a.wait, 30)
        assert exit_code in (0, -stop_signal), exit_code

        # everything A made still works, through nginx (only B is left)
        for login, tokens in done:
            assert (await refresh(login.browser, cluster.url, tokens["refresh_token"]))["access_token"]
            silent = await login.silent(cluster.url)
            assert (await redeem(login.browser, cluster.url, silent, login.verifier))["id_token"]
        assert (await redeem(p3, cluster.url, code, coded.verifier))["refresh_token"]
        finished = await waiting.callback(callback)
        assert (await redeem(p4, cluster.url, finished, waiting.verifier))["access_token"]

        results = await asyncio.gather(*running)
        assert all(r["access_token"] for r in results)
        assert len(restarts) <= len(running), restarts
        check = await p1.get(f"{cluster.url}/health/ready")
        assert check.headers[UPSTREAM_HEADER].endswith(f":{cluster.b.port}")


async def test_key_rotation_on_one_instance_is_seen_by_the_other(cluster: Cluster) -> None:
    async with browser() as http:
        before = {k["kid"] for k in (await jwks(http, cluster.b.url))["keys"]}
        rotated = await asyncio.to_thread(cluster.cli, "keys", "rotate", "--alg", "RS256")
        assert rotated.returncode == 0, rotated.stderr
        (kid,) = [line.split()[-1] for line in rotated.stdout.splitlines() if line.startswith("RS256:")]
        assert kid not in before

        async def published(base: str) -> set[str]:
            return {k["kid"] for k in (await jwks(http, base))["keys"]}

        deadline = time.monotonic() + 30  # both instances reload the keys every second
        while not {kid} <= (await published(cluster.a.url)) & (await published(cluster.b.url)):
            assert time.monotonic() < deadline, "the rotated key did not reach both instances"
            await asyncio.sleep(0.2)
        assert before <= await published(cluster.b.url), "the previous keys stay published"

        # A signs with the new key; B verifies A's token by it
        while True:
            response = await http.post(
                f"{cluster.a.url}/token",
                data={"grant_type": "client_credentials"},
                auth=SERVICE,
            )
            assert response.status_code == 200, response.text
            token = response.json()["access_token"]
            if jwt.decode(token, KeySet.import_key_set(await jwks(http, cluster.b.url))).header["kid"] == kid:
                break
            assert time.monotonic() < deadline, "instance A never signed with the rotated key"
            await asyncio.sleep(0.2)
        assert (await introspect(http, cluster.b.url, token, SERVICE))["active"] is True


async def test_nginx_body_limits_and_host_agree_with_the_brokers(cluster: Cluster) -> None:
    """A 4.5 MB screenshot reaches a broker (its answer, not nginx's 413); 100 KB to /token does not;
    a client's Host never becomes the broker's redirect target."""
    screenshot = b"\x89PNG\r\n\x1a\n" + b"\0" * (4_500_000)
    async with browser() as http:
        upload = await http.post(f"{cluster.url}/api/v1/support-requests",
                                 files={"screenshot": ("screen.png", screenshot, "image/png")},
                                 data={"unknown-field": "x"})
        assert upload.headers["content-type"] == "application/problem+json", upload.status_code
        assert upload.status_code == 400
        flood = await http.post(f"{cluster.url}/token", content=b"a=" + b"x" * 100_000,
                                headers={"Content-Type": "application/x-www-form-urlencoded"})
        assert flood.status_code == 413
        moved = await http.get(f"{cluster.url}/jwks/", headers={"Host": "evil.example"})
        assert moved.headers["location"] == f"{cluster.url}/jwks"
