"""``frmr-sso demo`` as a newcomer runs it: both servers up, accounts printed, a full ESIA round trip.

The round trip goes through the mock's dev portal, a relying party built into
the mock: signed ``/v2/ac`` → the real login form → SMS code from the outbox →
``/v3/te`` → ``/rs/prns``.
"""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.e2e.cli.support import clean_env, one_line_error, run
from tests.support.demo import DOCTOR, PASSWORD, Demo, running_demo
from tests.support.forms import find_form
from tests.support.servers import free_port


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Demo]:
    with running_demo(tmp_path_factory.mktemp("demo")) as running:
        yield running


def test_demo_keeps_its_data_under_var(demo: Demo) -> None:
    assert (demo.cwd / "var" / "frmr_sso.db").is_file()
    key = demo.cwd / "var" / "esia-client-key.pem"
    assert key.is_file()
    assert key.stat().st_mode & 0o077 == 0


def test_demo_prints_where_things_are_and_the_accounts(demo: Demo) -> None:
    text = "".join(demo.output)
    assert f"{demo.broker}/authorize?client_id=demo-web" in text
    assert "demo-service-secret" in text
    assert f"{demo.esia}/_dev/outbox" in text
    assert DOCTOR in text
    assert PASSWORD in text
    assert f"{demo.broker}/login/2fa" in text  # the registry administrator's broker 2FA
    assert "+79990000007" in text
    assert "./var/demo.env" in text  # the other commands' settings
    assert (demo.cwd / "var" / "demo.env").is_file()


def test_landing_page_lists_the_demo_accounts(demo: Demo) -> None:
    page = httpx.get(f"{demo.esia}/")
    assert page.status_code == 200
    assert DOCTOR in page.text
    assert "doctor@example.test" in page.text


def test_full_round_trip_through_the_mock(demo: Demo) -> None:
    with httpx.Client(base_url=demo.esia, follow_redirects=False, timeout=10) as browser:
        to_esia = browser.get("/_demo/start")
        assert to_esia.status_code == 302
        to_login = browser.get(to_esia.headers["location"])
        assert to_login.status_code == 302, to_login.text
        login_page = browser.get(to_login.headers["location"])
        form = find_form(login_page.text, field="password")
        code_page = browser.post(form.action, data=form.fill(login=DOCTOR, password=PASSWORD))
        assert code_page.status_code == 200, code_page.text
        sms = browser.get("/_dev/outbox", params={"login": DOCTOR}).json()[0]["code"]
        code_form = find_form(code_page.text, field="code")
        back = browser.post(code_form.action, data=code_form.fill(code=sms))
        assert back.status_code == 302
        result = browser.get(back.headers["location"])
    assert result.status_code == 200, result.text
    assert "Вход выполнен" in result.text
    assert "112-233-445 95" in result.text
    assert "1000299654" in result.text


def test_stops_cleanly_on_interrupt(demo: Demo) -> None:
    assert demo.process.poll() is None


def test_a_standard_oidc_client_logs_in_through_the_demo(demo: Demo) -> None:
    """authlib as the hospital app: code flow against the demo, the doctor through the mock's forms."""
    import warnings

    import authlib.deprecate  # noqa: F401 - installs its "always" filter before ours below
    import jwt

    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="The httpx module is deprecated")
        from authlib.integrations.httpx_client import OAuth2Client

    redirect = "http://127.0.0.1:9999/callback"
    client = OAuth2Client(
        client_id="demo-web", client_secret="demo-web-secret", redirect_uri=redirect,
        scope="openid profile snils frmr", token_endpoint_auth_method="client_secret_basic",
    )
    with client, httpx.Client(follow_redirects=False, timeout=15) as browser:
        authorize_url, state = client.create_authorization_url(
            f"{demo.broker}/authorize", nonce="n-0S6_WzA2Mj"
        )
        to_esia = browser.get(authorize_url)
        assert to_esia.status_code == 302, to_esia.text
        to_login = browser.get(to_esia.headers["location"])
        login_page = browser.get(demo.esia + to_login.headers["location"])
        form = find_form(login_page.text, field="password")
        code_page = browser.post(demo.esia + form.action, data=form.fill(login=DOCTOR, password=PASSWORD))
        sms = browser.get(f"{demo.esia}/_dev/outbox", params={"login": DOCTOR}).json()[0]["code"]
        code_form = find_form(code_page.text, field="code")
        back = browser.post(demo.esia + code_form.action, data=code_form.fill(code=sms))
        to_client = browser.get(back.headers["location"])
        assert to_client.status_code == 302, to_client.text
        location = to_client.headers["location"]
        assert location.startswith(redirect + "?")
        token = client.fetch_token(f"{demo.broker}/token", authorization_response=location, state=state)
        jwks = jwt.PyJWKSet.from_dict(browser.get(f"{demo.broker}/jwks").json())
    header = jwt.get_unverified_header(token["id_token"])
    key = jwks[header["kid"]]
    claims = jwt.decode(
        token["id_token"], key, algorithms=[header["alg"]], audience="demo-web", issuer=demo.broker
    )
    assert claims["nonce"] == "n-0S6_WzA2Mj"
    assert claims["frmr_person_id"] == "FRMR-0000001"
    assert claims["snils"] == "112-233-445 95"
    assert claims["family_name"] == "Иванова"
    assert {org["oid"] for org in claims["frmr_organizations"]} >= {"1.2.643.5.1.13.13.12.2.77.7871"}


@pytest.mark.parametrize("busy", ["broker", "esia"])
def test_a_port_in_use_stops_the_demo_with_one_line(tmp_path: Path, busy: str) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        ports = (port, free_port()) if busy == "broker" else (free_port(), port)
        result = run(clean_env(), "demo", "--port", str(ports[0]), "--esia-port", str(ports[1]), cwd=tmp_path)
    line = one_line_error(result, 1)
    assert line == f"frmr-sso: cannot listen on 127.0.0.1:{port}: Address already in use"
    assert not (tmp_path / "var").exists(), "nothing started"


@pytest.mark.parametrize(
    ("content", "expected"),
    [(None, "cannot read the upstreams file"),
     ("- {name: esia, type: oidc, issuer: 'https://idp.example', client_id: c, client_secret: s}",
      "the name 'esia' is the demo's mock ESIA; rename the entry"),
     ("- {name: regional, type: oidc, issuer: 'https://idp.example'}", "upstreams[0] 'regional': client_id")],
)
def test_a_bad_upstreams_file_stops_the_demo_with_one_line(
    tmp_path: Path, content: str | None, expected: str
) -> None:
    path = tmp_path / "regional.yaml"
    if content is not None:
        path.write_text(content + "\n", encoding="utf-8")
    env = clean_env(FRMR_SSO_UPSTREAMS_FILE=str(path))
    result = run(env, "demo", "--port", str(free_port()), "--esia-port", str(free_port()), cwd=tmp_path)
    assert expected in one_line_error(result, 2)
