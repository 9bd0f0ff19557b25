"""A real brokered login (hospital app → frmr-sso → mock ESIA), then the worker's record through the API."""

from __future__ import annotations

from frmr_sso.registry.demo import load_demo_persons
from tests.e2e.login.conftest import esia_signer, rig  # noqa: F401 - fixtures of the login rig
from tests.e2e.login.support import DOCTOR, DOCTOR_PASSWORD, SPA_REDIRECT, Rig, assert_code_redirect, start


async def test_the_logged_in_doctor_reads_her_own_record_and_nobody_elses(rig: Rig) -> None:  # noqa: F811
    async with rig.spa() as client:
        url, state, _, verifier = start(rig, client)
        location = assert_code_redirect(
            rig, await rig.esia_login(url, DOCTOR, DOCTOR_PASSWORD), SPA_REDIRECT, state
        )
        token = await client.fetch_token(
            f"{rig.broker}/token", authorization_response=location, state=state, code_verifier=verifier
        )
    auth = {"Authorization": f"Bearer {token['access_token']}"}
    me = await rig.browser.get(f"{rig.broker}/api/v1/me", headers=auth)
    assert me.status_code == 200, me.text
    assert (me.json()["frmr_id"], me.json()["snils"]) == ("FRMR-0000001", "112-233-445 95")
    jobs = await rig.browser.get(f"{rig.broker}/api/v1/me/employments?limit=1", headers=auth)
    assert (jobs.json()["total"], len(jobs.json()["items"])) == (3, 1)
    cardiologist = next(p for p in load_demo_persons() if p.frmr_id == "FRMR-0000004")
    foreign_id = cardiologist.employments[0].record_id
    foreign = await rig.browser.get(f"{rig.broker}/api/v1/me/employments/{foreign_id}", headers=auth)
    assert foreign.status_code == 404
    assert foreign_id not in foreign.text
    await rig.browser.post(
        f"{rig.broker}/revoke", data={"token": token["access_token"], "client_id": "demo-spa"}
    )
    revoked = await rig.browser.get(f"{rig.broker}/api/v1/me", headers=auth)
    assert revoked.status_code == 401
