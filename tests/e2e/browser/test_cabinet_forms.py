"""The cabinet's request forms and support page in headless Chromium, on the configured store backend.

The person finds the organisation, files a workplace change from the directories' choices (a mistake
first, shown beside its field), changes the e-mail with the one-time code and opens the support form
filled from the record. Every page is kept as a screenshot at 1280 and 360 px (``artefacts/cabinet/``),
fits the phone's width and leads back to the cabinet's start; the mock ESIA's login pages too.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from selenium import webdriver
from selenium.common.exceptions import WebDriverException
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions
from selenium.webdriver.support.select import Select
from selenium.webdriver.support.wait import WebDriverWait

from frmr_sso.upstream.esia_signer import RsaSecretSigner
from tests.e2e.browser.test_cabinet import SHOTS, _bare_codes, _text
from tests.e2e.login.support import DOCTOR, DOCTOR_PASSWORD, Rig, login_rig
from tests.support.documents import pdf as minimal_pdf

NEW_EMAIL = "maria.ivanova@example.test"
_OVERFLOW = "return document.documentElement.scrollWidth > window.innerWidth"


@pytest.fixture
async def rig(migrated_database_url: str, redis_url: str | None, tmp_path: Path) -> AsyncIterator[Rig]:
    async with login_rig(migrated_database_url, redis_url, RsaSecretSigner.generate(), tmp_path) as running:
        yield running


def _both_widths(chrome: webdriver.Chrome, backend: str, name: str) -> None:
    """The page as it is, whole, at 1280 and at 360 px: kept, checked to fit, back at 1280 after."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    for width in (360, 1280):
        chrome.set_window_size(width, 900)
        height = chrome.execute_script("return document.documentElement.scrollHeight")
        overflow = chrome.execute_script(_OVERFLOW)
        chrome.set_window_size(width, min(4000, max(900, int(height) + 100)))
        chrome.save_screenshot(str(SHOTS / f"{backend}-{width}-forms-{name}.png"))
        assert not overflow, (name, width)
    chrome.set_window_size(1280, 900)
    assert not _bare_codes(_text(chrome)), (name, _bare_codes(_text(chrome)))


def _wait_text(chrome: webdriver.Chrome, *texts: str) -> str:
    """The page's text once it shows one of ``texts``; a page still being replaced is waited through."""
    wait = WebDriverWait(chrome, 20, ignored_exceptions=(WebDriverException,))
    wait.until(lambda d: any(text in _text(d) for text in texts))
    return _text(chrome)


def _leads_home(chrome: webdriver.Chrome, rig: Rig) -> None:
    homes = [
        a
        for a in chrome.find_elements(By.TAG_NAME, "a")
        if a.get_attribute("href") == f"{rig.broker}/cabinet/"
    ]
    assert homes, chrome.current_url


def _sign_in(chrome: webdriver.Chrome, rig: Rig, backend: str) -> None:
    wait = WebDriverWait(chrome, 20)
    chrome.get(f"{rig.broker}/cabinet/login?next=requests/new")
    wait.until(expected_conditions.presence_of_element_located((By.NAME, "login")))
    _both_widths(chrome, backend, "esia-login")
    assert "Госуслуги" in chrome.find_element(By.CSS_SELECTOR, "ol.progress li[aria-current=step]").text
    chrome.find_element(By.NAME, "login").send_keys(DOCTOR)
    chrome.find_element(By.NAME, "password").send_keys(DOCTOR_PASSWORD)
    chrome.find_element(By.CSS_SELECTOR, "form button[type=submit]").click()
    wait.until(expected_conditions.presence_of_element_located((By.NAME, "code")))
    _both_widths(chrome, backend, "esia-code")
    assert "Код" in chrome.find_element(By.CSS_SELECTOR, "ol.progress li[aria-current=step]").text
    sms = httpx.get(rig.mock.url("/_dev/outbox"), params={"login": DOCTOR}).json()[0]["code"]
    chrome.find_element(By.NAME, "code").send_keys(sms)
    chrome.find_element(By.CSS_SELECTOR, "form button[type=submit]").click()
    wait.until(lambda d: d.current_url.startswith(f"{rig.broker}/cabinet/requests/new"))


def test_requests_and_support_in_the_browser(
    chrome: webdriver.Chrome, rig: Rig, backend: str, tmp_path: Path
) -> None:
    _sign_in(chrome, rig, backend)
    _both_widths(chrome, backend, "sections")
    _leads_home(chrome, rig)
    chrome.find_element(By.LINK_TEXT, "Место работы").click()
    _wait_text(chrome, "Название или OID организации")
    _both_widths(chrome, backend, "workplace-start")
    chrome.find_element(By.ID, "q").send_keys("больница")
    chrome.find_element(By.CSS_SELECTOR, "form[role=search] button[type=submit]").click()
    _wait_text(chrome, "Найдено")
    _both_widths(chrome, backend, "organisations")
    _leads_home(chrome, rig)
    chrome.find_element(
        By.CSS_SELECTOR, "a[aria-label='Выбрать: ГБУЗ «Городская клиническая больница № 1 ДЗМ»']"
    ).click()
    _wait_text(chrome, "Шаг 2 из 2")
    assert "45383000" in chrome.find_element(By.CSS_SELECTOR, "[data-organization]").text

    Select(chrome.find_element(By.ID, "post_id")).select_by_visible_text("врач-терапевт участковый")
    Select(chrome.find_element(By.ID, "position_type")).select_by_visible_text("Внешнее совместительство")
    chrome.find_element(By.ID, "rate").send_keys("3")
    chrome.execute_script("arguments[0].value = '2012-09-01'", chrome.find_element(By.ID, "begin_date"))
    chrome.find_element(
        By.CSS_SELECTOR, "form[action$='/requests'] button[type=submit]"
    ).click()
    _wait_text(chrome, "Заявка не принята")
    assert chrome.find_element(By.ID, "rate-error").text == "Ставка — число от 0,05 до 2."
    assert chrome.find_element(By.ID, "document-error").text.startswith("Приложите подтверждающий документ")
    assert chrome.find_element(By.ID, "rate").get_attribute("aria-invalid") == "true"
    assert (
        Select(chrome.find_element(By.ID, "post_id")).first_selected_option.text == "врач-терапевт участковый"
    )
    _both_widths(chrome, backend, "workplace-errors")
    _leads_home(chrome, rig)

    rate = chrome.find_element(By.ID, "rate")
    rate.clear()
    rate.send_keys("0,25")
    document = tmp_path / "приказ.pdf"
    document.write_bytes(minimal_pdf())
    chrome.find_element(By.ID, "document").send_keys(str(document))
    chrome.find_element(
        By.CSS_SELECTOR, "form[action$='/requests'] button[type=submit]"
    ).click()
    _wait_text(chrome, "Заявка отправлена")
    _both_widths(chrome, backend, "requests")

    chrome.get(f"{rig.broker}/cabinet/requests/new/contacts")
    _both_widths(chrome, backend, "contacts")
    chrome.find_element(By.ID, "email").send_keys(NEW_EMAIL)
    chrome.find_element(By.CSS_SELECTOR, "form[action$='/requests'] button[type=submit]").click()
    _wait_text(chrome, "Подтверждение контакта")
    _both_widths(chrome, backend, "contact-code")
    _leads_home(chrome, rig)
    outbox = httpx.get(f"{rig.broker}/_dev/outbox", params={"address": NEW_EMAIL}).json()["messages"]
    chrome.find_element(By.ID, "code").send_keys(outbox[0]["text"].split(": ")[1][:6])
    chrome.find_element(By.CSS_SELECTOR, "form[action$='/confirm'] button[type=submit]").click()
    _wait_text(chrome, "Контакт изменён")
    _both_widths(chrome, backend, "contact-changed")
    chrome.find_element(By.LINK_TEXT, "Вернуться в профиль").click()
    assert NEW_EMAIL in _wait_text(chrome, NEW_EMAIL)

    chrome.get(f"{rig.broker}/cabinet/requests/new/workplace?record=emp-0000001-1")
    assert "Вы исправляете запись" in _text(chrome)
    _both_widths(chrome, backend, "workplace-correction")
    chrome.get(f"{rig.broker}/cabinet/requests/new/education")
    _both_widths(chrome, backend, "education")
    chrome.get(f"{rig.broker}/cabinet/support")
    assert chrome.find_element(By.ID, "snils").get_attribute("value") == "***-***-445 95"
    assert chrome.find_element(By.ID, "email").get_attribute("readonly") is not None
    assert chrome.find_element(By.ID, "email").get_attribute("value") == NEW_EMAIL  # the record, as changed
    _both_widths(chrome, backend, "support")
    chrome.find_element(By.ID, "description").send_keys("Не скачивается выписка")
    chrome.find_element(By.CSS_SELECTOR, "form[action$='/support'] button[type=submit]").click()
    sent = _wait_text(chrome, "Обращение принято")
    assert sent.count("SR-") == 1
    assert "Код запроса" not in sent
    _both_widths(chrome, backend, "support-sent")

    chrome.get(f"{rig.broker}/cabinet/second-factor")
    chrome.find_element(By.LINK_TEXT, "Настроить второй фактор").click()
    _wait_text(chrome, "Подключите новое приложение-аутентификатор", "Нужно подтверждение кодом")
    _both_widths(chrome, backend, "broker-second-factor")
    back = chrome.find_element(By.PARTIAL_LINK_TEXT, "Вернуться в личный кабинет")
    back.click()
    WebDriverWait(chrome, 20).until(lambda d: d.current_url == f"{rig.broker}/cabinet/second-factor")
