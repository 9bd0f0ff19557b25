"""Every page a person meets, in headless Chromium: axe-core finds no serious or critical violation, the
login works by keyboard alone, and each page is kept as a screenshot at 1280 and 360 px.

axe-core is the exact version of ``tests/e2e/browser/axe/package-lock.json`` (``scripts/test.sh`` runs
``npm ci`` there). Screenshots go to ``$FRMR_SSO_TEST_ARTEFACTS/pages`` (``artefacts/pages``).
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from selenium import webdriver
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.remote.webelement import WebElement
from selenium.webdriver.support.wait import WebDriverWait

from frmr_sso.upstream.esia_signer import RsaSecretSigner
from tests.e2e.browser.conftest import ARTEFACTS
from tests.e2e.browser.test_cabinet import PAGES as CABINET_PAGES
from tests.e2e.login.support import DOCTOR, DOCTOR_PASSWORD, Rig, login_rig

AXE = Path(__file__).with_name("axe") / "node_modules" / "axe-core" / "axe.min.js"
SHOTS = ARTEFACTS / "pages"
SERIOUS = ("serious", "critical")
TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
BROKER_PAGES = (
    "/", "/privacy", "/account/sessions", "/account/2fa", "/account/2fa/passkeys",
    "/logout?client_id=no-such-app",
)  # fmt: skip
_RUN_AXE = """
const done = arguments[arguments.length - 1];
axe.run(document, {runOnly: {type: 'tag', values: arguments[0]}, resultTypes: ['violations']})
  .then(r => done(r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
                                             nodes: v.nodes.map(n => n.target.join(' ')).slice(0, 5)}))))
  .catch(e => done([{id: 'axe-error', impact: 'critical', help: String(e), nodes: []}]));
"""


@pytest.fixture
async def rig(migrated_database_url: str, redis_url: str | None, tmp_path: Path) -> AsyncIterator[Rig]:
    async with login_rig(migrated_database_url, redis_url, RsaSecretSigner.generate(), tmp_path) as running:
        yield running


def serious_violations(chrome: webdriver.Chrome) -> list[dict[str, Any]]:
    if not chrome.execute_script("return typeof axe !== 'undefined'"):
        chrome.execute_script(AXE.read_text(encoding="utf-8"))
    chrome.set_script_timeout(60)
    found: list[dict[str, Any]] = chrome.execute_async_script(_RUN_AXE, TAGS)
    return [v for v in found if v["impact"] in SERIOUS]


def keep(chrome: webdriver.Chrome, backend: str, width: int, name: str) -> None:
    """A screenshot of the whole page at ``width``."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    height = int(chrome.execute_script("return document.documentElement.scrollHeight"))
    chrome.set_window_size(width, min(4000, max(900, height + 100)))
    chrome.save_screenshot(str(SHOTS / f"{backend}-{width}-{name}.png"))
    chrome.set_window_size(width, 900)


def check_page(chrome: webdriver.Chrome, backend: str, name: str, problems: dict[str, Any]) -> None:
    for width in (1280, 360):
        chrome.set_window_size(width, 900)
        keep(chrome, backend, width, name)
        violations = serious_violations(chrome)
        if violations:
            problems[f"{name}@{width}"] = violations


def tab_to(chrome: webdriver.Chrome, found: Callable[[WebElement], bool], limit: int = 40) -> WebElement:
    """Press Tab until the focused element is the one wanted, as a keyboard user would; its focus shows."""
    for _ in range(limit):
        chrome.switch_to.active_element.send_keys(Keys.TAB)
        element = chrome.switch_to.active_element
        if found(element):
            outline = chrome.execute_script(
                "const s = getComputedStyle(arguments[0]);"
                "return [s.outlineStyle, s.outlineWidth, s.boxShadow];", element)
            assert (outline[0] != "none" and outline[1] != "0px") or outline[2] != "none", outline
            return element
    raise AssertionError("not reachable by Tab")


def named(name: str) -> Callable[[WebElement], bool]:
    return lambda e: e.get_attribute("name") == name


def labelled(text: str) -> Callable[[WebElement], bool]:
    return lambda e: text in (e.text or "")


def _wait(chrome: webdriver.Chrome, condition: Callable[[webdriver.Chrome], object]) -> None:
    WebDriverWait(chrome, 20).until(condition)


def test_every_page_passes_axe_and_the_login_works_by_keyboard(
    chrome: webdriver.Chrome, rig: Rig, backend: str
) -> None:
    problems: dict[str, Any] = {}
    for path in ("/", "/privacy"):
        chrome.get(rig.broker + path)
        check_page(chrome, backend, "broker-" + (path.strip("/") or "start"), problems)
    chrome.get(f"{rig.broker}/cabinet/")
    check_page(chrome, backend, "cabinet-start", problems)
    tab_to(chrome, labelled("Войти через Госуслуги")).send_keys(Keys.ENTER)
    _wait(chrome, lambda d: d.find_elements(By.NAME, "login"))
    check_page(chrome, backend, "esia-login", problems)
    tab_to(chrome, named("login")).send_keys(DOCTOR)
    tab_to(chrome, named("password")).send_keys(DOCTOR_PASSWORD + Keys.ENTER)
    _wait(chrome, lambda d: d.find_elements(By.NAME, "code"))
    check_page(chrome, backend, "esia-sms", problems)
    sms = httpx.get(rig.mock.url("/_dev/outbox"), params={"login": DOCTOR}).json()[0]["code"]
    tab_to(chrome, named("code")).send_keys(sms + Keys.ENTER)
    _wait(chrome, lambda d: d.current_url.startswith(f"{rig.broker}/cabinet/profile"))
    for slug in CABINET_PAGES:
        chrome.get(f"{rig.broker}/cabinet/{slug}")
        check_page(chrome, backend, "cabinet-" + slug.replace("/", "-"), problems)
    for path in BROKER_PAGES[2:]:
        chrome.get(rig.broker + path)
        check_page(chrome, backend, "broker-" + path.strip("/").split("?")[0].replace("/", "-"), problems)
    chrome.get(f"{rig.broker}/logout")
    check_page(chrome, backend, "broker-logout-confirm", problems)
    tab_to(chrome, labelled("Выйти")).send_keys(Keys.ENTER)
    _wait(chrome, lambda d: "/logout" not in d.current_url or "Вы вышли" in d.page_source)
    check_page(chrome, backend, "after-logout", problems)
    assert not problems, json.dumps(problems, ensure_ascii=False, indent=1)


def test_the_esia_error_and_the_not_found_pages_pass_axe(
    chrome: webdriver.Chrome, rig: Rig, backend: str
) -> None:
    problems: dict[str, Any] = {}
    chrome.get(f"{rig.broker}/cabinet/")
    tab_to(chrome, labelled("Войти через Госуслуги")).send_keys(Keys.ENTER)
    _wait(chrome, lambda d: d.find_elements(By.NAME, "login"))
    tab_to(chrome, named("login")).send_keys(DOCTOR)
    tab_to(chrome, named("password")).send_keys("wrong password" + Keys.ENTER)
    _wait(chrome, lambda d: d.find_elements(By.CSS_SELECTOR, "[role=alert], .error"))
    check_page(chrome, backend, "esia-wrong-password", problems)
    chrome.get(f"{rig.broker}/no-such-page")
    check_page(chrome, backend, "broker-not-found", problems)
    assert not problems, json.dumps(problems, ensure_ascii=False, indent=1)


def test_the_check_finds_a_violation(chrome: webdriver.Chrome) -> None:
    chrome.get("data:text/html;charset=utf-8,<html><body><img src='x.png'><input type='text'></body></html>")
    assert {v["id"] for v in serious_violations(chrome)} >= {"image-alt", "label"}
