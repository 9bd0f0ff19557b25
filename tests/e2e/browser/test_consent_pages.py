"""The consent page, the cabinet's «Доступ приложений» and «Журнал входов» in headless Chromium.

A signed-in doctor opens a third-party application: the consent page lists what it
receives; «Отказать» goes back with ``access_denied``, «Разрешить» with a code. The
cabinet lists the application and revokes it; the login history shows the sign-ins.
Each page is kept at 1280 and 360 px in the artefacts folder.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import AsyncIterator
from pathlib import Path
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
from selenium import webdriver
from selenium.common.exceptions import WebDriverException
from selenium.webdriver.common.by import By
from selenium.webdriver.support.wait import WebDriverWait

from frmr_sso.upstream.esia_signer import RsaSecretSigner
from tests.e2e.browser.conftest import ARTEFACTS
from tests.e2e.browser.test_cabinet import _sign_in, _wait_text
from tests.e2e.login.support import Rig, login_rig

SHOTS = ARTEFACTS / "consent"
PARTNER = "Демо: стороннее приложение"
REDIRECT = "http://127.0.0.1:9997/callback"
CHALLENGE = base64.urlsafe_b64encode(hashlib.sha256(b"v" * 64).digest()).rstrip(b"=").decode()


@pytest.fixture
async def rig(migrated_database_url: str, redis_url: str | None, tmp_path: Path) -> AsyncIterator[Rig]:
    async with login_rig(migrated_database_url, redis_url, RsaSecretSigner.generate(), tmp_path) as running:
        yield running


def _shots(chrome: webdriver.Chrome, backend: str, name: str) -> None:
    """The page at 1280 and at 360 px, then back to the desktop width; nothing wider than the window."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    for width in (360, 1280):
        chrome.set_window_size(width, 900)
        overflow = chrome.execute_script("return document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 0, f"{name} is wider than {width} px"
        height = chrome.execute_script("return document.documentElement.scrollHeight")
        chrome.set_window_size(width, min(max(int(height) + 140, 600), 4000))
        chrome.save_screenshot(str(SHOTS / f"{backend}-{name}-{width}.png"))
    chrome.set_window_size(1280, 900)


def _authorize(rig: Rig, state: str) -> str:
    params = {
        "response_type": "code", "client_id": "demo-partner", "redirect_uri": REDIRECT,
        "scope": "openid profile frmr offline_access", "state": state,
        "code_challenge": CHALLENGE, "code_challenge_method": "S256",
    }
    return f"{rig.broker}/authorize?{urlencode(params)}"


def _back_at_client(chrome: webdriver.Chrome) -> dict[str, list[str]]:
    """The parameters the client gets (nothing listens at its redirect URI: the URL is what counts)."""
    WebDriverWait(chrome, 20).until(lambda d: d.current_url.startswith(REDIRECT))
    return parse_qs(urlsplit(chrome.current_url).query)


def _answer(chrome: webdriver.Chrome, button: str) -> dict[str, list[str]]:
    chrome.find_element(By.XPATH, f"//button[normalize-space()='{button}']").click()
    return _back_at_client(chrome)


def test_consent_page_and_the_cabinets_access_and_history_pages(
    chrome: webdriver.Chrome, rig: Rig, backend: str
) -> None:
    _sign_in(chrome, rig)
    chrome.get(_authorize(rig, "refuse-1"))
    text = _wait_text(chrome, "Разрешить доступ приложению?")
    for expected in (PARTNER, "Сведения о квалификации из ФРМР", "Личные данные", "Доступ без вашего участия",
                     "Доступ приложений"):
        assert expected in text
    _shots(chrome, backend, "consent")
    refused = _answer(chrome, "Отказать")
    assert (refused["error"], refused["state"]) == (["access_denied"], ["refuse-1"])
    chrome.get(_authorize(rig, "allow-1"))
    _wait_text(chrome, "Разрешить доступ приложению?")
    allowed = _answer(chrome, "Разрешить")
    assert (allowed["state"], "code" in allowed) == (["allow-1"], True)
    with pytest.raises(WebDriverException, match="ERR_CONNECTION_REFUSED"):
        chrome.get(_authorize(rig, "again-1"))  # remembered: straight back with a code (nothing listens)
    again = _back_at_client(chrome)
    assert (again["state"], "code" in again) == (["again-1"], True)

    chrome.get(f"{rig.broker}/cabinet/profile")
    chrome.find_element(By.LINK_TEXT, "Доступ приложений").click()
    text = _wait_text(chrome, "Отозвать доступ")
    for expected in (PARTNER, "Сведения о квалификации из ФРМР", "МСК"):
        assert expected in text
    _shots(chrome, backend, "cabinet-apps")
    chrome.find_element(By.XPATH, "//button[normalize-space()='Отозвать доступ']").click()
    text = _wait_text(chrome, "Доступ приложения отозван.")
    assert "Вы ещё не давали доступ сторонним приложениям." in text
    assert PARTNER not in text

    chrome.find_element(By.LINK_TEXT, "Журнал входов").click()
    text = _wait_text(chrome, "Входы с вашей учётной записью")
    reused = text.split("Вход по действующему сеансу", 1)[1].split("Приложение", 1)[0]
    assert "—" not in reused  # a sign-in by the live session names its upstream too
    for expected in ("Вход выполнен", "Вход по действующему сеансу", "Госуслуги", "Chrome", "127.0.0.1",
                     "Личный кабинет медицинского работника", PARTNER, "МСК"):
        assert expected in text, expected
    assert "Mozilla" not in text
    assert "login.success" not in text
    _shots(chrome, backend, "cabinet-logins")

