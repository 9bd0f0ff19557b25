"""No SNILS, password, one-time code, token or client secret in any log line of a full run.

``tests/e2e/conftest.py`` captures every record of the in-process servers (broker, mock ESIA, the
test OP) for the whole e2e session, written as production writes it, and checks them all when
the session ends. This test makes sure the check has something to bite on: it runs a complete
login with the SMS code, the code exchange, refresh rotation, userinfo, introspection,
revocation and a handful of failures (wrong ESIA password, wrong client secret, a replayed
code, a forged bearer token), collects every secret it handled and scans the lines written
meanwhile — both as written (redacted) and before redaction for the application's own loggers,
since the redacting filter is a safety net, not a licence.
"""

from __future__ import annotations

import json

import httpx

from tests.e2e.login.support import (
    DOCTOR,
    DOCTOR_PASSWORD,
    WEB_ID,
    WEB_REDIRECT,
    WEB_SECRET,
    Rig,
    query,
    start,
)
from tests.e2e.security.support import offline_web
from tests.e2e.web.provider import basic
from tests.support.esia_mock import password_step, submit
from tests.support.log_capture import CapturedLogs, leaks

# URLs with their query strings: the filter masks ``code=`` there, as it does in production
URL_LOGGERS = frozenset({"uvicorn.access", "httpx"})


async def test_a_full_run_writes_no_secret(rig: Rig, server_logs: CapturedLogs) -> None:
    start_mark = server_logs.mark()
    seen: list[str] = []
    auth = basic(WEB_ID, WEB_SECRET)
    async with offline_web() as client:
        url, state, *_ = start(rig, client)
        page = await rig.to_esia_login_page(url)
        answer = await submit(rig.browser, rig.mock, page, "/login", login=DOCTOR, password=DOCTOR_PASSWORD)
        sms = await rig.mock.sms_code(rig.browser, DOCTOR)
        answer = await submit(rig.browser, rig.mock, answer, "/login/code", code=sms)
        callback = rig.callback_location(answer)
        seen.append(query(callback)["code"])  # ESIA's code
        done = await rig.browser.get(callback)
        location = done.headers["location"]
        code = query(location)["code"]
        seen.append(code)
        token = await client.fetch_token(f"{rig.broker}/token", authorization_response=location, state=state)
    seen += [token["access_token"], token["refresh_token"], token["id_token"]]

    post = rig.browser.post
    rotated = (
        await post(
            f"{rig.broker}/token",
            data={"grant_type": "refresh_token", "refresh_token": token["refresh_token"]},
            headers=auth,
        )
    ).json()
    seen += [rotated["access_token"], rotated["refresh_token"]]
    bearer = {"Authorization": f"Bearer {rotated['access_token']}"}
    assert (await rig.browser.get(f"{rig.broker}/userinfo", headers=bearer)).status_code == 200
    assert (
        await post(f"{rig.broker}/introspect", data={"token": rotated["access_token"]}, headers=auth)
    ).json()["active"]
    # failures
    replay = await post(
        f"{rig.broker}/token",
        data={"grant_type": "authorization_code", "code": code, "redirect_uri": WEB_REDIRECT},
        headers=auth,
    )
    assert replay.status_code == 400
    wrong = await post(
        f"{rig.broker}/token",
        data={"grant_type": "refresh_token", "refresh_token": rotated["refresh_token"]},
        headers=basic(WEB_ID, "Wrong-Secret-2026!"),
    )
    assert wrong.status_code == 401
    forged = rotated["access_token"][:-8] + "AAAAAAAA"
    seen.append(forged)
    assert (
        await rig.browser.get(f"{rig.broker}/userinfo", headers={"Authorization": f"Bearer {forged}"})
    ).status_code == 401
    assert (
        await post(f"{rig.broker}/revoke", data={"token": rotated["refresh_token"]}, headers=auth)
    ).status_code == 200
    async with httpx.AsyncClient(follow_redirects=False, timeout=30) as stranger:
        refused = await password_step(stranger, rig.mock, DOCTOR, "Wrong-Parol-2026!")
    assert "Wrong-Parol-2026!" not in refused.text

    lines = server_logs.lines[start_mark:]
    assert any('"logger": "frmr_sso.access"' in line for line in lines), "nothing was captured"
    assert any("/callback/esia" in line for line in lines)
    found = leaks(lines, [*seen, "Wrong-Secret-2026!", "Wrong-Parol-2026!"])
    assert not found, "\n".join(found)
    application = [
        line for line in server_logs.raw[start_mark:] if json.loads(line)["logger"] not in URL_LOGGERS
    ]
    found = leaks(application, [*seen, "Wrong-Secret-2026!", "Wrong-Parol-2026!"])
    assert not found, "\n".join(found)
    assert not [line for line in lines if f"code={sms}" in line or f'"code": "{sms}"' in line]
