"""What frames every login page of the mock ESIA: the step indicator and a footer saying what it is."""

from __future__ import annotations

import re

import httpx

from tests.support.esia_mock import MockEsia, password_step

DOCTOR, DOCTOR_PASSWORD = "+79990000001", "Vrach-2026-Demo!"


def _current_step(html: str) -> str:
    steps = re.search(r'<ol class="progress" aria-label="Шаги входа">(.*?)</ol>', html, re.S)
    assert steps is not None, "no step indicator"
    titles = re.findall(r"<li[^>]*>([^<]+)</li>", steps.group(1))
    assert titles == ["Госуслуги", "Код подтверждения", "Данные ФРМР"]  # the broker's steps, in its words
    current = re.findall(r'<li aria-current="step">([^<]+)</li>', steps.group(1))
    assert len(current) == 1
    return current[0]


def _has_footer(html: str) -> bool:
    footer = re.search(r"<footer class=\"site\" data-footer>(.*?)</footer>", html, re.S)
    return footer is not None and "не портал Госуслуг" in footer.group(1) and "поддержки" in footer.group(1)


async def test_the_login_and_code_pages_show_where_the_person_is(
    mock: MockEsia, browser: httpx.AsyncClient
) -> None:
    login = await mock.authorize(browser)
    assert login.status_code == 200
    assert _current_step(login.text) == "Госуслуги"
    assert _has_footer(login.text)
    code = await password_step(browser, mock, DOCTOR, DOCTOR_PASSWORD)
    assert code.status_code == 200
    assert _current_step(code.text) == "Код подтверждения"
    assert _has_footer(code.text)


async def test_a_page_outside_the_login_has_the_footer_and_no_steps(
    mock: MockEsia, browser: httpx.AsyncClient
) -> None:
    page = await browser.get(mock.url("/login"), params={"tx": "no-such-transaction"})
    assert page.status_code >= 400
    assert _has_footer(page.text)
    assert 'class="progress"' not in page.text
