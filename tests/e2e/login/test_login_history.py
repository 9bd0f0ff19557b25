"""A person's login history over HTTP: ``/api/v1/me/logins`` pages, the 90-day bound, only the person's."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from frmr_sso.storage.ports import AuditRecord
from frmr_sso.storage.sql import SqlAuditRepository
from frmr_sso.storage.sql.engine import create_engine
from tests.e2e.login.support import SPA_ID, SPA_REDIRECT, Rig, assert_code_redirect, start
from tests.e2e.login.test_sessions import FIREFOX, IPHONE, login

SPA_NAME = "Демо: одностраничное приложение (PKCE)"


async def add_records(rig: Rig, subject: str, user_agent: str) -> dict[str, int]:
    """Records the broker would write on other days: a lock, a refused code, sign-ins 89 and 91 days ago."""
    now = datetime.now(UTC)
    engine = create_engine(rig.database_url)
    made = {}
    try:
        audit = SqlAuditRepository(engine)
        for name, event, days, details in (
            ("old", "login.success", 91, {}),
            ("edge", "login.success", 89, {}),
            ("refused", "second_factor.code_rejected", 1, {"reason": "locked"}),
            ("locked", "subject.locked", 1, {"lock_number": 1}),
            ("phone", "login.success", 0.5, {}),
        ):
            stored = await audit.append(AuditRecord(
                event_type=event, outcome="failure" if "locked" in name + event else "success",
                occurred_at=now - timedelta(days=days), subject_id=subject, ip="198.51.100.7",
                details=details,
                user_agent=user_agent,
            ))
            assert stored.id is not None
            made[name] = stored.id
    finally:
        await engine.dispose()
    return made


async def pages(rig: Rig, token: str, limit: int) -> list[dict[str, Any]]:
    api, bearer = f"{rig.broker}/api/v1/me/logins", {"Authorization": f"Bearer {token}"}
    items: list[dict[str, Any]] = []
    cursor = None
    for _ in range(50):
        params = {"limit": str(limit)} | ({"cursor": cursor} if cursor else {})
        answer = await rig.browser.get(api, params=params, headers=bearer)
        assert answer.status_code == 200, answer.text
        assert answer.headers["cache-control"] == "no-store"
        body = answer.json()
        assert len(body["items"]) <= limit
        items += body["items"]
        cursor = body["next_cursor"]
        if cursor is None:
            return items
    raise AssertionError("the cursor never ran out")


async def test_the_history_shows_only_the_persons_own_sign_ins_of_ninety_days(rig: Rig, second: Rig) -> None:
    await login(rig, user_agent=FIREFOX)
    mine = await login(second, user_agent="Cabinet", cabinet=True, scope="openid account.logins")
    events = await rig.audit_events()
    subject = next(r.subject_id for r in events if r.event_type == "login.success" and r.client_id == SPA_ID)
    assert subject is not None
    made = await add_records(rig, subject, FIREFOX)
    theirs = await add_records(rig, "00000000-0000-4000-8000-000000000001", IPHONE)  # another person

    items = await pages(rig, mine["access_token"], limit=2)
    ids = [item["id"] for item in items]
    assert ids == sorted(ids, reverse=True)  # newest first
    assert len(set(ids)) == len(ids)  # no repeats across pages
    kinds = ("login.success", "login.sso_session", "subject.locked", "second_factor.code_rejected")
    records = await rig.audit_events()
    expected = {r.id for r in records if r.subject_id == subject and r.event_type in kinds} - {made["old"]}
    assert set(ids) == expected
    assert made["edge"] in ids  # 89 days ago: shown
    assert made["old"] not in ids  # 91 days ago: not
    assert IPHONE not in {item["user_agent"] for item in items}  # the other person's records never appear
    assert not set(theirs.values()) & set(ids)
    by_id = {item["id"]: item for item in items}
    assert by_id[made["refused"]]["outcome_label"] == "Код не проверен: вход временно заблокирован"
    assert by_id[made["locked"]]["outcome_label"] == "Вход заблокирован после неверных кодов"
    spa = next(item for item in items if item["client_id"] == SPA_ID)
    assert (spa["client_name"], spa["upstream"], spa["user_agent"]) == (SPA_NAME, "Госуслуги", FIREFOX)
    assert spa["outcome_label"] == "Вход выполнен"

    api, bearer = f"{rig.broker}/api/v1/me/logins", {"Authorization": f"Bearer {mine['access_token']}"}
    wrong = (({"cursor": "x"}, "cursor"), ({"limit": "0"}, "limit"), ({"limit": "101"}, "limit"))
    for params, field in wrong:
        bad = await rig.browser.get(api, params=params, headers=bearer)
        assert (bad.status_code, bad.headers["content-type"]) == (400, "application/problem+json")
        assert bad.json()["field"] == field
    unknown = await rig.browser.get(api, params={"after": "1"}, headers=bearer)
    assert unknown.status_code == 400
    async with rig.spa() as client:  # a token without account.logins (the SPA cannot hold it)
        url, state, _, verifier = start(rig, client, scope="openid frmr")
        location = assert_code_redirect(rig, await rig.browser.get(url), SPA_REDIRECT, state)
        spa_token = await client.fetch_token(
            f"{rig.broker}/token", authorization_response=location, state=state, code_verifier=verifier
        )
    refused = await rig.browser.get(api, headers={"Authorization": f"Bearer {spa_token['access_token']}"})
    assert refused.status_code in (401, 403)
    assert (await rig.browser.get(api)).status_code == 401
