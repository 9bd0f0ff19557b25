"""When the broker asks for its second factor (client flag, FRMR role, ``acr_values``), the step-up of an
SSO session that lacks it, and an administrator's reset through the API and the CLI.

Runs on the configured backend (SQLite + memory, or PostgreSQL + Redis).
"""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from frmr_sso.oauth.client_specs import ClientSpec
from frmr_sso.security.secrets import hash_secret
from frmr_sso.storage.sql import SqlClientRepository
from frmr_sso.storage.sql.engine import create_engine
from tests.e2e.login.second_factor_support import (
    MFA_ACR,
    REGISTRAR,
    REGISTRAR_PASSWORD,
    Authenticator,
    enrol,
    open_page,
    read_enrolment,
    two_factor_location,
)
from tests.e2e.login.support import (
    DOCTOR,
    DOCTOR_PASSWORD,
    SCOPE,
    SPA_ID,
    SPA_REDIRECT,
    WEB_REDIRECT,
    Rig,
    assert_code_redirect,
    id_token_claims,
    query,
    start,
)

MFA_APP, MFA_REDIRECT = "mfa-app", "http://127.0.0.1:9997/callback"
ADMIN_ID, ADMIN_SECRET = "sf-admin", "sf-admin-secret-value"
FRMR_SSO = str(Path(sys.executable).with_name("frmr-sso"))


async def _register(rig: Rig, *specs: ClientSpec) -> None:
    engine = create_engine(rig.database_url)
    try:
        for spec in specs:
            await SqlClientRepository(engine).upsert(
                spec.to_record(hash_secret(spec.secret) if spec.secret else None)
            )
    finally:
        await engine.dispose()


async def _subject_of_enrolment(rig: Rig) -> str:
    events = [e for e in await rig.audit_events() if e.event_type == "second_factor.enrolment_confirmed"]
    subject = events[-1].subject_id
    assert subject is not None
    return subject


async def _doctor_session(rig: Rig) -> dict[str, Any]:
    """The doctor logs in to demo-spa (no second factor asked); the id_token's claims."""
    async with rig.spa() as client:
        url, state, nonce, verifier = start(rig, client)
        location = assert_code_redirect(
            rig, await rig.esia_login(url, DOCTOR, DOCTOR_PASSWORD), SPA_REDIRECT, state
        )
        token = await client.fetch_token(
            f"{rig.broker}/token", authorization_response=location, state=state, code_verifier=verifier
        )
    return await id_token_claims(rig, token["id_token"], SPA_ID, nonce)


async def test_a_client_that_requires_the_second_factor_steps_up_an_sso_session(rig: Rig) -> None:
    await _register(
        rig,
        ClientSpec(
            client_id=MFA_APP,
            name="Регистр: администрирование",
            public=True,
            redirect_uris=(MFA_REDIRECT,),
            scopes=("openid", "profile"),
            require_second_factor=True,
            first_party=True,  # the operator's own app: no consent page in these tests
        ),
    )
    first = await _doctor_session(rig)
    assert "acr" not in first or first["acr"] != MFA_ACR
    assert "otp" not in first.get("amr", [])
    state = "mfa-state"
    url = f"{rig.broker}/authorize?" + urlencode({
        "client_id": MFA_APP, "redirect_uri": MFA_REDIRECT, "response_type": "code",
        "scope": "openid profile", "state": state,
        "code_challenge": "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM", "code_challenge_method": "S256",
    })  # fmt: skip
    step_up = await rig.browser.get(url)  # the live SSO session lacks the second factor
    page = await open_page(rig, step_up)
    read_enrolment(page)
    done = await enrol(rig, step_up, Authenticator())
    assert_code_redirect(rig, done, MFA_REDIRECT, state)
    required = [e for e in await rig.audit_events() if e.event_type == "second_factor.required"]
    assert required[-1].details["step_up"] is True
    assert required[-1].subject_id == first["sub"]


async def test_acr_values_asks_for_the_higher_level(rig: Rig) -> None:
    await _doctor_session(rig)
    async with rig.spa() as client:
        url, state, *_ = start(rig, client, acr_values=MFA_ACR, prompt="none")
    silent = await rig.browser.get(url)
    assert silent.status_code == 302, silent.text
    assert query(silent.headers["location"])["error"] == "interaction_required"

    async with rig.spa() as client:
        url, state, nonce, verifier = start(rig, client, acr_values=MFA_ACR)
        done = await enrol(rig, await rig.browser.get(url), Authenticator())
        location = assert_code_redirect(rig, done, SPA_REDIRECT, state)
        token = await client.fetch_token(
            f"{rig.broker}/token", authorization_response=location, state=state, code_verifier=verifier
        )
        claims = await id_token_claims(rig, token["id_token"], SPA_ID, nonce)
        assert claims["acr"] == MFA_ACR
        assert claims["amr"][-2:] == ["otp", "mfa"]  # the broker's code after ESIA's: several factors
        url, state, *_ = start(rig, client, acr_values=MFA_ACR)
    again = await rig.browser.get(url)  # the stepped-up session serves the next such request at once
    assert_code_redirect(rig, again, SPA_REDIRECT, state)


async def test_the_role_policy_holds_for_sso_reuse_too(rig: Rig) -> None:
    async with rig.spa() as client:
        url, *_ = start(rig, client)
        await enrol(rig, await rig.esia_login(url, REGISTRAR, REGISTRAR_PASSWORD), Authenticator())
    async with rig.web() as client:
        url, state, *_ = start(rig, client, scope=SCOPE)
    reused = await rig.browser.get(url)  # the session already carries otp: no second ask
    assert_code_redirect(rig, reused, WEB_REDIRECT, state)


async def _admin_token(rig: Rig) -> str:
    answer = await rig.browser.post(
        f"{rig.broker}/token",
        data={"grant_type": "client_credentials", "scope": "admin"},
        auth=(ADMIN_ID, ADMIN_SECRET),
    )
    assert answer.status_code == 200, answer.text
    token: str = answer.json()["access_token"]
    return token


async def test_an_administrator_resets_through_the_api_and_the_cli(rig: Rig) -> None:
    await _register(
        rig,
        ClientSpec(
            client_id=ADMIN_ID,
            name="Администратор",
            secret=ADMIN_SECRET,
            grant_types=("client_credentials",),
            scopes=("admin",),
        ),
    )
    app = Authenticator()
    async with rig.spa() as client:
        url, *_ = start(rig, client)
        await enrol(rig, await rig.esia_login(url, REGISTRAR, REGISTRAR_PASSWORD), app)
    rig.browser.cookies.clear()
    subject = await _subject_of_enrolment(rig)
    endpoint = f"{rig.broker}/api/v1/admin/second-factor/reset"

    unauthorized = await rig.browser.post(endpoint, json={"subject": subject})
    assert unauthorized.status_code == 401
    assert unauthorized.headers["content-type"].startswith("application/problem+json")
    headers = {"Authorization": f"Bearer {await _admin_token(rig)}"}
    invalid = await rig.browser.post(endpoint, json={"subject": ""}, headers=headers)
    assert invalid.status_code == 400
    done = await rig.browser.post(endpoint, json={"subject": subject}, headers=headers)
    assert done.status_code == 200, done.text
    assert done.json() == {"subject": subject, "was_enrolled": True}

    async with rig.spa() as client:
        url, state, *_ = start(rig, client)
        callback = await rig.esia_login(url, REGISTRAR, REGISTRAR_PASSWORD)
    read_enrolment(await open_page(rig, callback))  # enrols anew
    rig.browser.cookies.clear()
    async with rig.spa() as client:
        url, state, *_ = start(rig, client)
        callback = await rig.esia_login(url, REGISTRAR, REGISTRAR_PASSWORD)
    second = Authenticator()
    assert_code_redirect(rig, await enrol(rig, callback, second), SPA_REDIRECT, state)

    env = {k: v for k, v in os.environ.items() if not k.startswith("FRMR_SSO_")}
    env.update(FRMR_SSO_MODE="demo", FRMR_SSO_DATABASE_URL=rig.database_url, FRMR_SSO_ISSUER=rig.broker)
    process = await asyncio.create_subprocess_exec(
        FRMR_SSO, "2fa", "reset", subject, env=env,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    out, err = await process.communicate()
    assert process.returncode == 0, err.decode()
    assert "removed" in out.decode()
    resets = [e for e in await rig.audit_events() if e.event_type == "second_factor.reset"]
    assert [(e.subject_id, e.details["by"]) for e in resets] == [
        (subject, f"admin-api:{ADMIN_ID}"),
        (subject, "cli"),
    ]
    rig.browser.cookies.clear()
    async with rig.spa() as client:
        url, *_ = start(rig, client)
        callback = await rig.esia_login(url, REGISTRAR, REGISTRAR_PASSWORD)
    two_factor_location(rig, callback)
    assert (await second_factor_or_enrolment(rig, callback)) == "enrolment"


async def second_factor_or_enrolment(rig: Rig, callback: Any) -> str:
    page = await open_page(rig, callback)
    return "enrolment" if "data-secret" in page.text else "code"
