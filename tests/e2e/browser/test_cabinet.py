"""The personal cabinet in headless Chromium, on the configured store backend.

The broker (with the cabinet mounted under ``/cabinet``) and the mock ESIA run
as real servers on the test's database and KV (``login_rig``). The person signs
in through the mock ESIA forms (the SMS code read from ``/_dev/outbox``), sees
the profile, submits a change request with a small PDF, orders a statement and
downloads it; the downloaded PDF's signature is verified against the service
certificate the broker publishes. Screenshots of each step go to the artefacts
folder (``$FRMR_SSO_TEST_ARTEFACTS`` or ``artefacts/``).
"""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from selenium import webdriver
from selenium.common.exceptions import StaleElementReferenceException
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions
from selenium.webdriver.support.select import Select
from selenium.webdriver.support.wait import WebDriverWait

from frmr_sso.registry.labels import codes
from frmr_sso.upstream.esia_signer import RsaSecretSigner
from tests.e2e.browser.conftest import ARTEFACTS
from tests.e2e.login.support import DOCTOR, DOCTOR_PASSWORD, Rig, login_rig
from tests.support.documents import pdf as minimal_pdf
from tests.support.pdf_signatures import check_signature, pdf_text

SHOTS = ARTEFACTS / "cabinet"


@pytest.fixture
async def rig(migrated_database_url: str, redis_url: str | None, tmp_path: Path) -> AsyncIterator[Rig]:
    async with login_rig(migrated_database_url, redis_url, RsaSecretSigner.generate(), tmp_path) as running:
        yield running


def _shot(chrome: webdriver.Chrome, backend: str, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    chrome.save_screenshot(str(SHOTS / f"{backend}-{name}.png"))


def _text(chrome: webdriver.Chrome) -> str:
    return str(chrome.find_element(By.TAG_NAME, "body").text)


def _wait_text(chrome: webdriver.Chrome, *texts: str) -> str:
    """The page's text once it shows one of ``texts`` (a click returns before the next page loads)."""
    wait = WebDriverWait(chrome, 20, ignored_exceptions=(StaleElementReferenceException,))
    wait.until(lambda d: any(text in _text(d) for text in texts))
    return _text(chrome)


def _sign_in(chrome: webdriver.Chrome, rig: Rig) -> None:
    wait = WebDriverWait(chrome, 20)
    chrome.get(f"{rig.broker}/cabinet/")
    chrome.find_element(By.LINK_TEXT, "Войти через Госуслуги").click()
    wait.until(expected_conditions.presence_of_element_located((By.NAME, "login")))
    chrome.find_element(By.NAME, "login").send_keys(DOCTOR)
    chrome.find_element(By.NAME, "password").send_keys(DOCTOR_PASSWORD)
    chrome.find_element(By.CSS_SELECTOR, "form button[type=submit]").click()
    wait.until(expected_conditions.presence_of_element_located((By.NAME, "code")))
    sms = httpx.get(rig.mock.url("/_dev/outbox"), params={"login": DOCTOR}).json()[0]["code"]
    chrome.find_element(By.NAME, "code").send_keys(sms)
    chrome.find_element(By.CSS_SELECTOR, "form button[type=submit]").click()
    wait.until(lambda d: d.current_url.startswith(f"{rig.broker}/cabinet/profile"))


def _submit_change_request(chrome: webdriver.Chrome, rig: Rig, document: Path) -> None:
    chrome.get(f"{rig.broker}/cabinet/requests/new")
    chrome.find_element(By.LINK_TEXT, "Место работы").click()
    _wait_text(chrome, "Название или OID организации")
    chrome.find_element(By.ID, "q").send_keys("клиническая больница № 1")
    chrome.find_element(By.CSS_SELECTOR, "form[role=search] button[type=submit]").click()
    _wait_text(chrome, "Найдено")
    chrome.find_element(By.LINK_TEXT, "Выбрать").click()
    _wait_text(chrome, "Шаг 2 из 2")
    Select(chrome.find_element(By.ID, "post_id")).select_by_value("109")
    Select(chrome.find_element(By.ID, "position_type")).select_by_value("1")
    chrome.find_element(By.ID, "rate").send_keys("1")
    begin = chrome.find_element(By.ID, "begin_date")
    chrome.execute_script("arguments[0].value = '2012-09-01'", begin)  # a date input takes typing per locale
    chrome.find_element(By.ID, "comment").send_keys("Неверная дата приёма на работу")
    chrome.find_element(By.ID, "document").send_keys(str(document))
    chrome.find_element(By.CSS_SELECTOR, "form[action$='/requests'] button[type=submit]").click()
    _wait_text(chrome, "Заявка отправлена", "Заявка не принята")


def _download_statement(chrome: webdriver.Chrome, rig: Rig, downloads: Path) -> Path:
    chrome.execute_cdp_cmd("Page.setDownloadBehavior", {"behavior": "allow", "downloadPath": str(downloads)})
    chrome.get(f"{rig.broker}/cabinet/statements")
    Select(chrome.find_element(By.ID, "kind")).select_by_value("extract")
    chrome.find_element(By.CSS_SELECTOR, "form[action$='/statements'] button[type=submit]").click()
    assert "Документ заказан" in _wait_text(chrome, "Документ заказан", "Документ не заказан")

    def ready(driver: webdriver.Chrome) -> bool:
        driver.refresh()
        return bool(driver.find_elements(By.CSS_SELECTOR, "a[data-download]"))

    wait = WebDriverWait(chrome, 60, poll_frequency=0.5, ignored_exceptions=(StaleElementReferenceException,))
    wait.until(ready)  # promised: ready within a minute
    chrome.find_element(By.CSS_SELECTOR, "a[data-download]").click()
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        done = [p for p in downloads.glob("*.pdf") if p.stat().st_size > 0]
        if done:
            return done[0]
        time.sleep(0.2)
    raise AssertionError("the statement was not downloaded")


def test_worker_uses_the_cabinet_end_to_end(
    chrome: webdriver.Chrome, rig: Rig, backend: str, tmp_path: Path
) -> None:
    _sign_in(chrome, rig)
    assert chrome.find_element(By.TAG_NAME, "h1").text == "Профиль"
    profile = _text(chrome)
    assert "Иванова Мария Петровна" in profile
    assert "Обновить данные" in profile
    assert chrome.execute_script("return document.documentElement.lang") == "ru"
    _shot(chrome, backend, "1-profile")

    chrome.find_element(By.XPATH, "//button[normalize-space()='Обновить данные']").click()
    _wait_text(chrome, "Данные обновлены")

    document = tmp_path / "diploma.pdf"
    document.write_bytes(minimal_pdf())
    _submit_change_request(chrome, rig, document)
    assert "Заявка отправлена" in _text(chrome)
    _shot(chrome, backend, "2-change-request")

    downloads = tmp_path / "downloads"
    downloads.mkdir()
    pdf = _download_statement(chrome, rig, downloads)
    _shot(chrome, backend, "3-statements")
    certificate = httpx.get(f"{rig.broker}/api/v1/statements/certificate.pem").content
    assert asyncio.run(check_signature(pdf.read_bytes(), certificate)).ok
    assert "Иванова Мария Петровна" in pdf_text(pdf.read_bytes())

    chrome.get(f"{rig.broker}/cabinet/sessions")
    assert "(этот сеанс)" in _text(chrome)  # the cabinet's own login, from GET /api/v1/me/sessions
    chrome.get(f"{rig.broker}/cabinet/second-factor")
    link = chrome.find_element(By.LINK_TEXT, "Настроить второй фактор").get_attribute("href")
    assert link == f"{rig.broker}/account/2fa"
    passkeys = chrome.find_element(By.LINK_TEXT, "Ключи доступа").get_attribute("href")
    assert passkeys == f"{rig.broker}/account/2fa/passkeys"
    assert "Ключ доступа: отпечаток пальца, лицо или PIN-код устройства" in _text(chrome)

    chrome.set_window_size(390, 844)  # a phone: the sections stay reachable
    chrome.get(f"{rig.broker}/cabinet/accreditation")
    assert chrome.find_element(By.LINK_TEXT, "Выписки").is_displayed()
    _shot(chrome, backend, "4-phone-accreditation")

    chrome.find_element(By.XPATH, "//button[normalize-space()='Выйти']").click()
    _wait_text(chrome, "Вы вышли из кабинета")  # RP-initiated logout at the broker, and back
    assert chrome.get_cookie("frmr_cabinet_session") is None


PAGES = (
    "profile", "education", "work", "qualification", "service-length", "accreditation",
    "requests", "requests/new", "statements", "support", "sessions", "second-factor",
    "requests/new/workplace", "requests/new/education", "requests/new/contacts", "logins", "apps",
)
_WORD = re.compile(r"[A-Za-z][A-Za-z0-9_\-]*")
_OVERFLOW = "return document.documentElement.scrollWidth > window.innerWidth"


def _bare_codes(text: str) -> set[str]:
    """Latin enumeration codes left in a Russian page's text: a known code, or a snake_case word."""
    known = {code for code in codes() if code.isascii() and len(code) >= 3 and not code.isdigit()}
    return {w for w in _WORD.findall(text) if w in known or re.fullmatch(r"[a-z]+(_[a-z]+)+", w)}


def test_every_page_speaks_russian_and_fits_a_phone(chrome: webdriver.Chrome, rig: Rig, backend: str) -> None:
    _sign_in(chrome, rig)
    pages = [f"{rig.broker}/cabinet/{slug}" for slug in PAGES]
    pages += [f"{rig.broker}/account/sessions", f"{rig.broker}/logout?client_id=no-such-app"]
    SHOTS.mkdir(parents=True, exist_ok=True)
    for width in (1280, 360):
        chrome.set_window_size(width, 900)
        for url in pages:
            chrome.get(url)
            text = _text(chrome)
            assert not _bare_codes(text), (url, _bare_codes(text))
            name = url.removeprefix(rig.broker).strip("/").replace("/", "-").split("?")[0]
            overflow = chrome.execute_script(_OVERFLOW)
            height = chrome.execute_script("return document.documentElement.scrollHeight")
            chrome.set_window_size(width, min(4000, max(900, int(height) + 100)))  # the whole page
            chrome.save_screenshot(str(SHOTS / f"{backend}-{width}-{name}.png"))
            chrome.set_window_size(width, 900)
            assert not overflow, (url, width)
    chrome.get(f"{rig.broker}/cabinet/service-length")
    total = chrome.find_element(By.CSS_SELECTOR, "[data-service-total]").text.replace("\u00a0", " ")
    assert re.search(r"Общий стаж на [\d.]{10}: \d+ (год|года|лет)( \d+ мес\.)?( \d+ дн\.)?$", total), total
    broken = chrome.execute_script(
        "return [...document.querySelectorAll('.date')].filter(e => e.getClientRects().length > 1).length"
    )
    assert broken == 0  # a date never breaks across lines at 360 px
    chrome.get(f"{rig.broker}/cabinet/accreditation")
    status = chrome.find_element(By.CSS_SELECTOR, "[data-accreditation-status]")
    assert status.get_attribute("data-accreditation-status") == "behind"  # 24 % done where about half is due
    assert "Отстаёте от графика" in status.text
    assert "ЗЕТ" in status.text
    chrome.get(f"{rig.broker}/cabinet/sessions")
    assert "МСК" in _text(chrome)
    assert "Mozilla" not in _text(chrome)


def test_ending_the_login_elsewhere_ends_the_cabinet_at_once(
    chrome: webdriver.Chrome, rig: Rig, backend: str
) -> None:
    _sign_in(chrome, rig)
    chrome.get(f"{rig.broker}/cabinet/education")
    assert "Сеченова" in _text(chrome)  # the section is now kept in the cabinet's session
    cookie = chrome.get_cookie("frmr_cabinet_session")
    assert cookie is not None
    with httpx.Client(base_url=rig.broker, cookies={cookie["name"]: cookie["value"]}) as other_tab:
        assert other_tab.get("/cabinet/education").status_code == 200
        chrome.get(f"{rig.broker}/account/sessions")
        chrome.find_element(By.CSS_SELECTOR, "form[action$='/sessions/end'] button[type=submit]").click()
        _wait_text(chrome, "Сеанс завершён", "Вы вышли", "Вы не вошли")  # the broker tells the cabinet
        after = other_tab.get("/cabinet/education")
    assert after.status_code == 303  # the cabinet's session is gone: sign in again, nothing kept is shown
    assert after.headers["location"] == "/cabinet/login?next=education"
    assert "Сеченова" not in after.text
    _shot(chrome, backend, "5-after-backchannel-logout")
