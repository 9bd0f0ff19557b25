"""The pages a medical worker sees, in a real browser: ESIA login, SMS code, the broker's failure pages."""

from __future__ import annotations

from urllib.parse import parse_qs, urlencode, urlsplit

import httpx
from selenium import webdriver
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions
from selenium.webdriver.support.wait import WebDriverWait

from tests.support.demo import DOCTOR, PASSWORD, Demo

REDIRECT = "http://127.0.0.1:9999/callback"


def _authorize_url(demo: Demo, state: str) -> str:
    query = {
        "client_id": "demo-web", "response_type": "code", "scope": "openid profile snils frmr",
        "redirect_uri": REDIRECT, "state": state, "nonce": f"nonce-{state}",
    }
    return f"{demo.broker}/authorize?{urlencode(query)}"


def _sign_in(chrome: webdriver.Chrome, demo: Demo, login: str, password: str) -> None:
    wait = WebDriverWait(chrome, 15)
    wait.until(expected_conditions.presence_of_element_located((By.NAME, "login")))
    assert "Госуслуги" in chrome.title
    chrome.find_element(By.NAME, "login").send_keys(login)
    chrome.find_element(By.NAME, "password").send_keys(password)
    chrome.find_element(By.CSS_SELECTOR, "form button[type=submit]").click()
    wait.until(expected_conditions.presence_of_element_located((By.NAME, "code")))
    sms = httpx.get(f"{demo.esia}/_dev/outbox", params={"login": login}).json()[0]["code"]
    chrome.find_element(By.NAME, "code").send_keys(sms)
    chrome.find_element(By.CSS_SELECTOR, "form button[type=submit]").click()


def test_doctor_signs_in_and_the_app_gets_a_code(chrome: webdriver.Chrome, demo: Demo) -> None:
    chrome.get(_authorize_url(demo, "browser-1"))
    _sign_in(chrome, demo, DOCTOR, PASSWORD)
    WebDriverWait(chrome, 15).until(lambda d: d.current_url.startswith(REDIRECT))
    query = parse_qs(urlsplit(chrome.current_url).query)
    assert query["state"] == ["browser-1"]
    assert query["iss"] == [demo.broker]
    assert len(query["code"][0]) > 20


def test_worker_without_an_frmr_record_gets_the_page_with_next_steps(
    chrome: webdriver.Chrome, demo: Demo
) -> None:
    chrome.get(_authorize_url(demo, "browser-2"))
    _sign_in(chrome, demo, "+79990000002", "Bez-Zapisi-2026!")
    WebDriverWait(chrome, 15).until(lambda d: d.current_url.startswith(demo.broker))
    heading = chrome.find_element(By.TAG_NAME, "h1").text
    assert "В ФРМР нет данных о вас" in heading
    body = chrome.find_element(By.TAG_NAME, "body").text
    assert "Обновить данные" in body
    assert "ФРМР-" in body  # the support reference carries the request id
    assert chrome.execute_script("return document.documentElement.lang") == "ru"


def test_wrong_password_is_answered_on_the_esia_page(chrome: webdriver.Chrome, demo: Demo) -> None:
    chrome.get(_authorize_url(demo, "browser-3"))
    WebDriverWait(chrome, 15).until(expected_conditions.presence_of_element_located((By.NAME, "login")))
    chrome.find_element(By.NAME, "login").send_keys("doctor@example.test")
    chrome.find_element(By.NAME, "password").send_keys("not-the-password")
    chrome.find_element(By.CSS_SELECTOR, "form button[type=submit]").click()
    alert = WebDriverWait(chrome, 15).until(
        expected_conditions.presence_of_element_located((By.CSS_SELECTOR, "[role=alert]"))
    )
    assert "Неверный логин или пароль" in alert.text
