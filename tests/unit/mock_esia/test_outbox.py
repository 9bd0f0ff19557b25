from __future__ import annotations

from datetime import datetime

import httpx
import pytest

from mock_esia.app import create_app
from mock_esia.config import MockSettings
from mock_esia.outbox import Outbox

PHONE = "+79990000001"
ALIASES = ("doctor@example.test", "11223344595")


def test_messages_are_newest_first_with_every_field() -> None:
    outbox = Outbox()
    outbox.send(phone=PHONE, text="код 111111", code="111111", aliases=ALIASES)
    outbox.send(phone=PHONE, text="код 222222", code="222222", aliases=ALIASES)
    messages = outbox.messages(PHONE)
    assert [m.code for m in messages] == ["222222", "111111"]
    first = messages[0].as_json()
    assert set(first) == {"login", "phone", "text", "code", "sent_at"}
    assert first["phone"] == PHONE
    assert first["text"] == "код 222222"
    assert datetime.fromisoformat(first["sent_at"]).tzinfo is not None


@pytest.mark.parametrize(
    "login", ["+79990000001", "+7 999 000-00-01", "89990000001", "Doctor@Example.test", "112-233-445 95"]
)
def test_every_login_form_of_the_account_reads_the_same_queue(login: str) -> None:
    outbox = Outbox()
    outbox.send(phone=PHONE, text="код 123456", code="123456", aliases=ALIASES)
    assert outbox.latest_code(login) == "123456"


def test_other_and_unknown_logins_see_nothing() -> None:
    outbox = Outbox()
    outbox.send(phone=PHONE, text="код 123456", code="123456", aliases=ALIASES)
    assert outbox.messages("+79990000002") == []
    assert outbox.messages("nobody@example.test") == []
    assert outbox.messages("") == []
    assert outbox.latest_code("+79990000002") is None


def test_each_queue_is_bounded_keeping_the_newest() -> None:
    outbox = Outbox(per_recipient=3)
    for n in range(10):
        outbox.send(phone=PHONE, text=f"код {n:06d}", code=f"{n:06d}")
    assert [m.code for m in outbox.messages(PHONE)] == ["000009", "000008", "000007"]


def test_the_least_recently_used_recipients_are_forgotten_first() -> None:
    outbox = Outbox(recipients=2)
    outbox.send(phone="+79990000001", text="a", code="000001", aliases=("a@example.test",))
    outbox.send(phone="+79990000002", text="b", code="000002")
    outbox.send(phone="+79990000001", text="a", code="000003")
    outbox.send(phone="+79990000003", text="c", code="000004")
    assert outbox.messages("+79990000002") == []
    assert outbox.latest_code("a@example.test") == "000003"
    assert outbox.latest_code("+79990000003") == "000004"


def test_clear_empties_the_outbox() -> None:
    outbox = Outbox()
    outbox.send(phone=PHONE, text="x", code="000000", aliases=ALIASES)
    outbox.clear()
    assert outbox.messages(PHONE) == []


async def _get(settings: MockSettings, params: list[tuple[str, str]]) -> httpx.Response:
    app = create_app(settings)
    app.state.mock.outbox.send(phone=PHONE, text="код 654321", code="654321", aliases=ALIASES)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://mock") as client:
        return await client.get("/_dev/outbox", params=tuple(params))


async def test_outbox_endpoint_answers_json_in_dev_mode() -> None:
    response = await _get(MockSettings(dev=True), [("login", "doctor@example.test")])
    assert response.status_code == 200
    assert response.headers["cache-control"] == "no-store"
    [message] = response.json()
    assert message["code"] == "654321"
    assert message["login"] == PHONE


async def test_outbox_endpoint_does_not_exist_outside_dev_mode() -> None:
    response = await _get(MockSettings(dev=False), [("login", "doctor@example.test")])
    assert response.status_code == 404
    assert "654321" not in response.text


@pytest.mark.parametrize(
    "params", [[], [("login", "")], [("login", PHONE), ("login", PHONE)], [("login", "x" * 300)]]
)
async def test_outbox_endpoint_refuses_a_missing_repeated_or_oversized_login(
    params: list[tuple[str, str]],
) -> None:
    response = await _get(MockSettings(dev=True), params)
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_request"
