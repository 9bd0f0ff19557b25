from __future__ import annotations

from frmr_sso.login.transaction import LoginTransactions, is_browser_binding, new_browser_binding
from frmr_sso.storage.kv.memory import MemoryKV
from frmr_sso.upstream.base import is_uuid
from tests.unit.login.fakes import Clock

REQUEST = {"client_id": "demo-spa", "state": "s"}


def transactions() -> tuple[LoginTransactions, Clock]:
    clock = Clock()
    return LoginTransactions(MemoryKV(clock=clock), ttl=600, clock=clock), clock


async def test_a_transaction_is_read_once_by_its_browser() -> None:
    store, _ = transactions()
    browser = new_browser_binding()
    tx = await store.open(connector="esia", request=REQUEST, browser=browser, pkce=False)
    assert is_uuid(tx.state)
    assert tx.code_verifier is None
    assert browser not in tx.to_json()  # only its hash is stored
    found = await store.consume(tx.state, browser, connector="esia")
    assert found == tx
    assert await store.consume(tx.state, browser, connector="esia") is None


async def test_another_browser_or_connector_gets_nothing_and_leaves_the_login_to_its_owner() -> None:
    store, _ = transactions()
    browser = new_browser_binding()
    tx = await store.open(connector="esia", request=REQUEST, browser=browser, pkce=True)
    assert tx.code_verifier
    assert await store.consume(tx.state, new_browser_binding(), connector="esia") is None
    assert await store.consume(tx.state, browser, connector="corp") is None
    assert await store.consume(tx.state, browser, connector="esia") == tx  # a forged callback spent nothing
    assert await store.consume(tx.state, browser, connector="esia") is None


async def test_missing_or_malformed_inputs_do_not_touch_the_store() -> None:
    store, _ = transactions()
    browser = new_browser_binding()
    tx = await store.open(connector="esia", request=REQUEST, browser=browser, pkce=False)
    assert await store.consume(tx.state, None, connector="esia") is None
    assert await store.consume(tx.state, "short", connector="esia") is None
    assert await store.consume(None, browser, connector="esia") is None
    assert await store.consume("x" * 36, browser, connector="esia") is None
    assert await store.consume(tx.state, browser, connector="esia") == tx


async def test_a_transaction_expires() -> None:
    store, clock = transactions()
    browser = new_browser_binding()
    tx = await store.open(connector="esia", request=REQUEST, browser=browser, pkce=False)
    clock.now += 601
    assert await store.consume(tx.state, browser, connector="esia") is None


def test_browser_binding_shape() -> None:
    assert is_browser_binding(new_browser_binding())
    assert not is_browser_binding(None)
    assert not is_browser_binding("a" * 42)
    assert not is_browser_binding("a" * 42 + "=")
