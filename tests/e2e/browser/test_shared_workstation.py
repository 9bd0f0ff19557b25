"""A shared workstation in a real browser: after the broker's logout, «Войти» asks ESIA for a password.

ESIA's own session must not outlive the broker's: otherwise the next person at the browser comes back
logged in as the previous doctor without a password.
"""

from __future__ import annotations

from urllib.parse import parse_qs, urlencode, urlsplit

import httpx
from selenium import webdriver
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions
from selenium.webdriver.support.wait import WebDriverWait

from tests.e2e.browser.test_login_pages import REDIRECT, _authorize_url, _sign_in
from tests.support.demo import DOCTOR, PASSWORD, Demo

LOGGED_OUT = "http://127.0.0.1:9999/"  # demo-web's registered post_logout_redirect_uri


def _id_token(demo: Demo, code: str) -> str:
    answer = httpx.post(
        f"{demo.broker}/token", auth=("demo-web", "demo-web-secret"),
        data={"grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT},
    )
    assert answer.status_code == 200, answer.text
    return str(answer.json()["id_token"])


def test_after_logout_the_next_login_asks_esia_for_the_password(chrome: webdriver.Chrome, demo: Demo) -> None:
    wait = WebDriverWait(chrome, 15)
    chrome.get(_authorize_url(demo, "shared-1"))
    _sign_in(chrome, demo, DOCTOR, PASSWORD)
    wait.until(lambda d: d.current_url.startswith(REDIRECT))
    code = parse_qs(urlsplit(chrome.current_url).query)["code"][0]
    logout = {
        "id_token_hint": _id_token(demo, code), "post_logout_redirect_uri": LOGGED_OUT, "state": "bye-1",
    }
    # the relying party's «Выйти» link; the final page (the app) is not served here, so no chrome.get
    chrome.execute_script("window.location.href = arguments[0]", f"{demo.broker}/logout?{urlencode(logout)}")
    wait.until(lambda d: d.current_url.startswith(LOGGED_OUT))  # through ESIA's logout and back
    assert parse_qs(urlsplit(chrome.current_url).query)["state"] == ["bye-1"]

    chrome.get(_authorize_url(demo, "shared-2"))  # the next person presses «Войти»
    wait.until(expected_conditions.presence_of_element_located((By.NAME, "password")))
    assert chrome.current_url.startswith(demo.esia)
    assert "Госуслуги" in chrome.title
